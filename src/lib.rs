//! vaultbook turns an Obsidian vault into an mdBook.
//!
//! The pipeline, one module a step: [`vault`] scans and parses notes, [`links`] indexes and
//! resolves them the way Obsidian does, [`snippets`] runs the Rust examples (inside [`sandbox`]'s jail), [`emit`] writes the
//! mdBook source tree and [`render`] turns it into HTML with mdbook-driver. [`driver`] strings
//! them together, one way, for every command.

pub mod book_commands;
pub mod book_files;
pub mod codes;
pub mod config;
pub mod diagnostics;
pub mod driver;
pub mod emit;
pub mod htmlcheck;
pub mod interrupt;
pub mod links;
pub mod lock;
pub mod mojibake;
pub mod relpath;
pub mod render;
pub mod report;
pub mod sandbox;
pub mod serve;
pub mod snippets;
pub mod suggest;
pub mod syntax;
pub mod templates;
pub mod vault;

pub use codes::Code;
pub use config::Config;
pub use diagnostics::{Diagnostic, Severity};
pub use driver::{Driver, Options, Report, Verbosity};
