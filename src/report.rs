//! Printing diagnostics: human (rustc style), JSON and GitHub Actions formats, plus the known
//! diagnostic codes and the per-code levels of `[vaultbook.check]`.
//!
//! Every format prints the diagnostics in the stable order of [`crate::diagnostics::sort`] (file,
//! position, code, message), whatever order they come in, so the output is the same from run to
//! run. Paths are printed with `/` separators on every platform.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Component, Path};

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label, Severity as CsSeverity};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::termcolor::{Ansi, NoColor, WriteColor};
use codespan_reporting::term::{self, Chars, Styles};
use serde::Serialize;

use crate::diagnostics::{Diagnostic, Severity, Sources, Span};

/// An output format for diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// rustc-style: location, severity, code, message, the source line underlined, help.
    #[default]
    Human,
    /// One JSON array of objects.
    Json,
    /// GitHub Actions workflow commands.
    Github,
}

/// Every diagnostic code vaultbook reports, with its default level and a one-line description.
///
/// `[vaultbook.check]` in book.toml may re-level any of these (see [`apply_levels`]); a name not
/// in this list there is a configuration error.
pub const CODES: &[(&str, Severity, &str)] = &[
    (
        "broken-link",
        Severity::Error,
        "a markdown link to a file that does not exist",
    ),
    (
        "missing-note",
        Severity::Error,
        "a link to a note that does not exist",
    ),
    (
        "missing-heading",
        Severity::Error,
        "a link to a heading that the note does not have",
    ),
    (
        "missing-block",
        Severity::Error,
        "a link to a block id (`^id`) that the note does not have",
    ),
    (
        "ambiguous-link",
        Severity::Warning,
        "a note name that several notes share",
    ),
    (
        "unpublished-link",
        Severity::Warning,
        "a link to a note left out of the book by `publish: false`",
    ),
    (
        "missing-embed",
        Severity::Error,
        "an embed (`![[…]]`) of a note, heading or block that does not exist",
    ),
    (
        "missing-attachment",
        Severity::Error,
        "an image or other attachment that does not exist",
    ),
    (
        "embed-cycle",
        Severity::Error,
        "notes that embed each other in a cycle",
    ),
    (
        "duplicate-block-id",
        Severity::Warning,
        "a block id used twice in one note",
    ),
    (
        "embed-limit",
        Severity::Error,
        "a page that holds too many embeds or too much embedded text",
    ),
    (
        "embed-depth",
        Severity::Warning,
        "embeds nested deeper than the limit; the deepest are left out",
    ),
    (
        "snippet-compile-error",
        Severity::Error,
        "a Rust snippet that does not compile (and is not marked `compile_fail`)",
    ),
    (
        "snippet-panicked",
        Severity::Error,
        "a Rust snippet that panicked (and is not marked `should_panic`)",
    ),
    (
        "snippet-timeout",
        Severity::Error,
        "a Rust snippet that ran longer than its time limit",
    ),
    (
        "snippet-killed",
        Severity::Error,
        "a Rust snippet stopped by a resource limit or a signal",
    ),
    (
        "snippet-sandbox",
        Severity::Error,
        "no sandbox could be made for the vault's code, so no snippet was compiled or run",
    ),
    (
        "snippet-config",
        Severity::Warning,
        "a [vaultbook.snippets] setting that is not understood or not allowed",
    ),
    (
        "snippet-not-run",
        Severity::Error,
        "a Rust snippet that could not be compiled or run because the toolchain failed",
    ),
    (
        "unknown-snippet-attribute",
        Severity::Warning,
        "a code block attribute that vaultbook does not know",
    ),
    (
        "malformed-frontmatter",
        Severity::Warning,
        "YAML frontmatter that does not parse",
    ),
    (
        "invalid-utf8",
        Severity::Error,
        "a note that is not valid UTF-8",
    ),
    (
        "mojibake",
        Severity::Warning,
        "text that looks like UTF-8 read as Windows-1252 (`â€”` for `—`)",
    ),
    (
        "unclosed-wikilink",
        Severity::Warning,
        "a `[[` without its `]]`",
    ),
    (
        "empty-link",
        Severity::Warning,
        "a link with nothing to link to (`[[]]`, `[text]()`)",
    ),
    (
        "outside-vault",
        Severity::Error,
        "a link or embed to a file outside the vault",
    ),
    (
        "orphan-note",
        Severity::Info,
        "a note that no other note links to",
    ),
    (
        "broken-html-link",
        Severity::Error,
        "a link in the rendered HTML to a file that does not exist",
    ),
    (
        "missing-html-anchor",
        Severity::Error,
        "a link in the rendered HTML to an element id that its page does not have",
    ),
    (
        "read-error",
        Severity::Error,
        "a file in the vault that could not be read",
    ),
    (
        "skipped-command",
        Severity::Warning,
        "a preprocessor named in book.toml that was not run (run them with --allow-commands)",
    ),
    (
        "duplicate-output",
        Severity::Error,
        "two notes that would be written to the same chapter file",
    ),
];

/// The default level of `code`, or `None` for a code not in [`CODES`].
pub fn default_level(code: &str) -> Option<Severity> {
    CODES
        .iter()
        .find(|(name, _, _)| *name == code)
        .map(|&(_, level, _)| level)
}

/// The level names `[vaultbook.check]` accepts.
const LEVELS: [&str; 4] = ["error", "warning", "info", "allow"];

/// Re-levels `diags` by code as `[vaultbook.check]` says: `"error"`, `"warning"` or `"info"` set
/// the severity, `"allow"` drops the diagnostics with that code.
///
/// Every entry is validated, whether or not a diagnostic has its code: a code not in [`CODES`]
/// or an unknown level is an `Err` (a configuration error, exit 2) with a did-you-mean.
///
/// ```
/// use std::collections::BTreeMap;
/// use vaultbook::{Diagnostic, Severity, report::apply_levels};
///
/// let mut diags = vec![Diagnostic::warning("ambiguous-link", "…"), Diagnostic::info("orphan-note", "…")];
/// let levels = BTreeMap::from([
///     ("ambiguous-link".to_string(), "error".to_string()),
///     ("orphan-note".to_string(), "allow".to_string()),
/// ]);
/// apply_levels(&mut diags, &levels).unwrap();
/// assert_eq!(diags.len(), 1);
/// assert_eq!(diags[0].severity, Severity::Error);
///
/// let typo = BTreeMap::from([("ambigous-link".to_string(), "error".to_string())]);
/// let err = apply_levels(&mut diags, &typo).unwrap_err();
/// assert!(err.contains("did you mean `ambiguous-link`?"), "{err}");
/// ```
pub fn apply_levels(
    diags: &mut Vec<Diagnostic>,
    levels: &BTreeMap<String, String>,
) -> Result<(), String> {
    let chosen = validate_levels(levels)?;
    if chosen.is_empty() {
        return Ok(());
    }
    diags.retain_mut(|d| match chosen.get(d.code.as_str()) {
        Some(Some(severity)) => {
            d.severity = *severity;
            true
        }
        Some(None) => false,
        None => true,
    });
    Ok(())
}

/// Validates `[vaultbook.check]` without any diagnostics at hand (to fail early, before a long
/// check): every key must be a code of [`CODES`] and every value a level. Returns the chosen
/// severity per code, `None` for `"allow"`.
///
/// ```
/// use std::collections::BTreeMap;
/// let levels = BTreeMap::from([("mojibake".to_string(), "allow".to_string())]);
/// assert_eq!(vaultbook::report::validate_levels(&levels).unwrap()["mojibake"], None);
/// ```
pub fn validate_levels(
    levels: &BTreeMap<String, String>,
) -> Result<HashMap<&str, Option<Severity>>, String> {
    let mut chosen: HashMap<&str, Option<Severity>> = HashMap::new();
    for (code, level) in levels {
        if default_level(code).is_none() {
            let near = crate::suggest::closest(code, CODES.iter().map(|c| c.0), 1);
            return Err(format!(
                "[vaultbook.check]: unknown check `{code}`{}",
                did_you_mean(&near)
            ));
        }
        let severity = match level.as_str() {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "info" => Some(Severity::Info),
            "allow" => None,
            other => {
                let near = crate::suggest::closest(other, LEVELS, 1);
                return Err(format!(
                    "[vaultbook.check]: `{code} = \"{other}\"`: the level must be \"error\", \
                     \"warning\", \"info\" or \"allow\"{}",
                    did_you_mean(&near)
                ));
            }
        };
        chosen.insert(code.as_str(), severity);
    }
    Ok(chosen)
}

fn did_you_mean(near: &[&str]) -> String {
    match near.first() {
        Some(name) => format!(" (did you mean `{name}`?)"),
        None => String::new(),
    }
}

/// Renders `diags` in `format`; `color` only matters for the human format.
///
/// - [`Format::Human`]: one rustc-style block per diagnostic (`error[code]: message`, the
///   `--> file:line:column` location, the source line with the span underlined when the file's
///   text is in `sources`, `= help: …`), then a summary line such as
///   `check: 2 errors, 1 warning`. Information prints as `note`, as in rustc. ANSI colours only
///   when `color` is true.
/// - [`Format::Json`]: one JSON array, one object per line, with exactly the fields `severity`,
///   `code`, `message`, `file`, `line`, `column`, `end_line`, `end_column`, `help` (1-based
///   lines and columns, `null` where absent).
/// - [`Format::Github`]: one GitHub Actions workflow command per diagnostic (`::error`,
///   `::warning` or `::notice`) with `file`, `line`, `col`, `endLine`, `endColumn` and
///   `title` (the code); the help follows the message on a second line.
pub fn render(diags: &[Diagnostic], sources: &Sources, format: Format, color: bool) -> String {
    let mut sorted: Vec<&Diagnostic> = diags.iter().collect();
    sorted.sort_by(|a, b| {
        (&a.file, a.span.map(|s| s.start), &a.code, &a.message).cmp(&(
            &b.file,
            b.span.map(|s| s.start),
            &b.code,
            &b.message,
        ))
    });
    match format {
        Format::Human => {
            if color {
                let mut w = Ansi::new(Vec::new());
                human(&mut w, &sorted, sources);
                String::from_utf8_lossy(&w.into_inner()).into_owned()
            } else {
                let mut w = NoColor::new(Vec::new());
                human(&mut w, &sorted, sources);
                String::from_utf8_lossy(&w.into_inner()).into_owned()
            }
        }
        Format::Json => json(&sorted),
        Format::Github => github(&sorted),
    }
}

/// The summary line of the human format, without a newline: `check: 2 errors, 1 warning`, with
/// `, 1 note` added when there is information.
pub fn summary(diags: &[Diagnostic]) -> String {
    summary_of(diags.iter())
}

fn summary_of<'a>(diags: impl Iterator<Item = &'a Diagnostic> + Clone) -> String {
    let count = |s| diags.clone().filter(|d| d.severity == s).count();
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("1 {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    let mut line = format!(
        "check: {}, {}",
        plural(count(Severity::Error), "error"),
        plural(count(Severity::Warning), "warning")
    );
    let notes = count(Severity::Info);
    if notes > 0 {
        line.push_str(", ");
        line.push_str(&plural(notes, "note"));
    }
    line
}

/// `path` with `/` between components, whatever the platform.
fn slash_path(path: &Path) -> String {
    let mut out = String::new();
    for c in path.components() {
        let part = match c {
            Component::RootDir => {
                out.push('/');
                continue;
            }
            Component::Prefix(p) => p.as_os_str().to_string_lossy(),
            Component::CurDir => ".".into(),
            Component::ParentDir => "..".into(),
            Component::Normal(s) => s.to_string_lossy(),
        };
        if !out.is_empty() && !out.ends_with('/') {
            out.push('/');
        }
        out.push_str(&part);
    }
    out
}

fn human<W: WriteColor>(w: &mut W, diags: &[&Diagnostic], sources: &Sources) {
    let config = term::Config {
        chars: Chars::ascii(),
        ..term::Config::default()
    };
    let styles = Styles::default();
    let mut files = SimpleFiles::new();
    let mut ids: HashMap<&Path, usize> = HashMap::new();
    for d in diags {
        let quoted =
            match (&d.file, &d.span) {
                (Some(file), Some(span)) => sources
                    .get(file)
                    .filter(|text| span_fits(text, span))
                    .map(|text| {
                        let id = *ids
                            .entry(file.as_path())
                            .or_insert_with(|| files.add(slash_path(file), text));
                        (id, span.start..span.end)
                    }),
                _ => None,
            };
        let notes: Vec<String> = d.help.iter().map(|h| format!("help: {h}")).collect();
        if let Some((id, range)) = quoted {
            let cs = CsDiagnostic::new(cs_severity(d.severity))
                .with_code(d.code.clone())
                .with_message(d.message.clone())
                .with_labels(vec![Label::primary(id, range)])
                .with_notes(notes.clone());
            if term::emit_to_write_style(w, &config, &files, &cs).is_ok() {
                continue;
            }
        }
        // No source to quote: the same shape, without the snippet.
        let _ = plain_block(w, &styles, d, &notes);
    }
    let _ = writeln!(w, "{}", summary_of(diags.iter().copied()));
}

/// Whether `span` is a valid byte range of `text` (the file may have changed since).
fn span_fits(text: &str, span: &Span) -> bool {
    span.start <= span.end
        && span.end <= text.len()
        && text.is_char_boundary(span.start)
        && text.is_char_boundary(span.end)
}

/// A diagnostic without a quotable source line, in codespan's layout and colours.
fn plain_block<W: WriteColor>(
    w: &mut W,
    styles: &Styles,
    d: &Diagnostic,
    notes: &[String],
) -> std::io::Result<()> {
    let severity = cs_severity(d.severity);
    w.set_color(styles.header(severity))?;
    write!(w, "{}[{}]", severity_word(d.severity), d.code)?;
    w.set_color(styles.header_message())?;
    write!(w, ": {}", d.message)?;
    w.reset()?;
    writeln!(w)?;
    if let Some(file) = &d.file {
        let location = match &d.span {
            Some(s) => format!("{}:{}:{}", slash_path(file), s.line, s.column),
            None => slash_path(file),
        };
        write!(w, "  ")?;
        w.set_color(styles.source_border())?;
        write!(w, "-->")?;
        w.reset()?;
        writeln!(w, " {location}")?;
    }
    for note in notes {
        write!(w, "  ")?;
        w.set_color(styles.note_bullet())?;
        write!(w, "=")?;
        w.reset()?;
        writeln!(w, " {note}")?;
    }
    writeln!(w)
}

fn cs_severity(s: Severity) -> CsSeverity {
    match s {
        Severity::Error => CsSeverity::Error,
        Severity::Warning => CsSeverity::Warning,
        Severity::Info => CsSeverity::Note,
    }
}

/// The word codespan prints for a severity (information is a `note`, as in rustc).
fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// One object of the JSON format; the field order is the documented one.
#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    severity: &'static str,
    code: &'a str,
    message: &'a str,
    file: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
    end_line: Option<usize>,
    end_column: Option<usize>,
    help: Option<&'a str>,
}

fn json(diags: &[&Diagnostic]) -> String {
    if diags.is_empty() {
        return "[]\n".to_string();
    }
    let mut out = String::from("[\n");
    for (i, d) in diags.iter().enumerate() {
        let obj = JsonDiagnostic {
            severity: d.severity.as_str(),
            code: &d.code,
            message: &d.message,
            file: d.file.as_deref().map(slash_path),
            line: d.span.map(|s| s.line),
            column: d.span.map(|s| s.column),
            end_line: d.span.map(|s| s.end_line),
            end_column: d.span.map(|s| s.end_column),
            help: d.help.as_deref(),
        };
        out.push_str("  ");
        // Serialising plain strings and numbers cannot fail.
        out.push_str(&serde_json::to_string(&obj).unwrap_or_default());
        out.push_str(if i + 1 < diags.len() { ",\n" } else { "\n" });
    }
    out.push_str("]\n");
    out
}

fn github(diags: &[&Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut props: Vec<(&str, String)> = Vec::new();
        if let Some(file) = &d.file {
            props.push(("file", slash_path(file)));
            if let Some(s) = d.span {
                props.push(("line", s.line.to_string()));
                props.push(("col", s.column.to_string()));
                props.push(("endLine", s.end_line.to_string()));
                // GitHub's endColumn is the last column of the annotation (inclusive) and is
                // only meaningful on a single line.
                if s.end_line == s.line {
                    let last = s.end_column.saturating_sub(1).max(s.column);
                    props.push(("endColumn", last.to_string()));
                }
            }
        }
        props.push(("title", d.code.clone()));
        let props: Vec<String> = props
            .into_iter()
            .map(|(k, v)| format!("{k}={}", escape_property(&v)))
            .collect();
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        let _ = writeln!(
            out,
            "::{command} {}::{}",
            props.join(","),
            escape_data(&message)
        );
    }
    out
}

/// GitHub's escaping of a workflow command's message.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub's escaping of a workflow command's property value.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_kebab_case_and_described() {
        let mut seen = std::collections::HashSet::new();
        for (code, _, description) in CODES {
            assert!(seen.insert(code), "{code} twice");
            assert!(
                code.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit()),
                "{code}"
            );
            assert!(!description.is_empty());
        }
        assert_eq!(default_level("orphan-note"), Some(Severity::Info));
        assert_eq!(default_level("nope"), None);
    }

    #[test]
    fn github_escapes() {
        assert_eq!(escape_data("50% a\r\nb: c, d"), "50%25 a%0D%0Ab: c, d");
        assert_eq!(escape_property("C:\\a,b%"), "C%3A\\a%2Cb%25");
    }

    #[test]
    fn slash_paths() {
        assert_eq!(
            slash_path(Path::new("vault/sub/Note.md")),
            "vault/sub/Note.md"
        );
        assert_eq!(slash_path(Path::new("/abs/x")), "/abs/x");
    }
}
