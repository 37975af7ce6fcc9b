//! The vault index: built once, then every link is a lookup.

use std::borrow::Cow;
use std::collections::HashMap;

use super::keys::{exact_key, file_key, heading_key, heading_loose_key, name_key};
use crate::vault::{Note, VaultFile};

/// A note, by its position in the sorted list of notes.
pub(crate) type NoteId = usize;
/// An attachment, by its position in the sorted list of attachments.
pub(crate) type AttId = usize;

/// Name, path and alias lookups for notes and attachments, and heading keys per note.
#[derive(Debug, Default)]
pub struct Index {
    /// Case-folded path → notes: more than one when paths differ only in letter case
    /// (`Setup.md`, `setup.md`), which a case-sensitive file system allows.
    note_paths: HashMap<String, Vec<NoteId>>,
    note_names: HashMap<String, Vec<NoteId>>,
    aliases: HashMap<String, Vec<NoteId>>,
    att_paths: HashMap<String, Vec<AttId>>,
    att_names: HashMap<String, Vec<AttId>>,
    /// Per note, per heading: (strict key, loose key, level).
    pub headings: Vec<Vec<(String, String, u8)>>,
    /// Per note with many headings, where each key is: a search of every heading for every
    /// link made a note of 80,000 headings and 800,000 links to them take minutes.
    heading_keys: Vec<Option<HeadingKeys>>,
    note_rels: Vec<String>,
    att_rels: Vec<String>,
    /// The paths as written ([`exact_key`]), to prefer the one whose case a link matches.
    note_exact: Vec<String>,
    att_exact: Vec<String>,
}

/// Notes with more headings than this get [`HeadingKeys`]; a search of fewer is as quick.
const MANY_HEADINGS: usize = 16;

/// The headings of one note by key, for [`Index::heading`].
#[derive(Debug, Default)]
struct HeadingKeys {
    /// Strict key → the headings that have it, in order.
    strict: HashMap<String, Vec<usize>>,
    /// Loose key → the headings that have it, in order (none for an empty key).
    loose: HashMap<String, Vec<usize>>,
    /// Per heading, where its section ends: the next heading of its level or above.
    section_end: Vec<usize>,
}

impl HeadingKeys {
    fn new(hs: &[(String, String, u8)]) -> HeadingKeys {
        let mut keys = HeadingKeys {
            section_end: vec![hs.len(); hs.len()],
            ..HeadingKeys::default()
        };
        // Headings whose section is still open, deepest last.
        let mut open: Vec<usize> = Vec::new();
        for (i, (strict, loose, level)) in hs.iter().enumerate() {
            keys.strict.entry(strict.clone()).or_default().push(i);
            if !loose.is_empty() {
                keys.loose.entry(loose.clone()).or_default().push(i);
            }
            while let Some(&o) = open.last()
                && hs[o].2 >= *level
            {
                keys.section_end[o] = i;
                open.pop();
            }
            open.push(i);
        }
        keys
    }

    /// The first heading of `list` in `from..until`.
    fn first_in(list: Option<&Vec<usize>>, from: usize, until: usize) -> Option<usize> {
        let list = list?;
        list.get(list.partition_point(|&i| i < from))
            .copied()
            .filter(|&i| i < until)
    }
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
        use rayon::prelude::*;
        // The heading keys (60,000 at 10,000 notes, each a normalisation of the heading's
        // text) are worked out on the pool while this thread fills the name maps.
        let (mut ix, headings) = rayon::join(
            || Self::names(notes, attachments),
            || -> Vec<Vec<(String, String, u8)>> {
                notes
                    .par_iter()
                    .map(|n| {
                        n.syntax
                            .headings
                            .iter()
                            .map(|h| (heading_key(&h.text), heading_loose_key(&h.text), h.level))
                            .collect()
                    })
                    .collect()
            },
        );
        ix.headings = headings;
        ix.heading_keys = ix
            .headings
            .iter()
            .map(|hs: &Vec<_>| (hs.len() > MANY_HEADINGS).then(|| HeadingKeys::new(hs)))
            .collect();
        ix
    }

    /// The index of notes and attachments by path, name and alias, headings not yet filled.
    fn names(notes: &[Note], attachments: &[VaultFile]) -> Index {
        let mut ix = Index::default();
        for (id, n) in notes.iter().enumerate() {
            ix.note_paths.entry(name_key(&n.rel)).or_default().push(id);
            ix.note_exact.push(exact_key(&n.rel));
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
            ix.att_paths.entry(key.clone()).or_default().push(id);
            ix.att_exact.push(a.rel.clone());
            ix.att_names.entry(name).or_default().push(id);
            ix.att_rels.push(key);
        }
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
        let names = Names {
            paths: &self.note_paths,
            names: &self.note_names,
            rels: &self.note_rels,
            exact: &self.note_exact,
            written: |p| Cow::Owned(exact_key(p)),
        };
        if let Some(l) = names.by_path_or_name(&key, path, from_folder) {
            return l;
        }
        if let Some(ids) = self.aliases.get(&key)
            && let Some(l) = names.choose(ids.clone(), "", from_folder)
        {
            return l;
        }
        Lookup::Missing
    }

    /// Finds an attachment by path or file name (extension included), like [`Index::note`].
    pub fn attachment(&self, path: &str, from_folder: &str) -> Lookup<AttId> {
        let key = file_key(path);
        Names {
            paths: &self.att_paths,
            names: &self.att_names,
            rels: &self.att_rels,
            exact: &self.att_exact,
            written: |p| Cow::Borrowed(p.trim().strip_prefix("./").unwrap_or(p.trim())),
        }
        .by_path_or_name(&key, path, from_folder)
        .unwrap_or(Lookup::Missing)
    }

    /// The file names of the attachments (`pic.png`), for suggestions.
    pub(crate) fn attachment_names(&self) -> impl Iterator<Item = &str> {
        self.att_exact
            .iter()
            .map(|p| p.rsplit('/').next().unwrap_or(p))
    }

    /// An attachment's path in the vault, as on disk.
    pub fn attachment_path(&self, att: AttId) -> &str {
        &self.att_exact[att]
    }

    /// Finds a heading of `note` by a chain `#H1#H2…`: each heading is looked for under the one
    /// before; within a level, the first match wins. Strict keys first, then loose ones.
    pub fn heading(&self, note: NoteId, chain: &[String]) -> Option<usize> {
        let hs = &self.headings[note];
        let keys = self.heading_keys.get(note).and_then(Option::as_ref);
        let mut from = 0;
        let mut until = hs.len();
        let mut found = None;
        for (n, part) in chain.iter().enumerate() {
            let strict = heading_key(part);
            let pos = match keys {
                Some(k) => {
                    HeadingKeys::first_in(k.strict.get(&strict), from, until).or_else(|| {
                        HeadingKeys::first_in(k.loose.get(&heading_loose_key(part)), from, until)
                    })
                }
                None => (from..until).find(|&i| hs[i].0 == strict).or_else(|| {
                    let loose = heading_loose_key(part);
                    (from..until).find(|&i| !loose.is_empty() && hs[i].1 == loose)
                }),
            }?;
            found = Some(pos);
            if n + 1 == chain.len() {
                break;
            }
            // The next part is looked for in this heading's section.
            from = pos + 1;
            until = match keys {
                Some(k) => k.section_end[pos].min(until),
                None => (from..until)
                    .find(|&i| hs[i].2 <= hs[pos].2)
                    .unwrap_or(until),
            };
        }
        found
    }
}

/// The lookups notes and attachments share, over one kind of file.
struct Names<'a> {
    paths: &'a HashMap<String, Vec<usize>>,
    names: &'a HashMap<String, Vec<usize>>,
    rels: &'a [String],
    exact: &'a [String],
    /// A link's path as [`Names::exact`] holds paths: made only when a name is ambiguous, which
    /// few are.
    written: fn(&str) -> Cow<'_, str>,
}

impl Names<'_> {
    /// The exact path, then the file name (unique, or narrowed by the folders written before
    /// it, as a path suffix). `path` is the path as the link writes it, case kept.
    fn by_path_or_name(&self, key: &str, path: &str, from_folder: &str) -> Option<Lookup<usize>> {
        if let Some(ids) = self.paths.get(key) {
            return match ids.as_slice() {
                [only] => Some(Lookup::Found(*only)),
                _ => self.choose(ids.clone(), path, from_folder),
            };
        }
        let (name, dir) = match key.rfind('/') {
            Some(i) => (&key[i + 1..], Some(&key[..i])),
            None => (key, None),
        };
        let ids = self.names.get(name)?;
        if let ([only], None) = (ids.as_slice(), dir) {
            return Some(Lookup::Found(*only));
        }
        let ids: Vec<usize> = match dir {
            None => ids.clone(),
            Some(_) => {
                let suffix = format!("/{key}");
                ids.iter()
                    .copied()
                    .filter(|&i| self.rels[i].ends_with(&suffix))
                    .collect()
            }
        };
        self.choose(ids, path, from_folder)
    }

    /// One of several matches: the only one in `from_folder`, else (still ambiguous) the one
    /// whose letter case the link's `path` matches (`""`: none), else the shortest path, then
    /// the first by path.
    fn choose(&self, ids: Vec<usize>, path: &str, from_folder: &str) -> Option<Lookup<usize>> {
        match ids.len() {
            0 => None,
            1 => Some(Lookup::Found(ids[0])),
            _ => {
                let exact = (self.written)(path);
                let exact = exact.as_ref();
                let folder = name_key(from_folder);
                let parent = |r: &str| r.rfind('/').map_or(String::new(), |i| r[..i].to_string());
                let same: Vec<usize> = ids
                    .iter()
                    .copied()
                    .filter(|&i| parent(&self.rels[i]) == folder)
                    .collect();
                if same.len() == 1 {
                    return Some(Lookup::Found(same[0]));
                }
                let written = |i: usize| {
                    let e = &self.exact[i];
                    !exact.is_empty()
                        && (e == exact || e.rsplit('/').next() == exact.rsplit('/').next())
                };
                let by_case: Vec<usize> = ids.iter().copied().filter(|&i| written(i)).collect();
                let chosen = match by_case.as_slice() {
                    [one] => *one,
                    // Deterministic: the shortest path, then the first by path.
                    _ => *ids
                        .iter()
                        .min_by_key(|&&i| (self.rels[i].matches('/').count(), self.rels[i].clone()))
                        .unwrap_or(&ids[0]),
                };
                Some(Lookup::Ambiguous(chosen, ids))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Headings by (text, level), keyed as [`Index::build`] keys them.
    fn keyed(headings: &[(&str, u8)]) -> Vec<(String, String, u8)> {
        headings
            .iter()
            .map(|&(t, l)| (heading_key(t), heading_loose_key(t), l))
            .collect()
    }

    #[test]
    fn a_note_with_many_headings_finds_what_a_search_of_them_finds() {
        // Repeated names at several levels, sections nested and closed, loose-only matches.
        let names = [
            "Intro",
            "Setup",
            "Use **it**",
            "A",
            "b",
            "Notes",
            "",
            "Setup?",
        ];
        let mut headings = vec![("Top", 1u8)];
        for i in 0..60 {
            headings.push((names[i % names.len()], [2, 3, 3, 4, 2, 6][i % 6]));
        }
        headings.push(("Second", 1));
        headings.push(("Setup", 2));
        let hs = keyed(&headings);
        assert!(hs.len() > MANY_HEADINGS);
        let ix = Index {
            headings: vec![hs.clone(), hs.clone()],
            heading_keys: vec![None, Some(HeadingKeys::new(&hs))],
            ..Index::default()
        };
        let parts = [
            "Top", "Second", "Intro", "Setup", "setup", "Use it", "A", "b", "Notes", "Setup?",
            "Missing", "",
        ];
        let mut chains: Vec<Vec<String>> = Vec::new();
        for a in parts {
            chains.push(vec![a.into()]);
            for b in parts {
                chains.push(vec![a.into(), b.into()]);
                for c in ["Setup", "b", "Notes"] {
                    chains.push(vec![a.into(), b.into(), c.into()]);
                }
            }
        }
        let mut found = [0; 3];
        for chain in &chains {
            let searched = ix.heading(0, chain);
            assert_eq!(ix.heading(1, chain), searched, "{chain:?}");
            found[chain.len() - 1] += usize::from(searched.is_some());
        }
        // The chains exercise both outcomes, nested ones included.
        assert!(
            found.iter().all(|&f| f >= 3),
            "{found:?} of {}",
            chains.len()
        );
    }
}
