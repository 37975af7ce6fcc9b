//! The integration tests: one test binary, one module per area, sharing [`harness`] (a book in
//! a temporary folder, the `vaultbook` binary, the pipeline API, assertions on diagnostics and
//! rendered HTML).
//!
//! `cargo test --test testsuite -- build::` runs one module; `cargo test` runs them all. The
//! modules share one process: a test that needs the machine to itself in some way says so
//! through the harness (see `harness::snippets_alone`), never by being a binary of its own.

mod harness;

mod book_index;
mod book_options;
mod browser;
mod build;
mod canvas;
mod check;
mod graph;
mod hostile;
mod htmlcheck;
mod init;
mod interrupt;
mod long_note;
mod math;
mod note_parts;
mod obsidian;
mod preprocessor;
mod previews;
mod props;
mod reading_view;
mod repo_vault;
mod report;
mod sandbox;
mod sanitize;
mod sarif;
mod serve;
mod session;
mod sharded;
mod snippets;
