//! The single pass over a note's markdown events: `Walker` follows the block structure and
//! hands each piece of syntax to its recogniser (links, blocks, callouts, headings, inline).

use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, LinkType, Tag as MdTag, TagEnd};

use super::blocks::{self, BlockId, CodeBlock, Open};
use super::callouts::{self, Callout};
use super::headings::{Heading, IdElem, OpenHeading, OpenIdElem};
use super::inline::{self, Highlight, InlineFootnote, Marks, Math, Tag};
use super::links::{Link, PendingLink, SizedImage};
use super::options::MdbookMarkdown;
use super::tasks::{self, Task};
use crate::codes::Code;

/// Everything Obsidian-specific found in one note. All ranges are byte ranges of the note's text.
#[derive(Debug, Clone, Default)]
pub struct Syntax {
    /// Headings in document order.
    pub headings: Vec<Heading>,
    /// Links and embeds in document order (not those inside code or comments).
    pub links: Vec<Link>,
    /// Block ids (`^id`).
    pub blocks: Vec<BlockId>,
    /// Fenced and indented code blocks.
    pub code_blocks: Vec<CodeBlock>,
    /// Inline `#tags`.
    pub tags: Vec<Tag>,
    /// `%%comments%%`, markers included.
    pub comments: Vec<Range<usize>>,
    /// `==highlight==` marker pairs.
    pub highlights: Vec<Highlight>,
    /// `> [!type]` callouts.
    pub callouts: Vec<Callout>,
    /// `$inline$` and `$$display$$` math.
    pub math: Vec<Math>,
    /// Inline footnotes `^[text]`.
    pub inline_footnotes: Vec<InlineFootnote>,
    /// List items with a task state of Obsidian's (`- [/]`) that pulldown-cmark shows as text.
    pub tasks: Vec<Task>,
    /// Images outside the vault whose alt text sets their size.
    pub sized_images: Vec<SizedImage>,
    /// The elements mdBook gives ids to (headings and definition terms), in order, with the
    /// text they render to as far as this parse can tell.
    pub id_elems: Vec<IdElem>,
    /// Malformed syntax (unclosed or empty wikilinks).
    pub problems: Vec<Problem>,
    /// What sanitising the note's raw HTML and link URLs removes (found in this same parse).
    pub(crate) unsafe_html: Vec<crate::sanitize::Finding>,
}

/// Syntax that Obsidian would not turn into a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where.
    pub range: Range<usize>,
    /// [`Code::UnclosedWikilink`] or [`Code::EmptyLink`].
    pub code: Code,
    /// What is wrong.
    pub message: String,
}

/// Scans `text` from byte `start` (after the frontmatter) with mdBook's markdown options.
pub fn parse(text: &str, start: usize, md: MdbookMarkdown) -> Syntax {
    parse_in_pieces(text, start, md, super::pieces::PIECE)
}

/// [`parse`], a long text parsed in pieces of about `piece` bytes ([`super::pieces`]): the
/// same result for any `piece`, which the tests hold to.
pub fn parse_in_pieces(text: &str, start: usize, md: MdbookMarkdown, piece: usize) -> Syntax {
    let mut w = Walker::new(text);
    super::pieces::events(text, start, md.note_options(), piece, |event, range| {
        w.event(event, range)
    });
    w.finish()
}

struct Walker<'a> {
    text: &'a str,
    out: Syntax,
    /// The sanitiser's audit, reading the same events.
    html: crate::sanitize::Pass<'a>,
    /// Contiguous text events being merged (pulldown-cmark splits text at `[`, `^`, `*`…).
    run: Option<Range<usize>>,
    /// The last text run of the current block, if nothing but text followed it.
    tail: Option<Range<usize>>,
    /// Open block containers (paragraphs, items, quotes, …).
    blocks: Vec<Open>,
    /// The last closed block at each depth, for standalone block ids.
    prev_block: Vec<Option<Range<usize>>>,
    /// Inside a link or image.
    link: Option<PendingLink>,
    /// Inside a heading.
    heading: Option<OpenHeading>,
    /// Inside a code block: the block, its code read so far.
    code: Option<CodeBlock>,
    /// The heading or definition term being read.
    id_elem: Option<OpenIdElem>,
    /// `%%` markers and `==` markers seen in text, in order.
    marks: Marks,
    /// The task marker the list item just opened seems to start with, until its first event.
    task: Option<Task>,
}

impl<'a> Walker<'a> {
    fn new(text: &'a str) -> Walker<'a> {
        Walker {
            text,
            out: Syntax::default(),
            html: crate::sanitize::Pass::new(text),
            run: None,
            tail: None,
            blocks: Vec::new(),
            prev_block: vec![None],
            link: None,
            heading: None,
            id_elem: None,
            code: None,
            marks: Marks::default(),
            task: None,
        }
    }

    fn depth(&self) -> usize {
        self.blocks.len()
    }

    fn note_inline(&mut self, at: usize) {
        if let Some(b) = self.blocks.last_mut()
            && b.first_inline.is_none()
        {
            b.first_inline = Some(at);
        }
    }

    /// Inline content at `range`: the block's first, perhaps, and part of an open heading.
    fn inline_content(&mut self, range: &Range<usize>) {
        self.note_inline(range.start);
        if let Some(h) = &mut self.heading {
            h.content(range);
        }
    }

    fn event(&mut self, event: Event<'a>, range: Range<usize>) {
        self.html.event(&event, range.clone());
        if self.task.is_some() {
            self.confirm_task(&event, &range);
        }
        if let Some(e) = &mut self.id_elem {
            e.event(&event);
        }
        match event {
            Event::Text(t) => {
                if let Some(c) = &mut self.code {
                    c.code.push_str(&t);
                    return;
                }
                self.inline_content(&range);
                if let Some(l) = &mut self.link {
                    l.label(&range);
                    return;
                }
                // Only text that is the source verbatim can be scanned by offset (escapes and
                // entities make the two differ).
                if self.text.get(range.clone()) != Some(&*t) {
                    self.flush();
                    return;
                }
                match &mut self.run {
                    Some(r) if r.end == range.start => r.end = range.end,
                    _ => {
                        self.flush();
                        self.run = Some(range);
                    }
                }
            }
            Event::Start(tag) => self.start(tag, range),
            Event::End(tag) => self.end(tag, range),
            Event::InlineMath(m) | Event::DisplayMath(m) if self.link.is_none() => {
                let display = self.text[range.clone()].starts_with("$$");
                self.out.math.push(Math {
                    span: range.clone(),
                    content: m.to_string(),
                    display,
                });
                self.inline_content(&range);
                self.flush();
                self.tail = None;
            }
            other => {
                // Code spans, inline HTML, breaks, footnote references: inline content that
                // is not scanned, but does end a text run.
                let inline = !matches!(other, Event::Rule | Event::Html(_));
                if inline {
                    self.inline_content(&range);
                    if let Some(l) = &mut self.link {
                        l.label(&range);
                    }
                }
                self.flush();
                self.tail = None;
            }
        }
    }

    fn start(&mut self, tag: MdTag<'a>, range: Range<usize>) {
        self.flush();
        match tag {
            MdTag::Link {
                link_type,
                dest_url,
                title,
                ..
            }
            | MdTag::Image {
                link_type,
                dest_url,
                title,
                ..
            } => {
                let image = self.text[range.clone()].starts_with('!');
                self.inline_content(&range);
                if self.link.is_none() {
                    self.link = PendingLink::open(self.text, range.clone(), link_type, &dest_url);
                }
                if self.link.is_none() && link_type == LinkType::Inline && image {
                    self.link = Some(PendingLink::external_image(range, &dest_url, &title));
                }
                self.tail = None;
            }
            MdTag::Heading { level, id, .. } => {
                self.open_block(false);
                let id = id.map(|i| i.to_string());
                self.id_elem = Some(OpenIdElem::new(range.start, id.clone()));
                self.heading = Some(OpenHeading::new(level as u8, range, id));
            }
            MdTag::CodeBlock(kind) => {
                self.open_block(false);
                let info = match kind {
                    CodeBlockKind::Fenced(info) => info.trim().to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some(CodeBlock {
                    range,
                    info,
                    code: String::new(),
                });
            }
            MdTag::BlockQuote(_) => {
                self.open_block(false);
                self.out
                    .callouts
                    .extend(callouts::callout(self.text, range));
            }
            MdTag::Item => {
                self.open_block(true);
                self.task = tasks::marker(self.text, range.start);
            }
            MdTag::List(_) => {
                // Text of an item followed by a nested list ends the item's own text.
                self.check_block_id();
                self.open_block(false);
            }
            MdTag::Paragraph
            | MdTag::Table(_)
            | MdTag::HtmlBlock
            | MdTag::FootnoteDefinition(_)
            | MdTag::DefinitionList
            | MdTag::DefinitionListDefinition => self.open_block(false),
            MdTag::DefinitionListTitle => {
                self.open_block(false);
                self.id_elem = Some(OpenIdElem::new(range.start, None));
            }
            MdTag::Emphasis | MdTag::Strong | MdTag::Strikethrough => {
                self.note_inline(range.start);
                if let Some(h) = &mut self.heading {
                    h.markup_starts(range.start);
                }
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd, range: Range<usize>) {
        if let Some(h) = &mut self.heading
            && matches!(
                tag,
                TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link
            )
        {
            h.markup_ends(range.end);
        }
        match tag {
            TagEnd::Link | TagEnd::Image => {
                self.flush();
                if let Some(l) = self.link.take() {
                    if l.is_external() {
                        self.out.sized_images.extend(l.finish_sized(self.text));
                        self.tail = None;
                        return;
                    }
                    match l.finish(self.text, self.heading.is_some()) {
                        Ok(link) => self.out.links.push(link),
                        Err(problem) => self.out.problems.push(problem),
                    }
                }
                self.tail = None;
                return;
            }
            TagEnd::Heading(_) => {
                self.flush();
                if let Some(h) = self.heading.take() {
                    let heading = h.finish(self.text);
                    if let Some(e) = self.id_elem.take() {
                        let index = self.out.headings.len();
                        self.out
                            .id_elems
                            .push(e.finish(heading.range.clone(), Some(index)));
                    }
                    self.out.headings.push(heading);
                }
                self.tail = None;
                self.close_block(range);
                return;
            }
            TagEnd::CodeBlock => {
                if let Some(c) = self.code.take() {
                    self.out.code_blocks.push(c);
                }
                self.close_block(range);
                return;
            }
            _ => {}
        }
        self.flush();
        match tag {
            TagEnd::Paragraph | TagEnd::Item => {
                self.check_block_id();
                self.pair_highlights();
                self.close_block(range);
            }
            TagEnd::TableCell => self.pair_highlights(),
            TagEnd::DefinitionListTitle => {
                if let Some(e) = self.id_elem.take() {
                    let start = e.start();
                    self.out.id_elems.push(e.finish(start..range.end, None));
                }
                self.pair_highlights();
                self.close_block(range);
            }
            TagEnd::BlockQuote(_)
            | TagEnd::List(_)
            | TagEnd::Table
            | TagEnd::HtmlBlock
            | TagEnd::FootnoteDefinition
            | TagEnd::DefinitionList
            | TagEnd::DefinitionListDefinition => {
                self.pair_highlights();
                self.close_block(range);
            }
            _ => {}
        }
        self.tail = None;
    }

    fn open_block(&mut self, is_item: bool) {
        self.tail = None;
        self.blocks.push(Open {
            first_inline: None,
            is_item,
        });
        if self.prev_block.len() <= self.blocks.len() {
            self.prev_block.push(None);
        }
        // A new container starts with no previous sibling inside it.
        let d = self.blocks.len();
        self.prev_block[d] = None;
    }

    fn close_block(&mut self, range: Range<usize>) {
        self.blocks.pop();
        let d = self.depth();
        if d < self.prev_block.len() {
            self.prev_block[d] = Some(range);
        }
    }

    /// The first event of a list item that seemed to open with a task marker: the marker is one
    /// if the item's text starts there (a loose item's paragraph comes first).
    fn confirm_task(&mut self, event: &Event<'a>, range: &Range<usize>) {
        let Some(task) = self.task.take() else { return };
        match event {
            Event::Start(MdTag::Paragraph) => self.task = Some(task),
            Event::Text(_) if range.start == task.marker.start => self.out.tasks.push(task),
            _ => {}
        }
    }

    /// Called where a paragraph or an item's own text ends: is the last text `^id`?
    fn check_block_id(&mut self) {
        self.flush();
        let Some(tail) = self.tail.take() else { return };
        let Some(open) = self.blocks.last() else {
            return;
        };
        // The paragraph itself is open: its siblings closed one level up.
        let d = self.depth().saturating_sub(1);
        let prev = self.prev_block.get(d).cloned().flatten();
        self.out
            .blocks
            .extend(blocks::block_id(self.text, tail, open, prev));
    }

    /// Scans a finished text run for tags, markers and stray `[[`.
    fn flush(&mut self) {
        let Some(run) = self.run.take() else { return };
        self.tail = Some(run.clone());
        let in_heading = self.heading.is_some();
        inline::scan_run(self.text, run, in_heading, &mut self.marks, &mut self.out);
    }

    fn pair_highlights(&mut self) {
        let marks = std::mem::take(&mut self.marks.highlights);
        inline::pair_highlights(self.text, marks, &mut self.out.highlights);
    }

    fn finish(mut self) -> Syntax {
        self.flush();
        let html = std::mem::replace(&mut self.html, crate::sanitize::Pass::new(""));
        self.out.unsafe_html = html.finish().1;
        let comments = inline::pair_comments(&self.marks.comments, self.text.len());
        // Comments are in order and do not overlap: the one that could hold `r` is the last to
        // start at or before it (a binary search, so a note of many comments stays linear).
        let hidden = |r: &Range<usize>| {
            let i = comments.partition_point(|c| c.start <= r.start);
            i > 0 && r.end <= comments[i - 1].end
        };
        let out = &mut self.out;
        out.links.retain(|l| !hidden(&l.span));
        out.tags.retain(|t| !hidden(&t.range));
        // `%%…%%` comments are left out of the book, their HTML too.
        out.unsafe_html.retain(|f| !hidden(&f.range));
        if !comments.is_empty() {
            // Headings in comments go, and the id elements' heading indices follow.
            let mut kept = 0;
            let mut new_index = Vec::with_capacity(out.headings.len());
            for h in &out.headings {
                new_index.push((!hidden(&h.range)).then(|| {
                    kept += 1;
                    kept - 1
                }));
            }
            out.headings.retain(|h| !hidden(&h.range));
            out.id_elems.retain(|e| !hidden(&e.range));
            for e in &mut out.id_elems {
                e.heading = e.heading.and_then(|i| new_index[i]);
            }
        }
        out.blocks.retain(|b| !hidden(&b.marker));
        out.problems.retain(|p| !hidden(&p.range));
        out.highlights.retain(|h| !hidden(&h.open));
        out.code_blocks.retain(|c| !hidden(&c.range));
        out.math.retain(|m| !hidden(&m.span));
        out.inline_footnotes.retain(|f| !hidden(&f.span));
        out.tasks.retain(|t| !hidden(&t.marker));
        out.sized_images.retain(|i| !hidden(&i.span));
        out.comments = comments;
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{Fragment, LinkKind};

    fn p(s: &str) -> Syntax {
        parse(s, 0, MdbookMarkdown::default())
    }

    #[test]
    fn finds_wikilinks_with_spans_and_labels() {
        let s = "A [[Utils#What is a **Process**?]] and [[Utils#Execution|execution]]**** x\n";
        let syn = p(s);
        assert_eq!(syn.links.len(), 2);
        assert_eq!(
            &s[syn.links[0].span.clone()],
            "[[Utils#What is a **Process**?]]"
        );
        assert_eq!(syn.links[1].label.as_deref(), Some("execution"));
        assert_eq!(syn.links[1].target.path, "Utils");
    }

    #[test]
    fn table_pipes_and_embeds() {
        let s = "| a |\n|---|\n| [[Note#H\\|alias]] |\n\n![[Note#Sec]] ![[pic.png|100x20]]\n";
        let syn = p(s);
        assert_eq!(
            syn.links[0].target.fragment,
            Fragment::Headings(vec!["H".into()])
        );
        assert_eq!(syn.links[0].label.as_deref(), Some("alias"));
        assert_eq!(syn.links[1].kind, LinkKind::WikiEmbed);
        assert_eq!(syn.links[2].label.as_deref(), Some("100x20"));
    }

    #[test]
    fn code_is_literal() {
        let s = "`[[code]]`\n\n```rust\nlet x = \"[[no]]\"; // #notatag\n```\n";
        let syn = p(s);
        assert!(syn.links.is_empty());
        assert!(syn.tags.is_empty());
        assert_eq!(syn.code_blocks[0].info, "rust");
        assert_eq!(syn.code_blocks[0].code, "let x = \"[[no]]\"; // #notatag\n");
    }

    #[test]
    fn block_ids() {
        let s = "text here ^abc\n\n- item ^def\n- other\n\n| t |\n|---|\n| x |\n\n^tbl\n";
        let syn = p(s);
        let ids: Vec<_> = syn.blocks.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(ids, ["abc", "def", "tbl"]);
        assert_eq!(&s[syn.blocks[0].marker.clone()], " ^abc");
        assert_eq!(syn.blocks[0].inline_anchor, Some(0));
        assert_eq!(&s[syn.blocks[1].marker.clone()], " ^def");
        assert!(s[syn.blocks[2].block.clone()].starts_with("| t |"));
        assert_eq!(syn.blocks[2].inline_anchor, None);
    }

    #[test]
    fn a_tag_right_after_inline_html_is_a_tag() {
        let syn = p("<span class=\"related\">#index-pages #feature/statuses</span> a>#not\n");
        let tags: Vec<&str> = syn.tags.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(tags, ["index-pages", "feature/statuses"]);
    }

    #[test]
    fn tags_comments_highlights_problems() {
        let s = "A #tag and #nested/t and #123 ==hi== %%hidden [[X]]%% [[open\n\n[[]] x\n";
        let syn = p(s);
        let tags: Vec<_> = syn.tags.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(tags, ["tag", "nested/t"]);
        assert_eq!(syn.highlights.len(), 1);
        assert_eq!(syn.comments.len(), 1);
        assert!(syn.links.is_empty(), "a link in a comment is not a link");
        let codes: Vec<_> = syn.problems.iter().map(|p| p.code).collect();
        assert_eq!(codes, ["unclosed-wikilink", "empty-link"]);
        let syn = p("[[#]] [[ # ]] [[#|x]]\n");
        let codes: Vec<_> = syn.problems.iter().map(|p| p.code).collect();
        assert_eq!(codes, ["empty-link", "empty-link"]);
        assert_eq!(syn.links.len(), 1, "`[[#|x]]` links to the note itself");
    }

    #[test]
    fn headings_keep_their_markup() {
        let s = "# Title\n\n## What is a **Process**? {#custom}\n\nSetext\n---\n";
        let syn = p(s);
        assert_eq!(syn.headings[1].text, "What is a **Process**?");
        assert_eq!(syn.headings[1].explicit_id.as_deref(), Some("custom"));
        assert_eq!(syn.headings[2].text, "Setext");
    }

    #[test]
    fn callouts() {
        let s = "> [!tip]- Folded title\n> body\n\n> plain quote\n";
        let syn = p(s);
        assert_eq!(syn.callouts.len(), 1);
        assert_eq!(syn.callouts[0].kind, "tip");
        assert_eq!(syn.callouts[0].fold, Some('-'));
        assert_eq!(syn.callouts[0].title.as_deref(), Some("Folded title"));
    }

    #[test]
    fn math_and_inline_footnotes() {
        let s = "Euler $e^{i\\pi} = -1$ and $$\\int_0^1 x\\,dx$$ cost $5 and $10. Note^[an *inline* note].\n\n`$not$`\n";
        let syn = p(s);
        assert_eq!(syn.math.len(), 2);
        assert_eq!(syn.math[0].content, "e^{i\\pi} = -1");
        assert!(!syn.math[0].display && syn.math[1].display);
        assert_eq!(syn.inline_footnotes.len(), 1);
        assert_eq!(&s[syn.inline_footnotes[0].text.clone()], "an *inline* note");
    }

    #[test]
    fn markdown_links_to_notes() {
        let s = "[t](<My Note.md>) [u](My%20Note.md#x) [w](https://x.org) ![a|100](pic.png)\n";
        let syn = p(s);
        assert_eq!(syn.links.len(), 3);
        assert_eq!(syn.links[0].target.path, "My Note.md");
        assert_eq!(syn.links[0].label.as_deref(), Some("t"));
        assert_eq!(syn.links[2].kind, LinkKind::MarkdownImage);
        assert_eq!(syn.links[2].label.as_deref(), Some("a|100"));
    }
}
