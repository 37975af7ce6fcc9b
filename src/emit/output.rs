//! Output directories: written by vaultbook alone, replaced as a whole, never the vault.
//!
//! A directory vaultbook writes holds a manifest of what it wrote. An existing directory is only
//! replaced when it is empty or when every file in it is in its manifest: vaultbook never deletes
//! a file it did not write.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use walkdir::WalkDir;

/// The manifest's file name, inside the output directory.
pub const MANIFEST: &str = ".vaultbook-manifest";

/// Replaces `out` with what `fill` writes into a fresh staging directory beside it. `fill`
/// returns the paths it wrote (relative, `/`-separated); they become the manifest.
pub fn replace_dir(
    out: &Path,
    vault: &Path,
    fill: impl FnOnce(&Path) -> Result<Vec<String>>,
) -> Result<()> {
    let out = std::path::absolute(out)?;
    check_safe(&out, vault)?;
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
    let staging = parent.join(format!(".{name}.vaultbook-staging-{}", std::process::id()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging)?;
    }
    std::fs::create_dir_all(&staging)?;
    let written = match fill(&staging) {
        Ok(w) => w,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    let mut manifest: Vec<String> = written;
    manifest.sort();
    manifest.dedup();
    std::fs::write(staging.join(MANIFEST), manifest.join("\n") + "\n")?;

    if out.exists() {
        let old = parent.join(format!(".{name}.vaultbook-old-{}", std::process::id()));
        std::fs::rename(&out, &old)
            .with_context(|| format!("cannot move the old {} aside", out.display()))?;
        std::fs::rename(&staging, &out)
            .with_context(|| format!("cannot move the new {} in place", out.display()))?;
        std::fs::remove_dir_all(&old)
            .with_context(|| format!("cannot remove {}", old.display()))?;
    } else {
        std::fs::rename(&staging, &out)
            .with_context(|| format!("cannot move the new {} in place", out.display()))?;
    }
    Ok(())
}

/// Refuses an output directory that is the vault, holds it or lies in it, or that holds files
/// vaultbook did not write.
pub fn check_safe(out: &Path, vault: &Path) -> Result<()> {
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
pub fn list_files(dir: &Path) -> Result<Vec<String>> {
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
