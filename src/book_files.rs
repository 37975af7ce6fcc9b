//! The mdBook options of book.toml that name files: checked against the book root, copied into
//! the emitted tree, and rewritten to the copies.
//!
//! book.toml is untrusted input (a pull request may change it), and mdBook trusts it: it joins
//! these paths to its root, so `/x` and `../x` read and write anywhere (`additional-css =
//! ["/some/file"]` copies the file onto itself, truncating it), and it follows symlinks.
//! vaultbook also renders an emitted tree in its work dir, not the book root, so even honest
//! paths (`custom.css` beside book.toml, `theme/`) would resolve against the wrong folder.
//!
//! So every such option is resolved here against the book root, as mdBook resolves it in
//! place, and refused when it leaves the root, lexically or through a symlink, or names
//! vaultbook's own output. The files it names are copied to the same relative place in the
//! emitted tree, which then renders exactly as mdBook renders the book in place and stays a
//! standalone mdBook.
//!
//! mdBook 0.5.4's path-bearing options, from its `Config` and HTML renderer:
//! - `[output.html] additional-css`, `additional-js`: files, copied to the build dir at the
//!   same relative path and linked from every page.
//! - `[output.html] theme` (default `theme/`): the files in [`THEME_FILES`] and `fonts/`.
//! - `[output.html] input-404`: a file of the book's source (the vault here); its page is
//!   written to the same path with `.md` replaced by `.html`.
//! - `[output.html.redirect]`: each key is a file written in the build dir; values are URLs.
//! - `[build] extra-watch-dirs`: folders `mdbook serve` watches.
//! - `[book] src` and `[build] build-dir` are vaultbook's to set (see [`crate::config`]).
//!
//! Favicons and the playground's editor (`ace.js`) have no options of their own in 0.5: the
//! favicons are theme files, the editor is built in. `cname` and `site-url` are text, not paths.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use crate::config::Config;
use crate::relpath;

/// The files mdBook 0.5 reads from a theme folder (besides `fonts/`), relative to it.
pub(crate) const THEME_FILES: &[&str] = &[
    "index.hbs",
    "head.hbs",
    "redirect.hbs",
    "header.hbs",
    "toc.js.hbs",
    "toc.html.hbs",
    "book.js",
    "css/chrome.css",
    "css/general.css",
    "css/print.css",
    "css/variables.css",
    "highlight.js",
    "clipboard.min.js",
    "highlight.css",
    "tomorrow-night.css",
    "ayu-highlight.css",
    "favicon.png",
    "favicon.svg",
];

/// A file of the book root that goes into the emitted tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookFile {
    /// Where in the emitted tree: relative to its root, `/`-separated.
    pub dest: String,
    /// The file, canonical, inside the book root.
    pub source: PathBuf,
    /// The option that named it (`additional-css`, `theme`, …), for error messages.
    pub option: &'static str,
}

/// What the file options of one book.toml amount to, once checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BookFiles {
    /// The files to copy into the emitted tree.
    pub copies: Vec<BookFile>,
    /// `additional-css` as paths of the emitted tree (None when book.toml has none).
    additional_css: Option<Vec<String>>,
    /// `additional-js` as paths of the emitted tree.
    additional_js: Option<Vec<String>>,
    /// `theme` as a path of the emitted tree, when book.toml sets it.
    theme: Option<String>,
    /// `input-404`, normalised, relative to the vault (mdBook's source folder); `""` turns the
    /// 404 page off, as in mdBook.
    pub input_404: Option<String>,
    /// `extra-watch-dirs`, normalised, relative to the book root.
    extra_watch_dirs: Vec<String>,
}

/// The folders a named file must not lie in, and the root it must lie in.
struct Bounds {
    root: PathBuf,
    /// The root, canonical.
    canonical: PathBuf,
    /// vaultbook's build and work dirs, canonical as far as they exist.
    outputs: Vec<PathBuf>,
}

impl Bounds {
    /// `raw` (relative to the book root) checked: inside the root lexically and after symlinks,
    /// not in vaultbook's output. Returns its normalised relative form and its canonical path,
    /// or None for the canonical path when nothing exists there.
    fn resolve(&self, option: &str, raw: &str) -> Result<(String, Option<PathBuf>)> {
        let Some(rel) = relpath::normalize(raw) else {
            bail!(
                "{option}: {raw:?} is outside the book root {}: mdBook options may only name files inside the book",
                self.root.display()
            );
        };
        let path = self.root.join(&rel);
        if std::fs::symlink_metadata(&path).is_err() {
            return Ok((rel, None));
        }
        let Ok(canonical) = path.canonicalize() else {
            // A dangling symlink: mdBook sees no file there either.
            return Ok((rel, None));
        };
        if !canonical.starts_with(&self.canonical) {
            bail!(
                "{option}: {raw:?} leads outside the book root {} (a symbolic link to {})",
                self.root.display(),
                canonical.display()
            );
        }
        if let Some(out) = self.outputs.iter().find(|o| canonical.starts_with(o)) {
            bail!(
                "{option}: {raw:?} lies in vaultbook's own output {}: name a file of the book instead",
                out.display()
            );
        }
        Ok((rel, Some(canonical)))
    }

    /// Like [`Bounds::resolve`], for a name that must be an existing regular file.
    fn file(&self, option: &'static str, raw: &str) -> Result<BookFile> {
        let (rel, canonical) = self.resolve(option, raw)?;
        let Some(source) = canonical else {
            bail!(
                "{option}: {raw:?} does not exist in the book root {}",
                self.root.display()
            );
        };
        if !source.is_file() {
            bail!("{option}: {raw:?} is not a regular file");
        }
        Ok(BookFile {
            dest: rel,
            source,
            option,
        })
    }
}

/// Checks the file options of `config`'s book.toml and lists what to copy. An option that
/// leaves the book root, names vaultbook's output, or names a file that is not there is a
/// configuration error naming the option and the path.
pub(crate) fn collect(config: &Config) -> Result<BookFiles> {
    let html = config
        .mdbook
        .get("output")
        .and_then(|o| o.get("html"))
        .and_then(|h| h.as_table());
    let build = config.mdbook.get("build").and_then(|b| b.as_table());
    let theme = html.and_then(|h| h.get("theme"));
    let wanted = html.is_some_and(|h| {
        ["additional-css", "additional-js", "input-404", "redirect"]
            .iter()
            .any(|k| h.contains_key(*k))
    }) || theme.is_some()
        || build.is_some_and(|b| b.contains_key("extra-watch-dirs"))
        || std::fs::symlink_metadata(config.root.join("theme")).is_ok();
    if !wanted {
        // Nothing to check, and nothing on disk to look at (a root that need not exist).
        return Ok(BookFiles::default());
    }
    let canonical = config.root.canonicalize().map_err(|e| {
        anyhow::anyhow!(
            "cannot resolve the book root {}: {e}",
            config.root.display()
        )
    })?;
    let bounds = Bounds {
        root: config.root.clone(),
        canonical,
        outputs: [&config.build_dir, &config.work_dir]
            .into_iter()
            .map(|d| crate::emit::output::canonical_prefix(d))
            .collect(),
    };
    let mut files = BookFiles::default();
    for (key, option) in [
        ("additional-css", "[output.html] additional-css"),
        ("additional-js", "[output.html] additional-js"),
    ] {
        let Some(list) = html.and_then(|h| h.get(key)) else {
            continue;
        };
        let mut dests = Vec::new();
        for raw in strings(list, option)? {
            let file = bounds.file(option, raw)?;
            dests.push(file.dest.clone());
            files.copies.push(file);
        }
        if key == "additional-css" {
            files.additional_css = Some(dests);
        } else {
            files.additional_js = Some(dests);
        }
    }
    match theme {
        Some(raw) => {
            let Some(raw) = raw.as_str() else {
                bail!("[output.html] theme: must be a path");
            };
            let (rel, dir) = bounds.resolve("[output.html] theme", raw)?;
            match dir {
                Some(dir) if dir.is_dir() => theme_files(&bounds, raw, &rel, &dir, &mut files)?,
                _ => bail!(
                    "[output.html] theme: {raw:?} is not a folder of the book root {}",
                    config.root.display()
                ),
            }
            files.theme = Some(if rel.is_empty() { ".".into() } else { rel });
        }
        None => {
            // mdBook's default: a theme/ folder beside book.toml, if there is one.
            let (rel, dir) = bounds.resolve("[output.html] theme", "theme")?;
            if let Some(dir) = dir.filter(|d| d.is_dir()) {
                theme_files(&bounds, "theme", &rel, &dir, &mut files)?;
            }
        }
    }
    if let Some(raw) = html.and_then(|h| h.get("input-404")) {
        let Some(raw) = raw.as_str() else {
            bail!("[output.html] input-404: must be a path");
        };
        // Read from the book's source and written to the same path in the build dir.
        let Some(rel) = relpath::normalize(raw) else {
            bail!(
                "[output.html] input-404: {raw:?} is outside the book's source (the vault): name a note of the vault"
            );
        };
        files.input_404 = Some(rel);
    }
    if let Some(redirects) = html
        .and_then(|h| h.get("redirect"))
        .and_then(|r| r.as_table())
    {
        for key in redirects.keys() {
            // mdBook writes a page at the key, a path in the build dir (a leading `/` means the
            // build dir's root); the fragment only picks the target.
            let path = key.split('#').next().unwrap_or_default();
            if relpath::normalize(path.trim_start_matches('/')).is_none() {
                bail!(
                    "[output.html.redirect]: {key:?} is outside the build dir: a redirect may only create a page of the book"
                );
            }
        }
    }
    if let Some(dirs) = build.and_then(|b| b.get("extra-watch-dirs")) {
        for raw in strings(dirs, "[build] extra-watch-dirs")? {
            let (rel, _) = bounds.resolve("[build] extra-watch-dirs", raw)?;
            files.extra_watch_dirs.push(rel);
        }
    }
    Ok(files)
}

impl BookFiles {
    /// What `serve` watches for these options, relative to the book root: every file named,
    /// the theme folder when book.toml sets one, and `extra-watch-dirs`. A change there
    /// rebuilds the whole book, as with `mdbook serve`.
    pub fn watched(&self) -> impl Iterator<Item = &str> {
        self.copies
            .iter()
            .map(|f| f.dest.as_str())
            .chain(self.theme.as_deref())
            .chain(self.extra_watch_dirs.iter().map(String::as_str))
    }

    /// Rewrites the file options of an emitted book.toml to the copies in the emitted tree;
    /// `input_404` is the chapter the 404 page comes from (the vault path mapped to its chapter).
    pub fn rewrite(&self, table: &mut toml::Table, input_404: Option<&str>) {
        // They name folders of the book root, which the emitted tree does not have.
        if let Some(build) = table.get_mut("build").and_then(|b| b.as_table_mut()) {
            build.remove("extra-watch-dirs");
        }
        let Some(html) = table
            .get_mut("output")
            .and_then(|o| o.get_mut("html"))
            .and_then(|h| h.as_table_mut())
        else {
            return;
        };
        let strings = |v: &[String]| {
            toml::Value::Array(v.iter().map(|s| toml::Value::String(s.clone())).collect())
        };
        if let Some(css) = &self.additional_css {
            html.insert("additional-css".into(), strings(css));
        }
        if let Some(js) = &self.additional_js {
            html.insert("additional-js".into(), strings(js));
        }
        if let Some(theme) = &self.theme {
            html.insert("theme".into(), toml::Value::String(theme.clone()));
        }
        if let Some(page) = input_404 {
            html.insert("input-404".into(), toml::Value::String(page.into()));
        }
    }
}

/// The theme files of the theme folder `dir` (canonical; `rel` in the book, `raw` as written).
fn theme_files(
    bounds: &Bounds,
    raw: &str,
    rel: &str,
    dir: &Path,
    files: &mut BookFiles,
) -> Result<()> {
    let join = |a: &str, b: &str| {
        if a.is_empty() {
            b.to_string()
        } else {
            format!("{a}/{b}")
        }
    };
    let mut names: Vec<String> = THEME_FILES.iter().map(|s| s.to_string()).collect();
    let fonts = dir.join("fonts");
    if fonts.is_dir() {
        names.push("fonts/fonts.css".into());
        // mdBook copies every file of fonts/ (not its folders) to the book's fonts/.
        let mut entries: Vec<String> = Vec::new();
        for entry in std::fs::read_dir(&fonts)? {
            let entry = entry?;
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                bail!(
                    "[output.html] theme: {:?} has a file name that is not UTF-8",
                    join(raw, "fonts")
                );
            };
            if name != "fonts.css" && !entry.path().is_dir() {
                entries.push(format!("fonts/{name}"));
            }
        }
        entries.sort();
        names.extend(entries);
    }
    for name in names {
        let shown = join(raw, &name);
        let (_, canonical) = bounds
            .resolve("[output.html] theme", &join(rel, &name))
            .map_err(|e| anyhow::anyhow!("{e:#} (in the theme, {shown:?})"))?;
        let Some(source) = canonical else { continue };
        if !source.is_file() {
            bail!("[output.html] theme: {shown:?} is not a regular file");
        }
        files.copies.push(BookFile {
            dest: join(rel, &name),
            source,
            option: "[output.html] theme",
        });
    }
    Ok(())
}

/// The strings of a list option.
fn strings<'a>(value: &'a toml::Value, option: &str) -> Result<Vec<&'a str>> {
    let Some(list) = value.as_array() else {
        bail!("{option}: must be a list of paths");
    };
    list.iter()
        .map(|v| {
            v.as_str()
                .ok_or_else(|| anyhow::anyhow!("{option}: must be a list of paths"))
        })
        .collect()
}
