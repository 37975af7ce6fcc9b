//! Checks a rendered book: every internal link reaches an existing file and element id.
//!
//! [`check_rendered`] reads every `.html` page under the book's output directory with html5ever's
//! tokenizer (no tree is built: only start tags and their attributes matter), collects the ids
//! of each page (`id` on any element, `name` on `<a>`) and its links (`href`, `src`, `srcset`,
//! `poster`, `data`, `xlink:href`), then checks each internal link:
//!
//! - links with a scheme (`http:`, `mailto:`, `javascript:`, `data:`, …) or a host (`//cdn…`) are
//!   external and skipped;
//! - the path is percent-decoded and resolved against the page (or its `<base href>`; a
//!   root-relative base such as mdBook's `404.html` `<base href="/">` is read as the book's root);
//!   `/…` is resolved from the book's root, after removing the site-url path that mdBook writes
//!   into `404.html`'s `<base>`; `dir/` (and `dir` when it is a directory) means
//!   `dir/index.html`; the file must exist (`broken-html-link`);
//! - a fragment must name an element id of the target page, compared as written and
//!   percent-decoded (`missing-html-anchor`); `#`, `#top` and text fragments (`#:~:text=`) are
//!   always fine, and fragments of files that are not HTML are not checked.
//!
//! mdBook's own theme files (CSS, JavaScript, fonts, `toc.html`) are linked from every page and
//! checked like any other link; they always exist.
//!
//! The link graphs' data scripts (`data-vb-graph`, see `crate::graph`) are followed: the script
//! must exist, and every link of its picture must reach a page, read from the book's root.
//!
//! The same link twice on one line is reported once: mdBook 0.5 writes every image twice (the
//! picture and its zoomed copy).
//!
//! mdBook 0.5 copies every chapter into `print.html`, renumbering repeated heading ids across the
//! whole page (a second `## Setup` becomes `#setup-1` there) and rewriting links between chapters
//! into links to those ids, and copies the first chapter into `index.html`. So a broken link of a
//! chapter shows up again on those two pages; it is reported once, on the chapter. A failure that
//! only `print.html` or `index.html` has (a wrong rewrite, a relative link that only breaks in the
//! copy) is reported on that page.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use html5ever::tokenizer::{TagKind, Token, TokenSink, TokenSinkResult};
use percent_encoding::percent_decode_str;
use rayon::prelude::*;

use crate::diagnostics::{Code, Diagnostic, LineIndex};
use crate::relpath;

/// Checks every HTML page under `dir` (a rendered book); paths in diagnostics are relative to
/// `dir` and each diagnostic points at the line of the link.
///
/// Diagnostics come sorted by page, line and message. A missing or unreadable `dir` is a
/// `read-error`.
pub fn check_rendered(dir: &Path) -> Vec<Diagnostic> {
    if !dir.is_dir() {
        return vec![
            Diagnostic::new(
                Code::ReadError,
                format!("no rendered book at `{}`", dir.display()),
            )
            .with_help("run `vaultbook build` first"),
        ];
    }
    let mut diags = Vec::new();
    let mut files: HashSet<String> = HashSet::new();
    let mut dirs: HashSet<String> = HashSet::new();
    for entry in walkdir::WalkDir::new(dir).follow_links(true) {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let file = e
                    .path()
                    .and_then(|p| p.strip_prefix(dir).ok())
                    .map(Path::to_path_buf);
                let mut d = Diagnostic::new(Code::ReadError, format!("cannot read: {e}"));
                d.file = file;
                diags.push(d);
                continue;
            }
        };
        let Some(rel) = relative(dir, entry.path()) else {
            continue;
        };
        if entry.file_type().is_dir() {
            dirs.insert(rel);
        } else {
            files.insert(rel);
        }
    }
    let mut page_names: Vec<&String> = files.iter().filter(|f| is_html(f)).collect();
    page_names.sort();

    let parsed: Vec<(String, Result<Page, String>)> = page_names
        .par_iter()
        .map(|name| ((*name).clone(), read_page(&dir.join(name.as_str()))))
        .collect();
    let mut pages: HashMap<String, Page> = HashMap::with_capacity(parsed.len());
    for (name, page) in parsed {
        match page {
            Ok(page) => {
                pages.insert(name, page);
            }
            Err(e) => diags
                .push(Diagnostic::new(Code::ReadError, format!("cannot read: {e}")).in_file(&name)),
        }
    }

    // The search index's hits are links too: each must land on a page and an id. Each index
    // is a pseudo-page at the root, where its URLs start.
    let mut indexes: Vec<(String, String, Result<Vec<String>, String>)> = files
        .iter()
        .filter(|f| crate::search_index::is_index(f))
        .map(|name| (name.clone(), name.clone(), search_hits(&dir.join(name))))
        .collect();
    let chunked = dir.join(crate::search_index::PAGEFIND_DIR);
    if chunked.is_dir() {
        let shown = format!("{}/", crate::search_index::PAGEFIND_DIR);
        let hits = crate::search_index::pagefind_hits(&chunked);
        indexes.push(("pagefind search hits".to_string(), shown, hits));
    }
    for (page, shown, hits) in indexes {
        match hits {
            Ok(hits) => {
                let links = hits
                    .into_iter()
                    .map(|value| Link { value, line: 1 })
                    .collect();
                pages.insert(
                    page,
                    Page {
                        links,
                        ..Page::default()
                    },
                );
            }
            Err(e) => diags.push(
                Diagnostic::new(
                    Code::ReadError,
                    format!("cannot read the search index: {e}"),
                )
                .in_file(&shown),
            ),
        }
    }

    // The link graphs' pictures are links too, as the page script puts them into the pages:
    // each data script a page names is a pseudo-page whose URLs start at the root.
    let mut graphs: Vec<String> = pages
        .values()
        .flat_map(|p| p.graphs.iter())
        .map(|g| g.trim_start_matches('/').to_string())
        .collect();
    graphs.sort();
    graphs.dedup();
    let read: Vec<(String, Result<Page, String>)> = graphs
        .into_par_iter()
        .filter(|g| files.contains(g))
        .map(|g| {
            let page = std::fs::read_to_string(dir.join(&g))
                .map_err(|e| e.to_string())
                .and_then(|text| {
                    crate::graph::markup_of(&text).ok_or_else(|| "not a graph data script".into())
                })
                .map(|markup| Page {
                    base: Some("/".into()),
                    ..parse_page(markup)
                });
            (g, page)
        })
        .collect();
    for (name, page) in read {
        match page {
            Ok(page) => {
                pages.insert(name, page);
            }
            Err(e) => diags.push(
                Diagnostic::new(Code::ReadError, format!("cannot read the graph: {e}"))
                    .in_file(&name),
            ),
        }
    }

    let mount = pages
        .get("404.html")
        .and_then(|p| p.base.as_deref())
        .filter(|b| b.starts_with('/') || has_scheme(b))
        .and_then(mount_path);
    let book = Book {
        files: &files,
        dirs: &dirs,
        pages: &pages,
        mount,
    };
    let mut names: Vec<&String> = pages.keys().collect();
    names.sort();
    let failures: Vec<Failure> = names
        .par_iter()
        .flat_map_iter(|name| book.check_page(name))
        .collect();

    // Failures of the chapters themselves, to recognise their copies in print.html / index.html.
    let on_chapters: HashSet<&str> = failures
        .iter()
        .filter(|f| !is_copy_page(&f.page))
        .map(|f| f.key.as_str())
        .collect();
    let mut kept: Vec<&Failure> = failures
        .iter()
        .filter(|f| !is_copy_page(&f.page) || !on_chapters.contains(f.key.as_str()))
        .collect();
    // Pages in name order, links in document order.
    kept.sort_by(|a, b| (&a.page, a.line).cmp(&(&b.page, b.line)));
    // mdBook 0.5 writes every image twice (the picture and its zoomed copy): one link, one report.
    kept.dedup_by(|a, b| a.page == b.page && a.line == b.line && a.value == b.value);

    // Spans need the page text again; read it only for pages that have failures.
    let mut by_page: Vec<(&str, Vec<&Failure>)> = Vec::new();
    for f in kept {
        match by_page.last_mut() {
            Some((page, list)) if *page == f.page => list.push(f),
            _ => by_page.push((&f.page, vec![f])),
        }
    }
    let located: Vec<Vec<Diagnostic>> = by_page
        .par_iter()
        .map(|(page, list)| locate(&dir.join(page), list))
        .collect();
    diags.extend(located.into_iter().flatten());
    diags
}

/// One link that does not reach its target.
struct Failure {
    /// The page the link is on, relative to the book's root.
    page: String,
    /// 1-based line of the tag.
    line: usize,
    /// The attribute value as written.
    value: String,
    /// What identifies the problem across copies of a chapter: the missing file, or the missing
    /// anchor.
    key: String,
    /// The diagnostic, without a location.
    diag: Diagnostic,
}

/// The ids, links and base of one page.
#[derive(Debug, Default)]
struct Page {
    ids: HashSet<String>,
    links: Vec<Link>,
    base: Option<String>,
    /// The link graph data scripts the page names (`data-vb-graph`).
    graphs: Vec<String>,
}

/// One link of a page.
#[derive(Debug)]
struct Link {
    value: String,
    line: usize,
}

/// What a page's links are resolved against.
struct Book<'a> {
    files: &'a HashSet<String>,
    dirs: &'a HashSet<String>,
    pages: &'a HashMap<String, Page>,
    /// Where the book is served (mdBook's site-url, read from 404.html's `<base>`), for
    /// root-relative links on pages without a base of their own.
    mount: Option<&'a str>,
}

impl Book<'_> {
    fn check_page(&self, name: &str) -> Vec<Failure> {
        let Some(page) = self.pages.get(name) else {
            return Vec::new();
        };
        let here = parent(name);
        let (base_dir, mount) = match page.base.as_deref().map(str::trim) {
            Some(b) if b.starts_with('/') || has_scheme(b) || b.starts_with("//") => {
                // mdBook writes site-url here: the book's root, wherever it is mounted.
                (String::new(), mount_path(b))
            }
            Some(b) if !b.is_empty() => (
                resolve(
                    here,
                    &percent_decode_str(strip_query_fragment(b)).decode_utf8_lossy(),
                )
                .unwrap_or_default(),
                None,
            ),
            _ => (here.to_string(), self.mount),
        };
        let mut out = Vec::new();
        for link in &page.links {
            if let Some((key, diag)) = self.check_link(name, page, &base_dir, mount, &link.value) {
                out.push(Failure {
                    page: name.to_string(),
                    line: link.line,
                    value: link.value.clone(),
                    key,
                    diag,
                });
            }
        }
        out
    }

    /// `None` when `value` is fine or external; otherwise the failure's key and diagnostic.
    fn check_link(
        &self,
        page_name: &str,
        page: &Page,
        base_dir: &str,
        mount: Option<&str>,
        value: &str,
    ) -> Option<(String, Diagnostic)> {
        // The URL parser trims spaces and drops tabs and newlines anywhere.
        let cleaned: String;
        let mut value = value.trim_matches(|c: char| c.is_ascii_whitespace() || c <= ' ');
        if value.contains(['\t', '\n', '\r']) {
            cleaned = value
                .chars()
                .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
                .collect();
            value = &cleaned;
        }
        if value.is_empty() || has_scheme(value) || value.starts_with("//") {
            return None;
        }
        let (before_fragment, fragment) = match value.split_once('#') {
            Some((p, f)) => (p, Some(f)),
            None => (value, None),
        };
        let path = before_fragment
            .split_once('?')
            .map_or(before_fragment, |(p, _)| p);

        let (target, target_page) = if path.is_empty() {
            (page_name.to_string(), Some(page))
        } else {
            let decoded = percent_decode_str(path).decode_utf8_lossy();
            let resolved = if let Some(abs) = decoded.strip_prefix('/') {
                let abs = match mount.and_then(|m| abs.strip_prefix(m)) {
                    Some("") => "",
                    Some(rest) if rest.starts_with('/') => &rest[1..],
                    _ => abs,
                };
                resolve("", abs)
            } else {
                resolve(base_dir, &decoded)
            };
            let Some(resolved) = resolved else {
                return Some((
                    format!("outside:{decoded}"),
                    Diagnostic::new(
                        Code::BrokenHtmlLink,
                        format!("`{value}` points outside the book"),
                    ),
                ));
            };
            let target = if resolved.is_empty() {
                "index.html".to_string()
            } else if resolved.ends_with('/') {
                format!("{resolved}index.html")
            } else if self.dirs.contains(&resolved) {
                format!("{resolved}/index.html")
            } else {
                resolved
            };
            if !self.files.contains(&target) {
                let mut d = Diagnostic::new(
                    Code::BrokenHtmlLink,
                    format!("`{value}` points to `{target}`, which does not exist"),
                );
                let near = crate::suggest::closest(
                    &target,
                    self.files.iter().map(String::as_str).filter(|f| is_html(f)),
                    1,
                );
                if let Some(n) = near.first() {
                    d = d.with_help(format!("did you mean `{n}`?"));
                }
                return Some((format!("file:{target}"), d));
            }
            let target_page = self.pages.get(&target);
            (target, target_page)
        };

        let fragment = fragment?;
        let target_page = target_page?; // not HTML: fragments are not ids
        if fragment.is_empty()
            || fragment.eq_ignore_ascii_case("top")
            || fragment.starts_with(":~:")
        {
            return None;
        }
        if target_page.ids.contains(fragment) {
            return None;
        }
        let decoded = percent_decode_str(fragment).decode_utf8_lossy();
        if target_page.ids.contains(decoded.as_ref()) {
            return None;
        }
        let mut d = Diagnostic::new(
            Code::MissingHtmlAnchor,
            format!("`{value}`: `{target}` has no element with id `{decoded}`"),
        );
        let near = crate::suggest::closest(&decoded, target_page.ids.iter().map(String::as_str), 1);
        if let Some(n) = near.first() {
            d = d.with_help(format!("did you mean `#{n}`?"));
        }
        Some((format!("anchor:{decoded}"), d))
    }
}

/// Pages that mdBook fills with copies of chapters.
/// The hit URLs (`doc_urls`, relative to the book's root) of a search index.
fn search_hits(path: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let (_, json) =
        crate::search_index::json_of(&text).ok_or("not a search index mdBook writes")?;
    #[derive(serde::Deserialize)]
    struct Index {
        doc_urls: Vec<String>,
    }
    let index: Index = serde_json::from_str(&json).map_err(|e| e.to_string())?;
    Ok(index.doc_urls)
}

fn is_copy_page(name: &str) -> bool {
    name == "print.html" || name == "index.html"
}

fn is_html(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".html") || lower.ends_with(".htm")
}

/// `path` relative to `root` with `/` separators; `None` for the root itself.
fn relative(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("/"))
    }
}

/// The directory part of a page name (`sub/a.html` → `sub`, `a.html` → ``).
fn parent(name: &str) -> &str {
    name.rsplit_once('/').map_or("", |(d, _)| d)
}

/// Whether a URL starts with a scheme (`http:`, `mailto:`, `data:`, `C:`…).
pub(crate) fn has_scheme(url: &str) -> bool {
    let mut chars = url.char_indices();
    match chars.next() {
        Some((_, c)) if c.is_ascii_alphabetic() => {}
        _ => return false,
    }
    for (_, c) in chars {
        match c {
            ':' => return true,
            c if c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.') => {}
            _ => return false,
        }
    }
    false
}

/// The path of a base URL, without slashes at its ends, when it is not the root.
fn mount_path(base: &str) -> Option<&str> {
    let path = if let Some(rest) = base.split_once("//").filter(|_| !base.starts_with('/')) {
        rest.1.find('/').map_or("", |i| &rest.1[i..])
    } else if let Some(rest) = base.strip_prefix("//") {
        rest.find('/').map_or("", |i| &rest[i..])
    } else {
        base
    };
    let path = path.trim_matches('/');
    (!path.is_empty()).then_some(path)
}

fn strip_query_fragment(url: &str) -> &str {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    &url[..end]
}

/// Joins `rel` to the directory `dir` and normalises `.` and `..`; `None` when it climbs out of
/// the root. A trailing `/` is kept.
///
/// Not `url::Url::join`: URL rules clamp `..` at the root, so a link that climbs out of the book
/// would look like one inside it, and they keep empty segments (`a//b.html`) that no file on disk
/// has.
fn resolve(dir: &str, rel: &str) -> Option<String> {
    let mut out = relpath::join(dir, rel)?;
    let last = rel.rsplit('/').next().unwrap_or("");
    if matches!(last, "" | "." | "..") && !out.is_empty() {
        out.push('/');
    }
    Some(out)
}

/// Reads and tokenizes one page.
fn read_page(path: &Path) -> Result<Page, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    Ok(parse_page(text))
}

/// Collects the ids, links and base of an HTML text.
fn parse_page(text: String) -> Page {
    let sink = Collector {
        page: RefCell::new(Page::default()),
    };
    crate::html_tokens::tokenize(text, sink).page.into_inner()
}

/// The token sink that fills a [`Page`].
struct Collector {
    page: RefCell<Page>,
}

impl TokenSink for Collector {
    type Handle = ();

    fn process_token(&self, token: Token, line_number: u64) -> TokenSinkResult<()> {
        let Token::TagToken(tag) = token else {
            return TokenSinkResult::Continue;
        };
        if tag.kind != TagKind::StartTag {
            return TokenSinkResult::Continue;
        }
        let name: &str = &tag.name;
        let line = usize::try_from(line_number).unwrap_or(usize::MAX);
        {
            let mut page = self.page.borrow_mut();
            for attr in &tag.attrs {
                let value: &str = &attr.value;
                match &*attr.name.local {
                    "id" if !value.is_empty() => {
                        page.ids.insert(value.to_string());
                    }
                    "name" if name == "a" && !value.is_empty() => {
                        page.ids.insert(value.to_string());
                    }
                    "href" if name == "base" && page.base.is_none() => {
                        page.base = Some(value.to_string());
                    }
                    // A later <base> does not count; it is not a link either.
                    "href" if name == "base" => {}
                    crate::graph::DATA_ATTR => {
                        page.graphs.push(value.to_string());
                        page.links.push(Link {
                            value: value.to_string(),
                            line,
                        });
                    }
                    "href" | "src" | "poster" | "data" | "xlink:href" => page.links.push(Link {
                        value: value.to_string(),
                        line,
                    }),
                    "srcset" => {
                        for url in srcset_urls(value) {
                            page.links.push(Link {
                                value: url.to_string(),
                                line,
                            });
                        }
                    }
                    _ => {}
                }
            }
        }
        if tag.self_closing {
            return TokenSinkResult::Continue;
        }
        crate::html_tokens::after_start_tag(name, false)
    }
}

/// The URLs of a `srcset` value, as the HTML standard splits it: a URL is a run of
/// non-whitespace (trailing commas end it), followed by descriptors up to the next comma. So the
/// comma inside `data:image/png;base64,…` does not split the URL.
fn srcset_urls(value: &str) -> Vec<&str> {
    let mut urls = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == ',');
        if rest.is_empty() {
            return urls;
        }
        let end = rest
            .find(|c: char| c.is_ascii_whitespace())
            .unwrap_or(rest.len());
        let url = &rest[..end];
        rest = &rest[end..];
        let trimmed = url.trim_end_matches(',');
        if trimmed.len() == url.len() {
            // Descriptors follow, up to the next comma (none hold a comma outside parentheses
            // in practice).
            rest = rest.find(',').map_or("", |i| &rest[i + 1..]);
        }
        if !trimmed.is_empty() {
            urls.push(trimmed);
        }
    }
}

/// Gives the failures of one page their file and span (the attribute value when it can be found
/// as written near the reported line, else the line).
fn locate(path: &Path, failures: &[&Failure]) -> Vec<Diagnostic> {
    let text = std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let lines = LineIndex::new(&text);
    let mut seen: HashMap<(usize, &str), usize> = HashMap::new();
    let mut out = Vec::with_capacity(failures.len());
    for f in failures {
        let mut d = f.diag.clone().in_file(PathBuf::from(&f.page));
        if !text.is_empty() {
            let nth = seen.entry((f.line, f.value.as_str())).or_insert(0);
            let line_start = lines.line_start(f.line);
            let line_end = text[line_start..]
                .find('\n')
                .map_or(text.len(), |i| line_start + i);
            // The tokenizer reports the line where the tag ends; the attribute may be above.
            let window_start = lines.line_start(f.line.saturating_sub(3).max(1));
            let window = &text[window_start..line_end];
            let range = if f.value.is_empty() {
                None
            } else {
                window
                    .match_indices(f.value.as_str())
                    .nth(*nth)
                    .map(|(i, _)| window_start + i..window_start + i + f.value.len())
            };
            *nth += 1;
            let range = range.unwrap_or_else(|| {
                let line = &text[line_start..line_end];
                let indent = line.len() - line.trim_start().len();
                line_start + indent..line_start + line.trim_end().len()
            });
            d = d.at(lines.span(&text, range));
        }
        out.push(d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_like_a_browser() {
        assert_eq!(resolve("sub", "../a.html").as_deref(), Some("a.html"));
        assert_eq!(resolve("sub", "./b/").as_deref(), Some("sub/b/"));
        assert_eq!(resolve("", "a//b.html").as_deref(), Some("a/b.html"));
        assert_eq!(resolve("", "../a.html"), None);
        assert_eq!(resolve("a/b", "..").as_deref(), Some("a/"));
    }

    #[test]
    fn schemes_and_mounts() {
        for ext in [
            "http://x",
            "https://x/y",
            "mailto:a@b",
            "javascript:void(0)",
            "data:x",
        ] {
            assert!(has_scheme(ext), "{ext}");
        }
        for int in ["a.html", "a:b/c", "./a:b", "#x", "/x", "1a:b"] {
            // `a:b/c` is a scheme by URL rules; the others are not.
            assert_eq!(has_scheme(int), int == "a:b/c", "{int}");
        }
        assert_eq!(mount_path("/"), None);
        assert_eq!(mount_path("/book/"), Some("book"));
        assert_eq!(
            mount_path("https://example.com/docs/book/"),
            Some("docs/book")
        );
        assert_eq!(mount_path("https://example.com"), None);
    }

    #[test]
    fn srcset_splits_like_the_standard() {
        assert_eq!(srcset_urls("a.png 1x, b.png 2x"), ["a.png", "b.png"]);
        // Without whitespace, a comma is part of the URL (as browsers read it).
        assert_eq!(srcset_urls("a.png,b.png"), ["a.png,b.png"]);
        assert_eq!(srcset_urls("a.png, b.png"), ["a.png", "b.png"]);
        assert_eq!(
            srcset_urls("data:image/png;base64,AAAA 1x, c.png 480w"),
            ["data:image/png;base64,AAAA", "c.png"]
        );
        assert_eq!(srcset_urls("  "), Vec::<&str>::new());
    }

    #[test]
    fn tokenizer_collects_ids_links_and_skips_script_text() {
        let page = parse_page(
            "<!DOCTYPE html><html><head><base href=\"/\">\n\
             <script>var s = '<a href=\"nope.html\" id=\"fake\">';</script>\n\
             <style>a[href=\"x\"] {}</style><title><a href=no></title></head>\n\
             <body><h1 id=\"t\">T</h1><a name=\"old\"></a><span name=\"no\"></span>\n\
             <a href=\"a.html#x\">a</a><img src=\"i.png\" srcset=\"i1.png 1x, i2.png 2x\">\n\
             </body></html>"
                .to_string(),
        );
        let mut ids: Vec<&str> = page.ids.iter().map(String::as_str).collect();
        ids.sort();
        assert_eq!(ids, ["old", "t"]);
        let links: Vec<(&str, usize)> = page
            .links
            .iter()
            .map(|l| (l.value.as_str(), l.line))
            .collect();
        assert_eq!(
            links,
            [("a.html#x", 5), ("i.png", 5), ("i1.png", 5), ("i2.png", 5)]
        );
        assert_eq!(page.base.as_deref(), Some("/"));
    }
}
