//! Obsidian's task states beyond `[ ]` and `[x]`: `- [/] doing`, `- [-] cancelled`, … which
//! pulldown-cmark reads as plain text.

use std::ops::Range;

/// A list item that starts with a task marker of a state pulldown-cmark does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// The marker, `[/]`.
    pub marker: Range<usize>,
    /// The state, the character between the brackets.
    pub state: char,
}

/// The task marker the list item starting at `item` (its list marker) of `text` would open
/// with, if any. The scan confirms it with the item's first event: only text that starts at
/// the marker is one (not a link `[/]` to a reference, not code).
pub(super) fn marker(text: &str, item: usize) -> Option<Task> {
    let rest = text.get(item..)?;
    let after_bullet = match rest.as_bytes().first()? {
        b'-' | b'*' | b'+' => 1,
        b'0'..=b'9' => {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            match rest.as_bytes().get(digits)? {
                b'.' | b')' => digits + 1,
                _ => return None,
            }
        }
        _ => return None,
    };
    let gap = rest[after_bullet..]
        .bytes()
        .take_while(|b| *b == b' ' || *b == b'\t')
        .count();
    if gap == 0 {
        return None;
    }
    let start = after_bullet + gap;
    let mut chars = rest[start..].strip_prefix('[')?.chars();
    let state = chars.next()?;
    // pulldown-cmark renders these two itself; a bracket is no state.
    if matches!(state, ' ' | 'x' | 'X' | '[' | ']' | '\n' | '\r' | '\t') {
        return None;
    }
    let end = start + 1 + state.len_utf8();
    let after = rest[end..].strip_prefix(']')?;
    // Obsidian wants the marker to stand alone: `[/]done` is text.
    if !matches!(
        after.bytes().next(),
        None | Some(b' ' | b'\t' | b'\n' | b'\r')
    ) {
        return None;
    }
    Some(Task {
        marker: item + start..item + end + 1,
        state,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers() {
        /// The state and marker text `marker` finds in `s`.
        fn states(s: &str) -> Option<(char, &str)> {
            marker(s, 0).map(|t| (t.state, &s[t.marker]))
        }
        assert_eq!(states("- [/] doing"), Some(('/', "[/]")));
        assert_eq!(states("12) [?] q\n"), Some(('?', "[?]")));
        assert_eq!(states("* [é]"), Some(('é', "[é]")));
        assert_eq!(states("- [ ] open"), None);
        assert_eq!(states("- [x] done"), None);
        assert_eq!(states("- [/]done"), None);
        assert_eq!(states("- [//] x"), None);
        assert_eq!(states("-[/] x"), None);
        assert_eq!(states("text [/] x"), None);
    }
}
