//! Notes' raw HTML in the book: sanitised as Obsidian's reading view does (scripts, event
//! handlers and `javascript:` URLs out, on every path a note's text takes: body, embeds,
//! callout titles, link labels), safe markup kept, and `[vaultbook] raw-html` for trusted vaults.
//! Asserted on the rendered HTML of the `html` fixture.

use crate::harness::{BookTest, assert_links_reach_ids, code, diags_with};

/// What the hostile note tries to run: none of it may reach a page.
const PAYLOADS: &[&str] = &[
    "pwned-script",
    "pwned-onerror",
    "pwned-href",
    "pwned-md",
    "pwned-callout",
    "pwned-div",
    "pwned-embed",
    "evil.swf",
];

#[test]
fn scripts_handlers_and_script_urls_never_reach_the_book() {
    let book = BookTest::from_fixture("html");
    let report = book.build();
    for (path, html) in book.pages() {
        for p in PAYLOADS {
            assert!(!html.contains(p), "{} holds {p}", path.display());
        }
    }
    // Nor the emitted source, which stock mdBook would render as it is.
    for p in PAYLOADS {
        let found = book.files_holding(&["target/vaultbook/book-src"], p);
        assert!(found.is_empty(), "{found:?} hold {p}");
    }
    // A link's alias is text: its markup shows escaped, as a tag nowhere.
    for (path, html) in book.pages() {
        for tag in html.split('<').skip(1) {
            let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
            for bad in ["onerror", "onclick", "javascript:"] {
                assert!(!tag.contains(bad), "{}: <{tag}>", path.display());
            }
        }
    }
    let main = book.main_of("hostile.html");
    // What was around the removed parts stays.
    assert!(main.contains("a script link"), "{main}");
    assert!(main.contains("a markdown one"), "{main}");
    assert!(main.contains("Callout body."));
    assert!(main.contains("the safe note"), "{main}");
    assert!(main.contains("<div>\nDiv text.\n</div>"), "{main}");
    assert!(main.contains("quoted object"), "{main}");
    assert!(main.contains("Embedded text."), "{main}");
    assert!(main.contains(r#"<img src="pic.png">"#), "{main}");
    assert_links_reach_ids(&book.join("book"));
    let _ = report;
}

#[test]
fn each_removal_is_a_warning_at_its_line_and_column() {
    let book = BookTest::from_fixture("html");
    let report = book.build();
    let found = diags_with(&report.diagnostics, "unsafe-html", "vault/Hostile.md");
    let at: Vec<(usize, usize, &str)> = found
        .iter()
        .map(|d| {
            let s = d.span.as_ref().expect("a span");
            (s.line, s.column, d.message.as_str())
        })
        .collect();
    let expect = [
        (3, 1, "`<script>`"),
        (5, 20, "`onerror`"),
        (7, 4, "`href`"),
        (7, 72, "`javascript:`"),
        (9, 36, "`onerror`"),
        (12, 45, "`onerror`"),
        (14, 6, "`onclick`"),
        (18, 3, "`<object>`"),
    ];
    assert_eq!(at.len(), expect.len(), "{at:#?}");
    for ((line, col, msg), (el, ec, what)) in at.iter().zip(expect) {
        assert_eq!((*line, *col), (el, ec), "{msg}");
        assert!(msg.contains(what), "{msg} should name {what}");
    }
    // The embedded section's HTML is reported in its own note, once.
    let embedded = diags_with(&report.diagnostics, "unsafe-html", "vault/Embedded.md");
    assert_eq!(embedded.len(), 1);
    // Safe markup is no warning.
    assert!(diags_with(&report.diagnostics, "unsafe-html", "vault/Safe.md").is_empty());
    assert!(!report.failed(false), "warnings only");
}

#[test]
fn safe_markup_renders_as_obsidian_shows_it() {
    let book = BookTest::from_fixture("html");
    book.build();
    let main = book.main_of("safe.html");
    assert!(
        main.contains("<details>\n<summary>More</summary>"),
        "{main}"
    );
    assert!(
        main.contains("<p>Inside <strong>markdown</strong>.</p>"),
        "{main}"
    );
    assert!(main.contains(r#"<span style="color: red">red text</span>"#));
    assert!(main.contains("<kbd>Ctrl</kbd>+<kbd>C</kbd>"));
    assert!(main.contains(
        r#"<iframe src="https://www.youtube.com/embed/xyz" width="560" height="315" allowfullscreen=""></iframe>"#
    ));
    assert!(main.contains(r#"<div align="center">"#));
    assert!(main.contains(r#"<td colspan="2">wide cell</td>"#));
    assert!(main.contains("<sub>sub</sub>") && main.contains("<mark>marked</mark>"));
    assert!(main.contains(r##"<a href="#safe">link to the top</a>"##));
}

#[test]
fn raw_html_keeps_a_trusted_vaults_html_as_written() {
    let book = BookTest::from_fixture("html").file(
        "book.toml",
        "[book]\ntitle = \"Raw HTML\"\n\n[vaultbook]\nraw-html = true\n",
    );
    let report = book.build();
    assert!(
        report.diagnostics.iter().all(|d| code(d) != "unsafe-html"),
        "a trusted vault's HTML is no warning"
    );
    let main = book.main_of("hostile.html");
    assert!(main.contains("<script>document.title = \"pwned-script\"</script>"));
    assert!(main.contains("onerror=\"document.title=&#39;pwned-onerror&#39;\""));
}

#[test]
fn check_reports_what_build_would_remove() {
    let book = BookTest::from_fixture("html");
    let run = book.run(&["check", "--deny-warnings"]);
    let err = run.stderr();
    assert_eq!(run.code(), Some(1), "{err}");
    assert!(err.contains("warning[unsafe-html]"), "{err}");
    assert!(err.contains("Hostile.md:3:1"), "{err}");
}
