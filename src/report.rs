//! Printing diagnostics: human (rustc style), JSON, GitHub Actions and SARIF formats, plus the per-code
//! levels of `[vaultbook.check]` ([`Levels`]). The codes themselves are in [`crate::codes`].
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

use crate::codes::Code;
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
    /// SARIF 2.1.0, for GitHub code scanning and other CI dashboards.
    Sarif,
}

/// A level `[vaultbook.check]` can give a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// Report it as an error.
    Error,
    /// Report it as a warning.
    Warning,
    /// Report it as information.
    Info,
    /// Do not report it at all.
    Allow,
}

impl Level {
    /// Every level, by the name book.toml uses.
    pub const ALL: [(&'static str, Level); 4] = [
        ("error", Level::Error),
        ("warning", Level::Warning),
        ("info", Level::Info),
        ("allow", Level::Allow),
    ];

    /// The level named `name` (`"error"`, `"warning"`, `"info"`, `"allow"`).
    pub fn from_name(name: &str) -> Option<Level> {
        Level::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, level)| level)
    }

    /// The severity a diagnostic gets at this level; `None` for [`Level::Allow`].
    pub fn severity(self) -> Option<Severity> {
        match self {
            Level::Error => Some(Severity::Error),
            Level::Warning => Some(Severity::Warning),
            Level::Info => Some(Severity::Info),
            Level::Allow => None,
        }
    }
}

/// `[vaultbook.check]` of book.toml, parsed when the [`crate::Config`] loads: a [`Level`] per
/// [`Code`]. Every key names a code of the registry, so applying the levels cannot fail.
///
/// ```
/// use std::collections::BTreeMap;
/// use vaultbook::{Code, Diagnostic, Severity, report::Levels};
///
/// let levels = Levels::parse(&BTreeMap::from([
///     ("ambiguous-link".to_string(), "error".to_string()),
///     ("orphan-note".to_string(), "allow".to_string()),
/// ]))
/// .unwrap();
/// let mut diags = vec![
///     Diagnostic::new(Code::AmbiguousLink, "…"),
///     Diagnostic::new(Code::OrphanNote, "…"),
/// ];
/// levels.apply(&mut diags);
/// assert_eq!(diags.len(), 1);
/// assert_eq!(diags[0].severity, Severity::Error);
///
/// let typo = BTreeMap::from([("ambigous-link".to_string(), "error".to_string())]);
/// let err = Levels::parse(&typo).unwrap_err();
/// assert!(err.contains("did you mean `ambiguous-link`?"), "{err}");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Levels(BTreeMap<Code, Level>);

impl Levels {
    /// Parses the table's `code = "level"` entries: a key that names no code, or a value that
    /// names no level, is an `Err` (a configuration error, exit 2) saying where the list of
    /// codes is, with a did-you-mean.
    pub fn parse(table: &BTreeMap<String, String>) -> Result<Levels, String> {
        let mut levels = BTreeMap::new();
        for (name, level) in table {
            let code = name.parse::<Code>().map_err(|unknown| {
                format!(
                    "[vaultbook.check]: unknown check `{name}`{}; `vaultbook check --list-codes` \
                     lists the codes",
                    did_you_mean(unknown.suggestion.map(Code::name))
                )
            })?;
            let Some(level) = Level::from_name(level) else {
                let near = crate::suggest::closest(level, Level::ALL.iter().map(|(n, _)| *n), 1);
                return Err(format!(
                    "[vaultbook.check]: `{name} = \"{level}\"`: the level must be \"error\", \
                     \"warning\", \"info\" or \"allow\"{}",
                    did_you_mean(near.first().copied())
                ));
            };
            levels.insert(code, level);
        }
        Ok(Levels(levels))
    }

    /// The level book.toml gives `code`, if it names it.
    pub fn get(&self, code: Code) -> Option<Level> {
        self.0.get(&code).copied()
    }

    /// Whether book.toml re-levels no code.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Re-levels `diags` by code: `error`, `warning` or `info` set the severity, `allow` drops
    /// the diagnostic; codes the table does not name keep theirs.
    pub fn apply(&self, diags: &mut Vec<Diagnostic>) {
        if self.0.is_empty() {
            return;
        }
        diags.retain_mut(|d| match self.get(d.code).map(Level::severity) {
            Some(Some(severity)) => {
                d.severity = severity;
                true
            }
            Some(None) => false,
            None => true,
        });
    }
}

/// Re-levels `diags` as `[vaultbook.check]` says (see [`Levels::apply`]).
pub fn apply_levels(diags: &mut Vec<Diagnostic>, levels: &Levels) {
    levels.apply(diags);
}

fn did_you_mean(near: Option<&str>) -> String {
    match near {
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
/// - [`Format::Sarif`]: one SARIF 2.1.0 log (pretty-printed JSON) of one run: a rule per code
///   the results use, with the code's summary and explanation; a result per diagnostic with its
///   level, message (and help), path relative to the book root (`%SRCROOT%`, percent-encoded)
///   and region (columns in code points, as the run's `columnKind` declares); a diagnostic
///   without a file is placed on `book.toml`, since GitHub refuses results without a location.
pub fn render(diags: &[Diagnostic], sources: &Sources, format: Format, color: bool) -> String {
    let mut sorted: Vec<&Diagnostic> = diags.iter().collect();
    sorted.sort_by(|a, b| {
        (&a.file, a.span.map(|s| s.start), a.code.name(), &a.message).cmp(&(
            &b.file,
            b.span.map(|s| s.start),
            b.code.name(),
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
        Format::Sarif => crate::sarif::render(&sorted),
    }
}

/// The summary line of the human format, without a newline: `check: 2 errors, 1 warning`, with
/// `, 1 note` added when there is information.
pub fn summary(diags: &[Diagnostic]) -> String {
    summary_of(diags.iter())
}

/// `1 error`, `2 errors`: a count with its noun, for every summary line.
pub fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn summary_of<'a>(diags: impl Iterator<Item = &'a Diagnostic> + Clone) -> String {
    let count = |s| diags.clone().filter(|d| d.severity == s).count();
    let plural = counted;
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
                .with_code(d.code.name())
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
            code: d.code.name(),
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
        props.push(("title", d.code.name().to_string()));
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
