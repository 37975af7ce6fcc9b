//! Printing diagnostics: human (rustc style), JSON and GitHub Actions formats, plus the per-code
//! levels of `[vaultbook.check]`. (Contract stub: the check work fills this in.)

use crate::diagnostics::{Diagnostic, Sources};

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

/// Renders `diags` in `format`; `color` only matters for the human format.
pub fn render(diags: &[Diagnostic], _sources: &Sources, _format: Format, _color: bool) -> String {
    let mut out = String::new();
    for d in diags {
        out.push_str(&d.one_line());
        out.push('\n');
    }
    out
}
