//! One note: read, decoded, frontmatter split off, syntax scanned. Parsed once; every later
//! stage reads this.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use crate::diagnostics::{Code, Diagnostic, LineIndex, Span};
use crate::syntax::{self, Syntax};
use crate::vault::frontmatter::{self, Frontmatter};

/// A parsed note.
#[derive(Debug, Clone)]
pub struct Note {
    /// The path relative to the vault, `/`-separated, as on disk.
    pub rel: String,
    /// The path relative to the book root, for diagnostics.
    pub file: PathBuf,
    /// The text, decoded (a BOM removed, invalid UTF-8 replaced).
    pub text: Arc<str>,
    /// Where the body starts (after the frontmatter).
    pub body: usize,
    /// The frontmatter keys.
    pub frontmatter: Frontmatter,
    /// The chapter title: frontmatter `title`, else the first `# ` heading, else the file name.
    pub title: String,
    /// What the syntax scan found.
    pub syntax: Syntax,
    /// Problems found while reading and parsing.
    pub diagnostics: Vec<Diagnostic>,
    /// What sanitising the note's HTML removes, one `unsafe-html` diagnostic each: reported
    /// unless book.toml trusts the vault's HTML (`raw-html`), which a note cannot know.
    pub unsafe_html: Vec<Diagnostic>,
    /// Per formula of `syntax.math`: its MathML, or why it cannot be typeset. Typeset once,
    /// here, for both the diagnostics and every page the formula appears on.
    pub(crate) math: Vec<Result<String, String>>,
    lines: LineIndex,
}

impl Note {
    /// Builds a note from the bytes of a file.
    pub fn from_bytes(
        rel: String,
        file: PathBuf,
        bytes: &[u8],
        options: &syntax::options::MdbookMarkdown,
        order_key: &str,
    ) -> Note {
        let mut diagnostics = Vec::new();
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let text: Arc<str> = match std::str::from_utf8(bytes) {
            Ok(t) => t.into(),
            Err(e) => {
                let lossy = String::from_utf8_lossy(bytes);
                let at = e.valid_up_to();
                let span = Span::from_range(&lossy, at..at + 1);
                diagnostics.push(
                    Diagnostic::new(
                        Code::InvalidUtf8,
                        "the file is not valid UTF-8; invalid bytes are shown as \u{FFFD}",
                    )
                    .in_file(file.clone())
                    .at(span)
                    .with_help("re-save the note as UTF-8"),
                );
                lossy.into_owned().into()
            }
        };
        let lines = LineIndex::new(&text);
        diagnostics.extend(crate::mojibake::diagnostics(&file, &text));
        let (fm, body, fm_error) = frontmatter::parse(&text, order_key);
        if let Some(err) = fm_error {
            diagnostics.push(
                Diagnostic::new(Code::MalformedFrontmatter, err.message)
                    .in_file(file.clone())
                    .at(lines.span(&text, err.range))
                    .with_help("the note is built without its frontmatter keys"),
            );
        }
        let syntax = syntax::parse(&text, body, *options);
        for p in &syntax.problems {
            diagnostics.push(
                Diagnostic::new(p.code, p.message.clone())
                    .in_file(file.clone())
                    .at(lines.span(&text, p.range.clone())),
            );
        }
        let math: Vec<Result<String, String>> = syntax
            .math
            .iter()
            .map(|m| crate::math::to_mathml(&m.content, m.display))
            .collect();
        for (m, typeset) in syntax.math.iter().zip(&math) {
            if let Err(why) = typeset {
                diagnostics.push(
                    Diagnostic::new(
                        Code::MathError,
                        format!("cannot typeset this formula: {why}"),
                    )
                    .in_file(file.clone())
                    .at(lines.span(&text, m.span.clone()))
                    .with_help("the page shows the formula's source"),
                );
            }
        }
        // A block id names one block: a second one is unreachable (and mdBook's print page
        // slows down badly on many equal ids).
        let mut seen = std::collections::HashSet::new();
        for b in &syntax.blocks {
            if !seen.insert(b.id.to_ascii_lowercase()) {
                diagnostics.push(
                    Diagnostic::new(
                        Code::DuplicateBlockId,
                        format!("the block id `^{}` is used twice in this note", b.id),
                    )
                    .in_file(file.clone())
                    .at(lines.span(&text, b.marker.clone()))
                    .with_help("links reach the first one; give this block another id"),
                );
            }
        }
        let unsafe_html = syntax
            .unsafe_html
            .iter()
            .map(|f| {
                Diagnostic::new(Code::UnsafeHtml, f.removed.describe())
                    .in_file(file.clone())
                    .at(lines.span(&text, f.range.clone()))
                    .with_help(
                        "notes' HTML is sanitised as in Obsidian's reading view; `[vaultbook] \
                     raw-html = true` keeps it as written",
                    )
            })
            .collect();
        let stem = file_stem(&rel).to_string();
        let title = fm
            .title
            .clone()
            .or_else(|| {
                syntax
                    .headings
                    .iter()
                    .find(|h| h.level == 1)
                    .map(|h| plain_text(&h.text))
                    .filter(|t| !is_placeholder(t))
            })
            .filter(|t| !t.trim().is_empty())
            .unwrap_or(stem);
        Note {
            rel,
            file,
            text,
            body,
            frontmatter: fm,
            title,
            syntax,
            diagnostics,
            unsafe_html,
            math,
            lines,
        }
    }

    /// The file name without `.md`.
    pub fn stem(&self) -> &str {
        file_stem(&self.rel)
    }

    /// The folder, relative to the vault (`""` at the root).
    pub fn folder(&self) -> &str {
        self.rel.rfind('/').map_or("", |i| &self.rel[..i])
    }

    /// A span over `range` of the text.
    pub fn span(&self, range: Range<usize>) -> Span {
        self.lines.span(&self.text, range)
    }

    /// A diagnostic located at `range` of this note.
    pub fn diagnostic(&self, d: Diagnostic, range: Range<usize>) -> Diagnostic {
        d.in_file(self.file.clone()).at(self.span(range))
    }
}

/// The file name of a vault path, without a `.md` extension.
pub(crate) fn file_stem(rel: &str) -> &str {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    if name.len() > 3 && name.as_bytes()[name.len() - 3..].eq_ignore_ascii_case(b".md") {
        &name[..name.len() - 3]
    } else {
        name
    }
}

/// A heading's inline markdown as the text a reader sees: the label of a wikilink, the text of
/// a link, code without its backticks, emphasis without its stars. The sidebar, `<title>`, the
/// tags page and backlinks show titles as text, where markup would show raw.
fn plain_text(inline: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser};
    let mut out = String::with_capacity(inline.len());
    let options = Options::ENABLE_WIKILINKS | Options::ENABLE_STRIKETHROUGH;
    let inline = no_block_start(inline.trim());
    for event in Parser::new_ext(&inline, options) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::InlineMath(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            _ => {}
        }
    }
    out.trim().to_string()
}

/// `text` with a backslash before whatever would start a block if `text` were a document of
/// its own (`1. Intro` is a heading's text, not a list), so that it parses as inline text only.
fn no_block_start(text: &str) -> std::borrow::Cow<'_, str> {
    let bytes = text.as_bytes();
    let spaced = |i: usize| bytes.get(i).is_none_or(|b| b.is_ascii_whitespace());
    let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    let at = match bytes.first() {
        Some(b'>' | b'#' | b'`' | b'~' | b'=' | b'|') => Some(0),
        Some(b'-' | b'+' | b'*' | b'_') if spaced(1) || bytes.iter().all(|b| *b == bytes[0]) => {
            Some(0)
        }
        Some(b'0'..=b'9')
            if matches!(bytes.get(digits), Some(b'.' | b')')) && spaced(digits + 1) =>
        {
            Some(digits)
        }
        _ => None,
    };
    match at {
        Some(i) => format!("{}\\{}", &text[..i], &text[i..]).into(),
        None => text.into(),
    }
}

/// A title that a template plugin would have filled in (`{{title}}` of Templates, `<% … %>`
/// of Templater): a note made from a template that was never applied. Obsidian shows such a
/// note by its file name, and so does the book.
fn is_placeholder(title: &str) -> bool {
    let t = title.trim();
    (t.starts_with("{{") && t.ends_with("}}")) || (t.starts_with("<%") && t.ends_with("%>"))
}

#[cfg(test)]
mod title_tests {
    use super::*;

    #[test]
    fn heading_titles_are_shown_as_text() {
        assert_eq!(
            plain_text("Intro to [[dataview|Dataview]] Plugin"),
            "Intro to Dataview Plugin"
        );
        assert_eq!(plain_text("The `Arc` type"), "The Arc type");
        assert_eq!(plain_text("What is a **Process**?"), "What is a Process?");
        assert_eq!(
            plain_text("[Links](https://x.y) and [[Note]]"),
            "Links and Note"
        );
        assert_eq!(plain_text("1. Getting started"), "1. Getting started");
        assert_eq!(plain_text("- not a list"), "- not a list");
        assert_eq!(plain_text("> not a quote"), "> not a quote");
        assert_eq!(plain_text("snake_case_name"), "snake_case_name");
        // Inline HTML is markup, as on the page: its text stays, its tags go.
        assert_eq!(
            plain_text("<span class=\"x\">Styled</span> title"),
            "Styled title"
        );
        assert!(is_placeholder("{{title}}"));
        assert!(is_placeholder("<% tp.file.title %>"));
        assert!(!is_placeholder("Sets {a} and {b}"));
    }
}
