//! The book this repository ships (`vault/`): it checks clean, and it builds with every snippet
//! compiled and run, every link landing on an existing page and id.

use std::path::Path;

use vaultbook::{Config, Severity};
use vaultbook::{Driver, Options};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The repository's book.toml, with the work dir and build dir moved out of the repository so
/// that tests never touch `book/` and reuse compiled snippet dependencies between runs.
fn config(build_dir: &Path) -> Config {
    let mut config = Config::load(repo()).unwrap();
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("repo-vault-work");
    config.set_work_dir(&work).unwrap();
    config.set_build_dir(build_dir).unwrap();
    config
}

/// Every diagnostic above information level, one line each.
fn problems(diags: &[vaultbook::Diagnostic]) -> Vec<String> {
    diags
        .iter()
        .filter(|d| d.severity != Severity::Info)
        .map(|d| d.one_line())
        .collect()
}

#[test]
fn the_repository_book_checks_clean() {
    let out = tempfile::tempdir().unwrap();
    let a = Driver::new(
        config(out.path()),
        Options {
            run_snippets: false,
            ..Options::default()
        },
    )
    .check(false)
    .unwrap();
    let problems = problems(&a.diagnostics);
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(a.stats.notes >= 10);
}

#[test]
fn the_repository_book_builds_with_every_snippet_run() {
    let out = tempfile::tempdir().unwrap();
    let book = out.path().join("book");
    let report = Driver::new(config(&book).clone(), Options::default())
        .build()
        .unwrap();
    let problems = problems(&report.diagnostics);
    assert!(problems.is_empty(), "{problems:#?}");
    let broken = vaultbook::htmlcheck::check_rendered(&book);
    assert!(broken.is_empty(), "{broken:#?}");
    let deadlocks = std::fs::read_to_string(book.join("pitfalls/deadlocks.html")).unwrap();
    assert!(
        deadlocks.contains("timed out after 2 s, as expected"),
        "{deadlocks}"
    );
    let spawning = std::fs::read_to_string(book.join("basics/spawning-and-joining.html")).unwrap();
    assert!(spawning.contains("snippet-output snippet-ok"));
}
