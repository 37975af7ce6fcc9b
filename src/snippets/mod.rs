//! Live-run Rust snippets: every ```rust block of the book is compiled and run at build time,
//! and what it printed is embedded under it.
//!
//! The steps, one file each: [`settings`] reads `[vaultbook.snippets]`, [`attrs`] the info
//! string, [`source`] restores hidden lines and adds `fn main`, [`plan`] keys each snippet and
//! groups them into compilation units, [`cache`] finds earlier results by content, [`merge`]
//! writes one cargo project where mergeable snippets are modules of one binary per edition,
//! [`compile`] builds it with one cargo run (and compiles alone only what breaks the merged
//! build), [`runner`] and [`run`] run each snippet in its own jail, [`render`] judges the
//! results and fills the `snippet.html` template. [`toolchain`] finds cargo and rustc from the
//! user's environment, never from the repository. A rebuild where nothing changed reads the cache
//! and starts no process at all, not even cargo.
//!
//! Compilation and runs both happen inside [`crate::sandbox`]'s jail: the vault's code is a
//! stranger's program, and so are the build scripts and proc macros of the dependencies it names.
//! Where no jail can be made, nothing is compiled or run unless the user says `--trust-snippets`.

pub(crate) mod attrs;
pub(crate) mod cache;
pub(crate) mod compile;
pub(crate) mod linking;
pub(crate) mod merge;
pub(crate) mod plan;
pub(crate) mod render;
pub(crate) mod run;
pub(crate) mod runner;
pub(crate) mod seal;
pub(crate) mod settings;
pub(crate) mod source;
pub(crate) mod toolchain;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::diagnostics::{Code, Diagnostic, Span};

use self::cache::{Cache, Compiled, Recorded};
use self::compile::{CompileContext, UnitResult};
use self::plan::Prepared;
use self::run::RunArea;
use self::runner::Job;
use self::settings::Settings;
use self::toolchain::Toolchain;
use crate::sandbox::Jail;

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
    /// `--trust-snippets`: where no sandbox can be made, run the vault's code without one.
    pub trust: bool,
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
pub(crate) fn is_snippet(info: &str) -> bool {
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
    let mut outcomes = vec![SnippetOutcome::default(); requests.len()];
    let (settings, mut diags) = Settings::from_table(&config.vaultbook.snippets);
    if !options.run || !settings.enabled {
        // Nothing from the vault is executed, and nothing is said about it.
        return (outcomes, Vec::new(), stats);
    }
    stats.ignored = requests
        .iter()
        .filter(|r| attrs::parse(&r.info).0.ignore)
        .count();
    if stats.ignored == requests.len() {
        diags.extend(plan::attribute_diagnostics(requests));
        return (outcomes, diags, stats);
    }
    let rustc = match toolchain::version() {
        Ok(v) => v,
        Err(why) => {
            diags.extend(plan::attribute_diagnostics(requests));
            let all: Vec<usize> = (0..requests.len()).collect();
            let infra = all.iter().map(|&i| (i, why.clone())).collect();
            report_not_run(requests, &all, &infra, tera, &mut outcomes, &mut diags);
            return (outcomes, diags, stats);
        }
    };
    let (prepared, attr_diags) = plan::prepare(requests, &settings, rustc);
    diags.extend(attr_diags);

    // The cache answers what it can.
    let dir = config.work_dir.join("snippets");
    let store = Cache::new(&dir);
    let mut recorded: Vec<Option<Recorded>> = vec![None; requests.len()];
    if !options.rerun {
        for (i, p) in prepared.iter().enumerate() {
            if !p.attrs.ignore {
                recorded[i] = store.get(&p.key);
            }
        }
    }
    stats.cached = recorded.iter().filter(|r| r.is_some()).count();
    let misses: Vec<usize> = (0..requests.len())
        .filter(|&i| !prepared[i].attrs.ignore && recorded[i].is_none())
        .collect();

    // Everything else is compiled, run and stored.
    let mut infra: BTreeMap<usize, String> = BTreeMap::new();
    let mut no_jail: Option<String> = None;
    let jail = if misses.is_empty() {
        None
    } else {
        match Jail::detect(options.trust) {
            Ok(jail) => Some(jail),
            Err(why) => {
                // One line for the book, not one per snippet: the machine is the problem.
                diags.push(
                    Diagnostic::new(Code::SnippetSandbox, why.clone()).with_help(
                        "the snippets of this book were not compiled or run; their pages say so",
                    ),
                );
                no_jail = Some(why);
                None
            }
        }
    };
    let toolchain = match &jail {
        Some(_) => match Toolchain::get() {
            Ok(t) => Some(t),
            Err(why) => {
                for &i in &misses {
                    infra.insert(i, why.clone());
                }
                None
            }
        },
        None => None,
    };
    if let (Some(jail), Some(toolchain)) = (&jail, toolchain) {
        let bar = runner::progress_bar(options.progress);
        // Identical snippets (same key: an embed shows a note twice) are compiled and run once.
        let mut first_of: BTreeMap<&str, usize> = BTreeMap::new();
        let distinct: Vec<usize> = misses
            .iter()
            .copied()
            .filter(|&i| *first_of.entry(prepared[i].key.as_str()).or_insert(i) == i)
            .collect();
        let ctx = CompileContext {
            jail,
            toolchain,
            timeout: std::time::Duration::from_secs(settings.compile_timeout),
            memory: settings.compile_memory,
            processes: settings.processes,
            release: settings.profile == settings::Profile::Release,
        };
        compile_and_run(
            &prepared,
            &distinct,
            &settings,
            &ctx,
            &dir,
            &bar,
            &mut recorded,
            &mut infra,
            &mut stats,
        );
        bar.finish_and_clear();
        for &i in &misses {
            let first = first_of[prepared[i].key.as_str()];
            if first != i {
                recorded[i] = recorded[first].clone();
                if let Some(why) = infra.get(&first).cloned() {
                    infra.insert(i, why);
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

    // Judge and render, in request order.
    for (i, req) in requests.iter().enumerate() {
        let p = &prepared[i];
        let Some(rec) = recorded[i].as_ref().filter(|_| !infra.contains_key(&i)) else {
            continue;
        };
        let judged = render::judge_recorded(rec, &p.attrs, p.threaded, &settings);
        if let Some(problem) = &judged.problem {
            diags.push(
                Diagnostic::new(problem.code, problem.message.clone())
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
                Diagnostic::new(Code::TemplateError, format!("templates/snippet.html: {e}"))
                    .in_file(req.file.clone())
                    .at(req.span),
            ),
        }
    }
    report_not_run(requests, &misses, &infra, tera, &mut outcomes, &mut diags);
    if let Some(why) = &no_jail
        && let Ok(md) = render::to_markdown(tera, &render::not_run_view(why))
    {
        for &i in &misses {
            outcomes[i].markdown = md.clone();
        }
    }
    (outcomes, diags, stats)
}

/// Compiles the units of the `misses` (one cargo run, plus fallbacks), then runs what compiled.
/// Fills `recorded` for each miss; `infra` gets the misses that could not be attempted.
#[allow(clippy::too_many_arguments)]
fn compile_and_run(
    prepared: &[Prepared],
    misses: &[usize],
    settings: &Settings,
    ctx: &CompileContext,
    dir: &Path,
    bar: &indicatif::ProgressBar,
    recorded: &mut [Option<Recorded>],
    infra: &mut BTreeMap<usize, String>,
    stats: &mut SnippetStats,
) {
    let units = plan::units(prepared, misses);
    stats.compiled_units = units.len();
    let project = dir.join("project");
    let report = {
        let _lock = compile::lock_project(dir);
        // A project folder that came with the repository (prebuilt binaries, forged
        // fingerprints) is not ours: it is rebuilt from nothing.
        if let Err(e) = seal::Seal::get().claim_dir(&project) {
            for &i in misses {
                infra.insert(i, format!("cannot create {}: {e}", project.display()));
            }
            return;
        }
        compile::compile(&project, &settings.dependencies, &units, ctx, &|msg| {
            bar.set_message(msg.to_string());
            bar.tick();
        })
    };
    stats.cargo_runs = report.cargo_runs;
    stats.fell_back = report.fell_back.len();

    let area = match RunArea::new(&settings.user, settings.processes, ctx.jail.clone()) {
        Ok(a) => Some(a),
        Err(e) => {
            for &i in misses {
                infra.insert(i, format!("cannot create a run directory: {e}"));
            }
            None
        }
    };
    // Binaries are copied into the run area once each, then run `runs` times per snippet.
    let mut installed: BTreeMap<PathBuf, PathBuf> = BTreeMap::new();
    let mut jobs: Vec<Job> = Vec::new();
    for &i in misses {
        let p = &prepared[i];
        let Some(unit) = units.iter().find(|u| Some(&u.name) == p.unit.as_ref()) else {
            continue;
        };
        let compiled = match report.results.get(&unit.name) {
            Some(UnitResult::Binary { exe, merged }) => {
                if p.attrs.runs_program()
                    && let Some(area) = &area
                {
                    let path = match installed.get(exe) {
                        Some(path) => Ok(path.clone()),
                        None => area.install(exe, &plan::file_name(exe)).inspect(|path| {
                            installed.insert(exe.clone(), path.clone());
                        }),
                    };
                    match path {
                        Ok(path) => jobs.extend((0..p.attrs.runs).map(|_| Job {
                            request: i,
                            exe: path.clone(),
                            dispatch: merged.then(|| unit.name.clone()),
                            file: merge::unit_path(unit, *merged),
                            timeout: settings.timeout_for(p.attrs.timeout),
                            alone: p.timing,
                        })),
                        Err(e) => {
                            infra.insert(i, format!("cannot install the binary: {e}"));
                        }
                    }
                }
                Compiled::Ok
            }
            Some(UnitResult::Failed { rendered, codes }) => Compiled::Error {
                rendered: rendered.clone(),
                codes: codes.clone(),
            },
            Some(UnitResult::TimedOut(seconds)) => Compiled::TimedOut { seconds: *seconds },
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
    let Some(area) = &area else { return };
    stats.runs = jobs.len();
    let results = runner::run_jobs(area, &jobs, settings, bar);
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

/// For each of `which` in `infra`: a "not run" block on the page and a `snippet-not-run` error
/// (the environment failed, not the snippet: nothing is cached, the next build tries again).
fn report_not_run(
    requests: &[SnippetRequest],
    which: &[usize],
    infra: &BTreeMap<usize, String>,
    tera: &tera::Tera,
    outcomes: &mut [SnippetOutcome],
    diags: &mut Vec<Diagnostic>,
) {
    for &i in which {
        let Some(why) = infra.get(&i) else { continue };
        let req = &requests[i];
        if attrs::parse(&req.info).0.ignore {
            continue;
        }
        // The first line is the message; cargo's "Caused by" chain goes into the help.
        let (first, rest) = why.split_once('\n').unwrap_or((why, ""));
        let first = first.trim().trim_start_matches("error: ");
        let mut help = String::from(
            "check that cargo and rustc work, and the [vaultbook.snippets] dependencies",
        );
        if !rest.trim().is_empty() {
            help = format!("{}\n{help}", rest.trim_end());
        }
        diags.push(
            Diagnostic::new(
                Code::SnippetNotRun,
                format!("the snippet could not be run: {first}"),
            )
            .in_file(req.file.clone())
            .at(req.span)
            .with_help(help),
        );
        if let Ok(md) = render::to_markdown(tera, &render::not_run_view(why)) {
            outcomes[i].markdown = md;
        }
    }
}
