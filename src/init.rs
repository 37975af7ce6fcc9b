//! `vaultbook init [DIR]`: the files of a new book, as `mdbook init` makes them.
//!
//! A `book.toml` (the title, and the `[vaultbook]` keys commented out at their defaults), a
//! first note in `vault/README.md` and a `.gitignore` for the build and work dirs. Nothing that
//! exists is ever replaced: each file is created with `O_EXCL`, so a file (or a symlink) that is
//! already there, or appears meanwhile, is kept as it is and reported.

use std::fs::OpenOptions;
use std::io::{ErrorKind, Write as _};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// What `init` did with one file of the new book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It did not exist and was written.
    Created,
    /// It existed and was left alone.
    Kept,
}

/// One file of the new book, relative to its root, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The file, relative to the book root (`book.toml`, `vault/README.md`, `.gitignore`).
    pub path: PathBuf,
    /// Whether it was written or kept.
    pub outcome: Outcome,
}

/// The book.toml of a new book, `{title}` a TOML string. The commented keys and values are
/// [`crate::config::VaultbookConfig`]'s and the snippet settings' defaults (a unit test holds
/// them to it), so uncommenting one changes nothing until its value is edited.
const BOOK_TOML: &str = r#"[book]
title = {title}

# vaultbook's settings. Each key is shown at its default: uncomment a line to change it.
[vaultbook]
# vault = "vault"                # the vault, relative to the book root
# ignore = []                    # globs, relative to the vault, of notes and folders left out
# start = "README"               # the opening note (default: README, index or Home at the vault root)
# order-key = "order"            # the frontmatter key that orders notes in a folder
# backlinks = true               # each page ends with the notes that link to it
# tag-index = true               # a Tags page; inline #tags link to it
# work-dir = "target/vaultbook"  # emitted source and caches; never inside the vault
# raw-html = false               # true: notes' HTML as written, scripts included (a vault you trust)
# graph = true                   # each page's local link graph, and a whole-vault graph page
# search = "auto"                # "mdbook" (one-file index, works from file://), "pagefind"
#                                # (chunked, needs HTTP) or "auto" (by the book's size)
# search-bundle-size = 25165824  # bytes of pages per Pagefind index; a larger book gets several
# note-part-size = 2097152       # bytes: a note over twice this becomes chapters this long; 0: never

# The ```rust blocks of the notes, compiled and run in a sandbox when the book is built.
[vaultbook.snippets]
# enabled = true                 # false: build without running anything from the vault
# timeout = 10                   # seconds per run
# memory = "1GiB"                # one limit for a whole run
# compile-timeout = 180          # seconds per compilation
# compile-memory = "4GiB"        # one limit for a whole compilation
# max-output = "64KiB"           # output kept per run
# profile = "dev"                # or "release", to optimise the snippets

# [vaultbook.snippets.dependencies]
# rayon = "1"                    # crates from crates.io the snippets may use

# [vaultbook.check]
# orphan-note = "allow"          # re-level a diagnostic code: error, warning, info or allow
#                                # (`vaultbook check --list-codes` lists them)
"#;

/// The first note of a new book: what a wikilink, a callout and a snippet look like.
const README: &str = r#"# Welcome

This is the first page of your book. Every note in `vault/` becomes a page of it: write them in
Obsidian or any editor, and `vaultbook serve` shows the book, rebuilt each time you save.

## Links

Notes link to each other as in Obsidian, by name, with wikilinks: `[[Another note]]`,
`[[Another note#A heading]]`, or this note's own [[#A snippet|snippet below]].
`vaultbook check` reports every link that leads nowhere.

> [!tip] Callouts
> Obsidian's callouts become boxes in the book. `> [!note]-` makes one that starts folded.

## A snippet

Every Rust block is compiled and run when the book is built, and what it prints is shown under
it:

```rust
fn main() {
    let notes = ["README.md"];
    println!("{} note so far", notes.len());
}
```
"#;

/// The `.gitignore` of a new book. Anchored at the book root, so that a vault folder called
/// `book` or `target` is still committed.
const GITIGNORE: &str = "# vaultbook's output: the rendered book and the work dir (emitted source, snippet caches)\n\
/book/\n\
/target/\n";

/// Makes a new book in `dir` (created if missing): `book.toml` titled `title`, or after the
/// folder's name, `vault/README.md` and `.gitignore`. Files that exist are kept. An `Err` when
/// `dir` is not a folder or a file cannot be written (a usage or environment error, exit 2).
pub fn init(dir: &Path, title: Option<&str>) -> Result<Vec<Step>> {
    match std::fs::metadata(dir) {
        Ok(meta) if !meta.is_dir() => bail!(
            "cannot make a book in {}: it is a file, not a folder",
            dir.display()
        ),
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the folder {}", dir.display()))?,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
    }
    let title = match title {
        Some(t) => t.to_string(),
        None => folder_title(dir),
    };
    let book_toml = BOOK_TOML.replace("{title}", &toml::Value::String(title).to_string());
    let vault = dir.join("vault");
    if !vault.is_dir() {
        std::fs::create_dir(&vault)
            .with_context(|| format!("cannot create the vault folder {}", vault.display()))?;
    }
    let mut steps = Vec::new();
    for (rel, text) in [
        ("book.toml", book_toml.as_str()),
        ("vault/README.md", README),
        (".gitignore", GITIGNORE),
    ] {
        let outcome = create_new(&dir.join(rel), text)?;
        steps.push(Step {
            path: PathBuf::from(rel),
            outcome,
        });
    }
    Ok(steps)
}

/// The title a book gets from its folder: the folder's name, as `mdbook init` would suggest.
/// A folder with no name of its own (`/`) gives a plain "My Book".
fn folder_title(dir: &Path) -> String {
    // Canonical, so that `.` and `..` name the folder they stand for.
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "My Book".to_string())
}

/// Writes `text` to `path` only if nothing is there: `O_EXCL` decides, in the same call that
/// creates the file, so a file is never replaced and a symlink never followed.
fn create_new(path: &Path, text: &str) -> Result<Outcome> {
    match OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(mut file) => {
            file.write_all(text.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(Outcome::Created)
        }
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(Outcome::Kept),
        Err(e) => Err(e).with_context(|| format!("cannot create {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The template with every `# key = value` line of a table uncommented.
    fn uncommented(template: &str) -> String {
        template
            .lines()
            .map(|line| match line.strip_prefix("# ") {
                Some(rest)
                    if rest.contains(" = ")
                        && !rest.starts_with("orphan-note")
                        && !rest.starts_with("rayon") =>
                {
                    rest.to_string()
                }
                _ => line.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_commented_keys_are_real_and_at_their_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let text = uncommented(&BOOK_TOML.replace("{title}", "\"T\""));
        assert!(text.contains("\nvault = \"vault\""), "{text}");
        assert!(text.contains("\nprofile = \"dev\""), "{text}");
        let config = crate::Config::from_str(dir.path(), &text).unwrap();
        let got = &config.vaultbook;
        let want = crate::config::VaultbookConfig::default();
        assert_eq!(got.vault, want.vault);
        assert_eq!(got.ignore, want.ignore);
        assert_eq!(got.order_key, want.order_key);
        assert_eq!(got.backlinks, want.backlinks);
        assert_eq!(got.tag_index, want.tag_index);
        assert_eq!(got.work_dir, want.work_dir);
        assert_eq!(got.raw_html, want.raw_html);
        assert_eq!(got.search, want.search);
        assert_eq!(got.graph, want.graph);
        assert_eq!(got.note_part_size, want.note_part_size);
        assert_eq!(got.search_bundle_size, want.search_bundle_size);
        assert_eq!(got.start.as_deref(), Some("README"));
        let (settings, diags) = crate::snippets::settings::Settings::from_table(&got.snippets);
        assert!(diags.is_empty(), "{diags:?}");
        let defaults = crate::snippets::settings::Settings::default();
        assert_eq!(settings.enabled, defaults.enabled);
        assert_eq!(settings.timeout, defaults.timeout);
        assert_eq!(settings.memory, defaults.memory);
        assert_eq!(settings.compile_timeout, defaults.compile_timeout);
        assert_eq!(settings.compile_memory, defaults.compile_memory);
        assert_eq!(settings.max_output, defaults.max_output);
        assert_eq!(settings.profile, defaults.profile);
    }

    #[test]
    fn titles_are_toml_strings() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("say \"hi\"");
        init(&root, None).unwrap();
        let text = std::fs::read_to_string(root.join("book.toml")).unwrap();
        let config = crate::Config::from_str(&root, &text).unwrap();
        assert_eq!(config.title(), Some("say \"hi\""));
    }
}
