//! What a rebuild (`serve`) keeps from the previous one: the emitted source tree, so that only
//! the chapters whose emitted text changed are written and rendered again.
//!
//! Every rebuild still resolves every link and assembles every page in memory (cheap: linear,
//! no I/O), so a change to one note reaches the pages that link to it or embed it. Comparing the
//! emitted pages with the previous emit gives the exact set of chapters to render; the rest of
//! the book is hard-linked from the book being served. A change to the book's shape (SUMMARY,
//! book.toml, assets, a chapter added or removed) renders everything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::emit::{self, Tree, output};
use crate::render::{RenderOptions, render_with};

/// How much a rebuild rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The whole book.
    Full,
    /// This many chapters (the rest was reused).
    Pages(usize),
}

/// An emitted source tree as last written: generated files (path → bytes) and attachments
/// (path → source).
pub(super) struct Emitted {
    files: BTreeMap<String, Vec<u8>>,
    copies: BTreeMap<String, PathBuf>,
}

impl Emitted {
    /// Keeps `tree`'s files for the next comparison.
    pub(super) fn of(tree: Tree) -> Emitted {
        Emitted {
            files: tree.files,
            copies: tree.copies,
        }
    }
}

/// The chapters (paths under `src/`) whose text differs from `last`, or `None` when the book's
/// shape changed (or there is no `last`) and everything must be rendered.
pub(super) fn changed_chapters(last: Option<&Emitted>, tree: &Tree) -> Option<BTreeSet<PathBuf>> {
    let last = last?;
    if last.copies.keys().ne(tree.copies.keys()) || last.files.keys().ne(tree.files.keys()) {
        return None;
    }
    let mut pages = BTreeSet::new();
    for (path, bytes) in &tree.files {
        if last.files.get(path) == Some(bytes) {
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

/// Brings the emitted source tree at `src` up to date, writing only what changed since `last`
/// (everything, through [`emit::write_tree`], when there is no `last`).
pub(super) fn write_source(
    last: Option<&Emitted>,
    tree: &Tree,
    src: &Path,
    vault: &Path,
) -> Result<()> {
    let Some(last) = last else {
        return emit::write_tree(tree, src, vault);
    };
    for (path, bytes) in &tree.files {
        if last.files.get(path) != Some(bytes) {
            let dest = src.join(path);
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&dest, bytes)
                .with_context(|| format!("cannot write {}", dest.display()))?;
        }
    }
    for (path, from) in &tree.copies {
        let dest = src.join(path);
        let stale = match (std::fs::metadata(from), std::fs::metadata(&dest)) {
            (Ok(f), Ok(d)) => f.len() != d.len() || f.modified().ok() > d.modified().ok(),
            _ => true,
        };
        if stale || !last.copies.contains_key(path) {
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::copy(from, &dest)
                .with_context(|| format!("cannot copy {}", from.display()))?;
        }
    }
    for path in last.files.keys().chain(last.copies.keys()) {
        if !tree.files.contains_key(path) && !tree.copies.contains_key(path) {
            let _ = std::fs::remove_file(src.join(path));
        }
    }
    let manifest: Vec<&str> = tree
        .files
        .keys()
        .chain(tree.copies.keys())
        .map(String::as_str)
        .collect();
    std::fs::write(src.join(output::MANIFEST), manifest.join("\n") + "\n")?;
    Ok(())
}

/// Renders `pages` of the source tree `src` alone (in `scratch`) and puts their HTML into `out`
/// (a hard-linked copy of the served book) by writing new files and renaming them over the links.
pub(super) fn render_pages(
    src: &Path,
    pages: &BTreeSet<PathBuf>,
    out: &Path,
    scratch: &Path,
    render: &RenderOptions,
) -> Result<()> {
    let _ = std::fs::remove_dir_all(scratch);
    // Removed when done, whatever happens, and on a stop signal.
    let guard = crate::interrupt::remove_on_exit(scratch.to_path_buf());
    render_with(
        src,
        scratch,
        &RenderOptions {
            only: Some(pages.clone()),
            ..render.clone()
        },
    )?;
    let mut html: Vec<PathBuf> = pages.iter().map(|p| p.with_extension("html")).collect();
    // mdBook copies the first chapter to index.html: keep that copy current too.
    let first = first_chapter(&src.join("src/SUMMARY.md"));
    if first.is_some_and(|f| pages.contains(&f)) {
        html.push(PathBuf::from("index.html"));
    }
    for rel in html {
        let from = scratch.join(&rel);
        let to = out.join(&rel);
        let staged = to.with_extension("html.vaultbook-new");
        std::fs::copy(&from, &staged).with_context(|| format!("cannot copy {}", from.display()))?;
        std::fs::rename(&staged, &to)?;
    }
    drop(guard);
    Ok(())
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
