//! HTML rendering in-process with mdbook-driver: users install no mdbook binary.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use mdbook_driver::MDBook;
use mdbook_driver::book::Book;
use mdbook_driver::builtin_preprocessors::CmdPreprocessor;
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};

use crate::search::Search;

mod shards;
pub(crate) mod toc;

pub use shards::ShardSizes;

/// How to render.
#[derive(Debug, Clone, Default)]
pub(crate) struct RenderOptions {
    /// Override `[output.html] hash-files`: `serve` turns it off so that a page rendered alone
    /// refers to the same `toc.js` as the rest of the book it joins.
    pub hash_files: Option<bool>,
    /// Render only these chapters (paths relative to `src/`, like `basics/intro.md`), plus their
    /// neighbours so that their previous/next links are right. `None` renders everything.
    pub only: Option<BTreeSet<PathBuf>>,
    /// The book root, when the external preprocessors book.toml names may run
    /// (`--allow-commands`): they run there, as in mdBook. `None` runs none of them.
    pub commands: Option<PathBuf>,
    /// Which search index the book gets (see [`crate::search`]).
    pub search: Search,
    /// The page content one Pagefind index is built from (`[vaultbook] search-bundle-size`;
    /// 0: one index).
    pub search_bundle: u64,
    /// Leave out `print.html` (a book past [`PRINT_LIMIT`] that did not ask for it).
    pub no_print: bool,
    /// How a book is cut into shards (see [`shards`]); `None` for the defaults.
    pub shards: Option<ShardSizes>,
    /// Render only the first shard: its pages with the book's sidebar, and the theme's files.
    /// What `serve` shows of a large book before the rest is rendered; a book too small for
    /// shards (or not page by page) is rendered whole.
    pub first_shard: bool,
}

/// Chapters (markdown bytes) past which a book gets no print page unless book.toml asks for
/// one: mdBook's print page holds them all, 65 MB of HTML for the 10,000-note benchmark.
pub(crate) const PRINT_LIMIT: u64 = 10 << 20;

/// Chapters from which a book gets no print page unless book.toml asks for one, as it gets
/// Pagefind's search ([`crate::search::FILE_URL_BOOK`]): a page that holds every chapter is one
/// no render can leave out, so an edit of one note would render the whole book again (a
/// 1,000-note build after one edit: 80% of a full build with it, against 5% without), for a
/// page of thousands of printed pages.
pub(crate) const PRINT_CHAPTERS: usize = 1_000;

/// Whether a book of `chapters` chapters and `markdown` bytes of them, configured by
/// book.toml's `table`, goes without a print page: it is past a limit and `[output.html.print]
/// enable` is not set.
pub(crate) fn print_left_out(table: &toml::Table, chapters: usize, markdown: u64) -> bool {
    (markdown > PRINT_LIMIT || chapters >= PRINT_CHAPTERS) && html_enable(table, "print").is_none()
}

/// `[output.html.KEY] enable` in book.toml's `table`, where it is set.
fn html_enable<'a>(table: &'a toml::Table, key: &str) -> Option<&'a toml::Value> {
    table
        .get("output")
        .and_then(|o| o.get("html"))
        .and_then(|h| h.get(key))
        .and_then(|t| t.get("enable"))
}

/// Renders the emitted source tree at `book_root` (holding book.toml and `src/`) into `dest`.
/// Only the HTML backend runs: other `[output.*]` tables are for a stock `mdbook build` of the
/// emitted tree. No external preprocessor runs unless [`RenderOptions::commands`] says where.
pub(crate) fn render_with(
    book_root: &Path,
    dest: &Path,
    options: &RenderOptions,
) -> Result<Rendered> {
    let started = std::time::Instant::now();
    let text = std::fs::read_to_string(book_root.join("book.toml"))?;
    let mut table: toml::Table = toml::from_str(&text)?;
    if let Some(out) = table.get_mut("output").and_then(|o| o.as_table_mut()) {
        out.retain(|k, _| k == "html");
    }
    let external = crate::book_commands::external_preprocessors(&table);
    if options.commands.is_none() {
        crate::book_commands::remove_external(&mut table);
    }
    let mut config: mdbook_driver::config::Config = toml::to_string(&table)?
        .parse()
        .context("the emitted book.toml is not a valid mdBook configuration")?;
    config.build.build_dir = dest.to_path_buf();
    let pagefind = pagefind_on(&table, options);
    // The emitted book.toml names the previews' script exactly when `[vaultbook] previews` is on.
    let previews = config
        .get::<Vec<String>>("output.html.additional-js")
        .ok()
        .flatten()
        .is_some_and(|js| js.iter().any(|f| f == crate::previews::PREVIEWS_JS_FILE));
    if pagefind {
        // mdBook's index of this book would be too large to download: Pagefind's instead,
        // with vaultbook's button in place of mdBook's.
        let mut js: Vec<String> = config
            .get::<Vec<String>>("output.html.additional-js")
            .ok()
            .flatten()
            .unwrap_or_default();
        js.push(crate::search::SEARCH_JS_FILE.to_string());
        config
            .set("output.html.search.enable", false)
            .and_then(|_| config.set("output.html.additional-js", js))
            .map_err(|e| anyhow::anyhow!("{e:#}"))?;
    }
    if options.no_print {
        config
            .set("output.html.print.enable", false)
            .map_err(|e| anyhow::anyhow!("{e:#}"))?;
    }
    if let Some(hash) = options.hash_files {
        config
            .set("output.html.hash-files", hash)
            .map_err(|e| anyhow::anyhow!("{e:#}"))?;
    }
    // A preprocessor of the book's may look at every chapter (an index, a glossary): it gets
    // the whole book, and the pages not wanted are turned into drafts after it has run.
    let runs_external = options.commands.is_some() && !external.is_empty();
    let loaded = match &options.only {
        Some(only) if !runs_external => {
            let summary = cut_summary(&book_root.join(&config.book.src), only)?;
            MDBook::load_with_config_and_summary(book_root, config, summary)
        }
        _ => MDBook::load_with_config(book_root, config),
    };
    let mut book = loaded
        .map_err(|e| anyhow::anyhow!("{e:#}"))
        .context("mdBook could not load the emitted book")?;
    if let Some(root) = &options.commands {
        // mdBook made these to run in the emitted tree, which holds none of the book's
        // scripts: the same preprocessors, in their place in the order, run in the book root.
        for e in external {
            let command = crate::book_commands::rooted(&e.command, root)?;
            book.with_preprocessor(CmdPreprocessor::new(
                e.name,
                command,
                root.clone(),
                e.optional,
            ));
        }
    }
    let sharded = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    if let Some(only) = &options.only {
        book.with_preprocessor(OnlyThese(only.clone()));
        book.with_renderer(shards::PagesOnlyHtml);
    } else {
        // In place of mdBook's own HTML renderer (the same name replaces it).
        book.with_renderer(shards::ShardedHtml {
            sizes: options.shards.unwrap_or_default(),
            first: options.first_shard,
            page_by_page: page_by_page(&table, options),
            sharded: sharded.clone(),
        });
    }
    book.build()
        .map_err(|e| anyhow::anyhow!("{e:#}"))
        .context("mdBook could not render the book")?;
    escape_search_titles(dest)?;
    let mut rendered = Rendered {
        sharded: sharded.load(std::sync::atomic::Ordering::Relaxed),
        parts: vec![("render", started.elapsed())],
    };
    if pagefind && options.only.is_none() && !options.first_shard {
        let started = std::time::Instant::now();
        // What the render freed, before the index, which allocates as much again.
        crate::memory::release();
        crate::search::build_pagefind(dest, options.search_bundle)?;
        rendered.parts.push(("search index", started.elapsed()));
    }
    // A partial render (serve) copies only its pages' HTML out of its scratch folder; their
    // previews are made again there, by `driver::incremental::render_pages`.
    if previews && options.only.is_none() {
        let started = std::time::Instant::now();
        crate::previews::build(dest)?;
        rendered.parts.push(("previews", started.elapsed()));
    }
    Ok(rendered)
}

/// What a render did.
#[derive(Debug, Clone)]
pub(crate) struct Rendered {
    /// The book was rendered in shards.
    pub sharded: bool,
    /// The time of each part, in order: mdBook's render, then the passes over its pages.
    pub parts: Vec<(&'static str, std::time::Duration)>,
}

/// Whether the book of `chapters` chapters and `bytes` of markdown that book.toml's `table` configures is rendered in
/// shards with `options`: the one rule, for the renderer and for serve's early first pages.
pub(crate) fn in_shards(
    (chapters, bytes): (usize, u64),
    table: &toml::Table,
    options: &RenderOptions,
) -> bool {
    let sizes = options.shards.unwrap_or_default();
    sizes.applies(chapters, bytes, page_by_page(table, options))
}

/// Whether a render of the book that book.toml's `table` configures, with `options`, is page
/// by page: no page or file holds every chapter (mdBook's search index, the print page), so
/// that the pages can be rendered apart (in shards) or a few of them again (a `build` after an
/// edit). Pagefind's index, built from the pages afterwards, does not count.
pub(crate) fn page_by_page(table: &toml::Table, options: &RenderOptions) -> bool {
    let html = |key: &str| html_enable(table, key).and_then(toml::Value::as_bool);
    let search = options.search != Search::Pagefind && html("search").unwrap_or(true);
    let print = !options.no_print && html("print").unwrap_or(true);
    !search && !print
}

/// Whether a render of the book that book.toml's `table` configures, with `options`, builds
/// Pagefind's index.
pub(crate) fn pagefind_on(table: &toml::Table, options: &RenderOptions) -> bool {
    let enabled = html_enable(table, "search").and_then(toml::Value::as_bool);
    enabled.unwrap_or(true) && options.search == Search::Pagefind
}

/// Renders the mdBook source tree at `book_root` into `dest` as `build` does, in shards cut as
/// `shards` says; returns whether it was sharded. For the tests that compare a sharded render
/// with a one-pass one.
pub fn render_tree(book_root: &Path, dest: &Path, shards: ShardSizes) -> Result<bool> {
    let options = RenderOptions {
        shards: Some(shards),
        ..RenderOptions::default()
    };
    Ok(render_with(book_root, dest, &options)?.sharded)
}

/// The files of a rendered book in `dest` that `keep` (given the `/`-separated path from the
/// book's root) wants, in name order: the pages the post-render passes (search, previews) read.
pub(crate) fn rendered_files(
    dest: &Path,
    keep: impl Fn(&str) -> bool,
) -> Result<Vec<(String, PathBuf)>> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dest).sort_by_file_name() {
        let entry = entry?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(dest)?
            .to_string_lossy()
            .replace('\\', "/");
        if keep(&rel) {
            files.push((rel, entry.path().to_path_buf()));
        }
    }
    Ok(files)
}

/// HTML-escapes the titles and breadcrumbs kept in the search index.
///
/// mdBook's searcher escapes a hit's text but puts its breadcrumbs (chapter names and headings,
/// which a note's author writes) into the page as HTML, so that a note titled
/// `<img src=x onerror=…>` would run script in the search results of every reader. Escaped in
/// the index, they show as the text they are.
fn escape_search_titles(dest: &Path) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(dest) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        if !crate::search_index::is_index(&entry.file_name().to_string_lossy()) {
            continue;
        }
        let path = entry.path();
        let text = std::fs::read_to_string(&path)?;
        let Some((range, json)) = crate::search_index::json_of(&text) else {
            anyhow::bail!("{}: not a search index mdBook writes", path.display());
        };
        let mut index: serde_json::Value = serde_json::from_str(&json)
            .with_context(|| format!("{}: the search index is not JSON", path.display()))?;
        let docs = index
            .pointer_mut("/index/documentStore/docs")
            .and_then(|d| d.as_object_mut());
        for doc in docs.into_iter().flat_map(|d| d.values_mut()) {
            for field in ["breadcrumbs", "title"] {
                if let Some(serde_json::Value::String(s)) = doc.get_mut(field) {
                    *s = tera::escape_html(s);
                }
            }
        }
        let json = crate::search_index::escaped(&serde_json::to_string(&index)?);
        std::fs::write(
            &path,
            format!("{}{json}{}", &text[..range.start], &text[range.end..]),
        )?;
    }
    Ok(())
}

/// The chapters a render of `wanted` keeps, of the chapters of the book in reading order: the
/// wanted ones and their neighbours (their pages' previous and next links).
fn kept_chapters<'a>(
    order: impl Iterator<Item = &'a Path>,
    wanted: &BTreeSet<PathBuf>,
) -> BTreeSet<PathBuf> {
    let order: Vec<&Path> = order.collect();
    let mut keep = BTreeSet::new();
    for (i, p) in order.iter().enumerate() {
        if wanted.contains(*p) {
            let around = i.saturating_sub(1)..(i + 2).min(order.len());
            keep.extend(order[around].iter().map(|p| p.to_path_buf()));
        }
    }
    keep
}

/// Turns every chapter but the wanted ones and their neighbours into a draft, which mdBook
/// neither renders nor indexes.
struct OnlyThese(BTreeSet<PathBuf>);

impl Preprocessor for OnlyThese {
    fn name(&self) -> &str {
        "vaultbook-only-these"
    }

    fn run(
        &self,
        _ctx: &PreprocessorContext,
        mut book: Book,
    ) -> mdbook_driver::errors::Result<Book> {
        let keep = kept_chapters(book.chapters().filter_map(|c| c.path.as_deref()), &self.0);
        book.for_each_chapter_mut(|ch| {
            if ch.path.as_ref().is_some_and(|p| !keep.contains(p)) {
                ch.path = None;
            }
        });
        Ok(book)
    }
}

/// The book's summary (`src/SUMMARY.md` under `book_root`) cut down to what a render of
/// `wanted` needs: the kept chapters, their parents as drafts (a chapter's parents are in its
/// page), with the section numbers of the whole book. mdBook then reads three chapter files,
/// not all 10,000: most of the cost of rendering one page of a large book.
///
/// The sidebar is the one thing of a page that would change, and a partial render's pages name
/// the whole book's `toc.js` (serve renders without hashed names, and `build` refers its pages
/// to the book's sidebar): its own toc files are thrown away.
fn cut_summary(src_dir: &Path, wanted: &BTreeSet<PathBuf>) -> Result<mdbook_summary::Summary> {
    use mdbook_summary::SummaryItem;
    let path = src_dir.join("SUMMARY.md");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let mut summary = mdbook_summary::parse_summary(&text)
        .map_err(|e| anyhow::anyhow!("{e:#}"))
        .with_context(|| format!("mdBook cannot parse {}", path.display()))?;
    fn walk<'a>(items: &'a [SummaryItem], out: &mut Vec<&'a Path>) {
        for item in items {
            if let SummaryItem::Link(link) = item {
                out.extend(link.location.as_deref());
                walk(&link.nested_items, out);
            }
        }
    }
    let mut order = Vec::new();
    for part in [
        &summary.prefix_chapters,
        &summary.numbered_chapters,
        &summary.suffix_chapters,
    ] {
        walk(part, &mut order);
    }
    let keep = kept_chapters(order.into_iter(), wanted);
    // Keeps an item if it or one of its children is kept; a parent kept for a child only is a
    // draft.
    fn cut(items: &mut Vec<SummaryItem>, keep: &BTreeSet<PathBuf>) {
        items.retain_mut(|item| {
            let SummaryItem::Link(link) = item else {
                return false;
            };
            cut(&mut link.nested_items, keep);
            if link.location.as_ref().is_some_and(|l| keep.contains(l)) {
                return true;
            }
            link.location = None;
            !link.nested_items.is_empty()
        });
    }
    cut(&mut summary.prefix_chapters, &keep);
    cut(&mut summary.numbered_chapters, &keep);
    cut(&mut summary.suffix_chapters, &keep);
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_books_go_without_a_print_page_unless_they_ask() {
        let none: toml::Table = toml::from_str("[book]\ntitle = 'x'\n").unwrap();
        let asked: toml::Table = toml::from_str("[output.html.print]\nenable = true\n").unwrap();
        let refused: toml::Table = toml::from_str("[output.html.print]\nenable = false\n").unwrap();
        assert!(!print_left_out(&none, 10, PRINT_LIMIT));
        assert!(print_left_out(&none, 10, PRINT_LIMIT + 1));
        assert!(!print_left_out(&none, PRINT_CHAPTERS - 1, 1 << 20));
        assert!(print_left_out(&none, PRINT_CHAPTERS, 1 << 20));
        assert!(!print_left_out(
            &asked,
            PRINT_CHAPTERS * 10,
            PRINT_LIMIT * 10
        ));
        // Off already: mdBook leaves it out, nothing to say.
        assert!(!print_left_out(&refused, PRINT_CHAPTERS, PRINT_LIMIT * 10));
    }
}
