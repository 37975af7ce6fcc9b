//! The rebuild function `serve` calls: a parameter, so that the server can be tested with a fake
//! and so that an incremental builder (one that keeps parsed notes in memory) can replace the
//! full one without touching the server.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::watch::Changes;
use crate::config::Config;
use crate::driver::{Driver, Options, Scope, Verbosity};

/// One build asked of a [`Builder`].
#[derive(Debug)]
pub struct BuildRequest<'a> {
    /// The book root, holding book.toml.
    pub root: &'a Path,
    /// What changed since the book in `previous` was built (failed builds in between add
    /// theirs): everything for the first build, for a book.toml or template change, and when
    /// the watcher lost track; otherwise the paths that changed.
    pub changes: &'a Changes,
    /// A fresh path in serve's staging area that does not exist yet: render the book here (or
    /// anywhere under it). It is served only after `build` returns, and deleted when a newer
    /// book replaces it.
    pub out: &'a Path,
    /// The book being served (None before the first good build). Pages may be reading it:
    /// a builder either renders a new book into `out` (reusing files of this one by hard links,
    /// see [`link_tree`]), or updates this one in place and returns it, replacing each file
    /// whole by writing a new file and renaming it over the old (never writing into one: its
    /// files may be hard links shared with older generations still being read).
    ///
    /// [`link_tree`]: crate::emit::output::link_tree
    pub previous: Option<&'a Path>,
    /// Where to show the first pages of a large book before the rest is rendered: given for a
    /// build with no book served yet (a served book is better than a partial one).
    pub early: Option<&'a dyn crate::driver::EarlyPages>,
}

/// Renders the book for `serve`. Builds run one at a time, on a blocking thread.
///
/// `build` returns the directory of a complete rendered book (`out` or a folder under it, or
/// `previous` updated in place), or the error text to show in the page and the terminal. A builder may keep state between builds
/// (`&mut self`): an incremental session re-parses only `request.changes.paths`.
pub trait Builder: Send + 'static {
    /// Renders the book at `request.root` into `request.out`.
    fn build(&mut self, request: &BuildRequest<'_>) -> Result<PathBuf, String>;
}

impl<F> Builder for F
where
    F: FnMut(&BuildRequest<'_>) -> Result<PathBuf, String> + Send + 'static,
{
    fn build(&mut self, request: &BuildRequest<'_>) -> Result<PathBuf, String> {
        self(request)
    }
}

/// The real builder: an incremental [`Driver`] over the book. A book.toml or template change
/// (`changes.full`) starts a new driver; otherwise only changed notes are parsed again and only
/// the chapters whose text changed are rendered, into the book being served (see
/// [`Driver::update_showing`]).
pub struct PipelineBuilder {
    /// The pipeline options (`--no-run`, `--rerun-snippets`); progress bars are turned off.
    pub options: Options,
    /// Which diagnostics are printed (`-q`, `-v`), as for every command.
    pub shown: Verbosity,
    /// The diagnostics printed after the last build: a rebuild prints only new ones.
    printed: BTreeSet<String>,
    /// Parsed notes and the last emitted tree, kept between builds.
    driver: Option<Driver>,
}

impl PipelineBuilder {
    /// A builder with these options, printing errors and warnings.
    pub fn new(options: Options) -> PipelineBuilder {
        PipelineBuilder {
            options: Options {
                progress: false,
                ..options
            },
            shown: Verbosity::Normal,
            printed: BTreeSet::new(),
            driver: None,
        }
    }

    /// Prints the diagnostics `shown` lets through.
    pub fn showing(self, shown: Verbosity) -> PipelineBuilder {
        PipelineBuilder { shown, ..self }
    }

    /// Prints the diagnostics that the previous build did not have, then a count.
    fn print(&mut self, diagnostics: &[crate::Diagnostic]) {
        let now: BTreeSet<String> = diagnostics
            .iter()
            .filter(|d| self.shown.shows(d.severity))
            .map(|d| d.one_line())
            .collect();
        for line in now.difference(&self.printed) {
            eprintln!("{line}");
        }
        let count = |s| diagnostics.iter().filter(|d| d.severity == s).count();
        let (errors, warnings) = (
            count(crate::Severity::Error),
            count(crate::Severity::Warning),
        );
        if errors + warnings > 0 {
            eprintln!(
                "vaultbook serve: the book has {}, {}",
                crate::report::counted(errors, "error"),
                crate::report::counted(warnings, "warning")
            );
        }
        self.printed = now;
    }
}

impl Builder for PipelineBuilder {
    fn build(&mut self, request: &BuildRequest<'_>) -> Result<PathBuf, String> {
        if request.changes.full || self.driver.is_none() {
            let config = Config::load(request.root).map_err(|e| format!("{e:#}"))?;
            self.driver = Some(Driver::incremental(config, self.options));
        }
        let Some(driver) = self.driver.as_mut() else {
            return Err("no driver".into());
        };
        // A served book that is gone from disk cannot be reused: render everything.
        let previous = if request.changes.full {
            None
        } else {
            request.previous.filter(|p| p.is_dir())
        };
        let result = driver.update_showing(request.out, previous, request.early);
        let (report, scope) = match result {
            Ok(r) => r,
            Err(e) => {
                // Start afresh next time: the driver may hold half of a failed build.
                self.driver = None;
                return Err(format!("{e:#}"));
            }
        };
        if let Scope::Pages(n) = scope
            && self.shown == Verbosity::Verbose
        {
            eprintln!(
                "vaultbook serve: rebuilt {n} page(s) in {:.0} ms",
                report.stats.elapsed.as_secs_f64() * 1000.0
            );
        }
        self.print(&report.diagnostics);
        match report.output {
            Some(out) if out.is_dir() => Ok(out),
            _ => Err(format!(
                "the build wrote no book into {}",
                request.out.display()
            )),
        }
    }
}
