//! A note longer than twice `[vaultbook] note-part-size` becomes several chapters
//! (`emit::parts`): cut before column-0 headings only, nested under the note in the sidebar,
//! with every link to one of its headings or blocks sent to the part that holds it.

use crate::harness::{BookTest, has_code, read};

/// About 6 KB in twelve sections, each with a `## Setup` heading (the same id base in every
/// part), a fence and a comment that hold heading lines, and an inline footnote.
fn long_note() -> String {
    let mut text = String::from("See [[#Setup]] and [[#Part 11]].\n\n");
    for i in 0..12 {
        text.push_str(&format!(
            "## Part {i}\n\nText of part {i}, see [[Other]] and [[Long#Part {}|back]].^[Note {i}.]\n\n\
             ### Setup\n\nSetting up {i}.\n\n\
             ```text\n# not a heading {i}\n```\n\n%%\n\n# commented {i}\n\n%%\n\n\
             A block of part {i}. ^block-{i}\n\n{}\n",
            (i + 6) % 12,
            "Filler text of a paragraph, long enough to make parts. ".repeat(6)
        ));
    }
    text
}

fn book(part_size: usize) -> BookTest {
    let text = long_note();
    assert!(text.len() > 4 * part_size, "{}", text.len());
    BookTest::new()
        .file(
            "book.toml",
            format!("[book]\ntitle = \"Parts\"\n\n[vaultbook]\nnote-part-size = {part_size}\n"),
        )
        .vault_files([
            ("Start.md", "# Start\n\nThe book.\n"),
            ("Folder/Long.md", text.as_str()),
            (
                "Other.md",
                "# Other\n\n[[Long#Part 9]], [[Long#^block-10]], [[Long#Setup]] and [[Long]].\n\n\
                 ![[Long#Part 5]]\n",
            ),
        ])
}

#[test]
fn a_long_note_is_cut_into_chapters_that_every_link_reaches() {
    let book = book(1200);
    let report = book.build();
    assert!(
        !has_code(&report.diagnostics, "internal-error"),
        "{:#?}",
        report.diagnostics
    );
    assert!(
        !has_code(&report.diagnostics, "missing-heading"),
        "{:#?}",
        report.diagnostics
    );
    let long: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str() == "long-note")
        .collect();
    assert_eq!(long.len(), 1, "{:#?}", report.diagnostics);
    assert!(long[0].message.contains("chapters"), "{}", long[0].message);
    let src = book.join("target/vaultbook/book-src/src");
    let summary = read(src.join("SUMMARY.md"));
    // The parts follow the note, one level deeper, named after the heading each opens with.
    let long = summary
        .lines()
        .position(|l| l.contains("(folder/long.md)"))
        .unwrap_or_else(|| panic!("{summary}"));
    let parts: Vec<&str> = summary
        .lines()
        .skip(long + 1)
        .take_while(|l| l.contains("long-part-"))
        .collect();
    assert!(parts.len() >= 3, "{summary}");
    let indent = |l: &str| l.len() - l.trim_start().len();
    for p in &parts {
        assert_eq!(
            indent(p),
            indent(summary.lines().nth(long).unwrap()) + 2,
            "{summary}"
        );
        assert!(p.contains("[Part "), "{summary}");
    }
    let pages: Vec<String> = std::iter::once("folder/long.md".to_string())
        .chain((2..=parts.len() + 1).map(|k| format!("folder/long-part-{k}.md")))
        .collect();
    let texts: Vec<String> = pages.iter().map(|p| read(src.join(p))).collect();
    // The note's text is all there, once: each part opens with a `## Part` heading, and no
    // fence or comment was cut.
    for (k, t) in texts.iter().enumerate() {
        if k > 0 {
            assert!(t.starts_with("## Part "), "{t}");
        }
        assert_eq!(t.matches("```").count() % 2, 0, "{t}");
        assert!(!t.contains("%%"), "{t}");
    }
    let all = texts.concat();
    for i in 0..12 {
        assert_eq!(all.matches(&format!("## Part {i}\n")).count(), 1);
        assert_eq!(all.matches(&format!("# not a heading {i}\n")).count(), 1);
    }
    // The title heading on the first part, the footer (backlinks) on the last alone.
    assert!(texts[0].starts_with("# Long\n"), "{}", texts[0]);
    assert!(texts[1..].iter().all(|t| !t.contains("# Long\n")));
    let footers: Vec<usize> = texts
        .iter()
        .enumerate()
        .filter(|(_, t)| t.contains("vb-backlinks"))
        .map(|(k, _)| k)
        .collect();
    assert_eq!(footers, [texts.len() - 1]);

    // Links reach the part holding their heading or block, at the id mdBook gives it there.
    let holder = |needle: &str| {
        let k = texts
            .iter()
            .position(|t| t.contains(needle))
            .unwrap_or_else(|| panic!("{needle}"));
        pages[k]
            .trim_start_matches("folder/")
            .replace(".md", ".html")
    };
    let other = book.page("other.html");
    let part9 = holder("## Part 9\n");
    assert!(
        other.contains(&format!("folder/{part9}#part-9\"")),
        "{other}"
    );
    let block = holder("^block-10");
    assert!(
        other.contains(&format!("folder/{block}#^block-10\"")),
        "{other}"
    );
    // The first `### Setup` of the note: the first part's.
    assert!(other.contains("folder/long.html#setup\""), "{other}");
    // The embed brings Part 5's text.
    assert!(other.contains("Text of part 5"), "{other}");
    // A `### Setup` in a later part has the part's own id: mdBook numbers ids per page.
    let last = book.page(&format!(
        "folder/{}",
        pages
            .last()
            .unwrap()
            .trim_start_matches("folder/")
            .replace(".md", ".html")
    ));
    assert!(last.contains("id=\"setup\""), "{last}");
    let found = vaultbook::internals::check_rendered(&book.join("book"));
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn a_note_stays_one_page_at_part_size_zero_or_with_reference_definitions() {
    let book = book(0);
    book.build();
    let src = book.join("target/vaultbook/book-src/src");
    assert!(!src.join("folder/long-part-2.md").exists());
    assert!(read(src.join("folder/long.md")).contains("## Part 11"));

    let text = format!("{}\n[ref]: https://example.com\n", long_note());
    let book = BookTest::new()
        .file(
            "book.toml",
            "[book]\ntitle = \"Refs\"\n\n[vaultbook]\nnote-part-size = 1000\n",
        )
        .vault_files([("Long.md", text.as_str())]);
    let report = book.build();
    let src = book.join("target/vaultbook/book-src/src");
    assert!(!src.join("long-part-2.md").exists());
    let why: Vec<&str> = report
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str() == "long-note")
        .map(|d| d.message.as_str())
        .collect();
    assert!(
        why.len() == 1 && why[0].contains("stays one page") && why[0].contains("]:"),
        "{why:?}"
    );
    let found = vaultbook::internals::check_rendered(&book.join("book"));
    assert!(found.is_empty(), "{found:#?}");
}

/// Pagefind's result title is a page's first `<h1>`; a later part has none, and its hits read
/// "undefined" unless the page's title is given to the index.
#[test]
fn a_parts_search_hits_have_the_pages_title() {
    let book = book(1200);
    book.append("book.toml", "search = \"pagefind\"\n");
    book.build();
    let titles = fragment_titles(&book.join("book/pagefind"));
    let parts: Vec<&(String, String)> = titles
        .iter()
        .filter(|(url, _)| url.contains("long-part-"))
        .collect();
    assert!(parts.len() >= 3, "{titles:#?}");
    for (url, title) in &titles {
        assert!(
            !title.is_empty() && title != "undefined",
            "{url}: {title:?}"
        );
    }
    for (url, title) in parts {
        assert!(
            title.starts_with("Part ") && title.ends_with("Parts"),
            "{url}: {title:?}"
        );
    }
}

/// Per page of Pagefind's index in `dir` (gzip of `pagefind_dcd` and a page's JSON): its URL
/// and the title a hit shows.
fn fragment_titles(dir: &std::path::Path) -> Vec<(String, String)> {
    use std::io::Read;
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir.join("fragment")).unwrap() {
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(entry.unwrap().path()).unwrap())
            .read_to_end(&mut bytes)
            .unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(bytes.strip_prefix(b"pagefind_dcd").unwrap()).unwrap();
        let title = json["meta"]["title"].as_str().unwrap_or("").to_string();
        out.push((json["url"].as_str().unwrap_or("").to_string(), title));
    }
    out
}

/// A long note without headings (a novel, a log) is cut between paragraphs, outside code and
/// lists; each later part gets the note's title and its number as a heading, and every link
/// lands.
#[test]
fn a_long_note_without_headings_is_cut_between_paragraphs() {
    let mut text = String::new();
    for i in 0..60 {
        text.push_str(&format!(
            "Paragraph {i} of prose about [[Other]] and more, long enough. ^p{i}\n\n"
        ));
        if i % 7 == 0 {
            text.push_str("```text\n\ncode {i}\n\nNot a cut.\n\n```\n\n- item\n\n- item\n\n");
        }
    }
    let book = BookTest::new()
        .file(
            "book.toml",
            "[book]\ntitle = \"Novel\"\n\n[vaultbook]\nnote-part-size = 800\n",
        )
        .vault_files([
            ("Novel.md", text.as_str()),
            ("Other.md", "# Other\n\n[[Novel#^p55]] and [[Novel#^p3]]\n"),
        ]);
    let report = book.build();
    assert!(!has_code(&report.diagnostics, "internal-error"));
    let src = book.join("target/vaultbook/book-src/src");
    let second = read(src.join("novel-part-2.md"));
    // The title, then a paragraph (its block id's anchor first).
    let after = second
        .strip_prefix("# Novel (2)\n\n")
        .unwrap_or_else(|| panic!("{second}"));
    assert!(
        after.starts_with("<a id=\"^p") || after.starts_with("Paragraph "),
        "{second}"
    );
    for k in 2.. {
        let Ok(t) = std::fs::read_to_string(src.join(format!("novel-part-{k}.md"))) else {
            assert!(k > 3, "only {} parts", k - 1);
            break;
        };
        assert_eq!(t.matches("```").count() % 2, 0, "{t}");
    }
    let other = book.page("other.html");
    assert!(other.contains("novel.html#^p3\""), "{other}");
    assert!(other.contains("novel-part-"), "{other}");
    let found = vaultbook::internals::check_rendered(&book.join("book"));
    assert!(found.is_empty(), "{found:#?}");
}
