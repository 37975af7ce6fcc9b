//! Hostile vaults: bad bytes, huge and deeply nested notes, odd names, links that try to leave
//! the vault, markup in names and titles, unsafe output directories, and snippets that misbehave
//! in ways tests/snippets.rs does not cover.
//!
//! Every vault is generated here, in a temporary folder: `root/book.toml`, `root/vault/…`, and
//! for the escape tests `root/secret.md`, just outside the vault.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use vaultbook::{Config, Diagnostic};

use crate::harness::{self, BookTest, assert_diag, code, diags_with, files, has_code, no_run};

/// A marker that lives only in files outside the vault.
const SECRET: &str = "TOP-SECRET-7f3a9c1e-do-not-publish";

/// A book in a new temporary folder with these vault files (paths relative to the vault).
fn book(files: &[(&str, &[u8])]) -> BookTest {
    BookTest::new()
        .file("book.toml", "[book]\ntitle = \"Hostile\"\n")
        .file("secret.md", format!("# Secret\n\n{SECRET}\n"))
        .vault_files(files.iter().copied())
}

/// Asserts that no file under the book's output or emitted source holds `needle`.
fn nowhere_in_output(book: &BookTest, needle: &str) {
    let found = book.files_holding(&["book", "target/vaultbook/book-src"], needle);
    assert!(found.is_empty(), "{found:?} hold {needle:?}");
}

const GOOD: (&str, &[u8]) = ("Good.md", b"# Good\n\nGood paragraph.\n");

#[test]
fn bad_encodings_are_reported_and_the_good_part_is_kept() {
    let dir = book(&[
        GOOD,
        ("bad utf8.md", b"# Bad bytes\n\nok text \xff\xfe more\n"),
        ("bom.md", b"\xEF\xBB\xBF# Bom heading\n\nBom para.\n"),
        (
            "crlf.md",
            b"# Crlf heading\r\n\r\nFirst para.\r\nSecond line.\r\n\r\n- item [[Good]]\r\n",
        ),
        (
            "bom crlf.md",
            b"\xEF\xBB\xBF---\r\ntitle: Both\r\n---\r\n# Both heading\r\n\r\nBoth para.\r\n",
        ),
        (
            "moji.md",
            "# Moji\n\nIt\u{e2}\u{20ac}\u{201d}s here.\n".as_bytes(),
        ),
        ("empty.md", b""),
    ]);
    let report = dir.build();
    let root = dir.path();

    let d = diags_with(&report.diagnostics, "invalid-utf8", "vault/bad utf8.md");
    assert_eq!(d.len(), 1, "{:#?}", report.diagnostics);
    assert_eq!(d[0].span.map(|s| (s.line, s.column)), Some((3, 9)));
    let bad = dir.main_of("bad-utf8.html");
    assert!(bad.contains("ok text \u{FFFD}\u{FFFD} more"), "{bad}");

    for (page, heading, id, para) in [
        ("bom.html", "Bom heading", "bom-heading", "<p>Bom para.</p>"),
        (
            "both.html",
            "Both heading",
            "both-heading",
            "<p>Both para.</p>",
        ),
        (
            "crlf.html",
            "Crlf heading",
            "crlf-heading",
            "<p>First para.\nSecond line.</p>",
        ),
    ] {
        let page = if page == "both.html" {
            "bom-crlf.html"
        } else {
            page
        };
        let html = dir.main_of(page);
        assert!(
            html.contains(&format!(
                "<h1 id=\"{id}\"><a class=\"header\" href=\"#{id}\">{heading}</a></h1>"
            )),
            "{page}: {html}"
        );
        assert!(html.contains(para), "{page}: {html}");
        assert!(
            !html.contains('\r') && !html.contains('\u{feff}'),
            "{page}: {html:?}"
        );
    }
    // The frontmatter of a BOM + CRLF note is read (its title) and not shown.
    let summary =
        std::fs::read_to_string(root.join("target/vaultbook/book-src/src/SUMMARY.md")).unwrap();
    assert!(summary.contains("[Both](bom-crlf.md)"), "{summary}");
    assert!(!dir.main_of("bom-crlf.html").contains("title:"));
    assert!(
        dir.main_of("crlf.html")
            .contains("<a href=\"good.html\">Good</a>")
    );
    assert!(
        report
            .diagnostics
            .iter()
            .filter(|d| d.severity != vaultbook::Severity::Info)
            .all(|d| d.file.as_deref() != Some(Path::new("vault/crlf.md"))
                && d.file.as_deref() != Some(Path::new("vault/bom.md"))),
        "{:#?}",
        report.diagnostics
    );

    // Mojibake is reported and kept as written (the author decides).
    assert_diag(&report.diagnostics, "mojibake", "vault/moji.md");
    assert!(
        dir.main_of("moji.html")
            .contains("It\u{e2}\u{20ac}\u{201d}s here.")
    );
    // An empty note is a page with its name as title.
    assert!(dir.main_of("empty.html").contains(">empty</a></h1>"));
    assert!(dir.main_of("good.html").contains("<p>Good paragraph.</p>"));
}

#[test]
fn huge_and_deeply_nested_notes_finish() {
    let _memory = harness::memory_heavy();
    // 20 MB of prose with a heading every 1,000 lines and a few links, comments and tags.
    let mut big = String::from("# Big\n\n");
    let mut i = 0;
    while big.len() < 20 << 20 {
        if i % 1000 == 0 {
            big.push_str(&format!("## Part {i}\n\n"));
        }
        if i % 97 == 0 {
            big.push_str("See [[Good]] and %%a comment%% and #tag here.\n\n");
        } else {
            big.push_str(
                "Plain prose, nothing special here at all, just words and more words.\n\n",
            );
        }
        i += 1;
    }
    let quotes = format!("{} deep quote\n\nafter the quote\n", ">".repeat(3000));
    let mut list = String::new();
    for depth in 0..1500 {
        list.push_str(&"  ".repeat(depth));
        list.push_str("- level\n");
    }
    list.push_str("\nafter the list\n");
    let dir = book(&[
        GOOD,
        ("big.md", big.as_bytes()),
        ("quotes.md", quotes.as_bytes()),
        ("lists.md", list.as_bytes()),
    ]);
    let started = Instant::now();
    let report = dir.build();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(120), "took {took:?}");
    assert!(!has_code(&report.diagnostics, "internal-error"));
    let big = dir.main_of("big.html");
    assert!(big.contains("id=\"part-19000\""));
    assert!(dir.main_of("quotes.html").contains("deep quote"));
    assert!(dir.main_of("quotes.html").contains("after the quote"));
    assert!(dir.main_of("lists.html").contains("after the list"));
    assert!(dir.main_of("good.html").contains("Good paragraph."));
}

#[test]
fn malformed_wikilinks_are_reported_and_kept_as_text() {
    let dir = book(&[
        GOOD,
        (
            "wiki.md",
            b"# Wiki\n\nUnclosed [[Good and more\n\nEmpty [[]] pipe [[|]] hash [[#]] caret [[^]] end [[Good]].\n",
        ),
    ]);
    let report = dir.build();
    let d = diags_with(&report.diagnostics, "unclosed-wikilink", "vault/wiki.md");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].span.map(|s| (s.line, s.column)), Some((3, 10)));
    let empties: Vec<(usize, usize)> =
        diags_with(&report.diagnostics, "empty-link", "vault/wiki.md")
            .iter()
            .filter_map(|d| d.span.map(|s| (s.line, s.column)))
            .collect();
    assert_eq!(empties, [(5, 7), (5, 17), (5, 28)]);
    // `[[^]]` names a note called `^`, which does not exist.
    assert_diag(&report.diagnostics, "broken-link", "vault/wiki.md");
    let html = dir.main_of("wiki.html");
    assert!(html.contains("Unclosed [[Good and more"), "{html}");
    assert!(html.contains("<a href=\"good.html\">Good</a>."), "{html}");
    assert!(
        !html.contains("<a href=\"wiki.html\"></a>"),
        "an empty link: {html}"
    );
}

#[test]
fn malformed_and_non_mapping_frontmatter_build_without_keys() {
    let dir = book(&[
        GOOD,
        (
            "fm bad.md",
            b"---\ntitle: [unclosed\n---\n# Still here\n\nBody one.\n",
        ),
        (
            "fm list.md",
            b"---\n- a\n- b\n---\n# List fm\n\nBody two.\n",
        ),
        (
            "fm scalar.md",
            b"---\njust a string\n---\n# Scalar fm\n\nBody three.\n",
        ),
        (
            "fm tab.md",
            b"---\n\tkey: value\n---\n# Tab fm\n\nBody four.\n",
        ),
        (
            "fm deep.md",
            format!(
                "---\nx: {}\n---\n# Deep fm\n\nBody five.\n",
                "[".repeat(5000)
            )
            .as_bytes(),
        ),
    ]);
    let report = dir.build();
    for (file, page, body) in [
        ("fm bad", "fm-bad.html", "Body one."),
        ("fm list", "fm-list.html", "Body two."),
        ("fm scalar", "fm-scalar.html", "Body three."),
        ("fm tab", "fm-tab.html", "Body four."),
        ("fm deep", "fm-deep.html", "Body five."),
    ] {
        assert_diag(
            &report.diagnostics,
            "malformed-frontmatter",
            &format!("vault/{file}.md"),
        );
        let html = dir.main_of(page);
        assert!(html.contains(body), "{page}: {html}");
        assert!(!html.contains("---"), "{page}: {html}");
    }
}

#[test]
fn odd_names_in_nfc_and_nfd_resolve_and_render_to_working_links() {
    let nfd = "Cafe\u{301} nfd";
    let files: Vec<(String, Vec<u8>)> = vec![
        ("README.md".into(), {
            let s = "# Home\n\n\
                [[My Note]] [[Café nfd]] [[Cafe\u{301} nfc]] [[what & why]] [[50% done]] \
                [[it's \"quoted\"]] [[Ünïcödé 日本]] [[a/Dup]] [[b/Dup]] [[Dup]]\n\n\
                [hash](Q%20%231.md) [question](<why%3F.md>) [space](My%20Note.md#Spaced%20heading)\n";
            s.as_bytes().to_vec()
        }),
        (
            "My Note.md".into(),
            b"# My Note\n\n## Spaced heading\n".to_vec(),
        ),
        (format!("{nfd}.md"), b"# NFD name\n".to_vec()),
        ("Caf\u{e9} nfc.md".into(), b"# NFC name\n".to_vec()),
        ("what & why.md".into(), b"# Amp\n".to_vec()),
        ("50% done.md".into(), b"# Percent\n".to_vec()),
        ("it's \"quoted\".md".into(), b"# Quotes\n".to_vec()),
        (
            "\u{dc}n\u{ef}c\u{f6}d\u{e9} \u{65e5}\u{672c}.md".into(),
            b"# Unicode\n".to_vec(),
        ),
        ("Q #1.md".into(), b"# Hash\n".to_vec()),
        ("why?.md".into(), b"# Question\n".to_vec()),
        ("a/Dup.md".into(), b"# Dup A\n".to_vec()),
        ("b/Dup.md".into(), b"# Dup B\n".to_vec()),
    ];
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    let dir = book(&refs);
    let report = dir.build();
    let broken: Vec<String> = report
        .diagnostics
        .iter()
        .filter(|d| code(d) == "broken-link" || code(d) == "missing-heading")
        .map(|d| d.one_line())
        .collect();
    assert!(broken.is_empty(), "{broken:#?}");
    // Two notes named Dup: the bare name is ambiguous, and said so, naming the linking file.
    assert_diag(&report.diagnostics, "ambiguous-link", "vault/README.md");
    let home = dir.main_of("index.html");
    assert_eq!(home.matches(".html").count(), 13, "{home}");
    // Every one of those hrefs reaches a page (and the heading id).
    dir.assert_links_reach_ids();
    assert!(home.contains("#spaced-heading\""), "{home}");
}

#[test]
fn symlink_loops_links_out_and_special_files_are_skipped_with_a_diagnostic() {
    let dir = book(&[GOOD, ("inner.md", b"# Inner\n\nInner text.\n")]);
    let v = dir.path().join("vault");
    symlink("loop-b.md", v.join("loop-a.md")).unwrap();
    symlink("loop-a.md", v.join("loop-b.md")).unwrap();
    symlink(".", v.join("self")).unwrap();
    symlink("..", v.join("up")).unwrap();
    symlink("../secret.md", v.join("leak.md")).unwrap();
    symlink(dir.path().join("secret.md"), v.join("leak-abs.md")).unwrap();
    symlink("inner.md", v.join("alias-of-inner.md")).unwrap();
    symlink("missing.md", v.join("dangling.md")).unwrap();
    // A pipe: reading it would block forever (a symlink to it once hung the build).
    let fifo = std::ffi::CString::new(v.join("pipe").to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    symlink("pipe", v.join("pipe-note.md")).unwrap();
    std::fs::write(
        v.join("links.md"),
        "# Links\n\n[[leak]] [[Good]] [[alias-of-inner]]\n",
    )
    .unwrap();

    let started = Instant::now();
    let report = dir.build();
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_diag(&report.diagnostics, "skipped-file", "vault/loop-a.md");
    assert_diag(&report.diagnostics, "skipped-file", "vault/loop-b.md");
    assert_diag(&report.diagnostics, "skipped-file", "vault/dangling.md");
    assert_diag(&report.diagnostics, "skipped-file", "vault/pipe-note.md");
    assert_diag(
        &report.diagnostics,
        "symlink-outside-vault",
        "vault/leak.md",
    );
    assert_diag(
        &report.diagnostics,
        "symlink-outside-vault",
        "vault/leak-abs.md",
    );
    assert_diag(&report.diagnostics, "symlink-outside-vault", "vault/up");
    // `[[leak]]` finds nothing: the symlink is not a note of the vault.
    assert_diag(&report.diagnostics, "broken-link", "vault/links.md");
    nowhere_in_output(&dir, SECRET);
    // A symlink to a note inside the vault is read through its target.
    assert!(dir.main_of("alias-of-inner.html").contains("Inner text."));
    assert!(dir.main_of("good.html").contains("Good paragraph."));
}

/// Runs `f` as an unprivileged user when we are root (root reads a chmod 000 file regardless),
/// or as ourselves otherwise: the CLI in a child process.
#[test]
fn unreadable_notes_and_folders_are_reported_and_the_rest_is_built() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let dir = book(&[
        GOOD,
        ("locked.md", b"# Locked\n"),
        ("closed/inside.md", b"# Inside\n"),
    ]);
    let root = dir.path();
    // SAFETY: geteuid has no preconditions.
    let as_root = unsafe { libc::geteuid() } == 0;
    let nobody = 65534;
    if as_root {
        // Root ignores file modes (CAP_DAC_OVERRIDE): the build runs as `nobody` instead, who
        // owns the book (so it may write its output) but not the locked note and folder.
        for e in walkdir::WalkDir::new(root) {
            let e = e.unwrap();
            std::os::unix::fs::lchown(e.path(), Some(nobody), Some(nobody)).unwrap();
        }
        std::os::unix::fs::chown(root.join("vault/locked.md"), Some(0), Some(0)).unwrap();
        std::os::unix::fs::chown(root.join("vault/closed"), Some(0), Some(0)).unwrap();
        // The temporary folder's parent must be traversable by nobody.
        let parent = root.parent().unwrap();
        let mode = std::fs::metadata(parent).unwrap().permissions().mode();
        if mode & 0o001 == 0 {
            println!(
                "note: {} is not traversable by others; skipping",
                parent.display()
            );
            return;
        }
    }
    std::fs::set_permissions(
        root.join("vault/locked.md"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    std::fs::set_permissions(
        root.join("vault/closed"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    if !as_root && std::fs::read(root.join("vault/locked.md")).is_ok() {
        println!("note: file modes are not enforced here; skipping");
        return;
    }
    let mut cmd = harness::vaultbook();
    cmd.arg("build").arg(root).arg("--no-run").env("HOME", root);
    if as_root {
        // std drops supplementary groups when root sets a uid.
        cmd.uid(nobody).gid(nobody);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    std::fs::set_permissions(
        root.join("vault/closed"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    assert!(
        stderr.contains("vault/locked.md: error[read-error]")
            || stderr.contains("vault/locked.md: warning[read-error]"),
        "{stderr}"
    );
    assert!(
        stderr.contains("vault/closed") && stderr.contains("read-error"),
        "{stderr}"
    );
    assert!(
        dir.main_of("good.html").contains("Good paragraph."),
        "{stderr}"
    );
}

#[test]
fn links_never_read_outside_the_vault() {
    let dir = book(&[
        GOOD,
        (
            "escape.md",
            b"# Escape\n\n\
            [[../../etc/passwd]] ![[/etc/passwd]] [x](../../../secret.md) ![y](/etc/hostname)\n\n\
            [[../secret]] ![[../secret.md]] [z](../secret.md) ![[../secret.md#Secret]]\n\n\
            [abs](/etc/passwd) ![home](~/secret.md) [drive](C:/secret.md) [[..]] [[../]]\n",
        ),
        // Like Obsidian, a path that climbs out is looked up by its file name inside the vault.
        (
            "sub/climb.md",
            b"# Climb\n\n[[../../../Good]] ![[/sub/pic.png]]\n",
        ),
        ("sub/pic.png", b"\x89PNG\r\n\x1a\nfake"),
    ]);
    let report = dir.build();
    let outside: Vec<(usize, usize)> =
        diags_with(&report.diagnostics, "outside-vault", "vault/escape.md")
            .iter()
            .filter_map(|d| d.span.map(|s| (s.line, s.column)))
            .collect();
    assert!(
        outside.len() >= 11,
        "{outside:?} {:#?}",
        report
            .diagnostics
            .iter()
            .map(|d| d.one_line())
            .collect::<Vec<_>>()
    );
    nowhere_in_output(&dir, SECRET);
    // Nothing from outside is copied: the emitted tree holds our files (chapters, the link
    // graph's data scripts) and the one picture.
    let copied: Vec<PathBuf> = files(&dir.path().join("target/vaultbook/book-src/src"))
        .into_keys()
        .filter(|p| p.extension().is_none_or(|e| e != "md"))
        .filter(|p| !p.starts_with("vaultbook-graph"))
        .collect();
    assert_eq!(copied.len(), 1, "{copied:?}");
    assert!(copied[0].ends_with("sub/pic.png"));
    for (_, bytes) in files(&dir.path().join("book")) {
        assert!(!String::from_utf8_lossy(&bytes).contains("root:x:0:0"));
    }
    let climb = dir.main_of("sub/climb.html");
    assert!(climb.contains("<a href=\"../good.html\">"), "{climb}");
    assert!(climb.contains("<img src=\"pic.png\""), "{climb}");
    dir.assert_links_reach_ids();
}

#[test]
fn markup_in_names_titles_aliases_and_tags_is_escaped_everywhere() {
    let dir = book(&[
        GOOD,
        (
            "README.md",
            b"# Home\n\n[[x<script>alert(5)<]] [[Titled]] [[A\"quote']] [[Nowhere<script>alert(6)</script>]] \
            [[Good#<script>alert(8)</script>]] [[<script>alert(2)</script>]]\n",
        ),
        ("x<script>alert(5)<.md", b"No heading here, [[Good]].\n"),
        ("A\"quote'.md", b"Quote note [[Good]] [[Titled]].\n"),
        (
            "Titled.md",
            b"---\ntitle: \"<script>alert(1)</script>\"\n\
            aliases: [\"<script>alert(2)</script>\", \"\\\"><img src=x onerror=alert(9)>\"]\n\
            tags: [\"<script>alert(10)</script>\", \"a\\\"b\", \"<img src=x onerror=alert(11)>\"]\n---\n\
            Body [[Good]] [[\"><img src=x onerror=alert(9)>]] #tag\n",
        ),
    ]);
    let report = dir.build();
    assert!(!has_code(&report.diagnostics, "internal-error"));
    for (path, bytes) in files(&dir.path().join("book")) {
        let text = String::from_utf8_lossy(&bytes);
        let name = path.file_name().unwrap().to_string_lossy();
        if name.starts_with("searchindex") {
            // The index holds each page's text as text (the searcher escapes it when it shows a
            // hit); what the searcher puts in as HTML, titles and breadcrumbs, must be escaped.
            for field in ["\"title\":\"", "\"breadcrumbs\":\""] {
                for value in text.split(field).skip(1) {
                    let value = &value[..value.find('"').unwrap_or(value.len())];
                    assert!(
                        !value.contains('<') && !value.contains('>'),
                        "{} has {field}{value}",
                        path.display()
                    );
                }
            }
            continue;
        }
        for bad in ["<script>alert", "<img src=x", "\"><img"] {
            assert!(!text.contains(bad), "{} holds {bad:?}", path.display());
        }
    }
    // The sidebar is in toc.js / toc.html in mdBook 0.5.
    let toc = std::fs::read_to_string(dir.path().join("book/toc.html")).unwrap();
    assert!(
        toc.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{toc}"
    );
    dir.assert_links_reach_ids();
}

#[test]
fn wikilink_aliases_with_html_are_escaped() {
    let dir = book(&[
        GOOD,
        (
            "README.md",
            b"# Home\n\n[[Good|<script>alert(3)</script>]]\n",
        ),
    ]);
    dir.build();
    let home = dir.main_of("index.html");
    assert!(!home.contains("<script>alert"), "{home}");
}

#[test]
fn output_directories_that_are_not_ours_are_refused_and_left_alone() {
    let dir = book(&[GOOD]);
    let root = dir.path();
    let config = harness::load(root);
    let vault_before = files(&root.join("vault"));
    // The vault itself, a folder in it, a folder holding it, the book root.
    for out in [
        root.join("vault"),
        root.join("vault/out"),
        root.to_path_buf(),
        root.join("vault/.."),
    ] {
        let err = harness::emit(&config, &no_run(), &out);
        assert!(err.is_err(), "{} accepted", out.display());
    }
    // A symlink that leads into the vault is the vault.
    symlink(root.join("vault"), root.join("sneaky")).unwrap();
    assert!(harness::emit(&config, &no_run(), &root.join("sneaky")).is_err());
    assert!(harness::emit(&config, &no_run(), &root.join("sneaky/sub")).is_err());
    // book.toml cannot point the build or work dir into the vault either.
    for toml in [
        "[book]\ntitle='t'\n[build]\nbuild-dir='vault/book'\n",
        "[book]\ntitle='t'\n[build]\nbuild-dir='.'\n",
        "[book]\ntitle='t'\n[vaultbook]\nwork-dir='vault'\n",
    ] {
        assert!(Config::from_str(root, toml).is_err(), "{toml}");
    }
    // A folder with someone else's file is refused, and the file is untouched.
    let theirs = root.join("theirs");
    std::fs::create_dir_all(theirs.join("deep")).unwrap();
    std::fs::write(theirs.join("deep/keep.txt"), "mine").unwrap();
    assert!(harness::emit(&config, &no_run(), &theirs).is_err());
    assert_eq!(
        std::fs::read_to_string(theirs.join("deep/keep.txt")).unwrap(),
        "mine"
    );
    // Our own output with a stranger's file dropped into it is refused too.
    let ours = root.join("ours");
    harness::emit(&config, &no_run(), &ours).unwrap();
    std::fs::write(ours.join("src/notes-by-hand.md"), "hand written").unwrap();
    assert!(harness::emit(&config, &no_run(), &ours).is_err());
    assert!(ours.join("src/notes-by-hand.md").is_file());
    // A forged manifest cannot make vaultbook delete outside its output.
    let victim = root.join("victim.txt");
    std::fs::write(&victim, "keep me").unwrap();
    let forged = root.join("forged");
    std::fs::create_dir_all(&forged).unwrap();
    std::fs::write(
        forged.join(".vaultbook-manifest"),
        "../victim.txt\n/etc/hostname\n",
    )
    .unwrap();
    harness::emit(&config, &no_run(), &forged).unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    assert_eq!(vault_before, files(&root.join("vault")));
    // No staging or old directories are left beside the outputs.
    let leftovers: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.contains("vaultbook-staging") || n.contains("vaultbook-old"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// An emit over its last tree links the files it would write again (see `output::Last`). A
/// tree planted where the book is emitted, with its own manifest, may hold symbolic links to
/// files, or folders, outside it that hold exactly the bytes of the page: they are neither
/// followed, nor linked into the new tree, nor touched.
#[test]
fn symlinks_in_the_replaced_tree_are_not_followed_or_linked() {
    use std::os::unix::fs::MetadataExt;
    let dir = book(&[GOOD]);
    let root = dir.path();
    let config = harness::load(root);
    let probe = root.join("probe");
    harness::emit(&config, &no_run(), &probe).unwrap();
    let page = probe.join("src/good.md");
    assert!(page.is_file());
    let outside = root.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::copy(&page, outside.join("good.md")).unwrap();
    // A file link: `src/good.md` leads to a file outside with the page's bytes.
    let planted = root.join("planted");
    harness::copy_dir(&probe, &planted);
    std::fs::remove_file(planted.join("src/good.md")).unwrap();
    symlink(outside.join("good.md"), planted.join("src/good.md")).unwrap();
    // A folder link: `src` itself leads to a folder outside holding the pages.
    let folder = root.join("folder");
    harness::copy_dir(&probe, &folder);
    let outside_src = root.join("outside-src");
    std::fs::rename(folder.join("src"), &outside_src).unwrap();
    symlink(&outside_src, folder.join("src")).unwrap();
    let manifest = std::fs::read_to_string(probe.join(".vaultbook-manifest")).unwrap();
    std::fs::write(
        folder.join(".vaultbook-manifest"),
        format!("{manifest}src\n"),
    )
    .unwrap();
    let before = std::fs::read(&page).unwrap();
    for out in [&planted, &folder] {
        harness::emit(&config, &no_run(), out).unwrap();
        let kind = std::fs::symlink_metadata(out.join("src/good.md")).unwrap();
        assert!(kind.is_file(), "{}: {:?}", out.display(), kind.file_type());
        assert!(std::fs::symlink_metadata(out.join("src")).unwrap().is_dir());
        assert_eq!(kind.nlink(), 1, "{}", out.display());
        assert_eq!(std::fs::read(out.join("src/good.md")).unwrap(), before);
    }
    for theirs in [outside.join("good.md"), outside_src.join("good.md")] {
        let meta = std::fs::metadata(&theirs).unwrap();
        assert_eq!(meta.nlink(), 1, "{} linked into the book", theirs.display());
        assert_eq!(std::fs::read(&theirs).unwrap(), before);
    }
}

/// A snippet that starts `/bin/sleep <arg>` in a session of its own (out of the sandbox's process
/// group, holding the output pipe open) and then sleeps past its 1 s timeout. Returns the
/// outcome's markdown, the diagnostics, how long `run_all` took, and how many of the escaped
/// sleepers were still alive afterwards (they are killed here either way).
fn run_escaping_snippet(arg: &str) -> Option<(String, Vec<Diagnostic>, Duration, usize)> {
    use vaultbook::internals::snippets::{SnippetOptions, SnippetRequest, run_all};
    if !Path::new("/usr/bin/setsid").exists() {
        println!("note: no /usr/bin/setsid; skipping");
        return None;
    }
    let _snippets = harness::snippets_running();
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("vault")).unwrap();
    let config = Config::from_str(
        root.path(),
        "[book]\ntitle = 't'\n[vaultbook.snippets]\ntimeout = 1\n",
    )
    .unwrap();
    let tera = vaultbook::internals::load_templates(root.path()).unwrap();
    let requests = vec![SnippetRequest {
        file: PathBuf::from("vault/escape.md"),
        span: harness::span(),
        info: "rust".into(),
        code: format!(
            "fn main() {{\n    std::process::Command::new(\"/usr/bin/setsid\").args([\"/bin/sleep\", \"{arg}\"]).spawn().unwrap();\n    println!(\"spawned\");\n    std::thread::sleep(std::time::Duration::from_secs(30));\n}}\n"
        ),
    }];
    let opts = SnippetOptions {
        run: true,
        rerun: true,
        progress: false,
        trust: false,
    };
    let started = Instant::now();
    let (outcomes, diags) = run_all(&requests, &config, &tera, &opts);
    let took = started.elapsed();
    let mut escaped = 0;
    for pid in harness::processes_with_cmdline(&["/bin/sleep", arg]) {
        escaped += 1;
        // SAFETY: kill has no memory-safety preconditions.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
    Some((outcomes[0].markdown.clone(), diags, took, escaped))
}

/// A snippet fault tests/snippets.rs does not cover: a child that leaves the sandbox's session
/// and keeps the output pipe open must not hold the build past the timeout.
#[test]
fn a_snippet_whose_child_escapes_the_group_cannot_hold_the_build() {
    let Some((md, diags, took, _)) = run_escaping_snippet("977.5") else {
        return;
    };
    assert!(md.contains("spawned"), "{md}");
    assert!(md.contains("timed out after 1 s"), "{md}");
    assert!(
        diags.iter().any(|d| code(d) == "snippet-timeout"),
        "{diags:?}"
    );
    // Compile time included; the run itself ends within the timeout and a grace period.
    assert!(took < Duration::from_secs(120), "took {took:?}");
}

#[test]
fn no_snippet_process_outlives_its_run() {
    let Some((_, _, _, escaped)) = run_escaping_snippet("977.75") else {
        return;
    };
    assert_eq!(
        escaped, 0,
        "escaped sleepers were still running after run_all"
    );
}

#[test]
fn an_embed_bomb_is_stopped_with_a_diagnostic() {
    let levels = 5;
    let mut files: Vec<(String, Vec<u8>)> = (0..levels)
        .map(|i| {
            let embeds = vec![format!("![[L{}]]", i + 1); 10].join(" ");
            (
                format!("L{i}.md"),
                format!("# L{i}\n\n{embeds}\n").into_bytes(),
            )
        })
        .collect();
    files.push((format!("L{levels}.md"), b"# Leaf\n\nlol\n".to_vec()));
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    let dir = book(&refs);
    let root = dir.path().to_path_buf();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let config = harness::load(&root);
        let _ =
            tx.send(harness::emit(&config, &no_run(), &root.join("out")).map(|r| r.diagnostics));
    });
    let diags = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the build is still running after 30 s")
        .unwrap();
    assert!(
        diags.iter().any(|d| code(d).starts_with("embed-")),
        "{diags:#?}"
    );
}
