//! Relative paths as `/`-separated strings, normalised lexically: the vault's files, the book's
//! files named in book.toml, the pages of a rendered book. A path that climbs above its root is
//! refused, never clamped: it names something outside.

/// `path` joined onto the folder `base`, with `.` and empty parts dropped and `..` applied; `None`
/// when it climbs above the root. A leading `/` of `path` counts for nothing: callers that give
/// it a meaning strip it first.
pub(crate) fn join(base: &str, path: &str) -> Option<String> {
    let mut parts: Vec<&str> = base.split('/').filter(|s| !s.is_empty()).collect();
    for comp in path.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    Some(parts.join("/"))
}

/// `raw` relative to where it starts, normalised as by [`join`]; `None` when it is absolute or
/// climbs above its start.
pub(crate) fn normalize(raw: &str) -> Option<String> {
    if raw.starts_with('/') {
        return None;
    }
    join("", raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_stays_inside_the_root() {
        assert_eq!(join("a/b", "../c.md").as_deref(), Some("a/c.md"));
        assert_eq!(join("", "a//./b.html").as_deref(), Some("a/b.html"));
        assert_eq!(join("a", "../../x"), None);
        assert_eq!(join("", "/x").as_deref(), Some("x"));
    }

    #[test]
    fn normalize_keeps_paths_inside_their_start() {
        assert_eq!(normalize("custom.css").as_deref(), Some("custom.css"));
        assert_eq!(normalize("./a/./b.css").as_deref(), Some("a/b.css"));
        assert_eq!(normalize("a/../b.css").as_deref(), Some("b.css"));
        assert_eq!(normalize(".").as_deref(), Some(""));
        assert_eq!(normalize("../x.css"), None);
        assert_eq!(normalize("a/../../x.css"), None);
        assert_eq!(normalize("/etc/passwd"), None);
    }
}
