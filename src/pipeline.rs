//! The pipeline strung together: analyze (scan, parse, index, resolve, snippets), emit, render.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;

use crate::config::Config;
use crate::diagnostics::{Diagnostic, Sources};

/// What the caller wants from a run.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Compile and run snippets (false with `--no-run`).
    pub run_snippets: bool,
    /// Ignore cached snippet results.
    pub rerun_snippets: bool,
    /// Show progress bars on a terminal.
    pub progress: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            run_snippets: true,
            rerun_snippets: false,
            progress: false,
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
}

/// The vault read, resolved and checked, ready to emit.
pub struct Analysis {
    /// Every diagnostic, sorted.
    pub diagnostics: Vec<Diagnostic>,
    /// The text of each note, for printers that quote source.
    pub sources: Sources,
    /// Counts.
    pub stats: Stats,
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

/// Reads and resolves the vault, runs snippets per `options`; renders nothing.
pub fn analyze(_config: &Config, _options: &Options) -> Result<Analysis> {
    Ok(Analysis {
        diagnostics: Vec::new(),
        sources: Sources::default(),
        stats: Stats::default(),
    })
}

/// Writes the standalone mdBook source tree to `out`.
pub fn emit(config: &Config, _options: &Options, out: &Path) -> Result<BuildReport> {
    let _ = config;
    Ok(BuildReport {
        diagnostics: Vec::new(),
        stats: Stats::default(),
        output: out.to_path_buf(),
    })
}

/// Emits and renders the book into `config.build_dir`, replacing it atomically.
pub fn build(config: &Config, _options: &Options) -> Result<BuildReport> {
    Ok(BuildReport {
        diagnostics: Vec::new(),
        stats: Stats::default(),
        output: config.build_dir.clone(),
    })
}
