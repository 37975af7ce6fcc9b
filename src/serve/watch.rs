//! Watching the book: the vault, `templates/` and book.toml, with OS events (inotify, FSEvents,
//! ReadDirectoryChangesW) or, with `--poll`, by polling for network and WSL file systems.
//!
//! Each event is filtered (editor temp files, hidden folders such as `.obsidian`, reads) and
//! turned into [`Changes`]; the build loop debounces them, since an editor's save is several
//! events (write a temp file, rename it over the note).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use anyhow::{Context, Result};
use notify::event::{AccessKind, AccessMode, MetadataKind, ModifyKind};
use notify::{Event, EventKind, RecursiveMode};
use tokio::sync::mpsc::UnboundedSender;

use super::poll::{Poller, hidden};
use crate::config::{CONFIG_FILE, Config};

/// How often `--poll` looks at the files.
pub(super) const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// What changed since the last build.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Rebuild everything: book.toml or a template changed, or the watcher lost track.
    pub full: bool,
    /// The vault paths that changed (files or folders; created, modified, renamed or removed).
    pub paths: BTreeSet<PathBuf>,
}

impl Changes {
    /// A change to everything (the first build).
    pub fn everything() -> Changes {
        Changes {
            full: true,
            paths: BTreeSet::new(),
        }
    }

    /// A change to the one vault path `path`.
    pub fn path(path: impl Into<PathBuf>) -> Changes {
        Changes {
            full: false,
            paths: BTreeSet::from([path.into()]),
        }
    }

    /// Adds `other` to these changes.
    pub fn merge(&mut self, other: Changes) {
        self.full |= other.full;
        self.paths.extend(other.paths);
    }

    /// Nothing changed.
    pub fn is_empty(&self) -> bool {
        !self.full && self.paths.is_empty()
    }
}

/// Files an editor writes beside the one being saved, never notes: Vim's swap files and its
/// `4913` probe, Emacs's `.#lock` and `#autosave#`, backups ending in `~`, gedit's
/// `.goutputstream-*`, JetBrains' `___jb_tmp___`, and similar.
pub(super) fn is_editor_temp(name: &str) -> bool {
    name == "4913"
        || name.ends_with('~')
        || name.starts_with(".#")
        || (name.starts_with('#') && name.ends_with('#'))
        || [
            ".swp",
            ".swx",
            ".swo",
            ".tmp",
            ".crswap",
            ".part",
            ".kate-swp",
            ".bak",
        ]
        .iter()
        .any(|ext| name.ends_with(ext))
        || name.starts_with(".goutputstream-")
        || name.ends_with("___jb_tmp___")
        || name.ends_with("___jb_old___")
        || name == ".DS_Store"
}

/// What the watcher looks at, and what an event there means.
#[derive(Debug, Clone)]
pub(super) struct Targets {
    /// The book root (book.toml and `templates/` live here).
    pub root: PathBuf,
    /// The vault, as book.toml last said (None while it cannot be read).
    pub vault: Option<PathBuf>,
    /// Files and folders of the book that mdBook's options name (`additional-css`, the theme
    /// folder, `extra-watch-dirs`), absolute: a change there rebuilds everything.
    pub book_files: Vec<PathBuf>,
}

/// What one changed path means for the build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Meaning {
    /// Rebuild everything (book.toml, a template).
    Full,
    /// A note or attachment in the vault changed.
    Vault(PathBuf),
    /// Not ours (the build output, editor temp files, `.obsidian`, other files beside book.toml).
    Ignore,
}

impl Targets {
    /// The targets for the book at `root`, reading book.toml for the vault.
    pub(super) fn load(root: &Path) -> Targets {
        let config = Config::load(root).ok();
        // mdBook's default theme folder counts even before it exists: creating it changes the book.
        let mut book_files = vec![root.join("theme")];
        if let Some(c) = &config {
            book_files.extend(c.book_files.watched().map(|p| root.join(p)));
        }
        book_files.sort();
        book_files.dedup();
        Targets {
            root: root.to_path_buf(),
            vault: config.map(|c| c.vault),
            book_files,
        }
    }

    /// The folder of template overrides.
    pub(super) fn templates(&self) -> PathBuf {
        self.root.join("templates")
    }

    /// What a change at `path` means.
    pub(super) fn classify(&self, path: &Path) -> Meaning {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            return Meaning::Ignore;
        };
        if is_editor_temp(name) {
            return Meaning::Ignore;
        }
        // Before the vault: a stylesheet kept in the vault is a change to every page.
        if self.book_files.iter().any(|f| path.starts_with(f)) {
            return Meaning::Full;
        }
        // The vault folder itself created, removed or renamed (seen from the root).
        if self.vault.as_deref() == Some(path) {
            return Meaning::Full;
        }
        if let Some(vault) = &self.vault
            && let Ok(rel) = path.strip_prefix(vault)
        {
            if hidden(rel) {
                return Meaning::Ignore;
            }
            return Meaning::Vault(path.to_path_buf());
        }
        if path == self.root.join(CONFIG_FILE) {
            return Meaning::Full;
        }
        if let Ok(rel) = path.strip_prefix(self.templates()) {
            return if hidden(rel) {
                Meaning::Ignore
            } else {
                Meaning::Full
            };
        }
        Meaning::Ignore
    }

    /// The changes one notify event stands for.
    pub(super) fn changes(&self, event: &Event) -> Changes {
        let mut changes = Changes::default();
        if event.need_rescan() {
            changes.full = true;
            return changes;
        }
        let relevant = match &event.kind {
            EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
            EventKind::Access(_) => false,
            EventKind::Modify(ModifyKind::Metadata(
                MetadataKind::AccessTime
                | MetadataKind::Permissions
                | MetadataKind::Ownership
                | MetadataKind::Extended,
            )) => false,
            _ => true,
        };
        if !relevant {
            return changes;
        }
        for path in &event.paths {
            match self.classify(path) {
                Meaning::Full => changes.full = true,
                Meaning::Vault(p) => {
                    changes.paths.insert(p);
                }
                Meaning::Ignore => {}
            }
        }
        changes
    }

    /// The folders to watch: the root (for book.toml, not recursive), `templates/`, the vault,
    /// and the folders of the files mdBook's options name.
    fn wanted(&self) -> Vec<(PathBuf, RecursiveMode)> {
        let mut w = vec![(self.root.clone(), RecursiveMode::NonRecursive)];
        for f in &self.book_files {
            if f.is_dir() {
                w.push((f.clone(), RecursiveMode::Recursive));
            } else if let Some(parent) = f.parent()
                && parent != self.root
                && parent.is_dir()
            {
                w.push((parent.to_path_buf(), RecursiveMode::NonRecursive));
            }
        }
        let templates = self.templates();
        if templates.is_dir() {
            w.push((templates, RecursiveMode::Recursive));
        }
        if let Some(vault) = &self.vault
            && vault.is_dir()
        {
            w.push((vault.clone(), RecursiveMode::Recursive));
            // A vault outside the root (`vault = "../notes"`): see it appear or be renamed.
            if let Some(parent) = vault.parent()
                && parent != self.root
            {
                w.push((parent.to_path_buf(), RecursiveMode::NonRecursive));
            }
        }
        w.dedup();
        w
    }
}

/// Where events come from.
enum Backend {
    /// The OS's file events.
    Os(Box<dyn notify::Watcher + Send>),
    /// Walking the folders every [`POLL_INTERVAL`].
    Poll(Poller),
}

/// A running watcher that sends [`Changes`] to the build loop.
pub(super) struct Watcher {
    backend: Mutex<Backend>,
    targets: Arc<RwLock<Targets>>,
    watched: Mutex<Vec<(PathBuf, RecursiveMode)>>,
}

impl Watcher {
    /// Starts watching the book at `root`; `poll` chooses the polling watcher.
    pub(super) fn start(root: &Path, poll: bool, tx: UnboundedSender<Changes>) -> Result<Watcher> {
        let targets = Arc::new(RwLock::new(Targets::load(root)));
        let seen = targets.clone();
        let handler = move |event: notify::Result<Event>| {
            let changes = match event {
                Ok(event) => match seen.read() {
                    Ok(t) => t.changes(&event),
                    Err(_) => Changes::everything(),
                },
                // The watcher lost events (queue overflow, a folder gone): rebuild everything.
                Err(_) => Changes::everything(),
            };
            if !changes.is_empty() {
                let _ = tx.send(changes);
            }
        };
        let backend = if poll {
            Backend::Poll(Poller::start(POLL_INTERVAL, handler).context("cannot start polling")?)
        } else {
            Backend::Os(Box::new(
                notify::recommended_watcher(handler)
                    .context("cannot watch the book for changes (try --poll)")?,
            ))
        };
        let watcher = Watcher {
            backend: Mutex::new(backend),
            targets,
            watched: Mutex::new(Vec::new()),
        };
        watcher.apply();
        Ok(watcher)
    }

    /// Re-reads book.toml (the vault may have moved, `templates/` may have appeared) and
    /// adjusts what is watched. `rewatch` watches every folder afresh: a folder that was
    /// deleted and created again (a `git checkout`) lost its OS watch.
    pub(super) fn refresh(&self, rewatch: bool) {
        if rewatch
            && let (Ok(mut backend), Ok(mut watched)) = (self.backend.lock(), self.watched.lock())
        {
            if let Backend::Os(inner) = &mut *backend {
                for (path, _) in watched.iter() {
                    let _ = inner.unwatch(path);
                }
            }
            watched.clear();
        }
        let root = match self.targets.read() {
            Ok(t) => t.root.clone(),
            Err(_) => return,
        };
        let fresh = Targets::load(&root);
        if let Ok(mut t) = self.targets.write() {
            // Keep the last known vault while book.toml is broken.
            if fresh.vault.is_some() {
                *t = fresh;
            }
        }
        self.apply();
    }

    /// Watches what the targets want and unwatches the rest.
    fn apply(&self) {
        let wanted = match self.targets.read() {
            Ok(t) => t.wanted(),
            Err(_) => return,
        };
        let (Ok(mut backend), Ok(mut watched)) = (self.backend.lock(), self.watched.lock()) else {
            return;
        };
        let inner = match &mut *backend {
            Backend::Poll(poller) => {
                poller.set(wanted.clone());
                *watched = wanted;
                return;
            }
            Backend::Os(inner) => inner,
        };
        for (path, _) in watched.iter().filter(|w| !wanted.contains(w)) {
            let _ = inner.unwatch(path);
        }
        watched.retain(|w| wanted.contains(w));
        for (path, mode) in wanted {
            if watched.iter().any(|(p, m)| p == &path && *m == mode) {
                continue;
            }
            match inner.watch(&path, mode) {
                Ok(()) => watched.push((path, mode)),
                Err(e) => eprintln!("vaultbook serve: cannot watch {}: {e}", path.display()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, ModifyKind, RenameMode};

    fn targets() -> Targets {
        Targets {
            root: PathBuf::from("/b"),
            vault: Some(PathBuf::from("/b/vault")),
            book_files: vec![
                PathBuf::from("/b/theme"),
                PathBuf::from("/b/vault/custom.css"),
            ],
        }
    }

    #[test]
    fn editor_temp_files_are_not_notes() {
        for t in [
            ".note.md.swp",
            "note.md~",
            ".#note.md",
            "4913",
            "#note.md#",
            "note.md.tmp",
            "Note.md___jb_tmp___",
        ] {
            assert!(is_editor_temp(t), "{t}");
        }
        for n in ["note.md", "4913.md", "image.png", "Some # Title.md"] {
            assert!(!is_editor_temp(n), "{n}");
        }
    }

    #[test]
    fn paths_are_classified() {
        let t = targets();
        assert_eq!(t.classify(Path::new("/b/book.toml")), Meaning::Full);
        assert_eq!(t.classify(Path::new("/b/vault")), Meaning::Full);
        assert_eq!(
            t.classify(Path::new("/b/templates/SUMMARY.md")),
            Meaning::Full
        );
        assert_eq!(t.classify(Path::new("/b/theme")), Meaning::Full);
        assert_eq!(
            t.classify(Path::new("/b/theme/css/chrome.css")),
            Meaning::Full
        );
        assert_eq!(t.classify(Path::new("/b/vault/custom.css")), Meaning::Full);
        assert_eq!(
            t.classify(Path::new("/b/vault/a/Note.md")),
            Meaning::Vault(PathBuf::from("/b/vault/a/Note.md"))
        );
        for ignored in [
            "/b/vault/.obsidian/workspace.json",
            "/b/vault/.Note.md.swp",
            "/b/vault/a/4913",
            "/b/book",
            "/b/target",
            "/b/README.md",
            "/b/templates/.SUMMARY.md.swp",
        ] {
            assert_eq!(t.classify(Path::new(ignored)), Meaning::Ignore, "{ignored}");
        }
    }

    #[test]
    fn an_atomic_save_is_one_note_change_and_reads_are_nothing() {
        let t = targets();
        let mut all = Changes::default();
        for event in [
            Event::new(EventKind::Create(CreateKind::File))
                .add_path("/b/vault/.Note.md.swp".into()),
            Event::new(EventKind::Create(CreateKind::File)).add_path("/b/vault/Note.md.tmp".into()),
            Event::new(EventKind::Modify(ModifyKind::Name(RenameMode::Both)))
                .add_path("/b/vault/Note.md.tmp".into())
                .add_path("/b/vault/Note.md".into()),
        ] {
            all.merge(t.changes(&event));
        }
        assert_eq!(all, Changes::path("/b/vault/Note.md"));
        let read = Event::new(EventKind::Access(AccessKind::Open(AccessMode::Read)))
            .add_path("/b/vault/Note.md".into());
        assert!(t.changes(&read).is_empty());
        let toml = Event::new(EventKind::Modify(ModifyKind::Any)).add_path("/b/book.toml".into());
        assert!(t.changes(&toml).full);
    }
}
