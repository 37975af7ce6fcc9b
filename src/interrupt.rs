//! What must be undone when the process is told to stop (SIGINT, SIGTERM, SIGHUP).
//!
//! Code that creates a temporary directory or starts a child process group registers it here
//! ([`remove_on_exit`], [`create_dir`], [`temp_dir`], [`kill_on_exit`], [`spawn_group`]) and
//! holds the returned guard while the thing exists. When a stop signal arrives, [`install`]'s
//! handler kills every registered group, removes every registered directory and exits with
//! 128 + the signal's number. Nothing else runs on the way out: no destructor, no `atexit`.
//!
//! The handler is a plain thread (signal-hook's iterator), so it may lock and allocate; but the
//! rest of the process keeps running while it works, and a rayon writer or mdBook's renderer
//! calling `create_dir_all` would recreate a directory it has just removed. So before removing
//! anything it parks every other thread of the process in a signal handler of its own (Linux),
//! and from then on uses raw system calls only: a parked thread may hold the allocator's or
//! stdio's lock.
//!
//! A step that must not be cut in half (moving the old book aside and the new one in) runs in
//! [`critical`]: the handler waits for it to finish before it cleans up.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, Once, RwLock};
use std::time::{Duration, Instant};

/// What the handler undoes: registered directories and process groups, by registration id.
struct Registry {
    next: u64,
    /// The path and its C form, made at registration so that the handler never allocates.
    dirs: BTreeMap<u64, (PathBuf, Option<CString>)>,
    groups: BTreeMap<u64, i32>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    next: 0,
    dirs: BTreeMap::new(),
    groups: BTreeMap::new(),
});

/// Held for reading by [`critical`] sections, for writing by the handler once it cleans up.
static CRITICAL: RwLock<()> = RwLock::new(());

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Distinguishes the directories [`temp_dir`] makes within one process.
static NAMES: AtomicU64 = AtomicU64::new(0);

/// The longest the handler waits for a [`critical`] section (a couple of renames) before it
/// cleans up anyway: a stop request is never ignored.
const CRITICAL_WAIT: Duration = Duration::from_secs(5);

thread_local! {
    /// How deep this thread is in [`critical`] sections (they nest).
    static CRITICAL_DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// A poisoned lock only means a thread panicked while holding it; the registry stays usable
/// (every change to it is a single insert or remove).
fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|p| p.into_inner())
}

impl Registry {
    fn add_dir(&mut self, path: PathBuf) -> u64 {
        let id = self.next;
        self.next += 1;
        let c = CString::new(path.as_os_str().as_bytes()).ok();
        self.dirs.insert(id, (path, c));
        id
    }

    fn add_group(&mut self, pgid: i32) -> u64 {
        let id = self.next;
        self.next += 1;
        self.groups.insert(id, pgid);
        id
    }
}

/// Handles SIGINT, SIGTERM and SIGHUP from now on: on the first of them, kill every registered
/// process group, remove every registered directory and exit with 128 + the signal number.
/// Signals that arrive while it cleans up are ignored, so they cannot cut the cleanup short.
///
/// A signal that was ignored when the process started (SIGHUP under `nohup`) stays ignored.
/// Calling `install` again does nothing. Without it, guards still clean up when dropped, but a
/// signal ends the process the default way.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        #[cfg(target_os = "linux")]
        freeze::install();
        let wanted: Vec<i32> = [
            signal_hook::consts::SIGINT,
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGHUP,
        ]
        .into_iter()
        .filter(|&s| !ignored_at_start(s))
        .collect();
        let mut signals = match signal_hook::iterator::Signals::new(&wanted) {
            Ok(s) => s,
            Err(e) => {
                eprintln!(
                    "vaultbook: cannot handle stop signals ({e}); an interrupted run may leave temporary files behind"
                );
                return;
            }
        };
        let spawned = std::thread::Builder::new()
            .name("vaultbook-signals".into())
            // The raw directory walk keeps a buffer per level on this stack.
            .stack_size(1 << 20)
            .spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    stop(signal);
                }
            });
        if let Err(e) = spawned {
            eprintln!(
                "vaultbook: cannot handle stop signals ({e}); an interrupted run may leave temporary files behind"
            );
        }
    });
}

/// Whether `signal` was set to be ignored when the process started.
fn ignored_at_start(signal: i32) -> bool {
    // SAFETY: a query (null new action) into a zeroed sigaction owned by this frame.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(signal, std::ptr::null(), &mut old) == 0
            && old.sa_sigaction == libc::SIG_IGN
    }
}

/// Whether a stop signal has arrived. Long loops may check it to stop early; the handler ends
/// the process either way.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// If a stop signal is being handled, waits for the handler to end the process (call it on the
/// way out of `main`, so that the exit code is the signal's and the cleanup is complete).
pub fn wait_if_stopping() {
    if interrupted() {
        loop {
            std::thread::sleep(Duration::from_secs(1));
        }
    }
}

/// Runs `f` to completion before a stop signal is acted on: for short steps that must not be
/// cut in half, like the two renames that swap a directory. Keep `f` short (the handler waits
/// for it, up to a few seconds). Sections may nest.
pub fn critical<T>(f: impl FnOnce() -> T) -> T {
    let depth = CRITICAL_DEPTH.with(|d| d.get());
    if depth > 0 {
        return f();
    }
    let _held = CRITICAL.read().unwrap_or_else(|p| p.into_inner());
    CRITICAL_DEPTH.with(|d| d.set(1));
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            CRITICAL_DEPTH.with(|d| d.set(0));
        }
    }
    let _leave = Leave;
    f()
}

/// A registered directory: removed with everything in it when the guard drops, or by the
/// handler if a stop signal comes first.
#[derive(Debug)]
#[must_use = "the directory is removed when the guard drops"]
pub struct DirGuard {
    id: u64,
    path: PathBuf,
    armed: bool,
}

impl DirGuard {
    /// The registered directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Removes the directory now and unregisters it, reporting a failure to remove (a missing
    /// directory is no failure).
    pub fn remove(mut self) -> io::Result<()> {
        self.armed = false;
        let result = remove_all(&self.path);
        unregister_dir(self.id);
        result
    }

    /// Unregisters the directory and leaves it where it is (it was moved away or handed on).
    pub fn keep(mut self) -> PathBuf {
        self.armed = false;
        unregister_dir(self.id);
        std::mem::take(&mut self.path)
    }
}

impl Drop for DirGuard {
    fn drop(&mut self) {
        if self.armed {
            // Removed before it is unregistered: a signal in between still removes the rest.
            let _ = remove_all(&self.path);
            unregister_dir(self.id);
        }
    }
}

fn remove_all(path: &Path) -> io::Result<()> {
    match std::fs::remove_dir_all(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

fn unregister_dir(id: u64) {
    registry().dirs.remove(&id);
}

/// Registers `path`, a temporary directory (existing or about to be created), to be removed if
/// the process is told to stop; the guard removes it when dropped. Prefer [`create_dir`], which
/// leaves no moment between creating and registering.
pub fn remove_on_exit(path: PathBuf) -> DirGuard {
    let path = std::path::absolute(&path).unwrap_or(path);
    let id = registry().add_dir(path.clone());
    DirGuard {
        id,
        path,
        armed: true,
    }
}

/// Creates the directory `path` (its parent must exist; `path` must not) and registers it, in
/// one step as far as the handler can see: no signal can leave it behind unregistered.
pub fn create_dir(path: &Path) -> io::Result<DirGuard> {
    create_registered(path, None)
}

/// Creates a fresh private directory (mode 0700) named `PREFIX…` in the system's temporary
/// directory (`TMPDIR`) and registers it, like [`create_dir`].
pub fn temp_dir(prefix: &str) -> io::Result<DirGuard> {
    use std::hash::{BuildHasher, Hasher};
    let base = std::env::temp_dir();
    for _ in 0..100 {
        let n = NAMES.fetch_add(1, Ordering::Relaxed);
        // Hard to guess, so that another user of a shared TMPDIR cannot take the names first
        // (std seeds RandomState from the OS).
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(n);
        let name = format!("{prefix}{:016x}", hasher.finish());
        match create_registered(&base.join(name), Some(0o700)) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            other => return other,
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("cannot find a free name for a {prefix} directory"),
    ))
}

fn create_registered(path: &Path, mode: Option<u32>) -> io::Result<DirGuard> {
    use std::os::unix::fs::DirBuilderExt;
    let path = std::path::absolute(path)?;
    let mut builder = std::fs::DirBuilder::new();
    if let Some(mode) = mode {
        builder.mode(mode);
    }
    // The handler takes the registry lock before it cleans up: holding it across the mkdir
    // means it sees either no directory or a registered one.
    let mut reg = registry();
    builder.create(&path)?;
    let id = reg.add_dir(path.clone());
    Ok(DirGuard {
        id,
        path,
        armed: true,
    })
}

/// A registered child process group: killed (SIGKILL) if the process is told to stop.
/// Dropping the guard only unregisters it: the caller reaps its own child.
#[derive(Debug)]
#[must_use = "the group is unregistered when the guard drops"]
pub struct GroupGuard {
    id: Option<u64>,
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            registry().groups.remove(&id);
        }
    }
}

/// Registers the process group `pgid` (a child's, made with `process_group(0)` or `setsid`) to
/// be killed if the process is told to stop. A pgid that is not a child's own group (0, 1, or
/// this process's group) is never killed: the guard registers nothing.
///
/// Drop the guard once the group is gone (the child reaped, and with it, under bubblewrap's
/// `--die-with-parent` or a PID namespace, the rest): a group id can be reused after that.
pub fn kill_on_exit(pgid: i32) -> GroupGuard {
    // SAFETY: getpgrp has no preconditions.
    let own = unsafe { libc::getpgrp() };
    if pgid <= 1 || pgid == own {
        return GroupGuard { id: None };
    }
    GroupGuard {
        id: Some(registry().add_group(pgid)),
    }
}

/// Spawns `command` as the leader of a new process group and registers the group, in one step
/// as far as the handler can see (no signal between spawning and registering leaves it
/// running). The caller waits for the child.
pub fn spawn_group(command: &mut Command) -> io::Result<(Child, GroupGuard)> {
    use std::os::unix::process::CommandExt;
    command.process_group(0);
    let mut reg = registry();
    let child = command.spawn()?;
    let pgid = i32::try_from(child.id()).unwrap_or(0);
    let id = (pgid > 1).then(|| reg.add_group(pgid));
    Ok((child, GroupGuard { id }))
}

/// The handler: undo everything registered, then exit with 128 + `signal`. Never returns and
/// never panics.
fn stop(signal: i32) -> ! {
    INTERRUPTED.store(true, Ordering::SeqCst);
    // Children first, so that they stop writing into the directories about to go.
    kill_groups(&registry());
    // Held until the process ends: new critical sections and registrations wait forever.
    let _critical = wait_for_critical();
    let reg = registry();
    #[cfg(target_os = "linux")]
    freeze::other_threads();
    // From here on: system calls only (a parked thread may hold the allocator's lock).
    kill_groups(&reg);
    for (path, c) in reg.dirs.values() {
        match c {
            #[cfg(target_os = "linux")]
            Some(c) => raw::remove_tree(c),
            _ => {
                let _ = std::fs::remove_dir_all(path);
            }
        }
    }
    say_stopped(signal);
    // SAFETY: _exit has no preconditions; nothing after the cleanup needs to run.
    unsafe { libc::_exit(128 + signal) }
}

fn kill_groups(reg: &Registry) {
    for &pgid in reg.groups.values() {
        // SAFETY: kill has no memory-safety preconditions; pgid > 1 was checked at registration.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
}

fn wait_for_critical() -> Option<std::sync::RwLockWriteGuard<'static, ()>> {
    let deadline = Instant::now() + CRITICAL_WAIT;
    loop {
        match CRITICAL.try_write() {
            Ok(g) => return Some(g),
            Err(std::sync::TryLockError::Poisoned(p)) => return Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => {}
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// One line on stderr, written without locks or allocation.
fn say_stopped(signal: i32) {
    let line: &[u8] = match signal {
        libc::SIGINT => b"vaultbook: interrupted (SIGINT); temporary files removed\n",
        libc::SIGTERM => b"vaultbook: terminated (SIGTERM); temporary files removed\n",
        libc::SIGHUP => b"vaultbook: hung up (SIGHUP); temporary files removed\n",
        _ => b"vaultbook: stopped by a signal; temporary files removed\n",
    };
    // SAFETY: writes a static buffer to fd 2; a failure is ignored.
    unsafe {
        libc::write(2, line.as_ptr().cast(), line.len());
    }
}

/// Parking every other thread of the process (Linux): a signal of our own, sent to each thread,
/// whose handler never returns.
#[cfg(target_os = "linux")]
mod freeze {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    /// Threads now parked in [`park`].
    static PARKED: AtomicUsize = AtomicUsize::new(0);
    /// Whether the park handler is installed (the signal was free).
    static READY: AtomicBool = AtomicBool::new(false);
    /// The longest the handler waits for threads to park (one in a slow system call parks
    /// when the call returns).
    const WAIT: Duration = Duration::from_secs(2);
    /// Threads parked at most; a process with more gets the rest unparked.
    const MAX_THREADS: usize = 1024;

    fn park_signal() -> libc::c_int {
        // A real-time signal above glibc's own; nothing else in vaultbook uses real-time signals.
        libc::SIGRTMIN() + 6
    }

    extern "C" fn park(_: libc::c_int) {
        PARKED.fetch_add(1, Ordering::SeqCst);
        loop {
            // SAFETY: pause is async-signal-safe; every signal is blocked in this handler.
            unsafe {
                libc::pause();
            }
        }
    }

    /// Installs the park handler, unless someone else already handles the signal.
    pub(super) fn install() {
        let signal = park_signal();
        // SAFETY: sigaction with zeroed structs owned by this frame; the handler only touches
        // an atomic and calls pause.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(signal, std::ptr::null(), &mut old) != 0
                || old.sa_sigaction != libc::SIG_DFL
            {
                return;
            }
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = park as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigfillset(&mut action.sa_mask);
            if libc::sigaction(signal, &action, std::ptr::null_mut()) == 0 {
                READY.store(true, Ordering::SeqCst);
            }
        }
    }

    /// Parks every thread but the calling one, waiting until each has parked or gone (at most
    /// [`WAIT`]). Allocates nothing.
    pub(super) fn other_threads() {
        if !READY.load(Ordering::SeqCst) {
            return;
        }
        let signal = park_signal();
        // SAFETY: plain system calls without memory arguments.
        let (pid, me) = unsafe {
            (
                libc::getpid(),
                libc::syscall(libc::SYS_gettid) as libc::pid_t,
            )
        };
        let mut sent = [0 as libc::pid_t; MAX_THREADS];
        let mut count = 0;
        let deadline = Instant::now() + WAIT;
        loop {
            let mut new = 0;
            super::raw::for_each_task(|tid| {
                if tid == me || count == MAX_THREADS || sent[..count].contains(&tid) {
                    return;
                }
                // SAFETY: tgkill has no memory arguments.
                if unsafe { libc::syscall(libc::SYS_tgkill, pid, tid, signal) } == 0 {
                    sent[count] = tid;
                    count += 1;
                    new += 1;
                }
            });
            let gone = sent[..count]
                .iter()
                // SAFETY: signal 0 only checks that the thread exists.
                .filter(|&&tid| unsafe { libc::syscall(libc::SYS_tgkill, pid, tid, 0) } != 0)
                .count();
            if new == 0 && PARKED.load(Ordering::SeqCst) + gone >= count {
                return;
            }
            if Instant::now() >= deadline {
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// Directory work in raw system calls, for the handler once other threads are parked.
#[cfg(target_os = "linux")]
mod raw {
    use std::ffi::CStr;

    /// Deeper trees are left partly in place rather than risk the handler's stack.
    const MAX_DEPTH: u32 = 64;
    /// Removing entries while listing may make the listing skip some: list again, this often.
    const PASSES: u32 = 8;

    /// Calls `f` with every thread id of this process.
    pub(super) fn for_each_task(mut f: impl FnMut(libc::pid_t)) {
        // SAFETY: a NUL-terminated literal; the fd is closed below.
        let fd = unsafe {
            libc::open(
                c"/proc/self/task".as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return;
        }
        let mut buf = [0u8; 2048];
        loop {
            let n = getdents(fd, &mut buf);
            if n == 0 {
                break;
            }
            each_entry(&buf[..n], |name| {
                let mut tid: libc::pid_t = 0;
                for &b in name.to_bytes() {
                    if !b.is_ascii_digit() {
                        return;
                    }
                    tid = tid
                        .saturating_mul(10)
                        .saturating_add(libc::pid_t::from(b - b'0'));
                }
                f(tid);
            });
        }
        // SAFETY: fd was opened above.
        unsafe {
            libc::close(fd);
        }
    }

    /// Removes `path` and everything under it without following symbolic links.
    pub(super) fn remove_tree(path: &CStr) {
        remove_at(libc::AT_FDCWD, path, 0);
    }

    fn remove_at(parent: libc::c_int, name: &CStr, depth: u32) {
        // SAFETY: name is NUL-terminated; unlinkat does not follow symbolic links.
        if unsafe { libc::unlinkat(parent, name.as_ptr(), 0) } == 0 {
            return;
        }
        if depth > MAX_DEPTH {
            return;
        }
        // SAFETY: as above; O_NOFOLLOW refuses a symbolic link put there meanwhile.
        let fd = unsafe {
            libc::openat(
                parent,
                name.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return;
        }
        let mut buf = [0u8; 2048];
        for _ in 0..PASSES {
            let mut seen = 0;
            loop {
                let n = getdents(fd, &mut buf);
                if n == 0 {
                    break;
                }
                each_entry(&buf[..n], |entry| {
                    seen += 1;
                    remove_at(fd, entry, depth + 1);
                });
            }
            if seen == 0 {
                break;
            }
            // SAFETY: fd is open; rewinding a directory fd restarts the listing.
            unsafe {
                libc::lseek(fd, 0, libc::SEEK_SET);
            }
        }
        // SAFETY: fd was opened above; name is NUL-terminated.
        unsafe {
            libc::close(fd);
            libc::unlinkat(parent, name.as_ptr(), libc::AT_REMOVEDIR);
        }
    }

    /// Reads directory entries into `buf`; 0 at the end or on an error.
    fn getdents(fd: libc::c_int, buf: &mut [u8]) -> usize {
        // SAFETY: the kernel writes at most buf.len() bytes into buf.
        let n = unsafe { libc::syscall(libc::SYS_getdents64, fd, buf.as_mut_ptr(), buf.len()) };
        usize::try_from(n).unwrap_or(0)
    }

    /// Calls `f` with the name of each `linux_dirent64` in `buf`, but `.` and `..`.
    fn each_entry(buf: &[u8], mut f: impl FnMut(&CStr)) {
        // struct linux_dirent64 { u64 d_ino; i64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
        const NAME: usize = 19;
        let mut at = 0;
        while at + NAME < buf.len() {
            let reclen = usize::from(u16::from_ne_bytes([buf[at + 16], buf[at + 17]]));
            if reclen <= NAME || at + reclen > buf.len() {
                return;
            }
            if let Ok(name) = CStr::from_bytes_until_nul(&buf[at + NAME..at + reclen])
                && name.to_bytes() != b"."
                && name.to_bytes() != b".."
            {
                f(name);
            }
            at += reclen;
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use std::os::unix::ffi::OsStrExt;

        #[test]
        fn a_tree_is_removed_without_following_links_out_of_it() {
            let dir = tempfile::tempdir().unwrap();
            let outside = dir.path().join("outside");
            std::fs::create_dir(&outside).unwrap();
            std::fs::write(outside.join("keep.txt"), "keep").unwrap();
            let tree = dir.path().join("tree");
            for i in 0..300 {
                let d = tree.join(format!("d{}/e{}", i % 7, i % 3));
                std::fs::create_dir_all(&d).unwrap();
                std::fs::write(d.join(format!("f{i}.html")), "x").unwrap();
            }
            std::os::unix::fs::symlink(&outside, tree.join("link")).unwrap();
            let c = std::ffi::CString::new(tree.as_os_str().as_bytes()).unwrap();
            remove_tree(&c);
            assert!(!tree.exists());
            assert!(outside.join("keep.txt").exists());
        }

        #[test]
        fn the_tasks_of_this_process_include_this_thread() {
            // SAFETY: gettid has no arguments.
            let me = unsafe { libc::syscall(libc::SYS_gettid) } as libc::pid_t;
            let mut found = false;
            for_each_task(|t| found |= t == me);
            assert!(found);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrations_from_many_threads_are_all_undone() {
        let dir = tempfile::tempdir().unwrap();
        std::thread::scope(|s| {
            for t in 0..8 {
                let base = dir.path().to_path_buf();
                s.spawn(move || {
                    for i in 0..200 {
                        let d = create_dir(&base.join(format!("{t}-{i}"))).unwrap();
                        let g = kill_on_exit(1_000_000 + i);
                        assert!(d.path().is_dir());
                        drop(g);
                        drop(d);
                    }
                });
            }
        });
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let reg = registry();
        assert!(reg.dirs.values().all(|(p, _)| !p.starts_with(dir.path())));
        assert!(
            !reg.groups
                .values()
                .any(|g| (1_000_000..1_000_200).contains(g))
        );
    }

    #[test]
    fn a_guard_removes_its_dir_and_keep_leaves_it() {
        let dir = tempfile::tempdir().unwrap();
        let a = create_dir(&dir.path().join("a")).unwrap();
        std::fs::write(a.path().join("f"), "x").unwrap();
        let path = a.path().to_path_buf();
        drop(a);
        assert!(!path.exists());
        let b = create_dir(&dir.path().join("b")).unwrap();
        let kept = b.keep();
        assert!(kept.is_dir());
        assert!(
            create_dir(&kept).is_err(),
            "an existing dir is not taken over"
        );
        let t = temp_dir("vaultbook-test-").unwrap();
        assert!(t.path().is_dir());
        let tp = t.path().to_path_buf();
        t.remove().unwrap();
        assert!(!tp.exists());
    }

    #[test]
    fn only_a_child_group_is_ever_registered() {
        // SAFETY: getpgrp has no preconditions.
        let own = unsafe { libc::getpgrp() };
        for pgid in [0, 1, -5, own] {
            assert!(kill_on_exit(pgid).id.is_none(), "{pgid}");
        }
    }

    #[test]
    fn critical_sections_nest() {
        assert_eq!(critical(|| critical(|| 7)), 7);
    }
}
