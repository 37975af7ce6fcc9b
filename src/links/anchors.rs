//! Heading ids exactly as mdBook 0.5's HTML renderer makes them.
//!
//! mdBook numbers ids per rendered page, over `h1`–`h6` and `dt` elements, from the text the
//! element renders to (smart punctuation applied, markup gone). So ids are computed on the page as
//! emitted: headings brought in by an embed or added by a template take part in the numbering.
//! Integration tests compare these ids with the rendered HTML.

use std::collections::HashSet;

use pulldown_cmark::{Event, Tag, TagEnd};

use crate::syntax::MdbookMarkdown;
use crate::syntax::pieces::PIECE;

/// mdBook's `id_from_content`: lowercase; letters, digits, `_` and `-` kept; each whitespace
/// character becomes `-`; everything else is dropped.
pub(crate) fn id_from_content(content: &str) -> String {
    content
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c)
            } else if c.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

/// mdBook's `unique_id`: the id, or the id with the first free `-1`, `-2`… suffix (the
/// reference the linear version below is tested against).
#[cfg(test)]
fn unique_id(id: &str, used: &mut HashSet<String>) -> String {
    if used.insert(id.to_string()) {
        return id.to_string();
    }
    let mut n: u32 = 1;
    loop {
        let candidate = format!("{id}-{n}");
        if used.insert(candidate.clone()) {
            return candidate;
        }
        n += 1;
    }
}

/// The ids of a sequence of id elements given as (explicit id, rendered text), numbered as
/// mdBook numbers them on one page.
pub(crate) fn ids_of<'a>(
    elems: impl IntoIterator<Item = (Option<&'a str>, &'a str)>,
) -> Vec<String> {
    let mut ids = UniqueIds::default();
    elems
        .into_iter()
        .map(|(explicit, text)| match explicit {
            Some(id) => id.to_string(),
            None => ids.unique(&id_from_content(text)),
        })
        .collect()
}

/// [`unique_id`] for a whole page in linear time: each base id remembers the suffix it reached,
/// so 5,000 headings called `Step` do not retry `step-1`… every time. The ids are the same,
/// since every suffix below the remembered one is known to be taken (the set only grows).
#[derive(Default)]
pub(crate) struct UniqueIds {
    used: HashSet<String>,
    next: std::collections::HashMap<String, u32>,
}

impl UniqueIds {
    /// The id mdBook gives the next element whose text makes `id`.
    pub(crate) fn unique(&mut self, id: &str) -> String {
        if self.used.insert(id.to_string()) {
            return id.to_string();
        }
        let n = self.next.entry(id.to_string()).or_insert(1);
        loop {
            let candidate = format!("{id}-{n}");
            *n += 1;
            if self.used.insert(candidate.clone()) {
                return candidate;
            }
        }
    }
}

/// The ids mdBook will give the headings (and definition terms) of a page, with the byte offset
/// where each heading starts in `markdown`.
pub fn page_ids(markdown: &str, md: MdbookMarkdown) -> Vec<(usize, String)> {
    let elems = elements(markdown, md);
    let ids = ids_of(elems.iter().map(|(_, e, t)| (e.as_deref(), t.as_str())));
    elems.into_iter().map(|(o, _, _)| o).zip(ids).collect()
}

/// The headings and definition terms of `markdown`: (start offset, explicit id, rendered text).
pub(crate) fn elements(markdown: &str, md: MdbookMarkdown) -> Vec<(usize, Option<String>, String)> {
    let mut out = Vec::new();
    // (start offset, explicit id, text so far, depth inside an image)
    let mut current: Option<(usize, Option<String>, String, usize)> = None;
    crate::syntax::pieces::events(markdown, 0, md.options(), PIECE, |event, range| {
        match event {
            Event::Start(Tag::Heading { id, .. }) => {
                current = Some((range.start, id.map(|i| i.to_string()), String::new(), 0));
            }
            Event::Start(Tag::DefinitionListTitle) => {
                current = Some((range.start, None, String::new(), 0));
            }
            Event::End(TagEnd::Heading(_) | TagEnd::DefinitionListTitle) => {
                if let Some((start, explicit, text, _)) = current.take() {
                    out.push((start, explicit, text));
                }
            }
            Event::Start(Tag::Image { .. }) => {
                if let Some(c) = &mut current {
                    c.3 += 1;
                }
            }
            Event::End(TagEnd::Image) => {
                if let Some(c) = &mut current {
                    c.3 = c.3.saturating_sub(1);
                }
            }
            Event::Text(t) | Event::Code(t) => {
                // An image's alt text becomes an attribute, not text.
                if let Some(c) = &mut current
                    && c.3 == 0
                {
                    c.2.push_str(&t);
                }
            }
            Event::SoftBreak => {
                if let Some(c) = &mut current {
                    c.2.push('\n');
                }
            }
            _ => {}
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(s: &str) -> Vec<String> {
        page_ids(s, MdbookMarkdown::default())
            .into_iter()
            .map(|(_, id)| id)
            .collect()
    }

    #[test]
    fn like_mdbook() {
        assert_eq!(
            id_from_content("`--passes`: add more rustdoc passes"),
            "--passes-add-more-rustdoc-passes"
        );
        assert_eq!(ids("## What is a **Process**?\n"), ["what-is-a-process"]);
        assert_eq!(ids("# A\n# A\n# A-1\n"), ["a", "a-1", "a-1-1"]);
        assert_eq!(ids("# A-1\n# A\n# A\n# A\n"), ["a-1", "a", "a-2", "a-3"]);
        assert_eq!(ids("# Über\n# Über\n"), ["über", "über-1"]);
        assert_eq!(ids("# x {#custom}\n# custom\n"), ["custom", "custom"]);
        assert_eq!(ids("Term\n: definition\n"), ["term"]);
        // Smart punctuation turns `--` into an en dash, which is dropped.
        assert_eq!(ids("# a -- b\n"), ["a--b"]);
        assert_eq!(
            ids("# `Arc<Mutex<T>>` in practice\n"),
            ["arcmutext-in-practice"]
        );
    }
}

#[cfg(test)]
mod unique_tests {
    use super::*;

    #[test]
    fn the_counter_gives_mdbooks_ids() {
        let texts = ["x", "x", "x-2", "x", "x-1", "x", "y", "x-3", "x"];
        let mut used = HashSet::new();
        let slow: Vec<String> = texts.iter().map(|t| unique_id(t, &mut used)).collect();
        let fast = ids_of(texts.iter().map(|t| (None, *t)));
        assert_eq!(slow, fast);
    }
}
