//! Recorded results → what the page shows (through the `snippet.html` template) and the
//! diagnostics: decides for each snippet whether what happened is what its attributes expect.

use serde::Serialize;

use super::attrs::Attrs;
use super::cache::{Compiled, Recorded};
use super::run::{RunRecord, signal_name};
use super::settings::Settings;
use crate::diagnostics::Code;

/// The stylesheet for snippet outputs: the emitter writes it into the book as additional CSS.
/// It uses mdBook's theme variables, so it reads well in every light and dark theme.
pub const SNIPPET_CSS: &str = include_str!("snippet.css");

/// The most distinct outputs of a `runs=N` snippet shown on the page (each can be up to
/// `max-output` long).
pub(crate) const MAX_SHOWN: usize = 5;

/// How a run (or a compilation) ended, as the reader is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ending {
    /// Exited with status 0.
    Ok,
    /// Panicked (exit status 101 and a panic message).
    Panicked,
    /// Exited with another status.
    Failed(i32),
    /// rustc rejected it.
    CompileError,
    /// Its compilation passed the compile timeout (seconds) and was stopped.
    CompileTimedOut(u64),
    /// Killed at the wall-clock timeout.
    TimedOut(u64),
    /// Killed by a limit or a signal: the description.
    Killed(String),
    /// Stopped when its output passed the cap.
    Truncated,
    /// `no_run`: compiled, never started.
    Compiled,
}

impl Ending {
    /// The CSS class suffix and template `status`.
    pub(crate) fn status(&self) -> &'static str {
        match self {
            Ending::Ok => "ok",
            Ending::Panicked => "panicked",
            Ending::Failed(_) => "failed",
            Ending::CompileError => "compile-error",
            Ending::CompileTimedOut(_) | Ending::TimedOut(_) => "timeout",
            Ending::Killed(_) => "killed",
            Ending::Truncated => "truncated",
            Ending::Compiled => "compiled",
        }
    }

    fn words(&self) -> String {
        match self {
            Ending::Ok => "ok".into(),
            Ending::Panicked => "panicked".into(),
            Ending::Failed(code) => format!("exited with status {code}"),
            Ending::CompileError => "failed to compile".into(),
            Ending::CompileTimedOut(s) => format!("compilation timed out after {s} s"),
            Ending::TimedOut(s) => format!("timed out after {s} s"),
            Ending::Killed(why) => format!("killed: {why}"),
            Ending::Truncated => "output truncated".into(),
            Ending::Compiled => "compiled, not run".into(),
        }
    }
}

/// Classifies one run.
pub(crate) fn classify(run: &RunRecord, timeout: u64, settings: &Settings) -> Ending {
    if run.truncated {
        return Ending::Truncated;
    }
    if run.timed_out {
        return Ending::TimedOut(timeout);
    }
    if run.out_of_memory {
        return Ending::Killed(format!("memory limit ({})", size(settings.memory)));
    }
    if let Some(sig) = run.signal {
        let why = match sig {
            libc::SIGXCPU => format!("CPU time limit ({} s)", settings.cpu_for(timeout)),
            libc::SIGXFSZ => format!("file size limit ({})", size(settings.file_size)),
            libc::SIGABRT if run.output.contains("memory allocation of") => {
                format!("memory limit ({})", size(settings.memory))
            }
            libc::SIGABRT if run.output.contains("has overflowed its stack") => {
                "stack overflow".into()
            }
            libc::SIGKILL => "SIGKILL (from outside: out of memory?)".into(),
            s => format!("signal {}", signal_name(s)),
        };
        return Ending::Killed(why);
    }
    match run.exit_code {
        Some(0) => Ending::Ok,
        Some(101) if run.output.contains("panicked at") => Ending::Panicked,
        Some(c) => Ending::Failed(c),
        None => Ending::Killed("unknown cause".into()),
    }
}

/// A failure the author did not announce: a diagnostic code (which gives the severity) and a
/// message.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    /// The diagnostic code.
    pub code: Code,
    /// One sentence.
    pub message: String,
    /// What to do.
    pub help: String,
}

/// The verdict on an ending given the attributes: `None` when it is what they announce.
pub(crate) fn judge(ending: &Ending, attrs: &Attrs, codes: &[String]) -> Option<Problem> {
    let p = |code, message: String, help: &str| {
        Some(Problem {
            code,
            message,
            help: help.to_string(),
        })
    };
    match ending {
        Ending::CompileTimedOut(s) => p(
            Code::SnippetTimeout,
            format!("the snippet's compilation was stopped after {s} s"),
            "a const evaluation, macro or build script does not end; fix it, or raise \
             [vaultbook.snippets] compile-timeout",
        ),
        Ending::CompileError if attrs.compile_fail => {
            if attrs.error_codes.is_empty() || attrs.error_codes.iter().any(|c| codes.contains(c)) {
                None
            } else {
                p(
                    Code::SnippetCompileError,
                    format!(
                        "the snippet failed to compile, but not with {} (rustc said: {})",
                        attrs.error_codes.join(" or "),
                        if codes.is_empty() {
                            "no error code".to_string()
                        } else {
                            codes.join(", ")
                        }
                    ),
                    "fix the expected error code after `compile_fail`",
                )
            }
        }
        Ending::CompileError => p(
            Code::SnippetCompileError,
            "the snippet failed to compile".into(),
            "fix the code, or mark the block `compile_fail` if the error is the point",
        ),
        _ if attrs.compile_fail => p(
            Code::SnippetUnexpectedSuccess,
            "the snippet is marked `compile_fail` but compiled".into(),
            "remove `compile_fail`, or make the code fail as described",
        ),
        Ending::Compiled => None,
        Ending::Truncated => Some(Problem {
            code: Code::SnippetOutputTruncated,
            message: "the snippet printed more than `max-output` and was stopped".into(),
            help: "print less, or raise [vaultbook.snippets] max-output".into(),
        }),
        Ending::TimedOut(_) if attrs.should_timeout => None,
        Ending::TimedOut(s) => p(
            Code::SnippetTimeout,
            format!("the snippet timed out after {s} s"),
            "make it finish, raise `timeout=SECS`, or mark it `should_timeout` if it is meant to hang",
        ),
        _ if attrs.should_timeout => p(
            Code::SnippetUnexpectedSuccess,
            format!(
                "the snippet is marked `should_timeout` but ended ({})",
                ending.words()
            ),
            "remove `should_timeout`, or make the code hang as described",
        ),
        Ending::Panicked if attrs.should_panic => None,
        Ending::Panicked => p(
            Code::SnippetPanicked,
            "the snippet panicked".into(),
            "fix the code, or mark the block `should_panic` if the panic is the point",
        ),
        Ending::Ok if attrs.should_panic => p(
            Code::SnippetUnexpectedSuccess,
            "the snippet is marked `should_panic` but did not panic".into(),
            "remove `should_panic`, or make the code panic as described",
        ),
        Ending::Ok => None,
        Ending::Killed(why) => p(
            Code::SnippetKilled,
            format!("the snippet was killed: {why}"),
            "use less, or raise the limits in [vaultbook.snippets] (memory, cpu, file-size, processes)",
        ),
        Ending::Failed(c) => p(
            Code::SnippetFailed,
            format!("the snippet exited with status {c}"),
            "make it exit with status 0",
        ),
    }
}

/// One distinct output block of the page.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct OutputView {
    /// The text's lines (escaped by the template).
    pub lines: Vec<String>,
    /// Whether there was no output at all.
    pub empty: bool,
    /// `exit status 0 · 12 ms` and, for `runs=N`, how many runs printed this.
    pub meta: String,
    /// How the runs that printed this ended (`ok`, `panicked`...).
    pub status: String,
}

/// The context of `snippet.html`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct View {
    /// The overall ending (`ok`, `panicked`, `compile-error`, `timeout`, `killed`,
    /// `truncated`, `failed`, `compiled`, `not-run`): the CSS class is `snippet-<status>`.
    pub status: String,
    /// Whether this was announced by the attributes (`should_panic`, `compile_fail`...).
    pub expected: bool,
    /// Whether it is a failure nobody announced (drawn as an error).
    pub unexpected: bool,
    /// The headline: `panicked, as expected`, `timed out after 2 s`...
    pub label: String,
    /// A remark under the headline: nondeterminism, distinct outputs, limits hit.
    pub note: String,
    /// The outputs, one per distinct output.
    pub outputs: Vec<OutputView>,
}

/// Everything decided about one snippet.
#[derive(Debug, Clone)]
pub(crate) struct Judged {
    /// What to render.
    pub view: View,
    /// The first unannounced failure, if any.
    pub problem: Option<Problem>,
}

/// Judges a recorded result against the attributes and builds the template view.
pub(crate) fn judge_recorded(
    rec: &Recorded,
    attrs: &Attrs,
    threaded: bool,
    settings: &Settings,
) -> Judged {
    let timeout = settings.timeout_for(attrs.timeout);
    let stopped;
    let no_codes = Vec::new();
    let compile_failure = match &rec.compiled {
        Compiled::Error { rendered, codes } => Some((Ending::CompileError, rendered, codes)),
        Compiled::TimedOut { seconds } => {
            stopped =
                format!("vaultbook: the compiler was stopped after {seconds} s (compile-timeout)");
            Some((Ending::CompileTimedOut(*seconds), &stopped, &no_codes))
        }
        Compiled::Ok => None,
    };
    if let Some((ending, rendered, codes)) = compile_failure {
        let problem = judge(&ending, attrs, codes);
        let expected = attrs.compile_fail && ending == Ending::CompileError;
        return Judged {
            view: View {
                status: ending.status().into(),
                expected,
                unexpected: problem.is_some(),
                label: labelled(&ending, expected && problem.is_none()),
                note: String::new(),
                outputs: vec![OutputView {
                    lines: rendered.trim_end().lines().map(str::to_string).collect(),
                    empty: rendered.trim().is_empty(),
                    meta: if codes.is_empty() {
                        "rustc".into()
                    } else {
                        format!("rustc: {}", codes.join(", "))
                    },
                    status: ending.status().into(),
                }],
            },
            problem,
        };
    }
    if rec.runs.is_empty() {
        let ending = Ending::Compiled;
        let problem = judge(&ending, attrs, &[]);
        return Judged {
            view: View {
                status: ending.status().into(),
                expected: false,
                unexpected: problem.is_some(),
                label: if attrs.compile_fail {
                    "compiled, but it was expected to fail".into()
                } else {
                    ending.words()
                },
                note: String::new(),
                outputs: Vec::new(),
            },
            problem,
        };
    }
    // Group identical runs (same output, same ending), in order of first appearance.
    let mut groups: Vec<(Ending, &RunRecord, usize)> = Vec::new();
    for run in &rec.runs {
        let ending = classify(run, timeout, settings);
        match groups
            .iter_mut()
            .find(|(e, r, _)| *e == ending && r.output == run.output)
        {
            Some(g) => g.2 += 1,
            None => groups.push((ending, run, 1)),
        }
    }
    let problem = groups.iter().find_map(|(e, _, _)| judge(e, attrs, &[]));
    // The headline is the first unannounced failure, else the first ending.
    let headline = groups
        .iter()
        .map(|(e, _, _)| e)
        .find(|e| judge(e, attrs, &[]).is_some())
        .unwrap_or(&groups[0].0)
        .clone();
    let headline = &headline;
    let announced = matches!(headline, Ending::Panicked if attrs.should_panic)
        || matches!(headline, Ending::TimedOut(_) if attrs.should_timeout);
    let n = rec.runs.len();
    let mut notes = Vec::new();
    if n > 1 {
        notes.push(format!(
            "{} distinct output{} in {n} runs",
            groups.len(),
            plural(groups.len())
        ));
    } else if threaded && matches!(headline, Ending::Ok | Ending::Panicked | Ending::Failed(_)) {
        notes.push(
            "one run of a nondeterministic program: another run may print something else".into(),
        );
    }
    // Limits that a program sees as failed calls rather than signals (fork, thread spawn, mmap).
    let printed = |what: &str| rec.runs.iter().any(|r| r.output.contains(what));
    if printed("Resource temporarily unavailable") {
        // EAGAIN from fork or pthread_create: too many tasks, or no memory for a thread stack.
        notes.push(format!(
            "the process limit ({}) or the memory limit ({}) may have been reached",
            settings.processes,
            size(settings.memory)
        ));
    } else if printed("Cannot allocate memory") || printed("OutOfMemory") {
        notes.push(format!(
            "the memory limit ({}) may have been reached",
            size(settings.memory)
        ));
    }
    // The most frequent outputs first (stable: ties keep their order of appearance).
    groups.sort_by_key(|g| std::cmp::Reverse(g.2));
    if groups.len() > MAX_SHOWN {
        notes.push(format!("the {MAX_SHOWN} most frequent are shown"));
    }
    let outputs = groups
        .iter()
        .take(MAX_SHOWN)
        .map(|(ending, run, count)| {
            let mut meta = vec![status_words(run)];
            meta.push(duration(run.duration_ms));
            if n > 1 {
                meta.push(format!("{count} of {n} runs"));
            }
            if run.truncated {
                meta.push(format!("output truncated at {}", size(settings.max_output)));
            }
            OutputView {
                lines: run
                    .output
                    .trim_end_matches('\n')
                    .lines()
                    .map(str::to_string)
                    .collect(),
                empty: run.output.is_empty(),
                meta: meta.join(" · "),
                status: ending.status().into(),
            }
        })
        .collect();
    Judged {
        view: View {
            status: headline.status().into(),
            expected: announced,
            // Truncated output is shown as it is, not marked as a failure.
            unexpected: problem
                .as_ref()
                .is_some_and(|p| p.code != Code::SnippetOutputTruncated),
            label: labelled(headline, announced),
            note: notes.join("; "),
            outputs,
        },
        problem,
    }
}

/// The view for snippets that could not be compiled or run at all (no cargo, no rustc).
pub(crate) fn not_run_view(why: &str) -> View {
    View {
        status: "not-run".into(),
        expected: false,
        unexpected: true,
        label: "not run".into(),
        note: why.to_string(),
        outputs: Vec::new(),
    }
}

fn labelled(ending: &Ending, expected: bool) -> String {
    if expected {
        format!("{}, as expected", ending.words())
    } else {
        ending.words()
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn status_words(run: &RunRecord) -> String {
    match (run.exit_code, run.signal) {
        (Some(c), _) => format!("exit status {c}"),
        (None, Some(s)) => format!("killed by {}", signal_name(s)),
        _ => "no exit status".into(),
    }
}

/// `12 ms`, `1.25 s`.
pub(crate) fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.2} s", ms as f64 / 1000.0)
    }
}

/// `64 KiB`, `1 GiB`, `100 bytes`.
pub(crate) fn size(bytes: u64) -> String {
    for (unit, shift) in [("GiB", 30), ("MiB", 20), ("KiB", 10)] {
        if bytes >= 1 << shift && bytes.is_multiple_of(1 << shift) {
            return format!("{} {unit}", bytes >> shift);
        }
    }
    format!("{bytes} bytes")
}

/// Renders a view with the `snippet.html` template into the markdown inserted after the block:
/// a blank line, one HTML block with no blank line inside, and a blank line after it so that
/// the note's next paragraph is not swallowed by the block.
pub(crate) fn to_markdown(tera: &tera::Tera, view: &View) -> Result<String, String> {
    let ctx = tera::Context::from_serialize(view).map_err(|e| e.to_string())?;
    let html = tera.render("snippet.html", &ctx).map_err(|e| {
        let mut msg = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            msg.push_str(": ");
            msg.push_str(&s.to_string());
            src = s.source();
        }
        msg
    })?;
    // A blank line would end the HTML block in markdown; an overridden template might have one.
    let body: Vec<&str> = html.lines().filter(|l| !l.trim().is_empty()).collect();
    if body.is_empty() {
        return Ok(String::new());
    }
    Ok(format!("\n{}\n\n", body.join("\n")))
}
