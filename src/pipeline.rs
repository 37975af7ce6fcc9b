//! The pipeline strung together: analyze (scan, parse, index, resolve, snippets), emit, render.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use rayon::prelude::*;

use crate::config::Config;
use crate::diagnostics::{self, Code, Diagnostic, Sources};
use crate::emit::{self, output};
use crate::links::{self, Index, NoteId, Resolved};
use crate::snippets::{self, SnippetOptions, SnippetRequest};
use crate::syntax::MdbookMarkdown;
use crate::vault::{self, Note, VaultFile};

/// What the caller wants from a run.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Compile and run snippets (false with `--no-run`).
    pub run_snippets: bool,
    /// Ignore cached snippet results.
    pub rerun_snippets: bool,
    /// Show progress bars on a terminal.
    pub progress: bool,
    /// `--trust-snippets`: run the vault's code even where no sandbox can be made.
    pub trust_snippets: bool,
    /// Run the external preprocessors book.toml names (`--allow-commands`); never with
    /// `run_snippets` off (`--no-run` runs nothing from the book).
    pub allow_commands: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            run_snippets: true,
            rerun_snippets: false,
            progress: false,
            trust_snippets: false,
            allow_commands: false,
        }
    }
}

/// Counts for the one-line summary.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Notes in the book (published).
    pub notes: usize,
    /// Links and embeds resolved (or not).
    pub links: usize,
    /// Wall time of the whole run.
    pub elapsed: Duration,
    /// Wall time of each stage, in order (shown with `-v`).
    pub phases: Vec<(&'static str, Duration)>,
}

/// Records how long each stage takes.
struct Phases {
    last: Instant,
    done: Vec<(&'static str, Duration)>,
}

impl Phases {
    fn new() -> Phases {
        Phases {
            last: Instant::now(),
            done: Vec::new(),
        }
    }

    fn mark(&mut self, name: &'static str) {
        let now = Instant::now();
        self.done.push((name, now - self.last));
        self.last = now;
    }
}

/// The vault read, resolved and checked, ready to emit.
pub struct Analysis {
    /// Every diagnostic, sorted.
    pub diagnostics: Vec<Diagnostic>,
    /// The text of each note, for printers that quote source.
    pub sources: Sources,
    /// Counts.
    pub stats: Stats,
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
    started: Instant,
}

/// The result of `build` or `emit`.
#[derive(Debug, Clone)]
pub struct BuildReport {
    /// Every diagnostic, sorted.
    pub diagnostics: Vec<Diagnostic>,
    /// Counts.
    pub stats: Stats,
    /// Where the output went (HTML for build, the source tree for emit).
    pub output: PathBuf,
}

/// Parsed notes kept between builds (`serve`): a note whose file has not changed (same
/// modification time, size and inode) is not read or parsed again.
#[derive(Default)]
pub struct NoteCache {
    notes: HashMap<PathBuf, (Stamp, Note)>,
    /// Off for one-shot commands, which would only pay for copying every note into it.
    enabled: bool,
}

impl NoteCache {
    /// A cache that keeps notes between builds.
    pub fn new() -> NoteCache {
        NoteCache {
            notes: HashMap::new(),
            enabled: true,
        }
    }
}

/// What says a file changed.
type Stamp = (Option<std::time::SystemTime>, u64, u64);

fn stamp(path: &Path) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok(), m.len(), m.ino()))
}

/// Reads and resolves the vault, runs snippets per `options`; renders nothing.
pub fn analyze(config: &Config, options: &Options) -> Result<Analysis> {
    analyze_cached(config, options, &mut NoteCache::default())
}

/// [`analyze`], reusing the notes in `cache` whose files have not changed, and refreshing it.
pub fn analyze_cached(
    config: &Config,
    options: &Options,
    cache: &mut NoteCache,
) -> Result<Analysis> {
    let started = Instant::now();
    let mut phases = Phases::new();
    let tera = crate::templates::load(&config.root)?;
    let markdown = MdbookMarkdown::from_book_toml(&config.mdbook);
    let scan = vault::scan::scan(config)?;
    let shown = vault::scan::display_root(config);
    let mut diagnostics = scan.diagnostics;
    phases.mark("scan");

    let loaded: Vec<(Option<Note>, Vec<Diagnostic>, Option<Stamp>)> = scan
        .notes
        .par_iter()
        .map(|f| {
            let st = if cache.enabled { stamp(&f.path) } else { None };
            if let (Some(st), Some((old, note))) = (st, cache.notes.get(&f.path))
                && *old == st
                && note.rel == f.rel
            {
                return (Some(note.clone()), Vec::new(), None);
            }
            let (note, diags) = load_note(
                f,
                &shown.join(&f.rel),
                &markdown,
                &config.vaultbook.order_key,
            );
            (note, diags, st)
        })
        .collect();
    let mut notes = Vec::with_capacity(loaded.len());
    let mut fresh = HashMap::new();
    for ((note, diags, st), f) in loaded.into_iter().zip(&scan.notes) {
        diagnostics.extend(diags);
        let Some(n) = note else { continue };
        if !cache.enabled {
            notes.push(n);
            continue;
        }
        match st {
            Some(st) => {
                fresh.insert(f.path.clone(), (st, n.clone()));
            }
            None => {
                if let Some(old) = cache.notes.remove(&f.path) {
                    fresh.insert(f.path.clone(), old);
                }
            }
        }
        notes.push(n);
    }
    cache.notes = fresh;
    phases.mark("parse");
    let index = Index::build(&notes, &scan.attachments);
    phases.mark("index");
    let (resolved, link_diags) = links::resolve::resolve_all(&notes, &index);
    phases.mark("resolve");
    diagnostics.extend(link_diags);
    for n in &notes {
        diagnostics.extend(n.diagnostics.iter().cloned());
    }
    diagnostics.extend(orphans(
        &notes,
        &resolved,
        emit::plan::start_note(config, &notes),
    ));

    let (snippet_out, snippet_diags) = run_snippets(config, &notes, &tera, options);
    diagnostics.extend(snippet_diags);
    phases.mark("snippets");
    diagnostics.extend(emit::embed_diagnostics(&emit::Input {
        config,
        notes: &notes,
        attachments: &scan.attachments,
        resolved: &resolved,
        snippets: &snippet_out,
        markdown,
        tera: &tera,
    })?);
    phases.mark("embeds");

    // Levels were validated when book.toml was loaded.
    crate::report::apply_levels(&mut diagnostics, &config.vaultbook.check);
    let diagnostics = finish(diagnostics);
    let mut sources = Sources::default();
    for n in &notes {
        sources.insert(n.file.clone(), Arc::clone(&n.text));
    }
    let links = notes.iter().map(|n| n.syntax.links.len()).sum();
    let published = notes.iter().filter(|n| n.frontmatter.publish).count();
    Ok(Analysis {
        diagnostics,
        sources,
        stats: Stats {
            notes: published,
            links,
            elapsed: started.elapsed(),
            phases: phases.done,
        },
        notes,
        attachments: scan.attachments,
        resolved,
        snippets: snippet_out,
        markdown,
        tera,
        started,
    })
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
    let parsed = std::panic::catch_unwind(AssertUnwindSafe(|| {
        Note::from_bytes(
            f.rel.clone(),
            shown.to_path_buf(),
            &bytes,
            markdown,
            order_key,
        )
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

/// For `build` and `emit`: a snippet that failed unexpectedly is a warning (the book still shows
/// it); `check` keeps it an error.
fn snippets_warn(diags: &mut [Diagnostic]) {
    for d in diags {
        if d.code.name().starts_with("snippet-") && d.severity == crate::Severity::Error {
            d.severity = crate::Severity::Warning;
        }
    }
}

/// Sorts and deduplicates diagnostics.
pub fn finish(mut diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diagnostics::sort(&mut diags);
    diags.dedup();
    diags
}

/// The emitted tree of an analysis.
pub fn tree_of(config: &Config, a: &Analysis) -> Result<emit::Tree> {
    let mut tree = emit::build_tree(&emit::Input {
        config,
        notes: &a.notes,
        attachments: &a.attachments,
        resolved: &a.resolved,
        snippets: &a.snippets,
        markdown: a.markdown,
        tera: &a.tera,
    })?;
    // Analysis already reported the embed problems assembly meets again.
    crate::report::apply_levels(&mut tree.diagnostics, &config.vaultbook.check);
    Ok(tree)
}

/// Writes the standalone mdBook source tree to `out`.
pub fn emit(config: &Config, options: &Options, out: &Path) -> Result<BuildReport> {
    // Held to the end: the snippet cache and `out` are replaced by this run alone.
    let _lock = crate::lock::lock_book(&config.work_dir)?;
    let a = analyze(config, options)?;
    let mut phases = Phases::new();
    let tree = tree_of(config, &a)?;
    phases.mark("assemble");
    emit::write_tree(&tree, out, &config.vault)?;
    phases.mark("write");
    Ok(report(a, tree, phases, out.to_path_buf()))
}

/// The report of a run that emitted `tree`: every diagnostic (snippet failures as warnings),
/// counts and stage times.
fn report(a: Analysis, tree: emit::Tree, phases: Phases, output: PathBuf) -> BuildReport {
    let mut diags = a.diagnostics;
    diags.extend(tree.diagnostics);
    snippets_warn(&mut diags);
    let mut stats = a.stats;
    stats.phases.extend(phases.done);
    stats.elapsed = a.started.elapsed();
    BuildReport {
        diagnostics: finish(diags),
        stats,
        output,
    }
}

/// Emits and renders the book into `config.build_dir`, replacing it atomically.
pub fn build(config: &Config, options: &Options) -> Result<BuildReport> {
    // Held to the end: the snippet cache, the emitted source and the build dir are replaced by
    // this run alone, from the vault it read.
    let _lock = crate::lock::lock_book(&config.work_dir)?;
    let a = analyze(config, options)?;
    let mut phases = Phases::new();
    let tree = tree_of(config, &a)?;
    phases.mark("assemble");
    let src = config.work_dir.join("book-src");
    emit::write_tree(&tree, &src, &config.vault)?;
    phases.mark("write");
    let render = crate::render::RenderOptions {
        commands: crate::book_commands::allowed(options).then(|| config.root.clone()),
        ..Default::default()
    };
    output::replace_dir(&config.build_dir, &config.vault, |staging| {
        crate::render::render_with(&src, staging, &render)?;
        output::list_files(staging)
    })?;
    phases.mark("render");
    let mut report = report(a, tree, phases, config.build_dir.clone());
    report
        .diagnostics
        .extend(crate::book_commands::skipped(config, options));
    report.diagnostics = finish(report.diagnostics);
    Ok(report)
}
