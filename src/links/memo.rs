//! What an incremental driver keeps of the last run's link resolution, so that an edit that
//! changes no link target (prose, a link of its own) resolves only the notes it changed.
//!
//! A link's resolution depends on its own note (path, links: its text) and on what every note
//! offers as a target: path, aliases, `publish`, headings and block ids, and the attachments'
//! paths. That second part is the book's *target fingerprint*: while it is the last run's, the
//! index is the last run's too, and a note whose text is the same shared text resolves as
//! before (ids included: the same notes in the same order). Once it changes (a heading renamed,
//! a note added), everything is resolved again.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher, RandomState};
use std::sync::Arc;

use rayon::prelude::*;

use super::index::Index;
use super::resolve::{Resolved, resolve_notes};
use crate::diagnostics::Diagnostic;
use crate::vault::{Note, VaultFile};

/// The index and the resolutions of the last run, with the fingerprint they hold for.
#[derive(Default)]
pub(crate) struct ResolveMemo {
    seed: RandomState,
    targets: Option<u64>,
    index: Option<Index>,
    /// By note path: the note's text when resolved, and what its links gave.
    notes: HashMap<String, Kept>,
}

struct Kept {
    text: Arc<str>,
    resolved: Vec<Resolved>,
    diagnostics: Vec<Diagnostic>,
}

impl ResolveMemo {
    /// Resolves the links of every note, as [`super::resolve::resolve_all`] does, reusing what
    /// the last run resolved where nothing it depends on changed.
    pub(crate) fn resolve(
        &mut self,
        notes: &[Note],
        attachments: &[VaultFile],
    ) -> (Vec<Vec<Resolved>>, Vec<Diagnostic>) {
        let targets = self.targets(notes, attachments);
        if self.targets != Some(targets) || self.index.is_none() {
            self.index = Some(Index::build(notes, attachments));
            self.notes.clear();
            self.targets = Some(targets);
        }
        let index = self.index.as_ref().expect("built above");
        let mut last = std::mem::take(&mut self.notes);
        let is_kept = |n: &Note, last: &HashMap<String, Kept>| {
            last.get(&n.rel)
                .is_some_and(|k| Arc::ptr_eq(&k.text, &n.text))
        };
        let fresh: Vec<usize> = (0..notes.len())
            .filter(|&i| !is_kept(&notes[i], &last))
            .collect();
        let mut resolved_fresh = resolve_notes(notes, index, &fresh).into_iter();
        let mut fresh = fresh.into_iter().peekable();
        // Each note's resolutions are cloned once: out, while the memo keeps its own.
        let mut per_note = Vec::with_capacity(notes.len());
        for (id, n) in notes.iter().enumerate() {
            let kept = if fresh.next_if_eq(&id).is_some() {
                let (resolved, diagnostics) = resolved_fresh.next().expect("one per fresh note");
                Kept {
                    text: n.text.clone(),
                    resolved,
                    diagnostics,
                }
            } else {
                last.remove(&n.rel).expect("kept when not fresh")
            };
            per_note.push((kept.resolved.clone(), kept.diagnostics.clone()));
            self.notes.insert(n.rel.clone(), kept);
        }
        super::resolve::per_link(per_note)
    }

    /// The book's target fingerprint: everything of the notes and attachments that links look
    /// up, in order.
    fn targets(&self, notes: &[Note], attachments: &[VaultFile]) -> u64 {
        let per_note: Vec<u64> = notes
            .par_iter()
            .map(|n| {
                let mut h = self.seed.build_hasher();
                (&n.rel, &n.frontmatter.aliases, n.frontmatter.publish).hash(&mut h);
                for heading in &n.syntax.headings {
                    (&heading.text, heading.level).hash(&mut h);
                }
                for b in &n.syntax.blocks {
                    b.id.hash(&mut h);
                }
                h.finish()
            })
            .collect();
        let mut h = self.seed.build_hasher();
        per_note.hash(&mut h);
        for a in attachments {
            a.rel.hash(&mut h);
        }
        h.finish()
    }
}
