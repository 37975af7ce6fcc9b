//! Compiles units with one `cargo build --keep-going` over the shared project, and falls back
//! to compiling alone only the snippets that break a merged binary.
//!
//! Which snippet broke a merged binary is read from cargo's JSON diagnostics: each snippet is
//! its own module file, so an error's file name names the culprit. The culprits move to binaries
//! of their own and cargo runs again (the dependencies and unchanged targets are fresh by then).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::merge::{self, Unit};

/// Cargo runs at most: the first, retries without the culprits, and a last all-solo one.
const MAX_ROUNDS: usize = 5;

/// How a unit came out of compilation.
#[derive(Debug, Clone)]
pub enum UnitResult {
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
    /// Compilation could not be attempted (cargo missing, a dependency failed): not cached.
    Infra(String),
}

/// What a compile phase did.
#[derive(Debug, Default)]
pub struct CompileReport {
    /// One result per unit name.
    pub results: BTreeMap<String, UnitResult>,
    /// How many times cargo ran.
    pub cargo_runs: usize,
    /// Units that broke their merged binary and were compiled alone.
    pub fell_back: Vec<String>,
}

/// Compiles `units` in the project at `dir`. `on_step` hears what is happening (progress).
pub fn compile(
    dir: &Path,
    dependencies: &toml::Table,
    units: &[Unit],
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
        report.cargo_runs += 1;
        let out = match run_cargo(dir) {
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
                // Not rustc's doing: cargo or a dependency failed; solo would fail the same way.
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
pub fn lock_project(dir: &Path) -> Option<std::fs::File> {
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

/// The cargo to use: the one running us under `cargo test`/`cargo run`, else `cargo` on PATH.
pub fn cargo_program() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

fn run_cargo(dir: &Path) -> Result<CargoOutput, String> {
    let mut child = Command::new(cargo_program())
        .args([
            "build",
            "--keep-going",
            "--message-format=json",
            "--manifest-path",
        ])
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(dir.join("target"))
        .current_dir(dir)
        .env("CARGO_TERM_COLOR", "never")
        .env_remove("CARGO_TARGET_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    // stderr in a thread, so that neither pipe fills up and blocks cargo.
    let mut err_pipe = child.stderr.take();
    let err_thread = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(p) = err_pipe.as_mut() {
            let _ = p.read_to_string(&mut s);
        }
        s
    });
    let mut stdout = String::new();
    if let Some(mut p) = child.stdout.take() {
        let _ = p.read_to_string(&mut stdout);
    }
    let _ = child.wait();
    let mut out = CargoOutput {
        stderr: err_thread.join().unwrap_or_default(),
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
pub fn normalise(text: &str, dir: &Path, unit_file: &str) -> String {
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
pub fn replace_prefixed_dir(text: &str, marker: &str, with: &str) -> String {
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
