//! Obsidian syntax over pulldown-cmark events, with byte offsets into the note's text.
//!
//! One pass over the events of a note finds everything later stages need: headings, links and
//! embeds (wikilinks and markdown), block ids, fenced code, tags, comments, highlights and
//! callouts. Nothing here resolves anything; spans point into the note's text so that the emitter
//! can rewrite exactly those bytes and keep the rest as written.

pub(crate) mod blocks;
pub(crate) mod callouts;
pub(crate) mod headings;
pub(crate) mod inline;
pub(crate) mod links;
pub(crate) mod options;
pub(crate) mod pieces;
pub(crate) mod scan;
pub(crate) mod target;
pub(crate) mod tasks;

pub(crate) use links::{Link, LinkKind};
pub use options::MdbookMarkdown;
pub use scan::{Syntax, parse, parse_in_pieces};
pub(crate) use target::Fragment;
