//! The mdBook source tree: book.toml, SUMMARY.md, one chapter per published note, the
//! attachments the chapters use, and vaultbook's stylesheet.

pub mod output;
pub mod page;
pub mod plan;
pub mod slug;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use anyhow::{Context as _, Result};
use rayon::prelude::*;

use crate::config::Config;
use crate::diagnostics::Diagnostic;
use crate::links::anchors::page_ids;
use crate::links::{Anchor, NoteId, Resolved};
use crate::syntax::MdbookMarkdown;
use crate::vault::{Note, VaultFile};
use page::{Page, REF_SCHEME};
use plan::Plan;
use slug::relative;

/// vaultbook's stylesheet: callouts, embeds, broken links, highlights, snippet output.
pub const CSS: &str = include_str!("vaultbook.css");

/// The files of an emitted book, relative to its root, with their contents.
#[derive(Debug, Default)]
pub struct Tree {
    /// Generated files: path → bytes.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Attachments to copy: path in the book → file in the vault.
    pub copies: BTreeMap<String, std::path::PathBuf>,
    /// Problems found while assembling pages (embed cycles).
    pub diagnostics: Vec<Diagnostic>,
}

/// Everything the emitter needs.
pub struct Input<'a> {
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
}

/// Builds the whole tree in memory: deterministic, so the same vault gives the same bytes.
pub fn build_tree(input: &Input) -> Result<Tree> {
    let plan = plan::plan(input.config, input.notes, input.attachments, input.tera)?;
    let ctx = page::Context {
        notes: input.notes,
        resolved: input.resolved,
        plan: &plan,
        snippets: input.snippets,
    };
    let mut pages: Vec<Page> = plan
        .order
        .par_iter()
        .map(|&id| page::assemble(&ctx, id))
        .collect();
    let ids = heading_ids(&pages, input.notes.len(), input.markdown);
    pages
        .par_iter_mut()
        .for_each(|p| fill_refs(p, &plan, input.notes, &ids));

    let mut tree = Tree::default();
    let mut used = BTreeSet::new();
    for p in pages {
        used.extend(p.attachments.iter().copied());
        tree.diagnostics.extend(p.diagnostics);
        tree.files.insert(format!("src/{}", p.path), p.text.into_bytes());
    }
    for a in used {
        tree.copies.insert(
            format!("src/{}", plan.attachment[a]),
            input.attachments[a].path.clone(),
        );
    }
    tree.files
        .insert("src/SUMMARY.md".into(), plan.summary.clone().into_bytes());
    let css = format!("{CSS}\n{}", crate::snippets::SNIPPET_CSS);
    tree.files.insert("vaultbook.css".into(), css.into_bytes());
    tree.files.insert(
        "book.toml".into(),
        input
            .config
            .emitted_book_toml(&["vaultbook.css"])
            .into_bytes(),
    );
    Ok(tree)
}

/// Per note, per own heading: the id mdBook gives it on the note's page.
fn heading_ids(pages: &[Page], notes: usize, md: MdbookMarkdown) -> Vec<Vec<String>> {
    let per_page: Vec<(NoteId, Vec<String>)> = pages
        .par_iter()
        .map(|p| {
            let ids: HashMap<usize, String> = page_ids(&p.text, md).into_iter().collect();
            let own = p
                .own_headings
                .iter()
                .map(|off| ids.get(off).cloned().unwrap_or_default())
                .collect();
            (p.note, own)
        })
        .collect();
    let mut out = vec![Vec::new(); notes];
    for (n, ids) in per_page {
        out[n] = ids;
    }
    out
}

/// Replaces the page's `vaultbook-ref:N` placeholders with real relative URLs and anchors.
fn fill_refs(page: &mut Page, plan: &Plan, notes: &[Note], ids: &[Vec<String>]) {
    if page.refs.is_empty() {
        return;
    }
    let mut out = String::with_capacity(page.text.len());
    let mut rest = page.text.as_str();
    while let Some(i) = rest.find(REF_SCHEME) {
        out.push_str(&rest[..i]);
        let after = &rest[i + REF_SCHEME.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        match after[..digits].parse::<usize>().ok().and_then(|n| page.refs.get(n)) {
            Some(&(note, anchor)) => {
                let path = plan.chapter[note].as_deref().unwrap_or("");
                let fragment = match anchor {
                    Anchor::None => None,
                    Anchor::Heading(h) => ids[note].get(h).filter(|s| !s.is_empty()).cloned(),
                    Anchor::Block(b) => Some(format!("^{}", notes[note].syntax.blocks[b].id)),
                };
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
    page.text = out;
}

/// Writes `tree` into `out`, replacing it as a whole (see [`output`]).
pub fn write_tree(tree: &Tree, out: &Path, vault: &Path) -> Result<()> {
    output::replace_dir(out, vault, |staging| {
        type Entry<'a> = (&'a String, Option<&'a Vec<u8>>, Option<&'a std::path::PathBuf>);
        let mut entries: Vec<Entry> = tree
            .files
            .iter()
            .map(|(p, b)| (p, Some(b), None))
            .collect();
        entries.extend(tree.copies.iter().map(|(p, src)| (p, None, Some(src))));
        entries.par_iter().try_for_each(|(rel, bytes, src)| -> Result<()> {
            let dest = staging.join(rel);
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent)?;
            }
            match (bytes, src) {
                (Some(b), _) => std::fs::write(&dest, b)
                    .with_context(|| format!("cannot write {}", dest.display()))?,
                (_, Some(s)) => {
                    std::fs::copy(s, &dest)
                        .with_context(|| format!("cannot copy {}", s.display()))?;
                }
                _ => {}
            }
            Ok(())
        })?;
        Ok(tree
            .files
            .keys()
            .chain(tree.copies.keys())
            .cloned()
            .collect())
    })
}
