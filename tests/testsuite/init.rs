//! `vaultbook init [DIR]`: a new book that builds and checks clean, files that exist kept byte
//! for byte, and a DIR that is a file refused.

use std::path::Path;

use crate::harness::{Run, read, vaultbook, write};

/// `vaultbook ARGS…` (the caller passes the DIR).
fn run(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Run {
    let mut cmd = vaultbook();
    for a in args {
        cmd.arg(a);
    }
    Run::of(&mut cmd)
}

#[test]
fn a_new_book_builds_and_checks_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("Field Notes");
    let out = run(&[&"init", &root]);
    out.assert_ok();
    let err = out.stderr();
    for file in ["book.toml", "vault/README.md", ".gitignore"] {
        assert!(err.contains(&format!("created {file}")), "{err}");
        assert!(root.join(file).is_file(), "{file}");
    }
    let toml = read(root.join("book.toml"));
    assert!(
        toml.starts_with("[book]\ntitle = \"Field Notes\"\n"),
        "{toml}"
    );
    assert!(
        toml.contains("\n[vaultbook]\n# vault = \"vault\""),
        "{toml}"
    );
    assert!(toml.contains("\n[vaultbook.snippets]\n"), "{toml}");
    let gitignore = read(root.join(".gitignore"));
    assert!(gitignore.lines().any(|l| l == "/book/"), "{gitignore}");
    assert!(gitignore.lines().any(|l| l == "/target/"), "{gitignore}");
    let note = read(root.join("vault/README.md"));
    for shown in ["[[#A snippet|", "> [!tip]", "```rust\n"] {
        assert!(note.contains(shown), "{shown}: {note}");
    }

    let built = run(&[&"build", &"--no-run", &root]);
    built.assert_ok();
    assert!(
        built.stderr().contains("0 errors, 0 warnings"),
        "{}",
        built.stderr()
    );
    assert!(root.join("book/index.html").is_file());
    let checked = run(&[&"check", &"--deny-warnings", &"--no-run", &"-v", &root]);
    checked.assert_ok();
    assert!(
        checked.stderr().contains("check: 0 errors, 0 warnings\n"),
        "{}",
        checked.stderr()
    );
    // The wikilink of the welcome note is a link in the page.
    let page = read(root.join("book/index.html"));
    assert!(page.contains("href=\"#a-snippet\""), "{page}");
}

#[test]
fn existing_files_are_kept_byte_for_byte_and_missing_ones_made() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let mine = b"[book]\ntitle = \"Mine\"   # my own\n\n[vaultbook]\nbacklinks = false\n";
    write(root.join("book.toml"), mine);
    write(root.join(".gitignore"), "node_modules/\n");
    let out = run(&[&"init", &root, &"--title", &"Other"]);
    out.assert_ok();
    let err = out.stderr();
    assert!(err.contains("kept existing book.toml"), "{err}");
    assert!(err.contains("kept existing .gitignore"), "{err}");
    assert!(err.contains("created vault/README.md"), "{err}");
    assert_eq!(std::fs::read(root.join("book.toml")).unwrap(), mine);
    assert_eq!(read(root.join(".gitignore")), "node_modules/\n");

    // A second init changes nothing at all.
    let before = crate::harness::files(root);
    let again = run(&[&"init", &root]);
    again.assert_ok();
    assert!(!again.stderr().contains("created"), "{}", again.stderr());
    assert_eq!(crate::harness::files(root), before);
}

#[test]
fn a_symlink_in_the_way_is_kept_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("book");
    std::fs::create_dir(&root).unwrap();
    let target = tmp.path().join("elsewhere.toml");
    std::os::unix::fs::symlink(&target, root.join("book.toml")).unwrap();
    let out = run(&[&"init", &root]);
    out.assert_ok();
    assert!(
        out.stderr().contains("kept existing book.toml"),
        "{}",
        out.stderr()
    );
    assert!(!target.exists(), "init wrote through a symlink");
}

#[test]
fn a_dir_that_is_a_file_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("notes.txt");
    write(&file, "hello");
    let out = run(&[&"init", &file]);
    assert_eq!(out.code(), Some(2));
    let err = out.stderr();
    assert!(err.contains("it is a file, not a folder"), "{err}");
    assert_eq!(read(&file), "hello");
}

#[test]
fn the_default_dir_is_the_current_one_and_titles_it() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("my-vault");
    std::fs::create_dir(&root).unwrap();
    let out = Run::of(vaultbook().arg("init").current_dir(&root));
    out.assert_ok();
    let toml = read(root.join("book.toml"));
    assert!(toml.contains("title = \"my-vault\""), "{toml}");
    assert!(Path::new(&root.join("vault/README.md")).is_file());
}
