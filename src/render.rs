//! HTML rendering in-process with mdbook-driver: users install no mdbook binary.

use std::path::Path;

use anyhow::{Context, Result};
use mdbook_driver::MDBook;

/// Renders the emitted source tree at `book_root` (holding book.toml and `src/`) into `dest`.
/// Only the HTML backend runs: other `[output.*]` tables are for a stock `mdbook build` of the
/// emitted tree.
pub fn render(book_root: &Path, dest: &Path) -> Result<()> {
    let text = std::fs::read_to_string(book_root.join("book.toml"))?;
    let mut table: toml::Table = toml::from_str(&text)?;
    if let Some(out) = table.get_mut("output").and_then(|o| o.as_table_mut()) {
        out.retain(|k, _| k == "html");
    }
    let mut config: mdbook_driver::config::Config = toml::to_string(&table)?
        .parse()
        .context("the emitted book.toml is not a valid mdBook configuration")?;
    config.build.build_dir = dest.to_path_buf();
    let book = MDBook::load_with_config(book_root, config)
        .map_err(|e| anyhow::anyhow!("{e:#}"))
        .context("mdBook could not load the emitted book")?;
    book.build()
        .map_err(|e| anyhow::anyhow!("{e:#}"))
        .context("mdBook could not render the book")?;
    Ok(())
}
