//! One run at a time per book: an advisory lock (`flock`) on a file in the book's work dir.
//!
//! Two runs of one book share its build dir, the emitted source tree and the snippet cache;
//! each replaces them as a whole, and two replacements at once fail or mix. A run that writes
//! holds the lock from before it reads the vault until its output is in place; a second run
//! says who holds it and waits. The kernel drops the lock when its holder exits, however it
//! exits, so a killed run never leaves the book locked.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::path::Path;

use anyhow::{Context, Result};

/// The lock file's name, inside the work dir.
pub(crate) const LOCK_FILE: &str = "lock";

/// The held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub(crate) struct BookLock {
    /// Closing the file releases the lock.
    _file: Option<File>,
}

/// Takes the lock of the book whose work dir is `work_dir` (created if missing). When another
/// run holds it, prints one line naming that run's pid and waits for it.
///
/// A file system without locks (some network mounts) gets a warning and no lock.
pub(crate) fn lock_book(work_dir: &Path) -> Result<BookLock> {
    std::fs::create_dir_all(work_dir)
        .with_context(|| format!("cannot create the work dir {}", work_dir.display()))?;
    let path = work_dir.join(LOCK_FILE);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("cannot open the lock file {}", path.display()))?;
    match flock(&file, libc::LOCK_EX | libc::LOCK_NB) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EWOULDBLOCK) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let who = if holder.is_empty() {
                String::new()
            } else {
                format!(" (pid {holder})")
            };
            eprintln!("vaultbook: waiting for another vaultbook run on this book{who} ...");
            flock(&file, libc::LOCK_EX)
                .with_context(|| format!("cannot lock {}", path.display()))?;
        }
        Err(e) if matches!(e.raw_os_error(), Some(libc::ENOLCK | libc::EOPNOTSUPP)) => {
            eprintln!(
                "vaultbook: {} cannot be locked ({e}); do not run two builds of this book at once",
                path.display()
            );
            return Ok(BookLock { _file: None });
        }
        Err(e) => return Err(e).with_context(|| format!("cannot lock {}", path.display())),
    }
    // Who holds it, for the message of the next one to wait. Only informative: an error here
    // costs nothing but the pid in that message.
    if file.set_len(0).is_ok() {
        let _ = file.write_all(format!("{}\n", std::process::id()).as_bytes());
    }
    Ok(BookLock { _file: Some(file) })
}

fn flock(file: &File, op: libc::c_int) -> std::io::Result<()> {
    loop {
        // SAFETY: flock on a file descriptor owned by `file`.
        if unsafe { libc::flock(file.as_raw_fd(), op) } == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    #[test]
    fn a_second_lock_waits_for_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock_book(dir.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join(LOCK_FILE))
                .unwrap()
                .trim(),
            std::process::id().to_string()
        );
        let got = AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                let _second = lock_book(dir.path()).unwrap();
                got.store(true, Ordering::SeqCst);
            });
            std::thread::sleep(Duration::from_millis(200));
            assert!(!got.load(Ordering::SeqCst), "the second lock did not wait");
            drop(first);
        });
        assert!(got.load(Ordering::SeqCst));
    }
}
