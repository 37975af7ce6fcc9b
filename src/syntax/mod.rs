//! Obsidian syntax over pulldown-cmark events, with byte offsets into the note's text.
//!
//! One pass over the events of a note finds everything later stages need: headings, links and
//! embeds (wikilinks and markdown), block ids, fenced code, tags, comments, highlights and
//! callouts. Nothing here resolves anything; spans point into the note's text so that the emitter
//! can rewrite exactly those bytes and keep the rest as written.

pub mod blocks;
pub mod callouts;
pub mod headings;
pub mod inline;
pub mod links;
pub mod options;
pub mod scan;
pub mod target;

pub use blocks::{BlockId, CodeBlock};
pub use callouts::Callout;
pub use headings::{Heading, IdElem};
pub use inline::{Highlight, InlineFootnote, Math, Tag};
pub use links::{Link, LinkKind};
pub use options::MdbookMarkdown;
pub use scan::{Problem, Syntax, parse};
pub use target::{Fragment, Target};
