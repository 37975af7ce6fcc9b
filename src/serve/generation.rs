//! Book generations: every build renders into a fresh staging directory; a finished book is
//! swapped in with one pointer write, so a request sees either the old book or the new one,
//! never a half-written file. An old generation is deleted when the last request reading it is
//! done (its [`Arc`] drops). A build that changed only some pages updates the served book in
//! place instead, each file replaced whole by a rename, and the same folder is served on under
//! a new token: copying a 30,000-file book for every edit cost more than the edit.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};

/// The staging area and the generation being served.
pub struct Generations {
    /// The serve-owned directory holding one folder per generation; removed on drop, and by
    /// the stop-signal handler.
    area: crate::interrupt::DirGuard,
    /// Identifies this server process in tokens, so that a page reconnecting to a restarted
    /// server reloads.
    instance: String,
    /// The number of the next generation.
    next: AtomicU64,
    /// The book being served.
    current: RwLock<Option<Arc<Generation>>>,
}

/// A generation being built: a numbered folder of the staging area.
#[derive(Debug)]
pub struct Staging {
    number: u64,
    folder: PathBuf,
    promoted: bool,
}

impl Staging {
    /// Where the builder renders: a path inside the folder, not yet created.
    pub fn out(&self) -> PathBuf {
        self.folder.join("book")
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.promoted {
            let _ = std::fs::remove_dir_all(&self.folder);
        }
    }
}

/// A complete rendered book, served as long as it is current or a request holds it.
#[derive(Debug)]
pub struct Generation {
    token: String,
    /// Only the first pages of the book: the rest is being rendered.
    early: bool,
    dir: PathBuf,
    /// Shared by the generations a builder updated in place (see [`Generations::promote`]).
    folder: Arc<Folder>,
}

/// A generation's folder in the staging area, deleted when the last generation serving it is.
#[derive(Debug)]
struct Folder(PathBuf);

impl Drop for Folder {
    fn drop(&mut self) {
        // Dropped by whoever held it last, possibly a request handler: delete off its thread.
        let folder = std::mem::take(&mut self.0);
        let _ = std::thread::Builder::new()
            .name("vaultbook-gc".into())
            .spawn(move || std::fs::remove_dir_all(folder));
    }
}

impl Generation {
    /// Names this generation in the page and the websocket (`<instance>-<number>`).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The root of the rendered book.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether this is the first pages of a book whose rest is being rendered.
    pub fn is_early(&self) -> bool {
        self.early
    }
}

impl Generations {
    /// A new, empty staging area (`vaultbook-serve-*`) in the system's temporary directory.
    pub fn new() -> Result<Generations> {
        let area = crate::interrupt::temp_dir("vaultbook-serve-")
            .context("cannot create the staging directory for serve")?;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        Ok(Generations {
            area,
            instance: format!("{:x}{:x}", nanos & 0xffff_ffff_ffff, std::process::id()),
            next: AtomicU64::new(1),
            current: RwLock::new(None),
        })
    }

    /// The staging area (every generation lives under it).
    pub fn area(&self) -> &Path {
        self.area.path()
    }

    /// Creates the folder for the next build.
    pub fn stage(&self) -> Result<Staging> {
        let number = self.next.fetch_add(1, Ordering::Relaxed);
        let folder = self.area.path().join(number.to_string());
        // The area may have been deleted under serve (a tmp cleaner): make it again, so that
        // the next build recovers instead of failing for ever. It stays registered for removal.
        std::fs::create_dir_all(self.area.path())
            .with_context(|| format!("cannot create {}", self.area.path().display()))?;
        std::fs::create_dir(&folder)
            .with_context(|| format!("cannot create {}", folder.display()))?;
        Ok(Staging {
            number,
            folder,
            promoted: false,
        })
    }

    /// Serves the book the builder rendered at `dir` (inside `staging`) from now on, and returns
    /// its token. The previous generation goes when its last reader is done. `dir` may also be
    /// the book being served, which the builder updated in place (file by file, each replaced
    /// whole): it is served on under a new token, so that its pages reload.
    pub fn promote(&self, staging: Staging, dir: &Path) -> Result<String> {
        self.promote_as(staging, dir, false)
    }

    /// Serves the first pages of a book, rendered at `dir` inside `staging`, until the whole
    /// book is promoted; pages not in it are answered with "rendering" (see [`Generation::is_early`]).
    pub fn promote_early(&self, staging: Staging, dir: &Path) -> Result<String> {
        self.promote_as(staging, dir, true)
    }

    fn promote_as(&self, mut staging: Staging, dir: &Path, early: bool) -> Result<String> {
        let dir = std::path::absolute(dir)?;
        let token = format!("{}-{}", self.instance, staging.number);
        let updated = self
            .current()
            .filter(|current| !early && current.dir == dir)
            .map(|current| current.folder.clone());
        if let Some(folder) = updated {
            // `staging` is left unused, and deleted.
            self.replace(Generation {
                token: token.clone(),
                early,
                dir,
                folder,
            });
            return Ok(token);
        }
        if !dir.starts_with(&staging.folder) {
            anyhow::bail!(
                "the builder returned {}, outside its staging directory {}",
                dir.display(),
                staging.folder.display()
            );
        }
        if !dir.is_dir() {
            anyhow::bail!(
                "the builder returned {}, which is no directory",
                dir.display()
            );
        }
        staging.promoted = true;
        self.replace(Generation {
            token: token.clone(),
            early,
            dir,
            folder: Arc::new(Folder(std::mem::take(&mut staging.folder))),
        });
        Ok(token)
    }

    fn replace(&self, generation: Generation) {
        let generation = Arc::new(generation);
        let old = match self.current.write() {
            Ok(mut current) => current.replace(generation),
            Err(poisoned) => poisoned.into_inner().replace(generation),
        };
        drop(old);
    }

    /// The book being served, if any build has succeeded.
    pub fn current(&self) -> Option<Arc<Generation>> {
        match self.current.read() {
            Ok(c) => c.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_promoted_generation_is_served_until_replaced_and_then_deleted() {
        let gens = Generations::new().unwrap();
        assert!(gens.current().is_none());
        let s1 = gens.stage().unwrap();
        std::fs::create_dir_all(s1.out()).unwrap();
        std::fs::write(s1.out().join("index.html"), "one").unwrap();
        let out1 = s1.out();
        let t1 = gens.promote(s1, &out1).unwrap();
        let held = gens.current().unwrap();
        assert_eq!(held.token(), t1);

        let s2 = gens.stage().unwrap();
        std::fs::create_dir_all(s2.out()).unwrap();
        let out2 = s2.out();
        let t2 = gens.promote(s2, &out2).unwrap();
        assert_ne!(t1, t2);
        // The reader of generation 1 still sees its files.
        assert_eq!(
            std::fs::read_to_string(held.dir().join("index.html")).unwrap(),
            "one"
        );
        let folder1 = held.dir().parent().unwrap().to_path_buf();
        drop(held);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while folder1.exists() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(!folder1.exists(), "generation 1 was not deleted");
    }

    #[test]
    fn a_book_updated_in_place_is_served_on_under_a_new_token_and_deleted_after_both() {
        let gens = Generations::new().unwrap();
        let s1 = gens.stage().unwrap();
        std::fs::create_dir_all(s1.out()).unwrap();
        let out1 = s1.out();
        let t1 = gens.promote(s1, &out1).unwrap();
        let held = gens.current().unwrap();
        let s2 = gens.stage().unwrap();
        let unused = s2.out().parent().unwrap().to_path_buf();
        let t2 = gens.promote(s2, &out1).unwrap();
        assert_ne!(t1, t2, "the pages must reload");
        let current = gens.current().unwrap();
        assert_eq!(current.token(), t2);
        assert_eq!(current.dir(), held.dir());
        assert!(!unused.exists(), "the unused staging folder is deleted");
        // A third build renders a whole new book: the shared folder goes once neither
        // generation is held.
        let s3 = gens.stage().unwrap();
        std::fs::create_dir_all(s3.out()).unwrap();
        let out3 = s3.out();
        gens.promote(s3, &out3).unwrap();
        drop(current);
        let folder = held.dir().parent().unwrap().to_path_buf();
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(folder.exists(), "deleted while a reader held it");
        drop(held);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while folder.exists() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(!folder.exists(), "the shared folder was not deleted");
    }

    #[test]
    fn an_early_generation_is_served_until_the_whole_book_replaces_it() {
        let gens = Generations::new().unwrap();
        let s = gens.stage().unwrap();
        std::fs::create_dir_all(s.out()).unwrap();
        let out = s.out();
        gens.promote_early(s, &out).unwrap();
        assert!(gens.current().unwrap().is_early());
        let s = gens.stage().unwrap();
        std::fs::create_dir_all(s.out()).unwrap();
        let out = s.out();
        gens.promote(s, &out).unwrap();
        assert!(!gens.current().unwrap().is_early());
    }

    #[test]
    fn a_failed_staging_is_deleted_and_a_foreign_dir_is_refused() {
        let gens = Generations::new().unwrap();
        let s = gens.stage().unwrap();
        let folder = s.out().parent().unwrap().to_path_buf();
        assert!(folder.exists());
        drop(s);
        assert!(!folder.exists());
        let s = gens.stage().unwrap();
        assert!(gens.promote(s, Path::new("/")).is_err());
        assert!(gens.current().is_none());
    }
}
