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

/// An image outside the vault (`![alt|250](https://…)`) whose alt text sets its size, which
/// mdBook would show as alt text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizedImage {
    /// The whole image, `![`…`)`.
    pub span: Range<usize>,
    /// Its URL.
    pub url: String,
    /// Its title, perhaps empty.
    pub title: String,
    /// The alt text as written, the size left out.
    pub alt: String,
    /// The width and height the alt text gives.
    pub size: Size,
}

/// An image's width, and height if given, in pixels.
pub(crate) type Size = (u32, Option<u32>);

/// Obsidian's rule for an image's alt text (or a file embed's label): `alt|WIDTH`,
/// `alt|WIDTHxHEIGHT` or just `WIDTH` set the size; anything else is all alt text.
pub(crate) fn split_size(label: &str) -> (&str, Option<Size>) {
    let (alt, size) = label.rsplit_once('|').unwrap_or(("", label));
    match parse_size(size) {
        Some(size) => (alt, Some(size)),
        None => (label, None),
    }
}

/// `100` or `100x200`.
fn parse_size(s: &str) -> Option<Size> {
    let s = s.trim();
    match s.split_once('x') {
        Some((w, h)) => Some((w.trim().parse().ok()?, Some(h.trim().parse().ok()?))),
        None => Some((s.parse().ok()?, None)),
    }
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
    /// For an image outside the vault: its URL and title (the `target` is then empty).
    external: Option<(String, String)>,
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
            external: None,
        })
    }

    /// The markdown image outside the vault that starts at `span`.
    pub(super) fn external_image(span: Range<usize>, url: &str, title: &str) -> PendingLink {
        PendingLink {
            kind: LinkKind::MarkdownImage,
            span,
            target: Target::markdown(""),
            label: None,
            wiki_pothole: false,
            external: Some((url.to_string(), title.to_string())),
        }
    }

    /// Whether this is an image outside the vault (finished with [`PendingLink::finish_sized`]).
    pub(super) fn is_external(&self) -> bool {
        self.external.is_some()
    }

    /// The image outside the vault, if its alt text sets a size: otherwise mdBook shows it as
    /// written.
    pub(super) fn finish_sized(self, text: &str) -> Option<SizedImage> {
        let alt = self.markdown_label(text);
        let (url, title) = self.external?;
        let (alt, size) = split_size(&alt);
        Some(SizedImage {
            alt: alt.to_string(),
            size: size?,
            span: self.span,
            url,
            title,
        })
    }

    /// A markdown link's label: the source between the opening bracket and `](`.
    fn markdown_label(&self, text: &str) -> String {
        let s = &text[self.span.clone()];
        let open = if s.starts_with('!') { 2 } else { 1 };
        let end = self
            .label
            .as_ref()
            .map_or(open, |r| r.end - self.span.start);
        let end = text[self.span.start + end..self.span.end]
            .find("](")
            .map_or(end, |i| end + i);
        s.get(open..end).unwrap_or("").to_string()
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
            LinkKind::Markdown | LinkKind::MarkdownImage => Some(l.markdown_label(text)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_in_alt_text() {
        assert_eq!(split_size("100x200"), ("", Some((100, Some(200)))));
        assert_eq!(split_size("250"), ("", Some((250, None))));
        assert_eq!(split_size("a|b|64 x 32"), ("a|b", Some((64, Some(32)))));
        assert_eq!(split_size("alt"), ("alt", None));
        assert_eq!(split_size("alt|wide"), ("alt|wide", None));
        assert_eq!(split_size("2x"), ("2x", None));
    }
}
