//! One chapter's markdown: the note's text as written, with only the spans of links, embeds,
//! block ids, comments, highlights and callouts rewritten.
//!
//! Links to headings are written as `vaultbook-ref:N` placeholders: heading ids are only known
//! once every page is assembled (embeds bring headings along), so [`super::finish`] fills them in.

mod edits;
mod embeds;
mod markup;

use std::collections::HashMap;
use std::ops::Range;

use super::plan::Plan;
use crate::diagnostics::Diagnostic;
use crate::links::{Anchor, AttId, NoteId, Resolved};
use crate::templates::html_escape;
use crate::vault::Note;
use edits::emit_range;
use markup::end_line;
pub(crate) use markup::escape_text;

/// Embeds nested deeper than this stop with a marker.
pub(crate) const MAX_EMBED_DEPTH: usize = 8;

/// Embeds one page may hold in all (nested ones included): notes that each embed the next many
/// times would otherwise grow a page exponentially within the depth limit.
pub(crate) const MAX_EMBEDS_PER_PAGE: usize = 1000;

/// Embedded text one page may hold in all.
pub(crate) const MAX_EMBEDDED_BYTES: usize = 8 << 20;

/// Around the number of a formula in an assembled page, until its MathML replaces it: a
/// private-use character, which markdown and the sanitiser leave alone.
pub(crate) const MATH_MARK: char = '\u{E000}';

/// The scheme of link placeholders.
pub(crate) const REF_SCHEME: &str = "vaultbook-ref:";

/// What page assembly reads.
pub(crate) struct Context<'a> {
    /// All notes.
    pub notes: &'a [Note],
    /// Per note, per link: where it leads.
    pub resolved: &'a [Vec<Resolved>],
    /// Output paths.
    pub plan: &'a Plan,
    /// Snippet output to insert after a code block: (note, code block index) → markdown.
    pub snippets: &'a HashMap<(NoteId, usize), String>,
    /// Whether inline tags link to the tag index page.
    pub tag_links: bool,
    /// Per note: the HTML appended at the end of its page (backlinks), if any.
    pub footers: &'a [String],
    /// mdBook's markdown options, to sanitise the page's HTML with; `None` keeps it as written
    /// (`[vaultbook] raw-html`, or a page that is not written).
    pub sanitize: Option<pulldown_cmark::Options>,
}

/// An assembled chapter, before heading ids are known.
#[derive(Debug, Clone, Default)]
pub(crate) struct Page {
    /// The note.
    pub note: NoteId,
    /// Its output path.
    pub path: String,
    /// Which part of its note it is, when the plan cut the note into several chapters.
    pub part: Option<usize>,
    /// The markdown, with `vaultbook-ref:N` placeholders.
    pub text: String,
    /// Per heading of the note: where it starts in `text`.
    pub own_headings: Vec<usize>,
    /// Placeholder targets.
    pub refs: Vec<Ref>,
    /// Attachments the page uses.
    pub attachments: Vec<AttId>,
    /// Embed cycles and depth overruns.
    pub diagnostics: Vec<Diagnostic>,
    /// Whether the page has `$math$` (the math stylesheet and font are shipped).
    pub uses_math: bool,
    /// The MathML of the page's formulas, in the order of their marks.
    math: Vec<String>,
    /// Whether the page has mermaid diagrams (the script is shipped).
    pub uses_mermaid: bool,
    /// Inline footnotes met so far, numbered from 1 in this order.
    footnotes: Vec<Footnote>,
    /// The title heading added above the note's text, if any.
    pub title: Option<String>,
    /// Embeds made so far, and the bytes they brought.
    embeds: usize,
    embedded_bytes: usize,
    /// Whether mdBook will see exactly the note's own headings (and the title): no embed, and
    /// nothing rewritten inside a heading. Then the first parse's heading texts give the ids,
    /// and the page need not be parsed again.
    pub exact_headings: bool,
}

/// What a `vaultbook-ref:N` placeholder points at.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum Ref {
    /// A place in a note's chapter.
    Note(NoteId, Anchor),
    /// A tag's entry on the tag index page (the tag lowercased).
    Tag(String),
}

/// An inline footnote `^[text]`, whose text is written out at the end of the page.
#[derive(Debug, Clone)]
struct Footnote {
    /// The note the footnote is written in (an embedded one, perhaps).
    note: NoteId,
    /// The footnote's text.
    text: Range<usize>,
}

impl Page {
    /// What a build's page memo keeps of a page on disk (see [`crate::emit::memo`]): all that
    /// the book needs of a page reused whole, but not its text, so that filling its
    /// placeholders again means assembling it again.
    pub(crate) fn skeleton(
        note: NoteId,
        path: String,
        refs: Vec<Ref>,
        attachments: Vec<AttId>,
        uses_math: bool,
        uses_mermaid: bool,
    ) -> Page {
        Page {
            note,
            path,
            refs,
            attachments,
            uses_math,
            uses_mermaid,
            ..Page::default()
        }
    }
}

/// How many chapters `note` is: its parts, or one.
pub(crate) fn page_count(ctx: &Context, note: NoteId) -> usize {
    ctx.plan.parts(note).len().max(1)
}

/// Assembles chapter `part` of `note` (0 for a note that is one page; see
/// [`super::parts`]): its title heading and its footer go on its first and last parts.
pub(crate) fn assemble(ctx: &Context, note: NoteId, part: usize) -> Page {
    let n = &ctx.notes[note];
    let parts = ctx.plan.parts(note);
    let (range, path) = match parts.get(part) {
        Some(p) => {
            let end = parts.get(part + 1).map_or(n.text.len(), |next| next.start);
            (p.start..end, p.path.clone())
        }
        None => (
            n.body..n.text.len(),
            ctx.plan.chapter[note].clone().unwrap_or_default(),
        ),
    };
    let last = part + 1 >= parts.len();
    let mut page = Page {
        note,
        path,
        part: (!parts.is_empty()).then_some(part),
        own_headings: vec![usize::MAX; n.syntax.headings.len()],
        // The first parse's ids are those of the whole note: a part's are its own.
        exact_headings: parts.is_empty(),
        ..Page::default()
    };
    // Obsidian shows the title above every note; a page without an H1 gets one. An mdBook's
    // chapter is shown as its author wrote it.
    // A part cut between paragraphs would open with no heading at all.
    let title = if part == 0 {
        let untitled = !n.syntax.headings.iter().any(|h| h.level == 1);
        (!ctx.plan.from_mdbook && untitled).then_some(&n.title)
    } else {
        parts
            .get(part)
            .filter(|p| !p.opens_with_heading)
            .map(|p| &p.title)
    };
    if let Some(title) = title {
        let title = format!("# {}\n", escape_text(title));
        page.text.push_str(&title);
        page.text.push('\n');
        page.title = Some(title);
    }
    if !n.frontmatter.cssclasses.is_empty() {
        page.text.push_str(&format!(
            "<div data-vb-cssclasses=\"{}\" hidden></div>\n\n",
            html_escape(&n.frontmatter.cssclasses.join(" "))
        ));
    }
    let mut stack = vec![(note, Anchor::None)];
    let mut out = std::mem::take(&mut page.text);
    emit_range(ctx, &mut page, &mut out, note, range, true, &mut stack);
    // Inline footnotes become ordinary ones, defined at the end; a footnote may hold another.
    let mut done = 0;
    while done < page.footnotes.len() {
        let Footnote { note: from, text } = page.footnotes[done].clone();
        done += 1;
        let mut body = String::new();
        emit_range(ctx, &mut page, &mut body, from, text, false, &mut stack);
        end_line(&mut out);
        out.push_str(&format!("\n[^vb-fn-{done}]: {}\n", body.replace('\n', " ")));
    }
    // The backlinks footer is vaultbook's own HTML (titles escaped): it needs no pass, and
    // is most of a much-linked page's tags.
    if let Some(options) = ctx.sanitize {
        let (clean, changed) = crate::sanitize::clean(out, options);
        out = clean;
        if changed {
            page.exact_headings = false;
        }
    }
    if !page.math.is_empty() {
        out = put_math(&out, &page.math);
    }
    let footer = &ctx.footers[note];
    if last && !footer.is_empty() {
        end_line(&mut out);
        out.push('\n');
        out.push_str(footer);
    }
    // mdBook's own `{{#include}}` would read files named in a note: written literally instead.
    // In an mdBook's own chapters it has run already (mdBook's `links` preprocessor comes
    // first), and what is left is text its author escaped; another backslash would show in code.
    page.text = if !ctx.plan.from_mdbook && out.contains("{{#") {
        out.replace("{{#", "\\{{#")
    } else {
        out
    };
    page
}

/// `text` with each formula mark replaced by its MathML (a mark with no formula stays as text).
fn put_math(text: &str, math: &[String]) -> String {
    let mut out = String::with_capacity(text.len() + math.iter().map(String::len).sum::<usize>());
    let mut rest = text;
    while let Some(i) = rest.find(MATH_MARK) {
        out.push_str(&rest[..i]);
        let after = &rest[i + MATH_MARK.len_utf8()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let formula = after[digits..]
            .starts_with(MATH_MARK)
            .then(|| after[..digits].parse::<usize>().ok())
            .flatten()
            .and_then(|n| math.get(n));
        match formula {
            Some(m) => {
                out.push_str(m);
                rest = &after[digits + MATH_MARK.len_utf8()..];
            }
            None => {
                out.push(MATH_MARK);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}
