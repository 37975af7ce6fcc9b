//! `htmlcheck::check_rendered` over books rendered by mdBook 0.5 (through mdbook-driver) and over
//! hand-written pages.

use std::path::PathBuf;

use vaultbook::Diagnostic;
use vaultbook::internals::check_rendered;

use crate::harness::{self, BookTest, code};

/// (file, code, message, help) of each diagnostic.
fn summary(diags: &[Diagnostic]) -> Vec<(String, String, String, Option<String>)> {
    diags
        .iter()
        .map(|d| {
            (
                d.file
                    .as_deref()
                    .map(|f| f.display().to_string())
                    .unwrap_or_default(),
                code(d).to_string(),
                d.message.clone(),
                d.help.clone(),
            )
        })
        .collect()
}

fn row(
    file: &str,
    code: &str,
    message: &str,
    help: Option<&str>,
) -> (String, String, String, Option<String>) {
    (
        file.into(),
        code.into(),
        message.into(),
        help.map(Into::into),
    )
}

#[test]
fn a_rendered_book_reports_exactly_its_broken_links() {
    let tmp = BookTest::from_fixture("check_html");
    harness::mdbook_build(tmp.path());
    let out = tmp.path().join("book");
    let diags = check_rendered(&out);
    assert_eq!(
        summary(&diags),
        [
            row(
                "intro.html",
                "missing-html-anchor",
                "`sub/other.html#nope`: `sub/other.html` has no element with id `nope`",
                None,
            ),
            row(
                "intro.html",
                "broken-html-link",
                "`missing.html` points to `missing.html`, which does not exist",
                None,
            ),
            row(
                "intro.html",
                "missing-html-anchor",
                "`#not-here`: `intro.html` has no element with id `not-here`",
                None,
            ),
            row(
                "intro.html",
                "broken-html-link",
                "`missing.png` points to `missing.png`, which does not exist",
                None,
            ),
            row(
                "intro.html",
                "missing-html-anchor",
                "`sub/other.html#Part-Two`: `sub/other.html` has no element with id `Part-Two`",
                Some("did you mean `#part-two`?"),
            ),
            row(
                "intro.html",
                "broken-html-link",
                "`../outside.html` points outside the book",
                None,
            ),
            row(
                "sub/other.html",
                "missing-html-anchor",
                "`../intro.html#cafe-uber`: `intro.html` has no element with id `cafe-uber`",
                Some("did you mean `#café-über`?"),
            ),
            row(
                "sub/other.html",
                "missing-html-anchor",
                "`../intro.html#helo-world`: `intro.html` has no element with id `helo-world`",
                Some("did you mean `#hello-world`?"),
            ),
        ]
    );
    // Each diagnostic points at the line of its link, and the span covers the link as written.
    for d in &diags {
        let page = std::fs::read_to_string(out.join(d.file.as_ref().unwrap())).unwrap();
        let span = d.span.expect("a span");
        let href = d.message.split('`').nth(1).unwrap();
        assert_eq!(&page[span.start..span.end], href, "{d:?}");
    }
}

#[test]
fn a_book_without_problems_checks_clean() {
    let tmp = BookTest::from_fixture("check_html");
    // Remove the planted problems: keep only the "Good:" paragraphs.
    for chapter in ["src/intro.md", "src/sub/other.md"] {
        let path = tmp.path().join(chapter);
        let text = std::fs::read_to_string(&path).unwrap();
        let good: String = text
            .split("\n\n")
            .filter(|p| !p.starts_with("Bad:") && !p.starts_with("Raw:"))
            .collect::<Vec<_>>()
            .join("\n\n");
        std::fs::write(&path, good).unwrap();
    }
    harness::mdbook_build(tmp.path());
    assert_eq!(summary(&check_rendered(&tmp.path().join("book"))), []);
}

/// Writes `pages` (name, HTML) into a fresh directory.
fn site(pages: &[(&str, &str)]) -> BookTest {
    pages
        .iter()
        .fold(BookTest::new(), |site, (name, html)| site.file(name, html))
}

#[test]
fn copies_in_print_and_index_are_reported_once_but_their_own_failures_are_kept() {
    // index.html and print.html repeat intro.html's `#gone` and sub/a.html's missing page (from
    // the root, where `../nope.html` reads `nope.html`); only print.html's own failure is new.
    let tmp = site(&[
        ("index.html", r##"<a href="#gone">x</a>"##),
        (
            "intro.html",
            r##"<h1 id="intro"></h1><a href="#gone">x</a>"##,
        ),
        ("sub/a.html", r##"<a href="../nope.html">x</a>"##),
        (
            "print.html",
            r##"<h1 id="intro"></h1><a href="#gone">copy</a>
<a href="nope.html">copy</a>
<a href="#only-in-print">own</a>"##,
        ),
    ]);
    let diags = check_rendered(tmp.path());
    let got: Vec<(String, usize, String)> = diags
        .iter()
        .map(|d| {
            (
                d.file.as_ref().unwrap().display().to_string(),
                d.span.unwrap().line,
                code(d).to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "intro.html".to_string(),
                1,
                "missing-html-anchor".to_string()
            ),
            (
                "print.html".to_string(),
                3,
                "missing-html-anchor".to_string()
            ),
            ("sub/a.html".to_string(), 1, "broken-html-link".to_string()),
        ]
    );
}

#[test]
fn resolution_rules() {
    let tmp = site(&[
        (
            "a.html",
            r##"<html><head><link rel="stylesheet" href="css/x.css"><script src="js/x.js"></script></head>
<body><h2 id="café">C</h2><p id="with space"></p>
<a href="b%20c.html#caf%C3%A9">ok encoded</a>
<a href="dir/">ok dir</a> <a href="dir">ok dir no slash</a> <a href="./">ok root</a>
<a href="/a.html#with%20space">ok root-relative</a> <a href="a.html?q=1#top">ok top</a>
<a href="#:~:text=hello">ok text fragment</a> <a href="img.svg#icon">ok non-html fragment</a>
<a href="HTTPS://example.com">ext</a> <a href="//cdn.example.com/x.js">ext</a>
<a href="tel:123">ext</a> <img src="data:image/png;base64,AA">
<img srcset="img.svg 1x, missing@2x.svg 2x">
<a href="empty/">no index</a>
<a href="B%20c.html">case</a>
<a href="a.html#Café">case</a>
<a href=" a.h
tml#caf%C3%A9 ">ok split over lines</a>
</body></html>"##,
        ),
        (
            "b c.html",
            r##"<p id="café">linked from <a href="a.html#caf%C3%A9">a</a></p>"##,
        ),
        ("dir/index.html", r##"<a href="../a.html">up</a>"##),
        ("index.html", r##"<a href="a.html">a</a>"##),
        (
            "404.html",
            r##"<base href="/book/"><a href="a.html">a</a> <a href="/book/dir/">d</a> <a href="css/x.css">c</a>"##,
        ),
        ("css/x.css", ""),
        ("js/x.js", ""),
        ("img.svg", ""),
        ("empty/.keep", ""),
    ]);
    let diags = check_rendered(tmp.path());
    let got: Vec<(usize, &str, &str)> = diags
        .iter()
        .map(|d| (d.span.unwrap().line, code(d), d.message.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                9,
                "broken-html-link",
                "`missing@2x.svg` points to `missing@2x.svg`, which does not exist"
            ),
            (
                10,
                "broken-html-link",
                "`empty/` points to `empty/index.html`, which does not exist"
            ),
            (
                11,
                "broken-html-link",
                "`B%20c.html` points to `B c.html`, which does not exist"
            ),
            (
                12,
                "missing-html-anchor",
                "`a.html#Café`: `a.html` has no element with id `Café`"
            ),
        ]
    );
    assert!(
        diags
            .iter()
            .all(|d| d.file == Some(PathBuf::from("a.html")))
    );
}

#[test]
fn root_relative_links_follow_the_site_url_of_404_html() {
    // mdBook writes `site-url` only into 404.html's <base>; other pages link root-relative
    // through it.
    let tmp = site(&[
        (
            "404.html",
            r##"<base href="/book/"><a href="a.html">a</a>"##,
        ),
        (
            "a.html",
            r##"<a href="/book/a.html">ok</a> <a href="/book/">ok</a> <a href="/book">ok</a>
<a href="/a.html">ok without the prefix</a>
<a href="/bookstore/x.html">bad</a>"##,
        ),
        ("index.html", ""),
    ]);
    let diags = check_rendered(tmp.path());
    let got: Vec<(usize, &str)> = diags
        .iter()
        .map(|d| (d.span.unwrap().line, d.message.as_str()))
        .collect();
    assert_eq!(
        got,
        [(
            3,
            "`/bookstore/x.html` points to `bookstore/x.html`, which does not exist"
        )]
    );
}

#[test]
fn a_missing_output_dir_is_a_read_error() {
    let tmp = BookTest::new();
    let diags = check_rendered(&tmp.path().join("book"));
    assert_eq!(diags.len(), 1);
    assert_eq!(code(&diags[0]), "read-error");
}

#[test]
fn many_pages_are_checked_in_parallel() {
    let tmp = BookTest::new();
    let n = 1500;
    for i in 0..n {
        let mut html = format!("<h1 id=\"p{i}\">P</h1>\n");
        for j in 0..40 {
            let k = (i * 7 + j) % n;
            html.push_str(&format!(
                "<p id=\"s{j}\"><a href=\"p{k}.html#s{j}\">l</a></p>\n"
            ));
        }
        if i == 1234 {
            html.push_str("<a href=\"p1.html#s99\">bad</a>\n");
        }
        std::fs::write(tmp.path().join(format!("p{i}.html")), html).unwrap();
    }
    let start = std::time::Instant::now();
    let diags = check_rendered(tmp.path());
    let elapsed = start.elapsed();
    assert_eq!(summary(&diags).len(), 1);
    assert_eq!(diags[0].file, Some(PathBuf::from("p1234.html")));
    // 1,500 pages, 60,000 links: well under a second in release; generous for debug builds.
    assert!(elapsed < std::time::Duration::from_secs(20), "{elapsed:?}");
}

/// Search hits are links too: each `doc_urls` entry of mdBook's index must reach a page and an id.
#[test]
fn search_hits_that_lead_nowhere_are_reported() {
    let index = r#"window.search = Object.assign(window.search, JSON.parse('{"doc_urls":["a.html#here","a.html#gone","nope.html","it\'s.html"],"index":{}}'));"#;
    let tmp = site(&[
        ("a.html", r#"<h1 id="here">A</h1>"#),
        ("it's.html", "<p>quote</p>"),
        ("searchindex-0123abcd.js", index),
    ]);
    let diags = check_rendered(tmp.path());
    let found: Vec<(String, String)> = summary(&diags)
        .into_iter()
        .map(|(file, code, message, _)| (format!("{file} {code}"), message))
        .collect();
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(
        found
            .iter()
            .all(|(f, _)| f.starts_with("searchindex-0123abcd.js "))
    );
    assert!(
        found.iter().any(|(_, m)| m.contains("`a.html#gone`")),
        "{found:#?}"
    );
    assert!(
        found.iter().any(|(_, m)| m.contains("`nope.html`")),
        "{found:#?}"
    );
}

/// Pagefind's hits are links too: each fragment's page URL and anchors must reach a page and an
/// id (the fragments are written as Pagefind writes them: gzip of `pagefind_dcd` and JSON).
#[test]
fn chunked_search_hits_that_lead_nowhere_are_reported() {
    use std::io::Write;
    let tmp = site(&[("a.html", r#"<h1 id="here">A</h1>"#)]);
    let frag = tmp.path().join("pagefind/fragment");
    std::fs::create_dir_all(&frag).unwrap();
    for (name, json) in [
        (
            "en_1.pf_fragment",
            r#"{"url":"/a.html","anchors":[{"id":"here"},{"id":"gone"}]}"#,
        ),
        ("en_2.pf_fragment", r#"{"url":"/nope.html","content":"x"}"#),
    ] {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"pagefind_dcd").unwrap();
        gz.write_all(json.as_bytes()).unwrap();
        std::fs::write(frag.join(name), gz.finish().unwrap()).unwrap();
    }
    let diags = check_rendered(tmp.path());
    let found: Vec<String> = summary(&diags).into_iter().map(|(_, _, m, _)| m).collect();
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(
        found.iter().any(|m| m.contains("`a.html#gone`")),
        "{found:#?}"
    );
    assert!(
        found.iter().any(|m| m.contains("`nope.html`")),
        "{found:#?}"
    );
}
