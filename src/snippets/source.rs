//! A snippet's text → the Rust source that is compiled: hidden lines restored, and a `fn main`
//! added around a body that has none, as rustdoc does.
//!
//! Every transformation keeps line numbers: line N of the compiled file is line N of the block
//! (hidden lines included), so rustc's errors and panic locations point at the block's lines.

/// The code with rustdoc's hidden lines restored (`# x` → `x`, `#` → empty, `##x` → `#x`).
pub(crate) fn compiled_code(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    for line in code.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("##") {
            out.push_str(&line.replacen("##", "#", 1));
        } else if let Some(rest) = trimmed.strip_prefix("# ") {
            out.push_str(rest);
        } else if trimmed != "#" {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// Why a snippet cannot be a module of the merged crate, if it cannot: code that would mean
/// something else as a module, or that could reach other modules at link time
/// ([`super::linking`]). `dependencies` are the snippet dependencies' crate names.
pub(crate) fn unmergeable_reason(code: &str, dependencies: &[String]) -> Option<&'static str> {
    let (attrs_end, _) = crate_attrs(code);
    if attrs_end > 0 {
        return Some("it has crate attributes (`#![...]`)");
    }
    if code.lines().any(|l| l.trim_start().starts_with("#![")) {
        return Some("it has inner attributes");
    }
    if code.contains("extern crate") {
        return Some("it has `extern crate`");
    }
    if mentions_crate_root(code) {
        return Some("it names `crate::` paths");
    }
    if code.contains("macro_export") {
        return Some("it exports macros at the crate root");
    }
    if code.contains("current_exe") {
        // Started again as its own child, a merged binary would not know which snippet to be.
        return Some("it runs its own executable (`current_exe`)");
    }
    super::linking::link_reason(code, dependencies)
}

/// The source of a standalone `main.rs` for this (restored) code.
pub(crate) fn standalone(code: &str) -> String {
    if has_main(code) {
        return code.to_string();
    }
    wrap_in_main(code)
}

/// The source of a module of the merged crate: the program plus `__vaultbook_main`, which the
/// dispatcher calls. `Termination` makes `main() -> Result<..>` behave as in a binary.
pub(crate) fn module(code: &str) -> String {
    let mut out = standalone(code);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(
        "pub(crate) fn __vaultbook_main() -> ::std::process::ExitCode { \
         ::std::process::Termination::report(main()) }\n",
    );
    out
}

/// Whether the code defines `fn main` (a word-boundary search, as rustdoc's fallback does).
pub(crate) fn has_main(code: &str) -> bool {
    let bytes = code.as_bytes();
    let mut from = 0;
    while let Some(i) = code[from..].find("fn main") {
        let at = from + i;
        let before_ok = at == 0 || !is_ident(bytes[at - 1]);
        let rest = code[at + "fn main".len()..].trim_start();
        if before_ok && (rest.starts_with('(') || rest.starts_with('<')) {
            // Skip `// fn main()` in line comments.
            let line_start = code[..at].rfind('\n').map_or(0, |n| n + 1);
            if !code[line_start..at].contains("//") {
                return true;
            }
        }
        from = at + 1;
    }
    false
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether the code uses `crate::` paths, which mean something else inside a module.
fn mentions_crate_root(code: &str) -> bool {
    let bytes = code.as_bytes();
    code.match_indices("crate::")
        .any(|(i, _)| i == 0 || !is_ident(bytes[i - 1]))
}

/// The byte offset where the leading crate attributes (`#![...]`, with the blank and comment
/// lines among them) end, and the number of lines they take.
fn crate_attrs(code: &str) -> (usize, usize) {
    let mut end = 0;
    let mut lines = 0;
    let mut offset = 0;
    let mut count = 0;
    let mut in_attr = false;
    let mut depth: i32 = 0;
    for line in code.split_inclusive('\n') {
        offset += line.len();
        count += 1;
        let t = line.trim();
        if in_attr {
            depth += bracket_balance(t);
            if depth <= 0 {
                in_attr = false;
                end = offset;
                lines = count;
            }
        } else if t.starts_with("#![") {
            depth = bracket_balance(t);
            if depth <= 0 {
                end = offset;
                lines = count;
            } else {
                in_attr = true;
            }
        } else if !(t.is_empty() || t.starts_with("//")) {
            break;
        }
    }
    (end, lines)
}

fn bracket_balance(s: &str) -> i32 {
    s.chars()
        .map(|c| match c {
            '[' => 1,
            ']' => -1,
            _ => 0,
        })
        .sum()
}

/// Wraps everything after the crate attributes in `fn main`, keeping line numbers: the opening
/// goes at the start of the first line after the attributes, the closing on a line of its own.
fn wrap_in_main(code: &str) -> String {
    let (attrs_end, _) = crate_attrs(code);
    let (head, body) = code.split_at(attrs_end);
    // rustdoc: a body ending in `Ok::<(), E>(())` is the body of a function returning Result.
    let returns_result = body.trim_end().ends_with("(())");
    let (open, close) = if returns_result {
        (
            "fn main() { fn _inner() -> ::core::result::Result<(), impl ::core::fmt::Debug> { ",
            "} _inner().unwrap() }\n",
        )
    } else {
        ("fn main() { ", "}\n")
    };
    let mut out = String::with_capacity(code.len() + open.len() + close.len() + 2);
    out.push_str(head);
    out.push_str(open);
    out.push_str(body);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(close);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_lines_are_restored() {
        let code =
            "# use std::thread;\n#\nlet x = 1;\n    # let y = 2;\n##[derive(Debug)]\n#[test]\n";
        assert_eq!(
            compiled_code(code),
            "use std::thread;\n\nlet x = 1;\nlet y = 2;\n#[derive(Debug)]\n#[test]\n"
        );
    }

    #[test]
    fn a_body_is_wrapped_and_lines_are_kept() {
        let code = "#![allow(unused)]\n// hi\nlet x = 1;\nprintln!(\"{x}\");\n";
        let s = standalone(code);
        assert_eq!(
            s,
            "#![allow(unused)]\nfn main() { // hi\nlet x = 1;\nprintln!(\"{x}\");\n}\n"
        );
        assert_eq!(s.lines().nth(2), Some("let x = 1;"));
        assert!(unmergeable_reason(code, &[]).is_some());
    }

    #[test]
    fn main_is_found_and_results_are_wrapped() {
        assert!(has_main("fn main() {}"));
        assert!(has_main("pub fn main ()"));
        assert!(!has_main("fn main_loop() {}\n// fn main() {}\n"));
        let s = standalone("let x: u8 = \"1\".parse()?;\nOk::<(), std::num::ParseIntError>(())");
        assert!(s.contains("_inner().unwrap()"), "{s}");
    }

    #[test]
    fn merging_is_refused_where_a_module_would_change_the_meaning() {
        assert!(unmergeable_reason("use crate::foo;", &[]).is_some());
        assert!(unmergeable_reason("extern crate rayon;", &[]).is_some());
        assert!(unmergeable_reason("let x = 1;", &[]).is_none());
        assert!(unmergeable_reason("let me = std::env::current_exe();", &[]).is_some());
    }
}
