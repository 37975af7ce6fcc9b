//! A long markdown text parsed piece by piece, to the events a parse of the whole gives.
//!
//! pulldown-cmark holds the block tree of the whole text while its events are read: about ten
//! times the text (1 GB for a 100 MB note, for each of the three parses a page goes through).
//! A long text is cut before a heading instead, and each piece is parsed on its own, so that
//! what is held is a piece's tree and not the note's.
//!
//! Why a cut there does not change the parse: a CommonMark block parser reads line by line,
//! and at a line that follows a blank line, nothing of the lines before reaches past it but
//! the open containers and an open code fence or raw HTML block. A `#` heading at column 0
//! closes every container (it is not indented, and it is never a lazy continuation). So the
//! heading starts a top-level block, and the piece from it parses as the whole would from
//! there, unless a top-level fence or HTML block of kinds 1 to 5 (`<pre>`, `<!--`, …) was still
//! open. That is not guessed from the text: the piece before the cut is parsed, and when its
//! last top-level block is a code block or an HTML block that runs to the piece's end (was
//! not closed), the cut is not made and the piece goes on to a later heading.
//!
//! Two things in a parse are not local: link reference definitions (`[x]: /url`) and footnote
//! definitions (`[^1]: …`), which a reference anywhere in the text can use. A text that may
//! hold one (any `]:` in it) is parsed whole.

use std::ops::Range;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// The length of a piece: texts under twice this are parsed whole. A piece's tree is about ten
/// times this (5 MB), against ten times the text for a whole parse.
pub(crate) const PIECE: usize = 512 << 10;

/// Hands `f` each event of the parse of `text[start..]` with `options`, its range shifted to be
/// a range of `text`: the events of one parse of the whole, parsed in pieces of about `piece`
/// bytes when the text is long (see the module's doc).
pub(crate) fn events<'a>(
    text: &'a str,
    start: usize,
    options: Options,
    piece: usize,
    mut f: impl FnMut(Event<'a>, Range<usize>),
) {
    let body = &text[start..];
    let shift = |r: Range<usize>, by: usize| r.start + by..r.end + by;
    if body.len() < piece.saturating_mul(2) || may_define(body) {
        for (event, range) in Parser::new_ext(body, options).into_offset_iter() {
            f(event, shift(range, start));
        }
        return;
    }
    let mut from = 0;
    let mut buffered: Vec<(Event<'a>, Range<usize>)> = Vec::new();
    while from < body.len() {
        // The piece grows past a cut that was not safe by as much again each time, so that a
        // fence left open for the rest of the text is parsed a few times, not once per heading.
        let mut len = piece.max(1);
        loop {
            let to = cut_after(body, from + len);
            buffered.clear();
            buffered.extend(Parser::new_ext(&body[from..to], options).into_offset_iter());
            if to == body.len() || ends_closed(&buffered, to - from) {
                for (event, range) in buffered.drain(..) {
                    f(event, shift(range, start + from));
                }
                from = to;
                break;
            }
            len = (to - from).saturating_mul(2);
        }
    }
}

/// Whether `text` may hold a link reference or footnote definition (`[x]: /url`, `[^1]: …`),
/// which a reference anywhere in the text can use: any `]:`. Such a text is not cut, to parse
/// or (`emit::parts`) to render.
pub(crate) fn may_define(text: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), b"]:").is_some()
}

/// The first place at or after `at` where a piece may end: the start of a line at column 0
/// that opens a `#` heading and follows a blank line; or the end of `text`.
fn cut_after(text: &str, at: usize) -> usize {
    let bytes = text.as_bytes();
    if at >= bytes.len() {
        return bytes.len();
    }
    // From the start of the line holding `at`'s byte, or the next line.
    let mut line = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |i| i + 1);
    let mut prev_blank = false;
    if line > 0 {
        let prev_start = memchr::memrchr(b'\n', &bytes[..line - 1]).map_or(0, |i| i + 1);
        prev_blank = is_blank(&bytes[prev_start..line]);
    }
    while line < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[line..]).map_or(bytes.len(), |i| line + i + 1);
        let this = &bytes[line..end];
        if line >= at && prev_blank && opens_heading(this) {
            return line;
        }
        prev_blank = is_blank(this);
        line = end;
    }
    bytes.len()
}

fn is_blank(line: &[u8]) -> bool {
    line.iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// `#` to `######` at column 0, then a space, a tab or the line's end.
fn opens_heading(line: &[u8]) -> bool {
    let hashes = line.iter().take_while(|&&b| b == b'#').count();
    (1..=6).contains(&hashes)
        && line
            .get(hashes)
            .is_none_or(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// Whether `text`, parsed alone, leaves no code block or HTML block open at its end: the check
/// [`events`] makes before a cut, for a cut made elsewhere (`emit::parts`). Those blocks are
/// core CommonMark, the same under any of pulldown-cmark's options.
pub(crate) fn closes_at_end(text: &str) -> bool {
    let events: Vec<(Event, Range<usize>)> = Parser::new_ext(text, Options::empty())
        .into_offset_iter()
        .collect();
    ends_closed(&events, text.len())
}

/// Whether the parse of a piece of `len` bytes left no code block or HTML block open at its
/// end: its last top-level block, if it is one of those, ends before the piece does (a closed
/// fence or comment stops at its closing line; the blank line after it is not in it).
fn ends_closed(events: &[(Event, Range<usize>)], len: usize) -> bool {
    let mut depth = 0usize;
    let mut last_open = false;
    for (event, range) in events {
        match event {
            Event::Start(tag) => {
                if depth == 0 {
                    last_open =
                        matches!(tag, Tag::CodeBlock(_) | Tag::HtmlBlock) && range.end >= len;
                }
                depth += 1;
            }
            Event::End(end) => {
                depth = depth.saturating_sub(1);
                if depth == 0 && matches!(end, TagEnd::CodeBlock | TagEnd::HtmlBlock) {
                    last_open = range.end >= len;
                }
            }
            _ if depth == 0 => last_open = false,
            _ => {}
        }
    }
    !last_open
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(text: &str) -> Vec<(String, Range<usize>)> {
        Parser::new_ext(text, Options::all())
            .into_offset_iter()
            .map(|(e, r)| (format!("{e:?}"), r))
            .collect()
    }

    fn in_pieces(text: &str, piece: usize) -> Vec<(String, Range<usize>)> {
        let mut out = Vec::new();
        events(text, 0, Options::all(), piece, |e, r| {
            out.push((format!("{e:?}"), r))
        });
        out
    }

    /// How many pieces `text` is parsed in with pieces of one byte: one per safe cut, plus one.
    fn pieces(text: &str) -> usize {
        let mut from = 0;
        let mut n = 0;
        while from < text.len() {
            let mut len = 1;
            loop {
                let to = cut_after(text, from + len);
                let evs: Vec<_> = Parser::new_ext(&text[from..to], Options::all())
                    .into_offset_iter()
                    .collect();
                if to == text.len() || ends_closed(&evs, to - from) {
                    from = to;
                    n += 1;
                    break;
                }
                len = (to - from) * 2;
            }
        }
        n
    }

    #[test]
    fn cuts_only_before_a_heading_after_a_blank_line() {
        let text = "# A\n\ntext\n# B\n\n#tag\n\n## C\n\n####### D\n\n#\n";
        assert_eq!(cut_after(text, 1), text.find("## C").unwrap());
        assert_eq!(
            cut_after(text, text.find("## C").unwrap() + 1),
            text.rfind('#').unwrap()
        );
        assert_eq!(pieces(text), 3);
        assert_eq!(in_pieces(text, 1), whole(text));
    }

    #[test]
    fn no_cut_inside_an_open_fence_or_html_block() {
        for text in [
            "# A\n\n```\ncode\n\n# not a heading\n\n```\n\n# B\n",
            "# A\n\n~~~~\n\n# in\n\n~~~\n\n# in too\n\n~~~~\n\n# B\n",
            "# A\n\n<!--\n\n# commented\n\n-->\n\n# B\n",
            "# A\n\n<pre>\n\n# pre\n\n</pre>\n\n# B\n",
            "# A\n\n- item\n\n  ```\n  x\n\n# closes the item and its fence\n",
        ] {
            assert_eq!(in_pieces(text, 1), whole(text), "{text}");
        }
        assert_eq!(
            pieces("# A\n\n```\ncode\n\n# not a heading\n\n```\n\n# B\n"),
            2
        );
        assert_eq!(pieces("# A\n\n```\nx\n```\n\n# B\n"), 2);
        assert_eq!(pieces("# A\n\n- item\n\n  ```\n  x\n\n# B\n"), 2);
    }

    #[test]
    fn a_text_with_definitions_is_parsed_whole() {
        let text = "# A\n\nSee [x] and [^1].\n\n# B\n\n[x]: /url\n\n[^1]: note\n";
        assert_eq!(in_pieces(text, 1), whole(text));
        // Cut, it would differ: `[x]` finds its definition only in the whole text.
        let (a, b) = text.split_at(text.find("# B").unwrap());
        let mut cut = whole(a);
        cut.extend(
            whole(b)
                .into_iter()
                .map(|(e, r)| (e, r.start + a.len()..r.end + a.len())),
        );
        assert_ne!(cut, whole(text));
    }

    #[test]
    fn a_short_text_is_one_piece_and_offsets_count_from_the_text() {
        let text = "---\nx: 1\n---\n# A\n\n# B\n";
        let start = text.find("# A").unwrap();
        let mut got = Vec::new();
        events(text, start, Options::empty(), 1, |_, r| got.push(r));
        let want: Vec<_> = Parser::new_ext(&text[start..], Options::empty())
            .into_offset_iter()
            .map(|(_, r)| r.start + start..r.end + start)
            .collect();
        assert_eq!(got, want);
    }
}
