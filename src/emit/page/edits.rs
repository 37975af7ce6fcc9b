//! The edits of a range of a note: the spans to rewrite, found per kind of syntax, then made in
//! one pass over the text.

use std::cmp::Reverse;
use std::ops::Range;

use super::embeds::{emit_link, image_tag};
use super::markup::{
    at_line_start, capitalize, continuation_prefix, end_line, escape_math, escape_text,
    inline_html, with_prefix,
};
use super::{Context, Footnote, MATH_MARK, Page, REF_SCHEME, Ref};
use crate::links::{Anchor, NoteId};
use crate::syntax::Syntax;
use crate::templates::html_escape;

/// One rewrite of the note's text.
struct Edit {
    /// The bytes replaced; empty for an insertion.
    at: Range<usize>,
    /// Its place among edits that start at the same byte.
    order: Order,
    kind: EditKind,
}

/// Where an edit goes among edits that start at the same byte: variants sort in the order they
/// are declared. An edit that starts inside one made before it is dropped, so that the first of
/// overlapping edits wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Order {
    /// A callout's end, by where the callout starts: inner callouts (later starts) close first.
    CalloutEnd(Reverse<usize>),
    /// Zero-width, before what starts here: block anchors and heading marks.
    Before,
    /// A span replaced.
    Replace,
    /// Zero-width, after what ends here: snippet output after its code block.
    After,
}

enum EditKind {
    /// Replace the span with a link, embed or broken marker (index into `syntax.links`).
    Link(usize),
    /// Replace the span with this text.
    Text(String),
    /// Record where own heading N starts (zero width).
    HeadingMark(usize),
    /// Insert snippet output after code block N (zero width at the block's end).
    Snippet(usize),
    /// Close a callout (zero width at the quote's end): the closing tag and the quote's
    /// continuation prefix.
    CalloutEnd(&'static str, String),
    /// A tag, linked to its entry on the tag index page.
    Tag(String),
    /// An inline footnote (index into `syntax.inline_footnotes`).
    Footnote(usize),
    /// A callout's opening: the tags before and after its title, and the title's markdown in
    /// parts, the links among them written when the edit is made (they need the page's refs).
    CalloutOpen {
        before: String,
        title: Vec<TitlePart>,
        after: String,
    },
}

/// A piece of a callout's title.
enum TitlePart {
    /// Markdown as written.
    Text(String),
    /// A link (index into `syntax.links`), written as a markdown link to its target.
    Link(usize),
}

/// The range being written and the edits found in it so far.
struct Edits<'a> {
    text: &'a str,
    syn: &'a Syntax,
    range: Range<usize>,
    /// Whether this is the note's own page (not an embed or a footnote): only then are block
    /// anchors and heading marks written.
    own: bool,
    list: Vec<Edit>,
}

/// Writes `range` of `note` into `out`, rewriting what lies in it.
pub(super) fn emit_range(
    ctx: &Context,
    page: &mut Page,
    out: &mut String,
    note: NoteId,
    range: Range<usize>,
    own: bool,
    stack: &mut Vec<(NoteId, Anchor)>,
) {
    let n = &ctx.notes[note];
    let mut edits = Edits {
        text: &n.text,
        syn: &n.syntax,
        range,
        own,
        list: Vec::new(),
    };
    // Edits of equal start, order and end are made in the order found: keep this order.
    edits.links();
    edits.comments();
    edits.highlights();
    edits.block_ids();
    edits.callouts();
    edits.math(page, &n.math);
    edits.footnotes();
    edits.mermaid(page);
    edits.tasks();
    edits.sized_images();
    if ctx.tag_links {
        edits.tags();
    }
    edits.heading_marks();
    edits.snippets(ctx, note);
    edits.apply(ctx, page, out, note, stack);
}

impl Edits<'_> {
    fn inside(&self, r: &Range<usize>) -> bool {
        self.range.start <= r.start && r.end <= self.range.end
    }

    fn push(&mut self, at: Range<usize>, order: Order, kind: EditKind) {
        self.list.push(Edit { at, order, kind });
    }

    fn replace(&mut self, at: Range<usize>, text: impl Into<String>) {
        self.push(at, Order::Replace, EditKind::Text(text.into()));
    }

    fn insert_before(&mut self, at: usize, text: String) {
        self.push(at..at, Order::Before, EditKind::Text(text));
    }

    fn links(&mut self) {
        for (i, l) in self.syn.links.iter().enumerate() {
            if self.inside(&l.span) {
                self.push(l.span.clone(), Order::Replace, EditKind::Link(i));
            }
        }
    }

    fn comments(&mut self) {
        for c in &self.syn.comments {
            if self.inside(c) {
                self.replace(c.clone(), "");
            }
        }
    }

    fn highlights(&mut self) {
        for h in &self.syn.highlights {
            if self.inside(&h.open) && self.inside(&h.close) {
                self.replace(h.open.clone(), "<mark>");
                self.replace(h.close.clone(), "</mark>");
            }
        }
    }

    fn block_ids(&mut self) {
        let syn = self.syn;
        for (i, b) in syn.blocks.iter().enumerate() {
            if !self.inside(&b.marker) {
                continue;
            }
            let anchor = format!("<a id=\"^{}\"></a>", html_escape(&b.id));
            // Only the first of equal ids is an anchor (links resolve to it).
            let repeated = syn.blocks[..i]
                .iter()
                .any(|o| o.id.eq_ignore_ascii_case(&b.id));
            if !self.own || repeated {
                self.replace(b.marker.clone(), "");
                continue;
            }
            match b.inline_anchor {
                Some(at) if at <= b.marker.start => {
                    self.insert_before(at, anchor);
                    self.replace(b.marker.clone(), "");
                }
                _ if at_line_start(self.text, b.block.start)
                    && b.block.start >= self.range.start =>
                {
                    self.insert_before(b.block.start, format!("{anchor}\n\n"));
                    self.replace(b.marker.clone(), "");
                }
                _ => self.replace(b.marker.clone(), format!("{anchor}\n")),
            }
        }
    }

    fn callouts(&mut self) {
        for c in &self.syn.callouts {
            if !self.inside(&c.range) {
                continue;
            }
            let prefix = continuation_prefix(self.text, c.range.start);
            let title = self.title_parts(c);
            let kind = html_escape(&c.kind);
            let (before, after, close) = match c.fold {
                Some(f) => (
                    format!(
                        "<details class=\"callout\" data-callout=\"{kind}\"{}>\n{prefix}<summary class=\"callout-title\">",
                        if f == '+' { " open" } else { "" }
                    ),
                    format!("</summary>\n{prefix}\n"),
                    "</details>",
                ),
                None => (
                    format!(
                        "<div class=\"callout\" data-callout=\"{kind}\">\n{prefix}<div class=\"callout-title\">"
                    ),
                    format!("</div>\n{prefix}\n"),
                    "</div>",
                ),
            };
            self.push(
                c.header.clone(),
                Order::Replace,
                EditKind::CalloutOpen {
                    before,
                    title,
                    after,
                },
            );
            self.push(
                c.range.end..c.range.end,
                Order::CalloutEnd(Reverse(c.range.start)),
                EditKind::CalloutEnd(close, prefix),
            );
        }
    }

    /// A callout's title in parts: its text, and the links written in it (which the title's
    /// HTML must carry as links, as Obsidian shows them), or the kind when it has no title.
    fn title_parts(&self, c: &crate::syntax::callouts::Callout) -> Vec<TitlePart> {
        let Some(title) = &c.title else {
            return vec![TitlePart::Text(capitalize(&c.kind))];
        };
        let header = &self.text[c.header.clone()];
        let Some(offset) = header.find(title.as_str()) else {
            return vec![TitlePart::Text(title.clone())];
        };
        let start = c.header.start + offset;
        let end = start + title.len();
        let mut parts = Vec::new();
        let mut pos = start;
        for (i, l) in self.syn.links.iter().enumerate() {
            if l.span.start < pos || l.span.end > end || l.kind.is_embed() {
                continue;
            }
            parts.push(TitlePart::Text(self.text[pos..l.span.start].to_string()));
            parts.push(TitlePart::Link(i));
            pos = l.span.end;
        }
        parts.push(TitlePart::Text(self.text[pos..end].to_string()));
        parts
    }

    /// Math typeset to MathML now; the page holds a mark where it goes (see
    /// [`super::MATH_MARK`]), so that the sanitiser, which knows no MathML, never sees it. A
    /// formula that cannot be typeset shows its source (the note's diagnostics say why).
    fn math(&mut self, page: &mut Page, typeset: &[Result<String, String>]) {
        for (m, typeset) in self.syn.math.iter().zip(typeset) {
            if !self.inside(&m.span) {
                continue;
            }
            let text = match typeset {
                Ok(mathml) => {
                    page.math.push(mathml.clone());
                    format!("{MATH_MARK}{}{MATH_MARK}", page.math.len() - 1)
                }
                Err(why) => format!(
                    "<code class=\"vb-math-error\" title=\"{}\">{}</code>",
                    html_escape(why),
                    escape_math(&self.text[m.span.clone()])
                ),
            };
            self.replace(m.span.clone(), text);
            page.uses_math = true;
        }
    }

    fn footnotes(&mut self) {
        for (i, f) in self.syn.inline_footnotes.iter().enumerate() {
            if self.inside(&f.span) {
                self.push(f.span.clone(), Order::Replace, EditKind::Footnote(i));
            }
        }
    }

    fn mermaid(&mut self, page: &mut Page) {
        for c in &self.syn.code_blocks {
            if self.inside(&c.range) && c.info.split_whitespace().next() == Some("mermaid") {
                let prefix = continuation_prefix(self.text, c.range.start);
                let html = format!(
                    "<pre class=\"mermaid\">{}</pre>\n",
                    html_escape(c.code.trim_end())
                );
                self.replace(c.range.clone(), with_prefix(&html, &prefix));
                page.uses_mermaid = true;
            }
        }
    }

    /// Task states pulldown-cmark does not know become the checkbox Obsidian shows (checked
    /// for anything but a space), the state kept in `data-task` for themes to style.
    fn tasks(&mut self) {
        for t in &self.syn.tasks {
            if self.inside(&t.marker) {
                let state = html_escape(&t.state.to_string());
                let input = format!(
                    "<input type=\"checkbox\" class=\"task-list-item-checkbox\" disabled checked data-task=\"{state}\">"
                );
                self.replace(t.marker.clone(), input);
            }
        }
    }

    /// Images outside the vault whose alt text sets a size (`![alt|250](https://…)`), which
    /// mdBook would show at their own size with the size as alt text.
    fn sized_images(&mut self) {
        for i in &self.syn.sized_images {
            if self.inside(&i.span) {
                let html = image_tag(&html_escape(&i.url), &i.alt, &i.title, Some(i.size));
                self.replace(i.span.clone(), html);
            }
        }
    }

    fn tags(&mut self) {
        for t in &self.syn.tags {
            if self.inside(&t.range) {
                let kind = EditKind::Tag(t.name.clone());
                self.push(t.range.clone(), Order::Replace, kind);
            }
        }
    }

    fn heading_marks(&mut self) {
        if !self.own {
            return;
        }
        for (i, h) in self.syn.headings.iter().enumerate() {
            if self.inside(&h.range) {
                let at = h.range.start;
                self.push(at..at, Order::Before, EditKind::HeadingMark(i));
            }
        }
    }

    fn snippets(&mut self, ctx: &Context, note: NoteId) {
        for (i, c) in self.syn.code_blocks.iter().enumerate() {
            if self.inside(&c.range) && ctx.snippets.contains_key(&(note, i)) {
                let at = c.range.end;
                self.push(at..at, Order::After, EditKind::Snippet(i));
            }
        }
    }

    /// Whether an edit other than a heading mark touches a heading or definition term: mdBook
    /// then sees other text there than the first parse did.
    fn touch_id_elems(&self) -> bool {
        // Headings and definition terms are blocks: in order and apart, so an edit touches one
        // when the last that starts before the edit ends reaches past its start. (Each edit
        // against each element took minutes for a note of 80,000 headings and 800,000 links.)
        let elems = &self.syn.id_elems;
        debug_assert!(elems.windows(2).all(|w| w[0].range.end <= w[1].range.start));
        self.list.iter().any(|e| {
            let end = e.at.end.max(e.at.start + 1);
            let before = elems.partition_point(|el| el.range.start < end);
            !matches!(e.kind, EditKind::HeadingMark(_))
                && before > 0
                && elems[before - 1].range.end > e.at.start
        })
    }

    /// Writes the range with the edits made.
    fn apply(
        mut self,
        ctx: &Context,
        page: &mut Page,
        out: &mut String,
        note: NoteId,
        stack: &mut Vec<(NoteId, Anchor)>,
    ) {
        self.list.sort_by_key(|e| (e.at.start, e.order, e.at.end));
        if self.own && page.exact_headings && self.touch_id_elems() {
            page.exact_headings = false;
        }
        let (text, syn) = (self.text, self.syn);
        let mut pos = self.range.start;
        for Edit { at, kind, .. } in self.list {
            if at.start < pos {
                // Overlaps an edit already made (a link inside a callout title, say): keep the first.
                continue;
            }
            out.push_str(&text[pos..at.start]);
            pos = at.end;
            match kind {
                EditKind::Text(t) => out.push_str(&t),
                EditKind::CalloutOpen {
                    before,
                    title,
                    after,
                } => {
                    let mut md = String::new();
                    for part in title {
                        match part {
                            TitlePart::Text(t) => md.push_str(&t),
                            TitlePart::Link(i) => emit_link(ctx, page, &mut md, note, i, stack),
                        }
                    }
                    out.push_str(&before);
                    out.push_str(&inline_html(&md));
                    out.push_str(&after);
                }
                EditKind::HeadingMark(i) => page.own_headings[i] = out.len(),
                EditKind::Link(i) => emit_link(ctx, page, out, note, i, stack),
                EditKind::Footnote(i) => {
                    page.footnotes.push(Footnote {
                        note,
                        text: syn.inline_footnotes[i].text.clone(),
                    });
                    out.push_str(&format!("[^vb-fn-{}]", page.footnotes.len()));
                }
                EditKind::Tag(name) => {
                    page.refs.push(Ref::Tag(name.to_lowercase()));
                    out.push_str(&format!(
                        "[#{}]({REF_SCHEME}{})",
                        escape_text(&name),
                        page.refs.len() - 1
                    ));
                }
                EditKind::Snippet(i) => {
                    let md = &ctx.snippets[&(note, i)];
                    end_line(out);
                    let prefix = continuation_prefix(text, syn.code_blocks[i].range.start);
                    out.push_str(&prefix);
                    out.push('\n');
                    out.push_str(&prefix);
                    out.push_str(&with_prefix(md, &prefix));
                    end_line(out);
                }
                EditKind::CalloutEnd(close, prefix) => {
                    end_line(out);
                    out.push_str(&format!("{prefix}\n{prefix}{close}\n{prefix}\n"));
                }
            }
        }
        out.push_str(&text[pos..self.range.end]);
    }
}
