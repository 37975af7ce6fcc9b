//! One limit for a whole process tree: a cgroup of its own under vaultbook's, with a memory
//! limit (every process, thread and tmpfs page of the tree counts together) and a task limit.
//!
//! rlimits are per process: four children under a 1 GiB `RLIMIT_DATA` can hold 4 GiB. A cgroup
//! counts them together, and the kernel's OOM killer ends the tree when it passes the limit.
//! Making one needs write access to vaultbook's own cgroup, which root has (cgroup v1's
//! `memory` and `pids` hierarchies, or a v2 tree with those controllers delegated); a user
//! without a delegated cgroup gets `None` and the caller falls back to rlimits and a watchdog.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A cgroup made for one jailed process tree; killed and removed on drop.
#[derive(Debug)]
pub(crate) struct Cgroup {
    /// The folders made (one per v1 hierarchy, or one v2 folder).
    dirs: Vec<PathBuf>,
    /// The same, registered to be removed if vaultbook is told to stop.
    guards: Vec<crate::interrupt::DirGuard>,
    /// `cgroup.procs` of each, opened before the fork: the child joins by writing to them.
    procs: Vec<File>,
    /// The folder whose files report memory events.
    memory: PathBuf,
    /// Whether it is a cgroup v2 folder (`memory.events`, `cgroup.kill`).
    v2: bool,
}

impl Cgroup {
    /// A new cgroup holding at most `memory` bytes and `tasks` tasks, or `None` where this
    /// process may not make one.
    pub(crate) fn create(memory: u64, tasks: u64) -> Option<Cgroup> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "vaultbook-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let own = std::fs::read_to_string("/proc/self/cgroup").ok()?;
        let mut v1_memory = None;
        let mut v1_pids = None;
        let mut v2 = None;
        for line in own.lines() {
            let mut parts = line.splitn(3, ':');
            let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
            let path = path.trim_start_matches('/');
            match controllers {
                "" => v2 = Some(path.to_string()),
                c if c.split(',').any(|c| c == "memory") => {
                    v1_memory = Some(Path::new("/sys/fs/cgroup/memory").join(path))
                }
                c if c.split(',').any(|c| c == "pids") => {
                    v1_pids = Some(Path::new("/sys/fs/cgroup/pids").join(path))
                }
                _ => {}
            }
        }
        if let (Some(mem), Some(pids)) = (v1_memory, v1_pids) {
            let mem = mem.join(&name);
            let pids = pids.join(&name);
            let mut made = Cgroup {
                dirs: Vec::new(),
                guards: Vec::new(),
                procs: Vec::new(),
                memory: mem.clone(),
                v2: false,
            };
            if made.add(&mem).is_ok()
                && write(&mem.join("memory.limit_in_bytes"), memory).is_ok()
                && made.add(&pids).is_ok()
                && write(&pids.join("pids.max"), tasks).is_ok()
            {
                // With swap accounting, swap counts too (else a tree could swap past the limit).
                let _ = write(&mem.join("memory.memsw.limit_in_bytes"), memory);
                let _ = write(&mem.join("memory.swappiness"), 0);
                return Some(made);
            }
            return None;
        }
        let unified = ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"]
            .into_iter()
            .map(Path::new)
            .find(|p| p.join("cgroup.controllers").is_file())?;
        let dir = unified.join(v2?).join(&name);
        let mut made = Cgroup {
            dirs: Vec::new(),
            guards: Vec::new(),
            procs: Vec::new(),
            memory: dir.clone(),
            v2: true,
        };
        (made.add(&dir).is_ok()
            && write(&dir.join("memory.max"), memory).is_ok()
            && write(&dir.join("memory.swap.max"), 0).is_ok()
            && write(&dir.join("pids.max"), tasks).is_ok())
        .then_some(made)
    }

    fn add(&mut self, dir: &Path) -> io::Result<()> {
        if let Some(parent) = dir.parent() {
            sweep_stale(parent);
        }
        self.guards.push(crate::interrupt::create_dir(dir)?);
        self.dirs.push(dir.to_path_buf());
        let procs = std::fs::OpenOptions::new()
            .write(true)
            .open(dir.join("cgroup.procs"))?;
        self.procs.push(procs);
        Ok(())
    }

    /// The descriptors a child writes `0` to, between fork and exec, to join the cgroup
    /// (opened close-on-exec: the jailed program never holds them).
    pub(crate) fn join_fds(&self) -> Vec<RawFd> {
        self.procs.iter().map(|f| f.as_raw_fd()).collect()
    }

    /// Whether the kernel's OOM killer killed a task of this cgroup.
    pub(crate) fn oom_killed(&self) -> bool {
        // Both count kills in an `oom_kill N` line (v1's since Linux 4.13).
        let file = if self.v2 {
            "memory.events"
        } else {
            "memory.oom_control"
        };
        std::fs::read_to_string(self.memory.join(file)).is_ok_and(|s| {
            s.lines().any(|l| {
                l.strip_prefix("oom_kill ")
                    .and_then(|n| n.trim().parse::<u64>().ok())
                    .is_some_and(|n| n > 0)
            })
        })
    }

    /// SIGKILL to every task; with `until_gone`, again until none is left (at most about two
    /// seconds; tasks being killed stay listed until they have exited).
    pub(crate) fn kill_all(&self, until_gone: bool) {
        if self.v2 {
            let _ = write(&self.memory.join("cgroup.kill"), 1);
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let mut any = false;
            for dir in &self.dirs {
                let Ok(text) = std::fs::read_to_string(dir.join("cgroup.procs")) else {
                    continue;
                };
                for pid in text.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
                    any = true;
                    // SAFETY: kill has no memory-safety preconditions.
                    unsafe {
                        libc::kill(pid, libc::SIGKILL);
                    }
                }
            }
            if !any || !until_gone || Instant::now() >= deadline {
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        self.kill_all(true);
        // A cgroup can be removed once its last task is reaped, which can lag the kill a little.
        for dir in self.dirs.iter().rev() {
            for _ in 0..1000 {
                if std::fs::remove_dir(dir).is_ok() || !dir.exists() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        // Removed (a cgroup folder goes with rmdir, not by deleting its files): unregistered.
        for guard in self.guards.drain(..) {
            guard.keep();
        }
    }
}

/// Joins the cgroups behind `fds` (in the child, between fork and exec: no allocation).
pub(crate) fn join(fds: &[RawFd]) -> io::Result<()> {
    for &fd in fds {
        // SAFETY: writes two bytes from a static buffer to a descriptor we own.
        if unsafe { libc::write(fd, b"0\n".as_ptr().cast(), 2) } < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

fn write(path: &Path, value: u64) -> io::Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)?
        .write_all(value.to_string().as_bytes())
}

/// Removes the cgroups a vaultbook that is gone left in `parent` (killed before its own drop
/// ran): empty once their tasks died, they would otherwise stay until reboot.
fn sweep_stale(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("vaultbook-"))
            .and_then(|n| n.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new("/proc").join(pid.to_string()).exists() {
            let _ = std::fs::remove_dir(entry.path());
        }
    }
}
