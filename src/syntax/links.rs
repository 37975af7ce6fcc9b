//! Links and embeds: wikilinks and markdown links into the vault, with the label as written.

use std::ops::Range;

use pulldown_cmark::LinkType;

use super::scan::Problem;
use super::target::{Fragment, Target};
use crate::codes::Code;

/// The syntax a link was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// `[[target|label]]`
    Wiki,
    /// `![[target|label]]`
    WikiEmbed,
    /// `[label](target)`
    Markdown,
    /// `![label](target)`
    MarkdownImage,
}

impl LinkKind {
    /// Whether the link shows its target in place rather than pointing at it.
    pub fn is_embed(self) -> bool {
        matches!(self, LinkKind::WikiEmbed | LinkKind::MarkdownImage)
    }
}

/// A link or embed to something that may be in the vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// How it was written.
    pub kind: LinkKind,
    /// The whole link in the source, `[[`…`]]` or `[`…`)` included.
    pub span: Range<usize>,
    /// What it points at.
    pub target: Target,
    /// The alias of a wikilink or the text of a markdown link, as written (markdown kept).
    pub label: Option<String>,
    /// Whether it sits inside a heading (its label then becomes part of the heading's id).
    pub in_heading: bool,
}

/// A link being read: its label's extent is known at its end.
pub(super) struct PendingLink {
    kind: LinkKind,
    span: Range<usize>,
    target: Target,
    /// The inline content seen inside it.
    label: Option<Range<usize>>,
    /// A wikilink with a `|`.
    wiki_pothole: bool,
}

impl PendingLink {
    /// The link that starts at `span` (`text` is the note's text), if it may lead into the vault.
    pub(super) fn open(
        text: &str,
        span: Range<usize>,
        link_type: LinkType,
        dest_url: &str,
    ) -> Option<PendingLink> {
        let image = text[span.clone()].starts_with('!');
        let (kind, target, wiki_pothole) = match link_type {
            LinkType::WikiLink { has_pothole } => (
                if image {
                    LinkKind::WikiEmbed
                } else {
                    LinkKind::Wiki
                },
                Target::wikilink(dest_url),
                has_pothole,
            ),
            LinkType::Inline if is_local(dest_url) => (
                if image {
                    LinkKind::MarkdownImage
                } else {
                    LinkKind::Markdown
                },
                Target::markdown(dest_url),
                false,
            ),
            _ => return None,
        };
        Some(PendingLink {
            kind,
            span,
            target,
            label: None,
            wiki_pothole,
        })
    }

    /// Inline content at `range` is part of the label.
    pub(super) fn label(&mut self, range: &Range<usize>) {
        let lr = self.label.get_or_insert(range.clone());
        lr.end = lr.end.max(range.end);
    }

    /// The link, or the problem that makes it none (`[[#]]`).
    pub(super) fn finish(self, text: &str, in_heading: bool) -> Result<Link, Problem> {
        let l = self;
        let label = match l.kind {
            LinkKind::Wiki | LinkKind::WikiEmbed => {
                if l.wiki_pothole {
                    // The alias is everything after the first unescaped `|` inside the brackets.
                    let inner = &text[l.span.clone()];
                    let open = inner.find("[[").map_or(0, |i| i + 2);
                    let close = inner.rfind("]]").unwrap_or(inner.len());
                    let inner = &inner[open..close.max(open)];
                    inner.find('|').map(|i| inner[i + 1..].to_string())
                } else {
                    None
                }
            }
            LinkKind::Markdown | LinkKind::MarkdownImage => {
                // The label is the source between the opening bracket and `](`.
                let s = &text[l.span.clone()];
                let open = if s.starts_with('!') { 2 } else { 1 };
                let end = l.label.map_or(open, |r| r.end - l.span.start);
                let end = text[l.span.start + end..l.span.end]
                    .find("](")
                    .map_or(end, |i| end + i);
                Some(s.get(open..end).unwrap_or("").to_string())
            }
        };
        // `[[#]]`, `[[ # ]]`: no note, no heading, no alias. It would become a link without text.
        if matches!(l.kind, LinkKind::Wiki | LinkKind::WikiEmbed)
            && l.target.path.is_empty()
            && l.target.fragment == Fragment::None
            && label.as_deref().is_none_or(|s| s.trim().is_empty())
        {
            return Err(Problem {
                range: l.span,
                code: Code::EmptyLink,
                message: "empty wikilink: it links to nothing".into(),
            });
        }
        Ok(Link {
            kind: l.kind,
            span: l.span,
            target: l.target,
            label,
            in_heading,
        })
    }
}

/// Whether a markdown link destination may point into the vault (no scheme, not a bare fragment
/// of another site).
fn is_local(dest: &str) -> bool {
    if dest.is_empty() || dest.starts_with("//") {
        return false;
    }
    // A scheme (`https:`, `mailto:`, `obsidian:`) makes it external; a Windows drive letter is
    // not a scheme but is outside the vault anyway and is refused at resolution.
    let scheme_end = dest.find(':');
    let slash = dest.find(['/', '#', '?']);
    match (scheme_end, slash) {
        (Some(c), Some(s)) if c < s => false,
        (Some(c), None) => !dest[..c]
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "+-.".contains(ch)),
        _ => true,
    }
}
