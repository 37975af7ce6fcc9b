//! The single pass over a note's markdown events.

use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, LinkType, Parser, Tag as MdTag, TagEnd};

use super::options::MdbookMarkdown;
use super::target::{Fragment, Target};
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
    /// `==highlight==` marker pairs: (opening `==`, closing `==`).
    pub highlights: Vec<(Range<usize>, Range<usize>)>,
    /// `> [!type]` callouts.
    pub callouts: Vec<Callout>,
    /// `$inline$` and `$$display$$` math: (whole span, content, display?).
    pub math: Vec<(Range<usize>, String, bool)>,
    /// Inline footnotes `^[text]`: (whole span, the text's span).
    pub inline_footnotes: Vec<(Range<usize>, Range<usize>)>,
    /// The elements mdBook gives ids to (headings and definition terms), in order, with the
    /// text they render to as far as this parse can tell.
    pub id_elems: Vec<IdElem>,
    /// Malformed syntax (unclosed or empty wikilinks).
    pub problems: Vec<Problem>,
}

/// A heading or definition term: the elements mdBook numbers ids over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdElem {
    /// Where it is.
    pub range: Range<usize>,
    /// The text of its text and code children (what mdBook makes the id from).
    pub text: String,
    /// An explicit `{#id}`.
    pub explicit_id: Option<String>,
    /// For a heading, its index in [`Syntax::headings`].
    pub heading: Option<usize>,
}

/// A heading of the note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    /// 1 to 6.
    pub level: u8,
    /// The whole heading, markers included.
    pub range: Range<usize>,
    /// The heading's text as written (markup included), e.g. `What is a **Process**?`.
    pub text: String,
    /// An explicit `{#id}` attribute, which mdBook uses as is.
    pub explicit_id: Option<String>,
}

/// The syntax a link was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// `[[target|label]]`
    Wiki,
    /// `![[target|label]]`
    WikiEmbed,
    /// `[label](target)`
    Markdown,
    /// `![label](target)`
    MarkdownImage,
}

impl LinkKind {
    /// Whether the link shows its target in place rather than pointing at it.
    pub fn is_embed(self) -> bool {
        matches!(self, LinkKind::WikiEmbed | LinkKind::MarkdownImage)
    }
}

/// A link or embed to something that may be in the vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// How it was written.
    pub kind: LinkKind,
    /// The whole link in the source, `[[`…`]]` or `[`…`)` included.
    pub span: Range<usize>,
    /// What it points at.
    pub target: Target,
    /// The alias of a wikilink or the text of a markdown link, as written (markdown kept).
    pub label: Option<String>,
    /// Whether it sits inside a heading (its label then becomes part of the heading's id).
    pub in_heading: bool,
}

/// A block id: `^id` ending a paragraph or list item, or alone after a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockId {
    /// The id without the caret.
    pub id: String,
    /// The ` ^id` text to remove (the whole paragraph for a standalone id).
    pub marker: Range<usize>,
    /// The block the id names.
    pub block: Range<usize>,
    /// Where an inline anchor can go (start of the paragraph's or item's text), if the block
    /// has inline text; `None` for tables, code and other blocks named by a standalone id.
    pub inline_anchor: Option<usize>,
}

/// A fenced or indented code block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeBlock {
    /// The whole block, fences included.
    pub range: Range<usize>,
    /// The info string (`rust,should_panic`); empty for indented code.
    pub info: String,
    /// The content, with container indentation removed.
    pub code: String,
}

/// An inline tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// `#tag` in the source.
    pub range: Range<usize>,
    /// The tag without `#` (`nested/tag`).
    pub name: String,
}

/// An Obsidian callout: a blockquote whose first line is `[!type]±? Title`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callout {
    /// The whole blockquote.
    pub range: Range<usize>,
    /// The first line, `> [!type] Title` (newline included).
    pub header: Range<usize>,
    /// The type, lowercased (`tip`, `warning`, a custom one…).
    pub kind: String,
    /// `+` (foldable, open) or `-` (foldable, closed).
    pub fold: Option<char>,
    /// The title as written, if any.
    pub title: Option<String>,
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
    let mut w = Walker::new(text);
    let body = &text[start..];
    for (event, range) in Parser::new_ext(body, md.note_options()).into_offset_iter() {
        let range = range.start + start..range.end + start;
        w.event(event, range);
    }
    w.finish()
}

/// A container block being walked, for block ids and callouts.
struct Open {
    /// Where the block's first inline text starts, once seen.
    first_inline: Option<usize>,
    is_item: bool,
}

struct Walker<'a> {
    text: &'a str,
    out: Syntax,
    /// Contiguous text events being merged (pulldown-cmark splits text at `[`, `^`, `*`…).
    run: Option<Range<usize>>,
    /// The last text run of the current block, if nothing but text followed it.
    tail: Option<Range<usize>>,
    /// Open block containers (paragraphs, items, quotes, …).
    blocks: Vec<Open>,
    /// The last closed block at each depth, for standalone block ids.
    prev_block: Vec<Option<Range<usize>>>,
    /// Inside a link or image: (kind, span, target, label start, label end).
    link: Option<PendingLink>,
    /// Inside a heading: (level, range, explicit id, content start, content end).
    heading: Option<OpenHeading>,
    code: Option<(Range<usize>, String, String)>,
    /// The heading or definition term being read: (start, explicit id, text, image depth).
    id_elem: Option<(usize, Option<String>, String, usize)>,
    /// `%%` markers and `==` markers seen in text, in order.
    comment_marks: Vec<Range<usize>>,
    highlight_marks: Vec<Range<usize>>,
}

type OpenHeading = (u8, Range<usize>, Option<String>, Option<usize>, usize);

struct PendingLink {
    kind: LinkKind,
    span: Range<usize>,
    target: Target,
    label: Option<Range<usize>>,
    wiki_pothole: bool,
}

impl<'a> Walker<'a> {
    fn new(text: &'a str) -> Walker<'a> {
        Walker {
            text,
            out: Syntax::default(),
            run: None,
            tail: None,
            blocks: Vec::new(),
            prev_block: vec![None],
            link: None,
            heading: None,
            id_elem: None,
            code: None,
            comment_marks: Vec::new(),
            highlight_marks: Vec::new(),
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

    fn event(&mut self, event: Event<'a>, range: Range<usize>) {
        if let Some((_, _, text, images)) = &mut self.id_elem {
            match &event {
                Event::Text(t) | Event::Code(t) if *images == 0 => text.push_str(t),
                Event::SoftBreak => text.push('\n'),
                Event::Start(MdTag::Image { .. }) => *images += 1,
                Event::End(TagEnd::Image) => *images = images.saturating_sub(1),
                _ => {}
            }
        }
        match event {
            Event::Text(t) => {
                if let Some((_, _, code)) = &mut self.code {
                    code.push_str(&t);
                    return;
                }
                self.note_inline(range.start);
                if let Some(h) = &mut self.heading {
                    h.3.get_or_insert(range.start);
                    h.4 = range.end;
                }
                if let Some(l) = &mut self.link {
                    let lr = l.label.get_or_insert(range.clone());
                    lr.end = lr.end.max(range.end);
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
                self.out.math.push((range.clone(), m.to_string(), display));
                self.note_inline(range.start);
                if let Some(h) = &mut self.heading {
                    h.3.get_or_insert(range.start);
                    h.4 = range.end;
                }
                self.flush();
                self.tail = None;
            }
            other => {
                // Code spans, inline HTML, breaks, footnote references: inline content that
                // is not scanned, but does end a text run.
                let inline = !matches!(other, Event::Rule | Event::Html(_));
                if inline {
                    self.note_inline(range.start);
                    if let Some(h) = &mut self.heading {
                        h.3.get_or_insert(range.start);
                        h.4 = range.end;
                    }
                    if let Some(l) = &mut self.link {
                        let lr = l.label.get_or_insert(range.clone());
                        lr.end = lr.end.max(range.end);
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
                ..
            }
            | MdTag::Image {
                link_type,
                dest_url,
                ..
            } => {
                self.note_inline(range.start);
                if let Some(h) = &mut self.heading {
                    h.3.get_or_insert(range.start);
                    h.4 = range.end;
                }
                let image = self.text[range.clone()].starts_with('!');
                let (kind, target, pothole) = match link_type {
                    LinkType::WikiLink { has_pothole } => (
                        if image {
                            LinkKind::WikiEmbed
                        } else {
                            LinkKind::Wiki
                        },
                        Some(Target::wikilink(&dest_url)),
                        has_pothole,
                    ),
                    LinkType::Inline if is_local(&dest_url) => (
                        if image {
                            LinkKind::MarkdownImage
                        } else {
                            LinkKind::Markdown
                        },
                        Some(Target::markdown(&dest_url)),
                        false,
                    ),
                    _ => (LinkKind::Markdown, None, false),
                };
                match target {
                    Some(target) if self.link.is_none() => {
                        self.link = Some(PendingLink {
                            kind,
                            span: range,
                            target,
                            label: None,
                            wiki_pothole: pothole,
                        })
                    }
                    _ => {}
                }
                self.tail = None;
            }
            MdTag::Heading { level, id, .. } => {
                self.open_block(false);
                self.id_elem = Some((
                    range.start,
                    id.as_ref().map(|i| i.to_string()),
                    String::new(),
                    0,
                ));
                self.heading = Some((
                    level as u8,
                    range.clone(),
                    id.map(|i| i.to_string()),
                    None,
                    range.start,
                ));
            }
            MdTag::CodeBlock(kind) => {
                self.open_block(false);
                let info = match kind {
                    CodeBlockKind::Fenced(info) => info.trim().to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some((range, info, String::new()));
            }
            MdTag::BlockQuote(_) => {
                self.open_block(false);
                self.callout(range);
            }
            MdTag::Item => self.open_block(true),
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
                self.id_elem = Some((range.start, None, String::new(), 0));
            }
            MdTag::Emphasis | MdTag::Strong | MdTag::Strikethrough => {
                self.note_inline(range.start);
                if let Some(h) = &mut self.heading {
                    h.3.get_or_insert(range.start);
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
            h.4 = h.4.max(range.end);
        }
        match tag {
            TagEnd::Link | TagEnd::Image => {
                self.flush();
                if let Some(l) = self.link.take() {
                    self.finish_link(l);
                }
                self.tail = None;
                return;
            }
            TagEnd::Heading(_) => {
                self.flush();
                if let Some((level, r, id, content_start, content_end)) = self.heading.take() {
                    let text = content_start
                        .map(|s| self.text[s..content_end.max(s)].trim().to_string())
                        .unwrap_or_default();
                    if let Some((_, explicit, rendered, _)) = self.id_elem.take() {
                        self.out.id_elems.push(IdElem {
                            range: r.clone(),
                            text: rendered,
                            explicit_id: explicit,
                            heading: Some(self.out.headings.len()),
                        });
                    }
                    self.out.headings.push(Heading {
                        level,
                        range: r,
                        text,
                        explicit_id: id,
                    });
                }
                self.tail = None;
                self.close_block(range);
                return;
            }
            TagEnd::CodeBlock => {
                if let Some((r, info, code)) = self.code.take() {
                    self.out.code_blocks.push(CodeBlock {
                        range: r,
                        info,
                        code,
                    });
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
                if let Some((start, _, text, _)) = self.id_elem.take() {
                    self.out.id_elems.push(IdElem {
                        range: start..range.end,
                        text,
                        explicit_id: None,
                        heading: None,
                    });
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

    /// Called where a paragraph or an item's own text ends: is the last text `^id`?
    fn check_block_id(&mut self) {
        self.flush();
        let Some(tail) = self.tail.take() else { return };
        let s = &self.text[tail.clone()];
        let trimmed = s.trim_end();
        let Some(caret) = trimmed.rfind('^') else {
            return;
        };
        let id = &trimmed[caret + 1..];
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return;
        }
        let before = &trimmed[..caret];
        let abs_caret = tail.start + caret;
        let Some(open) = self.blocks.last() else {
            return;
        };
        let first = open.first_inline.unwrap_or(tail.start);
        let is_item = open.is_item;
        if before.trim().is_empty() && first == tail.start && !is_item {
            // A standalone `^id`: it names the block before it.
            // The paragraph itself is open: its siblings closed one level up.
            let d = self.depth().saturating_sub(1);
            let prev = self.prev_block.get(d).cloned().flatten();
            let Some(block) = prev else { return };
            let inline = self.inline_start_of(&block);
            let end_of_line = self.text[tail.end..]
                .find('\n')
                .map_or(self.text.len(), |i| tail.end + i + 1);
            self.out.blocks.push(BlockId {
                id: id.to_string(),
                marker: tail.start..end_of_line,
                block,
                inline_anchor: inline,
            });
        } else if before.is_empty() || before.ends_with(char::is_whitespace) {
            let ws = before.len() - before.trim_end().len();
            let block_start = first;
            let block_end = tail.start + trimmed.len();
            self.out.blocks.push(BlockId {
                id: id.to_string(),
                marker: abs_caret - ws..block_end,
                block: block_start..block_end,
                inline_anchor: Some(block_start),
            });
        }
    }

    /// Where the inline text of a previous block starts, if it is a paragraph or list.
    fn inline_start_of(&self, block: &Range<usize>) -> Option<usize> {
        let s = &self.text[block.clone()];
        let first = s.trim_start();
        // Tables, code, quotes and HTML get an anchor line before them instead.
        if first.starts_with('|')
            || first.starts_with("```")
            || first.starts_with("~~~")
            || first.starts_with('>')
            || first.starts_with('<')
            || first.starts_with("- ")
            || first.starts_with("* ")
            || first.starts_with("+ ")
            || first.chars().next().is_some_and(|c| c.is_ascii_digit())
        {
            None
        } else {
            Some(block.start + (s.len() - first.len()))
        }
    }

    fn finish_link(&mut self, l: PendingLink) {
        let in_heading = self.heading.is_some();
        let label = match l.kind {
            LinkKind::Wiki | LinkKind::WikiEmbed => {
                if l.wiki_pothole {
                    // The alias is everything after the first unescaped `|` inside the brackets.
                    let inner = &self.text[l.span.clone()];
                    let open = inner.find("[[").map_or(0, |i| i + 2);
                    let close = inner.rfind("]]").unwrap_or(inner.len());
                    let inner = &inner[open..close.max(open)];
                    inner.find('|').map(|i| inner[i + 1..].to_string())
                } else {
                    None
                }
            }
            LinkKind::Markdown | LinkKind::MarkdownImage => {
                // The label is the source between the opening bracket and `](`.
                let s = &self.text[l.span.clone()];
                let open = if s.starts_with('!') { 2 } else { 1 };
                let end = l.label.map_or(open, |r| r.end - l.span.start);
                let end = self.text[l.span.start + end..l.span.end]
                    .find("](")
                    .map_or(end, |i| end + i);
                Some(s.get(open..end).unwrap_or("").to_string())
            }
        };
        // `[[#]]`, `[[ # ]]`: no note, no heading, no alias. It would become a link without text.
        if matches!(l.kind, LinkKind::Wiki | LinkKind::WikiEmbed)
            && l.target.path.is_empty()
            && l.target.fragment == Fragment::None
            && label.as_deref().is_none_or(|s| s.trim().is_empty())
        {
            self.out.problems.push(Problem {
                range: l.span,
                code: Code::EmptyLink,
                message: "empty wikilink: it links to nothing".into(),
            });
            return;
        }
        self.out.links.push(Link {
            kind: l.kind,
            span: l.span,
            target: l.target,
            label,
            in_heading,
        });
    }

    /// Scans a finished text run for tags, markers and stray `[[`.
    fn flush(&mut self) {
        let Some(run) = self.run.take() else { return };
        self.tail = Some(run.clone());
        let s = &self.text[run.clone()];
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'%' if bytes.get(i + 1) == Some(&b'%') => {
                    self.comment_marks.push(run.start + i..run.start + i + 2);
                    i += 2;
                    continue;
                }
                b'=' if bytes.get(i + 1) == Some(&b'=') => {
                    if bytes.get(i + 2) != Some(&b'=') && (i == 0 || bytes[i - 1] != b'=') {
                        self.highlight_marks.push(run.start + i..run.start + i + 2);
                    }
                    i += 2;
                    while i < bytes.len() && bytes[i] == b'=' {
                        i += 1;
                    }
                    continue;
                }
                b'^' if bytes.get(i + 1) == Some(&b'[') => {
                    // `^[text]`: the closing bracket may lie past this text run (markup inside),
                    // so it is found in the source, nesting counted, within the paragraph.
                    let abs = run.start + i;
                    if let Some(close) = closing_bracket(self.text, abs + 1) {
                        self.out
                            .inline_footnotes
                            .push((abs..close + 1, abs + 2..close));
                        i += 2;
                        continue;
                    }
                }
                b'[' if bytes.get(i + 1) == Some(&b'[') => {
                    let rest = &s[i + 2..];
                    let abs = run.start + i;
                    match rest.find("]]") {
                        Some(j) if rest[..j].trim().trim_matches('|').trim().is_empty() => {
                            self.out.problems.push(Problem {
                                range: abs..abs + 2 + j + 2,
                                code: Code::EmptyLink,
                                message: "empty wikilink: it links to nothing".into(),
                            });
                            i += 2 + j + 2;
                            continue;
                        }
                        Some(_) => {}
                        None => self.out.problems.push(Problem {
                            range: abs..abs + 2,
                            code: Code::UnclosedWikilink,
                            message: "`[[` is never closed with `]]`".into(),
                        }),
                    }
                    i += 2;
                    continue;
                }
                b'#' if self.heading.is_none() => {
                    let abs = run.start + i;
                    let prev_ok = if i > 0 {
                        bytes[i - 1].is_ascii_whitespace()
                    } else {
                        abs == 0 || {
                            let b = self.text.as_bytes()[abs - 1];
                            b.is_ascii_whitespace() || b == b'('
                        }
                    };
                    if prev_ok {
                        let name_len = s[i + 1..]
                            .char_indices()
                            .find(|(_, c)| !is_tag_char(*c))
                            .map_or(s.len() - i - 1, |(j, _)| j);
                        let name = &s[i + 1..i + 1 + name_len];
                        if !name.is_empty() && !name.chars().all(|c| c.is_ascii_digit()) {
                            self.out.tags.push(Tag {
                                range: abs..abs + 1 + name_len,
                                name: name.to_string(),
                            });
                        }
                        i += 1 + name_len;
                        continue;
                    }
                }
                _ => {}
            }
            i += 1;
        }
    }

    fn pair_highlights(&mut self) {
        let marks = std::mem::take(&mut self.highlight_marks);
        for pair in marks.chunks_exact(2) {
            let (open, close) = (&pair[0], &pair[1]);
            let inner = &self.text[open.end..close.start];
            if !inner.is_empty()
                && !inner.starts_with(char::is_whitespace)
                && !inner.ends_with(char::is_whitespace)
            {
                self.out.highlights.push((open.clone(), close.clone()));
            }
        }
    }

    fn callout(&mut self, range: Range<usize>) {
        let line_end = self.text[range.start..]
            .find('\n')
            .map_or(self.text.len(), |i| range.start + i + 1);
        let line = &self.text[range.start..line_end];
        let Some(rest) = line.trim_start().strip_prefix('>') else {
            return;
        };
        let rest = rest.trim_start();
        let Some(rest) = rest.strip_prefix("[!") else {
            return;
        };
        let Some(close) = rest.find(']') else { return };
        let kind = rest[..close].trim().to_lowercase();
        if kind.is_empty() || kind.contains(char::is_whitespace) {
            return;
        }
        let mut after = &rest[close + 1..];
        let fold = match after.chars().next() {
            Some(c @ ('+' | '-')) => {
                after = &after[1..];
                Some(c)
            }
            _ => None,
        };
        let title = after.trim();
        self.out.callouts.push(Callout {
            range: range.clone(),
            header: range.start..line_end,
            kind,
            fold,
            title: (!title.is_empty()).then(|| title.to_string()),
        });
    }

    fn finish(mut self) -> Syntax {
        self.flush();
        // Comments: `%%` markers pair up in order; what lies between is hidden, wherever it is.
        let marks = std::mem::take(&mut self.comment_marks);
        let mut comments = Vec::new();
        for pair in marks.chunks(2) {
            match pair {
                [open, close] => comments.push(open.start..close.end),
                [open] => comments.push(open.start..self.text.len()),
                _ => {}
            }
        }
        // Comments are in order and do not overlap: the one that could hold `r` is the last to
        // start at or before it (a binary search, so a note of many comments stays linear).
        let hidden = |r: &Range<usize>| {
            let i = comments.partition_point(|c| c.start <= r.start);
            i > 0 && r.end <= comments[i - 1].end
        };
        let out = &mut self.out;
        out.links.retain(|l| !hidden(&l.span));
        out.tags.retain(|t| !hidden(&t.range));
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
        out.highlights.retain(|(o, _)| !hidden(o));
        out.code_blocks.retain(|c| !hidden(&c.range));
        out.math.retain(|m| !hidden(&m.0));
        out.inline_footnotes.retain(|f| !hidden(&f.0));
        out.comments = comments;
        self.out
    }
}

/// The `]` matching the `[` at `open`, before a blank line.
fn closing_bracket(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let bytes = text.as_bytes();
    let mut j = open;
    while j < bytes.len() {
        match bytes[j] {
            b'[' => depth += 1,
            b']' => {
                depth -= 1;
                if depth == 0 {
                    return (j > open + 1).then_some(j);
                }
            }
            b'\\' => j += 1,
            b'\n'
                if text[j + 1..]
                    .trim_start_matches([' ', '\t', '\r'])
                    .starts_with('\n') =>
            {
                return None;
            }
            _ => {}
        }
        j += 1;
    }
    None
}

fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-' || c == '/'
}

/// Whether a markdown link destination may point into the vault (no scheme, not a bare fragment
/// of another site).
fn is_local(dest: &str) -> bool {
    if dest.is_empty() || dest.starts_with("//") {
        return false;
    }
    // A scheme (`https:`, `mailto:`, `obsidian:`) makes it external; a Windows drive letter is
    // not a scheme but is outside the vault anyway and is refused at resolution.
    let scheme_end = dest.find(':');
    let slash = dest.find(['/', '#', '?']);
    match (scheme_end, slash) {
        (Some(c), Some(s)) if c < s => false,
        (Some(c), None) => !dest[..c]
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "+-.".contains(ch)),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(syn.math[0].1, "e^{i\\pi} = -1");
        assert!(!syn.math[0].2 && syn.math[1].2);
        assert_eq!(syn.inline_footnotes.len(), 1);
        assert_eq!(&s[syn.inline_footnotes[0].1.clone()], "an *inline* note");
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
