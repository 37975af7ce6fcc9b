//! Text made safe for where it goes: markdown inline content, math, HTML titles, and lines
//! inside the containers (quotes, list items) an insertion sits in.

/// Escapes text for markdown inline content: no markup, no HTML.
pub(crate) fn escape_text(s: &str) -> String {
    if !s.contains(['<', '>', '&', '[', ']', '\\', '`', '|', '\n', '\r']) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '[' | ']' | '\\' | '`' | '|' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text as [`escape_text`] does, but for its code spans (`` `Arc` ``), which become
/// `<code>` as in Obsidian's link text.
pub(super) fn escape_text_with_code(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut rest = s;
    while let Some(open) = rest.find('`') {
        let run = rest[open..].bytes().take_while(|b| *b == b'`').count();
        let after = &rest[open + run..];
        match closing_run(after, run) {
            Some(close) => {
                out.push_str(&escape_text(&rest[..open]));
                out.push_str("<code>");
                out.push_str(&escape_code(code_content(&after[..close])));
                out.push_str("</code>");
                rest = &after[close + run..];
            }
            // An unmatched run is literal backticks.
            None => {
                out.push_str(&escape_text(&rest[..open + run]));
                rest = after;
            }
        }
    }
    out.push_str(&escape_text(rest));
    out
}

/// Where the first run of exactly `len` backticks in `s` starts (CommonMark's closing rule).
fn closing_run(s: &str, len: usize) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'`' {
            let n = b[i..].iter().take_while(|c| **c == b'`').count();
            if n == len {
                return Some(i);
            }
            i += n;
        } else {
            i += 1;
        }
    }
    None
}

/// A code span's content as CommonMark reads it: one space on each side dropped when both are
/// there (so that `` ` `a` ` `` can hold backticks), unless it is all spaces.
fn code_content(s: &str) -> &str {
    match s.strip_prefix(' ').and_then(|t| t.strip_suffix(' ')) {
        Some(inner) if !s.trim_matches(' ').is_empty() => inner,
        _ => s,
    }
}

/// Code for inside `<code>` in markdown: every ASCII punctuation character as a character
/// reference, so that nothing in it is markup (emphasis, links, a table's `|`) or HTML.
fn escape_code(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            c if c.is_ascii_punctuation() => out.push_str(&format!("&#{};", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Text escaped so that markdown leaves every character as written (a formula shown as source): all ASCII
/// punctuation is backslash-escaped (CommonMark turns `\\x` back into `x`).
pub(super) fn escape_math(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Inline markdown to HTML, for titles placed inside HTML elements.
pub(super) fn inline_html(md: &str) -> String {
    let mut html = String::new();
    pulldown_cmark::html::push_html(
        &mut html,
        pulldown_cmark::Parser::new_ext(md, pulldown_cmark::Options::ENABLE_STRIKETHROUGH),
    );
    let html = html.trim();
    let html = html.strip_prefix("<p>").unwrap_or(html);
    let html = html.strip_suffix("</p>").unwrap_or(html);
    html.replace('\n', " ")
}

pub(super) fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

pub(super) fn at_line_start(text: &str, pos: usize) -> bool {
    pos == 0 || text.as_bytes().get(pos - 1) == Some(&b'\n')
}

/// The prefix that continues the containers (quotes, list items) open at `pos` on a new line:
/// `>` kept, list markers turned into spaces.
pub(crate) fn continuation_prefix(text: &str, pos: usize) -> String {
    let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let lead = &text[line_start..pos];
    let mut out = String::new();
    let b = lead.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'>' => out.push(b[i] as char),
            b'-' | b'*' | b'+' if b.get(i + 1).is_some_and(|c| *c == b' ') => out.push(' '),
            b'0'..=b'9' => {
                let mut j = i;
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
                if j < b.len() && (b[j] == b'.' || b[j] == b')') {
                    out.push_str(&" ".repeat(j - i + 1));
                    i = j + 1;
                    continue;
                }
                break;
            }
            _ => break,
        }
        i += 1;
    }
    out
}

/// Puts `prefix` after every newline of `s` (not after a final one).
pub(super) fn with_prefix(s: &str, prefix: &str) -> String {
    if prefix.is_empty() {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut lines = s.split_inclusive('\n').peekable();
    let mut first = true;
    while let Some(line) = lines.next() {
        if !first {
            out.push_str(prefix);
        }
        first = false;
        out.push_str(line);
        if lines.peek().is_none() {
            break;
        }
    }
    out
}

/// Ends the text's last line, if it is not ended yet.
pub(super) fn end_line(out: &mut String) {
    if !out.ends_with('\n') {
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(continuation_prefix("> - ![[x]]", 4), ">   ");
        assert_eq!(continuation_prefix("1. ![[x]]", 3), "   ");
        assert_eq!(continuation_prefix("text ![[x]]", 5), "");
        assert_eq!(with_prefix("a\nb\n", "> "), "a\n> b\n");
    }

    #[test]
    fn code_in_link_text() {
        assert_eq!(escape_text_with_code("`Arc`"), "<code>Arc</code>");
        assert_eq!(
            escape_text_with_code("a `*x*|<y>` b"),
            "a <code>&#42;x&#42;&#124;&#60;y&#62;</code> b"
        );
        assert_eq!(escape_text_with_code("`` a`b ``"), "<code>a&#96;b</code>");
        assert_eq!(escape_text_with_code("one ` tick"), "one \\` tick");
        assert_eq!(escape_text_with_code("``a` x"), "\\`\\`a\\` x");
    }
}
