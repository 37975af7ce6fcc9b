//! The vault index: built once, then every link is a lookup.

use std::collections::HashMap;

use super::keys::{file_key, heading_key, heading_loose_key, name_key};
use crate::vault::{Note, VaultFile};

/// A note, by its position in the sorted list of notes.
pub type NoteId = usize;
/// An attachment, by its position in the sorted list of attachments.
pub type AttId = usize;

/// Name, path and alias lookups for notes and attachments, and heading keys per note.
#[derive(Debug, Default)]
pub struct Index {
    note_paths: HashMap<String, NoteId>,
    note_names: HashMap<String, Vec<NoteId>>,
    aliases: HashMap<String, Vec<NoteId>>,
    att_paths: HashMap<String, AttId>,
    att_names: HashMap<String, Vec<AttId>>,
    /// Per note, per heading: (strict key, loose key, level).
    pub headings: Vec<Vec<(String, String, u8)>>,
    note_rels: Vec<String>,
    att_rels: Vec<String>,
}

/// The answer to a name lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<T> {
    /// Exactly one match (or the one in the linking note's folder).
    Found(T),
    /// Several matches: the one chosen, and all of them.
    Ambiguous(T, Vec<T>),
    /// No match.
    Missing,
}

impl Index {
    /// Indexes `notes` and `attachments` (each sorted by path).
    pub fn build(notes: &[Note], attachments: &[VaultFile]) -> Index {
        let mut ix = Index::default();
        for (id, n) in notes.iter().enumerate() {
            ix.note_paths.insert(name_key(&n.rel), id);
            ix.note_names
                .entry(name_key(n.stem()))
                .or_default()
                .push(id);
            for a in &n.frontmatter.aliases {
                ix.aliases.entry(name_key(a)).or_default().push(id);
            }
            ix.note_rels.push(name_key(&n.rel));
        }
        for (id, a) in attachments.iter().enumerate() {
            let key = file_key(&a.rel);
            let name = key.rsplit('/').next().unwrap_or(&key).to_string();
            ix.att_paths.insert(key.clone(), id);
            ix.att_names.entry(name).or_default().push(id);
            ix.att_rels.push(key);
        }
        ix.headings = notes
            .iter()
            .map(|n| {
                n.syntax
                    .headings
                    .iter()
                    .map(|h| (heading_key(&h.text), heading_loose_key(&h.text), h.level))
                    .collect()
            })
            .collect();
        ix
    }

    /// Finds a note by the path or name a link gives (`path` already normalised to be inside the
    /// vault), Obsidian's way: exact path; then the file name when unique, else the one in
    /// `from_folder`, else the shortest path; then a path suffix; then aliases.
    pub fn note(&self, path: &str, from_folder: &str) -> Lookup<NoteId> {
        let key = name_key(path);
        if key.is_empty() {
            return Lookup::Missing;
        }
        if let Some(l) = self.by_path_or_name(
            &key,
            &self.note_paths,
            &self.note_names,
            &self.note_rels,
            from_folder,
        ) {
            return l;
        }
        if let Some(ids) = self.aliases.get(&key)
            && let Some(l) = self.choose(ids.clone(), from_folder, &self.note_rels)
        {
            return l;
        }
        Lookup::Missing
    }

    /// Finds an attachment by path or file name (extension included), like [`Index::note`].
    pub fn attachment(&self, path: &str, from_folder: &str) -> Lookup<AttId> {
        let key = file_key(path);
        self.by_path_or_name(
            &key,
            &self.att_paths,
            &self.att_names,
            &self.att_rels,
            from_folder,
        )
        .unwrap_or(Lookup::Missing)
    }

    /// The lookup notes and attachments share: the exact path, then the file name (unique, or
    /// narrowed by the folders written before it, as a path suffix).
    fn by_path_or_name(
        &self,
        key: &str,
        paths: &HashMap<String, usize>,
        names: &HashMap<String, Vec<usize>>,
        rels: &[String],
        from_folder: &str,
    ) -> Option<Lookup<usize>> {
        if let Some(&id) = paths.get(key) {
            return Some(Lookup::Found(id));
        }
        let (name, dir) = match key.rfind('/') {
            Some(i) => (&key[i + 1..], Some(&key[..i])),
            None => (key, None),
        };
        let ids = names.get(name)?;
        if let ([only], None) = (ids.as_slice(), dir) {
            return Some(Lookup::Found(*only));
        }
        let ids: Vec<usize> = match dir {
            None => ids.clone(),
            Some(_) => {
                let suffix = format!("/{key}");
                ids.iter()
                    .copied()
                    .filter(|&i| rels[i].ends_with(&suffix))
                    .collect()
            }
        };
        self.choose(ids, from_folder, rels)
    }

    fn choose(&self, ids: Vec<usize>, from_folder: &str, rels: &[String]) -> Option<Lookup<usize>> {
        match ids.len() {
            0 => None,
            1 => Some(Lookup::Found(ids[0])),
            _ => {
                let folder = name_key(from_folder);
                let parent = |r: &str| r.rfind('/').map_or(String::new(), |i| r[..i].to_string());
                let same: Vec<usize> = ids
                    .iter()
                    .copied()
                    .filter(|&i| parent(&rels[i]) == folder)
                    .collect();
                if same.len() == 1 {
                    return Some(Lookup::Found(same[0]));
                }
                // Deterministic: the shortest path, then the first by path.
                let chosen = *ids
                    .iter()
                    .min_by_key(|&&i| (rels[i].matches('/').count(), rels[i].clone()))
                    .unwrap_or(&ids[0]);
                Some(Lookup::Ambiguous(chosen, ids))
            }
        }
    }

    /// Finds a heading of `note` by a chain `#H1#H2…`: each heading is looked for under the one
    /// before; within a level, the first match wins. Strict keys first, then loose ones.
    pub fn heading(&self, note: NoteId, chain: &[String]) -> Option<usize> {
        let hs = &self.headings[note];
        let mut from = 0;
        let mut until = hs.len();
        let mut found = None;
        for part in chain {
            let strict = heading_key(part);
            let pos = (from..until).find(|&i| hs[i].0 == strict).or_else(|| {
                let loose = heading_loose_key(part);
                (from..until).find(|&i| !loose.is_empty() && hs[i].1 == loose)
            })?;
            found = Some(pos);
            let level = hs[pos].2;
            from = pos + 1;
            until = (from..until).find(|&i| hs[i].2 <= level).unwrap_or(until);
        }
        found
    }
}
