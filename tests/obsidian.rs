//! Obsidian syntax as the book shows it: embeds, callouts, highlights, comments, tags, backlinks,
//! footnotes, math, mermaid and media, asserted on the rendered HTML of a fixture vault.

use std::path::Path;

use vaultbook::Config;
use vaultbook::{Driver, Options, Report};

fn build_fixture() -> (tempfile::TempDir, Report) {
    let dir = tempfile::tempdir().unwrap();
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/obsidian");
    for entry in walkdir::WalkDir::new(&from) {
        let entry = entry.unwrap();
        let dest = dir.path().join(entry.path().strip_prefix(&from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
    let config = Config::load(dir.path()).unwrap();
    let options = Options {
        run_snippets: false,
        ..Options::default()
    };
    let report = Driver::new(config.clone(), options).build().unwrap();
    (dir, report)
}

fn html(dir: &Path, page: &str) -> String {
    std::fs::read_to_string(dir.join("book").join(page)).unwrap()
}

/// The part of a rendered page between `<main>` and `</main>`.
fn main_of(page: &str) -> &str {
    let start = page.find("<main>").unwrap();
    let end = page.find("</main>").unwrap();
    &page[start..end]
}

#[test]
fn callouts_fold_nest_and_keep_markdown() {
    let (dir, _) = build_fixture();
    let page = html(dir.path(), "home.html");
    let main = main_of(&page);
    assert!(main.contains(r#"<div class="callout" data-callout="tip">"#));
    assert!(main.contains("A <strong>tip</strong> title"));
    assert!(main.contains("Body with <em>markdown</em>."));
    assert!(
        main.contains(r#"<details class="callout" data-callout="warning">"#),
        "`-` starts closed"
    );
    assert!(
        main.contains(r#"<details class="callout" data-callout="faq" open="">"#),
        "`+` starts open"
    );
    assert!(
        main.contains(r#"<div class="callout" data-callout="note">"#),
        "nested callout"
    );
    assert!(main.contains("Inner body."));
    assert!(main.contains(r#"data-callout="custom-type""#));
    assert!(!main.contains("[!"), "no callout syntax left");
}

#[test]
fn inline_syntax() {
    let (dir, _) = build_fixture();
    let page = html(dir.path(), "home.html");
    let main = main_of(&page);
    assert!(main.contains("<mark>highlighted</mark>"));
    assert!(main.contains("<del>struck</del>"));
    assert!(!main.contains("inline comment"), "comments are removed");
    assert!(
        !main.contains("multi-line comment"),
        "multi-line comments too"
    );
    assert!(main.contains("%%kept in code%%"), "but not inside code");
    assert!(main.contains(r#"type="checkbox""#), "task lists render");
    assert!(
        main.contains("footnote-definition"),
        "inline footnotes render"
    );
    assert!(
        main.contains(r#"<a href="sub/sibling.html">a link</a>"#),
        "links in footnotes resolve"
    );
    assert!(main.contains(r"\(a_1 * b_2\)"), "inline math for MathJax");
    assert!(
        main.contains(r"\[\frac{1}{2}\]"),
        "display math for MathJax"
    );
    assert!(page.contains("MathJax"), "MathJax is switched on");
    assert!(main.contains(r#"<pre class="mermaid">graph TD"#));
    // mdBook names assets by content hash: mermaid-<hash>.min.js.
    let shipped = std::fs::read_dir(dir.path().join("book"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .any(|n| n.starts_with("mermaid") && n.ends_with(".min.js"));
    assert!(shipped, "mermaid ships in the book");
    assert!(page.contains("mermaid-"), "and the page loads it");
    assert!(main.contains(r#"data-vb-cssclasses="wide""#));
}

#[test]
fn tags_link_to_the_tag_index() {
    let (dir, _) = build_fixture();
    let main = main_of(&html(dir.path(), "home.html")).to_string();
    assert!(
        main.contains(r##"<a href="tags.html#tag">#tag</a>"##),
        "{main}"
    );
    assert!(main.contains(r##"<a href="tags.html#nestedtag">#nested/tag</a>"##));
    assert!(main.contains("not #123"), "numbers are not tags");
    assert!(main.contains("<code>#notatag</code>"), "code is not tags");
    let tags = html(dir.path(), "tags.html");
    let tags = main_of(&tags);
    for id in ["fixture", "nestedtag", "tag"] {
        assert!(
            tags.contains(&format!("id=\"{id}\"")),
            "tags page lacks {id}"
        );
    }
    assert!(tags.contains(r#"<a href="home.html">Home</a>"#));
}

#[test]
fn embeds_sections_blocks_and_files() {
    let (dir, report) = build_fixture();
    let main = main_of(&html(dir.path(), "home.html")).to_string();
    assert!(main.contains("Intro of source"), "whole-note embed");
    assert!(
        !main.contains("frontmatter-must-not-show"),
        "without its frontmatter"
    );
    assert!(
        main.contains(r#"<a href="sub/sibling.html">the sibling</a>"#),
        "links in embedded text resolve from the embedded note's folder"
    );
    assert_eq!(
        main.matches("Section body.").count(),
        3,
        "note, section and block embeds"
    );
    assert_eq!(
        main.matches("Child body.").count(),
        2,
        "note and #Parent#Child embeds"
    );
    assert_eq!(
        main.matches("After body.").count(),
        1,
        "a section stops at the next heading"
    );
    assert!(main.contains(r#"<img src="media/pic.png" alt="pic.png" width="100" height="200">"#));
    assert!(main.contains(r#"<img src="media/pic.png" alt="small" width="50">"#));
    assert!(main.contains(r#"<audio controls="" src="media/clip.mp3"></audio>"#));
    assert!(main.contains(r#"<video controls="" src="media/movie.mp4"></video>"#));
    assert!(main.contains(r#"src="media/doc.pdf#page=3""#));
    for f in ["pic.png", "clip.mp3", "movie.mp4", "doc.pdf"] {
        assert!(
            dir.path().join("book/media").join(f).is_file(),
            "{f} copied"
        );
    }
    // A cycle and an overlong chain stop with a marker and a diagnostic; the build goes on.
    assert!(
        main.contains("embed cycle: Cycle A → Cycle B → Cycle A"),
        "{main}"
    );
    assert!(main.contains("embeds nest deeper than"));
    let codes: Vec<&str> = report.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert!(
        codes.contains(&"embed-cycle") && codes.contains(&"embed-depth"),
        "{codes:?}"
    );
}

#[test]
fn backlinks_end_each_page() {
    let (dir, _) = build_fixture();
    let sibling = html(dir.path(), "sub/sibling.html");
    let main = main_of(&sibling);
    assert!(main.contains(r#"<nav class="vb-backlinks">"#));
    assert!(
        main.contains(r#"<a href="source.html">The Source</a>"#),
        "{main}"
    );
    assert!(
        main.contains(r#"<a href="../home.html">Home</a>"#),
        "{main}"
    );
}

#[test]
fn every_link_of_the_rendered_book_resolves() {
    let (dir, _) = build_fixture();
    let problems = vaultbook::htmlcheck::check_rendered(&dir.path().join("book"));
    assert!(problems.is_empty(), "{problems:#?}");
}
