//! `vaultbook preprocessor`: an mdBook's chapters taken as the notes of a vault and run through
//! the one pipeline (the same parse, index, resolution, snippets and page assembly as `build`).
//! What differs is only where things come from: the notes are the chapters mdBook read, their
//! paths the ones its SUMMARY gave them ([`crate::emit::plan::given`]), the attachments the
//! other files of its `src/`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::Result;
use rayon::prelude::*;

use super::analyze::{self, Read};
use super::{Driver, Report};
use crate::codes::Code;
use crate::diagnostics::Diagnostic;
use crate::emit;
use crate::links::NoteId;
use crate::syntax::MdbookMarkdown;
use crate::vault::{self, Note};

/// A chapter of an mdBook, as `vaultbook preprocessor` hands it to the driver.
#[derive(Debug, Clone)]
pub(crate) struct Chapter {
    /// Its file relative to `src/` (mdBook's `source_path`, else its `path`): the note's path
    /// in the vault, so links name it by its file name, as Obsidian does.
    pub source: String,
    /// Where mdBook renders it, relative to `src/` (its `path`: `index.md` for a README),
    /// which links to it lead to.
    pub path: String,
    /// Its text, as mdBook's earlier preprocessors left it.
    pub content: String,
}

impl Driver {
    /// The chapters of an mdBook (in SUMMARY order) as the notes of a vault: resolved,
    /// snippets run, pages assembled as `build` assembles them. Per chapter, its new text
    /// (None: leave it as mdBook gave it), and the report. Only the environment fails it: a bad
    /// chapter is a diagnostic.
    pub(crate) fn preprocess(
        &mut self,
        chapters: &[Chapter],
    ) -> Result<(Report, Vec<Option<String>>)> {
        let mut phases = self.phases();
        let config = &self.config;
        let tera = crate::templates::load(&config.root)?;
        let markdown = MdbookMarkdown::from_book_toml(&config.mdbook);
        let scan = vault::scan::scan(config)?;
        let mut diagnostics = scan.diagnostics;
        // mdBook copies every other file of src/ into the book as it is: each is an
        // attachment, a canvas too (it is no chapter). Its own .md files that SUMMARY.md does
        // not list are not in the book at all.
        let mut attachments = scan.attachments;
        attachments.extend(scan.canvases);
        attachments.sort_by(|a, b| a.rel.cmp(&b.rel));
        phases.mark("scan");

        let (places, skipped) = places(chapters, &vault::scan::display_root(config));
        diagnostics.extend(skipped);
        let parsed: Vec<(Option<Note>, Vec<Diagnostic>)> = places
            .par_iter()
            .map(|p| {
                analyze::parse_note(
                    p.rel.clone(),
                    &p.shown,
                    chapters[p.chapter].content.as_bytes(),
                    &markdown,
                    &config.vaultbook.order_key,
                )
            })
            .collect();
        // Notes sorted by path, as a scanned vault's are (ambiguities list candidates in that
        // order); `of_chapter` maps each chapter to its note.
        let mut notes: Vec<(usize, Note)> = Vec::new();
        for (p, (note, diags)) in places.iter().zip(parsed) {
            diagnostics.extend(diags);
            if let Some(mut n) = note {
                // SUMMARY.md decides what is in the book, not `publish: false`.
                n.frontmatter.publish = true;
                notes.push((p.chapter, n));
            }
        }
        notes.sort_by(|a, b| a.1.rel.cmp(&b.1.rel));
        let mut of_chapter: Vec<Option<NoteId>> = vec![None; chapters.len()];
        for (id, (i, _)) in notes.iter().enumerate() {
            of_chapter[*i] = Some(id);
        }
        let paths: Vec<Option<String>> = notes
            .iter()
            .map(|(i, _)| relpath_of(&chapters[*i].path))
            .collect();
        let notes: Vec<Note> = notes.into_iter().map(|(_, n)| n).collect();
        let order: Vec<NoteId> = of_chapter.iter().flatten().copied().collect();
        phases.mark("parse");

        // As `check` does: the snippet cache is written by one run of the book at a time; a
        // book without snippets needs no lock (nor a work dir made for it).
        let has_snippets = notes.iter().any(|n| {
            n.syntax
                .code_blocks
                .iter()
                .any(|c| crate::snippets::is_snippet(&c.info))
        });
        let _lock = if self.options.run_snippets && has_snippets {
            Some(crate::lock::lock_book(&config.work_dir)?)
        } else {
            None
        };
        let read = Read {
            notes,
            attachments,
            canvases: Default::default(),
            diagnostics,
            start: order.first().copied(),
        };
        let mut analysis = analyze::resolve_and_run(
            config,
            &self.options,
            read,
            markdown,
            tera,
            &mut phases,
            None,
        );
        for out in analysis.snippets.values_mut() {
            // A snippet's output is one HTML block: an entity keeps mdBook's `{{#include}}`
            // (if the author orders its `links` preprocessor after this one) from reading a
            // file a snippet named, and shows the same text.
            if out.contains("{{#") {
                *out = out.replace("{{#", "{{&#35;");
            }
        }

        let rels: Vec<String> = analysis.attachments.iter().map(|a| a.rel.clone()).collect();
        let plan = emit::plan::given(paths, rels, order);
        let pages = emit::assemble_pages(&self.input(&analysis), &plan, None, None)?;
        phases.mark("assemble");
        let mut by_note: Vec<Option<String>> = vec![None; analysis.notes.len()];
        let mut extra = Vec::new();
        for p in pages {
            extra.extend(p.page.diagnostics.iter().cloned());
            by_note[p.page.note] = Some(String::from_utf8_lossy(&p.filled).into_owned());
        }
        let texts = of_chapter
            .iter()
            .map(|id| id.and_then(|id| by_note[id].take()))
            .collect();
        Ok((self.report(analysis, extra, phases, None), texts))
    }
}

/// A chapter path as a `/`-separated path inside `src/`, or None when it climbs out of it, is
/// absolute or names no file.
fn relpath_of(path: &str) -> Option<String> {
    let unified = path.replace('\\', "/");
    crate::relpath::normalize(&unified).filter(|p| !p.is_empty())
}

/// A chapter that can be a note.
struct Place {
    /// Its index among the chapters.
    chapter: usize,
    /// Its path in the vault (`src/`).
    rel: String,
    /// Its file as diagnostics show it, from the book root.
    shown: PathBuf,
}

/// Each chapter that can be a note, and a `skipped-chapter` warning for each that cannot
/// (outside `src/`, or a file another chapter already is).
fn places(chapters: &[Chapter], shown_root: &Path) -> (Vec<Place>, Vec<Diagnostic>) {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for (i, c) in chapters.iter().enumerate() {
        let shown = shown_root.join(&c.source);
        match (relpath_of(&c.source), relpath_of(&c.path)) {
            (Some(rel), Some(_)) if seen.insert(rel.clone()) => {
                out.push(Place {
                    chapter: i,
                    shown: shown_root.join(&rel),
                    rel,
                });
            }
            (Some(_), Some(_)) => skipped.push(
                Diagnostic::new(
                    Code::SkippedChapter,
                    "SUMMARY.md lists this file twice; the second chapter is left as it is",
                )
                .in_file(shown),
            ),
            _ => skipped.push(
                Diagnostic::new(
                    Code::SkippedChapter,
                    "this chapter's file is outside src/; it is left as it is",
                )
                .in_file(shown)
                .with_help("move the file into src/ so that links can reach it"),
            ),
        }
    }
    (out, skipped)
}
