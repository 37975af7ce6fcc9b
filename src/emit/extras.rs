//! Pages and page parts vaultbook adds to the vault's own text: the tag index and backlinks.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context, Result};
use rayon::prelude::*;
use serde::Serialize;

use super::plan::{Plan, escape_title, natural_cmp};
use super::slug::relative;
use crate::links::anchors::page_ids;
use crate::links::{NoteId, Resolved};
use crate::syntax::MdbookMarkdown;
use crate::vault::Note;

/// Every tag of the published notes (inline and frontmatter), keyed by its lowercased name:
/// the name as first written, and the notes carrying it in reading order.
pub(crate) type Tags = BTreeMap<String, (String, Vec<NoteId>)>;

/// Collects the tags of the notes in `plan.order`.
pub(crate) fn collect_tags(notes: &[Note], plan: &Plan) -> Tags {
    let mut tags = Tags::new();
    for &id in &plan.order {
        let n = &notes[id];
        let names = n
            .syntax
            .tags
            .iter()
            .map(|t| t.name.as_str())
            .chain(n.frontmatter.tags.iter().map(String::as_str));
        for name in names {
            let entry = tags
                .entry(name.to_lowercase())
                .or_insert_with(|| (name.to_string(), Vec::new()));
            // A note's names come together, so a repeat of its tag is the last one pushed (a
            // search of the whole list made this quadratic in a tag's notes).
            if entry.1.last() != Some(&id) {
                entry.1.push(id);
            }
        }
    }
    tags
}

/// One section of the tag index, as the template sees it.
#[derive(Serialize)]
struct TagEntry {
    /// The full name (`project/active`), escaped for markdown.
    name: String,
    /// How deep in the tree: 0 for `project`, 1 for `project/active`.
    depth: usize,
    /// The markdown heading marks for that depth (`##` for a top-level tag, at most `######`).
    level: String,
    notes: Vec<NoteEntry>,
}

#[derive(Serialize)]
struct NoteEntry {
    title: String,
    path: String,
}

/// The sections of the tag index in page order, as Obsidian's tag pane nests them: each tag
/// followed by its children (`project`, `project/active`, `project/done`, `project-x`), with a
/// section for a parent that no note carries itself. Each is its key and display name, with the
/// notes tagged with exactly it.
fn tag_tree(tags: &Tags) -> Vec<(String, String, &[NoteId])> {
    let mut all: BTreeMap<String, (String, &[NoteId])> = BTreeMap::new();
    for (key, (name, ids)) in tags {
        // Ancestors from the name as written, so that their display keeps its case.
        let mut prefix = String::new();
        for part in name.split('/') {
            prefix.push_str(part);
            all.entry(prefix.to_lowercase())
                .or_insert_with(|| (prefix.clone(), &[]));
            prefix.push('/');
        }
        all.insert(key.clone(), (name.clone(), ids.as_slice()));
    }
    let mut out: Vec<(String, String, &[NoteId])> =
        all.into_iter().map(|(k, (n, ids))| (k, n, ids)).collect();
    // Segment by segment, so that a parent comes right before its children.
    out.sort_by(|a, b| {
        let (x, y) = (a.0.split('/'), b.0.split('/'));
        x.zip(y)
            .map(|(p, q)| natural_cmp(p, q))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| a.0.split('/').count().cmp(&b.0.split('/').count()))
    });
    out
}

/// The tag index page, and the id mdBook gives each tag's heading on it.
pub(crate) fn tag_page(
    tags: &Tags,
    notes: &[Note],
    plan: &Plan,
    tera: &tera::Tera,
    md: MdbookMarkdown,
) -> Result<(String, HashMap<String, String>)> {
    let tree = tag_tree(tags);
    let entries: Vec<TagEntry> = tree
        .iter()
        .map(|(key, name, ids)| {
            let depth = key.matches('/').count();
            TagEntry {
                name: escape_title(name),
                depth,
                level: "#".repeat((depth + 2).min(6)),
                notes: ids
                    .iter()
                    .filter_map(|&id| {
                        let path = plan.chapter[id].as_deref()?;
                        Some(NoteEntry {
                            title: escape_title(&notes[id].title),
                            path: relative(&plan.tags_page, path),
                        })
                    })
                    .collect(),
            }
        })
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("title", plan.tags_title);
    ctx.insert("tags", &entries);
    let text = tera
        .render("tags.md", &ctx)
        .context("rendering the tags.md template")?;
    // The template gives each tag one heading, in order, after the page title.
    let ids = page_ids(&text, md);
    let skip = ids.len().saturating_sub(tree.len());
    let map = tree
        .into_iter()
        .zip(ids.into_iter().skip(skip))
        .map(|((k, _, _), (_, id))| (k, id))
        .collect();
    Ok((text, map))
}

/// What the built-in `templates/backlinks.html` renders, without a template engine per page
/// (10,000 renders add up); a test keeps the two identical.
fn builtin_backlinks<'a>(links: impl IntoIterator<Item = (String, &'a str)>) -> String {
    use crate::templates::push_escaped;
    let mut out = String::from(
        "\n<nav class=\"vb-backlinks\">\n<p class=\"vb-backlinks-title\">Linked from</p>\n<ul>",
    );
    // Written straight into the footer: a much-linked note lists thousands of pages, and a
    // 10,000-note book 300,000 links.
    for (href, title) in links {
        out.push_str("\n<li><a href=\"");
        push_escaped(&mut out, &href);
        out.push_str("\">");
        push_escaped(&mut out, title);
        out.push_str("</a></li>");
    }
    out.push_str("\n</ul>\n</nav>\n");
    out
}

#[derive(Serialize)]
struct Backlink {
    title: String,
    href: String,
}

/// The backlinks footers of the last run, for an incremental driver: a footer is made again
/// only when the notes that link to it changed, or any note's chapter path or title did (a
/// footer shows both, and ids shift when notes come and go).
#[derive(Default)]
pub(crate) struct KeptFooters {
    seed: std::hash::RandomState,
    /// The chapter paths and titles of all notes, hashed, when the footers were made.
    shown: Option<u64>,
    /// Per note: who linked to it, and its footer.
    footers: Vec<(Vec<NoteId>, String)>,
}

/// Per note: the backlinks footer (empty when nothing links to it). With `kept`, footers whose
/// inputs are the last run's are reused, and this run's are kept.
pub(crate) fn backlinks(
    notes: &[Note],
    resolved: &[Vec<Resolved>],
    plan: &Plan,
    tera: &tera::Tera,
    kept: Option<&mut KeptFooters>,
) -> Result<Vec<String>> {
    use std::hash::{BuildHasher, Hash, Hasher};
    let mut from: Vec<Vec<NoteId>> = vec![Vec::new(); notes.len()];
    for &src in &plan.order {
        for r in &resolved[src] {
            if let Resolved::Note { note, .. } = r
                && *note != src
                // The links of one source come together: a repeat is the last one pushed (a
                // search of the whole list is quadratic in a much-linked note's backlinks).
                && from[*note].last() != Some(&src)
            {
                from[*note].push(src);
            }
        }
    }
    let builtin = crate::templates::is_builtin(tera, "backlinks.html");
    // A template of the user's is not known to be the same one: rendered every time.
    let kept = kept.filter(|_| builtin);
    let shown = kept.as_ref().map(|k| {
        let mut h = k.seed.build_hasher();
        for (n, chapter) in notes.iter().zip(&plan.chapter) {
            (&n.title, chapter).hash(&mut h);
        }
        h.finish()
    });
    let last: &[(Vec<NoteId>, String)] = match &kept {
        Some(k) if k.shown == shown && k.footers.len() == notes.len() => &k.footers,
        _ => &[],
    };
    // Per note, once: the key its backlinks sort by (a much-linked note is listed on
    // thousands of pages).
    let order: Vec<String> = notes.par_iter().map(|n| n.title.to_lowercase()).collect();
    let footers: Vec<String> = from
        .par_iter()
        .enumerate()
        .map(|(id, sources)| {
            if let Some((was, footer)) = last.get(id)
                && was == sources
            {
                return Ok(footer.clone());
            }
            footer(id, sources, notes, &order, plan, tera, builtin)
        })
        .collect::<Result<_>>()?;
    if let Some(k) = kept {
        k.shown = shown;
        k.footers = from.into_iter().zip(footers.iter().cloned()).collect();
    }
    Ok(footers)
}

/// The backlinks footer of note `id`, linked from `sources`; `order`: per note, the key its
/// backlinks sort by.
fn footer(
    id: NoteId,
    sources: &[NoteId],
    notes: &[Note],
    order: &[String],
    plan: &Plan,
    tera: &tera::Tera,
    builtin: bool,
) -> Result<String> {
    let Some(here) = plan.chapter[id].as_deref() else {
        return Ok(String::new());
    };
    if sources.is_empty() {
        return Ok(String::new());
    }
    let mut sources = sources.to_vec();
    sources.sort_by(|&a, &b| order[a].cmp(&order[b]));
    let links = sources.iter().filter_map(|&s| {
        let there = plan.chapter[s].as_deref()?;
        // Raw HTML: mdBook does not turn `.md` into `.html` here.
        let mut href = relative(here, there);
        if href.ends_with(".md") {
            href.truncate(href.len() - 3);
            href.push_str(".html");
        }
        Some((href, notes[s].title.as_str()))
    });
    if builtin {
        return Ok(builtin_backlinks(links));
    }
    let links: Vec<Backlink> = links
        .map(|(href, title)| Backlink {
            title: title.to_string(),
            href,
        })
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("links", &links);
    tera.render("backlinks.html", &ctx)
        .context("rendering the backlinks.html template")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_backlinks_match_their_template() {
        let tera = crate::templates::load(std::path::Path::new("/nonexistent")).unwrap();
        for links in [
            vec![],
            vec![
                Backlink {
                    title: "A <b>\"x\"</b> & 'y'".into(),
                    href: "../a b.html".into(),
                },
                Backlink {
                    title: "Two".into(),
                    href: "two.html".into(),
                },
            ],
        ] {
            let mut ctx = tera::Context::new();
            ctx.insert("links", &links);
            assert_eq!(
                tera.render("backlinks.html", &ctx).unwrap(),
                builtin_backlinks(links.iter().map(|l| (l.href.clone(), l.title.as_str())))
            );
        }
    }
}
