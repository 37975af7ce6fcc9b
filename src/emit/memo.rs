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
//! The key is a 64-bit SipHash under secret keys: per process in serve, derived from the
//! user's seal key ([`crate::snippets::seal`]) for the memo a `build` keeps on disk. Two
//! different inputs collide with a chance of 2^-64 per page and run, and no vault can aim at a
//! collision.
//!
//! **On disk** ([`PageMemo::load`], [`PageMemo::save`]), so that a second `build` in a new
//! process does not assemble the 10,000 pages the first one did: per page its key, the key of
//! what filling it read, its heading ids, what the book needs of it (placeholder targets,
//! attachments, math, mermaid) and the SHA-256 of the page as written; the page itself is the
//! one in the emitted tree, read back and checked against that digest. The record sits in the
//! work dir, inside the repository, where a pull request can plant one beside a planted page
//! that never went through the sanitiser: so it carries an HMAC under the seal key and names
//! the executable that wrote it, and a record that does not verify is not read. A page with
//! diagnostics (an embed cycle) is not kept: it is assembled again, and says so again. A page
//! kept from disk whose placeholders must be filled differently (a target heading's id
//! changed) is assembled again, since its text with placeholders is not kept.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher, RandomState};
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;
use siphasher::sip::SipHasher13;

use super::page::{Context, Page, Ref};
use crate::links::{NoteId, Resolved};
use crate::syntax::MdbookMarkdown;
use crate::vault::Note;

/// The keys of the memo's hashes.
#[derive(Clone, Copy, PartialEq)]
struct Keys(u64, u64);

impl Default for Keys {
    /// Keys for this process alone.
    fn default() -> Keys {
        let r = RandomState::new();
        Keys(r.hash_one(1u8), r.hash_one(2u8))
    }
}

impl Keys {
    /// Keys of this user, the same in every process: derived from the seal key.
    fn sealed() -> Keys {
        let tag = crate::snippets::seal::Seal::get().tag("page memo keys", b"");
        let word = |i: usize| {
            tag.get(i..i + 16)
                .and_then(|h| u64::from_str_radix(h, 16).ok())
                .unwrap_or_default()
        };
        Keys(word(0), word(16))
    }
}

impl BuildHasher for Keys {
    type Hasher = SipHasher13;
    fn build_hasher(&self) -> SipHasher13 {
        SipHasher13::new_with_keys(self.0, self.1)
    }
}

/// The seal domain of the record on disk.
const SEALED: &str = "page memo";

/// Pages kept from the last run, by note path.
#[derive(Default)]
pub(crate) struct PageMemo {
    seed: Keys,
    /// By note path: the note's shared text last run, and its hash: an unchanged note (the
    /// same shared text) is not hashed again.
    texts: HashMap<String, (Arc<str>, u64)>,
    pages: HashMap<String, Kept>,
    /// The backlinks footers.
    pub(crate) footers: super::extras::KeptFooters,
    /// What links into the notes of the last run read ([`Stamps`]), per note by its id then,
    /// with its path; empty for a memo for the disk.
    targets: Vec<(String, u64)>,
    /// The last run's stamp of the tag index as links read it.
    tags: u64,
    /// A memo for the disk ([`PageMemo::load`]): it keeps what [`PageMemo::save`] writes, not
    /// the pages' texts, which would stay in memory through the render for nothing.
    for_disk: bool,
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
    /// The SHA-256 of `filled`, when known without hashing it (read from disk and checked).
    digest: Option<[u8; 32]>,
    /// Whether `page` is whole: `false` for a page kept on disk, a [`Page::skeleton`].
    pub whole: bool,
}

impl Kept {
    /// The page as last written, and its SHA-256 if known, if what its placeholders read has
    /// the key `refs`.
    pub(crate) fn filled(&self, refs: u64) -> Option<Written> {
        (self.refs == refs).then(|| (self.filled.clone(), self.digest))
    }
}

/// A page as written, and its SHA-256 when known without hashing it.
pub(crate) type Written = (Arc<[u8]>, Option<[u8; 32]>);

/// [`PageMemo`] on disk: the pages, and the executable that wrote them.
#[derive(serde::Serialize, serde::Deserialize)]
struct Saved {
    maker: String,
    pages: Vec<SavedPage>,
}

/// One page of [`Saved`].
#[derive(serde::Serialize, serde::Deserialize)]
struct SavedPage {
    rel: String,
    key: u64,
    refs: u64,
    ids: Vec<String>,
    note: NoteId,
    path: String,
    targets: Vec<Ref>,
    attachments: Vec<crate::links::AttId>,
    math: bool,
    mermaid: bool,
    /// The SHA-256 of the page as written, hex.
    digest: String,
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
    /// Its SHA-256, when known without hashing it.
    pub digest: Option<[u8; 32]>,
    /// Whether `page` is whole (see [`Kept::whole`]).
    pub whole: bool,
}

/// What a link into each note reads this run (its chapter, its parts, its heading ids, its
/// blocks: what `Fill::target` reads), hashed per note, and whether each reads the same as in
/// the last run: the same note id, path and stamp. A page kept from the last run (same key, so
/// the same placeholders and note ids) whose placeholders all lead to such notes, and to the
/// same tag index, has the refs key it had.
pub(crate) struct Stamps {
    per_note: Vec<u64>,
    same: Vec<bool>,
    tags: u64,
    tags_same: bool,
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
    /// The memo the last `build` saved at `record` (by the executable `maker` names), its
    /// pages read from the emitted tree at `tree`: each page whose bytes there are the ones
    /// recorded. An empty memo (under the same keys) when there is none or it does not verify.
    pub(crate) fn load(record: &Path, tree: &Path, maker: &str) -> PageMemo {
        use sha2::{Digest, Sha256};
        let mut memo = PageMemo {
            seed: Keys::sealed(),
            for_disk: true,
            ..PageMemo::default()
        };
        let Ok(bytes) = std::fs::read(record) else {
            return memo;
        };
        let Some(nl) = bytes.iter().position(|&b| b == b'\n') else {
            return memo;
        };
        let (tag, body) = (&bytes[..nl], &bytes[nl + 1..]);
        let seal = crate::snippets::seal::Seal::get();
        let verified = std::str::from_utf8(tag).is_ok_and(|t| seal.verify(SEALED, body, t));
        let saved = verified
            .then(|| serde_json::from_slice::<Saved>(body).ok())
            .flatten()
            .filter(|s| s.maker == maker);
        let Some(saved) = saved else {
            return memo;
        };
        memo.pages = saved
            .pages
            .into_par_iter()
            .filter_map(|p| {
                let bytes = std::fs::read(tree.join("src").join(&p.path)).ok()?;
                let digest: [u8; 32] = Sha256::digest(&bytes).into();
                if crate::snippets::cache::hex(&digest) != p.digest {
                    return None;
                }
                let page =
                    Page::skeleton(p.note, p.path, p.targets, p.attachments, p.math, p.mermaid);
                let kept = Kept {
                    key: p.key,
                    page: Arc::new(page),
                    ids: p.ids,
                    refs: p.refs,
                    filled: bytes.into(),
                    digest: Some(digest),
                    whole: false,
                };
                Some((p.rel, kept))
            })
            .collect();
        memo
    }

    /// Saves the pages kept ([`PageMemo::keep`] leaves out those with diagnostics) at `record`
    /// for the next `build`,
    /// whose emitted tree is the one just written, with `digests` its files' SHA-256
    /// ([`super::Tree::digests`]); removes `record` when it cannot be written.
    pub(crate) fn save(
        &self,
        record: &Path,
        maker: &str,
        digests: &std::collections::BTreeMap<String, [u8; 32]>,
    ) {
        if self.seed != Keys::sealed() {
            // Keys of this process alone: no other process could use the record.
            let _ = std::fs::remove_file(record);
            return;
        }
        let mut pages: Vec<SavedPage> = self
            .pages
            .par_iter()
            .filter_map(|(rel, k)| {
                let digest = digests.get(&format!("src/{}", k.page.path))?;
                Some((rel, k, crate::snippets::cache::hex(digest)))
            })
            .map(|(rel, k, digest)| SavedPage {
                rel: rel.clone(),
                key: k.key,
                refs: k.refs,
                ids: k.ids.clone(),
                note: k.page.note,
                path: k.page.path.clone(),
                targets: k.page.refs.clone(),
                attachments: k.page.attachments.clone(),
                math: k.page.uses_math,
                mermaid: k.page.uses_mermaid,
                digest,
            })
            .collect();
        pages.sort_by(|a, b| a.rel.cmp(&b.rel));
        let saved = Saved {
            maker: maker.to_string(),
            pages,
        };
        let written = serde_json::to_vec(&saved).ok().and_then(|body| {
            let tag = crate::snippets::seal::Seal::get().tag(SEALED, &body);
            let mut bytes = Vec::with_capacity(tag.len() + 1 + body.len());
            bytes.extend_from_slice(tag.as_bytes());
            bytes.push(b'\n');
            bytes.extend_from_slice(&body);
            std::fs::write(record, bytes).ok()
        });
        if written.is_none() {
            let _ = std::fs::remove_file(record);
        }
    }

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

    /// Whether it holds no page of a last run's.
    pub(crate) fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }

    /// Whether the pages it keeps keep their text (a memo in memory; one for disk keeps
    /// skeletons, see [`Page::skeleton`]).
    pub(crate) fn keeps_text(&self) -> bool {
        !self.for_disk
    }

    /// Keeps this run's pages (and only them) for the next; `texts`: per note, its text's hash
    /// (from [`Lookup::into_texts`]); `ids`: per note, its own heading ids.
    pub(crate) fn keep(
        &mut self,
        notes: &[Note],
        texts: Vec<u64>,
        stamps: Option<Stamps>,
        pages: &[Finished],
        ids: &[Vec<String>],
    ) {
        (self.targets, self.tags) = match stamps {
            Some(s) => (
                notes
                    .iter()
                    .map(|n| n.rel.clone())
                    .zip(s.per_note)
                    .collect(),
                s.tags,
            ),
            None => (Vec::new(), 0),
        };
        self.texts = notes
            .iter()
            .zip(texts)
            .map(|(n, hash)| (n.rel.clone(), (n.text.clone(), hash)))
            .collect();
        let for_disk = self.for_disk;
        self.pages = pages
            .iter()
            // Not saved: assembled again next time, and its problems told again.
            .filter(|f| !for_disk || f.page.diagnostics.is_empty())
            // A note's parts are assembled again each time (see `assemble_pages`).
            .filter(|f| f.page.part.is_none())
            .map(|f| {
                let page = if for_disk && f.whole {
                    let p = &f.page;
                    Arc::new(Page::skeleton(
                        p.note,
                        p.path.clone(),
                        p.refs.clone(),
                        p.attachments.clone(),
                        p.uses_math,
                        p.uses_mermaid,
                    ))
                } else {
                    f.page.clone()
                };
                let kept = Kept {
                    key: f.key,
                    page,
                    ids: ids[f.page.note].clone(),
                    refs: f.refs,
                    filled: f.filled.clone(),
                    digest: f.digest,
                    whole: f.whole && !for_disk,
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

    /// What links into each note read this run ([`Stamps`]); `None` for a memo for the disk,
    /// which keeps no stamps between processes.
    pub(crate) fn stamps(&self, fill: &super::Fill) -> Option<Stamps> {
        if !self.memo.keeps_text() {
            return None;
        }
        let seed = &self.memo.seed;
        let per_note: Vec<u64> = (0..fill.notes.len())
            .into_par_iter()
            .map(|note| {
                // Everything `Fill::target` reads of `note`, whatever the anchor.
                let mut h = seed.build_hasher();
                let syntax = &fill.notes[note].syntax;
                (&fill.plan.chapter[note], &fill.ids[note]).hash(&mut h);
                syntax.blocks.iter().for_each(|b| b.id.hash(&mut h));
                if let Some(parts) = fill.plan.parts.get(&note) {
                    parts.iter().for_each(|p| (p.start, &p.path).hash(&mut h));
                    syntax
                        .headings
                        .iter()
                        .for_each(|x| x.range.start.hash(&mut h));
                    syntax
                        .blocks
                        .iter()
                        .for_each(|b| b.block.start.hash(&mut h));
                }
                h.finish()
            })
            .collect();
        let same = per_note
            .iter()
            .enumerate()
            .map(|(note, stamp)| {
                self.memo
                    .targets
                    .get(note)
                    .is_some_and(|(rel, last)| last == stamp && *rel == fill.notes[note].rel)
            })
            .collect();
        let mut entries: Vec<_> = fill.tag_ids.iter().collect();
        entries.sort_unstable();
        let tags = seed.hash_one((&fill.plan.tags_page, entries));
        Some(Stamps {
            per_note,
            same,
            tags,
            tags_same: !self.memo.targets.is_empty() && tags == self.memo.tags,
        })
    }

    /// [`Lookup::refs_key`] of `page`, which the last run kept as `kept`: that run's, without
    /// making it again, when every note its placeholders lead to reads the same (see
    /// [`Stamps`]); at 10,000 notes, making it again for every page was about a sixth of a
    /// serve rebuild's CPU time.
    pub(crate) fn refs_key_of_kept(
        &self,
        page: &Page,
        kept: &Kept,
        stamps: Option<&Stamps>,
        fill: &super::Fill,
    ) -> u64 {
        let unchanged = |s: &Stamps| {
            page.refs.iter().all(|r| match r {
                Ref::Tag(_) => s.tags_same,
                Ref::Note(note, _) => s.same.get(*note).copied().unwrap_or(false),
            })
        };
        if stamps.is_some_and(unchanged) {
            debug_assert_eq!(kept.refs, self.refs_key(page, fill));
            return kept.refs;
        }
        self.refs_key(page, fill)
    }

    /// The key of what filling the placeholders of `page` reads (see [`super::fill_refs`]):
    /// per placeholder, the target's chapter and the id or block its anchor names, or the tag
    /// index's path and the tag's entry.
    pub(crate) fn refs_key(&self, page: &Page, fill: &super::Fill) -> u64 {
        let mut h = self.memo.seed.build_hasher();
        for r in &page.refs {
            match r {
                Ref::Tag(tag) => (0u8, &fill.plan.tags_page, fill.tag_ids.get(tag)).hash(&mut h),
                Ref::Note(note, anchor) => (1u8, fill.target(*note, *anchor)).hash(&mut h),
            }
        }
        h.finish()
    }
}
