//! The programs book.toml names, which vaultbook runs only when the user says so.
//!
//! mdBook runs a program for every `[preprocessor.NAME]` table but its built-in `links` and
//! `index`: the table's `command`, or `mdbook-NAME` from `PATH` (first as `COMMAND supports
//! html`, then on the book). book.toml is untrusted input, so a book that could run a program
//! by being built would turn every build of a pull request into code execution on the builder.
//! vaultbook therefore runs these only with `--allow-commands` on the command line (never under
//! `--no-run`, which runs nothing from the book), and says which it skipped.
//!
//! `[output.NAME]` renderers other than `html` never run in-process (see [`crate::render`]).

use std::path::Path;

use anyhow::{Context, Result};

use crate::config::Config;
use crate::diagnostics::{Code, Diagnostic};
use crate::driver::Options;

/// mdBook's own preprocessors: built in, they run no program whatever their table says.
pub(crate) const BUILT_IN: &[&str] = &["links", "index"];

fn is_built_in(name: &str) -> bool {
    BUILT_IN.contains(&name)
}

/// The diagnostic code of the warning for skipped commands.
pub(crate) const SKIPPED: Code = Code::SkippedCommand;

/// An external preprocessor of a book.toml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct External {
    /// The name of its `[preprocessor.NAME]` table.
    pub name: String,
    /// The command mdBook would run, as written.
    pub command: String,
    /// `optional = true`: a missing program is not an error.
    pub optional: bool,
}

/// The external preprocessors of a book.toml (`[vaultbook]` removed), sorted by name.
pub(crate) fn external_preprocessors(mdbook: &toml::Table) -> Vec<External> {
    let Some(tables) = mdbook.get("preprocessor").and_then(|p| p.as_table()) else {
        return Vec::new();
    };
    let mut external: Vec<External> = tables
        .iter()
        .filter(|(name, _)| !is_built_in(name))
        .map(|(name, table)| External {
            name: name.clone(),
            command: table
                .get("command")
                .and_then(|c| c.as_str())
                .map_or_else(|| format!("mdbook-{name}"), str::to_string),
            optional: table
                .get("optional")
                .and_then(|o| o.as_bool())
                .unwrap_or(false),
        })
        .collect();
    external.sort_by(|a, b| a.name.cmp(&b.name));
    external
}

/// Whether `options` let the book's commands run: opted in, and not under `--no-run`.
pub(crate) fn allowed(options: &Options) -> bool {
    options.allow_commands && options.run_snippets
}

/// Removes every external preprocessor from a book.toml about to be rendered, so that mdBook
/// never learns of a program to run.
pub(crate) fn remove_external(table: &mut toml::Table) {
    if let Some(tables) = table.get_mut("preprocessor").and_then(|p| p.as_table_mut()) {
        tables.retain(|name, _| is_built_in(name));
    }
}

/// `command` with a program given as a relative path (`./tools/pp.sh`) made absolute under
/// `root`: mdBook resolves it against its own root, which for the emitted tree is the work dir.
/// Any other command is returned as written, for mdBook to split as it always does.
pub(crate) fn rooted(command: &str, root: &Path) -> Result<String> {
    let Some(mut words) = shlex::split(command) else {
        return Ok(command.to_string());
    };
    let Some(program) = words.first_mut() else {
        return Ok(command.to_string());
    };
    let path = Path::new(program.as_str());
    if !path.is_relative() || path.components().count() < 2 {
        return Ok(command.to_string());
    }
    *program = root.join(path).to_string_lossy().into_owned();
    shlex::try_join(words.iter().map(String::as_str))
        .with_context(|| format!("cannot quote the command {command:?}"))
}

/// The warning for a build of `config` that did not run the external preprocessors its
/// book.toml names (none when there are none, or when they ran).
pub(crate) fn skipped(config: &Config, options: &Options) -> Vec<Diagnostic> {
    let external = external_preprocessors(&config.mdbook);
    if external.is_empty() || allowed(options) {
        return Vec::new();
    }
    let names: Vec<String> = external
        .iter()
        .map(|e| format!("`{}` (`{}`)", e.name, e.command))
        .collect();
    let why = if options.run_snippets {
        "commands named in book.toml run only with --allow-commands on the command line"
    } else {
        "--no-run runs nothing from the book; build with --allow-commands to run them"
    };
    let mut diags = vec![
        Diagnostic::new(
            SKIPPED,
            format!(
                "not running the preprocessor{} book.toml names: {} ({why})",
                if names.len() == 1 { "" } else { "s" },
                names.join(", ")
            ),
        )
        .in_file(crate::config::CONFIG_FILE)
        .with_help("the book is built without them: pages they would change may differ"),
    ];
    // Levels were validated when book.toml was loaded.
    crate::report::apply_levels(&mut diags, &config.vaultbook.check);
    diags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_preprocessors_are_not_external() {
        let table: toml::Table = toml::from_str(
            "[preprocessor.links]\ncommand='x'\n[preprocessor.index]\n[preprocessor.katex]\n[preprocessor.b]\ncommand='./b.sh --flag'\noptional=true\n",
        )
        .unwrap();
        let ext = external_preprocessors(&table);
        assert_eq!(
            ext.iter().map(|e| e.command.as_str()).collect::<Vec<_>>(),
            ["./b.sh --flag", "mdbook-katex"]
        );
        assert!(ext[0].optional);
        let mut table = table;
        remove_external(&mut table);
        let left = table["preprocessor"].as_table().unwrap();
        assert_eq!(left.keys().collect::<Vec<_>>(), ["index", "links"]);
    }

    #[test]
    fn relative_programs_are_rooted_and_the_rest_is_kept() {
        let root = Path::new("/book root");
        assert_eq!(
            rooted("./tools/pp.sh --x 'a b'", root).unwrap(),
            "'/book root/./tools/pp.sh' --x 'a b'"
        );
        assert_eq!(rooted("mdbook-katex", root).unwrap(), "mdbook-katex");
        assert_eq!(rooted("sh -c \"a  b\"", root).unwrap(), "sh -c \"a  b\"");
        assert_eq!(rooted("/usr/bin/pp", root).unwrap(), "/usr/bin/pp");
    }
}
