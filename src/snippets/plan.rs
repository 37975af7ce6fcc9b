//! Reads each request into a [`Prepared`] snippet (attributes, cache key, compilation unit)
//! and groups the snippets to compile into [`Unit`]s.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::attrs::{self, Attrs, Edition};
use super::merge::Unit;
use super::settings::Settings;
use super::{SnippetRequest, cache, source};
use crate::diagnostics::{Code, Diagnostic};

/// One request, read and keyed.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    /// Its attributes.
    pub attrs: Attrs,
    /// The code with hidden lines restored.
    pub code: String,
    /// The unit it compiles in (`None` for `ignore`): `s_` and 16 hex digits of the code's hash.
    pub unit: Option<String>,
    /// Why its unit compiles alone (`None`: it is a module of its edition's merged binary).
    pub solo: Option<String>,
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
///
/// A merged snippet's key covers the names of every unit merged beside it (one name per distinct
/// code): its result came from a binary holding all of them, so it is reused only while the same
/// binary would be built. Deleting or editing any merged snippet reruns the others.
pub(crate) fn prepare(
    requests: &[SnippetRequest],
    settings: &Settings,
    rustc: &str,
) -> (Vec<Prepared>, Vec<Diagnostic>) {
    let deps = toml::to_string(&settings.dependencies).unwrap_or_default();
    let limits = settings.cache_key();
    let dependency_names: Vec<String> = settings
        .dependencies
        .keys()
        .map(|k| k.replace('-', "_"))
        .collect();
    let mut prepared: Vec<Prepared> = requests
        .iter()
        .map(|req| {
            let (attrs, _) = attrs::parse(&req.info);
            let code = source::compiled_code(&req.code);
            let unit = (!attrs.ignore).then(|| {
                let h = cache::key(&["unit", attrs.edition().as_str(), &code]);
                format!("s_{}", &h[..16])
            });
            let solo = if attrs.compile_fail {
                Some("compile_fail".to_string())
            } else if attrs.standalone {
                Some("standalone_crate".to_string())
            } else {
                source::unmergeable_reason(&code, &dependency_names).map(str::to_string)
            };
            Prepared {
                key: String::new(),
                threaded: THREADED.iter().any(|w| code.contains(w)),
                timing: TIMING.iter().any(|w| code.contains(w)),
                attrs,
                code,
                unit,
                solo,
            }
        })
        .collect();
    // A unit shared by several snippets compiles alone if any of them must.
    let mut solo_units: BTreeMap<String, String> = BTreeMap::new();
    for p in &prepared {
        if let (Some(unit), Some(why)) = (&p.unit, &p.solo) {
            solo_units
                .entry(unit.clone())
                .or_insert_with(|| why.clone());
        }
    }
    let mut merged: BTreeMap<Edition, BTreeSet<&str>> = BTreeMap::new();
    for p in &prepared {
        if let Some(unit) = &p.unit
            && !solo_units.contains_key(unit)
        {
            merged.entry(p.attrs.edition()).or_default().insert(unit);
        }
    }
    let binaries: BTreeMap<Edition, String> = merged
        .into_iter()
        .map(|(edition, names)| {
            let names: Vec<&str> = names.into_iter().collect();
            (edition, cache::key(&names))
        })
        .collect();
    for p in &mut prepared {
        if let Some(unit) = &p.unit
            && let Some(why) = solo_units.get(unit)
        {
            p.solo = Some(why.clone());
        }
        let linked = match (&p.unit, &p.solo) {
            (Some(_), None) => binaries.get(&p.attrs.edition()).map_or("", String::as_str),
            _ => "alone",
        };
        p.key = cache::key(&[rustc, &deps, &limits, &p.attrs.cache_key(), &p.code, linked]);
    }
    (prepared, attribute_diagnostics(requests))
}

/// An `unknown-snippet-attribute` warning per attribute that was not understood.
pub(crate) fn attribute_diagnostics(requests: &[SnippetRequest]) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for req in requests {
        for problem in attrs::parse(&req.info).1 {
            diags.push(
                Diagnostic::new(Code::UnknownSnippetAttribute, problem)
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

/// The distinct units of the snippets `which`, in name order, each alone or merged as
/// [`prepare`] decided.
pub(crate) fn units(prepared: &[Prepared], which: &[usize]) -> Vec<Unit> {
    let mut units: BTreeMap<String, Unit> = BTreeMap::new();
    for &i in which {
        let p = &prepared[i];
        let Some(name) = &p.unit else { continue };
        units.entry(name.clone()).or_insert_with(|| Unit {
            name: name.clone(),
            edition: p.attrs.edition(),
            code: p.code.clone(),
            solo: p.solo.clone(),
        });
    }
    units.into_values().collect()
}

/// The file name of a path, for the installed copy of a binary.
pub(crate) fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "snippet".into())
}
