//! book.toml is untrusted input: the mdBook options in it that run programs or name files, tried
//! as the author of a hostile pull request would try them.
//!
//! Every book lives in `outer/b/` (book.toml, `vault/`), and `outer/` holds files planted next
//! to the book: each test checks that they keep their bytes and that nothing new appears there.

use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use vaultbook::Config;
use vaultbook::{Driver, Options};

/// Bytes planted outside the book: a build that writes or truncates them has escaped.
const PLANTED: &[u8] = b"/* planted next to the book: must keep these bytes */\n";

struct Book {
    outer: tempfile::TempDir,
}

impl Book {
    /// A book at `outer/b` with this book.toml (after a `[book]` table), a small vault, and
    /// `outer/planted.css`, `outer/planted.js` holding [`PLANTED`].
    fn new(toml: &str) -> Book {
        let outer = tempfile::tempdir().unwrap();
        let root = outer.path().join("b");
        std::fs::create_dir_all(root.join("vault/folder")).unwrap();
        std::fs::write(
            root.join("book.toml"),
            format!("[book]\ntitle = \"Options\"\n{toml}"),
        )
        .unwrap();
        std::fs::write(root.join("vault/README.md"), "# Start\n\nSee [[Other]].\n").unwrap();
        std::fs::write(
            root.join("vault/folder/Other.md"),
            "# Other\n\nBack to [[README]].\n",
        )
        .unwrap();
        for name in ["planted.css", "planted.js"] {
            std::fs::write(outer.path().join(name), PLANTED).unwrap();
        }
        Book { outer }
    }

    fn root(&self) -> PathBuf {
        self.outer.path().join("b")
    }

    fn outer(&self) -> &Path {
        self.outer.path()
    }

    /// Writes `rel` (relative to the book root).
    fn write(&self, rel: &str, bytes: &[u8]) {
        let path = self.root().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    /// Runs `vaultbook ARGS… ROOT`.
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_vaultbook"))
            .args(args)
            .arg(self.root())
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }

    /// The names in `outer/` and the bytes of each planted file: what must not change.
    fn outside(&self) -> BTreeMap<String, Option<Vec<u8>>> {
        std::fs::read_dir(self.outer())
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let name = e.file_name().to_string_lossy().to_string();
                let bytes = (name.starts_with("planted") && e.path().is_file())
                    .then(|| std::fs::read(e.path()).unwrap());
                (name, bytes)
            })
            .collect()
    }

    /// The rendered HTML pages of the book (`b/book/…`, chapters and index).
    fn pages(&self) -> Vec<(PathBuf, String)> {
        let book = self.root().join("book");
        let mut pages: Vec<(PathBuf, String)> = walkdir::WalkDir::new(&book)
            .into_iter()
            .map(Result::unwrap)
            .filter(|e| e.path().extension().is_some_and(|x| x == "html"))
            .map(|e| {
                (
                    e.path().strip_prefix(&book).unwrap().to_path_buf(),
                    std::fs::read_to_string(e.path()).unwrap(),
                )
            })
            .collect();
        pages.sort();
        pages
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn assert_ok(o: &Output) {
    assert!(o.status.success(), "{:?}\n{}", o.status, stderr(o));
}

/// A `[preprocessor.evil]` whose command creates `marker` when mdBook runs it at all (mdBook
/// first runs `COMMAND supports html`; this one then says no, so a build that runs it still
/// succeeds).
fn evil_preprocessor(marker: &Path) -> String {
    format!(
        "[preprocessor.evil]\ncommand = \"sh -c 'touch {}; exit 1'\"\n",
        marker.display()
    )
}

#[test]
fn a_preprocessor_command_never_runs_without_the_opt_in() {
    let marker_dir = tempfile::tempdir().unwrap();
    let marker = marker_dir.path().join("ran");
    let book = Book::new(&evil_preprocessor(&marker));
    for args in [
        &["build", "--no-run"][..],
        &["check", "--no-run"],
        &["check"],
        &["build"],
    ] {
        let out = book.run(args);
        assert!(
            !marker.exists(),
            "`vaultbook {}` ran the command",
            args.join(" ")
        );
        if args[0] == "build" {
            assert_ok(&out);
            let err = stderr(&out);
            assert!(
                err.contains("warning[skipped-command]") && err.contains("`evil`"),
                "`vaultbook {}` says nothing of the skipped preprocessor: {err}",
                args.join(" ")
            );
            assert!(err.contains("--allow-commands"), "{err}");
            assert_eq!(
                err.matches("skipped-command").count(),
                1,
                "one warning: {err}"
            );
        }
    }
    let to = book.outer().join("emitted");
    assert_ok(&book.run(&["emit", "--to", to.to_str().unwrap()]));
    assert!(!marker.exists(), "emit ran the command");
    // The book still gets mdBook's own preprocessors: `index` turns README into index.html.
    assert!(book.root().join("book/index.html").is_file());
}

#[test]
fn serve_with_no_run_never_runs_a_preprocessor_command() {
    let marker_dir = tempfile::tempdir().unwrap();
    let marker = marker_dir.path().join("ran");
    let book = Book::new(&evil_preprocessor(&marker));
    // What `serve --no-run` builds with: an incremental session over the book.
    let mut session = Driver::incremental(
        Config::load(&book.root()).unwrap(),
        Options {
            run_snippets: false,
            // A library caller asking for both still gets nothing run: --no-run wins.
            allow_commands: true,
            ..Options::default()
        },
    );
    let out = book.outer().join("served");
    let (report, _) = session.rebuild(&out, None).unwrap();
    assert!(!marker.exists(), "serve --no-run ran the command");
    assert!(out.join("index.html").is_file());
    assert!(
        report
            .diagnostics
            .iter()
            .any(|d| d.code == "skipped-command" && d.message.contains("`evil`")),
        "{:?}",
        report.diagnostics
    );
}

#[test]
fn allow_commands_runs_preprocessors_as_mdbook_does() {
    let marker_dir = tempfile::tempdir().unwrap();
    let marker = marker_dir.path().join("ran");
    // A command with a relative path runs from the book root, as in mdBook.
    let book = Book::new("[preprocessor.local]\ncommand = \"./tools/pp.sh\"\n");
    book.write(
        "tools/pp.sh",
        format!("#!/bin/sh\ntouch '{}'\nexit 1\n", marker.display()).as_bytes(),
    );
    std::fs::set_permissions(
        book.root().join("tools/pp.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let out = book.run(&["build", "--allow-commands"]);
    assert_ok(&out);
    assert!(marker.exists(), "the opted-in command did not run");
    assert!(
        !stderr(&out).contains("skipped-command"),
        "{}",
        stderr(&out)
    );
    // --no-run means nothing runs: asking for both is a usage error.
    let both = book.run(&["build", "--no-run", "--allow-commands"]);
    assert_eq!(both.status.code(), Some(2), "{}", stderr(&both));
}

#[test]
fn an_allowed_preprocessor_changes_the_pages() {
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("skipped: no python3 to write a preprocessor in");
        return;
    }
    let book = Book::new("[preprocessor.stamp]\ncommand = \"python3 stamp.py\"\n");
    book.write(
        "stamp.py",
        br#"import json, sys
if len(sys.argv) > 1 and sys.argv[1] == "supports":
    sys.exit(0)
ctx, book = json.load(sys.stdin)
def walk(items):
    for item in items:
        ch = item.get("Chapter") if isinstance(item, dict) else None
        if ch:
            ch["content"] += "\n\nSTAMPED-BY-PREPROCESSOR\n"
            walk(ch.get("sub_items", []))
walk(book.get("items", book.get("sections", [])))
json.dump(book, sys.stdout)
"#,
    );
    assert_ok(&book.run(&["build", "--allow-commands"]));
    let pages = book.pages();
    let other = pages
        .iter()
        .find(|(p, _)| p.ends_with("other.html"))
        .unwrap();
    assert!(other.1.contains("STAMPED-BY-PREPROCESSOR"), "{}", other.1);
}

#[test]
fn additional_css_and_js_beside_book_toml_are_linked_and_copied() {
    let book = Book::new(
        "[output.html]\nadditional-css = [\"custom.css\", \"./styles/more.css\"]\nadditional-js = [\"custom.js\"]\n",
    );
    book.write("custom.css", b".custom-marker { color: red }\n");
    book.write("styles/more.css", b".more-marker { color: blue }\n");
    book.write("custom.js", b"window.customMarker = 1;\n");
    let out = book.run(&["build", "--no-run"]);
    assert_ok(&out);
    let built = book.root().join("book");
    // mdBook hashes file names (`custom-1a2b3c4d.css`); find each copy by its bytes.
    let find = |dir: &Path, stem: &str, marker: &str| -> String {
        let hit = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                p.file_name().unwrap().to_string_lossy().starts_with(stem)
                    && std::fs::read_to_string(p).is_ok_and(|t| t.contains(marker))
            })
            .unwrap_or_else(|| panic!("no copy of {stem} in {}", dir.display()));
        hit.strip_prefix(&built)
            .unwrap()
            .to_string_lossy()
            .to_string()
    };
    let css = find(&built, "custom", ".custom-marker");
    let more = find(&built.join("styles"), "more", ".more-marker");
    let js = find(&built, "custom", "customMarker");
    // toc.html is the sidebar for readers without JavaScript: mdBook links no scripts there.
    for (page, html) in book
        .pages()
        .into_iter()
        .filter(|(p, _)| p != Path::new("toc.html"))
    {
        let up = "../".repeat(page.components().count() - 1);
        for file in [&css, &more, &js] {
            assert!(
                html.contains(&format!("\"{up}{file}\"")),
                "{} does not link {file}",
                page.display()
            );
        }
    }
    // The emitted tree stays a standalone mdBook: it builds on its own, stylesheet included.
    let emitted = book.outer().join("emitted");
    assert_ok(&book.run(&["emit", "--no-run", "--to", emitted.to_str().unwrap()]));
    assert_eq!(
        std::fs::read(emitted.join("custom.css")).unwrap(),
        b".custom-marker { color: red }\n"
    );
    mdbook_driver::MDBook::load(&emitted)
        .unwrap()
        .build()
        .unwrap();
    let index = std::fs::read_to_string(emitted.join("book/index.html")).unwrap();
    assert!(index.contains("custom-"), "{index}");
}

#[test]
fn a_theme_folder_beside_book_toml_is_the_books_theme() {
    let book = Book::new("");
    book.write(
        "theme/head.hbs",
        b"<meta name=\"theme-marker\" content=\"from-theme-head\">\n",
    );
    book.write("theme/css/variables.css", b":root { --theme-marker: 1; }\n");
    book.write(
        "theme/favicon.png",
        b"\x89PNG-not-really-a-png-theme-marker",
    );
    let out = book.run(&["build", "--no-run"]);
    assert_ok(&out);
    let pages = book.pages();
    assert!(pages.len() >= 3, "{pages:?}");
    for (page, html) in &pages {
        assert!(
            html.contains("<meta name=\"theme-marker\" content=\"from-theme-head\">"),
            "{} lacks the theme's head.hbs",
            page.display()
        );
    }
    let built = book.root().join("book");
    let has = |dir: &Path, bytes: &[u8]| {
        std::fs::read_dir(dir)
            .unwrap()
            .any(|e| std::fs::read(e.unwrap().path()).is_ok_and(|b| b == bytes))
    };
    assert!(has(&built.join("css"), b":root { --theme-marker: 1; }\n"));
    assert!(has(&built, b"\x89PNG-not-really-a-png-theme-marker"));
}

#[test]
fn a_theme_option_names_a_folder_of_the_book() {
    let book = Book::new("[output.html]\ntheme = \"look/mine\"\n");
    book.write(
        "look/mine/head.hbs",
        b"<meta name=\"theme-marker\" content=\"from-option\">\n",
    );
    assert_ok(&book.run(&["build", "--no-run"]));
    for (page, html) in book.pages() {
        assert!(
            html.contains("content=\"from-option\""),
            "{}",
            page.display()
        );
    }
}

/// Builds (and checks) a book with `toml` and asserts that it is refused as a configuration
/// error that names `option` and `path`, with nothing outside the book written or changed.
fn assert_refused(book: &Book, option: &str, path: &str) {
    let before = book.outside();
    for args in [&["build", "--no-run"][..], &["check", "--no-run"]] {
        let out = book.run(args);
        let err = stderr(&out);
        assert_eq!(
            out.status.code(),
            Some(2),
            "`vaultbook {}` with {option} = {path:?} was not refused: {err}",
            args.join(" ")
        );
        assert!(
            err.contains(option) && err.contains(path) && err.contains("outside"),
            "the error does not name {option} and {path}: {err}"
        );
        assert_eq!(book.outside(), before, "something outside the book changed");
    }
    assert!(!book.root().join("book").exists(), "a book was built");
}

#[test]
fn additional_css_outside_the_book_is_refused() {
    let book = Book::new("[output.html]\nadditional-css = [\"../planted.css\"]\n");
    assert_refused(&book, "additional-css", "../planted.css");
}

#[test]
fn an_absolute_additional_css_is_refused_and_not_truncated() {
    let book = Book::new("");
    let planted = book.outer().join("planted.css");
    book.write(
        "book.toml",
        format!(
            "[book]\ntitle = \"t\"\n[output.html]\nadditional-css = [\"{}\"]\n",
            planted.display()
        )
        .as_bytes(),
    );
    assert_refused(&book, "additional-css", &planted.display().to_string());
    assert_eq!(std::fs::read(&planted).unwrap(), PLANTED);
}

#[test]
fn system_files_are_refused_before_anything_is_written() {
    // Checked at load time, so this never comes near writing /etc/passwd even when it fails.
    for toml in [
        "[output.html]\nadditional-css = [\"/etc/passwd\"]\n",
        "[output.html]\nadditional-js = [\"/etc/passwd\"]\n",
        "[output.html]\ntheme = \"/etc\"\n",
    ] {
        let book = Book::new(toml);
        let err = Config::load(&book.root()).unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("/etc"), "{text}");
        assert!(text.contains("book.toml"), "{text}");
    }
}

#[test]
fn a_symlink_out_of_the_book_is_refused() {
    let book = Book::new("[output.html]\nadditional-js = [\"link.js\"]\n");
    symlink(book.outer().join("planted.js"), book.root().join("link.js")).unwrap();
    assert_refused(&book, "additional-js", "link.js");
}

#[test]
fn a_theme_that_leaves_the_book_is_refused() {
    let book = Book::new("[output.html]\ntheme = \"../elsewhere\"\n");
    std::fs::create_dir_all(book.outer().join("elsewhere")).unwrap();
    assert_refused(&book, "theme", "../elsewhere");

    // The default theme/ folder, a symlink to a folder outside.
    let book = Book::new("");
    let outside = book.outer().join("planted-theme");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("head.hbs"), "<meta name=outside>").unwrap();
    symlink(&outside, book.root().join("theme")).unwrap();
    assert_refused(&book, "theme", "theme");

    // A file of the theme that links out of the book.
    let book = Book::new("");
    std::fs::create_dir_all(book.root().join("theme")).unwrap();
    symlink(
        book.outer().join("planted.css"),
        book.root().join("theme/head.hbs"),
    )
    .unwrap();
    assert_refused(&book, "theme", "head.hbs");
}

#[test]
fn a_redirect_that_leaves_the_build_dir_is_refused() {
    let book =
        Book::new("[output.html.redirect]\n\"/../../planted-escape.html\" = \"index.html\"\n");
    assert_refused(&book, "redirect", "../../planted-escape.html");
    assert!(!book.outer().join("planted-escape.html").exists());
}

#[test]
fn an_input_404_that_leaves_the_book_is_refused() {
    let book = Book::new("[output.html]\ninput-404 = \"../../../planted-404.md\"\n");
    assert_refused(&book, "input-404", "../../../planted-404.md");
}

#[test]
fn a_redirect_and_input_404_inside_the_book_work() {
    let book = Book::new(
        "[output.html]\ninput-404 = \"folder/Other.md\"\n[output.html.redirect]\n\"/old/place.html\" = \"../index.html\"\n",
    );
    assert_ok(&book.run(&["build", "--no-run"]));
    let built = book.root().join("book");
    let redirect = std::fs::read_to_string(built.join("old/place.html")).unwrap();
    assert!(redirect.contains("../index.html"), "{redirect}");
    // mdBook renders the 404 page from that chapter, to the chapter's name (`.md` → `.html`),
    // with the site's base URL so that it works at any depth.
    let not_found = std::fs::read_to_string(built.join("folder/other.html")).unwrap();
    assert!(not_found.contains("Back to"), "{not_found}");
    assert!(not_found.contains("<base href=\"/\">"), "{not_found}");
    assert!(!built.join("404.html").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_rebuilds_when_the_theme_or_a_stylesheet_changes() {
    use vaultbook::serve::{PipelineBuilder, ServeOptions, Server};
    const WAIT: std::time::Duration = std::time::Duration::from_secs(20);
    let book = Book::new("[output.html]\nadditional-css = [\"custom.css\"]\n");
    book.write("custom.css", b".v1 {}\n");
    book.write(
        "theme/head.hbs",
        b"<meta name=\"theme-marker\" content=\"v1\">\n",
    );
    let builder = PipelineBuilder::new(Options {
        run_snippets: false,
        ..Options::default()
    });
    let server = Server::start(ServeOptions::new(book.root(), 0), builder)
        .await
        .unwrap();
    let served = |file: &str| {
        let dir = server.served_dir().expect("nothing served");
        std::fs::read_to_string(dir.join(file)).unwrap_or_default()
    };
    tokio::time::timeout(WAIT, server.wait_for_builds(1))
        .await
        .unwrap();
    assert!(served("index.html").contains("content=\"v1\""));
    assert_eq!(served("custom.css"), ".v1 {}\n");

    book.write(
        "theme/head.hbs",
        b"<meta name=\"theme-marker\" content=\"v2\">\n",
    );
    tokio::time::timeout(WAIT, server.wait_for_builds(2))
        .await
        .expect("a theme change rebuilt nothing");
    for page in ["index.html", "folder/other.html"] {
        assert!(served(page).contains("content=\"v2\""), "{page}");
    }

    book.write("custom.css", b".v2 {}\n");
    tokio::time::timeout(WAIT, server.wait_for_builds(3))
        .await
        .expect("a stylesheet change rebuilt nothing");
    assert_eq!(served("custom.css"), ".v2 {}\n");
    server.stop().await;
}
