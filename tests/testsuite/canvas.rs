//! JSON Canvas files as pages: in the sidebar, drawn with their nodes, groups and edges, text
//! nodes' wikilinks resolved, `check` reporting what is broken inside them at the JSON's line
//! and column, bad JSON a diagnostic, hostile text sanitised.

use vaultbook::Severity;

use crate::harness::{self, BookTest, code, diags_with, no_run};

/// The canvas is a chapter of the book where its file sits, with its file name as title, and
/// `[[Board.canvas]]` links to that page.
#[test]
fn a_canvas_is_a_page_in_the_sidebar() {
    let book = BookTest::from_fixture("canvas");
    let report = book.build();
    let summary = book.emitted("SUMMARY.md");
    assert!(summary.contains("[Board](board.canvas.md)"), "{summary}");
    assert!(
        summary.contains("- [Boards]()\n  - [Broken](boards/broken.canvas.md)"),
        "{summary}"
    );
    let start = book.main_of("index.html");
    assert!(start.contains(r#"href="board.canvas.html""#), "{start}");
    assert!(
        !start.contains(r#"href="Board.canvas""#) && !book.join("book/board.canvas").exists(),
        "the canvas is a page, not a copied file"
    );
    // The whole book builds, the broken canvas too; only the fixture's deliberate broken
    // links are errors.
    let errors: Vec<String> = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.one_line())
        .collect();
    assert_eq!(errors.len(), 2, "{errors:#?}");
    book.assert_links_reach_ids();
}

/// Nodes' text, resolved links, a note's title on its file node, images, link nodes, group
/// labels and edge labels are in the page; the edges are a picture.
#[test]
fn the_drawing_holds_every_kind_of_node() {
    let book = BookTest::from_fixture("canvas");
    book.build();
    let page = book.main_of("board.canvas.html");
    for want in [
        "<strong>act</strong>",
        r#"<a href="plan.html#steps">the steps</a>"#,
        r#"<a href="plan.html">The plan</a>"#,
        r#"<img src="pic.png""#,
        r#"<a class="vb-canvas-url" href="https://jsoncanvas.org/">"#,
        r#"<div class="vb-canvas-group-label">Phase one</div>"#,
        ">leads to</div>",
        ">see plan</div>",
        "--vb-canvas-color:#e93147",
        r#"<img class="vb-canvas-edges" alt="" src="data:image/svg+xml,"#,
        // A missing file is drawn marked.
        r#"<span class="vb-broken-link" title="Broken link: Gone">"#,
    ] {
        assert!(page.contains(want), "{want} not in {page}");
    }
    // Each node once; the dangling edge is not drawn but the three others are, with their
    // arrowheads (two `toEnd` by default, one `fromEnd`).
    assert_eq!(page.matches("class=\"vb-canvas-node ").count(), 7, "{page}");
    let svg = page.split("data:image/svg+xml,").nth(1).unwrap();
    let svg = &svg[..svg.find('"').unwrap()];
    assert_eq!(svg.matches("%3Cpath").count(), 3 + 3, "{svg}");
    let css = std::fs::read_to_string(book.join("book/vaultbook-canvas.css")).is_ok()
        || std::fs::read_dir(book.join("book")).unwrap().any(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("vaultbook-canvas")
        });
    assert!(css, "the canvas stylesheet ships with the book");
    // Embedded in a note, the drawing is there too, its links relative to that page.
    let start = book.main_of("index.html");
    assert!(start.contains("vb-canvas-node"), "{start}");
    assert!(start.contains(r#"href="plan.html#steps""#), "{start}");
}

/// A broken wikilink in a text node, and a file node naming a missing note, are broken links
/// of the canvas file, at the line and column of the link inside the JSON; a dangling edge
/// is a canvas-error at the edge.
#[test]
fn check_reports_broken_links_in_a_canvas_at_their_json_position() {
    let book = BookTest::from_fixture("canvas");
    let report = harness::check(&book.config(), &no_run(), false).unwrap();
    let broken = diags_with(&report.diagnostics, "broken-link", "vault/Board.canvas");
    let at: Vec<(usize, usize, &str)> = broken
        .iter()
        .map(|d| {
            let s = d.span.as_ref().unwrap();
            (s.line, s.column, d.message.as_str())
        })
        .collect();
    assert!(
        at.contains(&(7, 22, "no note named `Nowhere` in the vault")),
        "{at:#?}"
    );
    // A file node's link is generated: it points at the node's `file` value.
    assert!(
        at.contains(&(9, 77, "no note named `Gone.md` in the vault")),
        "{at:#?}"
    );
    let edge = diags_with(&report.diagnostics, "canvas-error", "vault/Board.canvas");
    assert_eq!(edge.len(), 1, "{edge:#?}");
    assert!(edge[0].message.contains("`e4`"), "{}", edge[0].message);
    assert_eq!(edge[0].span.as_ref().unwrap().line, 19);
}

/// Bad JSON is a canvas-error at the line and column where it breaks; its page says so and
/// the rest of the book builds.
#[test]
fn bad_json_is_a_diagnostic_and_the_book_still_builds() {
    let book = BookTest::from_fixture("canvas");
    let report = book.build();
    let bad = diags_with(
        &report.diagnostics,
        "canvas-error",
        "vault/Boards/Broken.canvas",
    );
    assert_eq!(bad.len(), 1, "{bad:#?}");
    let span = bad[0].span.as_ref().unwrap();
    assert_eq!((span.line, span.column), (2, 43), "{}", bad[0].message);
    assert!(bad[0].message.contains("not valid JSON"));
    let page = book.main_of("boards/broken.canvas.html");
    assert!(page.contains("could not be read"), "{page}");
    assert!(book.join("book/board.canvas.html").exists());
}

/// Script, SVG with handlers and event attributes in a text node do not reach the page; they
/// are reported at their place in the JSON as notes' HTML is.
#[test]
fn hostile_text_in_a_canvas_is_sanitised() {
    let book = BookTest::from_fixture("canvas");
    let report = book.build();
    let page = book.page("board.canvas.html");
    let main = harness::main_of(&page);
    assert!(main.contains("safe text"), "{main}");
    for bad in ["<script>alert", "<svg", "onload", "onerror", "alert(3)"] {
        assert!(!main.contains(bad), "{bad} survived: {main}");
    }
    let removed = diags_with(&report.diagnostics, "unsafe-html", "vault/Board.canvas");
    assert!(
        removed
            .iter()
            .all(|d| d.span.as_ref().is_some_and(|s| s.line == 13)),
        "{removed:#?}"
    );
    assert!(
        removed
            .iter()
            .any(|d| code(d) == "unsafe-html" && d.message.contains("svg"))
    );
}

/// A hostile canvas (every field of the wrong type, huge numbers, a javascript: URL, markup in
/// labels and ids) gives a page and no panic; nothing of it runs.
#[test]
fn a_hostile_canvas_builds_safely() {
    let json = r##"{"nodes":[
      {"id":"\"><script>alert(1)</script>","type":"link","x":1e308,"y":-1e308,"width":1e308,"height":-4,
       "url":"javascript:alert(1)","color":"red;background:url(x)"},
      {"id":"g","type":"group","label":"<img src=x onerror=alert(2)>","x":"no","y":null},
      {"id":"f","type":"file","file":"]] [[x","subpath":"|y"},
      {"type":"text","text":null}, 7, null,
      {"id":"inc","type":"text","text":"{{#include ../book.toml}}"}
    ],"edges":[{"fromNode":"g","toNode":"g","label":"<b onclick=x>e</b>","color":"#12345678"}, 3]}"##;
    let book = BookTest::new()
        .file("book.toml", "[book]\ntitle = \"H\"\n")
        .file("vault/README.md", "# Start\n\n[[Evil.canvas]]\n")
        .file("vault/Evil.canvas", json);
    book.build();
    let main = book.main_of("evil.canvas.html");
    for bad in [
        "<script",
        "href=\"javascript:",
        "<img src=x",
        "<b onclick",
        "background:url",
    ] {
        assert!(!main.contains(bad), "{bad} survived: {main}");
    }
    assert!(main.contains("vb-canvas-group-label"), "{main}");
    // mdBook's include directive is text, as in a note: no file of the book is read into it.
    assert!(
        main.contains("{{#include ../book.toml}}") && !main.contains("title = "),
        "{main}"
    );
}

/// A text node that leaves a code fence, a `%%` comment, a `<pre>` or a `<div>` open does not
/// take the nodes after it: every node is still drawn, each a box of its own.
#[test]
fn a_text_node_left_open_does_not_swallow_the_rest() {
    let node = |id: &str, x: u32, text: &str| {
        format!(
            r#"{{"id":"{id}","type":"text","x":{x},"y":0,"width":100,"height":100,"text":{}}}"#,
            serde_json::to_string(text).unwrap()
        )
    };
    let nodes = [
        node("a", 0, "one %% open comment"),
        node("b", 200, "```\nfenced open"),
        node("c", 400, "<div>unclosed div"),
        node("d", 600, "<pre>\nopen pre"),
        node("e", 800, "last node"),
    ];
    let json = format!(r#"{{"nodes":[{}]}}"#, nodes.join(","));
    let book = BookTest::new()
        .file("book.toml", "[book]\ntitle = \"O\"\n")
        .file("vault/README.md", "# Start\n\n[[Open.canvas]]\n")
        .file("vault/Open.canvas", json);
    book.build();
    let main = book.main_of("open.canvas.html");
    assert!(main.contains("<p>last node</p>"), "{main}");
    // Every node is a child of the drawing, not of the node before it.
    let drawing = main.split("class=\"vb-canvas\"").nth(1).unwrap();
    let mut depth = 0i32;
    let mut at_top = Vec::new();
    let mut rest = drawing;
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        if rest.starts_with("</div") {
            depth -= 1;
        } else if rest.starts_with("<div") {
            if depth == 0
                && let Some(id) = rest.split("data-node=\"").nth(1)
            {
                at_top.push(id[..id.find('"').unwrap()].to_string());
            }
            depth += 1;
        }
        rest = &rest[1..];
        if depth < 0 {
            break;
        }
    }
    assert_eq!(at_top, ["a", "b", "c", "d", "e"], "{main}");
}
