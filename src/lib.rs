//! vaultbook turns an Obsidian vault into an mdBook.
//!
//! The library is what the `vaultbook` command is made of, for a program that builds books
//! itself: load a book ([`Config::load`]), run it through the [`Driver`] (check, emit, build,
//! rebuild), read the [`Report`] (its [`Diagnostic`]s and their [`Code`]s, printed by
//! [`report::render`]), serve it with live reload ([`serve`]), and let a stop signal clean up
//! ([`interrupt`]); [`init::init`] makes a new book, and [`preprocessor`] runs vaultbook inside an
//! mdBook. Everything else is internal; docs/architecture.md maps it.

#![warn(unreachable_pub, missing_docs)]

mod book_commands;
mod book_files;
mod canvas;
pub mod codes;
mod config;
mod diagnostics;
mod driver;
mod emit;
mod graph;
mod html_tokens;
mod htmlcheck;
pub mod init;
pub mod interrupt;
mod links;
mod lock;
mod math;
pub mod memory;
mod mojibake;
pub mod preprocessor;
mod previews;
mod relpath;
mod render;
pub mod report;
mod sandbox;
mod sanitize;
mod sarif;
mod search;
mod search_index;
pub mod serve;
mod snippets;
mod suggest;
mod syntax;
mod templates;
mod vault;

pub use codes::{Code, Group};
pub use config::Config;
pub use diagnostics::{Diagnostic, Severity, Sources, Span};
pub use driver::{Analysis, Driver, EarlyPages, Options, Report, Scope, Sink, Stats, Verbosity};

/// Not the library's API: the pieces the fuzz targets and the integration tests drive on their
/// own (a parser, a resolver, the jail). Hidden, and free to change with any release.
#[doc(hidden)]
pub mod internals {
    /// The Obsidian syntax recognizer.
    pub mod syntax {
        pub use crate::syntax::{MdbookMarkdown, Syntax, parse, parse_in_pieces};
    }
    /// Notes and their frontmatter.
    pub mod vault {
        pub use crate::vault::scan::is_note;
        pub use crate::vault::{Note, VaultFile, frontmatter};
    }
    /// The link index and resolver, and mdBook's heading ids.
    pub mod links {
        pub use crate::links::anchors::page_ids;
        pub use crate::links::{Index, resolve};
    }
    /// Diagnostics helpers.
    pub mod diagnostics {
        pub use crate::diagnostics::{LineIndex, sort};
    }
    /// The link graph's build and layout times (the benchmark's `graph` mode).
    pub use crate::graph::measure as graph_measure;
    /// The rendered-HTML link check.
    pub use crate::htmlcheck::check_rendered;
    /// mdBook's HTML render of a source tree, sharded or in one pass.
    pub use crate::render::{ShardSizes, render_tree};
    /// The templates of a book.
    pub use crate::templates::load as load_templates;
    /// Snippets, compiled and run on their own.
    pub mod snippets {
        pub use crate::snippets::run::{Limits, RunArea};
        pub use crate::snippets::{
            SNIPPET_CSS, SnippetOptions, SnippetOutcome, SnippetRequest, SnippetStats, run_all,
            run_all_with_stats,
        };
    }
    /// The jail.
    pub use crate::sandbox::Jail;
}
