//! Checks a rendered book: every internal href reaches an existing page and element id.
//! (Contract stub: the check work fills this in.)

use std::path::Path;

use crate::diagnostics::Diagnostic;

/// Checks every HTML page under `dir` (a rendered book); paths in diagnostics are relative to `dir`.
pub fn check_rendered(_dir: &Path) -> Vec<Diagnostic> {
    Vec::new()
}
