//! Runs the compiled snippets: each run a sandboxed process, in parallel except for the
//! snippets that measure time, which run alone so that other runs do not distort what they
//! measure; outputs are normalised so that they do not depend on how the snippet was built.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::run::{Limits, RunArea, RunRecord};
use super::settings::Settings;
use super::{compile, merge};

/// One process to start.
pub(crate) struct Job {
    /// The request it runs for.
    pub request: usize,
    /// The executable (installed in the run area).
    pub exe: PathBuf,
    /// The unit to dispatch to, for merged binaries.
    pub dispatch: Option<String>,
    /// The unit's file in the project, rewritten to `src/main.rs` in the output.
    pub file: String,
    /// Wall-clock seconds.
    pub timeout: u64,
    /// Measures time: run after the parallel ones, alone.
    pub alone: bool,
}

/// Runs the jobs: in parallel (`jobs` at a time), then those that measure time one by one.
pub(crate) fn run_jobs(
    area: &RunArea,
    jobs: &[Job],
    settings: &Settings,
    bar: &indicatif::ProgressBar,
) -> Vec<std::io::Result<RunRecord>> {
    if !bar.is_hidden() {
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} snippets [{bar:30}] {pos}/{len} {msg} ({elapsed})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
    }
    bar.set_length(jobs.len() as u64);
    bar.set_position(0);
    bar.set_message("running snippets");
    let results: Vec<Mutex<Option<std::io::Result<RunRecord>>>> =
        jobs.iter().map(|_| Mutex::new(None)).collect();
    let run_one = |j: usize| {
        let job = &jobs[j];
        let limits = Limits {
            timeout: Duration::from_secs(job.timeout),
            max_output: settings.max_output,
            memory: settings.memory,
            cpu: settings.cpu_for(job.timeout),
            file_size: settings.file_size,
            processes: settings.processes,
            backtrace: settings.backtrace,
        };
        let env: Vec<(&str, &str)> = job
            .dispatch
            .as_deref()
            .map(|d| vec![(merge::DISPATCH_VAR, d)])
            .unwrap_or_default();
        let result = area.run(&job.exe, &env, &limits).map(|mut r| {
            r.output = normalise_output(&r.output, &job.file);
            r
        });
        *results[j].lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
        bar.inc(1);
    };
    let parallel: Vec<usize> = (0..jobs.len()).filter(|&j| !jobs[j].alone).collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..settings.jobs.min(parallel.len()) {
            s.spawn(|| {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&j) = parallel.get(k) else { break };
                    run_one(j);
                }
            });
        }
    });
    for j in (0..jobs.len()).filter(|&j| jobs[j].alone) {
        run_one(j);
    }
    results
        .into_iter()
        .map(|m| {
            m.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .unwrap_or_else(|| Err(std::io::Error::other("not run")))
        })
        .collect()
}

/// Makes a run's output independent of how it was built and of the machine: the unit's file in
/// the merged project is named `src/main.rs` (as if the snippet were a crate of its own), the
/// standard library's and the registry's paths are shortened, and the
/// thread id that panic messages carry since Rust 1.91 (`thread 'main' (4242) panicked`) is
/// dropped, so that `runs=N` compares what the program did, not which tid it got.
pub(crate) fn normalise_output(output: &str, unit_file: &str) -> String {
    let mut s = if unit_file.is_empty() {
        output.to_string()
    } else {
        output.replace(unit_file, "src/main.rs")
    };
    s = strip_ansi(&s);
    // Panics inside std or a dependency name the machine's paths: shorten them as rustc's
    // errors are (`$RUST/library/std/...`, `$CARGO/rayon-1.10.0/...`).
    s = compile::replace_prefixed_dir(&s, "/rustc/", "$RUST/");
    s = compile::replace_prefixed_dir(&s, "/.cargo/registry/src/", "$CARGO/");
    let mut from = 0;
    while let Some(i) = s[from..].find("' (") {
        let at = from + i + 1;
        let rest = &s[at + 2..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && rest[digits..].starts_with(") panicked at") {
            s.replace_range(at..at + 3 + digits, "");
        }
        from = at;
    }
    s
}

/// Removes terminal escape sequences (`ESC [ ... letter`): a page is not a terminal, and the
/// escape character would show as garbage.
fn strip_ansi(s: &str) -> String {
    if !s.contains('\x1b') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else if c != '\x1b' {
            out.push(c);
        }
    }
    out
}

/// A progress bar on stderr when wanted and stderr is a terminal, else a hidden one.
pub(crate) fn progress_bar(wanted: bool) -> indicatif::ProgressBar {
    if !wanted || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    // A spinner while cargo compiles (its progress is not ours to count), a bar while running.
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} snippets: {msg} ({elapsed})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_ids_and_unit_files_are_normalised() {
        assert_eq!(strip_ansi("\x1b[1;31mred\x1b[0m ok"), "red ok");
        assert_eq!(
            normalise_output(
                "at /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/std/x.rs:1:2:",
                ""
            ),
            "at $RUST/library/std/x.rs:1:2:"
        );
        let out = "x\nthread 'main' (31729) panicked at src/merged2024/s_0.rs:4:14:\nboom\n\
                   thread '<unnamed>' (7) panicked at src/merged2024/s_0.rs:1:1:\n'a' (1) b\n";
        assert_eq!(
            normalise_output(out, "src/merged2024/s_0.rs"),
            "x\nthread 'main' panicked at src/main.rs:4:14:\nboom\n\
             thread '<unnamed>' panicked at src/main.rs:1:1:\n'a' (1) b\n"
        );
    }
}
