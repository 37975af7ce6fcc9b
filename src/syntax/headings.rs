//! Headings and the other elements mdBook gives ids to (definition terms), as the walk reads them.

use std::ops::Range;

use pulldown_cmark::{Event, Tag as MdTag, TagEnd};

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

/// A heading or definition term: the elements mdBook numbers ids over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdElem {
    /// Where it is.
    pub range: Range<usize>,
    /// The text of its text and code children (what mdBook makes the id from).
    pub text: String,
    /// An explicit `{#id}`.
    pub explicit_id: Option<String>,
    /// For a heading, its index in [`super::Syntax::headings`].
    pub heading: Option<usize>,
}

/// A heading being read.
pub(super) struct OpenHeading {
    level: u8,
    /// The whole heading.
    range: Range<usize>,
    explicit_id: Option<String>,
    /// Where its inline content starts, once seen, and where the content seen so far ends.
    content_start: Option<usize>,
    content_end: usize,
}

impl OpenHeading {
    pub(super) fn new(level: u8, range: Range<usize>, explicit_id: Option<String>) -> OpenHeading {
        OpenHeading {
            level,
            content_start: None,
            content_end: range.start,
            range,
            explicit_id,
        }
    }

    /// Inline content at `range` belongs to the heading's text.
    pub(super) fn content(&mut self, range: &Range<usize>) {
        self.content_start.get_or_insert(range.start);
        self.content_end = range.end;
    }

    /// Markup (emphasis, a link) opens at `at`: the text starts there at the latest.
    pub(super) fn markup_starts(&mut self, at: usize) {
        self.content_start.get_or_insert(at);
    }

    /// Markup closes at `end`: its closing markers are part of the text.
    pub(super) fn markup_ends(&mut self, end: usize) {
        self.content_end = self.content_end.max(end);
    }

    /// The heading, with its text as written (markup kept, `{#id}` and markers left out).
    pub(super) fn finish(self, text: &str) -> Heading {
        let content = self
            .content_start
            .map(|s| text[s..self.content_end.max(s)].trim().to_string())
            .unwrap_or_default();
        Heading {
            level: self.level,
            range: self.range,
            text: content,
            explicit_id: self.explicit_id,
        }
    }
}

/// A heading or definition term being read: the text mdBook makes its id from.
pub(super) struct OpenIdElem {
    start: usize,
    explicit_id: Option<String>,
    text: String,
    /// Images open inside it: mdBook leaves their alt text out of the id.
    images: usize,
}

impl OpenIdElem {
    pub(super) fn new(start: usize, explicit_id: Option<String>) -> OpenIdElem {
        OpenIdElem {
            start,
            explicit_id,
            text: String::new(),
            images: 0,
        }
    }

    /// Takes in the text an event inside the element renders to.
    pub(super) fn event(&mut self, event: &Event) {
        match event {
            Event::Text(t) | Event::Code(t) if self.images == 0 => self.text.push_str(t),
            Event::SoftBreak => self.text.push('\n'),
            Event::Start(MdTag::Image { .. }) => self.images += 1,
            Event::End(TagEnd::Image) => self.images = self.images.saturating_sub(1),
            _ => {}
        }
    }

    /// Where the element started.
    pub(super) fn start(&self) -> usize {
        self.start
    }

    pub(super) fn finish(self, range: Range<usize>, heading: Option<usize>) -> IdElem {
        IdElem {
            range,
            text: self.text,
            explicit_id: self.explicit_id,
            heading,
        }
    }
}
