//! Live-run Rust snippets: every ```rust block of the book is compiled and run at build time,
//! and what it printed is embedded under it.
//!
//! The steps, one file each: [`attrs`] reads the info string, [`source`] restores hidden lines
//! and adds `fn main`, [`cache`] finds earlier results by content, [`merge`] writes one cargo
//! project where mergeable snippets are modules of one binary per edition, [`compile`] builds it
//! with one cargo run (and compiles alone only what breaks the merged build), [`sandbox`] runs
//! each snippet in its own limited process, [`render`] judges the results and fills the
//! `snippet.html` template. A rebuild where nothing changed reads the cache and starts no
//! process at all, not even cargo.

pub mod attrs;
pub mod cache;
pub mod compile;
pub mod merge;
pub mod render;
pub mod sandbox;
pub mod settings;
pub mod source;

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::config::Config;
use crate::diagnostics::{Diagnostic, Span};

use self::attrs::Attrs;
use self::cache::{Cache, Compiled, Recorded};
use self::compile::UnitResult;
use self::merge::Unit;
use self::sandbox::{Limits, RunArea, RunRecord};
use self::settings::Settings;

pub use self::render::SNIPPET_CSS;

/// One ```rust block of a published note.
#[derive(Debug, Clone)]
pub struct SnippetRequest {
    /// The note, relative to the book root.
    pub file: PathBuf,
    /// The whole fenced block in the note (fence lines included).
    pub span: Span,
    /// The info string after the opening fence, as written (`rust,should_panic`).
    pub info: String,
    /// The block's content as written (hidden `# ` lines included).
    pub code: String,
}

/// How snippets are handled in this run.
#[derive(Debug, Clone, Copy, Default)]
pub struct SnippetOptions {
    /// Compile and run (false with `--no-run` or `enabled = false`).
    pub run: bool,
    /// Ignore cached results (`--rerun-snippets`).
    pub rerun: bool,
    /// Draw a progress bar on a terminal.
    pub progress: bool,
}

/// What a snippet contributes to its page.
#[derive(Debug, Clone, Default)]
pub struct SnippetOutcome {
    /// Markdown/HTML inserted right after the code block (empty for none), ending in a newline.
    pub markdown: String,
}

/// What a call to [`run_all_with_stats`] did, for tests, benchmarks and `--verbose` output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnippetStats {
    /// Requests seen.
    pub snippets: usize,
    /// Requests marked `ignore`.
    pub ignored: usize,
    /// Requests answered from the cache.
    pub cached: usize,
    /// Distinct units handed to the compiler (0 when everything was cached).
    pub compiled_units: usize,
    /// Times cargo was started (0 when everything was cached).
    pub cargo_runs: usize,
    /// Units that broke their merged binary and were compiled alone.
    pub fell_back: usize,
    /// Processes started to run snippets.
    pub runs: usize,
}

/// Whether a code block's info string makes it a Rust snippet.
pub fn is_snippet(info: &str) -> bool {
    let first = info
        .split(|c: char| c == ',' || c.is_whitespace())
        .next()
        .unwrap_or("");
    first == "rust"
}

/// Compiles and runs every snippet; one outcome per request, in order.
pub fn run_all(
    requests: &[SnippetRequest],
    config: &Config,
    tera: &tera::Tera,
    options: &SnippetOptions,
) -> (Vec<SnippetOutcome>, Vec<Diagnostic>) {
    let (outcomes, diags, _) = run_all_with_stats(requests, config, tera, options);
    (outcomes, diags)
}

/// One request, read and keyed.
struct Prepared {
    attrs: Attrs,
    /// The unit it compiles in (`None` for `ignore`).
    unit: Option<String>,
    key: String,
    threaded: bool,
    /// Measures time: run alone so that other runs do not distort its numbers.
    timing: bool,
}

/// [`run_all`], also saying what was done (cache hits, compilations, processes).
pub fn run_all_with_stats(
    requests: &[SnippetRequest],
    config: &Config,
    tera: &tera::Tera,
    options: &SnippetOptions,
) -> (Vec<SnippetOutcome>, Vec<Diagnostic>, SnippetStats) {
    let mut stats = SnippetStats {
        snippets: requests.len(),
        ..SnippetStats::default()
    };
    let (settings, mut diags) = Settings::from_table(&config.vaultbook.snippets);
    let mut outcomes = vec![SnippetOutcome::default(); requests.len()];
    if !options.run || !settings.enabled {
        // Nothing from the vault is executed, and nothing is said about it.
        return (outcomes, Vec::new(), stats);
    }
    let dir = config.work_dir.join("snippets");
    let project = dir.join("project");

    let mut prepared = Vec::with_capacity(requests.len());
    for req in requests {
        let (attrs, problems) = attrs::parse(&req.info);
        for p in problems {
            diags.push(
                Diagnostic::warning("unknown-snippet-attribute", p)
                    .in_file(req.file.clone())
                    .at(req.span)
                    .with_help(
                        "known: ignore, no_run, should_panic, compile_fail[,E0XXX], \
                         should_timeout, timeout=SECS, runs=N, editionYYYY, hide_output",
                    ),
            );
        }
        prepared.push((attrs, source::compiled_code(&req.code)));
    }
    if prepared.iter().all(|(a, _)| a.ignore) {
        stats.ignored = requests.len();
        return (outcomes, diags, stats);
    }

    let rustc = match rustc_version(&config.root) {
        Ok(v) => v,
        Err(why) => {
            not_run_everywhere(requests, &prepared, tera, &why, &mut outcomes, &mut diags);
            return (outcomes, diags, stats);
        }
    };
    let deps = toml::to_string(&settings.dependencies).unwrap_or_default();
    let limits_key = settings.cache_key();
    let mut unit_code: BTreeMap<String, String> = BTreeMap::new();
    let prepared: Vec<Prepared> = prepared
        .into_iter()
        .map(|(attrs, code)| {
            let edition = attrs.edition();
            let unit = (!attrs.ignore).then(|| {
                let h = cache::key(&["unit", edition.as_str(), &code]);
                format!("s_{}", &h[..16])
            });
            let key = cache::key(&[&rustc, &deps, &limits_key, &attrs.cache_key(), &code]);
            let threaded = [
                "thread::",
                "rayon",
                "par_iter",
                "crossbeam",
                "tokio",
                "spawn(",
            ]
            .iter()
            .any(|w| code.contains(w));
            let timing = ["Instant", "elapsed", "SystemTime"]
                .iter()
                .any(|w| code.contains(w));
            if let Some(u) = &unit {
                unit_code.insert(u.clone(), code);
            }
            Prepared {
                attrs,
                unit,
                key,
                threaded,
                timing,
            }
        })
        .collect();

    // Cache lookup.
    let store = Cache::new(&dir);
    let mut recorded: Vec<Option<Recorded>> = vec![None; requests.len()];
    for (i, p) in prepared.iter().enumerate() {
        if p.attrs.ignore {
            stats.ignored += 1;
        } else if !options.rerun
            && let Some(r) = store.get(&p.key)
        {
            recorded[i] = Some(r);
            stats.cached += 1;
        }
    }
    let misses: Vec<usize> = (0..requests.len())
        .filter(|&i| !prepared[i].attrs.ignore && recorded[i].is_none())
        .collect();

    let bar = progress_bar(options.progress);
    let mut infra: BTreeMap<usize, String> = BTreeMap::new();
    if !misses.is_empty() {
        // Units to compile, deduplicated; a unit is solo if any snippet using it must be.
        let mut units: BTreeMap<String, Unit> = BTreeMap::new();
        for &i in &misses {
            let p = &prepared[i];
            let Some(name) = &p.unit else { continue };
            let code = unit_code.get(name).cloned().unwrap_or_default();
            let solo = if p.attrs.compile_fail {
                Some("compile_fail".to_string())
            } else if p.attrs.standalone {
                Some("standalone_crate".to_string())
            } else {
                source::unmergeable_reason(&code).map(str::to_string)
            };
            let unit = units.entry(name.clone()).or_insert_with(|| Unit {
                name: name.clone(),
                edition: p.attrs.edition(),
                code,
                solo: None,
            });
            if unit.solo.is_none() {
                unit.solo = solo;
            }
        }
        let units: Vec<Unit> = units.into_values().collect();
        stats.compiled_units = units.len();
        let report = {
            let _lock = lock_project(&dir);
            if let Err(e) = std::fs::create_dir_all(&project) {
                let why = format!("cannot create {}: {e}", project.display());
                not_run_everywhere(requests, &[], tera, &why, &mut outcomes, &mut diags);
                return (outcomes, diags, stats);
            }
            compile::compile(&project, &settings.dependencies, &units, &|msg| {
                bar.set_message(msg.to_string());
                bar.tick();
            })
        };
        stats.cargo_runs = report.cargo_runs;
        stats.fell_back = report.fell_back.len();

        // The runs: every miss whose unit compiled and that runs its program, `runs` times.
        let area = match RunArea::new(&settings.user, settings.processes) {
            Ok(a) => Some(a),
            Err(e) => {
                for &i in &misses {
                    infra.insert(i, format!("cannot create a run directory: {e}"));
                }
                None
            }
        };
        let mut installed: BTreeMap<PathBuf, PathBuf> = BTreeMap::new();
        let mut jobs: Vec<Job> = Vec::new();
        for &i in &misses {
            let p = &prepared[i];
            let Some(name) = &p.unit else { continue };
            let compiled = match report.results.get(name) {
                Some(UnitResult::Binary { exe, merged }) => {
                    if p.attrs.runs_program()
                        && let Some(area) = &area
                    {
                        let path = match installed.get(exe) {
                            Some(p) => Some(p.clone()),
                            None => match area.install(exe, &file_name(exe)) {
                                Ok(p) => {
                                    installed.insert(exe.clone(), p.clone());
                                    Some(p)
                                }
                                Err(e) => {
                                    infra.insert(i, format!("cannot install the binary: {e}"));
                                    None
                                }
                            },
                        };
                        if let Some(path) = path {
                            let unit = units.iter().find(|u| &u.name == name);
                            let file = unit
                                .map(|u| merge::unit_path(u, *merged))
                                .unwrap_or_default();
                            for _ in 0..p.attrs.runs {
                                jobs.push(Job {
                                    request: i,
                                    exe: path.clone(),
                                    dispatch: merged.then(|| name.clone()),
                                    file: file.clone(),
                                    timeout: settings.timeout_for(p.attrs.timeout),
                                    alone: p.timing,
                                });
                            }
                        }
                    }
                    Compiled::Ok
                }
                Some(UnitResult::Failed { rendered, codes }) => Compiled::Error {
                    rendered: rendered.clone(),
                    codes: codes.clone(),
                },
                Some(UnitResult::Infra(why)) => {
                    infra.insert(i, why.clone());
                    Compiled::Ok
                }
                None => {
                    infra.insert(i, "the compiler was not run".into());
                    Compiled::Ok
                }
            };
            recorded[i] = Some(Recorded {
                compiled,
                runs: Vec::new(),
            });
        }
        if let Some(area) = &area {
            stats.runs = jobs.len();
            let results = run_jobs(area, &jobs, &settings, &bar);
            for (job, result) in jobs.iter().zip(results) {
                match result {
                    Ok(run) => {
                        if let Some(r) = recorded[job.request].as_mut() {
                            r.runs.push(run);
                        }
                    }
                    Err(e) => {
                        infra.insert(job.request, format!("cannot start the snippet: {e}"));
                    }
                }
            }
        }
        for &i in &misses {
            if let (Some(r), false) = (&recorded[i], infra.contains_key(&i)) {
                // A cache that cannot be written only costs time on the next build.
                let _ = store.put(&prepared[i].key, r);
            }
        }
    }
    bar.finish_and_clear();

    for (i, req) in requests.iter().enumerate() {
        let p = &prepared[i];
        if p.attrs.ignore {
            continue;
        }
        if let Some(why) = infra.get(&i) {
            not_run_one(req, tera, why, &mut outcomes[i], &mut diags);
            continue;
        }
        let Some(rec) = &recorded[i] else { continue };
        let judged = render::judge_recorded(rec, &p.attrs, p.threaded, &settings);
        if let Some(problem) = &judged.problem {
            diags.push(
                Diagnostic::new(problem.severity, problem.code, problem.message.clone())
                    .in_file(req.file.clone())
                    .at(req.span)
                    .with_help(problem.help.clone()),
            );
        }
        if p.attrs.hide_output && judged.problem.is_none() {
            continue;
        }
        match render::to_markdown(tera, &judged.view) {
            Ok(md) => outcomes[i].markdown = md,
            Err(e) => diags.push(
                Diagnostic::error("template-error", format!("templates/snippet.html: {e}"))
                    .in_file(req.file.clone())
                    .at(req.span),
            ),
        }
    }
    (outcomes, diags, stats)
}

/// One process to start.
struct Job {
    request: usize,
    exe: PathBuf,
    /// The unit to dispatch to, for merged binaries.
    dispatch: Option<String>,
    /// The unit's file in the project, rewritten to `src/main.rs` in the output.
    file: String,
    timeout: u64,
    alone: bool,
}

/// Runs the jobs: in parallel (`jobs` at a time), then those that measure time one by one.
fn run_jobs(
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

/// Makes a run's output independent of how it was built and of the OS: the unit's file in the
/// merged project is named `src/main.rs` (as if the snippet were a crate of its own), and the
/// thread id that panic messages carry since Rust 1.91 (`thread 'main' (4242) panicked`) is
/// dropped, so that `runs=N` compares what the program did, not which tid it got.
fn normalise_output(output: &str, unit_file: &str) -> String {
    let mut s = if unit_file.is_empty() {
        output.to_string()
    } else {
        output.replace(unit_file, "src/main.rs")
    };
    s = strip_ansi(&s);
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

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "snippet".into())
}

/// `rustc -vV`, which keys the cache: a new compiler means new results.
fn rustc_version(root: &Path) -> Result<String, String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let dir = if root.is_dir() { root } else { Path::new(".") };
    let out = Command::new(rustc)
        .arg("-vV")
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run rustc: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "rustc -vV failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Holds an exclusive lock on the project while it is written and compiled, so that two
/// vaultbook processes on the same book (`serve` and `build`) do not interleave their writes.
fn lock_project(dir: &Path) -> Option<std::fs::File> {
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

fn progress_bar(wanted: bool) -> indicatif::ProgressBar {
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

fn not_run_one(
    req: &SnippetRequest,
    tera: &tera::Tera,
    why: &str,
    outcome: &mut SnippetOutcome,
    diags: &mut Vec<Diagnostic>,
) {
    diags.push(
        Diagnostic::error(
            "snippet-not-run",
            format!("the snippet could not be run: {why}"),
        )
        .in_file(req.file.clone())
        .at(req.span)
        .with_help("check that cargo and rustc work, and the [vaultbook.snippets] dependencies"),
    );
    if let Ok(md) = render::to_markdown(tera, &render::not_run_view(why)) {
        outcome.markdown = md;
    }
}

fn not_run_everywhere(
    requests: &[SnippetRequest],
    prepared: &[(Attrs, String)],
    tera: &tera::Tera,
    why: &str,
    outcomes: &mut [SnippetOutcome],
    diags: &mut Vec<Diagnostic>,
) {
    for (i, req) in requests.iter().enumerate() {
        if prepared.get(i).is_some_and(|(a, _)| a.ignore) {
            continue;
        }
        not_run_one(req, tera, why, &mut outcomes[i], diags);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_ids_and_unit_files_are_normalised() {
        assert_eq!(strip_ansi("\x1b[1;31mred\x1b[0m ok"), "red ok");
        let out = "x\nthread 'main' (31729) panicked at src/merged2024/s_0.rs:4:14:\nboom\n\
                   thread '<unnamed>' (7) panicked at src/merged2024/s_0.rs:1:1:\n'a' (1) b\n";
        assert_eq!(
            normalise_output(out, "src/merged2024/s_0.rs"),
            "x\nthread 'main' panicked at src/main.rs:4:14:\nboom\n\
             thread '<unnamed>' panicked at src/main.rs:1:1:\n'a' (1) b\n"
        );
    }
}
