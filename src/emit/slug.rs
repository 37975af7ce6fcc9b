//! Output paths: each path component slugged so that every chapter and asset URL works in
//! mdBook's sidebar and in any web server (no spaces, `#`, `?`, `%` or quotes in URLs).

use std::collections::HashSet;

use unicode_normalization::UnicodeNormalization;

/// Slugs one path component: NFC, lowercase, letters, digits, `-`, `_` and `.` kept, whitespace
/// runs become `-`, everything else is dropped.
pub fn slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut dash = false;
    for c in s.nfc() {
        if c.is_alphanumeric() || c == '_' || c == '.' {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.extend(c.to_lowercase());
        } else if c.is_whitespace() || c == '-' {
            dash = true;
        }
    }
    let out = out.trim_matches('.').to_string();
    if out.is_empty() { "_".to_string() } else { out }
}

/// The output path of a vault path: every folder slugged, the file slugged with its extension
/// (`.md` for notes). A note named README becomes `index`, because mdBook's index preprocessor
/// would rename it and break links to it.
pub fn output_path(rel: &str, note: bool) -> String {
    let mut parts: Vec<String> = Vec::new();
    let comps: Vec<&str> = rel.split('/').collect();
    for (i, c) in comps.iter().enumerate() {
        if i + 1 < comps.len() {
            parts.push(slug(c));
            continue;
        }
        let (stem, ext) = if note {
            (crate::links::keys::strip_md(c), "md".to_string())
        } else {
            match c.rfind('.') {
                Some(j) if j > 0 => (&c[..j], slug(&c[j + 1..])),
                _ => (*c, String::new()),
            }
        };
        let mut stem = slug(stem);
        if note && stem == "readme" {
            stem = "index".to_string();
        }
        parts.push(if ext.is_empty() {
            stem
        } else {
            format!("{stem}.{ext}")
        });
    }
    parts.join("/")
}

/// Makes `path` unique among `taken` by adding `-1`, `-2`… before the extension.
pub fn dedup(path: String, taken: &mut HashSet<String>) -> String {
    if taken.insert(path.clone()) {
        return path;
    }
    let (stem, ext) = match path.rfind('.') {
        Some(i) if !path[i..].contains('/') => (&path[..i], &path[i..]),
        _ => (path.as_str(), ""),
    };
    let mut n = 1;
    loop {
        let candidate = format!("{stem}-{n}{ext}");
        if taken.insert(candidate.clone()) {
            return candidate;
        }
        n += 1;
    }
}

/// Percent-encodes a `/`-separated path for a link destination (`/` kept).
pub fn url_encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The relative URL from the page at `from` to the file at `to` (both output paths).
pub fn relative(from: &str, to: &str) -> String {
    let from_dir: Vec<&str> = from.split('/').collect();
    let from_dir = &from_dir[..from_dir.len() - 1];
    let to_parts: Vec<&str> = to.split('/').collect();
    let common = from_dir
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count()
        .min(to_parts.len() - 1);
    let mut out = String::new();
    for _ in common..from_dir.len() {
        out.push_str("../");
    }
    out.push_str(&to_parts[common..].join("/"));
    url_encode_path(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(
            output_path("Getting Started/My Note.md", true),
            "getting-started/my-note.md"
        );
        assert_eq!(output_path("README.md", true), "index.md");
        assert_eq!(output_path("C# & \"Tips\"?.md", true), "c-tips.md");
        assert_eq!(
            output_path("images/Café Photo.PNG", false),
            "images/café-photo.png"
        );
        assert_eq!(output_path("a/#%.md", true), "a/_.md");
    }

    #[test]
    fn relative_urls() {
        assert_eq!(relative("a/b.md", "a/c.md"), "c.md");
        assert_eq!(relative("a/b.md", "d/c.md"), "../d/c.md");
        assert_eq!(relative("b.md", "d/e/c.md"), "d/e/c.md");
        assert_eq!(relative("x/y/b.md", "c.md"), "../../c.md");
        assert_eq!(relative("b.md", "images/café.png"), "images/caf%C3%A9.png");
    }

    #[test]
    fn dedups() {
        let mut t = HashSet::new();
        assert_eq!(dedup("a.md".into(), &mut t), "a.md");
        assert_eq!(dedup("a.md".into(), &mut t), "a-1.md");
    }
}
