//! `--poll`: for file systems that send no events (network shares, WSL's view of Windows
//! drives). Every interval, each watched folder is walked and every file's modification time
//! (to the nanosecond), size and inode are compared with the previous walk.
//!
//! Not notify's `PollWatcher`: it compares modification times in whole seconds, so a second
//! save within the same second (or an atomic rename of a file written in that second) is missed
//! unless every file is hashed on every poll.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use notify::event::{CreateKind, ModifyKind, RemoveKind};
use notify::{Event, EventKind, RecursiveMode};

/// What is compared between two walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

/// A polling watcher: a thread that walks the watched folders and reports differences as
/// notify events.
pub(super) struct Poller {
    watched: Arc<Mutex<Vec<(PathBuf, RecursiveMode)>>>,
    stop: Arc<AtomicBool>,
}

impl Poller {
    /// Starts the polling thread; `handler` gets one event per changed file.
    pub(super) fn start(
        interval: Duration,
        mut handler: impl FnMut(notify::Result<Event>) + Send + 'static,
    ) -> std::io::Result<Poller> {
        let watched: Arc<Mutex<Vec<(PathBuf, RecursiveMode)>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (w, s) = (watched.clone(), stop.clone());
        std::thread::Builder::new()
            .name("vaultbook-poll".into())
            .spawn(move || {
                let mut before: HashMap<PathBuf, Stamp> = HashMap::new();
                let mut first = true;
                while !s.load(Ordering::Relaxed) {
                    let roots = w.lock().map(|w| w.clone()).unwrap_or_default();
                    let now = snapshot(&roots);
                    if !first {
                        for event in diff(&before, &now) {
                            handler(Ok(event));
                        }
                    }
                    first = false;
                    before = now;
                    std::thread::sleep(interval);
                }
            })?;
        Ok(Poller { watched, stop })
    }

    /// Sets the folders to walk. A folder new to the list is taken as it is: its files are
    /// reported from the next change on.
    pub(super) fn set(&self, watched: Vec<(PathBuf, RecursiveMode)>) {
        if let Ok(mut w) = self.watched.lock() {
            *w = watched;
        }
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The stamps of every file under `roots` (hidden folders such as `.git` are not entered).
fn snapshot(roots: &[(PathBuf, RecursiveMode)]) -> HashMap<PathBuf, Stamp> {
    let mut files = HashMap::new();
    for (root, mode) in roots {
        let depth = match mode {
            RecursiveMode::Recursive => usize::MAX,
            RecursiveMode::NonRecursive => 1,
        };
        let walk = walkdir::WalkDir::new(root)
            .max_depth(depth)
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !hidden(Path::new(e.file_name())));
        for entry in walk.flatten() {
            if !entry.file_type().is_file() {
                continue;
            }
            if let Ok(m) = entry.metadata() {
                files.insert(entry.path().to_path_buf(), stamp(&m));
            }
        }
    }
    files
}

/// True when a component of `rel` is hidden (`.obsidian`, `.git`, `.trash`): neither walked
/// here nor watched ([`super::watch`]).
pub(super) fn hidden(rel: &Path) -> bool {
    rel.components()
        .any(|c| c.as_os_str().to_str().is_some_and(|s| s.starts_with('.')))
}

fn stamp(m: &std::fs::Metadata) -> Stamp {
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(m);
    #[cfg(not(unix))]
    let inode = 0;
    Stamp {
        modified: m.modified().ok(),
        len: m.len(),
        inode,
    }
}

/// The events that turn `before` into `now`, in path order.
fn diff(before: &HashMap<PathBuf, Stamp>, now: &HashMap<PathBuf, Stamp>) -> Vec<Event> {
    let mut events = Vec::new();
    for (path, stamp) in now {
        let kind = match before.get(path) {
            None => EventKind::Create(CreateKind::File),
            Some(old) if old != stamp => EventKind::Modify(ModifyKind::Any),
            Some(_) => continue,
        };
        events.push(Event::new(kind).add_path(path.clone()));
    }
    for path in before.keys().filter(|p| !now.contains_key(*p)) {
        events.push(Event::new(EventKind::Remove(RemoveKind::File)).add_path(path.clone()));
    }
    events.sort_by(|a, b| a.paths.cmp(&b.paths));
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rewrite_within_the_same_second_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        let note = dir.path().join("a.md");
        std::fs::write(&note, "one").unwrap();
        let roots = vec![(dir.path().to_path_buf(), RecursiveMode::Recursive)];
        let before = snapshot(&roots);
        let tmp = dir.path().join("a.md.tmp");
        std::fs::write(&tmp, "two!").unwrap();
        std::fs::rename(&tmp, &note).unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        std::fs::write(dir.path().join(".git/index"), "x").unwrap();
        std::fs::write(dir.path().join("b.md"), "b").unwrap();
        let events = diff(&before, &snapshot(&roots));
        let paths: Vec<_> = events.iter().map(|e| e.paths[0].clone()).collect();
        assert_eq!(paths, vec![note, dir.path().join("b.md")]);
    }
}
