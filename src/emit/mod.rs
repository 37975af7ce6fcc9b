//! The mdBook source tree: book.toml, SUMMARY.md, one chapter per published note, the
//! attachments the chapters use, and vaultbook's stylesheet.

pub(crate) mod extras;
pub(crate) mod memo;
pub(crate) mod output;
pub(crate) mod page;
pub(crate) mod parts;
pub(crate) mod plan;
pub(crate) mod slug;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use rayon::prelude::*;

use crate::config::Config;
use crate::diagnostics::Diagnostic;
use crate::links::anchors::page_ids;
use crate::links::{Anchor, NoteId, Resolved};
use crate::syntax::MdbookMarkdown;
use crate::vault::{Note, VaultFile};
use page::{Page, REF_SCHEME, Ref};
use plan::Plan;
use slug::relative;

/// vaultbook's stylesheet: callouts, embeds, broken links, highlights, snippet output.
pub(crate) const CSS: &str = include_str!("vaultbook.css");

/// vaultbook's script: `cssclasses` onto the page, mermaid diagrams rendered.
pub(crate) const JS: &str = include_str!("vaultbook.js");

/// The stylesheet of canvas pages, shipped in books that have a canvas.
const CANVAS_CSS: &str = include_str!("canvas.css");

/// Mermaid 11 (MIT licence, beside it), shipped in books that have diagrams.
const MERMAID_JS: &[u8] = include_bytes!("assets/mermaid.min.js");
const MERMAID_LICENSE: &[u8] = include_bytes!("assets/mermaid.LICENSE");

/// The MathML stylesheet and math font of pulldown-latex (MIT; the font under the GUST Font
/// License, both in the licence file), shipped in books that have math.
const MATH_CSS: &[u8] = include_bytes!("assets/math.css");
const MATH_FONT: &[u8] = include_bytes!("assets/latinmodern-math.woff2");
const MATH_LICENSE: &[u8] = include_bytes!("assets/math.LICENSE");

/// The files of an emitted book, relative to its root, with their contents.
#[derive(Debug, Default)]
pub struct Tree {
    /// Generated files: path → bytes. Shared: an incremental driver's next tree holds the same
    /// bytes for what did not change (a page, the vault graph), which then costs no copy, and
    /// compares equal without reading it.
    pub files: BTreeMap<String, std::sync::Arc<[u8]>>,
    /// Attachments to copy: path in the book → file in the vault.
    pub copies: BTreeMap<String, std::path::PathBuf>,
    /// Problems found while assembling pages (embed cycles).
    pub diagnostics: Vec<Diagnostic>,
    /// The SHA-256 of each generated file, computed once when first asked for.
    digests: std::sync::OnceLock<BTreeMap<String, [u8; 32]>>,
    /// SHA-256s known before: of pages read back from disk and checked (see [`memo`]).
    known: BTreeMap<String, [u8; 32]>,
    /// Generated files that are the last build's, unchanged, left unread in the emitted tree
    /// `kept_in` that build wrote: path → SHA-256. Never a path of `files`. After an edit, most
    /// of the link graph's data scripts (120 MB at 10,000 notes) stay so.
    pub(crate) kept: BTreeMap<String, [u8; 32]>,
    /// The emitted tree of `kept`.
    pub(crate) kept_in: Option<std::path::PathBuf>,
}

impl Tree {
    /// The SHA-256 of each generated file (in parallel, once): what a build records of the
    /// tree it wrote, so that the next one can tell what changed without reading it back.
    pub(crate) fn digests(&self) -> &BTreeMap<String, [u8; 32]> {
        use sha2::{Digest, Sha256};
        self.digests.get_or_init(|| {
            let files: Vec<(&String, &Arc<[u8]>)> = self.files.iter().collect();
            files
                .par_iter()
                .map(|(path, bytes)| {
                    let d = self.known.get(*path).copied();
                    (
                        (*path).clone(),
                        d.unwrap_or_else(|| Sha256::digest(bytes).into()),
                    )
                })
                .collect::<Vec<_>>()
                .into_iter()
                .chain(self.kept.iter().map(|(p, d)| (p.clone(), *d)))
                .collect()
        })
    }

    /// The paths of every generated file, in memory or kept on disk, in order.
    pub(crate) fn generated(&self) -> Vec<&String> {
        self.generated_files().into_iter().map(|(p, _)| p).collect()
    }

    /// Every generated file, in memory or kept on disk, in path order: what a rebuild walks
    /// beside the last build's files in one pass (a lookup of each of 30,000 paths in both,
    /// twice a rebuild, was about 9% of the samples of a `perf` profile of rebuilds at 10,000
    /// notes).
    pub(crate) fn generated_files(&self) -> Vec<(&String, Generated<'_>)> {
        let mut out = Vec::with_capacity(self.files.len() + self.kept.len());
        let mut files = self.files.iter().peekable();
        let mut kept = self.kept.iter().peekable();
        loop {
            let next = match (files.peek(), kept.peek()) {
                (Some((f, _)), Some((k, _))) if k < f => {
                    kept.next().map(|(p, d)| (p, Generated::Kept(d)))
                }
                (Some(_), _) => files.next().map(|(p, b)| (p, Generated::Bytes(b))),
                (None, _) => kept.next().map(|(p, d)| (p, Generated::Kept(d))),
            };
            match next {
                Some(entry) => out.push(entry),
                None => break,
            }
        }
        out
    }

    /// Whether `path` is a generated file, in memory or kept on disk.
    pub(crate) fn has_generated(&self, path: &str) -> bool {
        self.files.contains_key(path) || self.kept.contains_key(path)
    }

    /// Where the kept file `path` is (see [`Tree::kept`]).
    pub(crate) fn kept_file(&self, path: &str) -> Option<std::path::PathBuf> {
        self.kept
            .contains_key(path)
            .then(|| self.kept_in.as_ref().map(|t| t.join(path)))
            .flatten()
    }

    /// Adds the generated file `path`.
    fn put(&mut self, path: String, bytes: impl Into<Vec<u8>>) {
        self.files.insert(path, bytes.into().into());
    }
}

/// A generated file of a [`Tree`], as the tree holds it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Generated<'a> {
    /// In memory.
    Bytes(&'a Arc<[u8]>),
    /// Left on disk where the last build wrote it, with its SHA-256 (see [`Tree::kept`]).
    Kept(&'a [u8; 32]),
}

/// Everything the emitter needs.
pub(crate) struct Input<'a> {
    /// The book.
    pub config: &'a Config,
    /// All notes, sorted by path.
    pub notes: &'a [Note],
    /// All attachments, sorted by path.
    pub attachments: &'a [VaultFile],
    /// Per note, per link.
    pub resolved: &'a [Vec<Resolved>],
    /// Snippet output per (note, code block).
    pub snippets: &'a HashMap<(NoteId, usize), String>,
    /// mdBook's markdown switches.
    pub markdown: MdbookMarkdown,
    /// Templates.
    pub tera: &'a tera::Tera,
    /// The last build's graph (serve's in memory, or `build`'s record), for the graph to redo
    /// only what changed.
    pub layout: Option<&'a crate::graph::LayoutCache>,
    /// The pages of the last run (incremental drivers), for assembly to redo only the pages
    /// whose inputs changed.
    pub memo: Option<&'a std::sync::Mutex<memo::PageMemo>>,
}

/// Builds the whole tree in memory: deterministic, so the same vault gives the same bytes.
pub(crate) fn build_tree(input: &Input) -> Result<Tree> {
    let vb = &input.config.vaultbook;
    let has_tags = vb.tag_index
        && input.notes.iter().any(|n| {
            n.frontmatter.publish && (!n.syntax.tags.is_empty() || !n.frontmatter.tags.is_empty())
        });
    let has_graph = vb.graph && input.notes.iter().any(|n| n.frontmatter.publish);
    let plan = plan::plan(
        input.config,
        input.notes,
        input.attachments,
        input.tera,
        has_tags,
        has_graph,
    )?;
    let (tag_text, tag_ids) = if has_tags {
        let tags = extras::collect_tags(input.notes, &plan);
        extras::tag_page(&tags, input.notes, &plan, input.tera, input.markdown)?
    } else {
        (String::new(), HashMap::new())
    };
    // The pages are assembled while the graph is laid out and drawn: its boxes on the pages
    // need only the links, and each of the two leaves one core idle at times (the layout's
    // quadtree is built on one thread each round, the vault picture is drawn on one).
    let links = has_graph.then(|| crate::graph::Links::new(input.resolved, &plan));
    let graph_footers = links
        .as_ref()
        .map(|l| crate::graph::footers(l, &plan, input.notes.len()));
    let (graph, pages) = rayon::join(
        || {
            links
                .as_ref()
                .map(|l| crate::graph::build(l, input.notes, &plan, input.layout))
        },
        || {
            assemble_pages(
                input,
                &plan,
                has_tags.then_some(&tag_ids),
                graph_footers.as_deref(),
            )
        },
    );
    let pages = pages?;

    let mut tree = Tree::default();
    tree.diagnostics.extend(plan.order.iter().filter_map(|&id| {
        let parts = plan.parts(id).len();
        parts::report(&input.notes[id], vb.note_part_size, parts)
    }));
    let mut used = BTreeSet::new();
    let math = pages.iter().any(|p| p.page.uses_math);
    let mermaid = pages.iter().any(|p| p.page.uses_mermaid);
    for p in pages {
        used.extend(p.page.attachments.iter().copied());
        tree.diagnostics.extend(p.page.diagnostics.iter().cloned());
        let path = format!("src/{}", p.page.path);
        if let Some(d) = p.digest {
            tree.known.insert(path.clone(), d);
        }
        tree.files.insert(path, p.filled);
    }
    for a in used {
        tree.copies.insert(
            format!("src/{}", plan.attachment[a]),
            input.attachments[a].path.clone(),
        );
    }
    if let Some(index) = &plan.generated_index {
        tree.put("src/index.md".into(), index.clone().into_bytes());
    }
    if has_tags {
        tree.put(format!("src/{}", plan.tags_page), tag_text.into_bytes());
    }
    tree.put("src/SUMMARY.md".into(), plan.summary.clone().into_bytes());
    let css = format!("{CSS}\n{}", crate::snippets::SNIPPET_CSS);
    tree.put("vaultbook.css".into(), css.into_bytes());
    tree.put("vaultbook.js".into(), JS.as_bytes().to_vec());
    // Named by the rendered book's config only when it gets Pagefind's search (see
    // crate::search); a stock `mdbook build` of the tree keeps mdBook's own search.
    tree.put(
        crate::search::SEARCH_JS_FILE.into(),
        crate::search::SEARCH_JS.as_bytes().to_vec(),
    );
    let mut js = vec!["vaultbook.js"];
    if vb.previews {
        // Named in book.toml, so that the render knows to build the data it reads.
        tree.put(
            crate::previews::PREVIEWS_JS_FILE.into(),
            crate::previews::PREVIEWS_JS.as_bytes().to_vec(),
        );
        js.push(crate::previews::PREVIEWS_JS_FILE);
    }
    let mut css = vec!["vaultbook.css"];
    if let Some(graph) = graph {
        tree.put(format!("src/{}", plan.graph_page), graph.page.into_bytes());
        tree.files.extend(graph.files);
        tree.kept.extend(graph.kept);
        tree.kept_in = graph.kept_in;
        tree.put(
            crate::graph::GRAPH_CSS_FILE.into(),
            crate::graph::GRAPH_CSS.as_bytes().to_vec(),
        );
        tree.put(
            crate::graph::GRAPH_JS_FILE.into(),
            crate::graph::GRAPH_JS.as_bytes().to_vec(),
        );
        css.push(crate::graph::GRAPH_CSS_FILE);
        js.push(crate::graph::GRAPH_JS_FILE);
    }
    if math {
        // The font under src/, which mdBook copies to the book's root beside the stylesheet.
        tree.put("vaultbook-math.css".into(), MATH_CSS.to_vec());
        tree.put(
            "src/vaultbook-math/latinmodern-math.woff2".into(),
            MATH_FONT.to_vec(),
        );
        tree.put("src/vaultbook-math/LICENSE".into(), MATH_LICENSE.to_vec());
        css.push("vaultbook-math.css");
    }
    if input
        .notes
        .iter()
        .any(|n| n.frontmatter.publish && crate::canvas::is_canvas(&n.rel))
    {
        tree.put(
            "vaultbook-canvas.css".into(),
            CANVAS_CSS.as_bytes().to_vec(),
        );
        css.push("vaultbook-canvas.css");
    }
    if mermaid {
        tree.put("mermaid.min.js".into(), MERMAID_JS.to_vec());
        tree.put("mermaid.LICENSE".into(), MERMAID_LICENSE.to_vec());
        js.insert(0, "mermaid.min.js");
    }
    // Checked again, not taken from when book.toml was loaded: snippets have run since, and
    // the theme's fonts/ may have changed under `serve`.
    let book_files = crate::book_files::collect(input.config)?;
    let input_404 = match &book_files.input_404 {
        Some(page) => Some(chapter_of_404(page, input.notes, &plan)?),
        None => None,
    };
    tree.put(
        "book.toml".into(),
        input
            .config
            .emitted_book_toml(&book_files, &css, &js, input_404)
            .into_bytes(),
    );
    for f in &book_files.copies {
        let generated = tree
            .generated()
            .into_iter()
            .map(String::as_str)
            .chain([output::MANIFEST]);
        let copied = tree
            .copies
            .iter()
            .filter(|(_, src)| **src != f.source)
            .map(|(p, _)| p.as_str());
        let taken = generated.chain(copied).find(|p| clashes(p, &f.dest));
        if let Some(taken) = taken {
            anyhow::bail!(
                "{}: {:?} would take the place of {taken:?}, which vaultbook writes into the emitted book; rename the file",
                f.option,
                f.dest
            );
        }
        tree.copies.insert(f.dest.clone(), f.source.clone());
    }
    Ok(tree)
}

/// The page of every note in `plan.order`, links filled in with the ids mdBook gives: what
/// [`build_tree`] writes as chapters, and what `vaultbook preprocessor` hands back to mdBook
/// (a [`plan::given`] plan). `tag_ids`: inline tags link to the tag index, at these entries.
pub(crate) fn assemble_pages(
    input: &Input,
    plan: &Plan,
    tag_ids: Option<&HashMap<String, String>>,
    graph_footers: Option<&[String]>,
) -> Result<Vec<memo::Finished>> {
    let vb = &input.config.vaultbook;
    let mut memo = input
        .memo
        .map(|m| m.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    let mut footers = if vb.backlinks {
        let kept = memo.as_deref_mut().map(|m| &mut m.footers);
        extras::backlinks(input.notes, input.resolved, plan, input.tera, kept)?
    } else {
        vec![String::new(); input.notes.len()]
    };
    if let Some(graph_footers) = graph_footers {
        // The graph box follows the backlinks, as the last of vaultbook's own HTML.
        for (footer, local) in footers.iter_mut().zip(graph_footers) {
            if !local.is_empty() {
                if !footer.is_empty() {
                    footer.push('\n');
                }
                footer.push_str(local);
            }
        }
    }
    let ctx = page::Context {
        notes: input.notes,
        resolved: input.resolved,
        plan,
        snippets: input.snippets,
        tag_links: tag_ids.is_some(),
        footers: &footers,
        sanitize: (!vb.raw_html).then(|| input.markdown.options()),
    };
    let lookup = memo.as_deref().map(|m| m.lookup(&ctx, input.markdown));
    // Per page: its key, the page, its own heading ids, and what the memo kept of it.
    type Assembled<'k> = (u64, Arc<Page>, Vec<String>, Option<&'k memo::Kept>);
    // Every chapter: per note in reading order, its parts (see `parts`).
    let units: Vec<(NoteId, usize)> = plan
        .order
        .iter()
        .flat_map(|&id| (0..page::page_count(&ctx, id)).map(move |k| (id, k)))
        .collect();
    let assembled: Vec<Assembled> = units
        .par_iter()
        .map(|&(id, part)| {
            // A note in parts is assembled again each time (the memo keeps whole pages).
            let lookup = lookup.as_ref().filter(|_| plan.parts(id).is_empty());
            let key = lookup.map_or(0, |l| l.key(&ctx, id));
            if let Some(kept) = lookup.and_then(|l| l.get(input.notes, id, key)) {
                return (key, kept.page.clone(), kept.ids.clone(), Some(kept));
            }
            let page = page::assemble(&ctx, id, part);
            let own = own_heading_ids(&page, &input.notes[id], input.markdown);
            (key, Arc::new(page), own, None)
        })
        .collect();
    let mut ids = vec![Vec::new(); input.notes.len()];
    let mut pages = Vec::with_capacity(assembled.len());
    for (key, page, own, kept) in assembled {
        let note_ids = &mut ids[page.note];
        if note_ids.is_empty() {
            *note_ids = own;
        } else {
            // The parts of a note: each has ids for the headings it holds.
            for (id, part_id) in note_ids.iter_mut().zip(own) {
                if id.is_empty() {
                    *id = part_id;
                }
            }
        }
        pages.push((key, page, kept));
    }
    let no_tags = HashMap::new();
    let fill = Fill {
        plan,
        notes: input.notes,
        ids: &ids,
        tag_ids: tag_ids.unwrap_or(&no_tags),
    };
    let keep_text = memo.as_deref().is_some_and(memo::PageMemo::keeps_text);
    let stamps = lookup.as_ref().and_then(|l| l.stamps(&fill));
    let finished: Vec<memo::Finished> = pages
        .into_par_iter()
        .map(|(key, mut page, kept)| {
            let refs = lookup.as_ref().map_or(0, |l| match kept {
                Some(k) => l.refs_key_of_kept(&page, k, stamps.as_ref(), &fill),
                None => l.refs_key(&page, &fill),
            });
            let mut whole = kept.is_none_or(|k| k.whole);
            let (filled, digest) = match kept.and_then(|k| k.filled(refs)) {
                Some(filled) => filled,
                None => {
                    if !whole {
                        // Kept on disk without its text: assembled again, from the same
                        // inputs (its key), so with the same heading ids.
                        page = Arc::new(page::assemble(&ctx, page.note, page.part.unwrap_or(0)));
                        whole = true;
                    }
                    (fill_refs(&page, &fill).into_bytes().into(), None)
                }
            };
            // Nothing reads the text of a page once it is filled, but a memo kept in memory
            // (serve's), which fills it again when only its links' targets change: a build
            // lets it go now, not after the last page (100 MB for a 100 MB note).
            if !keep_text
                && whole
                && let Some(p) = Arc::get_mut(&mut page)
            {
                p.text = String::new();
                whole = false;
            }
            memo::Finished {
                key,
                page,
                refs,
                filled,
                digest,
                whole,
            }
        })
        .collect();
    let texts = lookup.map(memo::Lookup::into_texts);
    if let (Some(memo), Some(texts)) = (memo.as_deref_mut(), texts) {
        memo.keep(input.notes, texts, stamps, &finished, &ids);
    }
    Ok(finished)
}

/// The chapter that `input-404` (a path in the vault, mdBook's source folder) names.
fn chapter_of_404<'a>(page: &'a str, notes: &[Note], plan: &'a Plan) -> Result<&'a str> {
    if page.is_empty() {
        // mdBook's way of saying "no 404 page".
        return Ok(page);
    }
    let of_note = notes
        .iter()
        .zip(&plan.chapter)
        .find(|(n, _)| n.rel == page)
        .and_then(|(_, c)| c.as_deref());
    // A chapter path as emitted (`not-found.md`) is taken as it is.
    let as_emitted = plan.chapter.iter().flatten().find(|c| *c == page);
    of_note.or(as_emitted.map(String::as_str)).with_context(|| {
        format!("[output.html] input-404: {page:?} is not a published note of the vault")
    })
}

/// Whether two paths of the emitted tree are the same file or one is a folder of the other.
fn clashes(a: &str, b: &str) -> bool {
    let under =
        |x: &str, y: &str| x.len() > y.len() && x.starts_with(y) && x.as_bytes()[y.len()] == b'/';
    a == b || under(a, b) || under(b, a)
}

/// What assembly would find (embed cycles and depth), from assembling in memory only the pages
/// that can have such problems, those that embed a note: `check`'s assemble stage, which
/// writes nothing and so needs no other page.
pub(crate) fn assembly_diagnostics(input: &Input) -> Result<Vec<Diagnostic>> {
    let embeds = |n: &Note, r: &[Resolved]| {
        n.syntax
            .links
            .iter()
            .zip(r)
            .any(|(l, r)| l.kind.is_embed() && matches!(r, Resolved::Note { .. }))
    };
    let wanted: Vec<NoteId> = (0..input.notes.len())
        .filter(|&i| {
            input.notes[i].frontmatter.publish && embeds(&input.notes[i], &input.resolved[i])
        })
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let plan = plan::plan(
        input.config,
        input.notes,
        input.attachments,
        input.tera,
        false,
        false,
    )?;
    let footers = vec![String::new(); input.notes.len()];
    let ctx = page::Context {
        notes: input.notes,
        resolved: input.resolved,
        plan: &plan,
        snippets: input.snippets,
        tag_links: false,
        footers: &footers,
        sanitize: None,
    };
    Ok(wanted
        .par_iter()
        .flat_map_iter(|&id| {
            let ctx = &ctx;
            (0..page::page_count(ctx, id)).flat_map(move |k| page::assemble(ctx, id, k).diagnostics)
        })
        .collect())
}

/// Per own heading of the page's note: the id mdBook gives it on the page.
fn own_heading_ids(p: &Page, note: &Note, md: MdbookMarkdown) -> Vec<String> {
    if p.exact_headings {
        let ids = exact_ids(p, note, md);
        // Every test build checks the shortcut against parsing the page as emitted.
        debug_assert_eq!(ids, parsed_ids(p, md), "heading ids of {}", p.path);
        ids
    } else {
        parsed_ids(p, md)
    }
}

/// The own-heading ids of a page from the page as emitted (parsed again).
fn parsed_ids(p: &Page, md: MdbookMarkdown) -> Vec<String> {
    let ids: HashMap<usize, String> = page_ids(&p.text, md).into_iter().collect();
    p.own_headings
        .iter()
        .map(|off| ids.get(off).cloned().unwrap_or_default())
        .collect()
}

/// The own-heading ids of an exact page from the note's first parse (and its title heading).
fn exact_ids(p: &Page, note: &Note, md: MdbookMarkdown) -> Vec<String> {
    let title = p
        .title
        .as_deref()
        .map(|t| crate::links::anchors::elements(t, md))
        .unwrap_or_default();
    let elems = &note.syntax.id_elems;
    let ids = crate::links::anchors::ids_of(
        title
            .iter()
            .map(|(_, e, t)| (e.as_deref(), t.as_str()))
            .chain(
                elems
                    .iter()
                    .map(|e| (e.explicit_id.as_deref(), e.text.as_str())),
            ),
    );
    let mut own = vec![String::new(); p.own_headings.len()];
    for (e, id) in elems.iter().zip(&ids[title.len()..]) {
        if let Some(h) = e.heading
            && p.own_headings.get(h).is_some_and(|&o| o != usize::MAX)
        {
            own[h] = id.clone();
        }
    }
    own
}

/// What filling a page's placeholders reads, besides the page.
pub(crate) struct Fill<'a> {
    pub plan: &'a Plan,
    pub notes: &'a [Note],
    /// Per note, per own heading: its id.
    pub ids: &'a [Vec<String>],
    /// Per tag (lowercased): its entry on the tag index.
    pub tag_ids: &'a HashMap<String, String>,
}

impl Fill<'_> {
    /// Where a link to `anchor` of `note` goes: the chapter that holds it (one of the note's
    /// parts, if it was cut), and the fragment (a heading's id, `^` and a block's id).
    pub(crate) fn target(&self, note: NoteId, anchor: Anchor) -> (&str, Option<Fragment<'_>>) {
        let syntax = &self.notes[note].syntax;
        match anchor {
            Anchor::None => (self.plan.chapter[note].as_deref().unwrap_or(""), None),
            Anchor::Heading(h) => (
                self.plan.page_at(note, syntax.headings[h].range.start),
                self.ids[note]
                    .get(h)
                    .filter(|s| !s.is_empty())
                    .map(|id| Fragment::Id(id)),
            ),
            Anchor::Block(b) => (
                self.plan.page_at(note, syntax.blocks[b].block.start),
                Some(Fragment::Block(&syntax.blocks[b].id)),
            ),
        }
    }
}

/// The fragment of a link into a chapter.
#[derive(Debug, Clone, Copy, Hash)]
pub(crate) enum Fragment<'a> {
    /// A heading's id.
    Id(&'a str),
    /// A block's id, written after a `^`.
    Block(&'a str),
}

impl std::fmt::Display for Fragment<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fragment::Id(id) => f.write_str(id),
            Fragment::Block(id) => write!(f, "^{id}"),
        }
    }
}

/// The page's text with its `vaultbook-ref:N` placeholders replaced by real relative URLs and
/// anchors. What it reads of `fill` is what [`memo::Lookup::refs_key`] hashes.
fn fill_refs(page: &Page, fill: &Fill) -> String {
    let Fill { plan, tag_ids, .. } = *fill;
    if page.refs.is_empty() {
        return page.text.clone();
    }
    let mut out = String::with_capacity(page.text.len());
    let mut rest = page.text.as_str();
    let finder = memchr::memmem::Finder::new(REF_SCHEME);
    while let Some(i) = finder.find(rest.as_bytes()) {
        out.push_str(&rest[..i]);
        let after = &rest[i + REF_SCHEME.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        match after[..digits]
            .parse::<usize>()
            .ok()
            .and_then(|n| page.refs.get(n))
        {
            Some(Ref::Tag(tag)) => {
                out.push_str(&relative(&page.path, &plan.tags_page));
                if let Some(id) = tag_ids.get(tag) {
                    out.push('#');
                    out.push_str(id);
                }
            }
            Some(&Ref::Note(note, anchor)) => {
                let (path, fragment) = fill.target(note, anchor);
                let same = path == page.path;
                let url = match (same, fragment) {
                    (true, Some(f)) => format!("#{f}"),
                    (false, Some(f)) => format!("{}#{f}", relative(&page.path, path)),
                    (_, None) => relative(&page.path, path),
                };
                out.push_str(&url);
            }
            None => out.push_str(&rest[i..i + REF_SCHEME.len() + digits]),
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// Writes `tree` into `out`, replacing it as a whole (see [`output`]).
pub(crate) fn write_tree(tree: &Tree, out: &Path, vault: &Path) -> Result<()> {
    let out_path = std::path::absolute(out)?;
    output::replace_dir(out, vault, |staging| {
        // Read here, once `out` has been found to hold vaultbook's output alone.
        let last = output::Last::read(&out_path);
        type Entry<'a> = (
            &'a String,
            Option<&'a std::sync::Arc<[u8]>>,
            Option<&'a std::path::PathBuf>,
        );
        let mut entries: Vec<Entry> = tree.files.iter().map(|(p, b)| (p, Some(b), None)).collect();
        entries.extend(tree.copies.iter().map(|(p, src)| (p, None, Some(src))));
        // Kept files are copied from the emitted tree that holds them (which this may be
        // about to replace: it is still whole while the new one is written beside it).
        let kept: Vec<(&String, std::path::PathBuf)> = tree
            .kept
            .keys()
            .map(|p| {
                let from = tree
                    .kept_file(p)
                    .with_context(|| format!("{p}: kept, but in no emitted tree"))?;
                Ok((p, from))
            })
            .collect::<Result<_>>()?;
        entries.extend(kept.iter().map(|(p, from)| (*p, None, Some(from))));
        // Each folder is made once, here, not tried again before each of its files: at
        // 10,000 notes that was 10,000 `mkdir`s failing with EEXIST and 10,000 `stat`s
        // after them, a fifth of the write's system calls.
        let folders: BTreeSet<&str> = entries
            .iter()
            .filter_map(|(rel, _, _)| rel.rsplit_once('/').map(|(folder, _)| folder))
            .collect();
        for folder in folders {
            std::fs::create_dir_all(staging.join(folder))
                .with_context(|| format!("cannot create {}", staging.join(folder).display()))?;
        }
        entries
            .par_iter()
            .try_for_each(|(rel, bytes, src)| -> Result<()> {
                let dest = staging.join(rel);
                match (bytes, src) {
                    (Some(b), _) if !last.link_if_same(rel, b, &dest) => {
                        std::fs::write(&dest, b)
                            .with_context(|| format!("cannot write {}", dest.display()))?;
                    }
                    (None, Some(s)) if !last.link_if_same_as(rel, s, &dest) => {
                        std::fs::copy(s, &dest)
                            .with_context(|| format!("cannot copy {}", s.display()))?;
                    }
                    // Linked from the last tree.
                    _ => {}
                }
                Ok(())
            })?;
        Ok(tree
            .generated()
            .into_iter()
            .chain(tree.copies.keys())
            .cloned()
            .collect())
    })
}
