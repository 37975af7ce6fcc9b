//! Obsidian callouts: blockquotes whose first line is `[!type]±? Title`.

use std::ops::Range;

/// An Obsidian callout: a blockquote whose first line is `[!type]±? Title`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callout {
    /// The whole blockquote.
    pub range: Range<usize>,
    /// The first line, `> [!type] Title` (newline included).
    pub header: Range<usize>,
    /// The type, lowercased (`tip`, `warning`, a custom one…).
    pub kind: String,
    /// `+` (foldable, open) or `-` (foldable, closed).
    pub fold: Option<char>,
    /// The title as written, if any.
    pub title: Option<String>,
}

/// The callout that the blockquote at `range` of `text` is, if it is one.
pub(super) fn callout(text: &str, range: Range<usize>) -> Option<Callout> {
    let line_end = text[range.start..]
        .find('\n')
        .map_or(text.len(), |i| range.start + i + 1);
    let line = &text[range.start..line_end];
    let rest = line.trim_start().strip_prefix('>')?;
    let rest = rest.trim_start();
    let rest = rest.strip_prefix("[!")?;
    let close = rest.find(']')?;
    let kind = rest[..close].trim().to_lowercase();
    if kind.is_empty() || kind.contains(char::is_whitespace) {
        return None;
    }
    let mut after = &rest[close + 1..];
    let fold = match after.chars().next() {
        Some(c @ ('+' | '-')) => {
            after = &after[1..];
            Some(c)
        }
        _ => None,
    };
    let title = after.trim();
    Some(Callout {
        header: range.start..line_end,
        range,
        kind,
        fold,
        title: (!title.is_empty()).then(|| title.to_string()),
    })
}
