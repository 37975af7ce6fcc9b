//! Obsidian syntax as the book shows it: embeds, callouts, highlights, comments, tags, backlinks,
//! footnotes, math, mermaid and media, asserted on the rendered HTML of a fixture vault.

use crate::harness::{BookTest, Report, codes, main_of};

/// The `obsidian` fixture, built.
fn build_fixture() -> (BookTest, Report) {
    let book = BookTest::from_fixture("obsidian");
    let report = book.build();
    (book, report)
}

#[test]
fn callouts_fold_nest_and_keep_markdown() {
    let (dir, _) = build_fixture();
    let page = dir.page("home.html");
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
    let page = dir.page("home.html");
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
    assert!(main.contains("<msub>"), "inline math typeset to MathML");
    assert!(
        main.contains(r#"<math display="block">"#) && main.contains("<mfrac>"),
        "display math too"
    );
    assert!(!page.contains("MathJax"), "no MathJax");
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
    let main = main_of(&dir.page("home.html")).to_string();
    assert!(
        main.contains(r##"<a href="tags.html#tag">#tag</a>"##),
        "{main}"
    );
    assert!(main.contains(r##"<a href="tags.html#nestedtag">#nested/tag</a>"##));
    assert!(main.contains("not #123"), "numbers are not tags");
    assert!(main.contains("<code>#notatag</code>"), "code is not tags");
    let tags = dir.page("tags.html");
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
    let main = main_of(&dir.page("home.html")).to_string();
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
    let codes = codes(&report.diagnostics);
    assert!(
        codes.iter().any(|c| c == "embed-cycle") && codes.iter().any(|c| c == "embed-depth"),
        "{codes:?}"
    );
}

#[test]
fn backlinks_end_each_page() {
    let (dir, _) = build_fixture();
    let sibling = dir.page("sub/sibling.html");
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
    dir.assert_links_reach_ids();
}
