//! `vaultbook preprocessor` inside an ordinary mdBook: the book rendered by mdBook itself
//! (mdbook-driver, which runs the built binary as book.toml's command, as `mdbook build`
//! does), the protocol spoken to the binary directly, and books that try to escape.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use mdbook_preprocessor::PreprocessorContext;
use mdbook_preprocessor::book::{Book, BookItem, Chapter};
use vaultbook::internals::check_rendered;

use crate::harness::{self, BIN, Run, read, write};

/// An mdBook at a new temporary root: book.toml running vaultbook (with `extra` in its table)
/// and `files` under the root.
fn mdbook(extra: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path().join("book.toml"),
        format!(
            "[book]\ntitle = \"An mdBook\"\n\n[preprocessor.vaultbook]\ncommand = \"{BIN} \
             preprocessor --no-run\"\n{extra}\n"
        ),
    );
    for (rel, text) in files {
        write(dir.path().join(rel), text);
    }
    dir
}

/// The book of the tests: wikilinks to headings with markup, to a block, to a chapter in a
/// folder with a space in its name, an embedded section, a callout, an image, a broken link.
fn sample() -> tempfile::TempDir {
    mdbook(
        "",
        &[
            (
                "src/SUMMARY.md",
                "# Summary\n\n[Introduction](README.md)\n\n- [Utilities](Utils.md)\n\
                 - [Getting started](<guide/Getting Started.md>)\n  - [A note](guide/Note.md)\n\
                 - [Broken](broken.md)\n",
            ),
            (
                "src/README.md",
                "# Introduction\n\nSee [[Utils#What is a **Process**?]], [[Note#^block|the block]] \
                 and [[Getting Started|the guide]].\n\n![[Utils#Threads]]\n\n\
                 > [!tip] Remember\n> Callouts are boxes.\n\n![[images/pic one.png|40]]\n",
            ),
            (
                "src/Utils.md",
                "# Utils\n\n## What is a **Process**?\n\nA process.\n\n## Threads\n\n\
                 Threads share memory.\n\n## After\n\nNot embedded.\n",
            ),
            (
                "src/guide/Getting Started.md",
                "# Getting started\n\nBack to [[README|the start]], down to [[#Local]].\n\n\
                 ## Local\n\nHere.\n",
            ),
            (
                "src/guide/Note.md",
                "# Note\n\nA paragraph to reach. ^block\n",
            ),
            (
                "src/broken.md",
                "# Broken\n\nThis links [[Nowhere]] and [[Utils#No such heading]].\n\n\
                 The rest of the page is here.\n",
            ),
            ("src/images/pic one.png", "not really a png"),
        ],
    )
}

/// Renders the book with mdBook (through mdbook-driver), into `book/`.
fn render(root: &Path) -> std::path::PathBuf {
    harness::mdbook_build(root);
    root.join("book")
}

/// The `[context, book]` mdBook would send for the book at `root`, for `renderer`.
fn input(root: &Path, renderer: &str) -> Vec<u8> {
    let md = mdbook_driver::MDBook::load(root).unwrap();
    let ctx = PreprocessorContext::new(root.to_path_buf(), md.config.clone(), renderer.into());
    serde_json::to_vec(&(&ctx, &md.book)).unwrap()
}

/// Runs `vaultbook preprocessor ARGS` with `stdin`, as mdBook runs it (from the book root).
fn preprocess(root: &Path, args: &[&str], stdin: &[u8]) -> Run {
    let mut child = Command::new(BIN)
        .arg("preprocessor")
        .args(args)
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    Run {
        output: child.wait_with_output().unwrap(),
    }
}

/// The chapters of a book, in SUMMARY order.
fn chapters(book: &Book) -> Vec<&Chapter> {
    book.chapters().collect()
}

#[test]
fn preprocessor_resolves_links_to_the_ids_mdbook_gives() {
    let dir = sample();
    let out = render(dir.path());
    let problems = check_rendered(&out);
    assert!(problems.is_empty(), "{problems:#?}");
    let intro = harness::main_of(&read(out.join("index.html"))).to_string();
    for want in [
        "href=\"Utils.html#what-is-a-process\"",
        "href=\"guide/Note.html#^block\">the block</a>",
        "href=\"guide/Getting%20Started.html\">the guide</a>",
        "Threads share memory.",
        "class=\"callout\" data-callout=\"tip\"",
        "src=\"images/pic%20one.png\"",
        "width=\"40\"",
        // Its stylesheet comes with the page that needs it.
        ".callout",
    ] {
        assert!(intro.contains(want), "{want} in\n{intro}");
    }
    assert!(
        !intro.contains("Not embedded."),
        "only the section is embedded"
    );
    assert!(!intro.contains("[["), "no wikilink left:\n{intro}");
    let guide = read(out.join("guide/Getting Started.html"));
    assert!(
        guide.contains("href=\"../index.html\">the start</a>"),
        "{guide}"
    );
    assert!(guide.contains("href=\"#local\""), "{guide}");
    let note = read(out.join("guide/Note.html"));
    assert!(note.contains("id=\"^block\""), "{note}");
    // The rest of the book builds around a broken link.
    let broken = read(out.join("broken.html"));
    assert!(broken.contains("vb-broken-link"), "{broken}");
    assert!(broken.contains("The rest of the page is here."));
    // A chapter with nothing of Obsidian's is handed back as written: no stylesheet.
    let sidebar_title = harness::main_of(&read(out.join("Utils.html"))).to_string();
    assert!(!sidebar_title.contains("<style>"), "{sidebar_title}");
}

#[test]
fn preprocessor_reports_on_stderr_with_the_chapter_and_its_line() {
    let dir = sample();
    let run = preprocess(dir.path(), &[], &input(dir.path(), "html"));
    run.assert_ok();
    let err = run.stderr();
    assert!(
        err.contains(
            "error[broken-link]: no note named `Nowhere` in the vault\n  --> src/broken.md:3:12\n"
        ),
        "{err}"
    );
    assert!(
        err.contains("error[missing-heading]: `Utils.md` has no heading `No such heading`\n  --> src/broken.md:3:28\n"),
        "{err}"
    );
    // The format of `vaultbook check`: the source line, underlined.
    assert!(err.contains("This links [[Nowhere]]"), "{err}");
    let book: Book = serde_json::from_str(&run.stdout()).unwrap();
    let texts: Vec<&str> = chapters(&book).iter().map(|c| c.content.as_str()).collect();
    assert_eq!(texts.len(), 5);
    assert!(texts[4].contains("The rest of the page is here."));
    assert!(
        texts[0].contains("[the guide](guide/Getting%20Started.md)"),
        "{}",
        texts[0]
    );

    // GitHub's format for CI, and `-q` keeps errors alone.
    let run = preprocess(
        dir.path(),
        &["--format", "github"],
        &input(dir.path(), "html"),
    );
    assert!(
        run.stderr().contains("::error file=src/broken.md,line=3,"),
        "{}",
        run.stderr()
    );
}

#[test]
fn preprocessor_answers_supports() {
    let dir = sample();
    let ok = Run::of(Command::new(BIN).args(["preprocessor", "supports", "html"]));
    assert_eq!(ok.code(), Some(0));
    let md = Run::of(Command::new(BIN).args(["preprocessor", "supports", "markdown"]));
    assert_eq!(md.code(), Some(0));
    let epub = Run::of(
        Command::new(BIN)
            .args(["preprocessor", "supports", "epub"])
            .current_dir(dir.path()),
    );
    assert_eq!(epub.code(), Some(1));
    assert!(
        epub.stderr().contains("renderers = [\"html\", \"epub\"]"),
        "{}",
        epub.stderr()
    );
}

#[test]
fn preprocessor_for_markdown_adds_no_stylesheet() {
    let dir = sample();
    let run = preprocess(dir.path(), &["-q"], &input(dir.path(), "markdown"));
    run.assert_ok();
    assert!(!run.stdout().contains("<style>"));
    assert!(run.stdout().contains("class=\\\"callout\\\""));
    assert!(run.stderr().contains("broken-link"), "-q shows errors");
}

#[test]
fn preprocessor_fails_only_on_what_it_cannot_read() {
    let dir = sample();
    let run = preprocess(dir.path(), &[], b"not json");
    assert_eq!(run.code(), Some(2));
    assert!(
        run.stderr().contains("cannot read the book"),
        "{}",
        run.stderr()
    );
    // A key that means nothing here is a configuration error, named.
    let dir = mdbook(
        "vault = \"notes\"",
        &[("src/SUMMARY.md", "- [A](a.md)\n"), ("src/a.md", "# A\n")],
    );
    let run = preprocess(dir.path(), &[], &input(dir.path(), "html"));
    assert_eq!(run.code(), Some(2));
    assert!(
        run.stderr().contains("unknown key `vault`"),
        "{}",
        run.stderr()
    );
}

#[test]
fn preprocessor_keeps_chapters_inside_src_and_their_html_safe() {
    let dir = mdbook(
        "",
        &[
            (
                "src/SUMMARY.md",
                "- [A](a.md)\n- [Outside](../outside.md)\n",
            ),
            (
                "src/a.md",
                "# A\n\n<script>alert(1)</script><img src=x onerror=\"alert(2)\">\n\n\
                 [[outside]] ![[../secret.txt]] ![[/etc/passwd]]\n\n[x](javascript:alert(3))\n\n\
                 ```text\n\\{{#include ../secret.txt}}\n```\n",
            ),
            ("outside.md", "# Outside\n\n[[a]]\n"),
            ("secret.txt", "TOP SECRET"),
        ],
    );
    let run = preprocess(dir.path(), &[], &input(dir.path(), "html"));
    run.assert_ok();
    let err = run.stderr();
    assert!(
        err.contains("warning[skipped-chapter]: this chapter's file is outside src/"),
        "{err}"
    );
    assert!(err.contains("--> src/../outside.md"), "{err}");
    assert!(err.contains("warning[unsafe-html]"), "{err}");
    let book: Book = serde_json::from_str(&run.stdout()).unwrap();
    let outside = chapters(&book)[1];
    assert_eq!(
        outside.content, "# Outside\n\n[[a]]\n",
        "left as mdBook gave it"
    );

    let out = render(dir.path());
    let a = harness::main_of(&read(out.join("a.html"))).to_string();
    assert!(
        !a.contains("alert(1)") && !a.contains("onerror") && !a.contains("javascript:"),
        "{a}"
    );
    assert!(!a.contains("TOP SECRET"), "{a}");
    // The author's escaped include is shown as written, without a backslash of ours.
    assert!(a.contains("{{#include ../secret.txt}}"), "{a}");
    assert!(!a.contains("\\{{#include"), "{a}");
    // The chapter outside src/ is no note: the link to it is broken.
    assert!(a.contains("vb-broken-link"), "{a}");
}

#[test]
fn preprocessor_takes_hostile_chapter_paths_from_the_protocol() {
    // mdBook would not send these, but a preprocessor before vaultbook may.
    let dir = mdbook("", &[("src/SUMMARY.md", "")]);
    let md = mdbook_driver::MDBook::load(dir.path()).unwrap();
    let ctx = PreprocessorContext::new(dir.path().to_path_buf(), md.config.clone(), "html".into());
    let mut book = Book::new();
    for (path, text) in [
        ("ok.md", "# Ok\n\n[[x]] [[etc/passwd]]\n"),
        ("../x.md", "# X\n"),
        ("/etc/passwd", "root:x:0:0\n"),
        ("ok.md", "# Twice\n\n[[ok]]\n"),
    ] {
        book.push_item(BookItem::Chapter(Chapter::new(
            "c",
            text.into(),
            path,
            Vec::new(),
        )));
    }
    let stdin = serde_json::to_vec(&(&ctx, &book)).unwrap();
    let run = preprocess(dir.path(), &[], &stdin);
    run.assert_ok();
    let err = run.stderr();
    assert_eq!(err.matches("warning[skipped-chapter]").count(), 3, "{err}");
    let back: Book = serde_json::from_str(&run.stdout()).unwrap();
    let texts: Vec<&str> = chapters(&back).iter().map(|c| c.content.as_str()).collect();
    assert_eq!(
        &texts[1..],
        ["# X\n", "root:x:0:0\n", "# Twice\n\n[[ok]]\n"]
    );
    assert!(texts[0].contains("vb-broken-link"), "{}", texts[0]);
}

#[test]
fn preprocessor_runs_snippets_in_the_jail_and_their_output_includes_nothing() {
    let _running = harness::snippets_running();
    // vaultbook before mdBook's `links`, so that `{{#include}}` in a snippet's output would be
    // expanded if it reached mdBook as such.
    let dir = mdbook(
        "before = [\"links\"]",
        &[
            ("src/SUMMARY.md", "- [Run](run.md)\n"),
            (
                "src/run.md",
                "# Run\n\n```rust\nfn main() {\n    println!(\"live {}\", concat!(\"{\", \
                 \"{#include ../secret.txt}\", \"}\"));\n}\n```\n",
            ),
            ("secret.txt", "TOP SECRET"),
        ],
    );
    // The book's own command, without --no-run.
    let toml = read(dir.path().join("book.toml")).replace(" --no-run", "");
    write(dir.path().join("book.toml"), toml);
    let out = render(dir.path());
    let page = harness::main_of(&read(out.join("run.html"))).to_string();
    assert!(page.contains("snippet-output"), "{page}");
    assert!(page.contains("live {{#include ../secret.txt}}"), "{page}");
    assert!(!page.contains("TOP SECRET"), "{page}");
    assert!(
        dir.path().join("target/vaultbook").is_dir(),
        "the cache is in the work dir"
    );
}
