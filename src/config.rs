//! book.toml → [`Config`]. mdBook's own tables pass through to the emitted book; `[vaultbook]`
//! is ours and never reaches mdBook (0.5 rejects unknown top-level keys).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::book_files::BookFiles;

/// The name of the configuration file at the book root.
pub(crate) const CONFIG_FILE: &str = "book.toml";

/// Everything vaultbook needs to know about one book.
#[derive(Debug, Clone)]
pub struct Config {
    /// The book root: the folder holding book.toml (absolute).
    pub root: PathBuf,
    /// The vault folder (absolute).
    pub vault: PathBuf,
    /// Where HTML goes: mdBook's `build.build-dir`, resolved against the root.
    pub build_dir: PathBuf,
    /// Where vaultbook keeps its emitted source and caches (never inside the vault).
    pub work_dir: PathBuf,
    /// Our own settings from `[vaultbook]`.
    pub vaultbook: VaultbookConfig,
    /// book.toml with `[vaultbook]` removed: passed to mdBook as is (but for `book.src` and the
    /// options that name files).
    pub mdbook: toml::Table,
    /// The files mdBook's options name (`additional-css`, `theme/`, …), checked when book.toml
    /// was loaded to lie inside the book root (so that every command refuses a bad one); the
    /// emitter checks them again when it copies them.
    pub book_files: BookFiles,
}

/// The `[vaultbook]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct VaultbookConfig {
    /// The vault, relative to the book root.
    pub vault: PathBuf,
    /// Globs (relative to the vault) of files and folders to leave out.
    pub ignore: Vec<String>,
    /// The note that opens the book; default README, index or Home at the vault root.
    pub start: Option<String>,
    /// The frontmatter key that orders notes within a folder.
    pub order_key: String,
    /// Whether each page ends with the notes that link to it.
    pub backlinks: bool,
    /// Whether a tag index page is emitted and tags link to it.
    pub tag_index: bool,
    /// Where the emitted source and caches live, relative to the book root.
    pub work_dir: PathBuf,
    /// Whether notes' raw HTML goes into the book as written (scripts included) rather than
    /// sanitised: for vaults whose readers trust their authors.
    pub raw_html: bool,
    /// Whether hovering (or long-pressing) an internal link shows its target in a popover.
    pub previews: bool,
    /// Whether each page gets its local link graph and the book a whole-vault graph page.
    pub graph: bool,
    /// Which search index the book gets: `auto`, `mdbook` or `pagefind`.
    pub(crate) search: crate::search::SearchSetting,
    /// A note longer than twice this many bytes becomes several chapters of about this size,
    /// cut before its headings (see `emit::parts`); 0 keeps every note one page.
    pub note_part_size: u64,
    /// The page content (bytes) one Pagefind index is built from: a larger book gets several,
    /// which its search merges (see `search::BUNDLE_SIZE`); 0 builds one.
    pub search_bundle_size: u64,
    /// `[vaultbook.snippets]`, interpreted by the snippets module.
    pub snippets: toml::Table,
    /// `[vaultbook.check]`: per-code levels (`"error"`, `"warning"`, `"info"`, `"allow"`),
    /// checked against the registry of codes as book.toml loads.
    #[serde(skip)]
    pub check: crate::report::Levels,
}

impl Default for VaultbookConfig {
    fn default() -> Self {
        VaultbookConfig {
            vault: PathBuf::from("vault"),
            ignore: Vec::new(),
            start: None,
            order_key: "order".to_string(),
            backlinks: true,
            tag_index: true,
            work_dir: PathBuf::from("target/vaultbook"),
            raw_html: false,
            previews: true,
            graph: true,
            search: crate::search::SearchSetting::Auto,
            note_part_size: crate::emit::parts::PART_SIZE,
            search_bundle_size: crate::search::BUNDLE_SIZE,
            snippets: toml::Table::new(),
            check: crate::report::Levels::default(),
        }
    }
}

/// `[vaultbook.check]` as typed levels: every key a code of [`crate::codes::Code`], every value
/// a level; anything else is a configuration error.
pub(crate) fn check_levels(value: Option<toml::Value>) -> Result<crate::report::Levels> {
    let Some(value) = value else {
        return Ok(crate::report::Levels::default());
    };
    let Some(table) = value.as_table() else {
        bail!("[vaultbook.check] must be a table of `code = \"level\"` entries");
    };
    let mut levels = std::collections::BTreeMap::new();
    for (code, level) in table {
        let Some(level) = level.as_str() else {
            bail!(
                "[vaultbook.check]: `{code}` must be one of \"error\", \"warning\", \"info\" or \
                 \"allow\", not {level}"
            );
        };
        levels.insert(code.clone(), level.to_string());
    }
    crate::report::Levels::parse(&levels).map_err(anyhow::Error::msg)
}

impl Config {
    /// Loads `DIR/book.toml`. A missing or malformed file is a configuration error.
    pub fn load(root: &Path) -> Result<Config> {
        let root = std::path::absolute(root)
            .with_context(|| format!("cannot resolve book root {}", root.display()))?;
        let path = root.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "cannot read {} (is {} a book root?)",
                path.display(),
                root.display()
            )
        })?;
        Config::from_str(&root, &text).with_context(|| format!("in {}", path.display()))
    }

    /// Parses book.toml text for a book rooted at `root` (absolute), and checks the files its
    /// mdBook options name (see [`crate::book_files`]).
    pub fn from_str(root: &Path, text: &str) -> Result<Config> {
        let mut table: toml::Table = toml::from_str(text)?;
        let mut vaultbook = table.remove("vaultbook");
        // `[vaultbook.check]` is read on its own, for errors that name the table and the code.
        let check = vaultbook
            .as_mut()
            .and_then(toml::Value::as_table_mut)
            .and_then(|t| t.remove("check"));
        let mut vaultbook = match vaultbook {
            Some(v) => VaultbookConfig::deserialize(v)
                .map_err(|e| anyhow::anyhow!(with_suggestion(&e.to_string())))
                .context("in the [vaultbook] table")?,
            None => VaultbookConfig::default(),
        };
        vaultbook.check = check_levels(check)?;
        let vault = root.join(&vaultbook.vault);
        let build_dir = table
            .get("build")
            .and_then(|b| b.get("build-dir"))
            .and_then(|d| d.as_str())
            .unwrap_or("book");
        let build_dir = root.join(build_dir);
        let work_dir = root.join(&vaultbook.work_dir);
        let mut config = Config {
            root: root.to_path_buf(),
            vault,
            build_dir,
            work_dir,
            vaultbook,
            mdbook: table,
            book_files: BookFiles::default(),
        };
        config.validate()?;
        config.book_files = crate::book_files::collect(&config)?;
        Ok(config)
    }

    /// The configuration of `vaultbook preprocessor`: an mdBook's book.toml as mdBook hands it
    /// over (`mdbook`), its source folder `src` as the vault, and the keys of
    /// `[preprocessor.vaultbook]` (`vaultbook`). mdBook reads and writes the book itself, so
    /// only the work dir, where snippets are cached, is checked: inside the root, off the vault.
    pub(crate) fn for_mdbook(
        root: &Path,
        src: &Path,
        mdbook: toml::Table,
        vaultbook: VaultbookConfig,
    ) -> Result<Config> {
        let work_dir = root.join(&vaultbook.work_dir);
        if !inside(root, &work_dir) {
            bail!(
                "[preprocessor.vaultbook] work-dir {} is outside the book root {}",
                work_dir.display(),
                root.display()
            );
        }
        let build_dir = mdbook
            .get("build")
            .and_then(|b| b.get("build-dir"))
            .and_then(|d| d.as_str())
            .unwrap_or("book");
        let config = Config {
            root: root.to_path_buf(),
            vault: src.to_path_buf(),
            build_dir: root.join(build_dir),
            work_dir,
            vaultbook,
            mdbook,
            book_files: BookFiles::default(),
        };
        if config.vault.starts_with(&config.work_dir) || config.work_dir.starts_with(&config.vault)
        {
            bail!(
                "[preprocessor.vaultbook] work-dir {} overlaps the book's source {}: vaultbook \
                 never writes into it",
                config.work_dir.display(),
                config.vault.display()
            );
        }
        Ok(config)
    }

    /// Refuses layouts where reading or writing could leave the book, or writing our output
    /// could touch the vault.
    ///
    /// book.toml is untrusted (a pull request can change it): the folders it names, the vault,
    /// the build dir and the work dir, must lie inside the book root, symlinks resolved.
    /// `vault = "/"` would publish every note of the machine; `build-dir = "/root/.ssh"` would
    /// let the vault's attachments choose file names there. Only the command line (trusted)
    /// may put the output elsewhere ([`Config::set_build_dir`], [`Config::set_work_dir`]).
    fn validate(&self) -> Result<()> {
        for (what, dir) in [
            ("[vaultbook] vault", &self.vault),
            ("[build] build-dir", &self.build_dir),
            ("[vaultbook] work-dir", &self.work_dir),
        ] {
            if !inside(&self.root, dir) {
                bail!(
                    "{what} {} is outside the book root {}: book.toml may only name folders \
                     inside it (to build elsewhere, pass --dest-dir on the command line)",
                    dir.display(),
                    self.root.display()
                );
            }
        }
        self.validate_overlap()
    }

    /// Refuses an output folder that is, holds or lies in the vault.
    fn validate_overlap(&self) -> Result<()> {
        for (what, dir) in [("build-dir", &self.build_dir), ("work-dir", &self.work_dir)] {
            if self.vault.starts_with(dir) || dir.starts_with(&self.vault) {
                bail!(
                    "the {what} {} overlaps the vault {}: vaultbook never writes into the vault",
                    dir.display(),
                    self.vault.display()
                );
            }
        }
        Ok(())
    }

    /// Builds the HTML into `dir` instead of `[build] build-dir`: for the command line and
    /// other trusted callers, so `dir` may be outside the book root (never in the vault).
    pub fn set_build_dir(&mut self, dir: &Path) -> Result<()> {
        self.build_dir = std::path::absolute(dir)?;
        self.validate_overlap()
    }

    /// Keeps the emitted source and caches in `dir` instead of `[vaultbook] work-dir` (trusted
    /// callers only, like [`Config::set_build_dir`]).
    pub fn set_work_dir(&mut self, dir: &Path) -> Result<()> {
        self.work_dir = std::path::absolute(dir)?;
        self.validate_overlap()
    }

    /// The book title from `[book] title`, if any.
    pub fn title(&self) -> Option<&str> {
        self.mdbook.get("book")?.get("title")?.as_str()
    }

    /// The book.toml to emit: ours removed, `book.src` set to `src`, the options that name files
    /// rewritten to their copies in `files` (`input_404`: the chapter the 404 page comes from), our
    /// stylesheets and scripts added to `[output.html]` (math is MathML, which needs no
    /// MathJax: an author's own `mathjax-support` passes through).
    pub fn emitted_book_toml(
        &self,
        files: &BookFiles,
        extra_css: &[&str],
        extra_js: &[&str],
        input_404: Option<&str>,
    ) -> String {
        let mut table = self.mdbook.clone();
        files.rewrite(&mut table, input_404);
        let book = table
            .entry("book")
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if let Some(book) = book.as_table_mut() {
            book.insert("src".into(), toml::Value::String("src".into()));
        }
        // The emitted tree builds into its own `book/` unless the author chose otherwise.
        if let Some(build) = table.get_mut("build").and_then(|b| b.as_table_mut()) {
            build.remove("build-dir");
            build.insert("create-missing".into(), toml::Value::Boolean(false));
        }
        let output = table
            .entry("output")
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if let Some(html) = output.as_table_mut().map(|o| {
            o.entry("html")
                .or_insert_with(|| toml::Value::Table(toml::Table::new()))
        }) && let Some(html) = html.as_table_mut()
        {
            for (key, files) in [("additional-css", extra_css), ("additional-js", extra_js)] {
                if files.is_empty() {
                    continue;
                }
                let list = html
                    .entry(key)
                    .or_insert_with(|| toml::Value::Array(Vec::new()));
                if let Some(list) = list.as_array_mut() {
                    for f in files {
                        let v = toml::Value::String((*f).to_string());
                        if !list.contains(&v) {
                            list.push(v);
                        }
                    }
                }
            }
        }
        toml::to_string(&table).unwrap_or_default()
    }
}

/// Whether `path` lies in `root` (or is it), with `..` taken lexically and then symlinks
/// resolved on both, so that neither `../x` nor a link inside the book leads out of it.
fn inside(root: &Path, path: &Path) -> bool {
    let (root, path) = (lexical(root), lexical(path));
    path.starts_with(&root)
        && crate::emit::output::canonical_prefix(&path)
            .starts_with(crate::emit::output::canonical_prefix(&root))
}

/// `path` with `.` and `..` components folded (`a/b/../c` → `a/c`), without touching the disk.
fn lexical(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// serde's "unknown field `valut`, expected one of `vault`, …" with "did you mean `vault`?"
/// added: the expected keys are serde's own list, so there is one list of keys, the struct's.
fn with_suggestion(message: &str) -> String {
    let Some(rest) = message.split_once("unknown field `").map(|(_, r)| r) else {
        return message.to_string();
    };
    let Some((field, rest)) = rest.split_once('`') else {
        return message.to_string();
    };
    let expected: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    match crate::suggest::closest(field, expected.iter().copied(), 1).first() {
        Some(near) => format!("{message} (did you mean `{near}`?)"),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_vaultbook_key_gets_a_suggestion() {
        let err = Config::from_str(Path::new("/book"), "[vaultbook]\nvalut = \"notes\"\n")
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(err.contains("unknown field `valut`"), "{err}");
        assert!(err.contains("(did you mean `vault`?)"), "{err}");
    }

    #[test]
    fn inside_takes_dot_dot_and_symlinks_into_account() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("book");
        std::fs::create_dir_all(root.join("in")).unwrap();
        std::os::unix::fs::symlink("/etc", root.join("out")).unwrap();
        assert!(inside(&root, &root.join("in/new/deeper")));
        assert!(inside(&root, &root.join("in/../book-dir")));
        assert!(!inside(&root, &root.join("../elsewhere")));
        assert!(!inside(&root, &root.join("in/../../elsewhere")));
        assert!(!inside(&root, &root.join("out/new")));
        assert!(!inside(&root, Path::new("/etc")));
    }

    #[test]
    fn vaultbook_table_is_ours_and_the_rest_passes_through() {
        let c = Config::from_str(
            Path::new("/b"),
            "[book]\ntitle='T'\nsrc='x'\n[vaultbook]\nvault='notes'\n[output.html]\nmathjax-support=true\n",
        )
        .unwrap();
        assert_eq!(c.vault, Path::new("/b/notes"));
        assert_eq!(c.build_dir, Path::new("/b/book"));
        let emitted =
            c.emitted_book_toml(&c.book_files, &["vaultbook.css"], &["vaultbook.js"], None);
        assert!(!emitted.contains("vaultbook]"), "{emitted}");
        assert!(emitted.contains("src = \"src\""));
        assert!(emitted.contains("mathjax-support = true"));
        assert!(emitted.contains("vaultbook.css"));
        assert!(
            emitted.contains("additional-js = [\"vaultbook.js\"]"),
            "{emitted}"
        );
    }

    #[test]
    fn check_levels_are_typed_when_book_toml_loads() {
        use crate::codes::Code;
        use crate::report::Level;
        let c = Config::from_str(
            Path::new("/b"),
            "[vaultbook.check]\nsnippet-unexpected-success = 'allow'\nembed-depth = 'warning'\n",
        )
        .unwrap();
        assert_eq!(
            c.vaultbook.check.get(Code::SnippetUnexpectedSuccess),
            Some(Level::Allow)
        );
        assert_eq!(
            c.vaultbook.check.get(Code::EmbedDepth),
            Some(Level::Warning)
        );
        assert_eq!(c.vaultbook.check.get(Code::BrokenLink), None);

        let err = Config::from_str(Path::new("/b"), "[vaultbook.check]\nembed-dept = 'allow'\n")
            .unwrap_err();
        let err = format!("{err:#}");
        assert!(
            err.contains("unknown check `embed-dept` (did you mean `embed-depth`?)"),
            "{err}"
        );
        assert!(err.contains("vaultbook check --list-codes"), "{err}");
        let err =
            Config::from_str(Path::new("/b"), "[vaultbook.check]\nmojibake = 1\n").unwrap_err();
        assert!(
            format!("{err:#}").contains("`mojibake` must be one of"),
            "{err:#}"
        );
    }

    #[test]
    fn output_inside_the_vault_is_refused() {
        let err = Config::from_str(
            Path::new("/b"),
            "[vaultbook]\nvault='.'\n[build]\nbuild-dir='book'\n",
        );
        assert!(err.is_err());
    }

    #[test]
    fn unknown_vaultbook_keys_are_errors() {
        assert!(Config::from_str(Path::new("/b"), "[vaultbook]\nvualt='x'\n").is_err());
    }
}
