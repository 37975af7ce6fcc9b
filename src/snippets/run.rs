//! Runs one compiled snippet inside the [`Jail`] and records what happened.
//!
//! Each run is a jail of its own ([`crate::sandbox`]): no network, no view of the host but the
//! binary (read-only, at `/snippet`) and the system's libraries, a private, empty, size-limited
//! working directory (`/work`), `/tmp` and `/dev/shm`, private IPC, and an environment of only
//! `RUST_BACKTRACE` and `TMPDIR`. No stdin, its own session. rlimits are set between fork and
//! exec (CPU, file size, data segment, processes, no core dumps), and a wall-clock timeout kills
//! the jail: a deadlock uses no CPU, so RLIMIT_CPU alone would never end it.
//!
//! **Every process a run starts ends with it.** The jail has a PID namespace whose init dies with
//! the jail's outer process; when it dies the kernel kills every process left in the namespace,
//! `setsid` or not. **One memory limit holds for the whole run**: a [`Cgroup`] when vaultbook may
//! make one (root), else RLIMIT_DATA per process plus a watchdog that sums the resident memory of
//! the run's processes every few milliseconds and stops the run past the limit.
//!
//! When vaultbook runs as root, each run also takes a uid of its own for as long as it lasts (a
//! `Slot`: [`RUN_UID_FIRST`] and up, reserved with a lock file, so that concurrent runs and
//! concurrent vaultbooks never share one). The jail is then created by that unprivileged uid, so
//! even outside the namespaces the run is nobody in particular, and RLIMIT_NPROC (which root
//! ignores, and which counts the tasks of a uid system-wide) is a limit per run.
//!
//! With `--trust-snippets` on a machine without a sandbox ([`Jail::Trusted`]), the run is an
//! ordinary process and the kill is best effort: the group, the descendants found through /proc,
//! and the processes that still hold the output pipe once the run has exited.
//!
//! stdout and stderr are the same pipe, so the output is in the exact order it was written
//! (Rust's stdout is line-buffered, stderr unbuffered); the price is that the two streams are
//! not told apart.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::sandbox::cgroup::{self, Cgroup};
use crate::sandbox::{Jail, Spec};

/// The limits of one run.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Wall-clock time before the process group is killed.
    pub timeout: Duration,
    /// Output bytes kept; past this the process group is killed.
    pub max_output: u64,
    /// Memory of the whole run (cgroup or watchdog), and RLIMIT_DATA of each process.
    pub memory: u64,
    /// RLIMIT_CPU in seconds.
    pub cpu: u64,
    /// RLIMIT_FSIZE in bytes.
    pub file_size: u64,
    /// Tasks of the run (cgroup), and RLIMIT_NPROC.
    pub processes: u64,
    /// RUST_BACKTRACE=1 instead of 0.
    pub backtrace: bool,
}

/// What one run did. Stored in the cache, so plain data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    /// stdout and stderr, interleaved as written, lossily decoded as UTF-8, at most the cap.
    pub output: String,
    /// The exit code, when the process exited.
    pub exit_code: Option<i32>,
    /// The signal that ended the process, when one did.
    pub signal: Option<i32>,
    /// Wall-clock time from spawn to exit, in milliseconds.
    pub duration_ms: u64,
    /// Killed by us at the wall-clock timeout.
    pub timed_out: bool,
    /// Killed by us when the output passed the cap.
    pub truncated: bool,
    /// Killed because the run as a whole passed its memory limit.
    #[serde(default)]
    pub out_of_memory: bool,
}

/// Where the snippet's binary is inside its jail.
const BINARY_INSIDE: &str = "/snippet";
/// The run's private working directory inside its jail.
const WORK_INSIDE: &str = "/work";

/// A scratch area for one batch of runs: executables copied where the run user can reach them
/// (and, without a jail, one fresh working directory per run). Removed on drop.
#[derive(Debug)]
pub struct RunArea {
    base: PathBuf,
    /// Removes the area when dropped, or when vaultbook is told to stop mid-run.
    _guard: crate::interrupt::DirGuard,
    counter: AtomicUsize,
    /// When vaultbook is root, the gid runs take (the uid is the run's own, from a [`Slot`]).
    group: Option<u32>,
    /// RLIMIT_NPROC for runs: the allowance, plus, without root, the user's current tasks.
    nproc: u64,
    /// The isolation of every run.
    jail: Jail,
}

impl RunArea {
    /// Creates the area under the system temp dir. `user` is the `user` setting: when root, runs
    /// take its group (and a uid of their own).
    pub fn new(user: &str, processes: u64, jail: Jail) -> io::Result<RunArea> {
        // An unguessable name: nobody else on the machine can take it first or plant files.
        let guard = crate::interrupt::temp_dir("vaultbook-snippets-")?;
        let base = guard.path().to_path_buf();
        std::fs::create_dir(base.join("bin"))?;
        // Traversable by the run user; only we can write here.
        std::fs::set_permissions(&base, std::fs::Permissions::from_mode(0o755))?;
        std::fs::set_permissions(base.join("bin"), std::fs::Permissions::from_mode(0o755))?;
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        let group = root.then(|| resolve_user(user).map_or(65534, |(_, g)| g));
        // A run uid has no task left when its run starts (the slot sweeps it); our own does.
        // SAFETY: getuid has no preconditions.
        let nproc = if root {
            processes
        } else {
            count_tasks(unsafe { libc::getuid() }) + processes
        };
        Ok(RunArea {
            base,
            _guard: guard,
            counter: AtomicUsize::new(0),
            group,
            nproc,
            jail,
        })
    }

    /// Copies an executable into the area (once per batch), so that the run user can execute it
    /// even when the book lives under a directory it cannot enter.
    pub fn install(&self, exe: &Path, name: &str) -> io::Result<PathBuf> {
        let to = self.base.join("bin").join(name);
        std::fs::copy(exe, &to)?;
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755))?;
        Ok(to)
    }

    /// A new, empty working directory owned by the run user (runs without a jail only).
    fn fresh_dir(&self, user: Option<(u32, u32)>) -> io::Result<PathBuf> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let dir = self.base.join(format!("run-{n}"));
        std::fs::create_dir(&dir)?;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid))?;
        }
        Ok(dir)
    }

    /// Runs `exe` with the extra environment `env` under `limits`; never hangs past the timeout
    /// (plus a grace period if, without a jail, a process escaped and keeps the pipe open).
    pub fn run(&self, exe: &Path, env: &[(&str, &str)], limits: &Limits) -> io::Result<RunRecord> {
        // Dropped last: every process of the uid is killed before the uid is released.
        // In a jail the PID namespace ends every process of the run; the uid sweeps that make
        // that true without one are only needed there.
        let sweeps = !self.jail.is_isolated();
        let slot = self.group.map(|_| Slot::acquire(sweeps)).transpose()?;
        let user = slot.as_ref().zip(self.group).map(|(s, g)| (s.uid, g));
        let cgroup = Cgroup::create(limits.memory, limits.processes);
        let mut vars: Vec<(String, OsString)> = vec![
            (
                "RUST_BACKTRACE".into(),
                if limits.backtrace { "1" } else { "0" }.into(),
            ),
            ("TMPDIR".into(), "/tmp".into()),
        ];
        vars.extend(env.iter().map(|(k, v)| (k.to_string(), OsString::from(v))));
        let (spec, program, dir) = if self.jail.is_isolated() {
            let spec = Spec {
                file_at: Some((exe.to_path_buf(), PathBuf::from(BINARY_INSIDE))),
                scratch: Some(PathBuf::from(WORK_INSIDE)),
                cwd: PathBuf::from(WORK_INSIDE),
                env: vars,
                // Files in a tmpfs are memory that no process's RSS shows (the watchdog's
                // measure), so each tmpfs holds a few of the largest files a run may write.
                tmpfs_size: limits.memory.min(limits.file_size.saturating_mul(4)),
                ..Spec::default()
            };
            (spec, PathBuf::from(BINARY_INSIDE), None)
        } else {
            let dir = self.fresh_dir(user)?;
            vars[1].1 = dir.clone().into_os_string();
            let spec = Spec {
                cwd: dir.clone(),
                env: vars,
                ..Spec::default()
            };
            (spec, exe.to_path_buf(), Some(dir))
        };
        let result = self.run_in(
            &spec,
            &program,
            limits,
            slot.as_ref(),
            user,
            cgroup.as_ref(),
        );
        if let Some(dir) = dir {
            let _ = std::fs::remove_dir_all(&dir);
        }
        result
    }

    fn run_in(
        &self,
        spec: &Spec,
        program: &Path,
        limits: &Limits,
        slot: Option<&Slot>,
        user: Option<(u32, u32)>,
        cgroup: Option<&Cgroup>,
    ) -> io::Result<RunRecord> {
        let isolated = self.jail.is_isolated();
        let (reader, writer) = io::pipe()?;
        let pipe = inode(&reader);
        let mut cmd = self.jail.command(spec, program, &[]);
        // The jail's outer process starts where any run user may be; the run's own working
        // directory is inside the jail (or set by `command` without one).
        if isolated {
            cmd.current_dir("/");
        }
        cmd.stdin(Stdio::null())
            .stdout(writer.try_clone()?)
            .stderr(writer);
        let rl = RlimitPlan {
            cpu: limits.cpu,
            file_size: limits.file_size,
            memory: limits.memory,
            nproc: self.nproc,
            user,
            cgroup: cgroup.map(Cgroup::join_fds).unwrap_or_default(),
        };
        // SAFETY: the closure only calls async-signal-safe functions (setsid, setrlimit,
        // getrlimit, write, setgroups, setgid, setuid) and allocates nothing.
        unsafe {
            cmd.pre_exec(move || rl.apply());
        }
        let start = Instant::now();
        let mut child = cmd.spawn()?;
        // Our copies of the pipe's write end must go, or the reader never sees EOF.
        drop(cmd);
        let pid = child.id() as libc::pid_t;
        // A stop signal to vaultbook kills the run's group (the jail's outer process, whose
        // death ends the jail) before vaultbook exits.
        let _group = crate::interrupt::kill_on_exit(pid);

        let kept = Arc::new(Mutex::new(Vec::new()));
        let over_cap = Arc::new(AtomicBool::new(false));
        let (done_tx, done_rx) = mpsc::channel();
        {
            let kept = Arc::clone(&kept);
            let over_cap = Arc::clone(&over_cap);
            let cap = limits.max_output as usize;
            std::thread::spawn(move || {
                drain(reader, &kept, cap, &over_cap);
                let _ = done_tx.send(());
            });
        }

        // Stops the run. In a jail, killing its outer process (the group leader) ends the PID
        // namespace and all in it; the cgroup and the uid sweep are belt and braces. Without a
        // jail: descendants first (once the snippet is dead, its children are init's), then the
        // group.
        let stop = || {
            if !isolated && slot.is_none() {
                kill_descendants(pid);
            }
            kill_group(pid);
            if let Some(cg) = cgroup {
                cg.kill_all(false);
            }
            if let Some(slot) = slot {
                slot.sweep(false);
            }
        };
        let mut timed_out = false;
        let mut killed_for_output = false;
        let mut out_of_memory = false;
        let mut pause = Duration::from_micros(500);
        let mut next_memory_check = start;
        // Woken the moment the run exits (not at the next tick of a poll), so that a short run
        // costs its own time, not the polling interval.
        let exit = ExitWatch::new(pid);
        let duration = loop {
            if has_exited(pid) {
                break start.elapsed();
            }
            let stopped = timed_out || killed_for_output || out_of_memory;
            if !stopped && over_cap.load(Ordering::Relaxed) {
                killed_for_output = true;
                stop();
            } else if !stopped && start.elapsed() >= limits.timeout {
                timed_out = true;
                stop();
            } else if !stopped && Instant::now() >= next_memory_check {
                // Past the limit, the run as a whole ends: the OOM killer takes one process,
                // and the rest of the run would go on without it.
                next_memory_check = Instant::now() + Duration::from_millis(20);
                let over = match cgroup {
                    Some(cg) => cg.oom_killed(),
                    None => tree_resident_bytes(pid) > limits.memory,
                };
                if over {
                    out_of_memory = true;
                    stop();
                }
            }
            pause = (pause * 2).min(Duration::from_millis(10));
            exit.wait(pause);
        };
        // The leader is a zombie until reaped, so the group id cannot be reused yet: kill what
        // it left behind (background children, a fork loop) before reaping it.
        kill_group(pid);
        if let Some(cg) = cgroup {
            out_of_memory |= cg.oom_killed();
            cg.kill_all(false);
        }
        if let Some(slot) = slot {
            slot.sweep(false);
        }
        let status = child.wait()?;
        // The reaped leader no longer counts: the sweep can wait until nothing of the uid is left.
        if let Some(slot) = slot {
            slot.sweep(true);
        }
        // Without a jail or root, a process that left the group could still hold the pipe: kill
        // those found holding it.
        let mut complete = done_rx.recv_timeout(Duration::from_millis(50)).is_ok();
        if !complete {
            if slot.is_none()
                && let Some(pipe) = pipe
            {
                kill_pipe_holders(pipe);
            }
            complete = done_rx.recv_timeout(Duration::from_secs(2)).is_ok();
        }
        let bytes = std::mem::take(&mut *kept.lock().unwrap_or_else(|e| e.into_inner()));
        let mut output = String::from_utf8_lossy(&bytes).into_owned();
        if !complete {
            output.push_str("\n[vaultbook: a process left the sandbox and kept the output open]\n");
        }
        let (exit_code, signal) = ending(status, isolated);
        Ok(RunRecord {
            output,
            exit_code,
            signal,
            duration_ms: duration.as_millis() as u64,
            timed_out,
            truncated: killed_for_output || over_cap.load(Ordering::Relaxed),
            out_of_memory,
        })
    }
}

/// Waits for a child's exit without reaping it: a pidfd (Linux 5.3 and later) becomes readable
/// when the process exits; without one, a plain sleep.
struct ExitWatch(Option<File>);

impl ExitWatch {
    fn new(pid: libc::pid_t) -> ExitWatch {
        // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        ExitWatch((fd >= 0).then(|| {
            use std::os::fd::FromRawFd;
            // SAFETY: a fresh descriptor that nothing else owns.
            unsafe { File::from_raw_fd(fd as RawFd) }
        }))
    }

    /// Returns when the process exits or after `at_most`, whichever comes first.
    fn wait(&self, at_most: Duration) {
        let Some(fd) = &self.0 else {
            std::thread::sleep(at_most);
            return;
        };
        let mut p = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = at_most.as_millis().clamp(1, i32::MAX as u128) as i32;
        // SAFETY: one valid pollfd; a timeout in milliseconds.
        unsafe {
            libc::poll(&mut p, 1, ms);
        }
    }
}

/// The exit code or signal of the snippet. bubblewrap exits with the snippet's code, or with
/// 128 + the signal that killed it, as a shell does; a signal to bubblewrap itself is ours.
fn ending(status: std::process::ExitStatus, isolated: bool) -> (Option<i32>, Option<i32>) {
    match (status.code(), status.signal()) {
        (Some(c), _) if isolated && (129..=128 + 64).contains(&c) => (None, Some(c - 128)),
        (code, signal) => (code, signal),
    }
}

/// The resident memory of `pid` and its descendants, in bytes (the watchdog's measure).
fn tree_resident_bytes(pid: libc::pid_t) -> u64 {
    tree_memory(pid).iter().map(|&(_, bytes)| bytes).sum()
}

/// `pid` and its descendants, each with its resident memory in bytes.
pub(crate) fn tree_memory(pid: libc::pid_t) -> Vec<(libc::pid_t, u64)> {
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as u64;
    let all = processes();
    let mut tree = vec![pid];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(all.iter().filter(|&&(_, pp)| pp == parent).map(|&(p, _)| p));
        i += 1;
    }
    tree.into_iter()
        .filter_map(|p| {
            let statm = std::fs::read_to_string(format!("/proc/{p}/statm")).ok()?;
            let pages = statm.split_whitespace().nth(1)?.parse::<u64>().ok()?;
            Some((p, pages * page))
        })
        .collect()
}

/// Reads the pipe to its end, keeping at most `cap` bytes and raising `over_cap` past it (the
/// rest is drained, so the writer is never blocked before the group is killed).
fn drain(mut reader: io::PipeReader, kept: &Mutex<Vec<u8>>, cap: usize, over_cap: &AtomicBool) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                let mut kept = kept.lock().unwrap_or_else(|e| e.into_inner());
                let room = cap.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
                if n > room {
                    over_cap.store(true, Ordering::Relaxed);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// Whether `pid` has exited, without reaping it (so its group id stays reserved).
pub(crate) fn has_exited(pid: libc::pid_t) -> bool {
    // SAFETY: a zeroed siginfo_t is a valid out-parameter; WNOWAIT leaves the child waitable.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        let r = libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        );
        r == 0 && info.si_pid() != 0
    }
}

/// SIGKILL to every process of the group led by `pid`.
pub(crate) fn kill_group(pid: libc::pid_t) {
    // SAFETY: kill has no memory-safety preconditions; ESRCH (group gone) is fine.
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
    }
}

/// The first uid runs take when vaultbook is root. Neither the range nor systemd's dynamic users
/// (61184–65519) hold regular accounts; uids that have one are skipped anyway.
pub(crate) const RUN_UID_FIRST: u32 = 61000;
/// How many run uids there are: more runs at a time than this wait for a free one.
const RUN_UIDS: u32 = 184;

/// A uid reserved for one run (root only): an exclusive `flock` on a lock file of its own, in a
/// directory only root can write to, so that two runs never share a uid, not even across
/// vaultbook processes. The lock goes with the process, so a crash cannot leak the slot. Outside
/// a jail, what a crashed vaultbook's run left running is killed when the uid is next reserved;
/// in a jail the PID namespace already ended it (and the sweeps, a fork and a /proc scan each,
/// would cost a run more than the jail does).
struct Slot {
    uid: u32,
    _lock: File,
    /// Whether the uid is swept (every process of it killed) when reserved and when released:
    /// needed only for runs outside a jail.
    sweeps: bool,
}

impl Slot {
    /// Reserves a free run uid, waiting while every one is in use, and sweeps it.
    fn acquire(sweeps: bool) -> io::Result<Slot> {
        static FREE: OnceLock<Vec<u32>> = OnceLock::new();
        let uids = FREE.get_or_init(|| {
            (RUN_UID_FIRST..RUN_UID_FIRST + RUN_UIDS)
                .filter(|&uid| !has_account(uid))
                .collect()
        });
        if uids.is_empty() {
            return Err(io::Error::other(format!(
                "every uid from {RUN_UID_FIRST} to {} has an account: none is free for snippets",
                RUN_UID_FIRST + RUN_UIDS - 1
            )));
        }
        let dir = lock_dir()?;
        loop {
            for &uid in uids {
                let lock = std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .mode(0o600)
                    .custom_flags(libc::O_NOFOLLOW)
                    .open(dir.join(uid.to_string()))?;
                // Each open is a lock of its own, also within this process.
                // SAFETY: flock on a descriptor we own.
                if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
                    let slot = Slot {
                        uid,
                        _lock: lock,
                        sweeps,
                    };
                    slot.sweep(true);
                    return Ok(slot);
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL to every process of the uid. With `until_gone`, sweeps until none is left alive
    /// (a fork loop adds processes while a sweep is under way), for at most about two seconds,
    /// and returns whether none is; zombies do not count (one whose parent was killed is init's
    /// to reap, and some inits are slow to, or never do).
    fn sweep(&self, until_gone: bool) -> bool {
        if !self.sweeps {
            return true;
        }
        if !until_gone {
            return sweep_uid(self.uid, 3);
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            if sweep_uid(self.uid, 20) || !alive(self.uid) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// Up to `rounds` of SIGKILL to every process of `uid`; true when none is left (zombies count).
/// `kill(-1, sig)` from a process whose real, effective and saved uids are all `uid` signals
/// exactly the processes whose real or saved uid is `uid` (a set-uid program started by the run
/// included; never init, never the caller), so the kill runs in a forked child that takes it.
fn sweep_uid(uid: u32, rounds: u32) -> bool {
    // SAFETY: the child calls only async-signal-safe functions (setgroups, setuid, kill,
    // nanosleep, _exit) on plain integers, allocates nothing and never returns.
    let child = unsafe { libc::fork() };
    if child == 0 {
        unsafe {
            if libc::setgroups(0, std::ptr::null()) != 0 || libc::setuid(uid) != 0 {
                libc::_exit(2);
            }
            let pause = libc::timespec {
                tv_sec: 0,
                tv_nsec: 200_000,
            };
            for round in 0..rounds {
                libc::kill(-1, libc::SIGKILL);
                if libc::kill(-1, 0) != 0 {
                    libc::_exit(0);
                }
                if round >= 3 {
                    libc::nanosleep(&pause, std::ptr::null_mut());
                }
            }
            libc::_exit(1);
        }
    }
    if child < 0 {
        return false;
    }
    let mut status = 0;
    // SAFETY: waits for the child forked above, with a valid out-parameter.
    while unsafe { libc::waitpid(child, &mut status, 0) } < 0 {
        if io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            return false;
        }
    }
    libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0
}

/// Whether a process whose real or saved uid is `uid` is alive (not a zombie).
fn alive(uid: u32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return true;
    };
    entries.flatten().any(|entry| {
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            return false;
        };
        let field = |key: &str| status.lines().find_map(|l| l.strip_prefix(key));
        // `Uid:` is real, effective, saved, filesystem.
        let ours = field("Uid:").is_some_and(|v| {
            let ids: Vec<&str> = v.split_whitespace().collect();
            let uid = uid.to_string();
            ids.first() == Some(&uid.as_str()) || ids.get(2) == Some(&uid.as_str())
        });
        let dead = field("State:").is_some_and(|v| {
            let v = v.trim_start();
            v.starts_with('Z') || v.starts_with('X')
        });
        ours && !dead
    })
}

impl Drop for Slot {
    fn drop(&mut self) {
        // Also on the error paths of a run; normally nothing is left, and this is a quick check.
        self.sweep(true);
    }
}

/// Whether `uid` belongs to an account (in /etc/passwd or another NSS source).
fn has_account(uid: u32) -> bool {
    // SAFETY: valid out-parameters and a buffer of the length passed.
    unsafe {
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        let mut buf = vec![0 as libc::c_char; 16 * 1024];
        libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut found) == 0
            && !found.is_null()
    }
}

/// The directory of the run uids' lock files: root's alone, or a user could hold every lock.
fn lock_dir() -> io::Result<PathBuf> {
    let dir = if Path::new("/run").is_dir() {
        PathBuf::from("/run/vaultbook-run-uids")
    } else {
        std::env::temp_dir().join("vaultbook-run-uids")
    };
    match std::fs::DirBuilder::new().mode(0o755).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    let meta = std::fs::symlink_metadata(&dir)?;
    if !meta.is_dir() || meta.uid() != 0 || meta.mode() & 0o022 != 0 {
        return Err(io::Error::other(format!(
            "{} is not a directory only root can write to",
            dir.display()
        )));
    }
    Ok(dir)
}

/// The inode of a pipe, to find who else holds it open.
fn inode(pipe: &io::PipeReader) -> Option<u64> {
    // SAFETY: fstat on a descriptor we own, with a valid out-parameter.
    unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        (libc::fstat(pipe.as_raw_fd(), &mut st) == 0).then_some(st.st_ino)
    }
}

/// The processes in /proc (the ones we may look at), with their parents.
fn processes() -> Vec<(libc::pid_t, libc::pid_t)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid = entry.file_name().to_str()?.parse::<libc::pid_t>().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // `pid (comm) state ppid …`: comm may hold spaces and parentheses.
            let ppid = stat[stat.rfind(')')? + 1..]
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some((pid, ppid))
        })
        .collect()
}

/// Without root, best effort: SIGKILL to the descendants of `pid`, found through their parents
/// in /proc, a few times over (they may be forking). Only reaches the ones whose chain of parents
/// is still unbroken, so it must run while `pid` is alive.
fn kill_descendants(pid: libc::pid_t) {
    for _ in 0..3 {
        let all = processes();
        let mut found = vec![pid];
        let mut i = 0;
        while i < found.len() {
            let parent = found[i];
            found.extend(
                all.iter()
                    .filter(|&&(p, pp)| pp == parent && !found.contains(&p))
                    .map(|&(p, _)| p)
                    .collect::<Vec<_>>(),
            );
            i += 1;
        }
        if found.len() == 1 {
            return;
        }
        for &p in &found[1..] {
            // SAFETY: kill has no memory-safety preconditions.
            unsafe {
                libc::kill(p, libc::SIGKILL);
            }
        }
    }
}

/// Without root, best effort: SIGKILL to the processes that hold the pipe `inode` open, other
/// than us and our own children (another run's child between fork and exec holds a copy for an
/// instant; a process of this run that left its group was reparented, so is not ours).
fn kill_pipe_holders(inode: u64) {
    let target = format!("pipe:[{inode}]");
    let me = std::process::id() as libc::pid_t;
    for _ in 0..3 {
        let mut killed = false;
        for (pid, ppid) in processes() {
            if pid == me || ppid == me {
                continue;
            }
            let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
                continue;
            };
            let holds = fds
                .flatten()
                .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l.as_os_str() == &*target));
            if holds {
                killed = true;
                // SAFETY: kill has no memory-safety preconditions.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                }
            }
        }
        if !killed {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// What the child does between fork and exec: a session of its own, rlimits, the cgroup, and
/// (as root) the run's uid. Plain numbers and descriptors prepared before the fork: nothing in
/// `apply` allocates.
pub(crate) struct RlimitPlan {
    /// RLIMIT_CPU, seconds.
    pub(crate) cpu: u64,
    /// RLIMIT_FSIZE, bytes.
    pub(crate) file_size: u64,
    /// RLIMIT_DATA, bytes.
    pub(crate) memory: u64,
    /// RLIMIT_NPROC.
    pub(crate) nproc: u64,
    /// The uid and gid to become (root only).
    pub(crate) user: Option<(u32, u32)>,
    /// `cgroup.procs` descriptors to join (before giving up root).
    pub(crate) cgroup: Vec<RawFd>,
}

impl RlimitPlan {
    /// Applies the plan in the child (called from `pre_exec`).
    pub(crate) fn apply(&self) -> io::Result<()> {
        // A new session: its own process group (the timeout kills the group) and no controlling
        // terminal, so a snippet can neither read the user's terminal nor scribble on it.
        // SAFETY: async-signal-safe; fails only for a group leader, which a fresh child is not.
        if unsafe { libc::setsid() } < 0 {
            return Err(io::Error::last_os_error());
        }
        // CPU: SIGXCPU at the soft limit, SIGKILL a second later.
        set(libc::RLIMIT_CPU, self.cpu, self.cpu + 1)?;
        set(libc::RLIMIT_FSIZE, self.file_size, self.file_size)?;
        // DATA, not AS: address space counts every thread's reserved stack and allocator arena.
        set(libc::RLIMIT_DATA, self.memory, self.memory)?;
        set(libc::RLIMIT_NPROC, self.nproc, self.nproc)?;
        set(libc::RLIMIT_CORE, 0, 0)?;
        cgroup::join(&self.cgroup)?;
        if let Some((uid, gid)) = self.user {
            // SAFETY: async-signal-safe calls on plain integers.
            unsafe {
                if libc::setgroups(0, std::ptr::null()) != 0
                    || libc::setgid(gid) != 0
                    || libc::setuid(uid) != 0
                {
                    return Err(io::Error::last_os_error());
                }
            }
        }
        Ok(())
    }
}

/// The type of setrlimit's first argument: glibc has its own enum, musl and the BSDs `int`.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
type Resource = libc::__rlimit_resource_t;
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
type Resource = libc::c_int;

fn set(resource: Resource, soft: u64, hard: u64) -> io::Result<()> {
    // Never above the current hard limit: without privileges, raising it fails (EPERM).
    let mut cur = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: a valid out-parameter.
    let max = if unsafe { libc::getrlimit(resource, &mut cur) } == 0 {
        cur.rlim_max
    } else {
        libc::RLIM_INFINITY
    };
    let hard = (hard as libc::rlim_t).min(max);
    let lim = libc::rlimit {
        rlim_cur: (soft as libc::rlim_t).min(hard),
        rlim_max: hard,
    };
    // SAFETY: a valid rlimit struct by reference.
    if unsafe { libc::setrlimit(resource, &lim) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `"uid:gid"` or a name from /etc/passwd → `(uid, gid)`.
fn resolve_user(user: &str) -> Option<(u32, u32)> {
    if let Some((u, g)) = user.split_once(':') {
        return Some((u.parse().ok()?, g.parse().ok()?));
    }
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut f = line.split(':');
        if f.next()? != user {
            return None;
        }
        let _password = f.next();
        Some((f.next()?.parse().ok()?, f.next()?.parse().ok()?))
    })
}

/// The number of tasks (threads included, as RLIMIT_NPROC counts them) of `uid` right now.
fn count_tasks(uid: u32) -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let mut total = 0;
    for entry in entries.flatten() {
        let name: OsString = entry.file_name();
        if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        let field = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse::<u64>().ok())
        };
        if field("Uid:") == Some(u64::from(uid)) {
            total += field("Threads:").unwrap_or(1);
        }
    }
    total
}

/// A short name for a signal number.
pub(crate) fn signal_name(sig: i32) -> String {
    match sig {
        libc::SIGABRT => "SIGABRT".into(),
        libc::SIGKILL => "SIGKILL".into(),
        libc::SIGSEGV => "SIGSEGV".into(),
        libc::SIGBUS => "SIGBUS".into(),
        libc::SIGXCPU => "SIGXCPU".into(),
        libc::SIGXFSZ => "SIGXFSZ".into(),
        libc::SIGTERM => "SIGTERM".into(),
        libc::SIGILL => "SIGILL".into(),
        libc::SIGFPE => "SIGFPE".into(),
        libc::SIGPIPE => "SIGPIPE".into(),
        n => format!("signal {n}"),
    }
}
