//! Links the way Obsidian resolves them, anchors the way mdBook renders them.
//!
//! [`index`] is built once over all notes and attachments; [`resolve`] looks every link up in it
//! (no scan per link, so cost grows linearly with the vault); [`anchors`] computes the heading
//! ids mdBook 0.5 will give a page; [`keys`] holds the normalisations both sides share.

pub(crate) mod anchors;
pub(crate) mod index;
pub(crate) mod keys;
pub mod resolve;

pub use index::Index;
pub(crate) use index::{AttId, NoteId};
pub(crate) use resolve::{Anchor, Resolved};
