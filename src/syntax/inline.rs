//! Obsidian syntax inside text runs: `#tags`, `%%comments%%`, `==highlights==`, inline
//! footnotes `^[…]`, stray `[[`; and math, which pulldown-cmark finds itself.

use std::ops::Range;

use super::scan::{Problem, Syntax};
use crate::codes::Code;

/// An inline tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// `#tag` in the source.
    pub range: Range<usize>,
    /// The tag without `#` (`nested/tag`).
    pub name: String,
}

/// A `==highlight==`: its two markers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Highlight {
    /// The opening `==`.
    pub open: Range<usize>,
    /// The closing `==`.
    pub close: Range<usize>,
}

/// `$inline$` or `$$display$$` math.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Math {
    /// The whole span, dollars included.
    pub span: Range<usize>,
    /// The TeX between the dollars.
    pub content: String,
    /// `$$…$$`.
    pub display: bool,
}

/// An inline footnote `^[text]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineFootnote {
    /// The whole footnote, `^[` and `]` included.
    pub span: Range<usize>,
    /// The text between the brackets.
    pub text: Range<usize>,
}

/// Markers that pair up only once more of the note is read: `%%` across the whole note, `==`
/// within a paragraph or table cell.
#[derive(Debug, Default)]
pub(super) struct Marks {
    pub(super) comments: Vec<Range<usize>>,
    pub(super) highlights: Vec<Range<usize>>,
}

/// Scans the text run `run` of `text` (source text, verbatim) for tags, markers, inline
/// footnotes and stray `[[`. Tags are not looked for in headings.
pub(super) fn scan_run(
    text: &str,
    run: Range<usize>,
    in_heading: bool,
    marks: &mut Marks,
    out: &mut Syntax,
) {
    let s = &text[run.clone()];
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if bytes.get(i + 1) == Some(&b'%') => {
                marks.comments.push(run.start + i..run.start + i + 2);
                i += 2;
                continue;
            }
            b'=' if bytes.get(i + 1) == Some(&b'=') => {
                if bytes.get(i + 2) != Some(&b'=') && (i == 0 || bytes[i - 1] != b'=') {
                    marks.highlights.push(run.start + i..run.start + i + 2);
                }
                i += 2;
                while i < bytes.len() && bytes[i] == b'=' {
                    i += 1;
                }
                continue;
            }
            b'^' if bytes.get(i + 1) == Some(&b'[') => {
                // `^[text]`: the closing bracket may lie past this text run (markup inside),
                // so it is found in the source, nesting counted, within the paragraph.
                let abs = run.start + i;
                if let Some(close) = closing_bracket(text, abs + 1) {
                    out.inline_footnotes.push(InlineFootnote {
                        span: abs..close + 1,
                        text: abs + 2..close,
                    });
                    i += 2;
                    continue;
                }
            }
            b'[' if bytes.get(i + 1) == Some(&b'[') => {
                let rest = &s[i + 2..];
                let abs = run.start + i;
                match rest.find("]]") {
                    Some(j) if rest[..j].trim().trim_matches('|').trim().is_empty() => {
                        out.problems.push(Problem {
                            range: abs..abs + 2 + j + 2,
                            code: Code::EmptyLink,
                            message: "empty wikilink: it links to nothing".into(),
                        });
                        i += 2 + j + 2;
                        continue;
                    }
                    Some(_) => {}
                    None => out.problems.push(Problem {
                        range: abs..abs + 2,
                        code: Code::UnclosedWikilink,
                        message: "`[[` is never closed with `]]`".into(),
                    }),
                }
                i += 2;
                continue;
            }
            b'#' if !in_heading => {
                let abs = run.start + i;
                let prev_ok = if i > 0 {
                    bytes[i - 1].is_ascii_whitespace()
                } else {
                    // A run also starts after inline HTML: Obsidian reads
                    // `<span>#index-pages</span>` as a tag (the Tasks docs rely on it).
                    abs == 0 || {
                        let b = text.as_bytes()[abs - 1];
                        b.is_ascii_whitespace() || b == b'(' || b == b'>'
                    }
                };
                if prev_ok {
                    let name_len = s[i + 1..]
                        .char_indices()
                        .find(|(_, c)| !is_tag_char(*c))
                        .map_or(s.len() - i - 1, |(j, _)| j);
                    let name = &s[i + 1..i + 1 + name_len];
                    if !name.is_empty() && !name.chars().all(|c| c.is_ascii_digit()) {
                        out.tags.push(Tag {
                            range: abs..abs + 1 + name_len,
                            name: name.to_string(),
                        });
                    }
                    i += 1 + name_len;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
}

/// Pairs the `==` markers of a paragraph or cell in order; a pair around nothing, or around text
/// that starts or ends with white space, is no highlight.
pub(super) fn pair_highlights(text: &str, marks: Vec<Range<usize>>, out: &mut Vec<Highlight>) {
    for pair in marks.chunks_exact(2) {
        let (open, close) = (&pair[0], &pair[1]);
        let inner = &text[open.end..close.start];
        if !inner.is_empty()
            && !inner.starts_with(char::is_whitespace)
            && !inner.ends_with(char::is_whitespace)
        {
            out.push(Highlight {
                open: open.clone(),
                close: close.clone(),
            });
        }
    }
}

/// Comments from the `%%` markers of the whole note, paired in order; what lies between is
/// hidden, wherever it is. An unclosed comment runs to the end of the note (`len`).
pub(super) fn pair_comments(marks: &[Range<usize>], len: usize) -> Vec<Range<usize>> {
    let mut comments = Vec::new();
    for pair in marks.chunks(2) {
        match pair {
            [open, close] => comments.push(open.start..close.end),
            [open] => comments.push(open.start..len),
            _ => {}
        }
    }
    comments
}

/// The `]` matching the `[` at `open`, before a blank line.
fn closing_bracket(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let bytes = text.as_bytes();
    let mut j = open;
    while j < bytes.len() {
        match bytes[j] {
            b'[' => depth += 1,
            b']' => {
                depth -= 1;
                if depth == 0 {
                    return (j > open + 1).then_some(j);
                }
            }
            b'\\' => j += 1,
            b'\n'
                if text[j + 1..]
                    .trim_start_matches([' ', '\t', '\r'])
                    .starts_with('\n') =>
            {
                return None;
            }
            _ => {}
        }
        j += 1;
    }
    None
}

fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-' || c == '/'
}
