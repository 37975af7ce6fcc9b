//! Normalisations for matching: note names and paths (case-insensitive, NFC) and headings (the
//! way Obsidian compares them).

use unicode_normalization::UnicodeNormalization;

/// NFC of `s`; ASCII text (nearly every key) is already NFC, so it skips the tables.
fn nfc(s: &str) -> Box<dyn Iterator<Item = char> + '_> {
    if s.is_ascii() {
        Box::new(s.chars())
    } else {
        Box::new(s.nfc())
    }
}

/// The key of a note name or vault path: NFC, lowercase, `\` as `/`, no leading `./` or `/`,
/// no `.md` extension.
pub(crate) fn name_key(s: &str) -> String {
    let s = s.trim();
    let s = s.strip_prefix("./").unwrap_or(s);
    let s = strip_md(s);
    let mut out: String = if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        s.nfc().flat_map(char::to_lowercase).collect()
    };
    if out.contains('\\') {
        out = out.replace('\\', "/");
    }
    out
}

/// A note's path or name as written, for telling apart names that differ only in letter case:
/// [`name_key`] without the lowercasing.
pub(crate) fn exact_key(s: &str) -> String {
    let s = s.trim();
    let s = s.strip_prefix("./").unwrap_or(s);
    let s = strip_md(s);
    let out: String = if s.is_ascii() {
        s.to_string()
    } else {
        s.nfc().collect()
    };
    out.replace('\\', "/")
}

/// The key of an attachment's file name or path (extension kept).
pub(crate) fn file_key(s: &str) -> String {
    let s = s.trim();
    let s = s.strip_prefix("./").unwrap_or(s);
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        s.nfc().flat_map(char::to_lowercase).collect()
    }
}

/// `s` without a trailing `.md` (any case).
pub(crate) fn strip_md(s: &str) -> &str {
    if s.len() > 3
        && s.is_char_boundary(s.len() - 3)
        && s[s.len() - 3..].eq_ignore_ascii_case(".md")
    {
        &s[..s.len() - 3]
    } else {
        s
    }
}

/// The strict key of a heading: NFC, lowercase, inline markup (`* _ ~ = `` ` ``) and the
/// characters a link cannot carry (`# | ^ : % [ ]`) removed, whitespace collapsed.
pub(crate) fn heading_key(s: &str) -> String {
    if s.is_ascii() {
        return heading_key_ascii(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in nfc(s) {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if matches!(
            c,
            '*' | '_' | '~' | '=' | '`' | '#' | '|' | '^' | ':' | '%' | '[' | ']'
        ) {
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// [`heading_key`] for ASCII text, byte by byte (most headings and links).
fn heading_key_ascii(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    let mut space = false;
    for &b in s.as_bytes() {
        if b.is_ascii_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if matches!(
            b,
            b'*' | b'_' | b'~' | b'=' | b'`' | b'#' | b'|' | b'^' | b':' | b'%' | b'[' | b']'
        ) {
            continue;
        }
        if space {
            out.push(b' ');
            space = false;
        }
        out.push(b.to_ascii_lowercase());
    }
    // Only ASCII bytes were pushed.
    String::from_utf8(out).unwrap_or_default()
}

/// The loose key of a heading: only letters and digits, words separated by one space.
/// `What is a **Process**?` and `what is a process` meet here.
pub(crate) fn heading_loose_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in nfc(s) {
        if c.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.extend(c.to_lowercase());
        } else if c.is_whitespace() {
            space = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(name_key("Folder/My Note.MD"), "folder/my note");
        assert_eq!(name_key("./Café"), name_key("Cafe\u{301}"));
    }

    #[test]
    fn headings_match_the_obsidian_way() {
        assert_eq!(heading_key("What is a **Process**?"), "what is a process?");
        assert_eq!(heading_key("what  is a   process?"), "what is a process?");
        assert_eq!(
            heading_loose_key("What is a **Process**?"),
            "what is a process"
        );
        assert_eq!(heading_loose_key("what is a process"), "what is a process");
        assert_eq!(
            heading_key("`Arc<Mutex<T>>` in practice"),
            "arc<mutex<t>> in practice"
        );
    }
}
