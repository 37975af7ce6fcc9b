//! Reads each request into a [`Prepared`] snippet (attributes, cache key, compilation unit)
//! and groups the snippets to compile into [`Unit`]s.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use super::attrs::{self, Attrs};
use super::merge::Unit;
use super::settings::Settings;
use super::{SnippetRequest, cache, source};
use crate::diagnostics::Diagnostic;

/// One request, read and keyed.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Its attributes.
    pub attrs: Attrs,
    /// The code with hidden lines restored.
    pub code: String,
    /// The unit it compiles in (`None` for `ignore`): `s_` and 16 hex digits of the code's hash.
    pub unit: Option<String>,
    /// The cache key of its result.
    pub key: String,
    /// Uses threads: its output is one run of a nondeterministic program.
    pub threaded: bool,
    /// Measures time: runs alone so that other runs do not distort its numbers.
    pub timing: bool,
}

/// Words that make a snippet "threaded" (its output may differ from run to run).
const THREADED: &[&str] = &[
    "thread::",
    "rayon",
    "par_iter",
    "crossbeam",
    "tokio",
    "spawn(",
];
/// Words that make a snippet "timing": it measures durations.
const TIMING: &[&str] = &["Instant", "elapsed", "SystemTime"];

/// Reads every request; the diagnostics are about attributes that were not understood.
pub fn prepare(
    requests: &[SnippetRequest],
    settings: &Settings,
    rustc: &str,
) -> (Vec<Prepared>, Vec<Diagnostic>) {
    let deps = toml::to_string(&settings.dependencies).unwrap_or_default();
    let limits = settings.cache_key();
    let prepared = requests
        .iter()
        .map(|req| {
            let (attrs, _) = attrs::parse(&req.info);
            let code = source::compiled_code(&req.code);
            let unit = (!attrs.ignore).then(|| {
                let h = cache::key(&["unit", attrs.edition().as_str(), &code]);
                format!("s_{}", &h[..16])
            });
            Prepared {
                key: cache::key(&[rustc, &deps, &limits, &attrs.cache_key(), &code]),
                threaded: THREADED.iter().any(|w| code.contains(w)),
                timing: TIMING.iter().any(|w| code.contains(w)),
                attrs,
                code,
                unit,
            }
        })
        .collect();
    (prepared, attribute_diagnostics(requests))
}

/// An `unknown-snippet-attribute` warning per attribute that was not understood.
pub fn attribute_diagnostics(requests: &[SnippetRequest]) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for req in requests {
        for problem in attrs::parse(&req.info).1 {
            diags.push(
                Diagnostic::warning("unknown-snippet-attribute", problem)
                    .in_file(req.file.clone())
                    .at(req.span)
                    .with_help(
                        "known: ignore, no_run, should_panic, compile_fail[,E0XXX], \
                         should_timeout, timeout=SECS, runs=N, editionYYYY, hide_output",
                    ),
            );
        }
    }
    diags
}

/// The distinct units of the snippets `which`, in name order. A unit shared by several
/// snippets compiles alone if any of them must (`compile_fail`, `standalone_crate`, or code
/// that would mean something else as a module).
pub fn units(prepared: &[Prepared], which: &[usize]) -> Vec<Unit> {
    let mut units: BTreeMap<String, Unit> = BTreeMap::new();
    for &i in which {
        let p = &prepared[i];
        let Some(name) = &p.unit else { continue };
        let solo = if p.attrs.compile_fail {
            Some("compile_fail".to_string())
        } else if p.attrs.standalone {
            Some("standalone_crate".to_string())
        } else {
            source::unmergeable_reason(&p.code).map(str::to_string)
        };
        let unit = units.entry(name.clone()).or_insert_with(|| Unit {
            name: name.clone(),
            edition: p.attrs.edition(),
            code: p.code.clone(),
            solo: None,
        });
        if unit.solo.is_none() {
            unit.solo = solo;
        }
    }
    units.into_values().collect()
}

/// The file name of a path, for the installed copy of a binary.
pub fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "snippet".into())
}

/// `rustc -vV`, which keys the cache: a new compiler means new results.
pub fn rustc_version(root: &Path) -> Result<String, String> {
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
