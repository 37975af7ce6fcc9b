//! A large book rendered in shards, in parallel, through mdBook's own HTML renderer.
//!
//! Why not mdBook's loop alone: for every chapter it renders, mdBook's renderer clones the
//! book-wide template data, which lists every chapter of the book (`data.clone()` in
//! `hbs_renderer.rs`), and it renders on one thread. A book of `n` chapters costs `n²`: 10,000
//! notes took two minutes, almost all of it in those clones.
//!
//! Here each shard is a book of its own: a run of consecutive chapters plus the one before and
//! the one after, so that its pages' previous/next links are the book's. mdBook renders each
//! shard as it renders any book (templates, themes and `theme/` overrides, heading ids, code,
//! hashed file names), so every page is the page a one-pass render writes. What a shard cannot
//! know is the book-wide sidebar (`toc.js`, `toc.html`): the book's is written by
//! [`super::toc`] and put in place of the first shard's, with its hashed name in every page.
//!
//! Shards need a book whose render is otherwise page by page: no mdBook search index (one file
//! for the whole book; vaultbook's large books get Pagefind's, built from the pages after) and
//! no print page. Any other book, and a small one, is rendered in one pass.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use mdbook_driver::book::{Book, BookItem, Chapter};
use mdbook_driver::config::HtmlConfig;
use mdbook_html::HtmlHandlebars;
use mdbook_renderer::{RenderContext, Renderer};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::toc::{self, TocStyle};

/// Chapters per shard. Within a shard mdBook's cost is still quadratic; each shard also writes
/// the theme's static files once (about 1 MB). Measured at 10,000 notes (README).
pub(crate) const SHARD_CHAPTERS: usize = 125;

/// Books of fewer chapters are rendered in one pass: their quadratic part is small.
pub(crate) const SHARD_MIN: usize = 1_000;

/// The markdown a shard holds at most, besides its last chapter: mdBook holds the tree of every
/// chapter of a render at once (its render of one 167 MB page reached 3.1 GB), so a book of a
/// few huge
/// chapters (a long note's parts, see `emit::parts`) is rendered in shards too.
pub(crate) const SHARD_BYTES: u64 = 2 << 20;

/// How a book is cut into shards: [`SHARD_CHAPTERS`], [`SHARD_MIN`] and [`SHARD_BYTES`] by
/// default (the tests and the benchmark try others).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardSizes {
    /// Chapters per shard.
    pub chapters: usize,
    /// Books of this many chapters or more are rendered in shards.
    pub min: usize,
    /// Markdown per shard: a shard ends at the chapter that brings it to this many bytes, and
    /// books of more than twice this are rendered in shards.
    pub bytes: u64,
}

impl Default for ShardSizes {
    fn default() -> Self {
        ShardSizes {
            chapters: SHARD_CHAPTERS,
            min: SHARD_MIN,
            bytes: SHARD_BYTES,
        }
    }
}

impl ShardSizes {
    /// Whether a book of `chapters` chapters and `bytes` of markdown is rendered in shards,
    /// when its pages can be rendered apart (`page_by_page`): the rule.
    pub(crate) fn applies(&self, chapters: usize, bytes: u64, page_by_page: bool) -> bool {
        page_by_page
            && chapters >= 2
            && (chapters >= self.min || bytes > self.bytes.saturating_mul(2))
    }
}

/// mdBook's HTML renderer, rendering a large book in shards.
pub(crate) struct ShardedHtml {
    /// How the book is cut into shards.
    pub sizes: ShardSizes,
    /// Render the first shard alone (see `RenderOptions::first_shard`).
    pub first: bool,
    /// Whether the book's pages can be rendered apart ([`super::page_by_page`]): no page or
    /// index holds every chapter.
    pub page_by_page: bool,
    /// Set when the book was rendered in shards (tests ask).
    pub sharded: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Renderer for ShardedHtml {
    fn name(&self) -> &str {
        "html"
    }

    fn render(&self, ctx: &RenderContext) -> mdbook_driver::errors::Result<()> {
        let html = ctx.config.html_config().unwrap_or_default();
        let (count, bytes) = ctx
            .book
            .chapters()
            .fold((0, 0), |(n, b), ch| (n + 1, b + ch.content.len() as u64));
        if !self.sizes.applies(count, bytes, self.page_by_page) {
            return HtmlHandlebars::new().render(ctx);
        }
        match render_shards(ctx, &html, self.sizes, self.first) {
            Ok(()) => {
                self.sharded
                    .store(true, std::sync::atomic::Ordering::Relaxed);
                Ok(())
            }
            // The shards' sidebar was not the one this module writes (another mdBook release,
            // a theme that writes its own): the book is rendered as mdBook renders it.
            Err(e) if e.is::<TocMismatch>() => HtmlHandlebars::new().render(ctx),
            Err(e) => Err(e),
        }
    }
}

/// mdBook's HTML renderer for a render of a few chapters (the rest drafts, see `OnlyThese`):
/// from a root whose `src/` is empty, so that mdBook does not copy the book's other files
/// (attachments, the link graph's data scripts: 10,000 files at 10,000 notes) into a scratch
/// render whose pages alone are kept.
pub(crate) struct PagesOnlyHtml;

impl Renderer for PagesOnlyHtml {
    fn name(&self) -> &str {
        "html"
    }

    fn render(&self, ctx: &RenderContext) -> mdbook_driver::errors::Result<()> {
        let html = ctx.config.html_config().unwrap_or_default();
        in_scratch(&ctx.root.join(".vaultbook-pages"), |scratch| {
            let root = bare_root(&ctx.root, &ctx.config.book.src, &html, scratch)?;
            let mut pages_ctx = RenderContext::new(
                root,
                ctx.book.clone(),
                without_404(&ctx.config)?,
                ctx.destination.clone(),
            );
            pages_ctx.chapter_titles = ctx.chapter_titles.clone();
            HtmlHandlebars::new().render(&pages_ctx)
        })
    }
}

/// The shard's sidebar was not found in mdBook's `toc.js` or `toc.html` as [`toc::write`]
/// writes it.
#[derive(Debug)]
struct TocMismatch(&'static str);

impl std::fmt::Display for TocMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the sidebar of {} is not the one expected", self.0)
    }
}

impl std::error::Error for TocMismatch {}

/// One shard: the chapters it owns (indices into the book's chapters in reading order); its
/// book is those with their neighbours, flat.
struct Shard {
    own: std::ops::Range<usize>,
}

impl Shard {
    /// The shard's book, made from `book`'s `chapters` chapters when the shard is rendered:
    /// made for every shard at once, the shards' books would be a copy of the whole book.
    fn book(&self, book: &Book, chapters: usize) -> Book {
        let own = &self.own;
        let keep = own.start.saturating_sub(1)..(own.end + 1).min(chapters);
        let mut seen = 0;
        Book::new_with_items(shard_items(&book.items, &keep, own, &mut seen))
    }
}

fn render_shards(
    ctx: &RenderContext,
    html: &HtmlConfig,
    sizes: ShardSizes,
    first: bool,
) -> Result<()> {
    let order: Vec<&Chapter> = ctx.book.chapters().collect();
    // Runs of `sizes.chapters` chapters, a run ending early once it holds `sizes.bytes`.
    let mut runs = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, ch) in order.iter().enumerate() {
        bytes += ch.content.len() as u64;
        if i + 1 - start >= sizes.chapters.max(1) || bytes >= sizes.bytes || i + 1 == order.len() {
            runs.push(start..i + 1);
            (start, bytes) = (i + 1, 0);
        }
    }
    let shards: Vec<Shard> = runs.into_iter().map(|own| Shard { own }).collect();
    let shards = if first { &shards[..1] } else { &shards[..] };
    in_scratch(&ctx.root.join(".vaultbook-shards"), |scratch| {
        render_into(ctx, html, &order, shards, scratch)
    })
}

/// Runs `f` with `scratch` made empty, and removes it after, whatever `f` returned.
fn in_scratch(scratch: &Path, f: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    if scratch.exists() {
        std::fs::remove_dir_all(scratch)
            .with_context(|| format!("could not remove {}", scratch.display()))?;
    }
    std::fs::create_dir_all(scratch)?;
    let result = f(scratch);
    let _ = std::fs::remove_dir_all(scratch);
    result
}

/// `config` without the 404 page: a render from a [`bare_root`] has no source to make it from
/// (the first shard's render, from the book's root, writes it).
fn without_404(config: &mdbook_driver::config::Config) -> Result<mdbook_driver::config::Config> {
    let mut config = config.clone();
    config
        .set("output.html.input-404", "")
        .map_err(|e| anyhow::anyhow!("{e:#}"))?;
    Ok(config)
}

fn render_into(
    ctx: &RenderContext,
    html: &HtmlConfig,
    order: &[&Chapter],
    shards: &[Shard],
    scratch: &Path,
) -> Result<()> {
    // The first shard renders into the destination with the book's root, so mdBook copies the
    // book's files (attachments, 404 page, redirects) once. The others render from a root
    // whose `src/` is empty, or every shard would copy every attachment.
    let bare = bare_root(&ctx.root, &ctx.config.book.src, html, scratch)?;
    let rest_config = without_404(&ctx.config)?;
    let dests: Vec<PathBuf> = (0..shards.len())
        .map(|i| {
            if i == 0 {
                ctx.destination.clone()
            } else {
                scratch.join(format!("out-{i}"))
            }
        })
        .collect();
    shards
        .par_iter()
        .zip(dests.par_iter())
        .enumerate()
        .try_for_each(|(i, (shard, dest))| -> Result<()> {
            let (root, config) = if i == 0 {
                (ctx.root.clone(), ctx.config.clone())
            } else {
                (bare.clone(), rest_config.clone())
            };
            let mut shard_ctx =
                RenderContext::new(root, shard.book(&ctx.book, order.len()), config, dest);
            shard_ctx.chapter_titles = ctx.chapter_titles.clone();
            HtmlHandlebars::new().render(&shard_ctx)
        })?;

    let style = TocStyle {
        fold_enable: html.fold.enable,
        fold_level: u64::from(html.fold.level),
        no_section_label: html.no_section_label,
    };
    let first = &shards[0].book(&ctx.book, order.len());
    let dest = &ctx.destination;
    // The book's sidebar in place of the first shard's, in `toc.html` and in `toc.js`.
    let toc_html = dest.join("toc.html");
    let text = std::fs::read_to_string(&toc_html)?;
    let text = replace_once(
        &text,
        &toc::write(first, style, true),
        &toc::write(&ctx.book, style, true),
    )
    .ok_or(TocMismatch("toc.html"))?;
    let old_js = toc::js_name(dest).ok_or(TocMismatch("toc.js (not one file)"))?;
    let js = std::fs::read_to_string(dest.join(&old_js))?;
    if html.hash_files && hashed_name("toc", "js", js.as_bytes()) != old_js {
        return Err(TocMismatch("toc.js (hash)").into());
    }
    let js = replace_once(
        &js,
        &toc::write(first, style, false),
        &toc::write(&ctx.book, style, false),
    )
    .ok_or(TocMismatch("toc.js"))?;
    let new_js = if html.hash_files {
        hashed_name("toc", "js", js.as_bytes())
    } else {
        old_js.clone()
    };
    std::fs::write(&toc_html, text)?;
    std::fs::remove_file(dest.join(&old_js))?;
    std::fs::write(dest.join(&new_js), js)?;

    // Every shard's pages name its own `toc.js`: with hashed names, the book's is put in.
    let mut moves: Vec<(PathBuf, PathBuf, Option<String>)> = Vec::new();
    for (i, shard) in shards.iter().enumerate() {
        let from_dir = &dests[i];
        let their_js = if i == 0 {
            old_js.clone()
        } else {
            toc::js_name(from_dir).ok_or(TocMismatch("toc.js (not one file)"))?
        };
        let patch = (their_js != new_js).then_some(their_js);
        let mut pages: Vec<PathBuf> = order[shard.own.clone()]
            .iter()
            .filter_map(|ch| ch.path.as_ref().map(|p| p.with_extension("html")))
            .collect();
        if i == 0 {
            pages.push(PathBuf::from("index.html"));
            let not_found = PathBuf::from(html.get_404_output_file());
            if dest.join(&not_found).is_file() {
                pages.push(not_found);
            }
        }
        for page in pages {
            moves.push((from_dir.join(&page), dest.join(&page), patch.clone()));
        }
    }
    moves
        .par_iter()
        .try_for_each(|(from, to, patch)| -> Result<()> {
            match patch {
                None if from == to => Ok(()),
                None => {
                    if let Some(parent) = to.parent() {
                        std::fs::create_dir_all(parent)?;
                    }
                    std::fs::rename(from, to)
                        .with_context(|| format!("could not move {}", from.display()))
                }
                Some(old) => {
                    let page = std::fs::read_to_string(from)
                        .with_context(|| format!("could not read {}", from.display()))?;
                    let page = toc::retarget(&page, old, &new_js);
                    if let Some(parent) = to.parent() {
                        std::fs::create_dir_all(parent)?;
                    }
                    std::fs::write(to, page)
                        .with_context(|| format!("could not write {}", to.display()))
                }
            }
        })
}

/// A root for the shards after the first: every entry of the book's root but its source
/// folder, linked, and an empty source folder. Without symbolic links, or when the theme or
/// an additional file lives in the source folder, the book's root itself.
fn bare_root(root: &Path, src: &Path, html: &HtmlConfig, scratch: &Path) -> Result<PathBuf> {
    let inside = |p: &Path| p.starts_with(src) || root.join(p).starts_with(root.join(src));
    let in_src = html
        .additional_css
        .iter()
        .chain(&html.additional_js)
        .chain(html.theme.as_ref())
        .any(|p| inside(p));
    if in_src || !cfg!(unix) || src.components().count() != 1 {
        return Ok(root.to_path_buf());
    }
    let bare = scratch.join("root");
    std::fs::create_dir_all(bare.join(src))?;
    for entry in std::fs::read_dir(root)? {
        let entry = entry?;
        let name = entry.file_name();
        if Path::new(&name) == src || name == ".vaultbook-shards" || name == ".vaultbook-pages" {
            continue;
        }
        link(&entry.path(), &bare.join(&name))?;
    }
    Ok(bare)
}

#[cfg(unix)]
fn link(target: &Path, at: &Path) -> Result<()> {
    std::os::unix::fs::symlink(target, at)
        .with_context(|| format!("could not link {}", at.display()))
}

#[cfg(not(unix))]
fn link(_target: &Path, _at: &Path) -> Result<()> {
    anyhow::bail!("no symbolic links here")
}

/// The items of a shard's book: the chapters whose places in reading order (`seen` counts
/// them, as [`Book::chapters`] does) are in `keep`, and their ancestors as drafts, which mdBook
/// does not render. Ancestors are kept because mdBook's sidebar descends one level at a time.
/// Only the chapters in `own` keep their text.
fn shard_items(
    items: &[BookItem],
    keep: &std::ops::Range<usize>,
    own: &std::ops::Range<usize>,
    seen: &mut usize,
) -> Vec<BookItem> {
    let mut out = Vec::new();
    for item in items {
        let BookItem::Chapter(ch) = item else {
            continue;
        };
        if *seen >= keep.end {
            break;
        }
        let place = (!ch.is_draft_chapter()).then(|| {
            *seen += 1;
            *seen - 1
        });
        let subs = shard_items(&ch.sub_items, keep, own, seen);
        let kept = place.is_some_and(|p| keep.contains(&p));
        if kept || !subs.is_empty() {
            let mut part = if kept {
                // Not `clone()`: that would copy the chapters below, which the shard may not own.
                Chapter {
                    name: ch.name.clone(),
                    // A neighbour gives its title and path to the previous/next links, and
                    // its page is not kept: without its text, mdBook holds no tree of it.
                    content: if place.is_some_and(|p| own.contains(&p)) {
                        ch.content.clone()
                    } else {
                        String::new()
                    },
                    number: ch.number.clone(),
                    sub_items: Vec::new(),
                    path: ch.path.clone(),
                    source_path: ch.source_path.clone(),
                    parent_names: ch.parent_names.clone(),
                }
            } else {
                draft_of(ch)
            };
            part.sub_items = subs;
            out.push(BookItem::Chapter(part));
        }
    }
    out
}

/// A chapter as a draft holding nothing: its name and number for the sidebar.
fn draft_of(ch: &Chapter) -> Chapter {
    let mut draft = Chapter::new_draft(&ch.name, ch.parent_names.clone());
    draft.number = ch.number.clone();
    draft
}

/// The name mdBook's `hash-files` gives a file it writes: the first four bytes of its
/// SHA-256, in hex, after the stem.
fn hashed_name(stem: &str, ext: &str, data: &[u8]) -> String {
    let digest = Sha256::digest(data);
    let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("{stem}-{hex}.{ext}")
}

/// `text` with its one occurrence of `from` replaced by `to`; `None` unless there is exactly
/// one.
fn replace_once(text: &str, from: &str, to: &str) -> Option<String> {
    let at = text.find(from)?;
    if text[at + from.len()..].contains(from) {
        return None;
    }
    Some(format!("{}{}{}", &text[..at], to, &text[at + from.len()..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_are_mdbooks() {
        // sha256("") = e3b0c442…
        assert_eq!(hashed_name("toc", "js", b""), "toc-e3b0c442.js");
    }

    #[test]
    fn only_a_single_occurrence_is_replaced() {
        assert_eq!(replace_once("a-b-c", "b", "x").as_deref(), Some("a-x-c"));
        assert_eq!(replace_once("b-b", "b", "x"), None);
        assert_eq!(replace_once("a", "b", "x"), None);
    }
}
