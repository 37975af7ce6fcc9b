//! The link graph: each page's "Graph" box and the links table its local graph is drawn from
//! (the drawing itself is tested in Chromium, `browser.rs`), the whole-vault graph page,
//! `[vaultbook] graph = false`, escaping of hostile titles, the same bytes on every build, and
//! `check --html` following the graphs' links; asserted on the `graph` fixture's rendered HTML
//! and the data scripts beside it.

use crate::harness::{BookTest, code, problems, read};

/// The `graph` fixture, built.
fn built() -> BookTest {
    let book = BookTest::from_fixture("graph");
    let report = book.build();
    assert!(
        problems(&report.diagnostics).is_empty(),
        "{:#?}",
        report.diagnostics
    );
    book
}

/// The picture a data script of the rendered book holds (JSON string inside a call).
fn picture(book: &BookTest, rel: &str) -> String {
    let script = read(book.join("book").join(rel));
    let args = script
        .trim_end()
        .strip_prefix("window.vbGraph&&vbGraph.add(")
        .and_then(|s| s.strip_suffix(");"))
        .unwrap_or_else(|| panic!("not a graph script: {script}"));
    let (key, markup): (String, String) = serde_json::from_str(&format!("[{args}]")).unwrap();
    assert_eq!(key, rel);
    markup
}

/// The hrefs of a picture, sorted (its attributes are quoted with `'`, which lets the markup
/// stand in its data script unescaped).
fn hrefs(markup: &str) -> Vec<String> {
    let mut out: Vec<String> = markup
        .split("href='")
        .skip(1)
        .map(|s| s[..s.find('\'').unwrap()].to_string())
        .collect();
    out.sort();
    out
}

/// The links table of the rendered book: per note its page, title and neighbours (both ways).
struct Table {
    page: Vec<String>,
    title: Vec<String>,
    adj: Vec<Vec<usize>>,
}

impl Table {
    fn read(book: &BookTest) -> Table {
        #[derive(serde::Deserialize)]
        struct Raw {
            page: Vec<String>,
            title: Vec<String>,
            next: Vec<Vec<usize>>,
        }
        let script = read(book.join("book/vaultbook-graph/links.js"));
        let json = script
            .trim_end()
            .strip_prefix("window.vbGraph&&vbGraph.links(")
            .and_then(|s| s.strip_suffix(");"))
            .unwrap_or_else(|| panic!("not a links table: {script}"));
        let raw: Raw = serde_json::from_str(json).unwrap();
        let mut adj = vec![Vec::new(); raw.page.len()];
        for (i, next) in raw.next.iter().enumerate() {
            let mut at = i;
            for d in next {
                at += d;
                adj[i].push(at);
                adj[at].push(i);
            }
        }
        Table {
            page: raw.page,
            title: raw.title,
            adj,
        }
    }

    /// The pages linked with `page`, sorted.
    fn neighbours(&self, page: &str) -> Vec<&str> {
        let i = self.page.iter().position(|p| p == page).unwrap();
        let mut v: Vec<&str> = self.adj[i].iter().map(|&j| self.page[j].as_str()).collect();
        v.sort();
        v
    }
}

#[test]
fn each_page_names_its_graph_and_the_table_holds_its_links() {
    let book = built();
    let main = book.main_of("alpha.html");
    assert!(
        main.contains(
            "<details class=\"vb-graph\" data-vb-graph=\"/vaultbook-graph/links.js\" data-vb-page=\"alpha\">\n<summary>Graph</summary>\n</details>"
        ),
        "{main}"
    );
    // After the backlinks, the last thing of the page.
    assert!(main.find("vb-backlinks").unwrap() < main.find("vb-graph").unwrap());
    let table = Table::read(&book);
    // Published notes only (Draft is not), in reading order, each with its title.
    assert_eq!(
        table.page,
        [
            "index",
            "deep/delta",
            "alpha",
            "beta",
            "epsilon",
            "evil",
            "gamma",
            "lonely"
        ]
    );
    assert_eq!(table.title[2], "Alpha");
    // Links out (Beta, Gamma: a link and an embed, one line) and in (Home, the hostile
    // title), without direction.
    assert_eq!(
        table.neighbours("alpha"),
        ["beta", "evil", "gamma", "index"]
    );
    assert_eq!(table.neighbours("deep/delta"), ["beta", "epsilon"]);
    assert!(table.neighbours("lonely").is_empty());
    // The page names its page by its path: a page in a folder too.
    assert!(
        book.page("deep/delta.html")
            .contains("data-vb-graph=\"/vaultbook-graph/links.js\" data-vb-page=\"deep/delta\"")
    );
    // The page loads the graph's script and style (names hashed by mdBook).
    let page = book.page("alpha.html");
    assert!(page.contains("src=\"vaultbook-graph-") && page.contains("href=\"vaultbook-graph-"));
    book.assert_links_reach_ids();
}

#[test]
fn a_note_without_links_has_no_graph_box() {
    let book = built();
    assert!(!book.page("lonely.html").contains("vb-graph"));
    // One table for the book, no script per page.
    assert!(!book.join("book/vaultbook-graph/pages").exists());
}

#[test]
fn the_book_has_a_whole_vault_graph_page() {
    let book = built();
    let main = book.main_of("graph.html");
    assert!(main.contains("<h1 id=\"graph\">"), "{main}");
    assert!(main.contains("8 notes, 6 links."), "{main}");
    assert!(
        main.contains(
            "<div class=\"vb-graph-vault\" data-vb-graph=\"/vaultbook-graph/vault.js\"></div>"
        ),
        "{main}"
    );
    // In the sidebar, after the notes.
    let toc = read(book.join("book/toc.html"));
    assert!(toc.contains("graph.html"), "{toc}");
    let vault = picture(&book, "vaultbook-graph/vault.js");
    assert_eq!(
        hrefs(&vault),
        [
            "alpha.html",
            "beta.html",
            "deep/delta.html",
            "epsilon.html",
            "evil.html",
            "gamma.html",
            "index.html",
            "lonely.html"
        ]
    );
    // A small vault labels every note; no note is "here".
    assert_eq!(vault.matches("<text ").count(), 8, "{vault}");
    assert!(!vault.contains("vb-graph-here"));
    book.assert_links_reach_ids();
}

#[test]
fn hostile_titles_are_text_in_every_graph() {
    let book = built();
    let rel = "vaultbook-graph/vault.js";
    let markup = picture(&book, rel);
    assert!(!markup.contains("<img"), "{rel}: {markup}");
    assert!(
        markup.contains("<title>&lt;img src=x onerror=alert(1)&gt;</title>"),
        "{rel}: {markup}"
    );
    // The links table holds titles as JSON strings, read back whole (graph.js makes text
    // nodes of them: see browser.rs).
    let script = read(book.join("book/vaultbook-graph/links.js"));
    assert_eq!(script.matches("vbGraph.links(").count(), 1);
    assert_eq!(Table::read(&book).title[5], "<img src=x onerror=alert(1)>");
}

#[test]
fn the_same_vault_gives_the_same_graph_bytes() {
    let a = built();
    let b = built();
    let files = |book: &BookTest| crate::harness::files(&book.join("book/vaultbook-graph"));
    let (fa, fb) = (files(&a), files(&b));
    assert_eq!(fa.len(), 2, "{:?}", fa.keys());
    assert!(
        fa == fb,
        "the graph data differs between two builds of one vault"
    );
}

#[test]
fn graph_false_leaves_it_all_out() {
    let book = BookTest::from_fixture("graph");
    book.write(
        "book.toml",
        "[book]\ntitle = \"Graph fixture\"\n\n[vaultbook]\nvault = \"vault\"\ngraph = false\n",
    );
    book.build();
    assert!(!book.join("book/graph.html").exists());
    assert!(!book.join("book/vaultbook-graph").exists());
    assert!(!book.join("book/vaultbook-graph.js").exists());
    for (path, html) in book.pages() {
        assert!(
            !html.contains("vb-graph") && !html.contains("vaultbook-graph"),
            "{path:?}"
        );
    }
}

#[test]
fn check_html_follows_the_graphs_links() {
    let book = built();
    let rendered = book.join("book");
    assert!(vaultbook::internals::check_rendered(&rendered).is_empty());
    // A picture's link to a page that is not there is found, in the script that holds it:
    // the vault's, and the links table the local graphs are drawn from.
    for (rel, from, to) in [
        ("vaultbook-graph/vault.js", "beta.html", "nope.html"),
        ("vaultbook-graph/links.js", "\"beta\"", "\"nope\""),
    ] {
        let script = rendered.join(rel);
        let text = read(&script);
        std::fs::write(&script, text.replace(from, to)).unwrap();
        let found = vaultbook::internals::check_rendered(&rendered);
        assert_eq!(found.len(), 1, "{rel}: {found:#?}");
        assert_eq!(code(&found[0]), "broken-html-link");
        assert_eq!(found[0].file.as_deref(), Some(std::path::Path::new(rel)));
        std::fs::write(&script, text).unwrap();
    }
    let script = rendered.join("vaultbook-graph/links.js");
    // And a page naming a script that is missing.
    std::fs::remove_file(&script).unwrap();
    let found = vaultbook::internals::check_rendered(&rendered);
    let files: Vec<_> = found.iter().map(|d| d.file.clone().unwrap()).collect();
    assert!(
        files
            .iter()
            .any(|f| f == std::path::Path::new("alpha.html")),
        "{found:#?}"
    );
}
