//! mdBook's search index as it writes it: `searchindex.js` (`searchindex-HASH.js` with
//! hash-files) at the book's root, holding
//! `window.search = Object.assign(window.search, JSON.parse('…'));`, the JSON with `\` and `'`
//! escaped by a backslash. Read by `check --html` (its hits are links) and rewritten after a
//! render (its titles are escaped).

use std::ops::Range;

const START: &str = "JSON.parse('";

/// Whether a file at the book's root is the search index.
pub(crate) fn is_index(name: &str) -> bool {
    name.strip_prefix("searchindex")
        .and_then(|rest| rest.strip_suffix(".js"))
        .is_some_and(|hash| hash.is_empty() || hash.starts_with('-'))
}

/// The JSON of an index file's text, and where its escaped form lies in the text.
pub(crate) fn json_of(text: &str) -> Option<(Range<usize>, String)> {
    let start = text.find(START)? + START.len();
    let end = text.rfind("')").filter(|&e| e >= start)?;
    let mut json = String::with_capacity(end - start);
    let mut chars = text[start..end].chars();
    while let Some(c) = chars.next() {
        json.push(if c == '\\' {
            chars.next().unwrap_or(c)
        } else {
            c
        });
    }
    Some((start..end, json))
}

/// JSON escaped as mdBook puts it between `JSON.parse('` and `')`.
pub(crate) fn escaped(json: &str) -> String {
    json.replace('\\', "\\\\").replace('\'', "\\'")
}

/// The folder of Pagefind's chunked index (see [`crate::search`]), at the book's root.
pub(crate) const PAGEFIND_DIR: &str = "pagefind";

/// The hits of Pagefind's indexes in `dir` (`pagefind/`, and the indexes its
/// [`crate::search::BUNDLES_FILE`] lists): each page's URL, and the URL of each of its
/// anchors, from the book's root.
pub(crate) fn pagefind_hits(dir: &std::path::Path) -> Result<Vec<String>, String> {
    let mut hits = bundle_hits(dir)?;
    let list = dir.join(crate::search::BUNDLES_FILE);
    if list.is_file() {
        let text = std::fs::read_to_string(&list).map_err(|e| e.to_string())?;
        let bundles: Vec<String> =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", list.display()))?;
        for b in bundles {
            // Folders inside `pagefind/` only: the list is read from the built book.
            if b.split('/').any(|c| c == ".." || c.starts_with('.')) || b.starts_with('/') {
                return Err(format!(
                    "{}: {b:?} is not a folder of pagefind/",
                    list.display()
                ));
            }
            hits.extend(bundle_hits(&dir.join(b))?);
        }
    }
    hits.sort();
    Ok(hits)
}

/// The hits of one Pagefind index in `dir` (its `fragment/` files: gzip of `pagefind_dcd` and
/// a page's JSON).
fn bundle_hits(dir: &std::path::Path) -> Result<Vec<String>, String> {
    use std::io::Read;
    #[derive(serde::Deserialize)]
    struct Fragment {
        url: String,
        #[serde(default)]
        anchors: Vec<Anchor>,
    }
    #[derive(serde::Deserialize)]
    struct Anchor {
        id: String,
    }
    let mut hits = Vec::new();
    let entries = std::fs::read_dir(dir.join("fragment")).map_err(|e| e.to_string())?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&path).map_err(|e| e.to_string())?)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let json = bytes
            .strip_prefix(b"pagefind_dcd")
            .ok_or_else(|| format!("{}: not a Pagefind fragment", path.display()))?;
        let f: Fragment =
            serde_json::from_slice(json).map_err(|e| format!("{}: {e}", path.display()))?;
        let url = f.url.trim_start_matches('/').to_string();
        hits.extend(f.anchors.iter().map(|a| format!("{url}#{}", a.id)));
        hits.push(url);
    }
    Ok(hits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_reads_back_what_is_written() {
        let json = r#"{"a":"it's \"x\" \\ y"}"#;
        let text = format!(
            "window.search = Object.assign(window.search, JSON.parse('{}'));",
            escaped(json)
        );
        let (range, read) = json_of(&text).unwrap();
        assert_eq!(read, json);
        assert_eq!(&text[range], escaped(json));
        assert!(is_index("searchindex.js") && is_index("searchindex-0a1b.js"));
        assert!(!is_index("searchindexer.js") && !is_index("searcher.js"));
    }
}
