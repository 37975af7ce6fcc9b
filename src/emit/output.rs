//! Output directories: written by vaultbook alone, replaced as a whole, never the vault.
//!
//! A directory vaultbook writes holds a manifest of what it wrote. An existing directory is only
//! replaced when it is empty or when every file in it is in its manifest: vaultbook never deletes
//! a file it did not write.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result, bail};
use walkdir::WalkDir;

use crate::interrupt;

/// The manifest's file name, inside the output directory.
pub(crate) const MANIFEST: &str = ".vaultbook-manifest";

/// Replaces `out` with what `fill` writes into a fresh staging directory beside it. `fill`
/// returns the paths it wrote (relative, `/`-separated); they become the manifest.
///
/// At no moment is `out` missing or half-written: the staging directory is exchanged with it in
/// one `renameat2(RENAME_EXCHANGE)` where the file system can (Linux), and otherwise moved in
/// right after the old one is moved aside, in an [`interrupt::critical`] section; a run killed
/// in between (SIGKILL) leaves the old one aside, and the next run puts it back. The staging
/// directory is registered with [`interrupt`]: a stop signal removes it and leaves `out` as it
/// was. Two processes must not replace one `out` at once (the book lock sees to it).
pub(crate) fn replace_dir(
    out: &Path,
    vault: &Path,
    fill: impl FnOnce(&Path) -> Result<Vec<String>>,
) -> Result<()> {
    let out = std::path::absolute(out)?;
    let parent = out
        .parent()
        .context("the output directory has no parent folder")?;
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let name = out
        .file_name()
        .context("the output directory has no name")?
        .to_string_lossy()
        .to_string();
    recover(parent, &name, &out);
    check_safe(&out, vault)?;
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let unique = format!("{}-{n}", std::process::id());
    let staging_path = parent.join(format!(".{name}.{STAGING}-{unique}"));
    let staging = interrupt::create_dir(&staging_path)
        .with_context(|| format!("cannot create {}", staging_path.display()))?;
    // On an error the guard removes the staging directory.
    let mut manifest: Vec<String> = fill(staging.path())?;
    manifest.sort();
    manifest.dedup();
    std::fs::write(staging.path().join(MANIFEST), manifest.join("\n") + "\n")?;

    if !out.exists() {
        std::fs::rename(staging.path(), &out)
            .with_context(|| format!("cannot move the new {} in place", out.display()))?;
        staging.keep();
        return Ok(());
    }
    match exchange(staging.path(), &out) {
        Ok(()) => {
            // The staging path now holds the previous book.
            staging
                .remove()
                .with_context(|| format!("cannot remove the previous {}", out.display()))?;
            return Ok(());
        }
        Err(e) if !exchange_unsupported(&e) => {
            return Err(e).with_context(|| format!("cannot swap in the new {}", out.display()));
        }
        Err(_) => {}
    }
    let aside = parent.join(format!(".{name}.{ASIDE}-{unique}"));
    let old = interrupt::critical(|| -> Result<interrupt::DirGuard> {
        std::fs::rename(&out, &aside)
            .with_context(|| format!("cannot move the old {} aside", out.display()))?;
        if let Err(e) = std::fs::rename(staging.path(), &out) {
            let _ = std::fs::rename(&aside, &out);
            return Err(e)
                .with_context(|| format!("cannot move the new {} in place", out.display()));
        }
        Ok(interrupt::remove_on_exit(aside.clone()))
    })?;
    staging.keep();
    old.remove()
        .with_context(|| format!("cannot remove {}", aside.display()))?;
    Ok(())
}

/// The middle of a staging directory's name: `.NAME.vaultbook-staging-PID-N`.
const STAGING: &str = "vaultbook-staging";
/// The middle of the name of a replaced directory on its way out: `.NAME.vaultbook-old-PID-N`.
const ASIDE: &str = "vaultbook-old";

/// Tells apart the staging directories of one process.
static NEXT: AtomicU64 = AtomicU64::new(0);

/// Swaps two directories in one step.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    #[cfg(test)]
    if tests::NO_EXCHANGE.load(Ordering::SeqCst) {
        return Err(std::io::Error::from(std::io::ErrorKind::Unsupported));
    }
    let a = std::ffi::CString::new(a.as_os_str().as_bytes())?;
    let b = std::ffi::CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: two NUL-terminated paths that outlive the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// Whether `exchange` failed only because the kernel or the file system cannot exchange.
fn exchange_unsupported(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::Unsupported
        || matches!(
            e.raw_os_error(),
            Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP)
        )
}

/// Cleans up after runs that were killed outright (SIGKILL, power loss) while replacing `out`:
/// their staging directories go, and a previous `out` left aside is put back if `out` is
/// missing. Directories of a process still alive are left alone.
fn recover(parent: &Path, name: &str, out: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let prefix = format!(".{name}.");
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name.to_str().and_then(|f| f.strip_prefix(&prefix)) else {
            continue;
        };
        let (kind, owner) = if let Some(o) = rest.strip_prefix(&format!("{STAGING}-")) {
            (STAGING, o)
        } else if let Some(o) = rest.strip_prefix(&format!("{ASIDE}-")) {
            (ASIDE, o)
        } else {
            continue;
        };
        let Some(pid) = owner.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid == std::process::id() || alive(pid) {
            continue;
        }
        let path = entry.path();
        if kind == ASIDE && !out.exists() && std::fs::rename(&path, out).is_ok() {
            continue;
        }
        let _ = std::fs::remove_dir_all(&path);
    }
}

/// Whether a process with this pid exists.
fn alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks for existence.
    unsafe {
        libc::kill(pid, 0) == 0
            || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
}

/// Refuses an output directory that is the vault, holds it or lies in it, or that holds files
/// vaultbook did not write.
pub(crate) fn check_safe(out: &Path, vault: &Path) -> Result<()> {
    let vault = vault.canonicalize().unwrap_or_else(|_| vault.to_path_buf());
    let resolved = canonical_prefix(out);
    if resolved == vault || vault.starts_with(&resolved) || resolved.starts_with(&vault) {
        bail!(
            "refusing to write to {}: it is, holds or lies in the vault {}",
            out.display(),
            vault.display()
        );
    }
    if !out.exists() {
        return Ok(());
    }
    if !out.is_dir() {
        bail!("refusing to write to {}: it is a file", out.display());
    }
    let listed: HashSet<String> = match std::fs::read_to_string(out.join(MANIFEST)) {
        Ok(m) => m.lines().map(str::to_string).collect(),
        Err(_) => HashSet::new(),
    };
    let mut foreign = Vec::new();
    for e in WalkDir::new(out).min_depth(1) {
        let e = e?;
        if e.file_type().is_dir() {
            continue;
        }
        let rel = e
            .path()
            .strip_prefix(out)
            .unwrap_or(e.path())
            .components()
            .map(|c| c.as_os_str().to_string_lossy().to_string())
            .collect::<Vec<_>>()
            .join("/");
        if rel != MANIFEST && !listed.contains(&rel) {
            foreign.push(rel);
            if foreign.len() >= 3 {
                break;
            }
        }
    }
    if !foreign.is_empty() {
        bail!(
            "refusing to replace {}: it holds files vaultbook did not write ({}); move them or choose another output directory",
            out.display(),
            foreign.join(", ")
        );
    }
    Ok(())
}

/// `path` with its longest existing prefix canonicalised (symlinks resolved): where a folder
/// that may not exist yet will really be. A dangling symlink counts as existing, so that a link
/// to a folder that is not there yet is not taken for a plain new name.
pub(crate) fn canonical_prefix(path: &Path) -> PathBuf {
    let mut existing = path.to_path_buf();
    let mut rest = Vec::new();
    while std::fs::symlink_metadata(&existing).is_err() {
        match (existing.parent(), existing.file_name()) {
            (Some(p), Some(n)) => {
                rest.push(n.to_os_string());
                existing = p.to_path_buf();
            }
            _ => return path.to_path_buf(),
        }
    }
    let mut out = existing.canonicalize().unwrap_or(existing);
    out.extend(rest.iter().rev());
    out
}

/// Every file under `dir`, relative and `/`-separated, for a manifest.
pub(crate) fn list_files(dir: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for e in WalkDir::new(dir).min_depth(1) {
        let e = e?;
        if e.file_type().is_file() {
            let rel = e.path().strip_prefix(dir).unwrap_or(e.path());
            out.push(
                rel.components()
                    .map(|c| c.as_os_str().to_string_lossy().to_string())
                    .collect::<Vec<_>>()
                    .join("/"),
            );
        }
    }
    Ok(out)
}

/// Recreates the tree `from` at `to` (which must not exist) with hard links to its files, or
/// copies where links are impossible; returns the number of files. Rebuilding one page of a
/// large book then costs one page, not the whole tree. Whoever writes into `to` afterwards must
/// replace files (write a new file, rename it over), never modify them in place.
pub(crate) fn link_tree(from: &Path, to: &Path) -> std::io::Result<u64> {
    use rayon::prelude::*;
    std::fs::create_dir(to)?;
    let entries = std::fs::read_dir(from)?.collect::<std::io::Result<Vec<_>>>()?;
    // In parallel: at 10,000 notes a book is 30,000 files (pages, their previews and local
    // graphs), and linking them is most of the time an edit takes to reach the browser. Links
    // into different folders do not wait for each other in the kernel.
    entries
        .par_iter()
        .map(|entry| {
            let (source, target) = (entry.path(), to.join(entry.file_name()));
            let kind = entry.file_type()?;
            if kind.is_dir() {
                return link_tree(&source, &target);
            }
            if kind.is_file() {
                if std::fs::hard_link(&source, &target).is_err() {
                    std::fs::copy(&source, &target)?;
                }
                return Ok(1);
            }
            Ok(0)
        })
        .sum()
}

/// The regular files of the tree a run is about to replace, so that a file it would write
/// again with the same bytes is linked from there instead ([`Last::link_if_same`]).
///
/// Why: re-emitting a book over its last tree wrote 10,000 new files and then removed the
/// 10,000 old ones. On ext4 without a journal (the benchmark machine's disk) every new inode
/// is then allocated past the ones freed moments before, one by one (`recently_deleted` in
/// its inode allocator): the write of a 10,000-note re-emit took 1.0–1.3 s of wall time and
/// 2 s of system time, against 0.15 s into a new folder. A link allocates no inode, and
/// removing the old tree then frees none.
pub(crate) struct Last {
    root: PathBuf,
    files: HashSet<String>,
}

impl Last {
    /// The regular files under `root` (none if it does not exist), `/`-separated. Symbolic
    /// links, to files or folders, are not followed and never reused: what is compared is
    /// only ever a file of the output tree itself.
    pub(crate) fn read(root: &Path) -> Last {
        let mut files = HashSet::new();
        for e in WalkDir::new(root).min_depth(1).into_iter().flatten() {
            if !e.file_type().is_file() {
                continue;
            }
            let Ok(rel) = e.path().strip_prefix(root) else {
                continue;
            };
            let Some(rel) = rel.to_str() else {
                continue;
            };
            files.insert(rel.replace(std::path::MAIN_SEPARATOR, "/"));
        }
        Last {
            root: root.to_path_buf(),
            files,
        }
    }

    /// Links `dest` to the last tree's file at `rel` when that holds exactly `bytes`; false
    /// (and nothing made) when it does not, or when it cannot be linked.
    pub(crate) fn link_if_same(&self, rel: &str, bytes: &[u8], dest: &Path) -> bool {
        if !self.files.contains(rel) {
            return false;
        }
        let old = self.root.join(rel);
        same_bytes(&old, bytes) && std::fs::hard_link(&old, dest).is_ok()
    }

    /// Links `dest` to the last tree's file at `rel` when that holds the bytes of the file
    /// `from` (an attachment, or a file kept in another emitted tree); false when it does not.
    pub(crate) fn link_if_same_as(&self, rel: &str, from: &Path, dest: &Path) -> bool {
        if !self.files.contains(rel) {
            return false;
        }
        let old = self.root.join(rel);
        same_files(&old, from) && std::fs::hard_link(&old, dest).is_ok()
    }
}

/// The file at `path` opened for reading, not followed if it is a symbolic link.
fn open_not_followed(path: &Path) -> Option<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW);
    options.open(path).ok()
}

/// Whether the file at `path` (not followed if it is a link) holds exactly `bytes`.
fn same_bytes(path: &Path, bytes: &[u8]) -> bool {
    use std::io::Read;
    let Some(file) = open_not_followed(path) else {
        return false;
    };
    // One byte more than expected tells a longer file from an equal one without its length.
    let mut held = Vec::with_capacity(bytes.len() + 1);
    file.take(bytes.len() as u64 + 1)
        .read_to_end(&mut held)
        .is_ok_and(|_| held == bytes)
}

/// Whether the file at `old` (not followed if it is a link) holds what the file `from` does,
/// read a block at a time: an attachment can be larger than is worth holding whole.
fn same_files(old: &Path, from: &Path) -> bool {
    use std::io::Read;
    let (Some(a), Ok(b)) = (open_not_followed(old), std::fs::File::open(from)) else {
        return false;
    };
    let same_length = match (a.metadata(), b.metadata()) {
        (Ok(x), Ok(y)) => x.is_file() && x.len() == y.len(),
        _ => false,
    };
    if !same_length {
        return false;
    }
    let (mut a, mut b) = (std::io::BufReader::new(a), std::io::BufReader::new(b));
    let (mut x, mut y) = (vec![0; 1 << 16], vec![0; 1 << 16]);
    loop {
        let Ok(n) = a.read(&mut x) else {
            return false;
        };
        if n == 0 {
            // The end of `old`: the same only if `from` ends here too.
            return b.read(&mut y[..1]).is_ok_and(|m| m == 0);
        }
        if b.read_exact(&mut y[..n]).is_err() || x[..n] != y[..n] {
            return false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linked_tree_shares_files_until_one_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let from = dir.path().join("from");
        std::fs::create_dir_all(from.join("a/b")).unwrap();
        std::fs::write(from.join("index.html"), "old").unwrap();
        std::fs::write(from.join("a/b/page.html"), "page").unwrap();
        let to = dir.path().join("to");
        assert_eq!(link_tree(&from, &to).unwrap(), 2);
        assert_eq!(
            std::fs::read_to_string(to.join("a/b/page.html")).unwrap(),
            "page"
        );
        // Replaced by rename, as a builder must: the source keeps its text.
        std::fs::write(to.join("index.html.new"), "new").unwrap();
        std::fs::rename(to.join("index.html.new"), to.join("index.html")).unwrap();
        assert_eq!(
            std::fs::read_to_string(from.join("index.html")).unwrap(),
            "old"
        );
    }

    /// Above the kernel's largest pid (2^22): no process has it.
    const DEAD: u32 = 4_194_400;

    /// Makes `exchange` fail as on a file system without RENAME_EXCHANGE (for every test of
    /// this binary while set: both ways of swapping are correct).
    pub(super) static NO_EXCHANGE: std::sync::atomic::AtomicBool =
        std::sync::atomic::AtomicBool::new(false);

    #[test]
    fn without_exchange_the_old_dir_is_moved_aside_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let (out, vault) = (dir.path().join("book"), dir.path().join("vault"));
        std::fs::create_dir(&vault).unwrap();
        replace_dir(&out, &vault, fill_one("one")).unwrap();
        NO_EXCHANGE.store(true, Ordering::SeqCst);
        let replaced = replace_dir(&out, &vault, fill_one("two"));
        NO_EXCHANGE.store(false, Ordering::SeqCst);
        replaced.unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            "two"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    fn fill_one(text: &'static str) -> impl FnOnce(&Path) -> Result<Vec<String>> {
        move |dir| {
            std::fs::write(dir.join("index.html"), text)?;
            Ok(vec!["index.html".to_string()])
        }
    }

    #[test]
    fn a_replaced_dir_holds_the_new_files_and_nothing_is_left_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let (out, vault) = (dir.path().join("book"), dir.path().join("vault"));
        std::fs::create_dir(&vault).unwrap();
        replace_dir(&out, &vault, fill_one("one")).unwrap();
        replace_dir(&out, &vault, fill_one("two")).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            "two"
        );
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn a_failed_fill_leaves_the_old_dir_and_no_staging() {
        let dir = tempfile::tempdir().unwrap();
        let (out, vault) = (dir.path().join("book"), dir.path().join("vault"));
        std::fs::create_dir(&vault).unwrap();
        replace_dir(&out, &vault, fill_one("one")).unwrap();
        let failed = replace_dir(&out, &vault, |d| {
            std::fs::write(d.join("half.html"), "x")?;
            anyhow::bail!("render failed")
        });
        assert!(failed.is_err());
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            "one"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn the_book_a_killed_run_left_aside_is_put_back_and_its_staging_removed() {
        let dir = tempfile::tempdir().unwrap();
        let (out, vault) = (dir.path().join("book"), dir.path().join("vault"));
        std::fs::create_dir(&vault).unwrap();
        replace_dir(&out, &vault, fill_one("old")).unwrap();
        // As a run killed between its two renames leaves it: the book aside, its staging full.
        let aside = dir.path().join(format!(".book.{ASIDE}-{DEAD}-0"));
        let staging = dir.path().join(format!(".book.{STAGING}-{DEAD}-1"));
        std::fs::rename(&out, &aside).unwrap();
        std::fs::create_dir(&staging).unwrap();
        std::fs::write(staging.join("index.html"), "new").unwrap();
        let failed = replace_dir(&out, &vault, |_| anyhow::bail!("stop here"));
        assert!(failed.is_err());
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            "old"
        );
        assert!(!aside.exists() && !staging.exists());
        // A live process's staging directory is its own business.
        let live = dir.path().join(format!(".book.{STAGING}-1-0"));
        std::fs::create_dir(&live).unwrap();
        replace_dir(&out, &vault, fill_one("next")).unwrap();
        assert!(live.exists());
    }
}
