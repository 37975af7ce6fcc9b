//! The vault on disk: which files it holds ([`scan`]), and each note read and parsed ([`note`]).

pub mod frontmatter;
pub(crate) mod note;
pub(crate) mod scan;

pub use note::Note;
pub use scan::VaultFile;
