//! Builds fixture vaults into temporary directories and checks the emitted markdown and the
//! rendered HTML: every link form lands where it should, and every internal link of the rendered
//! book reaches an existing page and id.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use vaultbook::{Config, Severity};
use vaultbook::{Driver, Options, Report};

fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

fn fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
        dir.path(),
    );
    dir
}

fn no_run() -> Options {
    Options {
        run_snippets: false,
        ..Options::default()
    }
}

fn build(root: &Path) -> Report {
    let config = Config::load(root).unwrap();
    Driver::new(config.clone(), no_run()).build().unwrap()
}

fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path.as_ref())
        .unwrap_or_else(|e| panic!("{}: {e}", path.as_ref().display()))
}

fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(dir).unwrap().to_path_buf(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// The HTML of a page with `<code>` and `<pre>` contents removed.
fn prose(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find("<code") {
        out.push_str(&rest[..i]);
        match rest[i..].find("</code>") {
            Some(j) => rest = &rest[i + j + 7..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn every_link_form_lands_on_its_target() {
    let dir = fixture("links");
    build(dir.path());
    let md = read(dir.path().join("target/vaultbook/book-src/src/links.md"));
    for expected in [
        "[Utils](utils.md)",
        "[the utils](utils.md)",
        "[execution](utils.md#execution)",
        "(utils.md#what-is-a-process)",
        "[Utils &gt; what is a process](utils.md#what-is-a-process)",
        "(utils.md#child-1)",
        "[Utils &gt; Duplicate](utils.md#duplicate)",
        "(utils.md#café-au-lait-quotes--and-dashes)",
        "(utils.md#^exec-para)",
        "(utils.md#^item-id)",
        "(utils.md#^table-id)",
        "[Local heading](#local-heading)",
        "[^own-block](#^own-block)",
        "[folder/Note](folder/note.md)",
        "[Glossary](utils.md)",
        "[Café](caf%C3%A9.md)",
        "[t](my-note.md)",
        "[u](my-note.md#spaced-heading)",
        "[v](folder/note.md)",
        "<img src=\"images/pic-one.png\" alt=\"pic one.png\" width=\"120\">",
        "| pipe | [the GIL](utils.md#gil) |",
        "`[[Utils]]`",
        "```text\n[[Utils#GIL]]\n```",
        "<span class=\"vb-broken-link\" title=\"Broken link: Nowhere\">Nowhere</span>",
        "Unpublished Draft.",
        "<a id=\"^own-block\"></a>Own paragraph.",
    ] {
        assert!(md.contains(expected), "links.md lacks {expected:?}:\n{md}");
    }
    // The ids the links name exist in the rendered pages.
    let utils = read(dir.path().join("book/utils.html"));
    for id in [
        "execution",
        "what-is-a-process",
        "duplicate",
        "duplicate-1",
        "child",
        "child-1",
        "café-au-lait-quotes--and-dashes",
        "^exec-para",
        "^item-id",
        "^table-id",
    ] {
        assert!(
            utils.contains(&format!("id=\"{id}\"")),
            "utils.html lacks id {id}"
        );
    }
    assert!(dir.path().join("book/images/pic-one.png").is_file());
}

#[test]
fn rendered_links_all_reach_an_existing_page_and_id() {
    let dir = fixture("links");
    build(dir.path());
    let problems = vaultbook::htmlcheck::check_rendered(&dir.path().join("book"));
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn no_wikilink_syntax_leaks_into_prose() {
    let dir = fixture("links");
    build(dir.path());
    for (path, bytes) in files(&dir.path().join("book")) {
        if path.extension().is_some_and(|e| e == "html") {
            let html = String::from_utf8(bytes).unwrap();
            assert!(
                !prose(&html).contains("[["),
                "{} shows `[[` outside code",
                path.display()
            );
        }
    }
}

#[test]
fn broken_links_are_reported_with_file_line_and_column() {
    let dir = fixture("links");
    let report = build(dir.path());
    let found: Vec<String> = report
        .diagnostics
        .iter()
        .filter(|d| d.severity != Severity::Info)
        .map(|d| d.one_line())
        .collect();
    for expected in [
        "vault/Links.md:23:8: error[broken-link]: no note named `Nowhere` in the vault",
        "vault/Links.md:23:24: error[missing-heading]: `Utils.md` has no heading `Executoin`",
        "vault/Links.md:23:48: error[missing-block]: `Utils.md` has no block `^nope`",
        "vault/Links.md:24:13: warning[unpublished-link]: `Draft.md` is left out of the book (`publish: false`)",
    ] {
        assert!(
            found.iter().any(|f| f == expected),
            "missing {expected:?} in {found:#?}"
        );
    }
    assert!(
        found
            .iter()
            .any(|f| f.starts_with("vault/Bad frontmatter.md:2:")
                && f.contains("malformed-frontmatter")),
        "{found:#?}"
    );
    let heading = report
        .diagnostics
        .iter()
        .find(|d| d.code == "missing-heading")
        .unwrap();
    let help = heading.help.as_deref().unwrap_or("");
    assert!(
        help.contains("`Execution`"),
        "a missing heading suggests near ones: {help}"
    );
}

#[test]
fn notes_resolve_in_their_own_folder_first() {
    let dir = fixture("links");
    let report = build(dir.path());
    let linker = read(
        dir.path()
            .join("target/vaultbook/book-src/src/folder/linker.md"),
    );
    assert!(linker.contains("[Note](note.md)"), "{linker}");
    assert!(
        linker.contains("[other/Note](../other/note.md)"),
        "{linker}"
    );
    // From the vault root, `[[Note]]` has no folder to prefer: it is ambiguous.
    assert!(
        !report.diagnostics.iter().any(|d| d.code == "ambiguous-link"
            && d.file.as_deref() == Some(Path::new("vault/folder/Linker.md")))
    );
}

#[test]
fn unpublished_and_broken_notes() {
    let dir = fixture("links");
    build(dir.path());
    let src = dir.path().join("target/vaultbook/book-src/src");
    let summary = read(src.join("SUMMARY.md"));
    assert!(!summary.contains("Draft"), "{summary}");
    assert!(!src.join("draft.md").exists());
    // A note with malformed frontmatter is still built, frontmatter stripped.
    let bad = read(src.join("bad-frontmatter.md"));
    assert!(bad.starts_with("# Still built"), "{bad}");
    // The start note opens the book as its index page; frontmatter titles and order apply.
    assert!(summary.contains("[Welcome](index.md)"), "{summary}");
    assert!(summary.contains("- [Definitions](utils.md)"), "{summary}");
    assert!(dir.path().join("book/index.html").is_file());
}

#[test]
fn emit_is_deterministic_and_stands_alone() {
    let dir = fixture("links");
    let config = Config::load(dir.path()).unwrap();
    let a = dir.path().join("out-a");
    let b = dir.path().join("out-b");
    Driver::new(config.clone(), no_run()).emit(&a).unwrap();
    Driver::new(config.clone(), no_run()).emit(&b).unwrap();
    assert_eq!(files(&a), files(&b));
    let toml = read(a.join("book.toml"));
    assert!(!toml.contains("vaultbook]"), "{toml}");
    // Build the emitted tree the way a stock `mdbook build` does.
    let book = mdbook_driver::MDBook::load(&a).unwrap();
    book.build().unwrap();
    assert!(a.join("book/links.html").is_file());
    let problems = vaultbook::htmlcheck::check_rendered(&a.join("book"));
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn output_directories_are_vaultbooks_alone() {
    let dir = fixture("links");
    let config = Config::load(dir.path()).unwrap();
    // A directory holding someone else's files is not replaced, and nothing in it is touched.
    let foreign = dir.path().join("theirs");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("keep.txt"), "mine").unwrap();
    let err = Driver::new(config.clone(), no_run())
        .emit(&foreign)
        .unwrap_err();
    assert!(err.to_string().contains("did not write"), "{err}");
    assert_eq!(read(foreign.join("keep.txt")), "mine");
    // The vault, or a folder inside it, is refused.
    assert!(
        Driver::new(config.clone(), no_run())
            .emit(&dir.path().join("vault"))
            .is_err()
    );
    assert!(
        Driver::new(config.clone(), no_run())
            .emit(&dir.path().join("vault/out"))
            .is_err()
    );
    assert!(
        Driver::new(config.clone(), no_run())
            .emit(dir.path())
            .is_err()
    );
    // Our own output is replaced as a whole, stale files included.
    let ours = dir.path().join("ours");
    Driver::new(config.clone(), no_run()).emit(&ours).unwrap();
    std::fs::remove_file(dir.path().join("vault/My Note.md")).unwrap();
    Driver::new(config.clone(), no_run()).emit(&ours).unwrap();
    assert!(!ours.join("src/my-note.md").exists());
}

#[test]
fn nothing_is_written_into_the_vault() {
    let dir = fixture("links");
    let before = files(&dir.path().join("vault"));
    build(dir.path());
    assert_eq!(before, files(&dir.path().join("vault")));
}

/// The built book has mdBook's search: the box, the index, and hits that land on real ids.
#[test]
fn the_book_has_search_and_its_hits_land() {
    let dir = fixture("links");
    build(dir.path());
    let book = dir.path().join("book");
    let index: Vec<String> = std::fs::read_dir(&book)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("searchindex") && n.ends_with(".js"))
        .collect();
    assert_eq!(index.len(), 1, "no search index in {}", book.display());
    let text = read(book.join(&index[0]));
    assert!(
        text.contains("doc_urls"),
        "{}",
        &text[..text.len().min(200)]
    );
    let page = read(book.join("index.html"));
    assert!(page.contains("mdbook-search-toggle") || page.contains("search-toggle"));
    let problems = vaultbook::htmlcheck::check_rendered(&book);
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Titles taken from a note's first heading are shown as text (a wikilink's label, code
/// without backticks) in `<title>` and the sidebar; a template placeholder gives the file name.
#[test]
fn titles_from_headings_are_text() {
    let dir = fixture("titles");
    build(dir.path());
    let book = dir.path().join("book");
    let title = |page: &str| {
        let html = read(book.join(page));
        let start = html.find("<title>").unwrap() + "<title>".len();
        let end = html[start..].find("</title>").unwrap() + start;
        html[start..end].to_string()
    };
    assert_eq!(title("intro.html"), "Intro to Dataview Plugin - Titles");
    assert_eq!(title("template.html"), "Template - Titles");
    assert_eq!(title("arc.html"), "The Arc type - Titles");
    assert_eq!(title("numbered.html"), "1. Getting started - Titles");
    let toc = read(book.join("toc.html"));
    for raw in ["{{title}}", "[[", "`Arc`", "&#96;"] {
        assert!(!toc.contains(raw), "the sidebar shows {raw:?}: {toc}");
    }
    assert!(toc.contains("Intro to Dataview Plugin"), "{toc}");
}

/// `Setup.md` and `setup.md` (a case-sensitive file system allows both): both are published at
/// distinct URLs, a link whose case matches one goes there, and every such link is reported as
/// ambiguous; notes sharing an alias are reported as that.
#[test]
fn names_that_differ_only_in_case_are_reported_and_both_published() {
    let dir = fixture("case");
    let report = build(dir.path());
    let book = dir.path().join("book");
    let upper = read(book.join("setup.html"));
    let lower = read(book.join("setup-1.html"));
    assert!(upper.contains("Setup upper") && lower.contains("setup lower"));
    let start = read(book.join("index.html"));
    let main = &start[start.find("<main").unwrap()..];
    let hrefs: Vec<&str> = main
        .split("href=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .filter(|h| !h.starts_with('#'))
        .collect();
    assert_eq!(
        &hrefs[..3],
        ["setup.html", "setup-1.html#two", "setup.html"],
        "{hrefs:?}"
    );
    let ambiguous: Vec<&str> = report
        .diagnostics
        .iter()
        .filter(|d| d.code == "ambiguous-link")
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        ambiguous
            .iter()
            .filter(|m| m.contains("differ only in letter case"))
            .count(),
        3,
        "{ambiguous:#?}"
    );
    assert!(
        ambiguous
            .iter()
            .any(|m| m.contains("have the alias `Shared`")),
        "{ambiguous:#?}"
    );
}

/// A link to an Obsidian canvas (`Board.canvas`, an extension longer than most) reaches the
/// file instead of being a broken link to a note of that name.
#[test]
fn a_link_to_a_canvas_reaches_the_file() {
    let dir = fixture("canvas");
    let report = build(dir.path());
    let errors: Vec<String> = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.one_line())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let page = read(dir.path().join("book/index.html"));
    assert!(
        page.contains(r#"href="Board.canvas""#) || page.contains(r#"href="board.canvas""#),
        "{page}"
    );
    let problems = vaultbook::htmlcheck::check_rendered(&dir.path().join("book"));
    assert!(problems.is_empty(), "{problems:#?}");
}
