//! Book generations: every build renders into a fresh staging directory; a finished book is
//! swapped in with one pointer write, so a request sees either the old book or the new one,
//! never a half-written file. An old generation is deleted when the last request reading it is
//! done (its [`Arc`] drops).

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
    folder: PathBuf,
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

impl Drop for Generation {
    fn drop(&mut self) {
        // Dropped by whoever held it last, possibly a request handler: delete off its thread.
        let folder = std::mem::take(&mut self.folder);
        let _ = std::thread::Builder::new()
            .name("vaultbook-gc".into())
            .spawn(move || std::fs::remove_dir_all(folder));
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
    /// its token. The previous generation goes when its last reader is done.
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
        let token = format!("{}-{}", self.instance, staging.number);
        staging.promoted = true;
        let generation = Arc::new(Generation {
            token: token.clone(),
            early,
            dir,
            folder: std::mem::take(&mut staging.folder),
        });
        let old = match self.current.write() {
            Ok(mut current) => current.replace(generation),
            Err(poisoned) => poisoned.into_inner().replace(generation),
        };
        drop(old);
        Ok(token)
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
