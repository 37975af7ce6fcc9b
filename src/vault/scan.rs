//! Which files the vault holds: notes and attachments, never anything outside the vault.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use globset::{Glob, GlobSet, GlobSetBuilder};
use walkdir::WalkDir;

use crate::config::Config;
use crate::diagnostics::{Code, Diagnostic};

/// A file in the vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultFile {
    /// The path relative to the vault, `/`-separated, as on disk.
    pub rel: String,
    /// Where to read it (a symlink inside the vault is read through its target).
    pub path: PathBuf,
}

/// The files of a vault, sorted by path.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scan {
    /// Markdown notes (`.md`).
    pub notes: Vec<VaultFile>,
    /// JSON Canvas files (`.canvas`), which become pages as notes do.
    pub canvases: Vec<VaultFile>,
    /// Everything else: images, PDFs…
    pub attachments: Vec<VaultFile>,
    /// Skipped symlinks and unreadable entries.
    pub diagnostics: Vec<Diagnostic>,
}

/// Whether a vault-relative path is a note.
pub fn is_note(rel: &str) -> bool {
    // Bytes, not a str slice: the last three bytes of `Заметки` are not on a char boundary.
    rel.len() > 3 && rel.as_bytes()[rel.len() - 3..].eq_ignore_ascii_case(b".md")
}

/// Walks the vault: dot-folders (`.obsidian`, `.trash`, `.git`) and dot-files are skipped, and
/// so is whatever the `ignore` globs match. A symlink is followed only when its target is a file
/// inside the vault.
pub(crate) fn scan(config: &Config) -> Result<Scan> {
    let root = &config.vault;
    if !root.exists() {
        bail!(
            "the vault {} does not exist: make it, or set `vault` in [vaultbook] of book.toml",
            root.display()
        );
    }
    if !root.is_dir() {
        bail!("the vault {} is not a folder", root.display());
    }
    let canonical_root = root.canonicalize()?;
    let mut patterns = config.vaultbook.ignore.clone();
    patterns.extend(template_folders(root));
    let ignore = globs(&patterns)?;
    let shown = display_root(config);
    let mut out = Scan::default();
    let walker = WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            if e.depth() == 0 {
                return true;
            }
            let hidden = e.file_name().to_string_lossy().starts_with('.');
            let rel = rel_path(root, e.path());
            !hidden && !ignore.is_match(&rel)
        });
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().map(|p| rel_path(root, p)).unwrap_or_default();
                out.diagnostics.push(
                    Diagnostic::new(Code::ReadError, format!("cannot read {path}: {e}"))
                        .in_file(shown.join(&path)),
                );
                continue;
            }
        };
        if entry.depth() == 0 {
            continue;
        }
        let rel = rel_path(root, entry.path());
        let mut path = entry.path().to_path_buf();
        if entry.path_is_symlink() {
            match entry.path().canonicalize() {
                Ok(target) if target.starts_with(&canonical_root) => {
                    if target.is_dir() {
                        // Following folder links could loop or list notes twice.
                        out.diagnostics.push(
                            Diagnostic::new(
                                Code::SymlinkSkipped,
                                "a symlinked folder is not followed",
                            )
                            .in_file(shown.join(&rel)),
                        );
                        continue;
                    }
                    if !target.is_file() {
                        // A pipe would block the read forever; a device could be endless.
                        out.diagnostics.push(not_a_file(shown.join(&rel)));
                        continue;
                    }
                    path = target;
                }
                Ok(_) => {
                    out.diagnostics.push(
                        Diagnostic::new(
                            Code::SymlinkOutsideVault,
                            "this symlink leads outside the vault; it is skipped and not read",
                        )
                        .in_file(shown.join(&rel)),
                    );
                    continue;
                }
                Err(e) => {
                    out.diagnostics.push(
                        Diagnostic::new(Code::SkippedFile, format!("broken symlink: {e}"))
                            .in_file(shown.join(&rel)),
                    );
                    continue;
                }
            }
        } else if !entry.file_type().is_file() {
            if !entry.file_type().is_dir() {
                out.diagnostics.push(not_a_file(shown.join(&rel)));
            }
            continue;
        }
        let file = VaultFile { rel, path };
        if is_note(&file.rel) {
            out.notes.push(file);
        } else if crate::canvas::is_canvas(&file.rel) {
            out.canvases.push(file);
        } else {
            out.attachments.push(file);
        }
    }
    Ok(out)
}

/// A pipe, socket or device in the vault (or a symlink to one): skipped, never opened.
fn not_a_file(file: PathBuf) -> Diagnostic {
    Diagnostic::new(
        Code::SkippedFile,
        "not a regular file (a pipe, socket or device); it is skipped and not read",
    )
    .in_file(file)
}

/// The vault's path as diagnostics show it: relative to the book root when inside it.
pub(crate) fn display_root(config: &Config) -> PathBuf {
    config
        .vault
        .strip_prefix(&config.root)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| config.vault.clone())
}

fn rel_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<_> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect();
    parts.join("/")
}

/// The folders Obsidian's Templates core plugin and the Templater plugin take templates from
/// (in `.obsidian/`): template notes are scaffolding (`<% tp.file.title %>`), not chapters.
pub(crate) fn template_folders(vault: &Path) -> Vec<String> {
    let read = |rel: &str, key: &str| -> Option<String> {
        let text = std::fs::read_to_string(vault.join(".obsidian").join(rel)).ok()?;
        let v: serde_json::Value = serde_json::from_str(&text).ok()?;
        let folder = v.get(key)?.as_str()?.trim().trim_matches('/').to_string();
        (!folder.is_empty() && !folder.contains("..")).then_some(folder)
    };
    let mut out: Vec<String> = [
        read("templates.json", "folder"),
        read("plugins/templater-obsidian/data.json", "templates_folder"),
    ]
    .into_iter()
    .flatten()
    .map(|f| globset::escape(&f))
    .collect();
    out.dedup();
    out
}

fn globs(patterns: &[String]) -> Result<GlobSet> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        b.add(Glob::new(p)?);
        // `drafts` should also mean everything under it.
        if !p.ends_with("/**") {
            b.add(Glob::new(&format!("{}/**", p.trim_end_matches('/')))?);
        }
    }
    Ok(b.build()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_names_of_any_script() {
        assert!(is_note("Заметки.md") && is_note("a/Ab.MD"));
        assert!(!is_note("Заметки") && !is_note("日é") && !is_note(".md"));
    }
}
