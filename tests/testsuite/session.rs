//! Incremental builds (`serve`): a change to one note renders only the pages whose text changed,
//! reuses the rest of the served book, and gives the same book a full build would.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::harness::{self, BookTest, Driver, Scope, no_run, rebuild};

fn book() -> BookTest {
    let dir = BookTest::new();
    dir.write(
        "book.toml",
        "[book]\ntitle = \"T\"\n[vaultbook]\nvault = \"vault\"\n",
    );
    dir.write("vault/README.md", "# Start\n\nSee [[A#Old heading]].\n");
    dir.write("vault/A.md", "# A\n\n## Old heading\n\nText of A.\n");
    dir.write("vault/B.md", "# B\n\nUnrelated.\n");
    dir.write("vault/C.md", "# C\n\nAlso unrelated.\n");
    for i in 0..6 {
        dir.write(
            format!("vault/more/N{i}.md"),
            format!("# N{i}\n\nFiller.\n"),
        );
    }
    dir
}

fn session(root: &Path) -> Driver {
    harness::session(harness::load(root), no_run())
}

/// A chain of notes N0 - N1 - … - N{n-1}, each linking to the next; `extra(i)` gives note `i`
/// a frontmatter and a sentence after the link.
fn write_chain(dir: &BookTest, n: usize, extra: impl Fn(usize) -> (&'static str, &'static str)) {
    for i in 0..n {
        let next = if i + 1 < n {
            format!("[[N{}]]", i + 1)
        } else {
            String::new()
        };
        let (front, more) = extra(i);
        dir.write(
            format!("vault/N{i}.md"),
            format!("{front}# N{i}\n\nNext: {next}.{more}\n"),
        );
    }
}

/// Asserts that the trees at `ours` and `theirs` hold the same files, byte for byte.
fn assert_same_files(ours: &Path, theirs: &Path, what: &str) {
    let (a, b) = (harness::files(ours), harness::files(theirs));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "{what}: not the same files"
    );
    let differ: Vec<_> = a.keys().filter(|k| a[*k] != b[*k]).collect();
    assert!(differ.is_empty(), "{what}: files that differ: {differ:?}");
}

fn ino(p: &Path) -> u64 {
    std::fs::metadata(p).unwrap().ino()
}

#[test]
fn one_changed_note_renders_only_the_pages_it_touches() {
    let dir = book();
    let r = dir.path();
    let mut s = session(r);
    let gen1 = r.join("gen1");
    let (_, scope) = rebuild(&mut s, &gen1, None).unwrap();
    assert_eq!(scope, Scope::Full);

    // Renaming a heading changes A's page and the start page that links to it.
    dir.write(
        "vault/A.md",
        "# A\n\n## New heading\n\nText of A, edited.\n",
    );
    dir.write("vault/README.md", "# Start\n\nSee [[A#New heading]].\n");
    let gen2 = r.join("gen2");
    let (report, scope) = rebuild(&mut s, &gen2, Some(&gen1)).unwrap();
    assert_eq!(scope, Scope::Pages(2), "{:?}", report.diagnostics);
    let a = std::fs::read_to_string(gen2.join("a.html")).unwrap();
    assert!(a.contains("Text of A, edited."));
    assert!(a.contains(r#"id="new-heading""#));
    let start = std::fs::read_to_string(gen2.join("index.html")).unwrap();
    assert!(
        start.contains("a.html#new-heading"),
        "index.html follows the first chapter"
    );
    // Untouched pages are the served files themselves (hard links); changed ones are new.
    assert_eq!(ino(&gen1.join("b.html")), ino(&gen2.join("b.html")));
    assert_ne!(ino(&gen1.join("a.html")), ino(&gen2.join("a.html")));
    // The served generation is untouched.
    let old = std::fs::read_to_string(gen1.join("a.html")).unwrap();
    assert!(old.contains("Text of A.") && !old.contains("edited"));
    // And the new one is a consistent book: every page's links land. The search index is
    // the last full render's (a rebuild renders only the changed pages): its hits to a renamed
    // heading reach the page, not the heading, until the next full render.
    let problems: Vec<_> = vaultbook::internals::check_rendered(&gen2)
        .into_iter()
        .filter(|d| {
            let index = d
                .file
                .as_ref()
                .is_some_and(|f| f.to_string_lossy().starts_with("searchindex"));
            !(index && d.message.contains("has no element with id"))
        })
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");

    // Nothing changed: nothing is rendered.
    let gen3 = r.join("gen3");
    let (_, scope) = rebuild(&mut s, &gen3, Some(&gen2)).unwrap();
    assert_eq!(scope, Scope::Pages(0));

    // A new note changes the book's shape: everything is rendered.
    dir.write("vault/D.md", "# D\n");
    let gen4 = r.join("gen4");
    let (_, scope) = rebuild(&mut s, &gen4, Some(&gen3)).unwrap();
    assert_eq!(scope, Scope::Full);
    assert!(gen4.join("d.html").is_file());
}

#[test]
fn an_incremental_page_equals_a_full_render_of_it() {
    let dir = book();
    let r = dir.path();
    let mut s = session(r);
    let gen1 = r.join("gen1");
    rebuild(&mut s, &gen1, None).unwrap();
    dir.write("vault/B.md", "# B\n\nChanged *text*.\n");
    let inc = r.join("inc");
    let (_, scope) = rebuild(&mut s, &inc, Some(&gen1)).unwrap();
    assert_eq!(scope, Scope::Pages(1));
    let full = r.join("full");
    let mut fresh = session(r);
    rebuild(&mut fresh, &full, None).unwrap();
    for page in ["b.html", "a.html", "c.html"] {
        assert_eq!(
            std::fs::read_to_string(inc.join(page)).unwrap(),
            std::fs::read_to_string(full.join(page)).unwrap(),
            "{page} differs from a full render"
        );
    }
}

/// Overwriting an attachment reaches the rebuilt book, though no page text changed: the
/// attachment is not left as a hard link to the served generation's old bytes.
#[test]
fn an_overwritten_attachment_is_in_the_next_generation() {
    let dir = book();
    let r = dir.path();
    dir.write("vault/pic.png", "old bytes");
    dir.write("vault/B.md", "# B\n\n![[pic.png]]\n");
    let mut s = session(r);
    let gen1 = r.join("gen1");
    rebuild(&mut s, &gen1, None).unwrap();
    assert_eq!(std::fs::read(gen1.join("pic.png")).unwrap(), b"old bytes");

    // Same length, so only the modification time (and the inode, for a replaced file) tells.
    std::thread::sleep(std::time::Duration::from_millis(20));
    dir.write("vault/pic.png", "new bytes");
    let gen2 = r.join("gen2");
    let (_, scope) = rebuild(&mut s, &gen2, Some(&gen1)).unwrap();
    assert_eq!(scope, Scope::Pages(0));
    assert_eq!(std::fs::read(gen2.join("pic.png")).unwrap(), b"new bytes");
    // The served generation keeps what it served.
    assert_eq!(std::fs::read(gen1.join("pic.png")).unwrap(), b"old bytes");

    // Replaced by a rename (how editors and image tools save), and after a note edit too.
    let tmp = r.join("vault/pic.png.tmp");
    std::fs::write(&tmp, "newer!!!!").unwrap();
    std::fs::rename(&tmp, r.join("vault/pic.png")).unwrap();
    dir.write("vault/A.md", "# A\n\nEdited.\n");
    let gen3 = r.join("gen3");
    rebuild(&mut s, &gen3, Some(&gen2)).unwrap();
    assert_eq!(std::fs::read(gen3.join("pic.png")).unwrap(), b"newer!!!!");
}

/// A second `build` of an unchanged book renders nothing (the build dir is the one it would
/// render); an edited note, a changed attachment or a build dir touched by someone else, at
/// its top level or in a subfolder, is rendered again.
#[test]
fn a_build_of_an_unchanged_book_renders_nothing() {
    let dir = book();
    let r = dir.path();
    dir.write("vault/pic.png", "old");
    dir.write("vault/B.md", "# B\n\n![[pic.png]]\n");
    let options = no_run();
    let build = || {
        let report = harness::build(&harness::load(r), &options).unwrap();
        let phases: Vec<&str> = report.stats.phases.iter().map(|(n, _)| *n).collect();
        (phases.contains(&"render"), report)
    };
    let index = r.join("book/index.html");
    assert!(build().0);
    let first = ino(&index);
    let (rendered, report) = build();
    assert!(!rendered, "{:?}", report.stats.phases);
    assert_eq!(ino(&index), first, "the build dir was replaced");

    dir.write("vault/C.md", "# C\n\nEdited.\n");
    assert!(build().0, "an edited note was not rendered");
    assert!(!build().0);
    std::thread::sleep(std::time::Duration::from_millis(20));
    dir.write("vault/pic.png", "new");
    assert!(build().0, "a changed attachment was not copied");
    assert_eq!(std::fs::read(r.join("book/pic.png")).unwrap(), b"new");
    std::fs::remove_file(&index).unwrap();
    assert!(
        build().0,
        "a build dir missing its start page was taken as rendered"
    );
    assert!(index.is_file());

    // Inside a subfolder, where the build dir's own stamp does not change: a page removed,
    // then one written over by hand, are rendered again.
    dir.write("vault/deep/D.md", "# D\n\nDeep.\n");
    assert!(build().0);
    assert!(!build().0);
    let deep = r.join("book/deep/d.html");
    let rendered = std::fs::read_to_string(&deep).unwrap();
    std::fs::remove_file(&deep).unwrap();
    assert!(
        build().0,
        "a build dir missing a page in a subfolder was taken as rendered"
    );
    assert_eq!(std::fs::read_to_string(&deep).unwrap(), rendered);
    std::fs::write(&deep, "<p>written by hand</p>").unwrap();
    assert!(build().0, "a page written by hand was taken as rendered");
    assert_eq!(std::fs::read_to_string(&deep).unwrap(), rendered);
    assert!(!build().0);
}

/// A rebuild that renders one page again makes that page's previews again: a link to its
/// section shows the edited text, and the served generation's data is left as it was.
#[test]
fn a_rebuilt_page_has_its_previews_made_again() {
    let dir = book();
    let r = dir.path();
    let mut s = session(r);
    let gen1 = r.join("gen1");
    rebuild(&mut s, &gen1, None).unwrap();
    let data = |g: &Path| std::fs::read_to_string(g.join("vaultbook-previews/a.js")).unwrap();
    assert!(data(&gen1).contains("Text of A."));
    dir.write(
        "vault/A.md",
        "# A\n\n## Old heading\n\nText of A, edited.\n",
    );
    let gen2 = r.join("gen2");
    let (_, scope) = rebuild(&mut s, &gen2, Some(&gen1)).unwrap();
    assert_eq!(scope, Scope::Pages(1));
    assert!(
        data(&gen2).contains("Text of A, edited."),
        "{}",
        data(&gen2)
    );
    assert!(
        !data(&gen1).contains("edited"),
        "the served generation is untouched"
    );
    // Pages not rendered again keep the served book's data (hard links).
    assert_eq!(
        ino(&gen1.join("vaultbook-previews/b.js")),
        ino(&gen2.join("vaultbook-previews/b.js"))
    );
}

/// A book rendered page by page (no mdBook search index, no print page) whose shape is
/// unchanged gets only its edited chapters rendered again by the next `build`, and the build
/// dir is then, byte for byte, what a full build of the same vault writes. A change of shape
/// (a new title in the sidebar) and a build dir touched by someone else render everything.
#[test]
fn a_build_after_an_edit_renders_the_changed_pages_and_is_the_full_build() {
    let page_by_page = |dir: &BookTest| {
        dir.write(
            "book.toml",
            "[book]\ntitle = \"T\"\n[vaultbook]\nvault = \"vault\"\n\
             [output.html.search]\nenable = false\n[output.html.print]\nenable = false\n",
        );
    };
    let dir = book();
    page_by_page(&dir);
    let r = dir.path();
    let options = no_run();
    let build = |root: &Path| {
        let report = harness::build(&harness::load(root), &options).unwrap();
        assert_eq!(report.count(vaultbook::Severity::Error), 0);
        let phases: Vec<&str> = report.stats.phases.iter().map(|(n, _)| *n).collect();
        if phases.contains(&"render changed pages") {
            "pages"
        } else if phases.contains(&"render") {
            "full"
        } else {
            "nothing"
        }
    };
    assert_eq!(build(r), "full");
    // A's section text is what the start page links to; B is read by no one.
    dir.write(
        "vault/A.md",
        "# A\n\n## Old heading\n\nText of A, edited.\n",
    );
    dir.write("vault/B.md", "# B\n\nEdited too.\n");
    let (folder, c) = (ino(&r.join("book")), ino(&r.join("book/c.html")));
    assert_eq!(build(r), "pages");
    assert!(dir.page("a.html").contains("Text of A, edited."));
    // In place: the same build dir, its unchanged pages untouched.
    assert_eq!(ino(&r.join("book")), folder);
    assert_eq!(ino(&r.join("book/c.html")), c);

    let fresh = book();
    page_by_page(&fresh);
    fresh.write(
        "vault/A.md",
        "# A\n\n## Old heading\n\nText of A, edited.\n",
    );
    fresh.write("vault/B.md", "# B\n\nEdited too.\n");
    assert_eq!(build(fresh.path()), "full");
    assert_same_files(&r.join("book"), &fresh.path().join("book"), "a full build");

    // The build's record says what it wrote; a chapter deleted from the emitted source since
    // is written again, though its text did not change.
    let src = r.join("target/vaultbook/book-src/src");
    std::fs::remove_file(src.join("c.md")).unwrap();
    dir.write("vault/B.md", "# B\n\nEdited a third time.\n");
    fresh.write("vault/B.md", "# B\n\nEdited a third time.\n");
    assert_eq!(build(r), "pages");
    build(fresh.path());
    assert_same_files(
        &src,
        &fresh.path().join("target/vaultbook/book-src/src"),
        "the emitted source, after a chapter was deleted from it",
    );

    assert_eq!(build(r), "nothing");
    dir.write("vault/C.md", "---\ntitle: Sea\n---\n# C\n");
    assert_eq!(build(r), "full", "the sidebar changed");
    dir.write("vault/B.md", "# B\n\nEdited again.\n");
    std::fs::remove_file(r.join("book/index.html")).unwrap();
    assert_eq!(
        build(r),
        "full",
        "the build dir was touched by someone else"
    );
    assert!(r.join("book/index.html").is_file());
}

/// The links table the local graphs are drawn from follows every edit in serve: after a link is
/// added and a title changed, it is the one a fresh build writes. (The vault graph keeps its
/// positions while the notes are the same, by design.)
#[test]
fn the_links_table_after_an_edit_is_a_fresh_builds() {
    let dir = BookTest::new();
    dir.write(
        "book.toml",
        "[book]\ntitle = \"T\"\n[vaultbook]\nvault = \"vault\"\n",
    );
    // A chain N0 - N1 - … - N9 and a note outside it.
    write_chain(&dir, 10, |_| ("", ""));
    dir.write("vault/Far.md", "# Far\n\nSee [[N9]].\n");
    let r = dir.path();
    let mut s = session(r);
    let mut previous = r.join("gen0");
    rebuild(&mut s, &previous, None).unwrap();
    let edits = [
        // A link that joins the two ends of the chain: N0 and N9's neighbourhoods change.
        ("vault/N0.md", "# N0\n\nNext: [[N1]]. Also [[N9]].\n"),
        // A title two links from N1 and N5.
        (
            "vault/N3.md",
            "---\ntitle: Three, renamed\n---\n# N3\n\nNext: [[N4]].\n",
        ),
        // Prose only: nothing of the graph changes.
        ("vault/N7.md", "# N7\n\nNext: [[N8]], with more words.\n"),
    ];
    for (round, (note, text)) in edits.into_iter().enumerate() {
        dir.write(note, text);
        let out = r.join(format!("gen{}", round + 1));
        rebuild(&mut s, &out, Some(&previous)).unwrap();
        let full = r.join(format!("full{}", round + 1));
        rebuild(&mut session(r), &full, None).unwrap();
        let table = |root: &Path| std::fs::read_to_string(root.join("vaultbook-graph/links.js"));
        let kept = table(&out).unwrap();
        assert_eq!(
            kept,
            table(&full).unwrap(),
            "round {round}: the links table is not a fresh build's"
        );
        if round == 1 {
            assert!(kept.contains("Three, renamed"), "{kept}");
        }
        previous = out;
    }
}

/// Records what a rebuild shows early, as serve's early generation does.
#[derive(Debug, Default)]
struct Shown(std::sync::Mutex<Vec<std::path::PathBuf>>);

impl vaultbook::EarlyPages for Shown {
    fn show(&self, render: &mut dyn FnMut(&Path) -> anyhow::Result<()>) {
        let dir = tempfile::tempdir().unwrap().keep();
        render(&dir).unwrap();
        self.0.lock().unwrap().push(dir);
    }
}

/// A book rendered in shards shows its first pages, with the whole book's sidebar, before the
/// rest is rendered; a small book shows nothing early (it would be rendered twice).
#[test]
fn a_large_first_build_shows_its_first_pages_before_the_rest() {
    let dir = BookTest::new();
    dir.write(
        "book.toml",
        "[book]\ntitle = \"T\"\n[vaultbook]\nvault = \"vault\"\ngraph = false\npreviews = false\n\
         [output.html.search]\nenable = false\n[output.html.print]\nenable = false\n",
    );
    for i in 0..1001 {
        dir.write(
            format!("vault/N{i:04}.md"),
            format!("# N{i:04}\n\nText {i}.\n"),
        );
    }
    let r = dir.path();
    let shown = Shown::default();
    let out = r.join("whole");
    let (_, scope) = session(r)
        .rebuild_showing(&out, None, Some(&shown))
        .unwrap();
    assert_eq!(scope, Scope::Full);
    let early = shown.0.lock().unwrap().clone();
    assert_eq!(early.len(), 1, "the first pages were not shown early");
    let first = &early[0];
    assert!(first.join("index.html").is_file());
    assert!(first.join("n0000.html").is_file());
    // Only the first shard: the last chapter is not rendered yet…
    assert!(!first.join("n1000.html").exists());
    // …but the sidebar already links to it, as the whole book's does.
    let toc = std::fs::read_to_string(first.join("toc.js")).unwrap();
    assert!(
        toc.contains("n1000.html"),
        "the early sidebar is not the book's"
    );
    assert_eq!(toc, std::fs::read_to_string(out.join("toc.js")).unwrap());
    assert_eq!(
        std::fs::read_to_string(first.join("n0000.html")).unwrap(),
        std::fs::read_to_string(out.join("n0000.html")).unwrap()
    );
    assert!(out.join("n1000.html").is_file());
    let _ = std::fs::remove_dir_all(first);

    // A small book: nothing early.
    let small = book();
    let shown = Shown::default();
    session(small.path())
        .rebuild_showing(&small.path().join("whole"), None, Some(&shown))
        .unwrap();
    assert!(shown.0.lock().unwrap().is_empty());
}

/// A build reads the last build's graph back (its layout, and the vault picture when no link or
/// title changed, left unread where it is): after a link is added, a title changed and a
/// sentence added (and the vault picture deleted), every file is a fresh build's.
#[test]
fn a_build_that_keeps_the_last_graph_is_the_full_build() {
    let write = |dir: &BookTest, round: usize| {
        dir.write(
            "book.toml",
            "[book]\ntitle = \"T\"\n[vaultbook]\nvault = \"vault\"\n\
             [output.html.search]\nenable = false\n[output.html.print]\nenable = false\n",
        );
        write_chain(dir, 10, |i| {
            let title = match (round, i) {
                (2.., 4) => "---\ntitle: Four, renamed\n---\n",
                _ => "",
            };
            let extra = match (round, i) {
                (3.., 0) => " Also [[N9]]. A sentence more.",
                (1.., 0) => " Also [[N9]].",
                _ => "",
            };
            (title, extra)
        });
        dir.write("vault/Far.md", "# Far\n\nSee [[N9]].\n");
    };
    let options = no_run();
    let build = |root: &Path| {
        let report = harness::build(&harness::load(root), &options).unwrap();
        assert_eq!(report.count(vaultbook::Severity::Error), 0);
    };
    let dir = BookTest::new();
    write(&dir, 0);
    build(dir.path());
    // Round 3 changes prose only: the same links and titles, so the vault picture is the
    // last build's, read back.
    let script = dir
        .path()
        .join("target/vaultbook/book-src/src/vaultbook-graph/vault.js");
    for round in 1..4 {
        write(&dir, round);
        if round == 3 {
            // A data script the next build would leave where it is, gone: drawn again.
            std::fs::remove_file(&script).unwrap();
        }
        build(dir.path());
        let fresh = BookTest::new();
        write(&fresh, round);
        build(fresh.path());
        assert_same_files(
            &dir.path().join("book"),
            &fresh.path().join("book"),
            &format!("round {round}, against a full build"),
        );
    }
}

/// `emit` after a build reads the build's graph back too, and writes the tree a fresh emit
/// writes, after a link was added.
#[test]
fn an_emit_after_a_build_is_a_fresh_emit() {
    let write = |dir: &BookTest, linked: bool| {
        dir.write(
            "book.toml",
            "[book]\ntitle = \"T\"\n[vaultbook]\nvault = \"vault\"\n",
        );
        write_chain(dir, 8, |i| {
            ("", if linked && i == 0 { " And [[N7]]." } else { "" })
        });
    };
    let options = no_run();
    let dir = BookTest::new();
    write(&dir, false);
    harness::build(&harness::load(dir.path()), &options).unwrap();
    write(&dir, true);
    let ours = dir.path().join("emitted");
    Driver::new(harness::load(dir.path()), options)
        .emit(&ours)
        .unwrap();
    let fresh = BookTest::new();
    write(&fresh, true);
    let theirs = fresh.path().join("emitted");
    Driver::new(harness::load(fresh.path()), options)
        .emit(&theirs)
        .unwrap();
    assert_same_files(&ours, &theirs, "a fresh emit");
}

/// The vault the page-memo tests start from: embeds two levels deep, a linked heading, an
/// attachment, a note that only its own id names.
fn write_memo_vault(dir: &BookTest) {
    dir.write(
        "book.toml",
        "[book]\ntitle = \"T\"\n[vaultbook]\nvault = \"vault\"\n",
    );
    dir.write(
        "vault/Host.md",
        "# Host\n\n![[Part#Section]]\n\nSee [[Target#Old]] and ![[pic.png]].\n",
    );
    dir.write(
        "vault/Part.md",
        "# Part\n\n## Section\n\nEmbedded text, ![[Deep]].\n",
    );
    // Deep links nowhere: only its own id says which note its kept page is.
    dir.write("vault/Deep.md", "# Deep\n\n## Words\n\nDeepest words.\n");
    dir.write("vault/Target.md", "# Target\n\n## Old\n\nBody.\n");
    dir.write("vault/Other.md", "# Other\n\nPlain [[Deep#Words]].\n");
    dir.write("vault/pic.png", "not really a png");
}

/// Makes the edits of the page-memo tests one after another, calling `after` with what each
/// was. They reach pages through embeds, headings, titles, ids that shift when a note is added
/// or removed, attachments, publish flags, tags and backlinks.
fn each_memo_edit(dir: &BookTest, mut after: impl FnMut(&str)) {
    type Edit<'a> = (&'a str, &'a dyn Fn(&BookTest));
    let edits: [Edit; 23] = [
        ("an embed two levels down", &|d| {
            d.write(
                "vault/Deep.md",
                "# Deep\n\n## Words\n\nDeepest words, changed.\n",
            )
        }),
        ("a linked heading renamed", &|d| {
            d.write("vault/Target.md", "# Target\n\n## New\n\nBody.\n")
        }),
        ("the link follows it", &|d| {
            d.write(
                "vault/Host.md",
                "# Host\n\n![[Part#Section]]\n\nSee [[Target#New]] and ![[pic.png]].\n",
            )
        }),
        ("a note added before all (ids shift)", &|d| {
            d.write("vault/Aa.md", "# Aa\n\nFirst, linking nowhere.\n")
        }),
        ("an embedded note's title", &|d| {
            d.write(
                "vault/Deep.md",
                "---\ntitle: Deep, renamed\n---\n# Deep\n\n## Words\n\nDeepest words, changed.\n",
            )
        }),
        ("an attachment moved to a folder", &|d| {
            std::fs::remove_file(d.path().join("vault/pic.png")).unwrap();
            d.write("vault/img/pic.png", "not really a png");
        }),
        ("an embedded note unpublished", &|d| {
            d.write(
                "vault/Part.md",
                "---\npublish: false\n---\n# Part\n\n## Section\n\nEmbedded text, ![[Deep]].\n",
            )
        }),
        ("a first tag", &|d| {
            d.write(
                "vault/Other.md",
                "# Other\n\nPlain [[Deep#Words]] #topic.\n",
            )
        }),
        ("the title of a note that links to another", &|d| {
            d.write(
                "vault/Other.md",
                "---\ntitle: Another\n---\n# Other\n\nPlain [[Deep#Words]] #topic.\n",
            )
        }),
        ("a new backlink", &|d| {
            d.write(
                "vault/Target.md",
                "# Target\n\n## New\n\nBody, [[Other]].\n",
            )
        }),
        ("a link of its own broken", &|d| {
            d.write(
                "vault/Other.md",
                "# Other\n\nPlain [[Deep#Wordz]] #topic.\n",
            )
        }),
        ("prose of a linked note", &|d| {
            d.write(
                "vault/Deep.md",
                "---\ntitle: Deep, renamed\n---\n# Deep\n\n## Words\n\nOther words.\n",
            )
        }),
        ("the linked heading renamed to fit the broken link", &|d| {
            d.write(
                "vault/Deep.md",
                "---\ntitle: Deep, renamed\n---\n# Deep\n\n## Wordz\n\nOther words.\n",
            )
        }),
        (
            "links to an alias and a file that are not there yet",
            &|d| {
                d.write(
                    "vault/Far.md",
                    "# Far\n\n[[Nickname]], ![[later.png]], [[Deep#^later]]\n",
                )
            },
        ),
        ("the alias", &|d| {
            d.write(
                "vault/Deep.md",
                "---\naliases: [Nickname]\n---\n# Deep\n\n## Wordz\n",
            )
        }),
        ("the file", &|d| d.write("vault/later.png", "png")),
        ("the block", &|d| {
            d.write(
                "vault/Deep.md",
                "---\naliases: [Nickname]\n---\n# Deep\n\n## Wordz\n\nA line. ^later\n",
            )
        }),
        ("the linked note without its own title heading", &|d| {
            d.write(
                "vault/Deep.md",
                "---\naliases: [Nickname]\n---\n## Wordz\n\nA line. ^later\n",
            )
        }),
        // The title heading vaultbook adds takes the id `wordz`: the linked heading's becomes
        // `wordz-1`, though no link and no heading changed.
        ("a title that takes the linked heading's id", &|d| {
            d.write(
                "vault/Deep.md",
                "---\naliases: [Nickname]\ntitle: Wordz\n---\n## Wordz\n\nA line. ^later\n",
            )
        }),
        ("a note removed (ids shift back)", &|d| {
            std::fs::remove_file(d.path().join("vault/Aa.md")).unwrap()
        }),
        // Host's inputs are the same, but the heading it links to gets another id (`new-1`:
        // the embedded heading above takes `new`), so Host's link must be filled again.
        ("an embed above a linked heading takes its id", &|d| {
            d.write("vault/Zz.md", "## New\n\nAbove.\n");
            d.write(
                "vault/Target.md",
                "# Target\n\n![[Zz]]\n\n## New\n\nBody, [[Other]].\n",
            );
        }),
        // Pages with an embed cycle report it: a build keeps no such page on disk.
        ("an embed cycle", &|d| {
            d.write(
                "vault/Deep.md",
                "---\naliases: [Nickname]\ntitle: Wordz\n---\n## Wordz\n\nA line. ^later\n\n![[Deep]]\n",
            )
        }),
        // ... and says so again in the next run, which changes another note only.
        ("after the cycle, prose elsewhere", &|d| {
            d.write("vault/Zz.md", "## New\n\nAbove, again.\n")
        }),
    ];
    for (what, edit) in edits {
        edit(dir);
        after(what);
    }
}

/// The pages a session keeps between rebuilds are used again only where nothing they are made
/// of changed: after each edit below, every emitted file of the session's assembly is a fresh
/// driver's. The edits reach pages through embeds, headings, titles, ids that shift when a
/// note is added or removed, attachments, publish flags, tags and backlinks; and what the
/// links' resolution reports is a fresh driver's too.
#[test]
fn kept_pages_are_the_ones_a_fresh_driver_assembles() {
    let dir = BookTest::new();
    write_memo_vault(&dir);
    let r = dir.path();
    // The emitted files, and what the links' resolution reported.
    let assemble = |s: &mut Driver| {
        let analysis = s.analyze().unwrap();
        let mut files = s.assemble(&analysis).unwrap().files;
        let diagnostics: Vec<String> = analysis
            .diagnostics
            .iter()
            .map(|d| format!("{d:?}"))
            .collect();
        files.insert(
            "diagnostics".into(),
            diagnostics.join("\n").into_bytes().into(),
        );
        files
    };
    let mut s = session(r);
    assemble(&mut s);
    each_memo_edit(&dir, |what| {
        let kept = assemble(&mut s);
        let fresh = assemble(&mut Driver::new(harness::load(r), no_run()));
        assert_eq!(
            kept.keys().collect::<Vec<_>>(),
            fresh.keys().collect::<Vec<_>>(),
            "after {what}: not the same files"
        );
        // The one named difference: the vault graph keeps its positions while the notes are
        // the same, by design.
        for (path, bytes) in fresh
            .iter()
            .filter(|(p, _)| *p != "src/vaultbook-graph/vault.js")
        {
            assert!(
                kept[path] == *bytes,
                "after {what}: {path} is not a fresh driver's:\n{}\n---- fresh:\n{}",
                String::from_utf8_lossy(&kept[path]),
                String::from_utf8_lossy(bytes)
            );
        }
    });
}

/// A `build` in a new process reuses the pages the last build assembled (its page memo, on
/// disk) only where nothing they are made of changed: after each edit of the page-memo cases,
/// the emitted tree and the diagnostics are those of a fresh build of a copy of the book.
#[test]
fn pages_a_build_keeps_on_disk_are_the_ones_a_fresh_build_assembles() {
    let dir = BookTest::new();
    write_memo_vault(&dir);
    let options = no_run();
    let build = |root: &Path| {
        let report = harness::build(&harness::load(root), &options).unwrap();
        let diagnostics: Vec<String> = report
            .diagnostics
            .iter()
            .map(|d| format!("{d:?}"))
            .collect();
        diagnostics.join("\n")
    };
    build(dir.path());
    let record = dir.path().join("target/vaultbook/book-src.pages.json");
    assert!(record.is_file(), "no page memo saved");
    each_memo_edit(&dir, |what| {
        let ours = build(dir.path());
        let fresh = BookTest::new();
        harness::copy_dir(&dir.path().join("vault"), &fresh.path().join("vault"));
        fresh.write(
            "book.toml",
            std::fs::read_to_string(dir.path().join("book.toml")).unwrap(),
        );
        let theirs = build(fresh.path());
        assert_eq!(
            ours, theirs,
            "after {what}: not a fresh build's diagnostics"
        );
        assert_same_files(
            &dir.path().join("target/vaultbook/book-src"),
            &fresh.path().join("target/vaultbook/book-src"),
            &format!("after {what}: the emitted tree"),
        );
    });
}

/// The page memo is in the work dir, inside the repository: a pull request can change a page
/// of the emitted tree and the record's digest of it. The record's seal no longer verifies, so
/// the page is assembled again (through the sanitiser) and the planted one is not rendered.
#[test]
fn a_page_memo_changed_by_someone_else_is_not_used() {
    let dir = BookTest::new();
    write_memo_vault(&dir);
    let options = no_run();
    let build = || harness::build(&harness::load(dir.path()), &options).unwrap();
    build();
    let work = dir.path().join("target/vaultbook");
    let page = work.join("book-src/src/other.md");
    let old = std::fs::read(&page).unwrap();
    let mut planted = old.clone();
    planted.extend_from_slice(b"\n<script>alert('planted')</script>\n");
    std::fs::write(&page, &planted).unwrap();
    let record = work.join("book-src.pages.json");
    let text = std::fs::read_to_string(&record).unwrap();
    let hex = |b: &[u8]| -> String {
        use sha2::Digest;
        sha2::Sha256::digest(b)
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect()
    };
    assert!(
        text.contains(&hex(&old)),
        "the record names the page's digest"
    );
    std::fs::write(&record, text.replace(&hex(&old), &hex(&planted))).unwrap();
    build();
    let html = std::fs::read_to_string(dir.path().join("book/other.html")).unwrap();
    assert!(!html.contains("planted"), "the planted page was rendered");
    assert!(html.contains("Plain"), "{html}");
}

/// A page rendered alone, in a folder two levels down (its parents drafts and chapters), and
/// the first chapter (also the book's index.html) are the pages of a full render, byte for
/// byte, and so is every other file but the search index and the print page, which stay the
/// last full render's.
#[test]
fn pages_rendered_alone_in_nested_folders_are_a_full_renders() {
    let dir = BookTest::new();
    dir.write(
        "book.toml",
        "[book]\ntitle = \"T\"\n[vaultbook]\nvault = \"vault\"\n",
    );
    dir.write("vault/Home.md", "# Home\n\nStart.\n");
    dir.write("vault/a/a.md", "# A\n\nFolder note.\n");
    dir.write("vault/a/x.md", "# X\n\nAfter the folder.\n");
    dir.write("vault/a/b/b1.md", "# B1\n\nFirst, see [[b2]].\n");
    dir.write("vault/a/b/b2.md", "# B2\n\nSecond.\n");
    dir.write("vault/z.md", "# Z\n\nLast.\n");
    let r = dir.path();
    let mut s = session(r);
    let mut previous = r.join("gen0");
    rebuild(&mut s, &previous, None).unwrap();
    let edits = [
        ("vault/a/b/b2.md", "# B2\n\nSecond, *edited*.\n"),
        ("vault/Home.md", "# Home\n\nStart, edited.\n"),
        ("vault/a/a.md", "# A\n\nFolder note, edited.\n"),
    ];
    for (round, (note, text)) in edits.into_iter().enumerate() {
        dir.write(note, text);
        let out = r.join(format!("gen{}", round + 1));
        let (_, scope) = rebuild(&mut s, &out, Some(&previous)).unwrap();
        assert_eq!(scope, Scope::Pages(1), "after editing {note}");
        let full = r.join(format!("full{}", round + 1));
        rebuild(&mut session(r), &full, None).unwrap();
        let (a, b) = (harness::files(&out), harness::files(&full));
        assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
        let differ: Vec<_> = a
            .keys()
            .filter(|k| a[*k] != b[*k])
            .filter(|k| {
                let k = k.to_string_lossy();
                !k.starts_with("searchindex") && k != "print.html"
            })
            .collect();
        assert!(differ.is_empty(), "after editing {note}: {differ:?} differ");
        previous = out;
    }
}

/// serve's way: a rebuild of a few pages updates the served book in place, replacing each
/// changed file by a rename (a reader holding the old file keeps it), and the book is then a
/// full render's; a change of the book's shape renders a new book into `out`.
#[test]
fn an_update_in_place_replaces_only_the_changed_files_and_is_a_full_render() {
    let dir = book();
    let r = dir.path();
    let mut s = session(r);
    let gen1 = r.join("gen1");
    s.update_showing(&gen1, None, None).unwrap();
    let mut old_b = std::fs::File::open(gen1.join("b.html")).unwrap();
    let (b_ino, c_ino) = (ino(&gen1.join("b.html")), ino(&gen1.join("c.html")));
    dir.write("vault/B.md", "# B\n\nChanged *text*.\n");
    let unused = r.join("gen2");
    let (report, scope) = s.update_showing(&unused, Some(&gen1), None).unwrap();
    assert_eq!(scope, Scope::Pages(1));
    assert_eq!(report.output.as_deref(), Some(gen1.as_path()));
    assert!(!unused.exists(), "nothing is written into out");
    assert_ne!(ino(&gen1.join("b.html")), b_ino, "b.html is a new file");
    assert_eq!(ino(&gen1.join("c.html")), c_ino, "c.html is untouched");
    let mut held = String::new();
    std::io::Read::read_to_string(&mut old_b, &mut held).unwrap();
    assert!(
        held.contains("Unrelated."),
        "a reader of the old b.html keeps it"
    );
    let full = r.join("full");
    rebuild(&mut session(r), &full, None).unwrap();
    for page in ["b.html", "a.html", "c.html", "index.html"] {
        assert_eq!(
            std::fs::read_to_string(gen1.join(page)).unwrap(),
            std::fs::read_to_string(full.join(page)).unwrap(),
            "{page} differs from a full render"
        );
    }
    // A new chapter changes the sidebar: a whole new book.
    dir.write("vault/D.md", "# D\n");
    let gen3 = r.join("gen3");
    let (report, scope) = s.update_showing(&gen3, Some(&gen1), None).unwrap();
    assert_eq!(scope, Scope::Full);
    assert_eq!(report.output.as_deref(), Some(gen3.as_path()));
}

/// A book of 1,000 chapters gets no print page unless it asks (an info line says so), so a
/// build after an edit renders the changed pages alone; asked for, the print page is there, and
/// that build renders the whole book.
#[test]
fn a_book_of_a_thousand_chapters_builds_only_the_edited_pages() {
    let _memory = harness::memory_heavy();
    let dir = BookTest::new();
    let config = "[book]\ntitle = \"T\"\n[vaultbook]\nvault = \"vault\"\ngraph = false\n\
                  [output.html.search]\nenable = false\n";
    dir.write("book.toml", config);
    for i in 0..1000 {
        dir.write(
            format!("vault/f{}/N{i}.md", i / 100),
            format!("# N{i}\n\nText {i}.\n"),
        );
    }
    let r = dir.path();
    let options = no_run();
    let build = |root: &Path| {
        let report = harness::build(&harness::load(root), &options).unwrap();
        let phases: Vec<&str> = report.stats.phases.iter().map(|(n, _)| *n).collect();
        let omitted = report
            .diagnostics
            .iter()
            .any(|d| d.code.as_str() == "print-page-omitted");
        let scope = if phases.contains(&"render changed pages") {
            "pages"
        } else {
            "full"
        };
        (scope, omitted)
    };
    assert_eq!(build(r), ("full", true));
    assert!(!r.join("book/print.html").exists());
    dir.write("vault/f3/N345.md", "# N345\n\nText 345, edited.\n");
    assert_eq!(build(r).0, "pages");
    assert!(dir.page("f3/n345.html").contains("Text 345, edited."));

    dir.write(
        "book.toml",
        format!("{config}[output.html.print]\nenable = true\n"),
    );
    assert_eq!(build(r), ("full", false));
    assert!(r.join("book/print.html").is_file());
    dir.write("vault/f3/N345.md", "# N345\n\nText 345, edited twice.\n");
    assert_eq!(build(r).0, "full", "print.html holds every chapter");
}
