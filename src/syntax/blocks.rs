//! Block ids (`^id`) and code blocks.

use std::ops::Range;

/// A block id: `^id` ending a paragraph or list item, or alone after a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockId {
    /// The id without the caret.
    pub id: String,
    /// The ` ^id` text to remove (the whole paragraph for a standalone id).
    pub marker: Range<usize>,
    /// The block the id names.
    pub block: Range<usize>,
    /// Where an inline anchor can go (start of the paragraph's or item's text), if the block
    /// has inline text; `None` for tables, code and other blocks named by a standalone id.
    pub inline_anchor: Option<usize>,
}

/// A fenced or indented code block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeBlock {
    /// The whole block, fences included.
    pub range: Range<usize>,
    /// The info string (`rust,should_panic`); empty for indented code.
    pub info: String,
    /// The content, with container indentation removed.
    pub code: String,
}

/// A container block being walked, for block ids and callouts.
pub(super) struct Open {
    /// Where the block's first inline text starts, once seen.
    pub(super) first_inline: Option<usize>,
    pub(super) is_item: bool,
}

/// The block id that `tail`, the last text run of the open block `open`, ends with, if any.
/// `prev` is the block closed just before `open`, which a standalone `^id` names.
pub(super) fn block_id(
    text: &str,
    tail: Range<usize>,
    open: &Open,
    prev: Option<Range<usize>>,
) -> Option<BlockId> {
    let s = &text[tail.clone()];
    let trimmed = s.trim_end();
    let caret = trimmed.rfind('^')?;
    let id = &trimmed[caret + 1..];
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return None;
    }
    let before = &trimmed[..caret];
    let abs_caret = tail.start + caret;
    let first = open.first_inline.unwrap_or(tail.start);
    if before.trim().is_empty() && first == tail.start && !open.is_item {
        // A standalone `^id`: it names the block before it.
        let block = prev?;
        let inline = inline_start_of(text, &block);
        let end_of_line = text[tail.end..]
            .find('\n')
            .map_or(text.len(), |i| tail.end + i + 1);
        Some(BlockId {
            id: id.to_string(),
            marker: tail.start..end_of_line,
            block,
            inline_anchor: inline,
        })
    } else if before.is_empty() || before.ends_with(char::is_whitespace) {
        let ws = before.len() - before.trim_end().len();
        let block_start = first;
        let block_end = tail.start + trimmed.len();
        Some(BlockId {
            id: id.to_string(),
            marker: abs_caret - ws..block_end,
            block: block_start..block_end,
            inline_anchor: Some(block_start),
        })
    } else {
        None
    }
}

/// Where the inline text of a previous block starts, if it is a paragraph or list.
fn inline_start_of(text: &str, block: &Range<usize>) -> Option<usize> {
    let s = &text[block.clone()];
    let first = s.trim_start();
    // Tables, code, quotes and HTML get an anchor line before them instead.
    if first.starts_with('|')
        || first.starts_with("```")
        || first.starts_with("~~~")
        || first.starts_with('>')
        || first.starts_with('<')
        || first.starts_with("- ")
        || first.starts_with("* ")
        || first.starts_with("+ ")
        || first.chars().next().is_some_and(|c| c.is_ascii_digit())
    {
        None
    } else {
        Some(block.start + (s.len() - first.len()))
    }
}
