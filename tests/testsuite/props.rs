//! Property tests: no input panics the recognizer, the note loader, the heading ids or a whole
//! emit; rewriting keeps every byte it does not rewrite; our heading ids are mdBook's.
//! Also runs the fuzz corpus (`fuzz/corpus/<target>/`) through the fuzz targets' functions.

#[path = "../../fuzz/harness.rs"]
mod fuzz;

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use vaultbook::internals::links::page_ids;
use vaultbook::internals::syntax::MdbookMarkdown;

use crate::harness::{self, BookTest, has_code, no_run};

/// `cases` cases, or `$PROPTEST_CASES` (for a longer hunt: `PROPTEST_CASES=5000 cargo test
/// --release --test testsuite -- props::`).
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text biased to markdown and Obsidian syntax: brackets, pipes, carets, fences, quotes, list
/// markers, tables, frontmatter fences, and a few multi-byte chars.
fn markdownish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => proptest::string::string_regex("[a-zé\u{301}日 ]{0,6}").unwrap(),
        4 => proptest::sample::select(vec![
            "[[", "]]", "[", "]", "(", ")", "#", "|", "^", "!", "%%", "==", ">", "> [!note]",
            "-", "- ", "* ", "1. ", "\n", "\n\n", "```", "```rust\n", "`", "---\n", "...",
            "{#id}", "\\", "<", "&amp;", "$", "$$", "~~", "**", "_", "\t", "    ", "\r\n",
            "[^1]", "^[x]", ": ", "|---|", "![[", "](", ".md", "../", "/", "\u{feff}", "é",
        ])
        .prop_map(str::to_string),
        1 => any::<String>(),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

fn book_with(notes: &[(String, String)]) -> BookTest {
    BookTest::new()
        .file("book.toml", "[book]\ntitle = \"Props\"\n")
        .vault_files(notes.iter().map(|(name, text)| (name, text)))
}

proptest! {
    #![proptest_config(config(256))]

    /// The recognizer, the note loader and the heading ids never panic, and every range they
    /// report can slice the text.
    #[test]
    fn no_input_panics_the_parsers(text in markdownish()) {
        fuzz::syntax(text.as_bytes());
        fuzz::frontmatter(text.as_bytes());
    }

    #[test]
    fn no_bytes_panic_the_parsers(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        fuzz::syntax(&bytes);
        fuzz::frontmatter(&bytes);
    }

    /// Resolution over a vault of generated notes that link each other.
    #[test]
    fn no_vault_panics_the_resolver(
        texts in proptest::collection::vec(markdownish(), 1..5),
        links in proptest::collection::vec(
            proptest::sample::select(vec![
                "[[A]]", "[[B#H]]", "[[C#^b]]", "![[A]]", "[[A|x]]", "[x](B.md#H)", "![[p.png]]",
                "[[../A]]", "[[/etc/passwd]]", "[[a/C]]", "[[A#H#H]]", "# H\n", "x ^b\n",
            ]),
            0..10,
        ),
    ) {
        let names = ["A.md", "B.md", "a/C.md", "b/A.md"];
        let mut data = Vec::new();
        for (i, t) in texts.iter().enumerate() {
            data.extend_from_slice(names[i % names.len()].as_bytes());
            data.push(b'\n');
            data.extend_from_slice(t.as_bytes());
            data.extend_from_slice(links.concat().as_bytes());
            data.push(0);
        }
        data.extend_from_slice(b"p.png\n");
        fuzz::resolve(&data);
    }
}

proptest! {
    #![proptest_config(config(24))]

    /// A whole emit of a small generated vault: no panic, no internal error, every note a page.
    #[test]
    fn no_vault_panics_the_emitter(texts in proptest::collection::vec(markdownish(), 1..4)) {
        let names = ["README.md", "A.md", "sub/B.md"];
        let notes: Vec<(String, String)> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| (names[i].to_string(), format!("{t}\n[[A]] ![[B]] [[sub/B#H]]\n")))
            .collect();
        let dir = book_with(&notes);
        let config = dir.config();
        let out = dir.path().join("out");
        let report = harness::emit(&config, &no_run(), &out).unwrap();
        prop_assert!(
            !has_code(&report.diagnostics, "internal-error"),
            "{:#?}", report.diagnostics
        );
        prop_assert!(out.join("src/SUMMARY.md").is_file());
    }
}

/// Plain text that holds no Obsidian or markdown syntax the emitter could rewrite.
fn plain() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-zé日]{1,8}([ \n,.][a-zé日]{1,8}){0,6}").unwrap()
}

fn wikilink() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(vec![
        "[[Other]]",
        "[[Other|an alias]]",
        "[[Other#Section]]",
        "[[Other#Section|to the section]]",
        "[[Nowhere]]",
        "[[Other#Nope]]",
        "[[Other#^blk]]",
        "![[Other#Section]]",
    ])
}

proptest! {
    #![proptest_config(config(24))]

    /// The chapter is the note as written, with only the `[[…]]` spans replaced: every plain
    /// segment survives verbatim, in order, and replacements stay on their line.
    #[test]
    fn rewriting_keeps_every_byte_outside_the_links(
        parts in proptest::collection::vec((plain(), wikilink()), 1..8),
        tail in plain(),
    ) {
        let mut text = String::from("# Title\n\n");
        for (seg, link) in &parts {
            text.push_str(seg);
            text.push(' ');
            text.push_str(link);
            text.push(' ');
        }
        text.push_str(&tail);
        text.push('\n');
        let dir = book_with(&[
            ("Note.md".into(), text.clone()),
            ("Other.md".into(), "# Other\n\n## Section\n\nPara ^blk\n".into()),
        ]);
        let config = dir.config();
        let out = dir.path().join("out");
        harness::emit(&config, &no_run(), &out).unwrap();
        let chapter = std::fs::read_to_string(out.join("src/note.md")).unwrap();
        prop_assert!(chapter.starts_with("# Title\n\n"), "{chapter}");
        let mut pos = "# Title\n\n".len();
        // The source between links: `seg0 `, then ` seg1 `, …, then ` tail\n`.
        let mut segments: Vec<String> = parts
            .iter()
            .enumerate()
            .map(|(i, (s, _))| if i == 0 { format!("{s} ") } else { format!(" {s} ") })
            .collect();
        segments.push(format!(" {tail}\n"));
        for (i, seg) in segments.iter().enumerate() {
            let found = chapter[pos..].find(seg.as_str());
            prop_assert!(found.is_some(), "segment {i} {seg:?} missing after {pos} in {chapter:?}\nsource {text:?}");
            let at = pos + found.unwrap();
            if i == 0 {
                prop_assert_eq!(at, pos, "text before the first segment: {:?}", chapter);
            } else {
                let replacement = &chapter[pos..at];
                prop_assert!(!replacement.is_empty(), "a link vanished: {:?}", chapter);
                // Embeds become blocks of their own; links stay inline.
                if !replacement.contains("vb-embed") {
                    prop_assert!(!replacement.contains('\n'), "{replacement:?}");
                }
                prop_assert!(!replacement.contains("[["), "{replacement:?}");
            }
            pos = at + seg.len();
        }
        // What follows the note is only what the emitter adds (backlinks, the graph box),
        // never note text.
        let rest = chapter[pos..].trim();
        prop_assert!(
            rest.is_empty() || rest.starts_with("<nav") || rest.starts_with("<details class=\"vb-graph\""),
            "{rest:?}"
        );
    }
}

/// A heading's text: words with markup, punctuation, accents and the odd duplicate.
fn heading_text() -> impl Strategy<Value = String> {
    let word = proptest::sample::select(vec![
        "Intro",
        "intro",
        "Über",
        "café",
        "naïve",
        "Cafe\u{301}",
        "**bold**",
        "_em_",
        "`code`",
        "`Arc<Mutex<T>>`",
        "a -- b",
        "x---y",
        "What?",
        "it's",
        "\"quoted\"",
        "(paren)",
        "1.2",
        "C#",
        "&amp;",
        "日本語",
        "snake_case",
        "kebab-case",
        "~~gone~~",
        "[link](x.md)",
        "!",
        "A-1",
        "ǅ",
        "İ",
        "ß",
        "Σ",
        "'single'",
        "...",
        "x_y_",
        "<b>html</b>",
        "![alt](pic.png)",
        "[^1]",
        "[[Note]]",
        "[[Note|alias]]",
        "&copy;",
        "\\*esc",
        "==mark==",
        "#tag",
        "%%hidden%%",
        "^blk",
        "$x$",
        "🦀",
        "x\u{200b}y",
        "--",
        "—",
    ]);
    proptest::collection::vec(word, 1..4).prop_map(|w| w.join(" "))
}

/// The ids of `h1`–`h6` and `dt` elements in a rendered page, in order.
fn rendered_ids(html: &str) -> Vec<String> {
    let main = html.find("<main>").map_or(html, |i| &html[i..]);
    let mut out = Vec::new();
    let mut rest = main;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let tag_end = rest.find([' ', '>']).unwrap_or(rest.len());
        let tag = &rest[..tag_end];
        if matches!(tag, "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "dt") {
            let close = rest.find('>').unwrap_or(rest.len());
            let attrs = &rest[..close];
            if let Some(j) = attrs.find(" id=\"") {
                let v = &attrs[j + 5..];
                let v = &v[..v.find('"').unwrap_or(v.len())];
                out.push(v.replace("&amp;", "&").replace("&quot;", "\""));
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(config(24))]

    /// The ids we compute for a page are the ids mdBook renders on it.
    #[test]
    fn heading_ids_are_the_rendered_ids(
        headings in proptest::collection::vec((1..=6usize, heading_text(), any::<bool>()), 1..10),
    ) {
        let mut text = String::new();
        for (level, t, setext) in &headings {
            if *setext && *level <= 2 {
                let under = if *level == 1 { "===" } else { "---" };
                text.push_str(&format!("{t}\n{under}\n\nPara.\n\n"));
            } else {
                text.push_str(&format!("{} {t}\n\nPara.\n\n", "#".repeat(*level)));
            }
        }
        text.push_str("Term\n: definition\n\n[[Note]]\n");
        let dir = book_with(&[("Note.md".into(), text.clone())]);
        let config = dir.config();
        harness::build(&config, &no_run()).unwrap();
        let chapter = std::fs::read_to_string(
            dir.path().join("target/vaultbook/book-src/src/note.md"),
        )
        .unwrap();
        let ours: Vec<String> = page_ids(&chapter, MdbookMarkdown::default())
            .into_iter()
            .map(|(_, id)| id)
            .collect();
        let html = std::fs::read_to_string(dir.path().join("book/note.html")).unwrap();
        let theirs = rendered_ids(&html);
        prop_assert_eq!(ours, theirs, "source {:?}\nchapter {:?}", text, chapter);
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// A note parsed in pieces (as a long one is, cut before its headings) is the note parsed
    /// whole: every piece as small as it can be, so that every cut the rule allows is made.
    #[test]
    fn a_note_parsed_in_pieces_is_the_note_parsed_whole(
        chunks in proptest::collection::vec(
            (markdownish(), proptest::sample::select(vec![
                "\n\n# H\n", "\n\n## H {#x}\n\n", "\n\n###### H\n\nText\n", "\n\n#\n",
                "\n\n```\n", "\n\n<!--\n", "\n\n- item\n\n  ```\n", "\n\n> q\n\n",
            ])),
            1..8,
        ),
    ) {
        let text: String = chunks.iter().map(|(c, h)| format!("{c}{h}")).collect();
        let md = MdbookMarkdown::default();
        let whole = format!("{:?}", vaultbook::internals::syntax::parse_in_pieces(&text, 0, md, usize::MAX));
        let cut = format!("{:?}", vaultbook::internals::syntax::parse_in_pieces(&text, 0, md, 1));
        prop_assert!(whole == cut, "text {:?}\nwhole {}\ncut   {}", text, whole, cut);
    }
}

/// Every note of the fixtures and of the book we ship, parsed in the smallest pieces, is the
/// note parsed whole: real notes (fences, callouts, HTML, tables, comments) and not only
/// generated ones.
#[test]
fn real_notes_parsed_in_pieces_are_the_notes_parsed_whole() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let md = MdbookMarkdown::default();
    let mut n = 0;
    for dir in ["tests/fixtures", "vault"] {
        for entry in walkdir::WalkDir::new(root.join(dir)) {
            let path = entry.unwrap().into_path();
            if path.extension().is_none_or(|e| e != "md") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let parse = |piece| {
                format!(
                    "{:?}",
                    vaultbook::internals::syntax::parse_in_pieces(&text, 0, md, piece)
                )
            };
            assert!(parse(usize::MAX) == parse(1), "{}", path.display());
            n += 1;
        }
    }
    assert!(n > 50, "only {n} notes");
}

/// Every file of `fuzz/corpus/<target>/` goes through the target's function: the corpus is a
/// regression suite on stable Rust, and a crash found by real fuzzing is added there.
#[test]
fn fuzz_corpus_regressions() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    type Target = (&'static str, fn(&[u8]));
    let targets: [Target; 3] = [
        ("syntax", fuzz::syntax),
        ("resolve", fuzz::resolve),
        ("frontmatter", fuzz::frontmatter),
    ];
    for (name, run) in targets {
        let dir = corpus.join(name);
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let caught = std::panic::catch_unwind(|| run(&bytes));
            assert!(
                caught.is_ok(),
                "fuzz target {name} fails on {}",
                path.display()
            );
            n += 1;
        }
        assert!(n > 0, "no corpus for {name}");
    }
}
