//! The assembled pages an incremental driver keeps between its runs, so that a rebuild assembles
//! again only the pages whose inputs changed.
//!
//! Assembly is most of a rebuild's work on a large book (the sanitiser's pass over every page),
//! and an edit changes the inputs of a few pages only. A page is reused when its key is the one
//! it was assembled with. The key covers everything [`super::page::assemble`] reads for that
//! page: the note itself and every note its embeds reach (path, title, text, where each link
//! leads, snippet output), the chapter path, the attachments' paths, the footer, and the
//! book-wide switches. Note ids are in it too: a page holds the ids of the notes it links to
//! (its placeholders), and adding a note shifts them.
//!
//! The key is a 64-bit hash under a per-process random seed: two different inputs collide with
//! a chance of 2^-64 per page and run, and no vault can aim at a collision.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher, RandomState};
use std::sync::Arc;

use rayon::prelude::*;

use super::page::{Context, Page, Ref};
use crate::links::{Anchor, NoteId, Resolved};
use crate::syntax::MdbookMarkdown;
use crate::vault::Note;

/// Pages kept from the last run, by note path.
#[derive(Default)]
pub(crate) struct PageMemo {
    seed: RandomState,
    /// By note path: the note's shared text last run, and its hash: an unchanged note (the
    /// same shared text) is not hashed again.
    texts: HashMap<String, (Arc<str>, u64)>,
    pages: HashMap<String, Kept>,
    /// The backlinks footers.
    pub(crate) footers: super::extras::KeptFooters,
}

/// A page as assembled (placeholders not yet filled), its own heading ids, and the page as
/// written (placeholders filled) with the key of what filling it read.
pub(crate) struct Kept {
    key: u64,
    /// The page, placeholders not filled.
    pub page: Arc<Page>,
    /// Its own heading ids.
    pub ids: Vec<String>,
    refs: u64,
    filled: Arc<[u8]>,
}

impl Kept {
    /// The page as last written, if what its placeholders read has the key `refs`.
    pub(crate) fn filled(&self, refs: u64) -> Option<Arc<[u8]>> {
        (self.refs == refs).then(|| self.filled.clone())
    }
}

/// One page of a run, as [`super::assemble_pages`] finishes it.
pub(crate) struct Finished {
    /// The key of its inputs (0 without a memo).
    pub key: u64,
    /// The page, placeholders not filled.
    pub page: Arc<Page>,
    /// The key of what filling its placeholders read (0 without a memo).
    pub refs: u64,
    /// The page as written.
    pub filled: Arc<[u8]>,
}

/// One run's view of the memo: each note's own key part, and the pages of the last run.
pub(crate) struct Lookup<'m> {
    memo: &'m PageMemo,
    /// Per note: the hash of its text.
    texts: Vec<u64>,
    /// Per note: everything of it that a page embedding it reads.
    part: Vec<u64>,
    /// The book-wide switches.
    global: u64,
}

impl PageMemo {
    /// Prepares the lookups of one run.
    pub(crate) fn lookup<'m>(&'m self, ctx: &Context, markdown: MdbookMarkdown) -> Lookup<'m> {
        let texts: Vec<u64> = ctx
            .notes
            .par_iter()
            .map(|n| match self.texts.get(&n.rel) {
                Some((kept, hash)) if Arc::ptr_eq(kept, &n.text) => *hash,
                _ => self.seed.hash_one(&*n.text),
            })
            .collect();
        let part = ctx
            .notes
            .par_iter()
            .zip(&texts)
            .enumerate()
            .map(|(id, (n, &text))| self.part(ctx, id, n, text))
            .collect();
        let mut h = self.seed.build_hasher();
        (ctx.plan.from_mdbook, ctx.tag_links).hash(&mut h);
        ctx.sanitize.map(|o| o.bits()).hash(&mut h);
        (
            markdown.smart_punctuation,
            markdown.definition_lists,
            markdown.admonitions,
        )
            .hash(&mut h);
        Lookup {
            memo: self,
            texts,
            part,
            global: h.finish(),
        }
    }

    fn part(&self, ctx: &Context, id: NoteId, n: &Note, text: u64) -> u64 {
        let mut h = self.seed.build_hasher();
        (text, &n.rel, &n.title).hash(&mut h);
        for r in &ctx.resolved[id] {
            r.hash(&mut h);
            if let Resolved::Attachment { att, .. } = r {
                ctx.plan.attachment[*att].hash(&mut h);
            }
        }
        for i in 0..n.syntax.code_blocks.len() {
            ctx.snippets.get(&(id, i)).hash(&mut h);
        }
        h.finish()
    }

    /// Keeps this run's pages (and only them) for the next; `texts`: per note, its text's hash
    /// (from [`Lookup::into_texts`]); `ids`: per note, its own heading ids.
    pub(crate) fn keep(
        &mut self,
        notes: &[Note],
        texts: Vec<u64>,
        pages: &[Finished],
        ids: &[Vec<String>],
    ) {
        self.texts = notes
            .iter()
            .zip(texts)
            .map(|(n, hash)| (n.rel.clone(), (n.text.clone(), hash)))
            .collect();
        self.pages = pages
            .iter()
            .map(|f| {
                let kept = Kept {
                    key: f.key,
                    page: f.page.clone(),
                    ids: ids[f.page.note].clone(),
                    refs: f.refs,
                    filled: f.filled.clone(),
                };
                (notes[f.page.note].rel.clone(), kept)
            })
            .collect();
    }
}

impl Lookup<'_> {
    /// The key of `note`'s page.
    pub(crate) fn key(&self, ctx: &Context, note: NoteId) -> u64 {
        let mut h = self.memo.seed.build_hasher();
        (self.global, &ctx.plan.chapter[note], &ctx.footers[note]).hash(&mut h);
        // The note and those its embeds reach, in the order met, with their ids.
        let mut seen = vec![note];
        let mut next = 0;
        while let Some(&id) = seen.get(next) {
            next += 1;
            (id, self.part[id]).hash(&mut h);
            let n = &ctx.notes[id];
            for (link, r) in n.syntax.links.iter().zip(&ctx.resolved[id]) {
                if let Resolved::Note { note: t, .. } = r
                    && link.kind.is_embed()
                    && !seen.contains(t)
                {
                    seen.push(*t);
                }
            }
        }
        h.finish()
    }

    /// The page kept for `note`, if it was assembled from inputs with this key.
    pub(crate) fn get(&self, notes: &[Note], note: NoteId, key: u64) -> Option<&Kept> {
        self.memo
            .pages
            .get(&notes[note].rel)
            .filter(|k| k.key == key)
    }

    /// The per-note text hashes this run made, for [`PageMemo::keep`].
    pub(crate) fn into_texts(self) -> Vec<u64> {
        self.texts
    }

    /// The key of what filling the placeholders of `page` reads (see [`super::fill_refs`]):
    /// per placeholder, the target's chapter and the id or block its anchor names, or the tag
    /// index's path and the tag's entry.
    pub(crate) fn refs_key(&self, page: &Page, fill: &super::Fill) -> u64 {
        let mut h = self.memo.seed.build_hasher();
        for r in &page.refs {
            match r {
                Ref::Tag(tag) => (0u8, &fill.plan.tags_page, fill.tag_ids.get(tag)).hash(&mut h),
                Ref::Note(note, anchor) => {
                    (1u8, &fill.plan.chapter[*note]).hash(&mut h);
                    match *anchor {
                        Anchor::None => 0u8.hash(&mut h),
                        Anchor::Heading(i) => (1u8, fill.ids[*note].get(i)).hash(&mut h),
                        Anchor::Block(b) => {
                            (2u8, &fill.notes[*note].syntax.blocks[b].id).hash(&mut h)
                        }
                    }
                }
            }
        }
        h.finish()
    }
}
