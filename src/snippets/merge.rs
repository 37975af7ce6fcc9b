//! Writes the shared cargo project that compiles snippets: one package, one `[[bin]]` per
//! edition holding every mergeable snippet as a module (dispatched by an environment variable,
//! like rustdoc's merged doctests), and one `[[bin]]` per snippet that must compile alone.
//!
//! One package means the declared dependencies are built once, by one cargo, and reused by
//! every later build; `[[bin]] edition` lets each target pick its edition.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::Path;

use super::attrs::Edition;
use super::source;

/// The environment variable that tells a merged binary which snippet to run. The dispatcher
/// removes it before the snippet starts, so the snippet sees the same environment as alone.
pub(crate) const DISPATCH_VAR: &str = "VAULTBOOK_SNIPPET";

/// One compilation unit: a distinct (code, edition) pair. Snippets with the same code share it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unit {
    /// `s_` and 16 hex digits of the code's hash: the module or binary name.
    pub name: String,
    /// The edition it is compiled with.
    pub edition: Edition,
    /// The code with hidden lines restored.
    pub code: String,
    /// Why it must be compiled alone (`None`: it can be merged).
    pub solo: Option<String>,
}

/// The name of the merged binary of an edition.
pub(crate) fn merged_bin(edition: Edition) -> String {
    format!("merged{edition}")
}

/// The file of a unit, relative to the project: what rustc names in errors and panics.
pub(crate) fn unit_path(unit: &Unit, merged: bool) -> String {
    if merged {
        format!("src/{}/{}.rs", merged_bin(unit.edition), unit.name)
    } else {
        format!("src/solo/{}.rs", unit.name)
    }
}

/// Writes the project under `dir`: `merged` units go into their edition's binary, `solo` ones
/// into binaries of their own. Files are rewritten only when their text changes (cargo and
/// incremental compilation look at modification times), and stale ones are removed.
pub(crate) fn write_project(
    dir: &Path,
    dependencies: &toml::Table,
    merged: &[&Unit],
    solo: &[&Unit],
) -> io::Result<()> {
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    let mut manifest = String::from(
        "# Written by vaultbook for the snippets of a book; rewritten on every build.\n\
         [package]\nname = \"vaultbook-snippets\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\
         publish = false\nautobins = false\nautoexamples = false\nautotests = false\n\
         autobenches = false\n\n\
         # Its own workspace, even when the book lives inside another cargo project.\n\
         [workspace]\n\n\
         # No debug info: faster to compile and link; panics still name file and line.\n\
         [profile.dev]\ndebug = 0\n\n",
    );
    // Serialised as a whole table: a dependency given as an inline table becomes
    // `[dependencies.name]`, which a bare `[dependencies]` header followed by the table's own
    // serialisation (`[name]`) would get wrong.
    let mut table = toml::Table::new();
    table.insert(
        "dependencies".into(),
        toml::Value::Table(dependencies.clone()),
    );
    manifest.push_str(&toml::to_string(&table).unwrap_or_default());
    let mut by_edition: BTreeMap<Edition, Vec<&Unit>> = BTreeMap::new();
    for u in merged {
        by_edition.entry(u.edition).or_default().push(u);
    }
    for (edition, units) in &by_edition {
        let bin = merged_bin(*edition);
        manifest.push_str(&format!(
            "\n[[bin]]\nname = \"{bin}\"\npath = \"src/{bin}/main.rs\"\nedition = \"{edition}\"\n\
             test = false\nbench = false\ndoc = false\n"
        ));
        files.insert(format!("src/{bin}/main.rs"), dispatcher(units));
        for u in units {
            files.insert(unit_path(u, true), source::module(&u.code));
        }
    }
    for u in solo {
        let path = unit_path(u, false);
        manifest.push_str(&format!(
            "\n[[bin]]\nname = \"{}\"\npath = \"{path}\"\nedition = \"{}\"\n\
             test = false\nbench = false\ndoc = false\n",
            u.name, u.edition
        ));
        files.insert(path, source::standalone(&u.code));
    }
    files.insert("Cargo.toml".into(), manifest);

    for (rel, text) in &files {
        let path = dir.join(rel);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text) {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, text)?;
        }
    }
    remove_stale(&dir.join("src"), &files, dir)
}

/// Removes `.rs` files and folders under `src/` that the current project does not list.
fn remove_stale(src: &Path, keep: &BTreeMap<String, String>, dir: &Path) -> io::Result<()> {
    let keep_dirs: BTreeSet<String> = keep
        .keys()
        .filter_map(|k| {
            Path::new(k)
                .parent()
                .map(|p| p.to_string_lossy().into_owned())
        })
        .collect();
    let Ok(entries) = std::fs::read_dir(src) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let sub = entry.path();
        let rel_dir = sub
            .strip_prefix(dir)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !keep_dirs.contains(&rel_dir) {
            let _ = std::fs::remove_dir_all(&sub);
            continue;
        }
        for file in std::fs::read_dir(&sub)?.flatten() {
            let rel = format!("{rel_dir}/{}", file.file_name().to_string_lossy());
            if !keep.contains_key(&rel) {
                let _ = std::fs::remove_file(file.path());
            }
        }
    }
    Ok(())
}

/// The `main.rs` of a merged binary: one `mod` per snippet and a match on [`DISPATCH_VAR`].
fn dispatcher(units: &[&Unit]) -> String {
    let mut s = String::from("// Written by vaultbook: runs the snippet named by ");
    s.push_str(DISPATCH_VAR);
    s.push_str(".\n");
    for u in units {
        s.push_str(&format!("mod {};\n", u.name));
    }
    s.push_str(&format!(
        "\nfn main() -> ::std::process::ExitCode {{\n    \
         let which = ::std::env::var(\"{DISPATCH_VAR}\").unwrap_or_default();\n    \
         // SAFETY: no other thread exists yet.\n    \
         #[allow(unused_unsafe)]\n    \
         unsafe {{ ::std::env::remove_var(\"{DISPATCH_VAR}\") }};\n    \
         match which.as_str() {{\n"
    ));
    for u in units {
        s.push_str(&format!(
            "        \"{0}\" => {0}::__vaultbook_main(),\n",
            u.name
        ));
    }
    s.push_str(
        "        _ => {\n            eprintln!(\"vaultbook: no snippet {:?} here\", which);\n            \
         ::std::process::ExitCode::from(2)\n        }\n    }\n}\n",
    );
    s
}
