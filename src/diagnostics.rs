//! Problems found in user content, with where they are.
//!
//! Every stage reports through [`Diagnostic`] instead of failing: one bad note never stops the
//! book. Errors that stop a run (no book.toml, an unsafe output directory) are `anyhow` errors.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

pub(crate) use crate::codes::Code;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Breaks the book or a link in it; `check` exits 1.
    Error,
    /// Worth fixing; `check --deny-warnings` exits 1.
    Warning,
    /// For the author's information only (orphan notes).
    Info,
}

impl Severity {
    /// The lowercase name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// A location in a file: a byte range plus its 1-based line and column (columns count chars).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// 1-based line of `start`.
    pub line: usize,
    /// 1-based column (in chars) of `start`.
    pub column: usize,
    /// 1-based line of `end`.
    pub end_line: usize,
    /// 1-based column (in chars) of `end`.
    pub end_column: usize,
}

impl Span {
    /// Builds a span over `range` of `text`, computing lines and columns.
    pub fn from_range(text: &str, range: std::ops::Range<usize>) -> Span {
        let lines = LineIndex::new(text);
        lines.span(text, range)
    }
}

/// Maps byte offsets to lines and columns; build once per file, query many times.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes the line starts of `text`.
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr_newlines(text.as_bytes()).map(|i| i + 1));
        LineIndex { starts }
    }

    /// 1-based (line, column) of byte `offset`; the column counts chars.
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        let column = text[start..offset].chars().count() + 1;
        (line, column)
    }

    /// Byte offset where 1-based `line` starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.starts[(line.max(1) - 1).min(self.starts.len() - 1)]
    }

    /// A [`Span`] over `range`.
    pub fn span(&self, text: &str, range: std::ops::Range<usize>) -> Span {
        let (line, column) = self.line_col(text, range.start);
        let (end_line, end_column) = self.line_col(text, range.end.max(range.start));
        Span {
            start: range.start,
            end: range.end.max(range.start),
            line,
            column,
            end_line,
            end_column,
        }
    }
}

fn memchr_newlines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i)
}

/// The largest char boundary of `text` that is `<= i`.
pub(crate) fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// One problem, in one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// How serious it is (after per-code levels from book.toml are applied).
    pub severity: Severity,
    /// What kind of problem it is; its name (`broken-link`) is what every format prints and
    /// what `[vaultbook.check]` in book.toml can re-level.
    pub code: Code,
    /// One sentence saying what is wrong.
    pub message: String,
    /// The file, relative to the book root; `None` for book-wide problems.
    pub file: Option<PathBuf>,
    /// Where in the file; `None` when the whole file is meant.
    pub span: Option<Span>,
    /// What to do about it, when there is something to suggest.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A new diagnostic with no location, at `code`'s default severity (the one place a
    /// severity is chosen; `[vaultbook.check]` may change it later).
    pub fn new(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: code.default_severity(),
            code,
            message: message.into(),
            file: None,
            span: None,
            help: None,
        }
    }

    /// Sets the file (relative to the book root).
    pub fn in_file(mut self, file: impl Into<PathBuf>) -> Diagnostic {
        self.file = Some(file.into());
        self
    }

    /// Sets the span.
    pub fn at(mut self, span: Span) -> Diagnostic {
        self.span = Some(span);
        self
    }

    /// Sets the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// `file:line:column: severity: message`, the one-line form used by `build`.
    pub fn one_line(&self) -> String {
        let loc = match (&self.file, &self.span) {
            (Some(f), Some(s)) => format!("{}:{}:{}: ", f.display(), s.line, s.column),
            (Some(f), None) => format!("{}: ", f.display()),
            _ => String::new(),
        };
        format!(
            "{loc}{}[{}]: {}",
            self.severity.as_str(),
            self.code,
            self.message
        )
    }
}

/// Sorts diagnostics into a stable order: by file, position, then code.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        (&a.file, a.span.map(|s| s.start), a.code.name(), &a.message).cmp(&(
            &b.file,
            b.span.map(|s| s.start),
            b.code.name(),
            &b.message,
        ))
    });
}

/// The text of every file that diagnostics point into, for printers that quote source lines.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: BTreeMap<PathBuf, Arc<str>>,
}

impl Sources {
    /// Records the text of `file` (relative to the book root).
    pub fn insert(&mut self, file: PathBuf, text: Arc<str>) {
        self.files.insert(file, text);
    }

    /// The text of `file`, if recorded.
    pub fn get(&self, file: &Path) -> Option<&str> {
        self.files.get(file).map(|t| &**t)
    }
}
