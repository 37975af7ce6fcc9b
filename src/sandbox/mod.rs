//! The isolation boundary around code from the vault: every compile (cargo, rustc, build scripts,
//! proc macros) and every run of a snippet happens inside a [`Jail`].
//!
//! The jail is [bubblewrap](https://github.com/containers/bubblewrap) (`bwrap`, Debian's
//! `bubblewrap`), the sandbox Flatpak is built on. It needs no daemon and no root: it works
//! through unprivileged user namespaces, and as root it creates the same namespaces. Each jailed
//! process tree gets:
//!
//! - new user, mount, PID, network, IPC, UTS and cgroup namespaces, no capabilities, no further
//!   user namespaces (`--disable-userns`) and a new session (no controlling terminal);
//! - a root file system of its own: a tmpfs holding read-only binds of only what the job needs
//!   (`/usr`, the toolchain, the dependency sources, the snippet's binary or project), private,
//!   size-limited `/tmp` and `/dev/shm`, a minimal `/dev` and a `/proc` that shows only the jail;
//! - no network at all (only a loopback device of its own);
//! - an environment of exactly the variables the caller lists;
//! - death with its parent (`--die-with-parent`): when vaultbook dies, or kills the jail's outer
//!   process, the PID namespace's init dies and the kernel kills everything left in it, so no
//!   process started in a jail outlives it, whoever it was started by.
//!
//! Limits that cover the whole tree (memory, number of tasks) come from a [`cgroup::Cgroup`] when
//! the machine lets us make one, and from per-process rlimits plus a watchdog otherwise.
//!
//! Why bubblewrap rather than our own namespace code: it is a small, audited setuid-free program
//! that has done exactly this for a decade, and getting mount propagation, `pivot_root`, `/proc`
//! in a PID namespace and the ordering of uid maps right by hand is where sandboxes break.
//! Landlock and seccomp alone cannot give a PID namespace (the exact "every process is gone"
//! guarantee) or a network namespace, so they would be a weaker fallback, not an equal one.

pub(crate) mod cgroup;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// How code from the vault is isolated in this process.
#[derive(Debug, Clone)]
pub enum Jail {
    /// Inside bubblewrap, at this path.
    Bubblewrap(PathBuf),
    /// Not isolated: no sandbox works here and the user said `--trust-snippets`.
    Trusted,
}

/// What a jailed process may see and do. Paths are bound at the same path inside, so that
/// compiler messages, panics and cargo's JSON name the same files as outside.
#[derive(Debug, Clone, Default)]
pub struct Spec {
    /// Host paths visible read-only (files or folders; missing ones are skipped).
    pub read_only: Vec<PathBuf>,
    /// Host folders visible read-write.
    pub read_write: Vec<PathBuf>,
    /// Host paths under a `read_write` folder made read-only again (bound after it).
    pub read_only_inside: Vec<PathBuf>,
    /// A file bound read-only at another path inside: `(host, inside)`.
    pub file_at: Option<(PathBuf, PathBuf)>,
    /// A private, empty tmpfs folder (made after the binds) to start in, when set.
    pub scratch: Option<PathBuf>,
    /// The working directory inside.
    pub cwd: PathBuf,
    /// The whole environment.
    pub env: Vec<(String, OsString)>,
    /// The size of each private tmpfs (`/tmp`, `/dev/shm`, the scratch folder), in bytes.
    pub tmpfs_size: u64,
}

impl Jail {
    /// The jail of this machine, probed once: bubblewrap if it is on PATH (or at `VAULTBOOK_BWRAP`)
    /// and can create the namespaces; otherwise `Trusted` when `trust` is set, else the reason
    /// there is no sandbox, in one line that says what to do.
    pub fn detect(trust: bool) -> Result<Jail, String> {
        static PROBE: OnceLock<Result<PathBuf, String>> = OnceLock::new();
        match PROBE.get_or_init(probe) {
            Ok(bwrap) => Ok(Jail::Bubblewrap(bwrap.clone())),
            Err(_) if trust => Ok(Jail::Trusted),
            Err(why) => Err(why.clone()),
        }
    }

    /// Whether code runs isolated.
    pub fn is_isolated(&self) -> bool {
        matches!(self, Jail::Bubblewrap(_))
    }

    /// A command that runs `program args` under `spec`. The caller sets stdio, rlimits and the
    /// process group; the command's environment is `spec.env` and nothing else.
    pub fn command(&self, spec: &Spec, program: &Path, args: &[OsString]) -> Command {
        match self {
            Jail::Bubblewrap(bwrap) => {
                let mut cmd = Command::new(bwrap);
                cmd.env_clear()
                    .args(bwrap_args(spec))
                    .arg(program)
                    .args(args);
                cmd
            }
            Jail::Trusted => {
                let mut cmd = Command::new(program);
                cmd.env_clear().args(args).current_dir(&spec.cwd);
                for (k, v) in &spec.env {
                    cmd.env(k, v);
                }
                cmd
            }
        }
    }
}

/// The bubblewrap arguments for `spec`, up to the program.
fn bwrap_args(spec: &Spec) -> Vec<OsString> {
    let mut a: Vec<OsString> = Vec::new();
    let mut push = |items: &[&dyn AsRef<std::ffi::OsStr>]| {
        a.extend(items.iter().map(|s| s.as_ref().to_os_string()));
    };
    push(&[
        &"--unshare-all",
        &"--unshare-user",
        &"--disable-userns",
        &"--die-with-parent",
        &"--new-session",
        &"--cap-drop",
        &"ALL",
        &"--hostname",
        &"vaultbook",
        &"--clearenv",
    ]);
    // The system's programs and libraries (the linker, libc), and the usual merged-/usr links.
    push(&[&"--ro-bind", &"/usr", &"/usr"]);
    for (link, to) in [
        ("/bin", "usr/bin"),
        ("/sbin", "usr/sbin"),
        ("/lib", "usr/lib"),
        ("/lib64", "usr/lib64"),
        ("/lib32", "usr/lib32"),
    ] {
        match std::fs::symlink_metadata(link) {
            Ok(m) if m.file_type().is_symlink() => push(&[&"--symlink", &to, &link]),
            Ok(m) if m.is_dir() => push(&[&"--ro-bind", &link, &link]),
            _ => {}
        }
    }
    // What the dynamic loader and `cc` (an alternatives link) read; nothing else of /etc.
    for etc in ["/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/alternatives"] {
        push(&[&"--ro-bind-try", &etc, &etc]);
    }
    push(&[&"--proc", &"/proc", &"--dev", &"/dev"]);
    let size = spec.tmpfs_size.max(1 << 20).to_string();
    for dir in ["/tmp", "/dev/shm"] {
        push(&[&"--size", &size, &"--tmpfs", &dir]);
    }
    for p in &spec.read_write {
        push(&[&"--bind", p, p]);
    }
    for p in spec.read_only.iter().chain(&spec.read_only_inside) {
        push(&[&"--ro-bind-try", p, p]);
    }
    if let Some((host, inside)) = &spec.file_at {
        push(&[&"--ro-bind", host, inside]);
    }
    if let Some(dir) = &spec.scratch {
        push(&[&"--size", &size, &"--tmpfs", dir]);
    }
    push(&[&"--chdir", &spec.cwd]);
    for (k, v) in &spec.env {
        push(&[&"--setenv", k, v]);
    }
    a.push("--".into());
    a
}

/// Finds bubblewrap and checks that it can create every namespace the jail uses.
fn probe() -> Result<PathBuf, String> {
    let bwrap = std::env::var_os("VAULTBOOK_BWRAP")
        .map(PathBuf::from)
        .or_else(|| find_on_path("bwrap"))
        .ok_or_else(|| {
            "no sandbox: bubblewrap (`bwrap`) is not installed; install it (Debian/Ubuntu: \
             `apt-get install bubblewrap`), or pass --trust-snippets to run the vault's code \
             without isolation"
                .to_string()
        })?;
    let jail = Jail::Bubblewrap(bwrap.clone());
    let spec = Spec {
        cwd: PathBuf::from("/"),
        tmpfs_size: 1 << 20,
        ..Spec::default()
    };
    let out = jail
        .command(&spec, Path::new("/bin/true"), &[])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            format!(
                "no sandbox: cannot run {}: {e}; install bubblewrap, or pass --trust-snippets to \
                 run the vault's code without isolation",
                bwrap.display()
            )
        })?;
    if !out.status.success() {
        return Err(format!(
            "no sandbox: {} cannot create namespaces here ({}); enable unprivileged user \
             namespaces, or pass --trust-snippets to run the vault's code without isolation",
            bwrap.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(bwrap)
}

/// The first `name` on the (trusted) PATH that is an executable file.
pub(crate) fn find_on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}
