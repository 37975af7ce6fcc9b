//! The book this repository ships (`vault/`): it checks clean, and it builds with every snippet
//! compiled and run, every link landing on an existing page and id.

use std::path::Path;

use vaultbook::Config;

use crate::harness::{self, Options, no_run, problems};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The repository's book.toml, with the work dir and build dir moved out of the repository so
/// that tests never touch `book/` and reuse compiled snippet dependencies between runs.
fn config(build_dir: &Path) -> Config {
    let mut config = harness::load(repo());
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("repo-vault-work");
    config.set_work_dir(&work).unwrap();
    config.set_build_dir(build_dir).unwrap();
    config
}

#[test]
fn the_repository_book_checks_clean() {
    let out = tempfile::tempdir().unwrap();
    let a = harness::check(&config(out.path()), &no_run(), false).unwrap();
    let problems = problems(&a.diagnostics);
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(a.stats.notes >= 10);
}

#[test]
fn the_repository_book_builds_with_every_snippet_run() {
    let out = tempfile::tempdir().unwrap();
    let book = out.path().join("book");
    let _snippets = harness::snippets_running();
    let report = harness::build(&config(&book), &Options::default()).unwrap();
    let problems = problems(&report.diagnostics);
    assert!(problems.is_empty(), "{problems:#?}");
    harness::assert_links_reach_ids(&book);
    let deadlocks = std::fs::read_to_string(book.join("pitfalls/deadlocks.html")).unwrap();
    assert!(
        deadlocks.contains("timed out after 2 s, as expected"),
        "{deadlocks}"
    );
    let spawning = std::fs::read_to_string(book.join("basics/spawning-and-joining.html")).unwrap();
    assert!(spawning.contains("snippet-output snippet-ok"));
}
