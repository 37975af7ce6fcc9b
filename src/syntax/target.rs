//! The target of a link, split the way Obsidian splits it: a note or file part, then `#Heading`,
//! `#H1#H2` or `#^block`.

use percent_encoding::percent_decode_str;

/// What a link points at, before resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The note or file name or path as written (`Note`, `folder/Note.md`, `pic.png`); empty for a
    /// link into the same note (`[[#Heading]]`).
    pub path: String,
    /// The part after `#`.
    pub fragment: Fragment,
}

/// The part of a link after the first `#`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fragment {
    /// No fragment: the whole note or file.
    None,
    /// `#H1#H2`: a chain of headings, each under the one before.
    Headings(Vec<String>),
    /// `#^id`: a block.
    Block(String),
    /// A fragment that says nothing (`[[#]]`, `[[^]]`), or a PDF `#page=3`.
    Other(String),
}

impl Target {
    /// Splits a wikilink target (`Note#H1#H2`, `Note#^id`, `#Heading`). A trailing backslash, left
    /// by pulldown-cmark when the pipe was escaped inside a table (`[[N#H\|alias]]`), is dropped.
    pub fn wikilink(raw: &str) -> Target {
        let raw = raw.strip_suffix('\\').unwrap_or(raw).trim();
        let (path, frag) = match raw.find('#') {
            Some(i) => (&raw[..i], Some(&raw[i + 1..])),
            None => (raw, None),
        };
        Target {
            path: path.trim().to_string(),
            fragment: frag.map_or(Fragment::None, parse_fragment),
        }
    }

    /// Splits a markdown link destination (`My%20Note.md#Some%20Heading`), percent-decoding it.
    pub fn markdown(raw: &str) -> Target {
        let (path, frag) = match raw.find('#') {
            Some(i) => (&raw[..i], Some(&raw[i + 1..])),
            None => (raw, None),
        };
        Target {
            path: decode(path),
            fragment: frag.map_or(Fragment::None, |f| parse_fragment(&decode(f))),
        }
    }
}

fn parse_fragment(frag: &str) -> Fragment {
    let frag = frag.trim();
    if let Some(block) = frag.strip_prefix('^') {
        let block = block.trim();
        return if block.is_empty() {
            Fragment::Other(frag.to_string())
        } else {
            Fragment::Block(block.to_string())
        };
    }
    if frag.starts_with("page=") || frag.starts_with("height=") {
        return Fragment::Other(frag.to_string());
    }
    let mut chain: Vec<String> = frag
        .split('#')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    // Collected from a filter, the chain has room for four; it is almost always one heading,
    // and a note holds it for each of its links (100 MB of room at 1.7 million links).
    chain.shrink_to_fit();
    if chain.is_empty() {
        if frag.is_empty() {
            Fragment::None
        } else {
            Fragment::Other(frag.to_string())
        }
    } else {
        Fragment::Headings(chain)
    }
}

/// Decodes `%XX` escapes; malformed escapes stay as written, and bytes that do not form UTF-8
/// are replaced.
fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_wikilink_targets() {
        let t = Target::wikilink("Utils#What is a **Process**?");
        assert_eq!(t.path, "Utils");
        assert_eq!(
            t.fragment,
            Fragment::Headings(vec!["What is a **Process**?".into()])
        );
        assert_eq!(
            Target::wikilink("Note#H1#H2").fragment,
            Fragment::Headings(vec!["H1".into(), "H2".into()])
        );
        assert_eq!(
            Target::wikilink("#^blk"),
            Target {
                path: String::new(),
                fragment: Fragment::Block("blk".into())
            }
        );
        assert_eq!(
            Target::wikilink("Note#H\\").fragment,
            Fragment::Headings(vec!["H".into()])
        );
        assert_eq!(Target::wikilink("#").fragment, Fragment::None);
        assert_eq!(Target::wikilink("^").path, "^");
    }

    #[test]
    fn decodes_markdown_destinations() {
        let t = Target::markdown("My%20Note.md#Some%20Heading");
        assert_eq!(t.path, "My Note.md");
        assert_eq!(t.fragment, Fragment::Headings(vec!["Some Heading".into()]));
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("caf%C3%A9"), "café");
    }
}
