//! What each fuzz target does with its input, shared by the cargo-fuzz targets in
//! `fuzz_targets/` and by the corpus regression test in `tests/testsuite/props.rs` (which runs every file
//! of `fuzz/corpus/<target>/` through the same function on stable Rust).
//!
//! Besides "no panic", each function checks the invariants later stages rely on: every range the
//! recognizer reports lies inside the text on char boundaries (the emitter slices the text with
//! them), and every link of every note gets exactly one resolution.

#![allow(dead_code)]

use std::ops::Range;
use std::path::PathBuf;

use vaultbook::internals::links::{Index, resolve};
use vaultbook::internals::syntax::{self, MdbookMarkdown};
use vaultbook::internals::vault::{Note, VaultFile, frontmatter};

/// The three mdBook switch settings worth telling apart: all on (the default) and all off.
fn switches(data: &[u8]) -> MdbookMarkdown {
    let mut md = MdbookMarkdown::default();
    if data.first().is_some_and(|b| b & 1 == 1) {
        md.smart_punctuation = false;
        md.definition_lists = false;
        md.admonitions = false;
    }
    md
}

fn check_range(text: &str, r: &Range<usize>, what: &str) {
    assert!(
        r.start <= r.end && r.end <= text.len(),
        "{what} {r:?} is outside the text ({} bytes)",
        text.len()
    );
    assert!(
        text.is_char_boundary(r.start) && text.is_char_boundary(r.end),
        "{what} {r:?} splits a char"
    );
}

/// The Obsidian syntax recognizer, the heading ids and a whole note, on any text.
pub fn syntax(data: &[u8]) {
    let md = switches(data);
    let text = String::from_utf8_lossy(data);
    let (_, body, _) = frontmatter::parse(&text, "order");
    let syn = syntax::parse(&text, body, md);
    for h in &syn.headings {
        check_range(&text, &h.range, "heading");
        assert!((1..=6).contains(&h.level));
    }
    for l in &syn.links {
        check_range(&text, &l.span, "link");
        assert!(l.span.start >= body);
    }
    for b in &syn.blocks {
        check_range(&text, &b.marker, "block marker");
        check_range(&text, &b.block, "block");
        if let Some(a) = b.inline_anchor {
            check_range(&text, &(a..a), "block anchor");
        }
    }
    for c in &syn.code_blocks {
        check_range(&text, &c.range, "code block");
    }
    for t in &syn.tags {
        check_range(&text, &t.range, "tag");
    }
    for c in &syn.comments {
        check_range(&text, c, "comment");
    }
    for h in &syn.highlights {
        check_range(&text, &h.open, "highlight open");
        check_range(&text, &h.close, "highlight close");
        assert!(h.open.end <= h.close.start);
    }
    for c in &syn.callouts {
        check_range(&text, &c.range, "callout");
        check_range(&text, &c.header, "callout header");
    }
    for p in &syn.problems {
        check_range(&text, &p.range, "problem");
    }
    let ids = vaultbook::internals::links::page_ids(&text, md);
    for (at, _) in &ids {
        check_range(&text, &(*at..*at), "heading id offset");
    }
    let note = Note::from_bytes(
        "fuzz/Note.md".into(),
        PathBuf::from("vault/fuzz/Note.md"),
        data,
        &md,
        "order",
    );
    assert!(note.body <= note.text.len());
    for d in &note.diagnostics {
        if let Some(s) = d.span {
            assert!(s.start <= s.end && s.end <= note.text.len(), "{d:?}");
        }
    }
}

/// The frontmatter parser on any text: the body starts on a char boundary inside the text, and an
/// error points into it.
pub fn frontmatter(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (fm, body, err) = frontmatter::parse(&text, "order");
    assert!(body <= text.len() && text.is_char_boundary(body));
    if let Some(e) = err {
        check_range(&text, &e.range, "frontmatter error");
        assert!(!e.message.is_empty());
    }
    assert!(fm.tags.iter().all(|t| !t.is_empty() && !t.starts_with('#')));
    if let Some(split) = frontmatter::split(&text) {
        check_range(&text, &split.yaml, "yaml");
        assert!(split.body <= text.len());
    }
}

/// The link resolver over a small vault made from the input: files are separated by NUL bytes,
/// each is `path\ntext`. Paths ending in `.md` are notes, the rest attachments. Every link of
/// every note is resolved through the index, as a build does.
pub fn resolve(data: &[u8]) {
    let md = MdbookMarkdown::default();
    let mut notes = Vec::new();
    let mut attachments = Vec::new();
    for chunk in data.split(|b| *b == 0).take(16) {
        let (name, text) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (&chunk[..i], &chunk[i + 1..]),
            None => (chunk, &b""[..]),
        };
        let name = String::from_utf8_lossy(name)
            .trim()
            .trim_matches('/')
            .replace("//", "/");
        if name.is_empty()
            || name
                .split('/')
                .any(|c| c.is_empty() || c == "." || c == "..")
        {
            continue;
        }
        if vaultbook::internals::vault::is_note(&name) {
            if notes.iter().any(|n: &Note| n.rel == name) {
                continue;
            }
            notes.push(Note::from_bytes(
                name.clone(),
                PathBuf::from("vault").join(&name),
                text,
                &md,
                "order",
            ));
        } else if !attachments.iter().any(|a: &VaultFile| a.rel == name) {
            attachments.push(VaultFile {
                path: PathBuf::from("/nonexistent/vault").join(&name),
                rel: name,
            });
        }
    }
    notes.sort_by(|a, b| a.rel.cmp(&b.rel));
    attachments.sort_by(|a, b| a.rel.cmp(&b.rel));
    let index = Index::build(&notes, &attachments);
    let (resolved, diags) = resolve::resolve_all(&notes, &index);
    assert_eq!(resolved.len(), notes.len());
    for (n, r) in notes.iter().zip(&resolved) {
        assert_eq!(r.len(), n.syntax.links.len());
        for x in r {
            match x {
                resolve::Resolved::Note { note, anchor } => {
                    let t = &notes[*note];
                    match anchor {
                        resolve::Anchor::Heading(h) => assert!(*h < t.syntax.headings.len()),
                        resolve::Anchor::Block(b) => assert!(*b < t.syntax.blocks.len()),
                        resolve::Anchor::None => {}
                    }
                }
                resolve::Resolved::Attachment { att, .. } => assert!(*att < attachments.len()),
                resolve::Resolved::Unpublished(note) => assert!(*note < notes.len()),
                resolve::Resolved::Broken => {}
            }
        }
    }
    for d in diags {
        assert!(d.file.is_some(), "{d:?}");
    }
}
