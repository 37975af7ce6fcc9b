//! A very long note as several chapters: where it is cut, and what each part is called.
//!
//! mdBook's renderer holds a tree of every chapter it renders at once: its render of the one
//! 167 MB page of a 100 MB note reached 3.1 GB, and a page that size is more than a reader
//! wants to load. A note longer than twice
//! `[vaultbook] note-part-size` becomes chapters of about that size instead: the first keeps
//! the note's path and title, the others follow it, nested under it in the sidebar, each named
//! after the heading it opens with. Links to a heading or block go to the part that holds it.
//!
//! A cut is made before a heading that starts a line at column 0 (a `#` heading of the note's
//! own parse, so not in a code block, a quote or a list): such a heading closes every block
//! before it, so each part renders as it would inside the whole page. Where no heading comes
//! within another part's length, between two paragraphs instead: at a column-0 line after a
//! blank line that opens a paragraph, which ends every list and quote before it, once a parse
//! of the text since the last cut says no code or HTML block is open there. Not in a
//! `%%comment%%`, whose end would be in another part. And not in a note that may hold a link
//! reference or footnote definition (any `]:`), which references anywhere in the note can use.

use crate::diagnostics::Diagnostic;
use crate::vault::Note;

/// The default of `[vaultbook] note-part-size`: notes over twice this are cut.
pub(crate) const PART_SIZE: u64 = 2 << 20;

/// One chapter of a note that was cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    /// Where the part starts in the note's text (the first part: where its body does).
    pub start: usize,
    /// Its chapter path in the emitted `src/`.
    pub path: String,
    /// Its title in the sidebar (the first part's is the note's).
    pub title: String,
    /// Whether it opens with a heading of the note; one cut between paragraphs gets its title
    /// as a heading, as a note without one does.
    pub opens_with_heading: bool,
}

/// Where `note` is cut into parts of about `size` bytes: for every part after the first, in
/// order, where it starts and the heading it opens with (none for a cut between paragraphs);
/// none for a note that stays one page (`size` 0 cuts nothing).
pub(crate) fn cuts(note: &Note, size: u64) -> Vec<(usize, Option<usize>)> {
    if whole(note, size).is_some() {
        return Vec::new();
    }
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    let text = note.text.as_bytes();
    let headings = &note.syntax.headings;
    let heading_cut = |at: usize| {
        at > 0 && text[at - 1] == b'\n' && text.get(at) == Some(&b'#') && !in_comment(note, at)
    };
    let mut out = Vec::new();
    let mut last = note.body;
    let mut h = 0;
    loop {
        let want = last.saturating_add(size);
        if want >= text.len() || text.len() - want < size / 2 {
            break;
        }
        while headings
            .get(h)
            .is_some_and(|x| x.range.start < want || !heading_cut(x.range.start))
        {
            h += 1;
        }
        let heading = headings.get(h).map(|x| (x.range.start, Some(h)));
        // A heading within another part's length, else (a note of long stretches without
        // one: a novel, a log) a cut between two paragraphs, else the heading however far.
        let limit = want.saturating_add(size);
        let cut = match heading {
            Some((at, _)) if at <= limit => heading,
            _ => paragraph_cut(note, last, want, heading.map_or(text.len(), |(at, _)| at))
                .map(|at| (at, None))
                .or(heading),
        };
        match cut {
            Some((at, i)) if text.len() - at >= size / 2 => {
                out.push((at, i));
                last = at;
            }
            _ => break,
        }
    }
    out
}

/// Why a note is not cut at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Whole {
    /// Not over twice the part size (or the size is 0), or a canvas.
    Short,
    /// It may hold a link reference or footnote definition (`]:`), which any part could use.
    Definitions,
}

/// Why `note` is not cut into parts of `size` bytes; `None` when it may be.
fn whole(note: &Note, size: u64) -> Option<Whole> {
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    let body = note.text.get(note.body..).unwrap_or_default();
    if size == 0 || body.len() <= size.saturating_mul(2) || crate::canvas::is_canvas(&note.rel) {
        Some(Whole::Short)
    } else if crate::syntax::pieces::may_define(body) {
        Some(Whole::Definitions)
    } else {
        None
    }
}

/// Whether byte `at` of the note is inside a `%%comment%%`.
fn in_comment(note: &Note, at: usize) -> bool {
    let comments = &note.syntax.comments;
    let i = comments.partition_point(|c| c.end <= at);
    comments.get(i).is_some_and(|c| c.start < at)
}

/// The first place in `from..to` of the note where a part may start between two paragraphs:
/// a line at column 0 after a blank line that opens a paragraph (no list item, quote, fence,
/// table, HTML, math, definition or block id starts that way), outside comments and code,
/// where the text since `last` leaves no code or HTML block open (parsed to know). Such a line
/// ends every list and quote before it, and starts a top-level block. A few places are tried.
fn paragraph_cut(note: &Note, last: usize, from: usize, to: usize) -> Option<usize> {
    let text = note.text.as_bytes();
    let to = to.min(text.len());
    let mut line = memchr::memrchr(b'\n', &text[..from.min(text.len())]).map_or(0, |i| i + 1);
    let mut tries = 0;
    while line < to && tries < 4 {
        let next = memchr::memchr(b'\n', &text[line..]).map_or(text.len(), |i| line + i + 1);
        let prev_blank = line >= 2
            && text[line - 1] == b'\n'
            && text[..line - 1]
                .iter()
                .rev()
                .take_while(|&&b| b != b'\n')
                .all(|b| matches!(b, b' ' | b'\t' | b'\r'));
        let opens = text.get(line).is_some_and(|&b| {
            !b.is_ascii_whitespace() && !b.is_ascii_digit() && !b"-*+>|#:<`~$%^=_\\".contains(&b)
        });
        let in_code = || {
            let code = &note.syntax.code_blocks;
            let i = code.partition_point(|c| c.range.start < line);
            i > 0 && line < code[i - 1].range.end
        };
        if line >= from && prev_blank && opens && !in_comment(note, line) && !in_code() {
            tries += 1;
            if crate::syntax::pieces::closes_at_end(&note.text[last..line]) {
                return Some(line);
            }
        }
        line = next;
    }
    None
}

/// The info line of a note long enough to cut (see [`cuts`]): into how many chapters it was
/// cut (`parts`), or why it stays one page; `None` for a note too short to cut.
pub(crate) fn report(note: &Note, size: u64, parts: usize) -> Option<Diagnostic> {
    let why = whole(note, size);
    if why == Some(Whole::Short) {
        return None;
    }
    let mb = note.text.len().saturating_sub(note.body) as f64 / 1e6;
    let message = if parts > 1 {
        format!(
            "this note ({mb:.1} MB) is {parts} chapters of about {:.1} MB, cut before its \
             headings (between paragraphs where it has none)",
            size as f64 / 1e6
        )
    } else if why == Some(Whole::Definitions) {
        format!(
            "this note ({mb:.1} MB) stays one page: it may hold a link reference or footnote \
             definition (`]:`), which a reference in any part could use"
        )
    } else {
        format!(
            "this note ({mb:.1} MB) stays one page: no `#` heading at column 0 or paragraph \
             outside code, lists and quotes opens where it could be cut"
        )
    };
    let d = Diagnostic::new(crate::codes::Code::LongNote, message)
        .with_help("a page this long loads slowly; `[vaultbook] note-part-size` sets the size");
    Some(note.diagnostic(d, note.body..note.body))
}

/// The sidebar title of part `k` (from 0) of `note`, which opens with heading `h`: the
/// heading's text as mdBook reads it for its id (markup left out), else as written; a part
/// that opens between paragraphs is the note's title and its number.
pub(crate) fn title(note: &Note, h: Option<usize>, k: usize) -> String {
    let Some(h) = h else {
        return format!("{} ({})", note.title, k + 1);
    };
    note.syntax
        .id_elems
        .iter()
        .find(|e| e.heading == Some(h))
        .map(|e| e.text.trim().to_string())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| note.syntax.headings[h].text.trim().to_string())
}

/// The path of part `k` (from 1, the first part after the note's own) of the chapter at
/// `chapter`: beside it, so that the note's relative links and images work the same.
pub(crate) fn path(chapter: &str, k: usize) -> String {
    let stem = chapter.strip_suffix(".md").unwrap_or(chapter);
    format!("{stem}-part-{}.md", k + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::options::MdbookMarkdown;

    fn note(text: &str) -> Note {
        Note::from_bytes(
            "Long.md".into(),
            "vault/Long.md".into(),
            text.as_bytes(),
            &MdbookMarkdown::default(),
            "order",
        )
    }

    /// The text at each cut.
    fn cut_lines(text: &str, size: u64) -> Vec<String> {
        let n = note(text);
        cuts(&n, size)
            .into_iter()
            .map(|(at, _)| text[at..].lines().next().unwrap_or("").to_string())
            .collect()
    }

    #[test]
    fn cuts_come_before_column_0_headings_a_part_apart() {
        let filler = "Some text of a paragraph.\n\n".repeat(4);
        let text: String = (0..6).map(|i| format!("## H{i}\n\n{filler}")).collect();
        // About 115 bytes a section: parts of 200 bytes take two sections each.
        assert_eq!(cut_lines(&text, 200), ["## H2", "## H4"]);
        assert!(cut_lines(&text, 0).is_empty());
        assert!(
            cut_lines(&text, 1 << 20).is_empty(),
            "short notes stay whole"
        );
    }

    #[test]
    fn no_cut_in_a_container_a_comment_or_a_note_with_definitions() {
        // Paragraphs indented by two spaces: no cut between them, only at headings.
        let filler = "  Some text of a paragraph.\n\n".repeat(8);
        // A heading in a list item or a quote does not start at column 0; a comment that
        // opens before a heading and closes inside it still holds the heading's start.
        let text = format!(
            "## A\n\n{filler}- item\n\n  ## In item\n\n{filler}> ## Quoted\n\n{filler}\
             %%\n\n## Commented start %% tail\n\n{filler}## B\n\n{filler}## C\n\n{filler}"
        );
        assert_eq!(cut_lines(&text, 200), ["## B", "## C"]);
        let with_def = format!("{text}\n[x]: https://example.com\n");
        assert!(cut_lines(&with_def, 200).is_empty());
    }

    #[test]
    fn a_note_without_headings_is_cut_between_paragraphs_outside_open_blocks() {
        let para = "Some prose of a paragraph that goes on.\n\n".repeat(3);
        // An HTML block of kind 1 (`<pre>`) and a fence run over blank lines; a loose list's
        // items and a quote's lines after a blank line do not start at a paragraph.
        let text = format!(
            "{para}<pre>\n\nNot a paragraph.\n\n</pre>\n\n{para}```\n\nIn code.\n\n```\n\n\
             - item\n\n- item\n\n> quote\n\n{para}Last one.\n\n{para}"
        );
        let cuts = cut_lines(&text, 100);
        assert!(!cuts.is_empty(), "{cuts:?}");
        for c in &cuts {
            assert!(c.starts_with("Some prose") || c == "Last one.", "{cuts:?}");
        }
        // The parse check: a cut inside the `<pre>` block would be its text.
        let n = note(&text);
        let pre = text.find("Not a paragraph").unwrap();
        assert!(
            super::cuts(&n, 20)
                .iter()
                .all(|&(at, h)| at != pre && h.is_none())
        );
    }

    #[test]
    fn part_paths_sit_beside_the_chapter() {
        assert_eq!(path("folder/long.md", 1), "folder/long-part-2.md");
        assert_eq!(path("index.md", 3), "index-part-4.md");
    }
}
