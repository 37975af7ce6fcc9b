//! The vault on disk: which files it holds ([`scan`]), and each note read and parsed ([`note`]).

pub mod frontmatter;
pub mod note;
pub mod scan;

pub use frontmatter::Frontmatter;
pub use note::Note;
pub use scan::{Scan, VaultFile};
