//! Links the way Obsidian resolves them, anchors the way mdBook renders them.
//!
//! [`index`] is built once over all notes and attachments; [`resolve`] looks every link up in it
//! (no scan per link, so cost grows linearly with the vault); [`anchors`] computes the heading
//! ids mdBook 0.5 will give a page; [`keys`] holds the normalisations both sides share.

pub mod anchors;
pub mod index;
pub mod keys;
pub mod resolve;

pub use index::{AttId, Index, NoteId};
pub use resolve::{Anchor, Resolved};
