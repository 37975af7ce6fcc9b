//! Tera templates: built-in defaults compiled into the binary, overridden file by file by a
//! `templates/` folder beside book.toml.

use std::path::Path;

use anyhow::{Context, Result};
use tera::Tera;

/// The built-in templates, by name. A file of the same name in `<book root>/templates/` wins.
pub(crate) const DEFAULTS: &[(&str, &str)] = &[
    ("SUMMARY.md", include_str!("../templates/SUMMARY.md")),
    ("snippet.html", include_str!("../templates/snippet.html")),
    ("tags.md", include_str!("../templates/tags.md")),
    (
        "backlinks.html",
        include_str!("../templates/backlinks.html"),
    ),
];

/// Loads the templates for the book rooted at `root`.
pub fn load(root: &Path) -> Result<Tera> {
    let mut tera = Tera::default();
    // Templates here emit markdown and HTML that we escape ourselves, field by field.
    tera.autoescape_on(vec![]);
    let dir = root.join("templates");
    for (name, builtin) in DEFAULTS {
        let path = dir.join(name);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => {
                if t != *builtin {
                    tera.add_raw_template(&override_marker(name), "")?;
                }
                t
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (*builtin).to_string(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        tera.add_raw_template(name, &text)
            .with_context(|| format!("in template {name}"))?;
    }
    tera.register_filter("html_escape", html_escape_filter);
    Ok(tera)
}

/// Whether `name` is the built-in template (no override in the book's `templates/`), so that a
/// hot path may use its compiled-in equivalent.
pub(crate) fn is_builtin(tera: &Tera, name: &str) -> bool {
    let builtin = DEFAULTS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t);
    // Tera keeps no source text; the override marker is recorded when loading.
    builtin.is_some()
        && !tera
            .get_template_names()
            .any(|n| n == override_marker(name).as_str())
}

fn override_marker(name: &str) -> String {
    format!("vaultbook-override:{name}")
}

fn html_escape_filter(
    value: &tera::Value,
    _: &std::collections::HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let s = tera::try_get_value!("html_escape", "value", String, value);
    Ok(tera::Value::String(html_escape(&s)))
}

/// Escapes text for HTML content and attribute values.
///
/// Not `tera::escape_html`: that one also writes `/` as `&#x2F;` (and `'` as `&#x27;`), which
/// would change every emitted path (`src="../pic.png"`, `data-embed="folder/Note"`) for nothing.
pub(crate) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_escaped(&mut out, s);
    out
}

/// [`html_escape`] of `s`, appended to `out` (no string of its own per piece of text).
pub(crate) fn push_escaped(out: &mut String, s: &str) {
    if !s.contains(['&', '<', '>', '"', '\'']) {
        out.push_str(s);
        return;
    }
    out.reserve(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}
