//! Which snippets may share a merged binary: only code that cannot reach past its own module.
//!
//! Modules of one binary are kept apart by Rust's privacy, but not by the linker. A snippet that
//! exports a symbol (`#[no_mangle]`, `#[export_name]`), places data in a section
//! (`#[link_section = ".init_array"]`: a function run before every `main` of the binary),
//! keeps a symbol alive (`#[used]`), writes assembly (`global_asm!`, `asm!`, naked functions),
//! replaces the allocator or links a library could change what every other snippet of the binary
//! does and prints. So could any macro the snippet does not define itself and the standard library
//! does not provide: a dependency's attribute, derive or function-like macro can expand to any of
//! the above (`#[ctor]`, `inventory::submit!`). Such snippets compile alone.
//!
//! The scan reads tokens, skipping comments, strings and character literals, so that a `!` in
//! `println!("hi!")` or a `#[no_mangle]` in a comment changes nothing. It errs one way only: what
//! it cannot place is compiled alone, which costs time, never correctness.

/// Macros of the standard library's prelude and `std::` paths that expand to ordinary code.
const STD_MACROS: &[&str] = &[
    "assert",
    "assert_eq",
    "assert_ne",
    "cfg",
    "column",
    "compile_error",
    "concat",
    "dbg",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "env",
    "eprint",
    "eprintln",
    "file",
    "format",
    "format_args",
    "include",
    "include_bytes",
    "include_str",
    "line",
    "matches",
    "module_path",
    "option_env",
    "panic",
    "print",
    "println",
    "stringify",
    "thread_local",
    "todo",
    "unimplemented",
    "unreachable",
    "vec",
    "write",
    "writeln",
    "addr_of",
    "addr_of_mut",
    "pin",
    "offset_of",
    "is_x86_feature_detected",
];

/// Macros that place code or symbols at link level.
const LINK_MACROS: &[&str] = &["global_asm", "asm", "naked_asm"];

/// Attributes that act at link level.
const LINK_ATTRIBUTES: &[&str] = &[
    "no_mangle",
    "export_name",
    "link_section",
    "used",
    "naked",
    "global_allocator",
    "link",
    "link_name",
    "linkage",
    "link_ordinal",
    "panic_handler",
];

/// Built-in attributes with no effect beyond their item.
const PLAIN_ATTRIBUTES: &[&str] = &[
    "allow",
    "warn",
    "deny",
    "forbid",
    "expect",
    "cfg",
    "cfg_attr",
    "derive",
    "test",
    "ignore",
    "should_panic",
    "inline",
    "cold",
    "must_use",
    "deprecated",
    "doc",
    "repr",
    "non_exhaustive",
    "track_caller",
    "automatically_derived",
    "path",
    "macro_use",
    "target_feature",
    "rustfmt",
    "clippy",
    "diagnostic",
];

/// Derives of the standard library.
const STD_DERIVES: &[&str] = &[
    "Debug",
    "Clone",
    "Copy",
    "PartialEq",
    "Eq",
    "PartialOrd",
    "Ord",
    "Hash",
    "Default",
];

/// A token of the scan: identifiers and the punctuation that matters here.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token<'a> {
    Ident(&'a str),
    Punct(u8),
    /// `::`
    Path,
}

/// Why `code` must be compiled alone, if its code could reach beyond its module when linked.
/// `dependencies` are the crate names (`-` as `_`) of the snippet dependencies.
pub(crate) fn link_reason(code: &str, dependencies: &[String]) -> Option<&'static str> {
    let tokens = tokens(code);
    let defined: Vec<&str> = tokens
        .windows(3)
        .filter_map(|w| match w {
            [
                Token::Ident("macro_rules"),
                Token::Punct(b'!'),
                Token::Ident(name),
            ] => Some(*name),
            _ => None,
        })
        .collect();
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Ident("super") if tokens.get(i + 1) == Some(&Token::Path) => {
                return Some("it names `super::` paths (the root of a merged binary)");
            }
            Token::Ident("crate") if i > 0 && tokens[i - 1] == Token::Punct(b'$') => {
                return Some("it names `$crate` paths (the root of a merged binary)");
            }
            Token::Punct(b'#') => {
                let mut j = i + 1;
                if tokens.get(j) == Some(&Token::Punct(b'!')) {
                    j += 1;
                }
                if tokens.get(j) == Some(&Token::Punct(b'['))
                    && let Some(why) = attribute_reason(&tokens[j + 1..])
                {
                    return Some(why);
                }
            }
            Token::Punct(b'!') if i > 0 => {
                let opens = matches!(tokens.get(i + 1), Some(Token::Punct(b'(' | b'[' | b'{')));
                let keyword = matches!(
                    tokens[i - 1],
                    Token::Ident(
                        "return"
                            | "if"
                            | "while"
                            | "match"
                            | "in"
                            | "else"
                            | "let"
                            | "break"
                            | "yield"
                            | "move"
                            | "mut"
                            | "as"
                            | "for"
                            | "loop"
                    )
                );
                if let (Token::Ident(name), true, false) = (&tokens[i - 1], opens, keyword) {
                    // `a::b::name!`: the path's first segment.
                    let mut first = i - 1;
                    while first >= 2
                        && tokens[first - 1] == Token::Path
                        && matches!(tokens[first - 2], Token::Ident(_))
                    {
                        first -= 2;
                    }
                    let root = match &tokens[first] {
                        Token::Ident(r) => *r,
                        _ => "",
                    };
                    if LINK_MACROS.contains(name) {
                        return Some("it writes assembly (`asm!`, `global_asm!`)");
                    }
                    let from_std = matches!(root, "std" | "core" | "alloc")
                        || (first == i - 1 && STD_MACROS.contains(name));
                    let local = first == i - 1 && defined.contains(name);
                    let dependency = dependencies.iter().any(|d| d == root);
                    if *name != "macro_rules" && (dependency || !(from_std || local)) {
                        return Some(
                            "it uses a macro that is not its own or the standard library's",
                        );
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Why an attribute (the tokens after `#[`) needs a binary of its own, if it does.
fn attribute_reason(tokens: &[Token]) -> Option<&'static str> {
    let mut rest = tokens;
    // `#[unsafe(no_mangle)]` (edition 2024) names the attribute inside.
    if let [Token::Ident("unsafe"), Token::Punct(b'('), inner @ ..] = rest {
        rest = inner;
    }
    let Some(Token::Ident(name)) = rest.first() else {
        return Some("it has an attribute that could not be read");
    };
    let path = matches!(rest.get(1), Some(Token::Path));
    if LINK_ATTRIBUTES.contains(name) {
        return Some("it uses a link-level attribute (`no_mangle`, `link_section`, `used`, ...)");
    }
    if !PLAIN_ATTRIBUTES.contains(name) {
        return Some("it uses an attribute macro that is not the standard library's");
    }
    if path && !matches!(*name, "rustfmt" | "clippy" | "diagnostic") {
        return Some("it uses an attribute macro that is not the standard library's");
    }
    if *name == "derive" {
        let mut depth = 0;
        for t in &rest[1..] {
            match t {
                Token::Punct(b'(') => depth += 1,
                Token::Punct(b')') => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                Token::Ident(d) if !STD_DERIVES.contains(d) => {
                    return Some("it derives with a macro that is not the standard library's");
                }
                Token::Path => {
                    return Some("it derives with a macro that is not the standard library's");
                }
                _ => {}
            }
        }
    }
    None
}

/// The identifiers, `::` and single punctuation bytes of `code`, outside comments and literals.
fn tokens(code: &str) -> Vec<Token<'_>> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                // Block comments nest in Rust.
                let mut depth = 0;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            b'"' => i = skip_string(b, i + 1),
            b'r' | b'b' | b'c' if raw_string_start(b, i).is_some() => {
                let (hashes, body) = raw_string_start(b, i).unwrap_or((0, i + 1));
                i = body;
                loop {
                    if i >= b.len() {
                        break;
                    }
                    if b[i] == b'"'
                        && b[i + 1..]
                            .iter()
                            .take(hashes)
                            .filter(|&&h| h == b'#')
                            .count()
                            == hashes
                    {
                        i += 1 + hashes;
                        break;
                    }
                    i += 1;
                }
            }
            b'\'' => {
                // A char literal ('x', '\n', '\u{..}') or a lifetime ('a).
                if b.get(i + 1) == Some(&b'\\') {
                    i += 2;
                    while i < b.len() && b[i] != b'\'' {
                        i += 1;
                    }
                    i += 1;
                } else if let Some(len) = char_len(&b[i + 1..])
                    && b.get(i + 1 + len) == Some(&b'\'')
                {
                    i += len + 2;
                } else {
                    i += 1;
                }
            }
            c if c == b'_' || c.is_ascii_alphabetic() || c >= 0x80 => {
                let start = i;
                while i < b.len() && (b[i] == b'_' || b[i].is_ascii_alphanumeric() || b[i] >= 0x80)
                {
                    i += 1;
                }
                // A byte or C string prefix is part of the literal that follows.
                if b.get(i) == Some(&b'"') && matches!(&code[start..i], "b" | "c") {
                    i = skip_string(b, i + 1);
                    continue;
                }
                out.push(Token::Ident(&code[start..i]));
            }
            b':' if b.get(i + 1) == Some(&b':') => {
                out.push(Token::Path);
                i += 2;
            }
            c if c.is_ascii_punctuation() => {
                out.push(Token::Punct(c));
                i += 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// The end of a string literal whose body starts at `i` (past the closing quote).
fn skip_string(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

/// For `r"`, `r#"`, `br#"`, `cr"` at `i`: the number of `#` and where the body starts.
fn raw_string_start(b: &[u8], i: usize) -> Option<(usize, usize)> {
    if i > 0 && (b[i - 1] == b'_' || b[i - 1].is_ascii_alphanumeric()) {
        return None;
    }
    let mut j = i;
    if matches!(b[j], b'b' | b'c') {
        j += 1;
    }
    if b.get(j) != Some(&b'r') {
        return None;
    }
    j += 1;
    let hashes = b[j..].iter().take_while(|&&h| h == b'#').count();
    (b.get(j + hashes) == Some(&b'"')).then_some((hashes, j + hashes + 1))
}

/// The UTF-8 length of the char at the start of `b`, if there is one.
fn char_len(b: &[u8]) -> Option<usize> {
    let first = *b.first()?;
    Some(match first {
        0..0x80 => 1,
        0xC0..0xE0 => 2,
        0xE0..0xF0 => 3,
        _ => 4,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(code: &str) -> Option<&'static str> {
        link_reason(code, &["rayon".to_string(), "ctor".to_string()])
    }

    #[test]
    fn link_level_code_is_found() {
        for code in [
            "#[unsafe(link_section = \".init_array\")]\n#[used]\nstatic F: extern \"C\" fn() = f;",
            "#[no_mangle]\npub extern \"C\" fn write() {}",
            "#[unsafe(export_name = \"main\")] fn x() {}",
            "std::arch::global_asm!(\".section .init_array\");",
            "fn f() { unsafe { core::arch::asm!(\"nop\") } }",
            "#[global_allocator]\nstatic A: std::alloc::System = std::alloc::System;",
            "#[ctor::ctor]\nfn init() {}",
            "#[ctor]\nfn init() {}",
            "#[derive(Debug, serde::Serialize)] struct S;",
            "#[derive(Serialize)] struct S;",
            "inventory::submit! { 1 }",
            "lazy_static! { static ref X: u8 = 1; }",
            "fn main() { super::s_0123456789abcdef::main(); }",
            "macro_rules! m { () => { $crate::x() } }",
            "#[tokio::main]\nasync fn main() {}",
        ] {
            assert!(reason(code).is_some(), "{code}");
        }
    }

    #[test]
    fn ordinary_code_merges() {
        for code in [
            "fn main() { println!(\"hello! #[no_mangle] asm!()\"); }",
            "// #[no_mangle] in a comment\n/* global_asm!( /* nested */ ) */\nfn main() {}",
            "#[derive(Debug, Clone, PartialEq)]\nstruct P { x: i32 }\n#[allow(dead_code)]\nfn f() {}",
            "use rayon::prelude::*;\nfn main() { let v: Vec<i32> = (0..4).into_par_iter().collect(); assert_eq!(v.len(), 4); }",
            "macro_rules! twice { ($e:expr) => { $e * 2 } }\nfn main() { let c = '!'; let s = r#\"a\"!\"#; println!(\"{} {c} {s}\", twice!(2)); }",
            "fn f<'a>(x: &'a str) -> &'a str { x }\nfn main() { let v = vec![1]; std::thread::scope(|s| { s.spawn(|| ()); }); write!(std::io::stdout(), \"\").ok(); let _ = v; }",
            "#[rustfmt::skip]\nfn main() { if 1 != 2 { std::process::exit(0) } }",
            "fn f(a: bool) -> bool { if !(a) { return !(a); } !a }",
            "thread_local! { static X: u8 = 0; }\nfn main() { let b = b\"#[used]\"; let _ = b; }",
        ] {
            assert_eq!(reason(code), None, "{code}");
        }
    }
}
