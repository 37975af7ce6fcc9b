//! The shape of the book: which notes are chapters, where each goes, in what order, and the
//! SUMMARY.md that says so.

use std::collections::{BTreeMap, HashSet};

use anyhow::{Context, Result};
use serde::Serialize;

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
}

/// The tag index page, in the emitted `src/`.
pub(crate) const TAGS_PAGE: &str = "tags.md";

/// Paths the emitter writes itself; notes and attachments must not take them.
pub(crate) const RESERVED: &[&str] = &["SUMMARY.md", TAGS_PAGE, "vaultbook.css", "vaultbook.js"];

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
    walk(&root, 0, notes, &chapter, &mut items, &mut order);
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
            title: "Tags".into(),
            path: TAGS_PAGE.into(),
        })
        .into_iter()
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
    })
}

fn walk(
    folder: &Folder,
    depth: usize,
    notes: &[Note],
    chapter: &[Option<String>],
    items: &mut Vec<Item>,
    order: &mut Vec<NoteId>,
) {
    // Notes and sub-folders mix, ordered by the ordering key (a folder takes its folder note's),
    // then by name.
    enum Entry<'a> {
        Note(NoteId),
        Folder(&'a Folder),
    }
    let mut entries: Vec<(f64, String, Entry)> = Vec::new();
    for &id in &folder.notes {
        let n = &notes[id];
        entries.push((
            n.frontmatter.order.unwrap_or(f64::INFINITY),
            natural_key(n.stem()),
            Entry::Note(id),
        ));
    }
    for f in folder.folders.values() {
        let key = f
            .page
            .and_then(|p| notes[p].frontmatter.order)
            .unwrap_or(f64::INFINITY);
        entries.push((key, natural_key(&f.name), Entry::Folder(f)));
    }
    entries.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    let indent = "  ".repeat(depth);
    for (_, _, e) in entries {
        match e {
            Entry::Note(id) => {
                items.push(Item {
                    indent: indent.clone(),
                    title: escape_title(&notes[id].title),
                    path: chapter[id].clone().unwrap_or_default(),
                });
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
                        order.push(p);
                    }
                    // A folder without a page is a draft chapter: a title in the sidebar.
                    None => items.push(Item {
                        indent: indent.clone(),
                        title: escape_title(&f.name),
                        path: String::new(),
                    }),
                }
                walk(f, depth + 1, notes, chapter, items, order);
            }
        }
    }
}

/// Orders names the way people expect: case-insensitive, numbers by value (`2` before `10`).
fn natural_key(s: &str) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            if !digits.is_empty() {
                out.push_str(&format!("{:0>12}", digits));
                digits.clear();
            }
            out.push(c);
        }
    }
    if !digits.is_empty() {
        out.push_str(&format!("{:0>12}", digits));
    }
    out
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
            let ka = (
                a.frontmatter.order.unwrap_or(f64::INFINITY),
                natural_key(a.stem()),
            );
            let kb = (
                b.frontmatter.order.unwrap_or(f64::INFINITY),
                natural_key(b.stem()),
            );
            ka.0.total_cmp(&kb.0).then_with(|| ka.1.cmp(&kb.1))
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
