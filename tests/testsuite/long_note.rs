//! A note over a mebibyte, which is parsed in pieces cut before its headings
//! (`syntax::pieces`): headings inside a fence or an HTML comment stay out of it, links to
//! headings in every part of it reach their ids, and the book's links all land.

use crate::harness::{BookTest, has_code};

/// About 1.2 MB: 7,000 parts, each with a fence and a comment holding a heading line after a
/// blank line (a place a cut would be made, were the fence or comment not open there).
fn long_note() -> String {
    let mut text = String::from("# Long\n\nSee [[Long#Part 1900]] and [[Long#not a heading]].\n\n");
    for i in 0..7000 {
        text.push_str(&format!(
            "## Part {i}\n\nText linking [[Short]] and [[Long#Part {}|back]], then code:\n\n\
             ```text\n\n# not a heading\n\n```\n\n<!--\n\n# commented\n\n-->\n\n\
             - a list\n\n  ```\n  open in the item\n\n",
            i / 2
        ));
    }
    text
}

#[test]
fn a_note_over_a_mebibyte_builds_with_every_link_landing() {
    let text = long_note();
    assert!(text.len() > 1 << 20, "{}", text.len());
    assert!(!text.contains("]:"), "a text with `]:` is parsed whole");
    let book = BookTest::new()
        .file("book.toml", "[book]\ntitle = \"Long\"\n")
        .vault_files([
            ("Long.md", text.as_str()),
            (
                "Short.md",
                "# Short\n\n[[Long#Part 6999]] and ![[Long#Part 3]]\n",
            ),
        ]);
    let report = book.build();
    // The one link to a heading that is in a fence, not a heading.
    let missing: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str() == "missing-heading")
        .collect();
    assert_eq!(missing.len(), 1, "{:#?}", report.diagnostics);
    assert!(
        missing[0].message.contains("not a heading"),
        "{:#?}",
        missing[0]
    );
    assert!(!has_code(&report.diagnostics, "internal-error"));
    let chapter = crate::harness::read(book.join("target/vaultbook/book-src/src/long.md"));
    assert!(chapter.contains("(#part-1900)"), "{}", &chapter[..400]);
    let html = book.page("long.html");
    assert!(html.contains("id=\"part-6999\""));
    assert!(!html.contains("id=\"not-a-heading\""));
    assert!(!html.contains("id=\"commented\""));
    let short = book.page("short.html");
    assert!(short.contains("long.html#part-6999"), "{short}");
    // The embedded section is Part 3's alone.
    assert!(
        short.contains("Part 3") && !short.contains("Part 4<"),
        "{short}"
    );
    let found = vaultbook::internals::check_rendered(&book.join("book"));
    assert!(found.is_empty(), "{found:#?}");
}
