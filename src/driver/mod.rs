//! The one way through the pipeline, for every command: analyze → assemble → output.
//!
//! - **analyze** ([`Driver::analyze`]): scan, parse, index, resolve, run snippets.
//! - **assemble** ([`Driver::assemble`]): every page of the book in memory, once, with the
//!   problems only a whole page shows (embed cycles and depth).
//! - **output**: `check` discards the tree (and so assembles only the pages that can have
//!   problems: those that embed a note), `emit` writes it, `build` writes and renders it,
//!   `rebuild` (serve) writes and renders only what changed since the driver's last build.
//!
//! Every command ends in a [`Report`] made the same way: book.toml's `[vaultbook.check]`
//! levels applied once, sorted, deduplicated. [`Report::failed`] is the one exit rule.

mod analyze;
mod chapters;
mod incremental;
mod unchanged;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

pub use analyze::Analysis;
pub(crate) use chapters::Chapter;
pub use incremental::Scope;

use crate::codes::Code;
use crate::config::Config;
use crate::diagnostics::{self, Diagnostic, Severity, Sources};
use crate::emit::{self, Tree, output};
use crate::render::RenderOptions;
use analyze::NoteCache;
use incremental::Emitted;

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

/// Which diagnostics a command prints: the same rule for every command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Verbosity {
    /// `-q`: errors only.
    Quiet,
    /// Errors and warnings.
    #[default]
    Normal,
    /// `-v`: information too, and stage timings.
    Verbose,
}

impl Verbosity {
    /// From the `-q` and `-v` flags (`-q` wins).
    pub fn from_flags(quiet: bool, verbose: bool) -> Verbosity {
        match (quiet, verbose) {
            (true, _) => Verbosity::Quiet,
            (_, true) => Verbosity::Verbose,
            _ => Verbosity::Normal,
        }
    }

    /// Whether a diagnostic of this severity is printed.
    pub fn shows(self, severity: Severity) -> bool {
        match severity {
            Severity::Error => true,
            Severity::Warning => self != Verbosity::Quiet,
            Severity::Info => self == Verbosity::Verbose,
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

impl Stats {
    /// The stages' wall times as `-v` prints them: `scan 2 ms, parse 190 ms, …`.
    pub fn phase_summary(&self) -> String {
        let phases: Vec<String> = self
            .phases
            .iter()
            .map(|(name, d)| format!("{name} {:.0} ms", d.as_secs_f64() * 1000.0))
            .collect();
        phases.join(", ")
    }
}

/// What a command found and made.
#[derive(Debug, Clone)]
pub struct Report {
    /// Every diagnostic, with book.toml's levels applied, sorted and deduplicated.
    pub diagnostics: Vec<Diagnostic>,
    /// The text of each note, for printers that quote source.
    pub sources: Sources,
    /// Counts and stage times.
    pub stats: Stats,
    /// Where the output went: the HTML (build), the source tree (emit), none (check).
    pub output: Option<PathBuf>,
}

impl Report {
    /// How many diagnostics have this severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }

    /// The exit rule of every command: errors fail, and warnings too with `deny_warnings`.
    pub fn failed(&self, deny_warnings: bool) -> bool {
        self.count(Severity::Error) > 0 || (deny_warnings && self.count(Severity::Warning) > 0)
    }
}

/// Where a driver sends each diagnostic as soon as its stage is done (levels applied), so that a
/// long build shows its problems before rendering starts.
pub type Sink = Box<dyn FnMut(&Diagnostic) + Send>;

/// Where `serve` shows the first pages of a large book before the rest is rendered (see
/// [`Driver::rebuild_showing`]).
pub trait EarlyPages: std::fmt::Debug {
    /// Calls `render` with a fresh directory, and serves what it rendered there until the whole
    /// book is ready. Nothing is shown if `render` fails: the whole render follows anyway.
    fn show(&self, render: &mut dyn FnMut(&Path) -> Result<()>);
}

/// One run of a command: how long each stage took, the progress shown on a terminal, and the
/// diagnostics streamed so far.
pub(crate) struct Phases {
    started: Instant,
    last: Instant,
    done: Vec<(&'static str, Duration)>,
    /// Show a spinner naming the stage (a terminal, and `Options::progress`).
    show: bool,
    spinner: Option<indicatif::ProgressBar>,
    sink: Option<Sink>,
}

impl Phases {
    fn new(show: bool, sink: Option<Sink>) -> Phases {
        let now = Instant::now();
        Phases {
            started: now,
            last: now,
            done: Vec::new(),
            show: show && std::io::stderr().is_terminal(),
            spinner: None,
            sink,
        }
    }

    /// Ends the stage `name`, which ran since the previous mark.
    pub(crate) fn mark(&mut self, name: &'static str) {
        let now = Instant::now();
        self.done.push((name, now - self.last));
        self.last = now;
    }

    /// Ends a stage made of `parts`, timed by whoever ran them; what else ran since the
    /// previous mark is counted in the last part.
    pub(crate) fn mark_parts(&mut self, parts: &[(&'static str, Duration)]) {
        let now = Instant::now();
        let total = now - self.last;
        let known: Duration = parts.iter().map(|(_, d)| *d).sum();
        for (i, (name, d)) in parts.iter().enumerate() {
            let extra = if i + 1 == parts.len() {
                total.saturating_sub(known)
            } else {
                Duration::ZERO
            };
            self.done.push((name, *d + extra));
        }
        self.last = now;
    }

    /// Says on the terminal what is being done now, as cargo does: the stage and its count.
    pub(crate) fn stage(&mut self, what: impl Into<String>) {
        if !self.show {
            return;
        }
        let spinner = self.spinner.get_or_insert_with(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} vaultbook: {msg} ({elapsed})")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        spinner.set_message(what.into());
    }

    /// Clears the spinner, for a stage that draws its own (snippets).
    pub(crate) fn pause(&mut self) {
        if let Some(bar) = self.spinner.take() {
            bar.finish_and_clear();
        }
    }

    /// Sends `diags` (levels of book.toml applied, sorted) to the sink, above the spinner.
    pub(crate) fn stream(&mut self, config: &Config, diags: &[Diagnostic]) {
        let Some(sink) = self.sink.as_mut() else {
            return;
        };
        let mut batch = diags.to_vec();
        // Levels were validated when book.toml was loaded.
        crate::report::apply_levels(&mut batch, &config.vaultbook.check);
        diagnostics::sort(&mut batch);
        batch.dedup();
        let mut send = || batch.iter().for_each(&mut *sink);
        match &self.spinner {
            Some(bar) => bar.suspend(send),
            None => send(),
        }
    }
}

/// A book and what its runs keep: the configuration, the options, the parsed notes and (for
/// rebuilds) the last emitted tree.
pub struct Driver {
    config: Config,
    options: Options,
    notes: NoteCache,
    last: Option<Emitted>,
    /// The vault graph's layout, kept by incremental drivers only.
    layout: Option<crate::graph::LayoutCache>,
    /// The assembled pages, kept by incremental drivers only.
    pages: Option<std::sync::Mutex<emit::memo::PageMemo>>,
    sink: Option<Sink>,
}

impl Driver {
    /// A driver for one run of a command: nothing is kept between runs.
    pub fn new(config: Config, options: Options) -> Driver {
        Driver {
            config,
            options,
            notes: NoteCache::default(),
            last: None,
            layout: None,
            pages: None,
            sink: None,
        }
    }

    /// Sends every diagnostic to `sink` as soon as its stage is done (the report still has
    /// them all, sorted): for a printer that should not wait for the end of a long build.
    pub fn streaming(mut self, sink: impl FnMut(&Diagnostic) + Send + 'static) -> Driver {
        self.sink = Some(Box::new(sink));
        self
    }

    /// A run's phases, holding the sink until the run gives it back.
    fn phases(&mut self) -> Phases {
        Phases::new(self.options.progress, self.sink.take())
    }

    /// A driver for repeated builds (`serve`, a library user's watch loop): unchanged notes
    /// are not parsed again, and [`Driver::rebuild`] renders only what changed.
    pub fn incremental(config: Config, options: Options) -> Driver {
        let mut driver = Driver::new(config, options);
        driver.notes.enabled = true;
        driver.layout = Some(crate::graph::LayoutCache::live());
        driver.pages = Some(Default::default());
        driver
    }

    /// The book's configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The options runs use.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Stage one: the vault read and resolved, its snippets run.
    pub fn analyze(&mut self) -> Result<Analysis> {
        analyze::analyze(
            &self.config,
            &self.options,
            &mut self.notes,
            &mut Phases::new(false, None),
        )
    }

    /// Stage two: every page of the book, in memory.
    pub fn assemble(&self, analysis: &Analysis) -> Result<Tree> {
        emit::build_tree(&self.input(analysis))
    }

    fn input<'a>(&'a self, analysis: &'a Analysis) -> emit::Input<'a> {
        emit::Input {
            config: &self.config,
            notes: &analysis.notes,
            attachments: &analysis.attachments,
            resolved: &analysis.resolved,
            snippets: &analysis.snippets,
            markdown: analysis.markdown,
            tera: &analysis.tera,
            layout: self.layout.as_ref(),
            memo: self.pages.as_ref(),
        }
    }

    /// Analyzes the book and assembles the pages that can have problems, writing nothing;
    /// with `html`, also checks the pages rendered in the build-dir (an error when there are
    /// none).
    pub fn check(&mut self, html: bool) -> Result<Report> {
        if html && !self.config.build_dir.is_dir() {
            anyhow::bail!(
                "no rendered book at {}: run `vaultbook build` first, or give the folder it built into with --dest-dir",
                self.config.build_dir.display()
            );
        }
        // Running snippets writes the snippet cache: one run of the book at a time. Without
        // them check only reads, and a checkout that cannot be written still gets its check.
        let _lock = if self.options.run_snippets {
            crate::lock::lock_book(&self.config.work_dir)
                .map_err(|e| eprintln!("vaultbook: checking without the book lock: {e:#}"))
                .ok()
        } else {
            None
        };
        let mut phases = self.phases();
        let analysis = analyze::analyze(&self.config, &self.options, &mut self.notes, &mut phases)?;
        // The output is discarded, so only the pages that can have problems are assembled.
        let mut extra = emit::assembly_diagnostics(&self.input(&analysis))?;
        phases.mark("assemble");
        phases.stream(&self.config, &extra);
        if html {
            phases.stage("checking the rendered pages");
            let found = self.check_html();
            phases.mark("html");
            phases.stream(&self.config, &found);
            extra.extend(found);
        }
        Ok(self.report(analysis, extra, phases, None))
    }

    /// Writes the standalone mdBook source tree to `out`.
    pub fn emit(&mut self, out: &Path) -> Result<Report> {
        // Held to the end: the snippet cache and `out` are replaced by this run alone.
        let _lock = crate::lock::lock_book(&self.config.work_dir)?;
        let mut phases = self.phases();
        // The last build's graph is only read: this run does not write the tree it describes.
        let (analysis, mut tree) = self.assemble_with_graph_record(&mut phases, false).0?;
        phases.stage(format!("writing {}", out.display()));
        emit::write_tree(&tree, out, &self.config.vault)?;
        phases.mark("write");
        let found = std::mem::take(&mut tree.diagnostics);
        crate::memory::free_later(tree);
        Ok(self.report(analysis, found, phases, Some(out.to_path_buf())))
    }

    /// Emits and renders the book into the build-dir, replacing it in one step.
    pub fn build(&mut self) -> Result<Report> {
        // Held to the end: the snippet cache, the emitted source and the build dir are replaced
        // by this run alone, from the vault it read.
        let _lock = crate::lock::lock_book(&self.config.work_dir)?;
        let mut phases = self.phases();
        let src = self.config.work_dir.join("book-src");
        // The graph's layout is most of its cost: the last build's is read back, exactly.
        let (assembled, records) = self.assemble_with_graph_record(&mut phases, true);
        let (mut analysis, tree) = assembled?;
        if !self.notes.enabled {
            // Nothing after assembly reads the notes' parse or their links' resolution, and
            // this driver keeps no notes for a next run: a 100 MB note's are 400 MB, which
            // would be held through the render for nothing.
            analysis.notes = Vec::new();
            analysis.resolved = Vec::new();
        }
        crate::memory::release();
        let render = self.render_options(None, &tree);
        let fingerprint = unchanged::fingerprint(&tree, &render, &self.config.build_dir);
        let recorded = unchanged::Recorded::read(&src, &self.config.build_dir);
        if recorded.still_rendered(&fingerprint) {
            // The book in the build dir is the one this build would render.
            phases.mark("unchanged");
        } else {
            // A book rendered page by page whose shape did not change since the last build
            // gets only its changed chapters rendered again, into a hard-linked copy of the
            // build dir that then replaces it, as serve does.
            let last = (recorded.same_folders()
                && crate::render::page_by_page(&self.config.mdbook, &render))
            .then(|| incremental::last_build(&src, &render))
            .flatten();
            let changes = incremental::changes(last.as_ref(), &tree);
            unchanged::forget(&src);
            incremental::forget_build(&src);
            Records::forget(&src);
            phases.stage("writing the source tree");
            match changes {
                Some(changes) => {
                    incremental::write_source(last.as_ref(), &tree, &src, &self.config.vault)?;
                    phases.mark("write");
                    phases.stage(format!("rendering {} changed pages", changes.pages.len()));
                    let build_dir = std::path::absolute(&self.config.build_dir)?;
                    let scratch = self.config.work_dir.join("build-pages");
                    let pagefind = crate::render::pagefind_on(&self.config.mdbook, &render);
                    let mut parts = Vec::new();
                    if !pagefind {
                        // As serve does: the changed pages are put into the build dir itself,
                        // each file replaced whole by a rename, instead of into a copy of the
                        // 30,000-file book that then replaces it (and is deleted). A build
                        // stopped half way leaves whole pages, some new, and no record: the
                        // next build renders everything.
                        let started = Instant::now();
                        incremental::put_changes(&src, &changes, &build_dir, &scratch, &render)?;
                        parts.push(("render changed pages", started.elapsed()));
                    } else {
                        // Pagefind's index is built from every page: into a copy, which then
                        // replaces the build dir.
                        output::replace_dir(&build_dir, &self.config.vault, |staging| {
                            std::fs::remove_dir(staging)?;
                            output::link_tree(&build_dir, staging)?;
                            let _ = std::fs::remove_file(staging.join(output::MANIFEST));
                            let started = Instant::now();
                            incremental::put_changes(&src, &changes, staging, &scratch, &render)?;
                            parts.push(("render changed pages", started.elapsed()));
                            let started = Instant::now();
                            crate::search::build_pagefind(staging, render.search_bundle)?;
                            parts.push(("search index", started.elapsed()));
                            output::list_files(staging)
                        })?;
                    }
                    phases.mark_parts(&parts);
                }
                None => {
                    emit::write_tree(&tree, &src, &self.config.vault)?;
                    phases.mark("write");
                    phases.stage(format!("rendering {} pages", analysis.published));
                    let mut parts = Vec::new();
                    output::replace_dir(&self.config.build_dir, &self.config.vault, |staging| {
                        parts = crate::render::render_with(&src, staging, &render)?.parts;
                        output::list_files(staging)
                    })?;
                    phases.mark_parts(&parts);
                }
            }
            unchanged::record(&src, &self.config.build_dir, &fingerprint);
            incremental::record_build(&src, &tree, &render);
            records.save(&src, &tree);
        }
        let notes = self.render_notes(&render, &tree);
        phases.stream(&self.config, &notes);
        let mut extra = tree.diagnostics;
        extra.extend(notes);
        let skipped = crate::book_commands::skipped(&self.config, &self.options);
        phases.stream(&self.config, &skipped);
        extra.extend(skipped);
        let out = self.config.build_dir.clone();
        Ok(self.report(analysis, extra, phases, Some(out)))
    }

    /// Builds the book into `out` (which must not exist) for `serve`. With `previous`, the book
    /// being served, only the chapters whose text changed since this driver's last build are
    /// rendered and the rest is hard-linked from it; files in `out` are then replaced, never
    /// modified in place, since they are shared.
    pub fn rebuild(&mut self, out: &Path, previous: Option<&Path>) -> Result<(Report, Scope)> {
        self.rebuild_showing(out, previous, None)
    }

    /// [`Driver::rebuild`], showing the first pages through `early` before the rest is rendered
    /// when the whole book is rendered in shards: a 10,000-note book's first page is served in
    /// the time of one shard's render, not of the whole book's.
    pub fn rebuild_showing(
        &mut self,
        out: &Path,
        previous: Option<&Path>,
        early: Option<&dyn EarlyPages>,
    ) -> Result<(Report, Scope)> {
        self.rebuild_into(out, previous, early, false)
    }

    /// [`Driver::rebuild_showing`], except that when only some pages changed they are put into
    /// `current` itself (the report's output is then `current`, not `out`): each file replaced
    /// whole, by writing a new file and renaming it over the old one, so that a reader of
    /// `current` gets the old file or the new one, never half of one. What serve does: at
    /// 10,000 notes, linking a new copy of the book (30,000 files in 300 folders) was the
    /// largest part of an edit's way to the browser. A change to the book's shape still renders
    /// the whole book into `out`.
    pub fn update_showing(
        &mut self,
        out: &Path,
        current: Option<&Path>,
        early: Option<&dyn EarlyPages>,
    ) -> Result<(Report, Scope)> {
        self.rebuild_into(out, current, early, true)
    }

    fn rebuild_into(
        &mut self,
        out: &Path,
        previous: Option<&Path>,
        early: Option<&dyn EarlyPages>,
        in_place: bool,
    ) -> Result<(Report, Scope)> {
        // Per build, not per driver: a `vaultbook build` of the same book waits for one
        // rebuild, not for serve to end.
        let _lock = crate::lock::lock_book(&self.config.work_dir)?;
        let mut phases = self.phases();
        let (analysis, mut tree) = self.analyze_and_assemble(&mut phases)?;
        let src = self.config.work_dir.join("serve-src");
        let changed = incremental::changes(self.last.as_ref(), &tree);
        incremental::write_source(self.last.as_ref(), &tree, &src, &self.config.vault)?;
        phases.mark("write");
        // Without hashed names, a page rendered alone refers to the same `toc.js` as the rest
        // of the book it joins.
        let render = self.render_options(Some(false), &tree);
        let mut written = out;
        let scope = match (changed, previous) {
            (Some(changes), Some(prev)) => {
                if in_place {
                    written = prev;
                } else {
                    output::link_tree(prev, out).with_context(|| {
                        format!("cannot link {} into {}", prev.display(), out.display())
                    })?;
                }
                let scratch = self.config.work_dir.join("serve-pages");
                incremental::put_changes(&src, &changes, written, &scratch, &render)?;
                Scope::Pages(changes.pages.len())
            }
            _ => {
                // Only a book rendered in shards shows its first shard early: otherwise the
                // first shard would be the whole book rendered twice.
                if let Some(early) = early
                    && crate::render::in_shards(chapter_stats(&tree), &self.config.mdbook, &render)
                {
                    let first = RenderOptions {
                        first_shard: true,
                        ..render.clone()
                    };
                    early.show(&mut |dir: &Path| {
                        crate::render::render_with(&src, dir, &first).map(|_| ())
                    });
                }
                crate::render::render_with(&src, out, &render)?;
                Scope::Full
            }
        };
        phases.mark("render");
        let mut extra = std::mem::take(&mut tree.diagnostics);
        let notes = self.render_notes(&render, &tree);
        phases.stream(&self.config, &notes);
        extra.extend(notes);
        let skipped = crate::book_commands::skipped(&self.config, &self.options);
        phases.stream(&self.config, &skipped);
        extra.extend(skipped);
        self.last = Some(Emitted::of(tree));
        let report = self.report(analysis, extra, phases, Some(written.to_path_buf()));
        Ok((report, scope))
    }

    fn analyze_and_assemble(&mut self, phases: &mut Phases) -> Result<(Analysis, Tree)> {
        let analysis = analyze::analyze(&self.config, &self.options, &mut self.notes, phases)?;
        self.assemble_analysis(analysis, phases)
    }

    fn assemble_analysis(
        &self,
        analysis: Analysis,
        phases: &mut Phases,
    ) -> Result<(Analysis, Tree)> {
        phases.stage(format!("assembling {} pages", analysis.published));
        let tree = self.assemble(&analysis)?;
        phases.mark("assemble");
        phases.stream(&self.config, &tree.diagnostics);
        Ok((analysis, tree))
    }

    fn render_options(&self, hash_files: Option<bool>, tree: &emit::Tree) -> RenderOptions {
        let (count, bytes) = chapter_stats(tree);
        RenderOptions {
            hash_files,
            only: None,
            commands: crate::book_commands::allowed(&self.options)
                .then(|| self.config.root.clone()),
            search: crate::search::choose(self.config.vaultbook.search, count, bytes),
            search_bundle: self.config.vaultbook.search_bundle_size,
            no_print: crate::render::print_left_out(&self.config.mdbook, count, bytes),
            shards: None,
            first_shard: false,
        }
    }

    /// Analysis and assembly with the graph and the pages the last `build` recorded read back
    /// (see [`crate::graph::LayoutCache`] and [`emit::memo`]), unless this driver keeps its own
    /// in memory; returns them, for a build to save after writing the tree they describe.
    /// With `saves` false (emit, which writes no record), a memo with nothing of the last
    /// build's in it is not used at all: keying the pages only for reuse would find none, and
    /// at 10,000 notes keying and keeping them was 5% of an emit's CPU time.
    fn assemble_with_graph_record(
        &mut self,
        phases: &mut Phases,
        saves: bool,
    ) -> (Result<(Analysis, Tree)>, Records) {
        if self.layout.is_some() {
            return (self.analyze_and_assemble(phases), Records::default());
        }
        let src = self.config.work_dir.join("book-src");
        let maker = incremental::maker();
        // The records are read and verified on a thread of their own while the vault is
        // scanned and parsed, which needs none of them: at 10,000 notes they are 16 MB of
        // JSON and 10,000 page hashes, a tenth of a second on one core before the scan could
        // start (a build with one note changed: scan 260-336 ms against 127 ms in a first
        // build). A loader that panics leaves no memo, as a record that does not verify does.
        let load = || {
            let maker = maker.as_ref()?;
            let layout = crate::graph::LayoutCache::load(&graph_record(&src), &src, maker);
            let pages = emit::memo::PageMemo::load(&page_record(&src), &src, maker);
            Some((layout, pages))
        };
        let (config, options, notes) = (&self.config, &self.options, &mut self.notes);
        let (loaded, analysis) = std::thread::scope(|scope| {
            let loader = scope.spawn(load);
            let analysis = analyze::analyze(config, options, notes, phases);
            (loader.join().ok().flatten(), analysis)
        });
        if let Some((layout, pages)) = loaded {
            self.layout = Some(layout);
            self.pages = (saves || !pages.is_empty()).then(|| std::sync::Mutex::new(pages));
        }
        let assembled = analysis.and_then(|analysis| self.assemble_analysis(analysis, phases));
        let records = Records {
            layout: self.layout.take(),
            pages: self.pages.take(),
        };
        (assembled, records)
    }

    /// The info lines about the render: the print page left out, the search `auto` chose.
    fn render_notes(&self, render: &RenderOptions, tree: &emit::Tree) -> Vec<Diagnostic> {
        let stats = chapter_stats(tree);
        let search = (self.config.vaultbook.search == crate::search::SearchSetting::Auto
            && crate::render::pagefind_on(&self.config.mdbook, render))
        .then(|| crate::search::chosen_note(stats.1));
        Self::print_note(render, stats)
            .into_iter()
            .chain(search)
            .collect()
    }

    /// The info line that says the print page was left out, if it was.
    fn print_note(render: &RenderOptions, (chapters, bytes): (usize, u64)) -> Option<Diagnostic> {
        render.no_print.then(|| {
            let why = if bytes > crate::render::PRINT_LIMIT {
                format!(
                    "the chapters are over {} MB, more than a browser prints",
                    crate::render::PRINT_LIMIT >> 20
                )
            } else {
                format!(
                    "the book has {chapters} chapters, and a page of them all would be \
                     rendered again after every edit"
                )
            };
            Diagnostic::new(
                Code::PrintPageOmitted,
                format!("print.html is left out: {why}"),
            )
            .with_help("`[output.html.print] enable = true` in book.toml keeps it")
        })
    }

    /// The rendered pages' problems, their paths named from the book root like every other
    /// path in diagnostics.
    fn check_html(&self) -> Vec<Diagnostic> {
        let build_dir = &self.config.build_dir;
        let shown = build_dir
            .strip_prefix(&self.config.root)
            .unwrap_or(build_dir)
            .to_path_buf();
        crate::htmlcheck::check_rendered(build_dir)
            .into_iter()
            .map(|mut d| {
                d.file = d.file.map(|f| shown.join(f));
                d
            })
            .collect()
    }

    /// The one way a run's diagnostics become its report: levels applied, sorted, deduplicated.
    fn report(
        &mut self,
        mut analysis: Analysis,
        extra: Vec<Diagnostic>,
        mut phases: Phases,
        output: Option<PathBuf>,
    ) -> Report {
        phases.pause();
        self.sink = phases.sink.take();
        let mut diags = std::mem::take(&mut analysis.diagnostics);
        diags.extend(extra);
        // Levels were validated when book.toml was loaded.
        crate::report::apply_levels(&mut diags, &self.config.vaultbook.check);
        diagnostics::sort(&mut diags);
        diags.dedup();
        self.notes.give_back(std::mem::take(&mut analysis.notes));
        let sources = std::mem::take(&mut analysis.sources);
        let (notes, links) = (analysis.published, analysis.links);
        crate::memory::free_later(analysis);
        Report {
            diagnostics: diags,
            sources,
            stats: Stats {
                notes,
                links,
                elapsed: phases.started.elapsed(),
                phases: phases.done,
            },
            output,
        }
    }
}

/// The chapters of an emitted tree (SUMMARY.md aside): how many, and their bytes.
fn chapter_stats(tree: &Tree) -> (usize, u64) {
    tree.files
        .iter()
        .filter(|(p, _)| p.starts_with("src/") && p.ends_with(".md") && *p != "src/SUMMARY.md")
        .fold((0, 0), |(n, b), (_, text)| (n + 1, b + text.len() as u64))
}

/// Where `build` keeps the graph of the tree at `src` (see [`crate::graph::LayoutCache`]).
fn graph_record(src: &Path) -> PathBuf {
    src.with_extension("graph.json")
}

/// Where `build` keeps the assembled pages of the tree at `src` (see [`emit::memo`]).
fn page_record(src: &Path) -> PathBuf {
    src.with_extension("pages.json")
}

/// What a `build` keeps beside the emitted tree for the next one: the graph and the assembled
/// pages (`None` for a driver that keeps its own in memory).
#[derive(Default)]
struct Records {
    layout: Option<crate::graph::LayoutCache>,
    pages: Option<std::sync::Mutex<emit::memo::PageMemo>>,
}

impl Records {
    /// Removes the records of the tree at `src`, before it is written: a build stopped half
    /// way leaves none, and the next assembles and lays out everything.
    fn forget(src: &Path) {
        let _ = std::fs::remove_file(graph_record(src));
        let _ = std::fs::remove_file(page_record(src));
    }

    /// Saves them for `tree`, just written at `src`.
    fn save(&self, src: &Path, tree: &Tree) {
        let Some(maker) = incremental::maker() else {
            return;
        };
        if let Some(layout) = &self.layout {
            layout.save(&graph_record(src), &maker, tree.digests());
        }
        if let Some(pages) = &self.pages {
            let pages = pages
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            pages.save(&page_record(src), &maker, tree.digests());
        }
    }
}
