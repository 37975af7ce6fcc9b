//! The SARIF 2.1.0 format of `check --format sarif`, as GitHub code scanning (the
//! `upload-sarif` action) and other CI dashboards read it.
//!
//! One run, whose driver is vaultbook with a rule per code that the results use (from the
//! registry of [`crate::codes`]); one result per diagnostic, at the level it has after
//! `[vaultbook.check]`. Paths are URI references relative to the book root (`%SRCROOT%`),
//! percent-encoded (a book-wide diagnostic is placed on book.toml, with no region); columns count Unicode code points, as [`crate::Span`]'s do, and the run
//! says so (`columnKind`), so that no column has to be converted.

use std::collections::BTreeMap;
use std::path::{Component, Path};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_encode};
use serde::Serialize;

use crate::codes::Code;
use crate::config::CONFIG_FILE;
use crate::diagnostics::{Diagnostic, Severity};

/// The schema a SARIF 2.1.0 log names: OASIS's, at the address the schema gives itself (`$id`).
const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The base id every relative path is resolved against: the book root.
const SRCROOT: &str = "%SRCROOT%";

/// Bytes kept as they are in a path segment: RFC 3986's unreserved characters. Everything else
/// is percent-encoded, sub-delimiters and `:` included, so that no segment can read as a scheme
/// (`C:`) or a query, whatever the vault's file names hold.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The whole log.
#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run; 1],
}

/// The one run of a `check`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    original_uri_base_ids: BTreeMap<&'static str, BaseId>,
    /// Declared because our columns count code points, not SARIF's default UTF-16 units.
    column_kind: &'static str,
    results: Vec<SarifResult>,
}

/// `tool`, holding only the driver: vaultbook has no extensions.
#[derive(Serialize)]
struct Tool {
    driver: ToolDriver,
}

/// vaultbook, its version and the rules its results refer to.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ToolDriver {
    name: &'static str,
    version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    information_uri: Option<&'static str>,
    rules: Vec<Rule>,
}

/// The description of `%SRCROOT%`. It has no `uri`: the absolute path of the book root would
/// tie the log to one machine (and leak it into an uploaded artifact), and SARIF lets a
/// producer that leaves the root to the consumer say only what it is.
#[derive(Serialize)]
struct BaseId {
    description: Text,
}

/// A `message` or description: plain text.
#[derive(Serialize)]
struct Text {
    text: String,
}

/// One code of the registry, as a SARIF `reportingDescriptor`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    short_description: Text,
    full_description: Text,
    help: Text,
    default_configuration: Configuration,
    properties: RuleProperties,
}

/// A rule's default level.
#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

/// GitHub shows `tags` on an alert and filters by them: the code's group.
#[derive(Serialize)]
struct RuleProperties {
    tags: [&'static str; 1],
}

/// One diagnostic.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: [Location; 1],
}

/// Where a diagnostic is.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

/// A file, and where in it when the diagnostic has a span.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

/// A file's URI reference, relative to `uri_base_id` when it has one.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

/// 1-based lines and columns; `end_column` is the column after the last character, as in
/// [`crate::Span`] and in SARIF.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

/// SARIF's name for a severity (SARIF has no "info": its `note` is the same thing).
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// The log of `diags`, already in the report's order, as pretty-printed JSON.
pub(crate) fn render(diags: &[&Diagnostic]) -> String {
    // Rules for the codes the results use, not the whole registry: each rule carries its
    // explanation, so the whole registry would be most of the log for a book with one broken
    // link, and a rule listed without results tells a dashboard nothing. In registry order,
    // which is stable, so that the same findings give the same indices from run to run.
    let mut used: Vec<Code> = diags.iter().map(|d| d.code).collect();
    used.sort_by_key(|code| Code::ALL.iter().position(|c| c == code));
    used.dedup();
    let index: BTreeMap<Code, usize> = used.iter().enumerate().map(|(i, &c)| (c, i)).collect();
    let rules = used.iter().map(|&code| rule(code)).collect();
    let results = diags
        .iter()
        .map(|d| SarifResult {
            rule_id: d.code.name(),
            rule_index: index[&d.code],
            level: level(d.severity),
            message: Text {
                text: match &d.help {
                    Some(help) => format!("{}\nhelp: {help}", d.message),
                    None => d.message.clone(),
                },
            },
            // A book-wide diagnostic (no file) is placed on book.toml, the book's own file:
            // GitHub code scanning refuses a result without a location (the SARIF Multitool's
            // GitHub rules GH1015 and GH1017 say so), and with it the whole upload.
            locations: [location(
                d.file.as_deref().unwrap_or(Path::new(CONFIG_FILE)),
                d,
            )],
        })
        .collect();
    let repository = env!("CARGO_PKG_REPOSITORY");
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: ToolDriver {
                    name: "vaultbook",
                    version: env!("CARGO_PKG_VERSION"),
                    // Only a URL the package itself declares; none is made up.
                    information_uri: (!repository.is_empty()).then_some(repository),
                    rules,
                },
            },
            original_uri_base_ids: BTreeMap::from([(
                SRCROOT,
                BaseId {
                    description: Text {
                        text: "The book root: the folder holding book.toml.".to_string(),
                    },
                },
            )]),
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    // Structs of strings and numbers always serialise.
    let mut out = serde_json::to_string_pretty(&log).unwrap_or_default();
    out.push('\n');
    out
}

/// The rule of `code`, from the registry.
fn rule(code: Code) -> Rule {
    Rule {
        id: code.name(),
        short_description: Text {
            text: code.summary().to_string(),
        },
        full_description: Text {
            text: code.explanation().to_string(),
        },
        help: Text {
            text: code.explanation().to_string(),
        },
        default_configuration: Configuration {
            level: level(code.default_severity()),
        },
        properties: RuleProperties {
            tags: [code.group().name()],
        },
    }
}

/// `file` (relative to the book root, or absolute for a `--dest-dir` outside it), with the
/// diagnostic's region when it has a span.
fn location(file: &Path, d: &Diagnostic) -> Location {
    let (uri, uri_base_id) = uri(file);
    Location {
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation { uri, uri_base_id },
            region: d.span.map(|s| Region {
                start_line: s.line,
                start_column: s.column,
                end_line: s.end_line,
                end_column: s.end_column,
            }),
        },
    }
}

/// The URI reference of `path`: relative paths are `%SRCROOT%`-relative, absolute ones a
/// `file://` URI of their own. Each segment is percent-encoded from its bytes (UTF-8 for any
/// name a note can have).
fn uri(path: &Path) -> (String, Option<&'static str>) {
    let mut segments: Vec<String> = Vec::new();
    let mut absolute = false;
    for c in path.components() {
        match c {
            Component::RootDir => absolute = true,
            // A Windows drive (`C:`) is the first segment of a `file:///C:/…` URI, unencoded.
            Component::Prefix(p) => {
                absolute = true;
                segments.push(p.as_os_str().to_string_lossy().replace('\\', "/"));
            }
            Component::CurDir => {}
            Component::ParentDir => segments.push("..".to_string()),
            // Its bytes, not a lossy string: a name that is not UTF-8 still names its file.
            Component::Normal(s) => {
                segments.push(percent_encode(s.as_encoded_bytes(), SEGMENT).to_string())
            }
        }
    }
    let joined = segments.join("/");
    if absolute {
        (format!("file:///{joined}"), None)
    } else {
        (joined, Some(SRCROOT))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_encoded_segment_by_segment() {
        assert_eq!(
            uri(Path::new("vault/My Note.md")),
            ("vault/My%20Note.md".to_string(), Some(SRCROOT))
        );
        assert_eq!(
            uri(Path::new("vault/Café/a#b?c:d%e.md")).0,
            "vault/Caf%C3%A9/a%23b%3Fc%3Ad%25e.md"
        );
        assert_eq!(
            uri(Path::new("/tmp/out dir/x.html")),
            ("file:///tmp/out%20dir/x.html".to_string(), None)
        );
        assert_eq!(uri(Path::new("./book/x.html")).0, "book/x.html");
    }

    #[test]
    fn levels_map_to_sarif_names() {
        assert_eq!(level(Severity::Error), "error");
        assert_eq!(level(Severity::Warning), "warning");
        assert_eq!(level(Severity::Info), "note");
    }
}
