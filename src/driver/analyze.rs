//! Stage one: scan the vault, parse the notes (reusing unchanged ones), index and resolve every
//! link, and run the snippets. Nothing here writes the book or assembles a page.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;
use rayon::prelude::*;

use super::incremental::{Stamp, stamp};
use super::{Options, Phases};
use crate::canvas::Canvas;
use crate::config::Config;
use crate::diagnostics::{Code, Diagnostic, Sources};
use crate::links::{self, Index, NoteId, Resolved};
use crate::snippets::{self, SnippetOptions, SnippetRequest};
use crate::syntax::MdbookMarkdown;
use crate::vault::{self, Note, VaultFile};

/// The vault read, resolved and its snippets run: what assembly needs.
pub struct Analysis {
    /// What analysis found (levels from book.toml are applied when the report is made).
    pub diagnostics: Vec<Diagnostic>,
    /// The text of each note, for printers that quote source.
    pub sources: Sources,
    /// The notes, sorted by path.
    pub notes: Vec<Note>,
    /// The attachments, sorted by path.
    pub attachments: Vec<VaultFile>,
    /// Per note, per link: where it leads.
    pub resolved: Vec<Vec<Resolved>>,
    /// Snippet output per (note, code block).
    pub snippets: HashMap<(NoteId, usize), String>,
    /// mdBook's markdown switches.
    pub markdown: MdbookMarkdown,
    /// The templates.
    pub tera: tera::Tera,
    /// Notes in the book (published).
    pub published: usize,
    /// Links and embeds, resolved or not.
    pub links: usize,
}

/// Parsed notes kept between builds of one driver: a note whose file has not changed (same
/// modification time, size and inode) is not read or parsed again.
///
/// A run takes the unchanged notes out and gives every note back when it is done
/// ([`NoteCache::give_back`]): copying 10,000 notes in and out of the cache, and dropping the
/// last run's, was about 14% of the samples of a `perf` profile of serve rebuilds. A run that
/// fails before giving them back leaves the cache empty, and the next run parses every note
/// again.
#[derive(Default)]
pub(super) struct NoteCache {
    /// By file path: the note, and the stamp of its file when it was read.
    notes: HashMap<PathBuf, (Stamp, Note)>,
    /// The notes a run holds, by vault path: their file and its stamp, until given back.
    lent: HashMap<String, (PathBuf, Stamp)>,
    /// Off for one-shot commands, which would only pay for copying every note into it.
    pub(super) enabled: bool,
    /// The last run's link resolution (used when `enabled`).
    links: crate::links::memo::ResolveMemo,
}

impl NoteCache {
    /// Keeps the notes of a run that is done (its analysis' notes), for the next run to take
    /// those whose files are unchanged.
    pub(super) fn give_back(&mut self, notes: Vec<Note>) {
        if !self.enabled {
            crate::memory::free_later(notes);
            return;
        }
        for note in notes {
            // A canvas's note is made again each run, and was not lent.
            if let Some((path, st)) = self.lent.remove(&note.rel) {
                self.notes.insert(path, (st, note));
            }
        }
        self.lent.clear();
    }
}

/// Reads and resolves the vault, runs snippets per `options`.
pub(super) fn analyze(
    config: &Config,
    options: &Options,
    cache: &mut NoteCache,
    phases: &mut Phases,
) -> Result<Analysis> {
    let tera = crate::templates::load(&config.root)?;
    let markdown = MdbookMarkdown::from_book_toml(&config.mdbook);
    phases.stage("scanning the vault");
    let scan = vault::scan::scan(config)?;
    let mut diagnostics = scan.diagnostics;
    phases.mark("scan");

    phases.stage(format!("parsing {} notes", scan.notes.len()));
    let mut notes = load_notes(config, &scan.notes, markdown, cache, &mut diagnostics);
    // After the notes: a canvas's file nodes show the notes' titles. Appended, so the notes'
    // ids (and the cache) do not move.
    let canvases = load_canvases(
        config,
        &scan.canvases,
        markdown,
        &mut notes,
        &mut diagnostics,
    );
    phases.mark("parse");
    let start = crate::emit::plan::start_note(config, &notes);
    let read = Read {
        notes,
        attachments: scan.attachments,
        canvases,
        diagnostics,
        start,
    };
    let links = cache.enabled.then_some(&mut cache.links);
    Ok(resolve_and_run(
        config, options, read, markdown, tera, phases, links,
    ))
}

/// What the rest of analysis starts from: the notes read (a vault's, or the chapters of an
/// mdBook that `vaultbook preprocessor` was given) and the attachments beside them.
pub(super) struct Read {
    /// The notes (canvases included), parsed.
    pub notes: Vec<Note>,
    /// The attachments, sorted by path.
    pub attachments: Vec<VaultFile>,
    /// The canvases among the notes, by the file diagnostics name.
    pub canvases: HashMap<PathBuf, Canvas>,
    /// What reading found.
    pub diagnostics: Vec<Diagnostic>,
    /// The note the book opens with, which no link needs to reach.
    pub start: Option<NoteId>,
}

/// Indexes and resolves every link of `read`, runs the snippets: the same for every source of
/// notes, so a preprocessed mdBook resolves exactly as a built vault.
pub(super) fn resolve_and_run(
    config: &Config,
    options: &Options,
    read: Read,
    markdown: MdbookMarkdown,
    tera: tera::Tera,
    phases: &mut Phases,
    kept: Option<&mut crate::links::memo::ResolveMemo>,
) -> Analysis {
    let Read {
        notes,
        attachments,
        canvases,
        mut diagnostics,
        start,
    } = read;
    phases.stage(format!(
        "resolving {} links",
        notes.iter().map(|n| n.syntax.links.len()).sum::<usize>()
    ));
    let (resolved, link_diags) = match kept {
        Some(memo) => {
            // Index and resolution in one: the index is the last run's while no target changed.
            let resolved = memo.resolve(&notes, &attachments);
            phases.mark("resolve");
            resolved
        }
        None => {
            let index = Index::build(&notes, &attachments);
            phases.mark("index");
            let resolved = links::resolve::resolve_all(&notes, &index);
            phases.mark("resolve");
            // 140,000 keys, most made on the pool's threads: 10 ms to free here.
            crate::memory::free_later(index);
            resolved
        }
    };
    diagnostics.extend(link_diags);
    for n in &notes {
        diagnostics.extend(n.diagnostics.iter().cloned());
        if !config.vaultbook.raw_html {
            diagnostics.extend(n.unsafe_html.iter().cloned());
        }
    }
    remap_canvas_spans(&canvases, &mut diagnostics);
    diagnostics.extend(orphans(&notes, &resolved, start));
    // Known before any snippet compiles: shown now, not after minutes of compiling.
    phases.stream(config, &diagnostics);

    phases.pause();
    let (snippet_out, snippet_diags) = run_snippets(config, &notes, &tera, options);
    phases.mark("snippets");
    phases.stream(config, &snippet_diags);
    diagnostics.extend(snippet_diags);

    let mut sources = Sources::default();
    for n in &notes {
        // A canvas's diagnostics are in its JSON, which is what they quote.
        let text = match canvases.get(&n.file) {
            Some(c) => Arc::from(c.raw.as_str()),
            None => Arc::clone(&n.text),
        };
        sources.insert(n.file.clone(), text);
    }
    Analysis {
        diagnostics,
        sources,
        published: notes.iter().filter(|n| n.frontmatter.publish).count(),
        links: notes.iter().map(|n| n.syntax.links.len()).sum(),
        notes,
        attachments,
        resolved,
        snippets: snippet_out,
        markdown,
        tera,
    }
}

/// Parses the notes in parallel, taking unchanged ones from `cache` and refreshing it.
fn load_notes(
    config: &Config,
    files: &[VaultFile],
    markdown: MdbookMarkdown,
    cache: &mut NoteCache,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Note> {
    let shown = vault::scan::display_root(config);
    let stamps: Vec<Option<Stamp>> = match cache.enabled {
        true => files.par_iter().map(|f| stamp(&f.path)).collect(),
        false => vec![None; files.len()],
    };
    // The unchanged notes, moved out of the cache; what is left there is of files changed or
    // gone.
    let mut kept: Vec<Option<Note>> = files
        .iter()
        .zip(&stamps)
        .map(|(f, st)| match (st, cache.notes.remove(&f.path)) {
            (Some(st), Some((old, note))) if old == *st && note.rel == f.rel => Some(note),
            _ => None,
        })
        .collect();
    cache.notes.clear();
    cache.lent.clear();
    let loaded: Vec<(Option<Note>, Vec<Diagnostic>)> = files
        .par_iter()
        .zip(kept.par_iter_mut())
        .map(|(f, kept)| match kept.take() {
            Some(note) => (Some(note), Vec::new()),
            None => load_note(
                f,
                &shown.join(&f.rel),
                &markdown,
                &config.vaultbook.order_key,
            ),
        })
        .collect();
    let mut notes = Vec::with_capacity(loaded.len());
    for (((note, diags), f), st) in loaded.into_iter().zip(files).zip(stamps) {
        diagnostics.extend(diags);
        let Some(n) = note else { continue };
        if let Some(st) = st {
            cache.lent.insert(n.rel.clone(), (f.path.clone(), st));
        }
        notes.push(n);
    }
    notes
}

/// A canvas read: its note and what it holds (none when it could not be read), and problems.
type CanvasRead = (Option<(Note, Canvas)>, Vec<Diagnostic>);

/// Reads each canvas and adds the note that stands for it to `notes`; the canvases, by the
/// file diagnostics name, to take spans back to their JSON.
fn load_canvases(
    config: &Config,
    files: &[VaultFile],
    markdown: MdbookMarkdown,
    notes: &mut Vec<Note>,
    diagnostics: &mut Vec<Diagnostic>,
) -> HashMap<PathBuf, Canvas> {
    let shown = vault::scan::display_root(config);
    let titles: HashMap<String, String> = notes
        .iter()
        .map(|n| (n.rel.clone(), n.title.clone()))
        .collect();
    let read: Vec<CanvasRead> = files
        .par_iter()
        .map(|f| {
            let file = shown.join(&f.rel);
            let bytes = match std::fs::read(&f.path) {
                Ok(b) => b,
                Err(e) => {
                    let d =
                        Diagnostic::new(Code::ReadError, format!("cannot read the canvas: {e}"))
                            .in_file(&file);
                    return (None, vec![d]);
                }
            };
            let raw = String::from_utf8_lossy(&bytes).into_owned();
            let parsed = std::panic::catch_unwind(AssertUnwindSafe(|| {
                let canvas = Canvas::read(&f.rel, &file, raw, &titles);
                let note = Note::from_bytes(
                    f.rel.clone(),
                    file.clone(),
                    canvas.markdown.as_bytes(),
                    &markdown,
                    &config.vaultbook.order_key,
                );
                (note, canvas)
            }));
            match parsed {
                Ok((note, canvas)) => {
                    let diags = canvas.diagnostics.clone();
                    (Some((note, canvas)), diags)
                }
                Err(_) => (
                    None,
                    vec![
                        Diagnostic::new(
                            Code::InternalError,
                            "vaultbook failed on this canvas (a bug); it is left out",
                        )
                        .in_file(&file)
                        .with_help("please report it with the canvas attached"),
                    ],
                ),
            }
        })
        .collect();
    let mut out = HashMap::new();
    for (pair, diags) in read {
        diagnostics.extend(diags);
        if let Some((note, canvas)) = pair {
            out.insert(note.file.clone(), canvas);
            notes.push(note);
        }
    }
    out
}

/// Diagnostics found in a canvas's generated text (links, syntax) get spans in its JSON.
fn remap_canvas_spans(canvases: &HashMap<PathBuf, Canvas>, diagnostics: &mut [Diagnostic]) {
    if canvases.is_empty() {
        return;
    }
    for d in diagnostics {
        let Some(c) = d.file.as_ref().and_then(|f| canvases.get(f)) else {
            continue;
        };
        // The JSON's own problems already point into it.
        if d.code == Code::CanvasError {
            continue;
        }
        if let Some(span) = &d.span {
            d.span = Some(c.remap(span));
        }
    }
}

/// Reads and parses one note; a read error or a panic becomes a diagnostic for that note only.
fn load_note(
    f: &VaultFile,
    shown: &Path,
    markdown: &MdbookMarkdown,
    order_key: &str,
) -> (Option<Note>, Vec<Diagnostic>) {
    let bytes = match std::fs::read(&f.path) {
        Ok(b) => b,
        Err(e) => {
            return (
                None,
                vec![
                    Diagnostic::new(Code::ReadError, format!("cannot read the note: {e}"))
                        .in_file(shown),
                ],
            );
        }
    };
    parse_note(f.rel.clone(), shown, &bytes, markdown, order_key)
}

/// Parses one note's bytes; a panic becomes a diagnostic for that note only.
pub(super) fn parse_note(
    rel: String,
    shown: &Path,
    bytes: &[u8],
    markdown: &MdbookMarkdown,
    order_key: &str,
) -> (Option<Note>, Vec<Diagnostic>) {
    let parsed = std::panic::catch_unwind(AssertUnwindSafe(|| {
        Note::from_bytes(rel, shown.to_path_buf(), bytes, markdown, order_key)
    }));
    match parsed {
        Ok(n) => (Some(n), Vec::new()),
        Err(_) => (
            None,
            vec![
                Diagnostic::new(
                    Code::InternalError,
                    "vaultbook failed on this note (a bug); the note is left out",
                )
                .in_file(shown)
                .with_help("please report it with the note attached"),
            ],
        ),
    }
}

/// Notes nothing links to or embeds (the start note aside), at information level.
fn orphans(notes: &[Note], resolved: &[Vec<Resolved>], start: Option<NoteId>) -> Vec<Diagnostic> {
    let mut linked = vec![false; notes.len()];
    for (from, rs) in resolved.iter().enumerate() {
        for r in rs {
            if let Resolved::Note { note, .. } | Resolved::Unpublished(note) = r
                && *note != from
            {
                linked[*note] = true;
            }
        }
    }
    notes
        .iter()
        .enumerate()
        .filter(|(i, n)| !linked[*i] && n.frontmatter.publish && Some(*i) != start)
        .map(|(_, n)| {
            Diagnostic::new(Code::OrphanNote, "no other note links to this one")
                .in_file(n.file.clone())
        })
        .collect()
}

/// Runs the Rust snippets of the published notes; their rendered output per (note, block).
fn run_snippets(
    config: &Config,
    notes: &[Note],
    tera: &tera::Tera,
    options: &Options,
) -> (HashMap<(NoteId, usize), String>, Vec<Diagnostic>) {
    let mut keys = Vec::new();
    let mut requests = Vec::new();
    for (id, n) in notes.iter().enumerate() {
        if !n.frontmatter.publish {
            continue;
        }
        for (i, c) in n.syntax.code_blocks.iter().enumerate() {
            if snippets::is_snippet(&c.info) {
                keys.push((id, i));
                requests.push(SnippetRequest {
                    file: n.file.clone(),
                    span: n.span(c.range.clone()),
                    info: c.info.clone(),
                    code: c.code.clone(),
                });
            }
        }
    }
    let opts = SnippetOptions {
        run: options.run_snippets,
        rerun: options.rerun_snippets,
        progress: options.progress,
        trust: options.trust_snippets,
    };
    let (outcomes, diags) = snippets::run_all(&requests, config, tera, &opts);
    let map = keys
        .into_iter()
        .zip(outcomes)
        .filter(|(_, o)| !o.markdown.is_empty())
        .map(|(k, o)| (k, o.markdown))
        .collect();
    (map, diags)
}
