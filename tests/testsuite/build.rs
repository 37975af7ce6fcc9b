//! Builds fixture vaults into temporary directories and checks the emitted markdown and the
//! rendered HTML: every link form lands where it should, and every internal link of the rendered
//! book reaches an existing page and id.

use std::path::Path;

use vaultbook::Severity;

use crate::harness::{self, BookTest, code, files, no_run, read};

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
    let book = BookTest::from_fixture("links");
    book.build();
    let md = book.emitted("links.md");
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
    let utils = book.page("utils.html");
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
    assert!(book.join("book/images/pic-one.png").is_file());
}

#[test]
fn rendered_links_all_reach_an_existing_page_and_id() {
    let book = BookTest::from_fixture("links");
    book.build();
    book.assert_links_reach_ids();
}

#[test]
fn no_wikilink_syntax_leaks_into_prose() {
    let book = BookTest::from_fixture("links");
    book.build();
    for (path, bytes) in files(&book.join("book")) {
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
    let book = BookTest::from_fixture("links");
    let report = book.build();
    let found: Vec<String> = harness::problems(&report.diagnostics);
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
        .find(|d| code(d) == "missing-heading")
        .unwrap();
    let help = heading.help.as_deref().unwrap_or("");
    assert!(
        help.contains("`Execution`"),
        "a missing heading suggests near ones: {help}"
    );
}

#[test]
fn notes_resolve_in_their_own_folder_first() {
    let book = BookTest::from_fixture("links");
    let report = book.build();
    let linker = book.emitted("folder/linker.md");
    assert!(linker.contains("[Note](note.md)"), "{linker}");
    assert!(
        linker.contains("[other/Note](../other/note.md)"),
        "{linker}"
    );
    // From the vault root, `[[Note]]` has no folder to prefer: it is ambiguous.
    assert!(
        !report
            .diagnostics
            .iter()
            .any(|d| code(d) == "ambiguous-link"
                && d.file.as_deref() == Some(Path::new("vault/folder/Linker.md")))
    );
}

#[test]
fn unpublished_and_broken_notes() {
    let book = BookTest::from_fixture("links");
    book.build();
    let src = book.emitted_src();
    let summary = read(src.join("SUMMARY.md"));
    assert!(!summary.contains("Draft"), "{summary}");
    assert!(!src.join("draft.md").exists());
    // A note with malformed frontmatter is still built, frontmatter stripped.
    let bad = read(src.join("bad-frontmatter.md"));
    assert!(bad.starts_with("# Still built"), "{bad}");
    // The start note opens the book as its index page; frontmatter titles and order apply.
    assert!(summary.contains("[Welcome](index.md)"), "{summary}");
    assert!(summary.contains("- [Definitions](utils.md)"), "{summary}");
    assert!(book.join("book/index.html").is_file());
}

#[test]
fn emit_is_deterministic_and_stands_alone() {
    let book = BookTest::from_fixture("links");
    let config = book.config();
    let a = book.join("out-a");
    let b = book.join("out-b");
    harness::emit(&config, &no_run(), &a).unwrap();
    harness::emit(&config, &no_run(), &b).unwrap();
    assert_eq!(files(&a), files(&b));
    let toml = read(a.join("book.toml"));
    assert!(!toml.contains("vaultbook]"), "{toml}");
    // Build the emitted tree the way a stock `mdbook build` does.
    harness::mdbook_build(&a);
    assert!(a.join("book/links.html").is_file());
    harness::assert_links_reach_ids(&a.join("book"));
}

#[test]
fn output_directories_are_vaultbooks_alone() {
    let book = BookTest::from_fixture("links");
    let config = book.config();
    // A directory holding someone else's files is not replaced, and nothing in it is touched.
    let foreign = book.join("theirs");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("keep.txt"), "mine").unwrap();
    let err = harness::emit(&config, &no_run(), &foreign).unwrap_err();
    assert!(err.to_string().contains("did not write"), "{err}");
    assert_eq!(read(foreign.join("keep.txt")), "mine");
    // The vault, or a folder inside it, is refused.
    assert!(harness::emit(&config, &no_run(), &book.join("vault")).is_err());
    assert!(harness::emit(&config, &no_run(), &book.join("vault/out")).is_err());
    assert!(harness::emit(&config, &no_run(), book.root()).is_err());
    // Our own output is replaced as a whole, stale files included.
    let ours = book.join("ours");
    harness::emit(&config, &no_run(), &ours).unwrap();
    std::fs::remove_file(book.join("vault/My Note.md")).unwrap();
    harness::emit(&config, &no_run(), &ours).unwrap();
    assert!(!ours.join("src/my-note.md").exists());
}

/// Emitting over the last tree links the files whose bytes did not change (no new inode: see
/// `output::Last`), writes the rest anew, and ends with the tree a fresh emit writes, with
/// nothing shared with the replaced tree that a later in-place write could reach.
#[test]
fn an_emit_over_its_last_tree_links_what_did_not_change() {
    use std::os::unix::fs::MetadataExt;
    let book = BookTest::from_fixture("links");
    let config = book.config();
    let out = book.join("out");
    harness::emit(&config, &no_run(), &out).unwrap();
    let inodes = |dir: &Path| -> std::collections::BTreeMap<std::path::PathBuf, u64> {
        walkdir::WalkDir::new(dir)
            .into_iter()
            .map(Result::unwrap)
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                (
                    e.path().strip_prefix(dir).unwrap().to_path_buf(),
                    e.metadata().unwrap().ino(),
                )
            })
            .collect()
    };
    let (bytes_before, inodes_before) = (files(&out), inodes(&out));
    // A page edited by hand after the emit is not taken for the one vaultbook writes.
    std::fs::write(out.join("src/links.md"), "edited by hand").unwrap();
    harness::write(
        book.join("vault/Utils.md"),
        read(book.join("vault/Utils.md")) + "\nOne more line.\n",
    );
    harness::emit(&config, &no_run(), &out).unwrap();
    let fresh = book.join("fresh");
    harness::emit(&config, &no_run(), &fresh).unwrap();
    assert_eq!(files(&out), files(&fresh));
    assert!(read(out.join("src/utils.md")).contains("One more line."));
    let (bytes_after, inodes_after) = (files(&out), inodes(&out));
    let mut linked = 0;
    for (path, inode) in &inodes_after {
        // The manifest is always written anew.
        if path == Path::new(".vaultbook-manifest") {
            continue;
        }
        let same = bytes_before.get(path) == bytes_after.get(path);
        if same && path != Path::new("src/links.md") {
            assert_eq!(
                Some(inode),
                inodes_before.get(path),
                "{} unchanged, not linked",
                path.display()
            );
            linked += 1;
        } else {
            assert_ne!(
                Some(inode),
                inodes_before.get(path),
                "{} changed, yet linked",
                path.display()
            );
        }
    }
    assert!(
        linked > 0 && linked < inodes_after.len(),
        "{linked} of {}",
        inodes_after.len()
    );
    // Every file of the new tree has one name only: the old tree's names are gone.
    for e in walkdir::WalkDir::new(&out) {
        let e = e.unwrap();
        if e.file_type().is_file() {
            assert_eq!(e.metadata().unwrap().nlink(), 1, "{}", e.path().display());
        }
    }
}

#[test]
fn nothing_is_written_into_the_vault() {
    let book = BookTest::from_fixture("links");
    let before = files(&book.join("vault"));
    book.build();
    assert_eq!(before, files(&book.join("vault")));
}

/// The built book has mdBook's search: the box, the index, and hits that land on real ids.
#[test]
fn the_book_has_search_and_its_hits_land() {
    let dir = BookTest::from_fixture("links");
    dir.build();
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
    harness::assert_links_reach_ids(&book);
}

/// Titles taken from a note's first heading are shown as text (a wikilink's label, code
/// without backticks) in `<title>` and the sidebar; a template placeholder gives the file name.
#[test]
fn titles_from_headings_are_text() {
    let dir = BookTest::from_fixture("titles");
    dir.build();
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
    let dir = BookTest::from_fixture("case");
    let report = dir.build();
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
        .filter(|d| code(d) == "ambiguous-link")
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

/// A note may embed another section of itself (`![[#Details]]`, `![[README#Details]]`), as
/// Obsidian renders it; only an embed whose target holds the embed itself is a cycle.
#[test]
fn a_note_embeds_its_own_sections_and_only_a_real_cycle_is_one() {
    let dir = BookTest::from_fixture("selfembed");
    let report = dir.build();
    let cycles: Vec<String> = report
        .diagnostics
        .iter()
        .filter(|d| code(d) == "embed-cycle")
        .map(|d| d.one_line())
        .collect();
    assert_eq!(cycles.len(), 1, "{cycles:#?}");
    assert!(cycles[0].contains("README.md:15:"), "{cycles:#?}");
    let start = dir.main_of("index.html");
    assert_eq!(start.matches("Some details.").count(), 3, "{start}");
    // The whole note embedded elsewhere brings its own section embeds along.
    let other = dir.main_of("other.html");
    assert_eq!(other.matches("Some details.").count(), 3, "{other}");
}

/// Wikilinks in a callout's title are links, as Obsidian shows them, folded or not.
#[test]
fn wikilinks_in_callout_titles_are_links() {
    let dir = BookTest::from_fixture("callout_titles");
    let report = dir.build();
    assert!(!report.failed(false), "{:#?}", report.diagnostics);
    let start = dir.main_of("index.html");
    assert!(!start.contains("[["), "{start}");
    assert!(
        start.contains(r#"<div class="callout-title">Read <a href="other.html#some-heading">this</a> first</div>"#),
        "{start}"
    );
    assert!(
        start.contains(r#"<summary class="callout-title">Folded, with <a href="other.html">Other</a> and <strong>bold</strong></summary>"#),
        "{start}"
    );
    assert!(
        start.contains(r#"<div class="callout-title">Note</div>"#),
        "{start}"
    );
    harness::assert_links_reach_ids(&dir.root().join("book"));
}

/// A missing attachment is suggested a file of the vault, never a note.
#[test]
fn a_missing_attachment_is_suggested_a_file() {
    let book = BookTest::new()
        .file("book.toml", "[book]\ntitle = \"T\"\n")
        .file(
            "vault/README.md",
            "# Start\n\n![[obsidan-cli.mp4]] [[Obsidian CLI]]\n",
        )
        .file("vault/Obsidian CLI.md", "# Obsidian CLI\n")
        .file("vault/media/obsidian-cli.mp4", "not really a video");
    let report = book.build();
    let missing: Vec<&vaultbook::Diagnostic> = report
        .diagnostics
        .iter()
        .filter(|d| code(d) == "missing-attachment")
        .collect();
    assert_eq!(missing.len(), 1, "{:#?}", report.diagnostics);
    assert_eq!(
        missing[0].help.as_deref(),
        Some("did you mean `obsidian-cli.mp4`?"),
        "{missing:#?}"
    );
}

/// An embedded Obsidian Base is a link to the file, said in an info diagnostic.
#[test]
fn an_embedded_base_is_a_link_and_says_so() {
    let book = BookTest::new()
        .file("book.toml", "[book]\ntitle = \"T\"\n")
        .file("vault/README.md", "# Start\n\n![[Table.base]]\n")
        .file("vault/Table.base", "views: []\n");
    let report = book.build();
    let info: Vec<&vaultbook::Diagnostic> = report
        .diagnostics
        .iter()
        .filter(|d| code(d) == "unrendered-embed")
        .collect();
    assert_eq!(info.len(), 1, "{:#?}", report.diagnostics);
    assert_eq!(info[0].severity, Severity::Info);
    assert!(!report.failed(true), "{:#?}", report.diagnostics);
}

/// A book past mdBook's one-file index gets Pagefind's chunked one (forced here with
/// `search = "pagefind"`; `auto` picks it for large books): every file small, every hit a page
/// of the book (`check --html` follows them), and vaultbook's search button on every page.
#[test]
fn chunked_search_index_is_small_files_whose_hits_land() {
    let book = BookTest::from_fixture("links");
    book.append("book.toml", "search = \"pagefind\"\n");
    book.build();
    let out = book.join("book");
    assert!(out.join("pagefind/pagefind-entry.json").is_file());
    assert!(out.join("pagefind/pagefind-ui.js").is_file());
    assert!(
        !out.read_dir().unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with("searchindex")),
        "no mdBook index beside it"
    );
    for (path, bytes) in harness::files(&out.join("pagefind")) {
        assert!(
            bytes.len() < 5 << 20,
            "{} is {} bytes",
            path.display(),
            bytes.len()
        );
    }
    let page = book.page("links.html");
    assert!(page.contains("src=\"vaultbook-search"), "the search script");
    assert!(!page.contains("mdbook-search-toggle"));
    let check = book.run(&["check", "--html", "--no-run"]);
    assert!(
        !check.stderr().contains("pagefind"),
        "search hits land: {}",
        check.stderr()
    );
}

/// A book past the print limit (10 MB of chapters) gets no print page, and one info line says
/// so; `[output.html.print] enable = true` keeps it.
#[test]
fn a_book_too_large_to_print_has_no_print_page_unless_it_asks() {
    let _memory = harness::memory_heavy();
    let para = "Threads share memory; a lock guards it. ".repeat(25);
    let note: String = (0..60)
        .map(|i| format!("## Part {i}\n\n{para}\n\n"))
        .collect();
    let files: Vec<(String, String)> = (0..190)
        .map(|i| (format!("n{i}.md"), format!("# Note {i}\n\n{note}")))
        .collect();
    let book = BookTest::new()
        .file(
            "book.toml",
            "[book]\ntitle = \"Big\"\n[output.html.search]\nenable = false\n",
        )
        .vault_files(files.iter().map(|(p, t)| (p.as_str(), t.as_str())));
    // Streamed as the build goes, as the terminal shows diagnostics, and in the report.
    let streamed = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = streamed.clone();
    let report = harness::build_streaming(&book.config(), &harness::no_run(), move |d| {
        sink.lock().unwrap().push(code(d).to_string())
    })
    .unwrap();
    assert!(
        report
            .diagnostics
            .iter()
            .any(|d| code(d) == "print-page-omitted"),
        "{:?}",
        report.diagnostics.iter().map(code).collect::<Vec<_>>()
    );
    let streamed = streamed.lock().unwrap().clone();
    assert!(
        streamed.iter().any(|c| c == "print-page-omitted"),
        "{streamed:?}"
    );
    assert!(!book.join("book/print.html").exists());
    assert!(
        !book.page("n1.html").contains("print.html"),
        "no print button"
    );
    book.append("book.toml", "[output.html.print]\nenable = true\n");
    let report = book.build();
    assert!(
        report
            .diagnostics
            .iter()
            .all(|d| code(d) != "print-page-omitted")
    );
    assert!(book.join("book/print.html").is_file());
}
