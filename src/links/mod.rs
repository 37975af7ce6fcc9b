//! Links the way Obsidian resolves them, anchors the way mdBook renders them.
//!
//! [`index`] is built once over all notes and attachments; [`resolve`] looks every link up in it
//! (no scan per link, so cost grows linearly with the vault); [`anchors`] computes the heading
//! ids mdBook 0.5 will give a page; [`keys`] holds the normalisations both sides share;
//! [`memo`] keeps an incremental driver's last resolution, for the next edit to resolve again
//! only what it changed.

pub(crate) mod anchors;
pub(crate) mod index;
pub(crate) mod keys;
pub(crate) mod memo;
pub mod resolve;

pub use index::Index;
pub(crate) use index::{AttId, NoteId};
pub(crate) use resolve::{Anchor, Resolved};
