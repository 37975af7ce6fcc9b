//! Obsidian syntax over pulldown-cmark events, with byte offsets into the note's text.
//!
//! One pass over the events of a note finds everything later stages need: headings, links and
//! embeds (wikilinks and markdown), block ids, fenced code, tags, comments, highlights and
//! callouts. Nothing here resolves anything; spans point into the note's text so that the emitter
//! can rewrite exactly those bytes and keep the rest as written.

pub mod options;
pub mod scan;
pub mod target;

pub use options::MdbookMarkdown;
pub use scan::{BlockId, Callout, CodeBlock, Heading, Link, LinkKind, Problem, Syntax, Tag, parse};
pub use target::{Fragment, Target};
