//! Which search a rendered book gets, and the chunked one for books too large for mdBook's.
//!
//! mdBook's search is one file, `searchindex.js`, holding every word and every chapter's text:
//! it works from `file://` (a script, not a fetch), but grows with the book (95 MB at 10,000
//! synthetic notes) and every reader downloads all of it. Past a size, the book gets Pagefind's
//! index instead (`pagefind/`): chunks of the word index and one fragment per page, fetched
//! on demand, so that a search loads a few small files. Pagefind fetches, so that index needs
//! the book served over HTTP (`vaultbook serve` or any static host); `file://` readers are told
//! so. Which one is chosen is `[vaultbook] search`: `auto`, `mdbook` or `pagefind`.

use std::path::Path;

use anyhow::{Context, Result};
use serde::Deserialize;

/// `[vaultbook] search`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum SearchSetting {
    /// mdBook's index while it stays small or the book has at most [`FILE_URL_BOOK`] chapters
    /// (so that it works from `file://`), Pagefind's past that.
    #[default]
    Auto,
    /// Always mdBook's one-file index.
    Mdbook,
    /// Always Pagefind's chunked index.
    Pagefind,
}

/// The search a render builds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Search {
    /// mdBook's own (or none, when `[output.html.search] enable = false`).
    #[default]
    Mdbook,
    /// Pagefind's, in `pagefind/`, with vaultbook's search button.
    Pagefind,
}

/// The largest index file a reader should have to download for one search.
pub(crate) const MAX_INDEX_FILE: u64 = 5 << 20;

/// Books of up to this many chapters keep mdBook's index, which works from `file://`, while
/// it stays under [`FILE_URL_INDEX`].
pub(crate) const FILE_URL_BOOK: usize = 1000;

/// The largest mdBook index (estimated) a book of few chapters keeps for `file://` readers:
/// past it, a browser spends longer loading the one script than a reader waits, and building
/// it was most of the memory of a build (2.4 GB of 6 GB for one 100 MB note, whose Pagefind
/// index is 8.6 MB in small files).
pub(crate) const FILE_URL_INDEX: u64 = 64 << 20;

/// mdBook's index is about 9/4 of the chapters' markdown (measured on the obsidian-tasks-docs
/// vault: 0.89 MB of chapters, a 1.98 MB index).
fn estimated_index(markdown: u64) -> u64 {
    markdown.saturating_mul(9) / 4
}

/// The script that puts Pagefind's search in the menu bar, written into the emitted tree.
pub(crate) const SEARCH_JS: &str = include_str!("emit/vaultbook-search.js");

/// Its name in the emitted tree (beside book.toml, as mdBook's `additional-js` wants).
pub(crate) const SEARCH_JS_FILE: &str = "vaultbook-search.js";

/// The search for a book of `chapters` chapters holding `markdown` bytes, per `setting`.
pub(crate) fn choose(setting: SearchSetting, chapters: usize, markdown: u64) -> Search {
    match setting {
        SearchSetting::Mdbook => Search::Mdbook,
        SearchSetting::Pagefind => Search::Pagefind,
        SearchSetting::Auto => {
            let index = estimated_index(markdown);
            if index <= MAX_INDEX_FILE || (chapters <= FILE_URL_BOOK && index <= FILE_URL_INDEX) {
                Search::Mdbook
            } else {
                Search::Pagefind
            }
        }
    }
}

/// The info line that says `auto` chose Pagefind's index, and what that asks of readers.
pub(crate) fn chosen_note(markdown: u64) -> crate::Diagnostic {
    crate::Diagnostic::new(
        crate::codes::Code::SearchChunked,
        format!(
            "search is Pagefind's chunked index: mdBook's one file would be about {} MB",
            estimated_index(markdown).div_ceil(1 << 20)
        ),
    )
    .with_help(
        "readers need the book served over HTTP (`vaultbook serve`, any static host) to search \
         it; `[vaultbook] search = \"mdbook\"` keeps mdBook's index",
    )
}

/// Pages of a rendered book that are not chapters to find: the print page holds every
/// chapter again, `index.html` is a copy of the first chapter, the others are not content.
fn indexed(rel: &str) -> bool {
    rel.ends_with(".html")
        && !matches!(rel, "print.html" | "index.html" | "toc.html" | "404.html")
        && !rel.starts_with("pagefind/")
}

/// The default of `[vaultbook] search-bundle-size`: the page content (bytes of `<main>`) one
/// Pagefind index is built from. Pagefind holds all it indexes until it writes, about eight
/// times the HTML (1.3 GB for a 100 MB note): a larger book gets several indexes, built one
/// after the other, which the search merges (Pagefind's `mergeIndex`).
pub(crate) const BUNDLE_SIZE: u64 = 24 << 20;

/// The list of Pagefind's indexes after the first (their folders, from `pagefind/`), which
/// `vaultbook-search.js` merges into the first's search.
pub(crate) const BUNDLES_FILE: &str = "vaultbook-bundles.json";

/// The folder, in `pagefind/`, of index `k` (from 1; index 0 is `pagefind/` itself).
fn bundle_dir(k: usize) -> String {
    format!("more-{k}")
}

/// Builds Pagefind's index of the rendered book in `dest` into `dest/pagefind/`: several, of
/// about `bundle_size` bytes of pages' content each (0: one), listed in [`BUNDLES_FILE`].
pub(crate) fn build_pagefind(dest: &Path, bundle_size: u64) -> Result<usize> {
    let pages = crate::render::rendered_files(dest, indexed)?;
    let out = dest.join("pagefind");
    let _ = std::fs::remove_dir_all(&out);
    // Pagefind's API is async; a runtime of its own on a thread of its own, so that a caller
    // inside serve's runtime does not nest one runtime in another.
    let count = pages.len();
    std::thread::scope(|s| {
        s.spawn(|| -> Result<()> {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(index_pages(pages, &out, bundle_size))
        })
        .join()
        .map_err(|_| anyhow::anyhow!("the search indexer panicked"))?
    })?;
    Ok(count)
}

async fn index_pages(
    pages: Vec<(String, std::path::PathBuf)>,
    out: &Path,
    bundle_size: u64,
) -> Result<()> {
    let dir = |k: usize| match k {
        0 => out.to_path_buf(),
        k => out.join(bundle_dir(k)),
    };
    let mut index = new_index()?;
    let (mut k, mut held) = (0, 0u64);
    for (rel, path) in pages {
        let html = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let main = main_range(&html);
        let content = main.as_ref().map_or(html.len(), ExactSizeIterator::len) as u64;
        let html = with_title(html, main);
        if held > 0 && bundle_size > 0 && held + content > bundle_size {
            // This index is written (and its memory freed) before the next one starts.
            write_index(std::mem::replace(&mut index, new_index()?), &dir(k)).await?;
            crate::memory::release();
            k += 1;
            held = 0;
        }
        held += content;
        index
            .add_html_file(None, Some(format!("/{rel}")), html)
            .await
            .with_context(|| format!("cannot index {rel} for search"))?;
    }
    write_index(index, &dir(k)).await?;
    if k > 0 {
        let list: Vec<String> = (1..=k).map(|i| format!("{}/", bundle_dir(i))).collect();
        std::fs::write(out.join(BUNDLES_FILE), serde_json::to_string(&list)?)?;
    }
    Ok(())
}

/// `html` with a title for Pagefind when its `<main>` (the content at `main`) has no `<h1>` (a
/// later part of a long note, an mdBook chapter that opens with a lower heading): the page's
/// `<title>`, which mdBook writes as the chapter's name and the book's. Pagefind takes a
/// result's title from the first `<h1>` and shows "undefined" without one. The element is left
/// out of the index (`data-pagefind-ignore`), its metadata kept; the page on disk is not changed.
fn with_title(html: String, main: Option<std::ops::Range<usize>>) -> String {
    let Some(main) = main.filter(|m| !html[m.clone()].contains("<h1")) else {
        return html;
    };
    let title = html
        .find("<title>")
        .and_then(|t| {
            let from = t + "<title>".len();
            html[from..].find("</title>").map(|e| &html[from..from + e])
        })
        .map(str::trim)
        .filter(|t| !t.is_empty() && !t.contains('<'));
    let Some(title) = title else {
        return html;
    };
    let meta = format!("<span data-pagefind-ignore data-pagefind-meta=\"title\">{title}</span>");
    let mut out = String::with_capacity(html.len() + meta.len());
    out.push_str(&html[..main.start]);
    out.push_str(&meta);
    out.push_str(&html[main.start..]);
    out
}

/// The content of a page's `<main>` element (after its start tag, before its end tag): what
/// Pagefind indexes of the page; `None` for a page without one.
fn main_range(html: &str) -> Option<std::ops::Range<usize>> {
    let open = html.find("<main")?;
    let start = open + html[open..].find('>')? + 1;
    let end = start + html[start..].rfind("</main>")?;
    Some(start..end)
}

/// Writes `index` into `dir`.
async fn write_index(mut index: pagefind::api::PagefindIndex, dir: &Path) -> Result<()> {
    index
        .write_files(Some(dir.to_string_lossy().into_owned()))
        .await?;
    Ok(())
}

/// A Pagefind index of the book's pages: their `<main>`, without what is about other pages.
fn new_index() -> Result<pagefind::api::PagefindIndex> {
    let options = pagefind::options::PagefindServiceConfig::builder()
        .root_selector("main".to_string())
        // Backlinks and snippet output are about other pages, or are not prose.
        .exclude_selectors(vec![
            ".vb-backlinks".to_string(),
            ".snippet-output".to_string(),
            ".mobile-nav-chapters".to_string(),
        ])
        .keep_index_url(true)
        .build();
    pagefind::api::PagefindIndex::new(Some(options))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_keeps_mdbooks_index_for_file_url_books_and_small_ones_unless_huge() {
        assert_eq!(choose(SearchSetting::Auto, 1000, 28 << 20), Search::Mdbook);
        assert_eq!(choose(SearchSetting::Auto, 5000, 1 << 20), Search::Mdbook);
        // A few chapters of 100 MB: an index no browser loads.
        assert_eq!(choose(SearchSetting::Auto, 2, 100 << 20), Search::Pagefind);
        assert_eq!(choose(SearchSetting::Mdbook, 2, 100 << 20), Search::Mdbook);
        assert_eq!(
            choose(SearchSetting::Auto, 1001, 50 << 20),
            Search::Pagefind
        );
        assert_eq!(
            choose(SearchSetting::Mdbook, 10000, 50 << 20),
            Search::Mdbook
        );
        assert_eq!(choose(SearchSetting::Pagefind, 1, 1), Search::Pagefind);
    }

    #[test]
    fn only_chapters_are_indexed() {
        assert!(indexed("a/b.html"));
        for p in [
            "print.html",
            "index.html",
            "toc.html",
            "404.html",
            "pagefind/x.html",
            "a.css",
        ] {
            assert!(!indexed(p), "{p}");
        }
    }
}
