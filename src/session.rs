//! Incremental builds for `serve`: notes that did not change are not parsed again, and only the
//! chapters whose emitted text changed are rendered again.
//!
//! Every rebuild still resolves every link and assembles every page in memory (cheap: linear,
//! no I/O), so a change to one note reaches the pages that link to it or embed it. Comparing the
//! emitted pages with the previous emit gives the exact set of chapters to render; the rest of
//! the book is hard-linked from the generation being served. A change to the book's shape
//! (SUMMARY, book.toml, assets, a chapter added or removed) renders everything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};

use crate::config::Config;
use crate::emit::output;
use crate::pipeline::{self, BuildReport, NoteCache, Options};
use crate::render::{RenderOptions, render_with};

/// How much a rebuild rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The whole book.
    Full,
    /// This many chapters (the rest was reused).
    Pages(usize),
}

/// An emitted source tree: generated files (path → bytes) and attachments (path → source).
type Emitted = (BTreeMap<String, Vec<u8>>, BTreeMap<String, PathBuf>);

/// A book being rebuilt again and again, keeping what it can between builds.
pub struct Session {
    config: Config,
    options: Options,
    cache: NoteCache,
    /// The source tree of the last emit.
    last: Option<Emitted>,
    src: PathBuf,
}

impl Session {
    /// A session for `config`; the first build parses and renders everything.
    pub fn new(config: Config, options: Options) -> Session {
        let src = config.work_dir.join("serve-src");
        Session {
            config,
            options,
            cache: NoteCache::new(),
            last: None,
            src,
        }
    }

    /// Where the book's external preprocessors run, when the options let them.
    fn commands(&self) -> Option<PathBuf> {
        crate::book_commands::allowed(&self.options).then(|| self.config.root.clone())
    }

    /// The configuration the session was opened with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Builds the book into `out` (which must not exist). With `previous`, the book being
    /// served, only the chapters that changed are rendered and the rest is hard-linked from it;
    /// files in `out` are then replaced, never modified in place, since they are shared.
    pub fn build(&mut self, out: &Path, previous: Option<&Path>) -> Result<(BuildReport, Scope)> {
        let started = Instant::now();
        // Per build, not per session: a `vaultbook build` of the same book waits for one
        // rebuild, not for serve to end.
        let _lock = crate::lock::lock_book(&self.config.work_dir)?;
        let a = pipeline::analyze_cached(&self.config, &self.options, &mut self.cache)?;
        let tree = pipeline::tree_of(&self.config, &a)?;
        let changed = self.changed_chapters(&tree);
        self.write_source(&tree)?;
        let hashless = RenderOptions {
            hash_files: Some(false),
            only: None,
            commands: self.commands(),
        };
        let scope = match (changed, previous) {
            (Some(pages), Some(prev)) => {
                crate::serve::generation::link_tree(prev, out).with_context(|| {
                    format!("cannot link {} into {}", prev.display(), out.display())
                })?;
                if !pages.is_empty() {
                    self.render_pages(&pages, out)?;
                }
                Scope::Pages(pages.len())
            }
            _ => {
                render_with(&self.src, out, &hashless)?;
                Scope::Full
            }
        };
        self.last = Some((tree.files, tree.copies));
        let mut diags = a.diagnostics;
        diags.extend(tree.diagnostics);
        diags.extend(crate::book_commands::skipped(&self.config, &self.options));
        let mut stats = a.stats;
        stats.elapsed = started.elapsed();
        Ok((
            BuildReport {
                diagnostics: pipeline::finish(diags),
                stats,
                output: out.to_path_buf(),
            },
            scope,
        ))
    }

    /// The chapters (paths under `src/`) whose text differs from the last emit, or `None` when
    /// the book's shape changed and everything must be rendered.
    fn changed_chapters(&self, tree: &crate::emit::Tree) -> Option<BTreeSet<PathBuf>> {
        let (files, copies) = self.last.as_ref()?;
        if copies.keys().ne(tree.copies.keys()) || files.keys().ne(tree.files.keys()) {
            return None;
        }
        let mut pages = BTreeSet::new();
        for (path, bytes) in &tree.files {
            if files.get(path) == Some(bytes) {
                continue;
            }
            match path.strip_prefix("src/") {
                Some(chapter) if chapter.ends_with(".md") && chapter != "SUMMARY.md" => {
                    pages.insert(PathBuf::from(chapter));
                }
                _ => return None,
            }
        }
        Some(pages)
    }

    /// Brings the emitted source tree on disk up to date, writing only what changed.
    fn write_source(&self, tree: &crate::emit::Tree) -> Result<()> {
        let Some((files, copies)) = &self.last else {
            return crate::emit::write_tree(tree, &self.src, &self.config.vault);
        };
        for (path, bytes) in &tree.files {
            if files.get(path) != Some(bytes) {
                let dest = self.src.join(path);
                if let Some(parent) = dest.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(&dest, bytes)
                    .with_context(|| format!("cannot write {}", dest.display()))?;
            }
        }
        for (path, from) in &tree.copies {
            let dest = self.src.join(path);
            let stale = match (std::fs::metadata(from), std::fs::metadata(&dest)) {
                (Ok(f), Ok(d)) => f.len() != d.len() || f.modified().ok() > d.modified().ok(),
                _ => true,
            };
            if stale || !copies.contains_key(path) {
                if let Some(parent) = dest.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::copy(from, &dest)
                    .with_context(|| format!("cannot copy {}", from.display()))?;
            }
        }
        for path in files.keys().chain(copies.keys()) {
            if !tree.files.contains_key(path) && !tree.copies.contains_key(path) {
                let _ = std::fs::remove_file(self.src.join(path));
            }
        }
        let manifest: Vec<&String> = tree.files.keys().chain(tree.copies.keys()).collect();
        let manifest: Vec<&str> = manifest.iter().map(|s| s.as_str()).collect();
        std::fs::write(self.src.join(output::MANIFEST), manifest.join("\n") + "\n")?;
        Ok(())
    }

    /// Renders `pages` alone and puts their HTML into `out` (a hard-linked copy of the served
    /// book) by writing new files and renaming them over the links.
    fn render_pages(&self, pages: &BTreeSet<PathBuf>, out: &Path) -> Result<()> {
        let tmp = self.config.work_dir.join("serve-pages");
        let _ = std::fs::remove_dir_all(&tmp);
        // Removed when done, whatever happens, and on a stop signal.
        let scratch = crate::interrupt::remove_on_exit(tmp.clone());
        render_with(
            &self.src,
            &tmp,
            &RenderOptions {
                hash_files: Some(false),
                only: Some(pages.clone()),
                commands: self.commands(),
            },
        )?;
        let mut html: Vec<PathBuf> = pages.iter().map(|p| p.with_extension("html")).collect();
        // mdBook copies the first chapter to index.html: keep that copy current too.
        let first = first_chapter(&self.src.join("src/SUMMARY.md"));
        if first.is_some_and(|f| pages.contains(&f)) {
            html.push(PathBuf::from("index.html"));
        }
        for rel in html {
            let from = tmp.join(&rel);
            let to = out.join(&rel);
            let staged = to.with_extension("html.vaultbook-new");
            std::fs::copy(&from, &staged)
                .with_context(|| format!("cannot copy {}", from.display()))?;
            std::fs::rename(&staged, &to)?;
        }
        drop(scratch);
        Ok(())
    }
}

/// The path of the first chapter in a SUMMARY.md (the first link with a destination).
fn first_chapter(summary: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(summary).ok()?;
    text.lines().find_map(|l| {
        let start = l.find("](")? + 2;
        let end = l[start..].find(')')? + start;
        let dest = &l[start..end];
        (!dest.is_empty()).then(|| PathBuf::from(dest))
    })
}
