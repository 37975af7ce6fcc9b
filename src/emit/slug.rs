//! Output paths: each path component slugged so that every chapter and asset URL works in
//! mdBook's sidebar and in any web server (no spaces, `#`, `?`, `%` or quotes in URLs).

use std::collections::HashSet;

use unicode_normalization::UnicodeNormalization;

/// Slugs one path component: NFC, lowercase, letters, digits, `-`, `_` and `.` kept, whitespace
/// runs become `-`, everything else is dropped.
pub(crate) fn slug(s: &str) -> String {
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
pub(crate) fn output_path(rel: &str, note: bool) -> String {
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
pub(crate) fn dedup(path: String, taken: &mut HashSet<String>) -> String {
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
pub(crate) fn url_encode_path(path: &str) -> String {
    if path.bytes().all(url_safe) {
        return path.to_string();
    }
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
pub(crate) fn relative(from: &str, to: &str) -> String {
    // The folders both paths share, compared component by component without allocating.
    let from_dir = from.rfind('/').map_or("", |i| &from[..i]);
    let mut common = 0; // bytes of `to` covered by shared folders (including their `/`)
    let mut shared = 0; // how many folders are shared
    let mut f = from_dir.split('/').filter(|c| !c.is_empty());
    let mut t_rest = to;
    while let (Some(fc), Some(i)) = (f.next(), t_rest.find('/')) {
        if &t_rest[..i] != fc {
            break;
        }
        common += i + 1;
        shared += 1;
        t_rest = &t_rest[i + 1..];
    }
    let depth = from_dir.split('/').filter(|c| !c.is_empty()).count();
    let rest = &to[common..];
    let mut out = String::with_capacity(3 * (depth - shared) + rest.len());
    for _ in shared..depth {
        out.push_str("../");
    }
    if rest.bytes().all(url_safe) {
        out.push_str(rest);
        out
    } else {
        out.push_str(&url_encode_path(rest));
        out
    }
}

fn url_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_.~/".contains(&b)
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
        assert_eq!(relative("a/b/c.md", "a/x/y.md"), "../x/y.md");
        assert_eq!(relative("a/b.md", "a/b.md"), "b.md");
        assert_eq!(relative("ab/c.md", "a/d.md"), "../a/d.md");
    }

    #[test]
    fn dedups() {
        let mut t = HashSet::new();
        assert_eq!(dedup("a.md".into(), &mut t), "a.md");
        assert_eq!(dedup("a.md".into(), &mut t), "a-1.md");
    }
}
