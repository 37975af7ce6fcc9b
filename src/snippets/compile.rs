//! Compiles units with one `cargo build --keep-going` over the shared project, and falls back
//! to compiling alone only the snippets that break a merged binary.
//!
//! Which snippet broke a merged binary is read from cargo's JSON diagnostics: each snippet is
//! its own module file, so an error's file name names the culprit. The culprits move to binaries
//! of their own and cargo runs again (the dependencies and unchanged targets are fresh by then).

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::merge::{self, Unit};
use super::run::{RlimitPlan, has_exited, kill_group, tree_memory};
use super::toolchain::Toolchain;
use crate::sandbox::cgroup::Cgroup;
use crate::sandbox::{Jail, Spec};

/// How compilations run: inside the jail, with the user's toolchain, under limits that cover
/// cargo, rustc, build scripts and proc macros together.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CompileContext<'a> {
    /// The isolation of every cargo run.
    pub jail: &'a Jail,
    /// The toolchain and dependency sources.
    pub toolchain: &'a Toolchain,
    /// Wall-clock limit of one cargo run.
    pub timeout: Duration,
    /// Memory of the whole compilation (cgroup), and RLIMIT_DATA of each process.
    pub memory: u64,
    /// Tasks of the whole compilation.
    pub processes: u64,
    /// `--release` when true (`profile = "release"`).
    pub release: bool,
}

/// Cargo runs at most: the first, retries without the culprits, and a last all-solo one.
const MAX_ROUNDS: usize = 5;

/// How a unit came out of compilation.
#[derive(Debug, Clone)]
pub(crate) enum UnitResult {
    /// It compiled into `exe`; `merged` says whether it is a module of a merged binary.
    Binary {
        /// The executable (a merged binary runs the unit named by `merge::DISPATCH_VAR`).
        exe: PathBuf,
        /// Whether `exe` is a merged binary.
        merged: bool,
    },
    /// rustc rejected it.
    Failed {
        /// rustc's rendered errors, normalised.
        rendered: String,
        /// The error codes among them.
        codes: Vec<String>,
    },
    /// Its compilation ran past the compile timeout and was stopped.
    TimedOut(u64),
    /// Compilation could not be attempted (cargo missing, a dependency failed): not cached.
    Infra(String),
}

/// What a compile phase did.
#[derive(Debug, Default)]
pub(crate) struct CompileReport {
    /// One result per unit name.
    pub results: BTreeMap<String, UnitResult>,
    /// How many times cargo ran.
    pub cargo_runs: usize,
    /// Units that broke their merged binary and were compiled alone.
    pub fell_back: Vec<String>,
}

/// Compiles `units` in the project at `dir`. `on_step` hears what is happening (progress).
pub(crate) fn compile(
    dir: &Path,
    dependencies: &toml::Table,
    units: &[Unit],
    ctx: &CompileContext,
    on_step: &dyn Fn(&str),
) -> CompileReport {
    let mut report = CompileReport::default();
    let mut solo: BTreeSet<String> = units
        .iter()
        .filter(|u| u.solo.is_some())
        .map(|u| u.name.clone())
        .collect();
    // Each round either succeeds or moves at least one unit to solo. When errors keep hiding
    // one another, the next-to-last round sends a failing merged binary's units all solo, so
    // the last round always compiles whatever is left.
    for round in 0..MAX_ROUNDS {
        let merged_units: Vec<&Unit> = units.iter().filter(|u| !solo.contains(&u.name)).collect();
        let solo_units: Vec<&Unit> = units.iter().filter(|u| solo.contains(&u.name)).collect();
        if let Err(e) = merge::write_project(dir, dependencies, &merged_units, &solo_units) {
            return all_infra(
                units,
                format!("cannot write the snippets project: {e}"),
                report,
            );
        }
        on_step(&format!(
            "compiling {} snippet(s): {} merged, {} alone",
            units.len(),
            merged_units.len(),
            solo_units.len()
        ));
        if let Err(e) = fetch(dir, dependencies, ctx.toolchain) {
            return all_infra(units, e, report);
        }
        report.cargo_runs += 1;
        let out = match run_cargo(dir, ctx) {
            Ok(o) => o,
            Err(e) => return all_infra(units, e, report),
        };
        let editions: BTreeSet<_> = merged_units.iter().map(|u| u.edition).collect();
        let mut retry = false;
        for edition in editions {
            let bin = merge::merged_bin(edition);
            if out.executables.contains_key(&bin) {
                continue;
            }
            let members: Vec<&&Unit> = merged_units
                .iter()
                .filter(|u| u.edition == edition)
                .collect();
            let errors = out.errors.get(&bin).map(Vec::as_slice).unwrap_or(&[]);
            if errors.is_empty() {
                if out.timed_out || out.crashed {
                    // A hang or a crash of the compiler names no file: which snippet caused it
                    // is unknown, so each compiles alone next, where only the culprit fails.
                    solo.extend(members.iter().map(|u| u.name.clone()));
                    retry = true;
                }
                // Otherwise not rustc's doing: cargo or a dependency failed; solo would fail
                // the same way.
                continue;
            }
            let culprits: BTreeSet<String> = errors
                .iter()
                .flat_map(|e| e.files.iter())
                .filter_map(|f| unit_name_in(f))
                .filter(|n| members.iter().any(|u| &u.name == n))
                .collect();
            if culprits.is_empty() || round + 2 >= MAX_ROUNDS {
                solo.extend(members.iter().map(|u| u.name.clone()));
            } else {
                solo.extend(culprits.iter().cloned());
            }
            report.fell_back.extend(culprits);
            retry = true;
        }
        if retry && round + 1 < MAX_ROUNDS {
            continue;
        }
        for u in units {
            let merged = !solo.contains(&u.name);
            let target = if merged {
                merge::merged_bin(u.edition)
            } else {
                u.name.clone()
            };
            let result = if let Some(exe) = out.executables.get(&target) {
                UnitResult::Binary {
                    exe: exe.clone(),
                    merged,
                }
            } else if let Some(errors) = out.errors.get(&target).filter(|_| !merged) {
                let rendered = errors
                    .iter()
                    .map(|e| normalise(&e.rendered, dir, &merge::unit_path(u, false)))
                    .collect::<Vec<_>>()
                    .join("");
                let mut codes: Vec<String> = errors.iter().filter_map(|e| e.code.clone()).collect();
                codes.dedup();
                UnitResult::Failed { rendered, codes }
            } else if out.timed_out && !merged {
                UnitResult::TimedOut(ctx.timeout.as_secs())
            } else if out.crashed && !merged && out.stderr.contains(&u.name) {
                UnitResult::Failed {
                    rendered: format!(
                        "error: the compiler was stopped: it ran out of memory or crashed \
                         (the compile-memory limit is {} MiB)\n{}\n",
                        ctx.memory >> 20,
                        out.stderr_tail(dir)
                    ),
                    codes: Vec::new(),
                }
            } else {
                UnitResult::Infra(out.stderr_tail(dir))
            };
            report.results.insert(u.name.clone(), result);
        }
        report.fell_back.sort();
        report.fell_back.dedup();
        return report;
    }
    all_infra(units, "the merged build kept failing".into(), report)
}

fn all_infra(units: &[Unit], why: String, mut report: CompileReport) -> CompileReport {
    for u in units {
        report
            .results
            .insert(u.name.clone(), UnitResult::Infra(why.clone()));
    }
    report
}

/// The unit named by a source file path (`src/merged2024/s_0123456789abcdef.rs`).
fn unit_name_in(file: &str) -> Option<String> {
    let stem = Path::new(file).file_stem()?.to_str()?;
    let hex = stem.strip_prefix("s_")?;
    (hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| stem.to_string())
}

/// Holds an exclusive lock on the project while it is written and compiled, so that two
/// vaultbook processes on the same book (`serve` and `build`) do not interleave their writes.
pub(crate) fn lock_project(dir: &Path) -> Option<std::fs::File> {
    use std::os::fd::AsRawFd;
    std::fs::create_dir_all(dir).ok()?;
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(".lock"))
        .ok()?;
    // SAFETY: flock on an open descriptor; released when the file is closed.
    unsafe {
        libc::flock(f.as_raw_fd(), libc::LOCK_EX);
    }
    Some(f)
}

/// One error-level compiler message.
#[derive(Debug)]
struct CompilerError {
    rendered: String,
    code: Option<String>,
    files: Vec<String>,
}

/// What one cargo run produced, by target name.
#[derive(Debug, Default)]
struct CargoOutput {
    executables: BTreeMap<String, PathBuf>,
    errors: BTreeMap<String, Vec<CompilerError>>,
    stderr: String,
    /// Stopped at the compile timeout.
    timed_out: bool,
    /// A compiler process was killed (out of memory) or died of a signal.
    crashed: bool,
}

impl CargoOutput {
    /// The end of cargo's own stderr, for failures that are not rustc errors.
    fn stderr_tail(&self, dir: &Path) -> String {
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.trim_start().starts_with("Compiling") && !l.trim().is_empty())
            .collect();
        let tail = lines[lines.len().saturating_sub(15)..].join("\n");
        if tail.is_empty() {
            "cargo produced no executable".into()
        } else {
            normalise(&tail, dir, "")
        }
    }
}

/// Makes `Cargo.lock` and downloads the dependencies, on the host: the only step with network.
/// It runs no code from any crate (no build script, no proc macro), reads no repository config
/// (its working directory is `/`), and is skipped while the dependencies are unchanged.
fn fetch(dir: &Path, dependencies: &toml::Table, toolchain: &Toolchain) -> Result<(), String> {
    let stamp_path = dir.join(".vaultbook-fetched");
    let stamp = format!(
        "{}\n{}",
        toml::to_string(dependencies).unwrap_or_default(),
        toolchain.version
    );
    if dir.join("Cargo.lock").is_file()
        && std::fs::read_to_string(&stamp_path).is_ok_and(|s| s == stamp)
    {
        return Ok(());
    }
    let mut cmd = Command::new(&toolchain.cargo);
    cmd.arg("fetch")
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .current_dir("/")
        .env("RUSTC", &toolchain.rustc)
        .env("CARGO_TERM_COLOR", "never")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let (child, _group) =
        crate::interrupt::spawn_group(&mut cmd).map_err(|e| format!("cannot run cargo: {e}"))?;
    let out = child
        .wait_with_output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo could not fetch the dependencies\n{}",
            normalise(String::from_utf8_lossy(&out.stderr).trim(), dir, "")
        ));
    }
    let _ = std::fs::write(&stamp_path, stamp);
    Ok(())
}

/// The jail of a compilation: the toolchain and dependency sources read-only, the project
/// writable but for its sources and manifest, and nothing else of the host.
fn compile_spec(dir: &Path, ctx: &CompileContext) -> Spec {
    let mut read_write = vec![dir.to_path_buf()];
    read_write.extend(ctx.toolchain.wrapper_dirs.iter().cloned());
    Spec {
        read_only: ctx.toolchain.read_only_paths(),
        read_write,
        read_only_inside: ["src", "Cargo.toml", "Cargo.lock"]
            .iter()
            .map(|f| dir.join(f))
            .collect(),
        cwd: dir.to_path_buf(),
        env: ctx.toolchain.compile_env(&dir.join("target")),
        tmpfs_size: ctx.memory,
        ..Spec::default()
    }
}

fn run_cargo(dir: &Path, ctx: &CompileContext) -> Result<CargoOutput, String> {
    let args: Vec<OsString> = [
        "build",
        "--keep-going",
        "--locked",
        "--offline",
        "--message-format=json",
        "--manifest-path",
    ]
    .iter()
    .map(OsString::from)
    .chain([dir.join("Cargo.toml").into_os_string()])
    .chain(ctx.release.then(|| OsString::from("--release")))
    .collect();
    let mut cmd = ctx
        .jail
        .command(&compile_spec(dir, ctx), &ctx.toolchain.cargo, &args);
    // From `/`, jailed or not: cargo reads `.cargo/config.toml` from its working directory up,
    // and the project lives inside the (untrusted) book.
    cmd.current_dir("/");
    let cgroup = Cgroup::create(ctx.memory, ctx.processes);
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
    // SAFETY: getuid has no preconditions.
    let root = unsafe { libc::getuid() } == 0;
    let plan = RlimitPlan {
        cpu: ctx.timeout.as_secs() * cpus + 1,
        // Dependencies' rlibs can be large; this only stops a runaway writer.
        file_size: 8 << 30,
        memory: ctx.memory,
        // Root is exempt from RLIMIT_NPROC; the cgroup counts tasks there.
        nproc: if root {
            ctx.processes
        } else {
            ctx.processes + 4096
        },
        user: None,
        cgroup: cgroup.as_ref().map(Cgroup::join_fds).unwrap_or_default(),
    };
    // SAFETY: the closure only makes async-signal-safe calls and allocates nothing.
    unsafe {
        cmd.pre_exec(move || plan.apply());
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let pid = child.id() as libc::pid_t;
    let _group = crate::interrupt::kill_on_exit(pid);
    // Both pipes in threads, so that neither fills up and blocks cargo while we watch the clock.
    let mut err_pipe = child.stderr.take();
    let err_thread = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(p) = err_pipe.as_mut() {
            let _ = p.read_to_string(&mut s);
        }
        s
    });
    let mut out_pipe = child.stdout.take();
    let out_thread = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(p) = out_pipe.as_mut() {
            let _ = p.read_to_string(&mut s);
        }
        s
    });
    let start = Instant::now();
    let mut timed_out = false;
    let mut over_memory = false;
    let mut next_memory_check = start;
    while !has_exited(pid) {
        if start.elapsed() >= ctx.timeout {
            timed_out = true;
            break;
        }
        // Without a cgroup, the memory of the whole compilation (cargo, every rustc, build
        // scripts) is summed here: rlimits alone would let each process have it all.
        // As the kernel's OOM killer would, the largest process goes (the culprit's rustc, so
        // that cargo names the snippet), and the compilation goes on without it.
        if cgroup.is_none() && Instant::now() >= next_memory_check {
            next_memory_check = Instant::now() + Duration::from_millis(50);
            let tree = tree_memory(pid);
            if tree.iter().map(|&(_, b)| b).sum::<u64>() > ctx.memory
                && let Some(&(largest, _)) = tree.iter().max_by_key(|&&(_, b)| b)
            {
                over_memory = true;
                // SAFETY: kill has no memory-safety preconditions.
                unsafe {
                    libc::kill(largest, libc::SIGKILL);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    // Whatever is left of the compilation goes: the jail's PID namespace ends with its leader.
    kill_group(pid);
    let oom = over_memory || cgroup.as_ref().is_some_and(Cgroup::oom_killed);
    drop(cgroup);
    let _ = child.wait();
    let stdout = out_thread.join().unwrap_or_default();
    let stderr = err_thread.join().unwrap_or_default();
    let crashed = oom || stderr.contains("(signal: ");
    let mut out = CargoOutput {
        stderr,
        timed_out,
        crashed,
        ..CargoOutput::default()
    };
    for line in stdout.lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let target = msg["target"]["name"].as_str().unwrap_or("").to_string();
        match msg["reason"].as_str() {
            Some("compiler-artifact") => {
                if let Some(exe) = msg["executable"].as_str() {
                    out.executables.insert(target, PathBuf::from(exe));
                }
            }
            Some("compiler-message") => {
                let m = &msg["message"];
                if m["level"].as_str() != Some("error") {
                    continue;
                }
                let text = m["message"].as_str().unwrap_or("");
                if text.starts_with("aborting due to") {
                    continue;
                }
                let files = m["spans"]
                    .as_array()
                    .map(|spans| {
                        spans
                            .iter()
                            .filter_map(|s| s["file_name"].as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                out.errors.entry(target).or_default().push(CompilerError {
                    rendered: m["rendered"].as_str().unwrap_or(text).to_string(),
                    code: m["code"]["code"].as_str().map(str::to_string),
                    files,
                });
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Makes compiler text independent of where things are on this machine, as trybuild does: the
/// snippet's file becomes `src/main.rs`, the project `$DIR`, registry sources `$CARGO`, the
/// standard library `$RUST`.
pub(crate) fn normalise(text: &str, dir: &Path, unit_file: &str) -> String {
    let mut s = text.to_string();
    if !unit_file.is_empty() {
        s = s.replace(unit_file, "src/main.rs");
    }
    let dir = dir.to_string_lossy();
    if !dir.is_empty() {
        s = s.replace(&*dir, "$DIR");
    }
    s = replace_prefixed_dir(&s, "/.cargo/registry/src/", "$CARGO/");
    s = replace_prefixed_dir(&s, "/rustc/", "$RUST/");
    s
}

/// Replaces `<anything>{marker}<one path component>/` with `with`, for machine-specific roots
/// (`/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/` → `$CARGO/`).
pub(crate) fn replace_prefixed_dir(text: &str, marker: &str, with: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(marker) {
        // The path starts after the last whitespace before the marker.
        let start = rest[..i]
            .rfind(|c: char| c.is_whitespace() || c == '(' || c == '`')
            .map_or(0, |p| p + 1);
        let after = &rest[i + marker.len()..];
        let Some(slash) = after.find('/') else {
            break;
        };
        if after[..slash].contains(char::is_whitespace) {
            out.push_str(&rest[..i + marker.len()]);
            rest = after;
            continue;
        }
        out.push_str(&rest[..start]);
        out.push_str(with);
        rest = &after[slash + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_paths_are_normalised() {
        let t = " --> src/solo/s_0123456789abcdef.rs:3:5\n  at /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/itoa-1.0.0/src/lib.rs:1\n /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/std/src/thread/mod.rs:5\n/w/snip/x";
        let n = normalise(t, Path::new("/w/snip"), "src/solo/s_0123456789abcdef.rs");
        assert_eq!(
            n,
            " --> src/main.rs:3:5\n  at $CARGO/itoa-1.0.0/src/lib.rs:1\n $RUST/library/std/src/thread/mod.rs:5\n$DIR/x"
        );
        assert_eq!(
            unit_name_in("src/merged2024/s_0123456789abcdef.rs").as_deref(),
            Some("s_0123456789abcdef")
        );
        assert_eq!(unit_name_in("src/merged2024/main.rs"), None);
    }
}
