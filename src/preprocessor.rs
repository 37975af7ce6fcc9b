//! `vaultbook preprocessor`: vaultbook inside an ordinary mdBook, as one of its preprocessors.
//!
//! The protocol is mdBook's: `vaultbook preprocessor supports RENDERER` answers by its exit
//! code, and otherwise mdBook writes `[context, book]` as JSON on stdin and reads the book back
//! on stdout. In between, the book's chapters become the notes of a vault and go through the
//! [`Driver`] like any vault (`Driver::preprocess`): Obsidian's links, embeds, callouts and
//! snippets, with the chapters' paths and the SUMMARY left as the author made them.
//! Diagnostics go to stderr in the format of `vaultbook check`; a bad chapter never fails the
//! run, only the environment or the configuration does.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use mdbook_preprocessor::book::BookItem;
use mdbook_preprocessor::{MDBOOK_VERSION, PreprocessorContext};
use serde::Deserialize;

use crate::config::{Config, VaultbookConfig, check_levels};
use crate::driver::{Chapter, Driver, Options, Verbosity};
use crate::report::{self, Format};

/// The keys of a `[preprocessor.NAME]` table that mdBook itself reads.
const MDBOOK_KEYS: &[&str] = &["command", "before", "after", "renderers", "optional"];

/// The keys of `[vaultbook]` that mean something for an mdBook's chapters, read from
/// `[preprocessor.vaultbook]`. The others (`vault`, `ignore`, `start`, `order-key`,
/// `tag-index`, `previews`, `search`) shape a book vaultbook plans and renders itself.
const KEYS: &[&str] = &["backlinks", "raw-html", "work-dir", "snippets", "check"];

/// How the preprocessor reports: which diagnostics it prints, and in which format.
#[derive(Debug, Clone, Copy)]
pub struct Printing {
    /// Which severities are printed.
    pub verbosity: Verbosity,
    /// The format of the diagnostics on stderr (`vaultbook check`'s).
    pub format: Format,
}

/// Whether the preprocessor runs for `renderer` (`vaultbook preprocessor supports RENDERER`).
///
/// `html`, and mdBook's `markdown` renderer, which writes out the markdown the preprocessors
/// made. Other renderers (EPUB, PDF, LaTeX) would get vaultbook's HTML (callouts, embeds,
/// snippet output) in their markdown, which they may or may not read; mdBook then leaves
/// vaultbook out for them, unless the book lists them in `renderers`.
pub fn supports(renderer: &str) -> bool {
    matches!(renderer, "html" | "markdown")
}

/// Reads `[context, book]` from `input`, writes the processed book to `output`, prints the
/// diagnostics on stderr. An `Err` is the environment's or the configuration's (mdBook then
/// fails the build); a bad chapter is a diagnostic and the book is still written.
pub fn run(
    input: impl Read,
    output: impl Write,
    options: Options,
    printing: Printing,
) -> Result<()> {
    let mut bytes = Vec::new();
    std::io::BufReader::new(input)
        .read_to_end(&mut bytes)
        .context("cannot read the book from mdBook on stdin")?;
    let (ctx, mut book) = match mdbook_preprocessor::parse_input(bytes.as_slice()) {
        Ok(parsed) => parsed,
        Err(e) => {
            let sent = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| v.get(0)?.get("mdbook_version")?.as_str().map(String::from));
            return Err(match sent {
                Some(v) if !same_minor(&v, MDBOOK_VERSION) => e.context(format!(
                    "mdBook {v} sent a book that vaultbook (built for mdBook \
                     {MDBOOK_VERSION}) cannot read"
                )),
                _ => e.context("cannot read the book mdBook sent on stdin"),
            });
        }
    };
    if !same_minor(&ctx.mdbook_version, MDBOOK_VERSION) {
        eprintln!(
            "vaultbook: warning: this is mdBook {}, and vaultbook was built for mdBook \
             {MDBOOK_VERSION}; heading ids may differ",
            ctx.mdbook_version
        );
    }
    let config = config_of(&ctx)?;
    let mut chapters = Vec::new();
    walk(&mut book.items, &mut |c| {
        let (Some(path), source) = (&c.path, &c.source_path) else {
            return;
        };
        chapters.push(Chapter {
            source: lossy(source.as_deref().unwrap_or(path)),
            path: lossy(path),
            content: c.content.clone(),
        });
    });

    let (report, texts) = Driver::new(config, options).preprocess(&chapters)?;

    // Callouts, embeds and snippet output need vaultbook's stylesheet, which a preprocessor
    // cannot add to the book's files: each page vaultbook changed carries it (mdBook's search
    // skips <style>).
    let style = (ctx.renderer == "html").then(|| {
        format!(
            "<style>\n{}\n{}</style>\n\n",
            crate::emit::CSS,
            crate::snippets::SNIPPET_CSS
        )
    });
    let mut texts = texts.into_iter();
    walk(&mut book.items, &mut |c| {
        if c.path.is_none() {
            return;
        }
        let Some(Some(text)) = texts.next() else {
            return;
        };
        if text != c.content {
            c.content = match &style {
                Some(s) => format!("{s}{text}"),
                None => text,
            };
        }
    });

    let shown: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| printing.verbosity.shows(d.severity))
        .cloned()
        .collect();
    if !shown.is_empty() {
        let color = printing.format == Format::Human && std::io::stderr().is_terminal();
        // The human format ends in its own count line, as `check` prints it.
        eprint!(
            "{}",
            report::render(&shown, &report.sources, printing.format, color)
        );
    }
    let mut output = std::io::BufWriter::new(output);
    serde_json::to_writer(&mut output, &book).context("cannot write the book to mdBook")?;
    output.flush().context("cannot write the book to mdBook")?;
    Ok(())
}

/// The chapters of `items`, depth first in SUMMARY order (a chapter before its sub-chapters),
/// drafts included (`path` None), so that two walks meet the same chapters in the same order.
fn walk(items: &mut [BookItem], f: &mut impl FnMut(&mut mdbook_preprocessor::book::Chapter)) {
    for item in items {
        if let BookItem::Chapter(c) = item {
            f(c);
            walk(&mut c.sub_items, f);
        }
    }
}

/// A path as the `/`-separated text vaultbook names files with.
fn lossy(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// Whether two versions have the same major and minor number (mdBook's protocol changes
/// between minor versions before 1.0).
fn same_minor(a: &str, b: &str) -> bool {
    a.split('.').take(2).eq(b.split('.').take(2))
}

/// The configuration from what mdBook sent: its book.toml as the mdBook tables, its `src/` as
/// the vault, `[preprocessor.vaultbook]` as vaultbook's own.
fn config_of(ctx: &PreprocessorContext) -> Result<Config> {
    let root = std::path::absolute(&ctx.root)
        .with_context(|| format!("cannot resolve the book root {}", ctx.root.display()))?;
    let mdbook = toml::Table::try_from(&ctx.config).context("cannot read mdBook's book.toml")?;
    let src = root.join(&ctx.config.book.src);
    let table: Option<toml::Table> = ctx
        .config
        .get("preprocessor.vaultbook")
        .context("in [preprocessor.vaultbook]")?;
    let vaultbook = options_of(table.unwrap_or_default())?;
    Config::for_mdbook(&root, &src, mdbook, vaultbook)
}

/// vaultbook's settings from `[preprocessor.vaultbook]`: the keys of [`KEYS`], with
/// `backlinks` off unless asked for (an author's mdBook gets nothing they did not write).
fn options_of(mut table: toml::Table) -> Result<VaultbookConfig> {
    for key in MDBOOK_KEYS {
        table.remove(*key);
    }
    if let Some(key) = table.keys().find(|k| !KEYS.contains(&k.as_str())) {
        let known = KEYS.iter().chain(MDBOOK_KEYS).copied();
        let near = crate::suggest::closest(key, known, 1);
        let hint = match near.first() {
            Some(n) => format!(" (did you mean `{n}`?)"),
            None => String::new(),
        };
        bail!(
            "[preprocessor.vaultbook]: unknown key `{key}`{hint}; vaultbook reads {} here",
            KEYS.iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let check = table.remove("check");
    let backlinks = table.contains_key("backlinks");
    let mut vaultbook = VaultbookConfig::deserialize(toml::Value::Table(table))
        .context("in [preprocessor.vaultbook]")?;
    if !backlinks {
        vaultbook.backlinks = false;
    }
    vaultbook.check = check_levels(check).context("in [preprocessor.vaultbook.check]")?;
    Ok(vaultbook)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> toml::Table {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn supports_html_and_markdown_only() {
        assert!(supports("html"));
        assert!(supports("markdown"));
        assert!(!supports("epub"));
        assert!(!supports(""));
    }

    #[test]
    fn versions_compare_by_minor() {
        assert!(same_minor("0.5.4", "0.5.0"));
        assert!(!same_minor("0.4.52", "0.5.4"));
    }

    #[test]
    fn options_read_the_keys_that_apply_and_refuse_the_rest() {
        let vb = options_of(table(
            "command = \"vaultbook preprocessor\"\nraw-html = true",
        ))
        .unwrap();
        assert!(vb.raw_html);
        assert!(!vb.backlinks, "backlinks are opt-in in an mdBook");
        let vb = options_of(table(
            "backlinks = true\n[check]\nbroken-link = \"warning\"",
        ))
        .unwrap();
        assert!(vb.backlinks);
        assert!(!vb.check.is_empty());
        let err = options_of(table("vault = \"notes\""))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown key `vault`"), "{err}");
        let err = options_of(table("raw-htm = true")).unwrap_err().to_string();
        assert!(err.contains("did you mean `raw-html`"), "{err}");
        let err = options_of(table("[check]\nnot-a-code = \"error\"")).unwrap_err();
        assert!(format!("{err:#}").contains("[preprocessor.vaultbook.check]"));
    }
}
