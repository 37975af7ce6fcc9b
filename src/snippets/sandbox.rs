//! Runs one compiled snippet as a sandboxed process and records what happened.
//!
//! Each run gets a fresh working directory, an empty environment (only `RUST_BACKTRACE` and
//! `TMPDIR`), no stdin, its own session (a process group, no controlling terminal), rlimits set between fork and exec (CPU, file
//! size, data segment, processes, no core dumps) and a wall-clock timeout that SIGKILLs the whole
//! group: a deadlock uses no CPU, so RLIMIT_CPU alone would never end it. When vaultbook runs as
//! root the run also drops to an unprivileged user, because root ignores RLIMIT_NPROC and a fork
//! loop would otherwise fill the machine's process table before the timeout.
//!
//! stdout and stderr are the same pipe, so the output is in the exact order it was written
//! (Rust's stdout is line-buffered, stderr unbuffered); the price is that the two streams are
//! not told apart.

use std::ffi::OsString;
use std::io::{self, Read};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The limits of one run.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Wall-clock time before the process group is killed.
    pub timeout: Duration,
    /// Output bytes kept; past this the process group is killed.
    pub max_output: u64,
    /// RLIMIT_DATA in bytes.
    pub memory: u64,
    /// RLIMIT_CPU in seconds.
    pub cpu: u64,
    /// RLIMIT_FSIZE in bytes.
    pub file_size: u64,
    /// RLIMIT_NPROC: tasks of the running user, counted system-wide by the kernel.
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
}

/// A scratch area for one batch of runs: executables copied where the run user can reach them,
/// and one fresh working directory per run. Removed on drop.
#[derive(Debug)]
pub struct RunArea {
    base: PathBuf,
    counter: AtomicUsize,
    /// `(uid, gid)` to run as, when vaultbook is root.
    user: Option<(u32, u32)>,
    /// RLIMIT_NPROC for runs: the run user's current tasks plus the allowance.
    nproc: u64,
}

impl RunArea {
    /// Creates the area under the system temp dir. `user` is the `user` setting, used when root.
    pub fn new(user: &str, processes: u64) -> io::Result<RunArea> {
        let base = std::env::temp_dir().join(format!(
            "vaultbook-snippets-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        std::fs::create_dir_all(base.join("bin"))?;
        // Traversable by the run user; only we can write here.
        std::fs::set_permissions(&base, std::fs::Permissions::from_mode(0o755))?;
        std::fs::set_permissions(base.join("bin"), std::fs::Permissions::from_mode(0o755))?;
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        let user = if root {
            Some(resolve_user(user).unwrap_or((65534, 65534)))
        } else {
            None
        };
        // SAFETY: getuid has no preconditions.
        let uid = user.map_or_else(|| unsafe { libc::getuid() }, |(u, _)| u);
        let nproc = count_tasks(uid) + processes;
        Ok(RunArea {
            base,
            counter: AtomicUsize::new(0),
            user,
            nproc,
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

    /// A new, empty working directory owned by the run user.
    fn fresh_dir(&self) -> io::Result<PathBuf> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let dir = self.base.join(format!("run-{n}"));
        std::fs::create_dir(&dir)?;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
        if let Some((uid, gid)) = self.user {
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid))?;
        }
        Ok(dir)
    }

    /// Runs `exe` with the extra environment `env` under `limits`; never hangs past the timeout
    /// (plus a grace period if a process escaped the group and keeps the pipe open).
    pub fn run(&self, exe: &Path, env: &[(&str, &str)], limits: &Limits) -> io::Result<RunRecord> {
        let dir = self.fresh_dir()?;
        let result = self.run_in(&dir, exe, env, limits);
        let _ = std::fs::remove_dir_all(&dir);
        result
    }

    fn run_in(
        &self,
        dir: &Path,
        exe: &Path,
        env: &[(&str, &str)],
        limits: &Limits,
    ) -> io::Result<RunRecord> {
        let (reader, writer) = io::pipe()?;
        let mut cmd = Command::new(exe);
        cmd.current_dir(dir)
            .env_clear()
            .env("RUST_BACKTRACE", if limits.backtrace { "1" } else { "0" })
            .env("TMPDIR", dir)
            .stdin(Stdio::null())
            .stdout(writer.try_clone()?)
            .stderr(writer);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let rl = RlimitPlan {
            cpu: limits.cpu,
            file_size: limits.file_size,
            memory: limits.memory,
            nproc: self.nproc,
            user: self.user,
        };
        // SAFETY: the closure only calls async-signal-safe functions (setsid, setrlimit,
        // getrlimit, setgroups, setgid, setuid) and allocates nothing.
        unsafe {
            cmd.pre_exec(move || rl.apply());
        }
        let start = Instant::now();
        let mut child = cmd.spawn()?;
        // Our copies of the pipe's write end must go, or the reader never sees EOF.
        drop(cmd);
        let pid = child.id() as libc::pid_t;

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

        let mut timed_out = false;
        let mut killed_for_output = false;
        let mut pause = Duration::from_micros(500);
        let duration = loop {
            if has_exited(pid) {
                break start.elapsed();
            }
            if !killed_for_output && over_cap.load(Ordering::Relaxed) {
                killed_for_output = true;
                kill_group(pid);
            }
            if !timed_out && !killed_for_output && start.elapsed() >= limits.timeout {
                timed_out = true;
                kill_group(pid);
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(10));
        };
        // The leader is a zombie until reaped, so the group id cannot be reused yet: kill what
        // it left behind (background children, a fork loop) before reaping it.
        kill_group(pid);
        let status = child.wait()?;
        // Every writer is dead now; a process that left the group could still hold the pipe.
        let complete = done_rx.recv_timeout(Duration::from_secs(2)).is_ok();
        let bytes = std::mem::take(&mut *kept.lock().unwrap_or_else(|e| e.into_inner()));
        let mut output = String::from_utf8_lossy(&bytes).into_owned();
        if !complete {
            output.push_str("\n[vaultbook: a process left the sandbox and kept the output open]\n");
        }
        Ok(RunRecord {
            output,
            exit_code: status.code(),
            signal: status.signal(),
            duration_ms: duration.as_millis() as u64,
            timed_out,
            truncated: killed_for_output || over_cap.load(Ordering::Relaxed),
        })
    }
}

impl Drop for RunArea {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.base);
    }
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
fn has_exited(pid: libc::pid_t) -> bool {
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
fn kill_group(pid: libc::pid_t) {
    // SAFETY: kill has no memory-safety preconditions; ESRCH (group gone) is fine.
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
    }
}

/// The limits applied in the child between fork and exec (plain numbers: no allocation there).
#[derive(Clone, Copy)]
struct RlimitPlan {
    cpu: u64,
    file_size: u64,
    memory: u64,
    nproc: u64,
    user: Option<(u32, u32)>,
}

impl RlimitPlan {
    fn apply(self) -> io::Result<()> {
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
pub fn signal_name(sig: i32) -> String {
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
