//! The info string of a ```rust block → [`Attrs`], with rustdoc's conventions so that mdBook
//! books and doc comments carry over unchanged.

use std::fmt;

/// The Rust edition a snippet is compiled with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Edition {
    /// `edition2015`.
    E2015,
    /// `edition2018`.
    E2018,
    /// `edition2021`.
    E2021,
    /// `edition2024`, the default: new books are written for the current edition.
    E2024,
}

impl Edition {
    /// The year, as Cargo spells it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Edition::E2015 => "2015",
            Edition::E2018 => "2018",
            Edition::E2021 => "2021",
            Edition::E2024 => "2024",
        }
    }
}

impl fmt::Display for Edition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the attributes after `rust` ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attrs {
    /// `ignore`: neither compiled nor run, no output.
    pub ignore: bool,
    /// `no_run`: compiled (errors are reported) but never run.
    pub no_run: bool,
    /// `should_panic`: a panic is the expected outcome.
    pub should_panic: bool,
    /// `compile_fail`: a compile error is the expected outcome.
    pub compile_fail: bool,
    /// `E0373`-like codes after `compile_fail`: at least one must be among the errors.
    pub error_codes: Vec<String>,
    /// `should_timeout`: hanging (a deadlock demo) is the expected outcome.
    pub should_timeout: bool,
    /// `timeout=SECS`: overrides `[vaultbook.snippets] timeout`.
    pub timeout: Option<u64>,
    /// `runs=N`: run N times and report the distinct outputs (1 by default).
    pub runs: u32,
    /// `editionYYYY`; `None` means the default (2024).
    pub edition: Option<Edition>,
    /// `hide_output`: run and check, but embed nothing.
    pub hide_output: bool,
    /// `standalone_crate` (rustdoc 2024): never merged with other snippets.
    pub standalone: bool,
}

impl Default for Attrs {
    fn default() -> Self {
        Attrs {
            ignore: false,
            no_run: false,
            should_panic: false,
            compile_fail: false,
            error_codes: Vec::new(),
            should_timeout: false,
            timeout: None,
            runs: 1,
            edition: None,
            hide_output: false,
            standalone: false,
        }
    }
}

/// The most runs a `runs=N` may ask for: each run is a process, and outputs are shown.
pub(crate) const MAX_RUNS: u32 = 100;

/// Attributes mdBook (or its plugins) understand and that change nothing here.
const HARMLESS: &[&str] = &[
    "editable",
    "noplayground",
    "noplaypen",
    "mdbook-runnable",
    "allow_fail",
    "test_harness",
];

impl Attrs {
    /// The edition to compile with.
    pub(crate) fn edition(&self) -> Edition {
        self.edition.unwrap_or(Edition::E2024)
    }

    /// Whether the snippet's program is ever started.
    pub(crate) fn runs_program(&self) -> bool {
        !self.ignore && !self.no_run && !self.compile_fail
    }

    /// A canonical spelling of everything that changes the result, for the cache key.
    pub(crate) fn cache_key(&self) -> String {
        format!(
            "ignore={} no_run={} should_panic={} compile_fail={} codes={:?} should_timeout={} \
             timeout={:?} runs={} edition={} standalone={}",
            self.ignore,
            self.no_run,
            self.should_panic,
            self.compile_fail,
            self.error_codes,
            self.should_timeout,
            self.timeout,
            self.runs,
            self.edition(),
            self.standalone,
        )
    }
}

/// Parses an info string (`rust,should_panic`, `rust no_run edition2021`): the attributes, and
/// one message per attribute that was not understood (the rest are still applied).
pub(crate) fn parse(info: &str) -> (Attrs, Vec<String>) {
    let mut attrs = Attrs::default();
    let mut problems = Vec::new();
    let mut tokens = info
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty());
    // The first token is the language (`rust`), checked by `is_snippet`.
    tokens.next();
    for token in tokens {
        match token {
            "ignore" => attrs.ignore = true,
            "no_run" => attrs.no_run = true,
            "should_panic" => attrs.should_panic = true,
            "compile_fail" => attrs.compile_fail = true,
            "should_timeout" => attrs.should_timeout = true,
            "hide_output" => attrs.hide_output = true,
            "standalone_crate" => attrs.standalone = true,
            "edition2015" => attrs.edition = Some(Edition::E2015),
            "edition2018" => attrs.edition = Some(Edition::E2018),
            "edition2021" => attrs.edition = Some(Edition::E2021),
            "edition2024" => attrs.edition = Some(Edition::E2024),
            t if HARMLESS.contains(&t) || t.starts_with("hidelines=") => {}
            // rustdoc's `{.class}` attributes: mdBook styling, nothing to run.
            t if t.starts_with('{') || t.starts_with('.') || t.ends_with('}') => {}
            t if is_error_code(t) => attrs.error_codes.push(t.to_string()),
            t => match t.split_once('=') {
                Some(("timeout", v)) => match v.parse::<u64>() {
                    Ok(s) if s > 0 => attrs.timeout = Some(s),
                    _ => problems.push(format!(
                        "`{t}`: the timeout must be a whole number of seconds above 0"
                    )),
                },
                Some(("runs", v)) => match v.parse::<u32>() {
                    Ok(n) if (1..=MAX_RUNS).contains(&n) => attrs.runs = n,
                    _ => problems.push(format!(
                        "`{t}`: the number of runs must be between 1 and {MAX_RUNS}"
                    )),
                },
                _ => problems.push(format!("unknown snippet attribute `{t}`")),
            },
        }
    }
    if !attrs.error_codes.is_empty() && !attrs.compile_fail {
        problems.push(format!(
            "error code `{}` is only meaningful after `compile_fail`",
            attrs.error_codes[0]
        ));
    }
    (attrs, problems)
}

/// `E` followed by four digits, as rustc's error codes are.
fn is_error_code(t: &str) -> bool {
    t.len() == 5 && t.starts_with('E') && t[1..].bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commas_and_spaces_both_separate() {
        let (a, p) = parse("rust,should_panic edition2021 timeout=3, runs=4");
        assert!(p.is_empty(), "{p:?}");
        assert!(a.should_panic);
        assert_eq!(a.edition(), Edition::E2021);
        assert_eq!(a.timeout, Some(3));
        assert_eq!(a.runs, 4);
    }

    #[test]
    fn compile_fail_takes_error_codes() {
        let (a, p) = parse("rust,compile_fail,E0373");
        assert!(p.is_empty());
        assert!(a.compile_fail);
        assert_eq!(a.error_codes, ["E0373"]);
    }

    #[test]
    fn mdbook_attributes_are_harmless_and_typos_are_reported() {
        let (_, p) = parse("rust,editable,noplayground,mdbook-runnable");
        assert!(p.is_empty());
        let (a, p) = parse("rust,shuold_panic,timeout=0,runs=x");
        assert!(!a.should_panic);
        assert_eq!(p.len(), 3, "{p:?}");
    }
}
