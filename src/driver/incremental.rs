//! What a rebuild (`serve`) keeps from the previous one: the emitted source tree, so that only
//! the chapters whose emitted text changed are written and rendered again.
//!
//! Every rebuild still emits the whole tree in memory (the analysis and assembly memos make
//! that cheap where nothing changed: see docs/architecture.md), so a change to one note reaches
//! the pages that link to it or embed it. Comparing the emitted files with the previous emit
//! gives the exact set of chapters to render; they are put into the book being served (or a
//! hard-linked copy of it). A change to the book's shape (SUMMARY, book.toml, assets, a chapter
//! added or removed) renders everything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};

use crate::emit::{self, Generated, Tree, output};
use crate::render::toc::{js_name, retarget};
use crate::render::{RenderOptions, render_with};

/// How much a rebuild rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The whole book.
    Full,
    /// This many chapters (the rest was reused).
    Pages(usize),
}

/// What says a file changed: modification time, length and inode (an editor that saves by
/// renaming a new file over the old one gives a new inode, whatever the time and length).
pub(super) type Stamp = (Option<std::time::SystemTime>, u64, u64);

/// The [`Stamp`] of the file at `path`, if it can be read.
pub(super) fn stamp(path: &Path) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok(), m.len(), m.ino()))
}

/// What is known of a generated file as last written: its bytes (a session keeps them in
/// memory, shared with the tree it emitted) or their SHA-256 (what a build records).
enum Written {
    Bytes(Arc<[u8]>),
    Digest([u8; 32]),
}

impl Written {
    /// Whether `now`, the file `path` of `tree`, is the one written.
    fn matches(&self, tree: &Tree, path: &str, now: Generated<'_>) -> bool {
        use sha2::{Digest, Sha256};
        match (self, now) {
            // Shared bytes compare equal without being read. Said here, since `Arc`'s own `==`
            // skips the read only for sized contents, not for `[u8]`: every rebuild compared
            // the whole 200 MB tree byte by byte, twice (10% of a rebuild's perf samples).
            (Written::Bytes(b), Generated::Bytes(n)) => Arc::ptr_eq(b, n) || b == n,
            (Written::Digest(d), Generated::Kept(k)) => d == k,
            (Written::Digest(d), Generated::Bytes(_)) => tree.digests().get(path) == Some(d),
            (Written::Bytes(b), Generated::Kept(k)) => <[u8; 32]>::from(Sha256::digest(b)) == *k,
        }
    }
}

/// The entries of a map looked up in path order, each lookup going on from the last: a walk
/// beside the tree's own files, instead of a search of 30,000 paths for each.
struct InOrder<'a, V>(std::iter::Peekable<std::collections::btree_map::Iter<'a, String, V>>);

impl<'a, V> InOrder<'a, V> {
    fn new(map: &'a BTreeMap<String, V>) -> Self {
        InOrder(map.iter().peekable())
    }

    /// The value of `path`; `path` must not come before the one asked for last.
    fn get(&mut self, path: &str) -> Option<&'a V> {
        while let Some((p, _)) = self.0.peek()
            && p.as_str() < path
        {
            self.0.next();
        }
        match self.0.peek() {
            Some((p, v)) if p.as_str() == path => Some(*v),
            _ => None,
        }
    }
}

/// An emitted source tree as last written: generated files (path → what was written) and
/// copied files (path → source, and the source's stamp when it was copied).
pub(super) struct Emitted {
    files: BTreeMap<String, Written>,
    copies: BTreeMap<String, (PathBuf, Option<Stamp>)>,
}

impl Emitted {
    /// Keeps `tree`'s files, and the stamps of the files it copies, for the next comparison.
    pub(super) fn of(tree: Tree) -> Emitted {
        let copies = tree
            .copies
            .into_iter()
            .map(|(path, source)| {
                let st = stamp(&source);
                (path, (source, st))
            })
            .collect();
        let kept = tree.kept.into_iter().map(|(p, d)| (p, Written::Digest(d)));
        Emitted {
            files: tree
                .files
                .into_iter()
                .map(|(p, b)| (p, Written::Bytes(b)))
                .chain(kept)
                .collect(),
            copies,
        }
    }

    /// Whether the file copied to `path` is the one copied last time, unchanged.
    fn same_copy(&self, path: &str, source: &Path) -> bool {
        self.copies
            .get(path)
            .is_some_and(|(old, st)| old == source && st.is_some() && *st == stamp(source))
    }
}

/// What a `build` keeps beside the emitted source tree so that the next one can render only the
/// chapters that changed: what the tree's files are is the tree itself (on disk); what it
/// cannot tell is where its copied files came from, and with which render options and which
/// vaultbook executable it was rendered.
#[derive(serde::Serialize, serde::Deserialize)]
struct BuildRecord {
    render: String,
    exe: Option<Stamp>,
    copies: BTreeMap<String, (PathBuf, Option<Stamp>)>,
    /// The SHA-256 of each generated file, hex: the next build compares its own files with
    /// these instead of reading the tree back (at 10,000 notes, 200 MB of pages and graphs).
    files: BTreeMap<String, String>,
}

/// Where the [`BuildRecord`] of the tree at `src` is kept.
fn build_record_path(src: &Path) -> PathBuf {
    src.with_extension("emitted.json")
}

/// Names this vaultbook executable (path stamp) for the records a build keeps, so that a record
/// it did not write (one checked in with the book) is not trusted.
pub(super) fn maker() -> Option<String> {
    exe_stamp().map(|s| format!("{s:?}"))
}

fn exe_stamp() -> Option<Stamp> {
    std::env::current_exe().ok().as_deref().and_then(stamp)
}

/// Records, after a build rendered the emitted tree at `src` (holding `tree`) with `render`,
/// what the next build needs to find what changed. Not kept, it costs the next build only its
/// shortcut.
pub(super) fn record_build(src: &Path, tree: &Tree, render: &RenderOptions) {
    let record = BuildRecord {
        render: format!("{render:?}"),
        exe: exe_stamp(),
        copies: tree
            .copies
            .iter()
            .map(|(path, source)| (path.clone(), (source.clone(), stamp(source))))
            .collect(),
        files: tree
            .digests()
            .iter()
            .map(|(path, d)| (path.clone(), crate::snippets::cache::hex(d)))
            .collect(),
    };
    let path = build_record_path(src);
    match serde_json::to_vec(&record) {
        Ok(bytes) if std::fs::write(&path, &bytes).is_ok() => {}
        _ => forget_build(src),
    }
}

/// Forgets the [`BuildRecord`]: the tree at `src` is about to change.
pub(super) fn forget_build(src: &Path) {
    let _ = std::fs::remove_file(build_record_path(src));
}

/// The emitted tree at `src` as the last build left it, when that build rendered it with
/// `render` and this executable: what its record says was written.
pub(super) fn last_build(src: &Path, render: &RenderOptions) -> Option<Emitted> {
    let record: BuildRecord =
        serde_json::from_slice(&std::fs::read(build_record_path(src)).ok()?).ok()?;
    if record.render != format!("{render:?}") || record.exe.is_none() || record.exe != exe_stamp() {
        return None;
    }
    let mut files = BTreeMap::new();
    for (path, d) in record.files {
        files.insert(
            path,
            Written::Digest(crate::snippets::cache::unhex_digest(&d)?),
        );
    }
    Some(Emitted {
        files,
        copies: record.copies,
    })
}

/// What a rebuild must redo, when the book's shape is unchanged.
pub(super) struct Changes {
    /// Chapters (paths under `src/`) whose emitted text changed.
    pub(super) pages: BTreeSet<PathBuf>,
    /// Files under `src/` that are no chapter and changed (attachments, generated data such
    /// as the link graph's): copied into the new book as they are, since mdBook copies them
    /// unchanged.
    pub(super) assets: Vec<String>,
}

/// What differs from `last`, or `None` when the book's shape changed (or there is no `last`)
/// and everything must be rendered.
pub(super) fn changes(last: Option<&Emitted>, tree: &Tree) -> Option<Changes> {
    let last = last?;
    let now = tree.generated_files();
    if last.copies.keys().ne(tree.copies.keys())
        || last.files.keys().ne(now.iter().map(|&(path, _)| path))
    {
        return None;
    }
    let mut pages = BTreeSet::new();
    let mut assets = Vec::new();
    for ((path, written), &(_, file)) in last.files.iter().zip(&now) {
        if written.matches(tree, path, file) {
            continue;
        }
        match path.strip_prefix("src/") {
            Some(chapter) if chapter.ends_with(".md") && chapter != "SUMMARY.md" => {
                pages.insert(PathBuf::from(chapter));
            }
            // A generated file under src/ that is no chapter (a link graph's data script)
            // is copied by mdBook unchanged: put into the book like an attachment.
            Some(other) if !other.ends_with(".md") => assets.push(path.clone()),
            _ => return None,
        }
    }
    for (path, source) in &tree.copies {
        if last.same_copy(path, source) {
            continue;
        }
        // A theme or an `additional-css` file can change every page: render them all.
        if !path.starts_with("src/") || path.ends_with(".md") {
            return None;
        }
        assets.push(path.clone());
    }
    Some(Changes { pages, assets })
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
    let now = tree.generated_files();
    let mut before = InOrder::new(&last.files);
    for &(path, file) in &now {
        let dest = src.join(path);
        let written = before.get(path);
        let same = written.is_some_and(|w| w.matches(tree, path, file));
        match file {
            Generated::Bytes(bytes) => {
                // A build's record says what was written, not that it is still there.
                let there = || matches!(written, Some(Written::Bytes(_))) || dest.exists();
                if !same || !there() {
                    if let Some(parent) = dest.parent() {
                        std::fs::create_dir_all(parent)?;
                    }
                    std::fs::write(&dest, bytes)
                        .with_context(|| format!("cannot write {}", dest.display()))?;
                }
            }
            // Left where the last build wrote it; from another emitted tree, copied.
            Generated::Kept(_) => {
                let from = tree.kept_file(path);
                if from.as_deref() != Some(dest.as_path()) {
                    if let Some(parent) = dest.parent() {
                        std::fs::create_dir_all(parent)?;
                    }
                    let from =
                        from.with_context(|| format!("{path}: kept, but in no emitted tree"))?;
                    std::fs::copy(&from, &dest)
                        .with_context(|| format!("cannot copy {}", from.display()))?;
                } else if !same || !dest.exists() {
                    anyhow::bail!(
                        "{} changed while the book was built; build again",
                        dest.display()
                    );
                }
            }
        }
    }
    for (path, from) in &tree.copies {
        let dest = src.join(path);
        if !last.same_copy(path, from) || !dest.exists() {
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::copy(from, &dest)
                .with_context(|| format!("cannot copy {}", from.display()))?;
        }
    }
    let mut current = now.iter().map(|&(p, _)| p.as_str()).peekable();
    for path in last.files.keys() {
        while current.next_if(|p| *p < path.as_str()).is_some() {}
        if current.peek() != Some(&path.as_str()) && !tree.copies.contains_key(path) {
            let _ = std::fs::remove_file(src.join(path));
        }
    }
    for path in last.copies.keys() {
        if !tree.has_generated(path) && !tree.copies.contains_key(path) {
            let _ = std::fs::remove_file(src.join(path));
        }
    }
    let manifest: Vec<&str> = now
        .iter()
        .map(|&(p, _)| p)
        .chain(tree.copies.keys())
        .map(String::as_str)
        .collect();
    std::fs::write(src.join(output::MANIFEST), manifest.join("\n") + "\n")?;
    Ok(())
}

/// Puts what `changes` names into the rendered book `out`: the changed pages rendered again,
/// the changed assets copied, each file replaced whole (see [`render_pages`]).
pub(super) fn put_changes(
    src: &Path,
    changes: &Changes,
    out: &Path,
    scratch: &Path,
    render: &RenderOptions,
) -> Result<()> {
    if !changes.pages.is_empty() {
        render_pages(src, &changes.pages, out, scratch, render)?;
    }
    replace_assets(src, &changes.assets, out)
}

/// Renders `pages` of the source tree `src` alone (in `scratch`) and puts their HTML into `out`
/// (the book being served or the build dir, or a hard-linked copy of it) by writing new files
/// and renaming them over the old ones, which may be hard links shared with another copy.
fn render_pages(
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
    // With hashed file names, the pages rendered alone name their render's `toc.js`, whose
    // sidebar has the other chapters as drafts: they are made to name the book's.
    let toc = match (js_name(scratch), js_name(out)) {
        (Some(theirs), Some(ours)) if theirs != ours => Some((theirs, ours)),
        _ => None,
    };
    for rel in &html {
        let from = scratch.join(rel);
        let to = out.join(rel);
        let staged = to.with_extension("html.vaultbook-new");
        match &toc {
            None => {
                std::fs::copy(&from, &staged)
                    .with_context(|| format!("cannot copy {}", from.display()))?;
            }
            Some((theirs, ours)) => {
                let page = std::fs::read_to_string(&from)
                    .with_context(|| format!("cannot read {}", from.display()))?;
                std::fs::write(&staged, retarget(&page, theirs, ours))?;
            }
        }
        std::fs::rename(&staged, &to)?;
    }
    // The previews of the pages rendered again follow them (the search index stays the last
    // full render's).
    let rels: Vec<String> = html
        .iter()
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .collect();
    crate::previews::refresh(out, &rels)?;
    drop(guard);
    Ok(())
}

/// Puts the current version of each of `assets` (paths of the source tree `src`) into `out`,
/// where mdBook puts them (the path under `src/`), by writing a new file and renaming it over
/// the hard link to the served book's copy.
fn replace_assets(src: &Path, assets: &[String], out: &Path) -> Result<()> {
    for path in assets {
        let Some(rel) = path.strip_prefix("src/") else {
            continue;
        };
        let to = out.join(rel);
        let staged = out.join(format!("{rel}.vaultbook-new"));
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(src.join(path), &staged)
            .with_context(|| format!("cannot copy {path} into {}", out.display()))?;
        std::fs::rename(&staged, &to)?;
    }
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
