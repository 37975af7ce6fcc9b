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

/// Builds Pagefind's index of the rendered book in `dest` into `dest/pagefind/`.
pub(crate) fn build_pagefind(dest: &Path) -> Result<usize> {
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
            rt.block_on(index_pages(pages, &out))
        })
        .join()
        .map_err(|_| anyhow::anyhow!("the search indexer panicked"))?
    })?;
    Ok(count)
}

async fn index_pages(pages: Vec<(String, std::path::PathBuf)>, out: &Path) -> Result<()> {
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
    let mut index = pagefind::api::PagefindIndex::new(Some(options))?;
    for (rel, path) in pages {
        let html = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        index
            .add_html_file(None, Some(format!("/{rel}")), html)
            .await
            .with_context(|| format!("cannot index {rel} for search"))?;
    }
    index
        .write_files(Some(out.to_string_lossy().into_owned()))
        .await?;
    Ok(())
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
