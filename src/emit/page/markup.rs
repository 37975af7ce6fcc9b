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

/// Math content escaped so that markdown leaves every character to MathJax: all ASCII
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
}
