//! The shape of the book: which notes are chapters, where each goes, in what order, and the
//! SUMMARY.md that says so.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};

use anyhow::{Context, Result};
use serde::Serialize;

use super::parts::{self, Part};
use super::slug::{dedup, output_path};
use crate::config::Config;
use crate::links::NoteId;
use crate::links::keys::name_key;
use crate::vault::{Note, VaultFile};

/// Output paths and reading order.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// Per note: its chapter path in the emitted `src/` (None for unpublished notes).
    pub chapter: Vec<Option<String>>,
    /// Per attachment: its path in the emitted `src/`.
    pub attachment: Vec<String>,
    /// A generated opening page (`index.md`), when the vault's root has no note to open with:
    /// mdBook copies the first chapter to the root `index.html`, where a chapter from a folder
    /// would have broken relative links.
    pub generated_index: Option<String>,
    /// Published notes in reading order.
    pub order: Vec<NoteId>,
    /// SUMMARY.md.
    pub summary: String,
    /// The tag index page in the emitted `src/`: [`TAGS_PAGE`] unless a note took that path.
    pub tags_page: String,
    /// The tag index's title: "Tags", or "Tag index" beside a note titled Tags.
    pub tags_title: &'static str,
    /// The chapters are an mdBook's own, placed by its SUMMARY (`vaultbook preprocessor`, see
    /// [`given`]): a page gets no title heading of ours, and mdBook's `{{#include}}` has run.
    pub from_mdbook: bool,
    /// The whole-vault graph page in the emitted `src/`: [`GRAPH_PAGE`] unless a note took it.
    pub graph_page: String,
    /// The graph page's title: "Graph", or "Graph view" beside a note titled Graph.
    pub graph_title: &'static str,
    /// The folder of the graphs' data scripts in `src/` (mdBook copies it to the book's root):
    /// [`GRAPH_DIR`] unless the vault has a folder or file of that name.
    pub graph_dir: String,
    /// The notes cut into several chapters ([`parts`]), each with its parts in order (the
    /// first at its chapter path).
    pub parts: HashMap<NoteId, Vec<Part>>,
}

impl Plan {
    /// The chapters of `note` when it was cut into several; empty when it is one page.
    pub(crate) fn parts(&self, note: NoteId) -> &[Part] {
        self.parts.get(&note).map_or(&[], Vec::as_slice)
    }

    /// The chapter path of the page of `note` that holds its byte `at`.
    pub(crate) fn page_at(&self, note: NoteId, at: usize) -> &str {
        match self.parts.get(&note) {
            Some(parts) => {
                let k = parts.partition_point(|p| p.start <= at).saturating_sub(1);
                &parts[k].path
            }
            None => self.chapter[note].as_deref().unwrap_or(""),
        }
    }
}

/// Where the tag index goes when no note is there already.
pub(crate) const TAGS_PAGE: &str = "tags.md";

/// Where the whole-vault graph page goes when no note is there already.
pub(crate) const GRAPH_PAGE: &str = "graph.md";

/// Where the graphs' data scripts go when the vault has nothing there.
pub(crate) const GRAPH_DIR: &str = "vaultbook-graph";

/// Paths the emitter writes itself; notes and attachments must not take them. The tag index is
/// not one: a note named Tags keeps its URL and the index moves (see [`free_path`]).
pub(crate) const RESERVED: &[&str] = &[
    "SUMMARY.md",
    "vaultbook.css",
    "vaultbook.js",
    "vaultbook-canvas.css",
    "vaultbook-graph.css",
    "vaultbook-graph.js",
];

#[derive(Serialize)]
struct Item {
    indent: String,
    title: String,
    path: String,
}

/// A folder of the vault, as a section of the book.
#[derive(Default)]
struct Folder {
    notes: Vec<NoteId>,
    folders: BTreeMap<String, Folder>,
    page: Option<NoteId>,
    name: String,
}

/// Plans the book.
pub(crate) fn plan(
    config: &Config,
    notes: &[Note],
    attachments: &[VaultFile],
    tera: &tera::Tera,
    tag_page: bool,
    graph_page: bool,
) -> Result<Plan> {
    let mut taken: HashSet<String> = RESERVED.iter().map(|s| s.to_string()).collect();
    let start = start_note(config, notes);
    if start.is_none() {
        taken.insert("index.md".into());
    }
    let chapter: Vec<Option<String>> = notes
        .iter()
        .map(|n| {
            n.frontmatter
                .publish
                .then(|| dedup(output_path(&n.rel, true), &mut taken))
        })
        .collect();
    let attachment = attachments
        .iter()
        .map(|a| dedup(output_path(&a.rel, false), &mut taken))
        .collect();
    // After every note's and attachment's path: a part takes none of theirs.
    let parts = cut_notes(config, notes, &chapter, &mut taken);
    let tags_page = free_path(TAGS_PAGE, &taken);
    let tags_title = tags_title(notes);
    let graph_page_path = free_path(GRAPH_PAGE, &taken);
    let graph_title = graph_title(notes);
    let graph_dir = free_path(GRAPH_DIR, &taken);
    let generated_index = start.is_none().then(|| {
        let title = config.title().unwrap_or("Contents");
        format!("# {}\n", escape_title(title))
    });

    let mut root = Folder::default();
    for (id, n) in notes.iter().enumerate() {
        if !n.frontmatter.publish || Some(id) == start {
            continue;
        }
        let mut folder = &mut root;
        let parts: Vec<&str> = n.rel.split('/').collect();
        for p in &parts[..parts.len() - 1] {
            folder = folder
                .folders
                .entry((*p).to_string())
                .or_insert_with(|| Folder {
                    name: (*p).to_string(),
                    ..Folder::default()
                });
        }
        let stem = n.stem();
        let is_folder_note = parts.len() > 1
            && (stem == folder.name
                || stem.eq_ignore_ascii_case("index")
                || stem.eq_ignore_ascii_case("readme"));
        if is_folder_note && folder.page.is_none() {
            folder.page = Some(id);
        } else {
            folder.notes.push(id);
        }
    }

    let mut items = Vec::new();
    let mut order = Vec::new();
    if let Some(s) = start {
        order.push(s);
    }
    if let Some(s) = start {
        // A prefix chapter of mdBook's has no sub-chapters: the start note's other parts open
        // the numbered chapters.
        part_items(&parts, s, "", &mut items);
    }
    walk(&root, 0, notes, &chapter, &parts, &mut items, &mut order);
    let prefix: Vec<Item> = match start {
        Some(s) => vec![Item {
            indent: String::new(),
            title: escape_title(&notes[s].title),
            path: chapter[s].clone().unwrap_or_default(),
        }],
        None => vec![Item {
            indent: String::new(),
            title: escape_title(config.title().unwrap_or("Contents")),
            path: "index.md".into(),
        }],
    };
    let mut ctx = tera::Context::new();
    ctx.insert("prefix", &prefix);
    ctx.insert("items", &items);
    let suffix: Vec<Item> = tag_page
        .then(|| Item {
            indent: String::new(),
            title: tags_title.into(),
            path: tags_page.clone(),
        })
        .into_iter()
        .chain(graph_page.then(|| Item {
            indent: String::new(),
            title: graph_title.into(),
            path: graph_page_path.clone(),
        }))
        .collect();
    ctx.insert("suffix", &suffix);
    ctx.insert("title", &config.title().unwrap_or(""));
    let summary = tera
        .render("SUMMARY.md", &ctx)
        .context("rendering the SUMMARY.md template")?;
    Ok(Plan {
        chapter,
        attachment,
        generated_index,
        order,
        summary,
        tags_page,
        tags_title,
        from_mdbook: false,
        graph_page: graph_page_path,
        graph_title,
        graph_dir,
        parts,
    })
}

/// The parts of every published note long enough to be cut ([`parts::cuts`]), their paths
/// made unique among `taken`.
fn cut_notes(
    config: &Config,
    notes: &[Note],
    chapter: &[Option<String>],
    taken: &mut HashSet<String>,
) -> HashMap<NoteId, Vec<Part>> {
    let mut out = HashMap::new();
    for (id, n) in notes.iter().enumerate() {
        let Some(path) = &chapter[id] else { continue };
        let cuts = parts::cuts(n, config.vaultbook.note_part_size);
        if cuts.is_empty() {
            continue;
        }
        let first = Part {
            start: n.body,
            path: path.clone(),
            title: n.title.clone(),
            opens_with_heading: true,
        };
        let rest = cuts.iter().enumerate().map(|(k, &(start, h))| Part {
            start,
            path: dedup(parts::path(path, k + 1), taken),
            title: parts::title(n, h, k + 1),
            opens_with_heading: h.is_some(),
        });
        out.insert(id, std::iter::once(first).chain(rest).collect());
    }
    out
}

/// The sidebar entries of the parts of `note` after its first, at `indent`.
fn part_items(
    parts: &HashMap<NoteId, Vec<Part>>,
    note: NoteId,
    indent: &str,
    items: &mut Vec<Item>,
) {
    for p in parts.get(&note).map_or(&[][..], |p| &p[1..]) {
        items.push(Item {
            indent: indent.to_string(),
            title: escape_title(&p.title),
            path: p.path.clone(),
        });
    }
}

/// The plan of an mdBook that vaultbook runs inside as a preprocessor: the book's SUMMARY
/// placed every chapter already, so each note's path is its chapter's `path` (None: not a
/// chapter), each attachment's its path in `src/`, and `order` the SUMMARY's. Nothing is
/// added: no SUMMARY, opening page or tag index of ours.
pub(crate) fn given(
    chapter: Vec<Option<String>>,
    attachment: Vec<String>,
    order: Vec<NoteId>,
) -> Plan {
    Plan {
        chapter,
        attachment,
        generated_index: None,
        order,
        summary: String::new(),
        tags_page: String::new(),
        tags_title: "Tags",
        from_mdbook: true,
        graph_page: String::new(),
        graph_title: "Graph",
        graph_dir: GRAPH_DIR.to_string(),
        parts: HashMap::new(),
    }
}

/// `want`, or `want` with `-1`, `-2`… before its extension: the first that is neither a path
/// in `taken` nor a folder of one or inside one (a folder named `tags.md` counts).
fn free_path(want: &str, taken: &HashSet<String>) -> String {
    let free = |p: &str| !taken.iter().any(|t| super::clashes(t, p));
    if free(want) {
        return want.to_string();
    }
    let (stem, ext) = want.rsplit_once('.').unwrap_or((want, ""));
    (1..)
        .map(|n| format!("{stem}-{n}.{ext}"))
        .find(|p| free(p))
        .unwrap_or_default()
}

/// The tag index's title: a note already titled Tags keeps the name in the sidebar.
fn tags_title(notes: &[Note]) -> &'static str {
    let taken = notes
        .iter()
        .any(|n| n.frontmatter.publish && n.title.trim().eq_ignore_ascii_case("tags"));
    if taken { "Tag index" } else { "Tags" }
}

/// The graph page's title, kept apart from a note titled Graph in the sidebar.
fn graph_title(notes: &[Note]) -> &'static str {
    let taken = notes
        .iter()
        .any(|n| n.frontmatter.publish && n.title.trim().eq_ignore_ascii_case("graph"));
    if taken { "Graph view" } else { "Graph" }
}

fn walk(
    folder: &Folder,
    depth: usize,
    notes: &[Note],
    chapter: &[Option<String>],
    parts: &HashMap<NoteId, Vec<Part>>,
    items: &mut Vec<Item>,
    order: &mut Vec<NoteId>,
) {
    // As Obsidian's file explorer: folders before notes, each by name; the ordering key (a
    // folder takes its folder note's) first of all.
    enum Entry<'a> {
        Note(NoteId),
        Folder(&'a Folder),
    }
    let mut entries: Vec<(Rank, Entry)> = Vec::new();
    for &id in &folder.notes {
        let n = &notes[id];
        entries.push((
            Rank::new(n.frontmatter.order, false, n.stem()),
            Entry::Note(id),
        ));
    }
    for f in folder.folders.values() {
        let key = f.page.and_then(|p| notes[p].frontmatter.order);
        entries.push((Rank::new(key, true, &f.name), Entry::Folder(f)));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let indent = "  ".repeat(depth);
    let inner = "  ".repeat(depth + 1);
    for (_, e) in entries {
        match e {
            Entry::Note(id) => {
                items.push(Item {
                    indent: indent.clone(),
                    title: escape_title(&notes[id].title),
                    path: chapter[id].clone().unwrap_or_default(),
                });
                part_items(parts, id, &inner, items);
                order.push(id);
            }
            Entry::Folder(f) => {
                match f.page {
                    Some(p) => {
                        items.push(Item {
                            indent: indent.clone(),
                            title: escape_title(&notes[p].title),
                            path: chapter[p].clone().unwrap_or_default(),
                        });
                        part_items(parts, p, &inner, items);
                        order.push(p);
                    }
                    // A folder without a page is a draft chapter: a title in the sidebar.
                    None => items.push(Item {
                        indent: indent.clone(),
                        title: escape_title(&f.name),
                        path: String::new(),
                    }),
                }
                walk(f, depth + 1, notes, chapter, parts, items, order);
            }
        }
    }
}

/// Where an entry of a folder goes in the sidebar.
struct Rank<'a> {
    order: f64,
    note: bool,
    name: &'a str,
}

impl<'a> Rank<'a> {
    /// The rank of an entry: its ordering key (none sorts last), whether it is a note (notes
    /// after folders) and its name.
    fn new(order: Option<f64>, folder: bool, name: &'a str) -> Self {
        Rank {
            order: order.unwrap_or(f64::INFINITY),
            note: !folder,
            name,
        }
    }

    /// Ordering key, then folders first, then the name as Obsidian sorts it.
    fn cmp(&self, other: &Self) -> Ordering {
        self.order
            .total_cmp(&other.order)
            .then(self.note.cmp(&other.note))
            .then_with(|| natural_cmp(self.name, other.name))
    }
}

/// Orders names the way Obsidian's file explorer does: case-insensitive, runs of digits by
/// value (`Note 2` before `Note 10`, however long the number); names equal that way fall back
/// to their bytes, so the order never depends on the input's.
pub(crate) fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a, b);
    loop {
        let (Some(cx), Some(cy)) = (x.chars().next(), y.chars().next()) else {
            return x.is_empty().cmp(&y.is_empty()).reverse().then(a.cmp(b));
        };
        let step = if cx.is_ascii_digit() && cy.is_ascii_digit() {
            let (nx, rx) = split_digits(x);
            let (ny, ry) = split_digits(y);
            (x, y) = (rx, ry);
            let (vx, vy) = (nx.trim_start_matches('0'), ny.trim_start_matches('0'));
            vx.len().cmp(&vy.len()).then_with(|| vx.cmp(vy))
        } else {
            (x, y) = (&x[cx.len_utf8()..], &y[cy.len_utf8()..]);
            cx.to_lowercase().cmp(cy.to_lowercase())
        };
        if step != Ordering::Equal {
            return step;
        }
    }
}

/// The leading run of ASCII digits of `s`, and the rest.
fn split_digits(s: &str) -> (&str, &str) {
    s.split_at(s.bytes().take_while(u8::is_ascii_digit).count())
}

/// The note the book opens with: the configured or conventional start note, else the first
/// root-level note.
pub(crate) fn start_note(config: &Config, notes: &[Note]) -> Option<NoteId> {
    find_start(config, notes).or_else(|| first_root_note(notes))
}

/// The start note: `[vaultbook] start`, else README, index or Home at the vault root.
fn find_start(config: &Config, notes: &[Note]) -> Option<NoteId> {
    let published = |i: &NoteId| notes[*i].frontmatter.publish;
    if let Some(s) = &config.vaultbook.start {
        let key = name_key(s);
        return notes
            .iter()
            .position(|n| name_key(&n.rel) == key || name_key(n.stem()) == key)
            .filter(published);
    }
    ["readme", "index", "home"].iter().find_map(|want| {
        notes
            .iter()
            .position(|n| !n.rel.contains('/') && name_key(n.stem()) == *want)
            .filter(published)
    })
}

/// The first published note at the vault's root, in reading order.
fn first_root_note(notes: &[Note]) -> Option<NoteId> {
    notes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.frontmatter.publish && !n.rel.contains('/'))
        .min_by(|(_, a), (_, b)| {
            Rank::new(a.frontmatter.order, false, a.stem()).cmp(&Rank::new(
                b.frontmatter.order,
                false,
                b.stem(),
            ))
        })
        .map(|(i, _)| i)
}

/// Escapes a title for a markdown link text in SUMMARY.md: markdown punctuation is
/// backslash-escaped, so `<script>` stays text.
pub(crate) fn escape_title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '\n' || c == '\r' {
            out.push(' ');
            continue;
        }
        if c.is_ascii_punctuation() && !matches!(c, '.' | ',' | '-' | '\'' | '?' | ':' | ';' | '/')
        {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_naturally() {
        let mut names = vec![
            "Note 10",
            "note 2",
            "Note 1",
            "b",
            "A",
            "a",
            "x99999999999999999",
            "x100",
            "x010",
            "x10",
            "Note",
            "",
        ];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            [
                "",
                "A",
                "a",
                "b",
                "Note",
                "Note 1",
                "note 2",
                "Note 10",
                "x010",
                "x10",
                "x100",
                "x99999999999999999",
            ]
        );
    }

    #[test]
    fn folders_come_before_notes_unless_ordered() {
        let folder = Rank::new(None, true, "Zeta");
        let note = Rank::new(None, false, "Alpha");
        let ordered = Rank::new(Some(5.0), false, "Zulu");
        assert_eq!(folder.cmp(&note), Ordering::Less);
        assert_eq!(ordered.cmp(&folder), Ordering::Less);
        assert_eq!(
            Rank::new(Some(1.0), true, "b").cmp(&Rank::new(Some(1.0), false, "a")),
            Ordering::Less
        );
    }

    #[test]
    fn the_tag_index_moves_out_of_a_notes_way() {
        let taken = |ps: &[&str]| ps.iter().map(|p| p.to_string()).collect::<HashSet<_>>();
        assert_eq!(free_path("tags.md", &taken(&["tags/inbox.md"])), "tags.md");
        assert_eq!(free_path("tags.md", &taken(&["tags.md"])), "tags-1.md");
        assert_eq!(
            free_path("tags.md", &taken(&["tags.md", "tags-1.md/x.md"])),
            "tags-2.md"
        );
    }
}
