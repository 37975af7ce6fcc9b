//! Live-run snippets through the library API: attributes, outcomes, limits, cache, fallback.
//!
//! Compiling is the slow part, so most snippets run in ONE batch (one `run_all`, one cargo
//! project) shared by the tests through a `OnceLock`; each test then looks at its snippets.
//! Tests that need other limits or a dependency use their own small batch.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use vaultbook::Config;
use vaultbook::internals::snippets::{
    self, SnippetOptions, SnippetOutcome, SnippetRequest, SnippetStats, run_all_with_stats,
};
use vaultbook::{Diagnostic, Severity};

use crate::harness::{self, code, span};

fn req(name: &str, info: &str, code: &str) -> SnippetRequest {
    SnippetRequest {
        file: PathBuf::from(format!("vault/{name}.md")),
        span: span(),
        info: info.to_string(),
        code: code.to_string(),
    }
}

struct Book {
    /// Removed on drop; `None` for the shared batch, whose book outlives every test.
    _root: Option<tempfile::TempDir>,
    config: Config,
    tera: tera::Tera,
}

/// A book in a new temporary folder (gone with the `Book`).
fn book(snippets_toml: &str) -> Book {
    let root = tempfile::tempdir().unwrap();
    let mut b = book_at(root.path(), snippets_toml);
    b._root = Some(root);
    b
}

/// A book rooted at `root`.
fn book_at(root: &Path, snippets_toml: &str) -> Book {
    std::fs::create_dir_all(root.join("vault")).unwrap();
    let config = Config::from_str(
        root,
        &format!("[book]\ntitle = 't'\n[vaultbook.snippets]\n{snippets_toml}\n"),
    )
    .unwrap();
    let tera = vaultbook::internals::load_templates(root).unwrap();
    Book {
        _root: None,
        config,
        tera,
    }
}

const RUN: SnippetOptions = SnippetOptions {
    run: true,
    rerun: false,
    progress: false,
    trust: false,
};

/// Runs everything again, cached or not.
fn rerun() -> SnippetOptions {
    SnippetOptions { rerun: true, ..RUN }
}

struct Batch {
    book: Book,
    requests: Vec<SnippetRequest>,
    outcomes: Vec<SnippetOutcome>,
    diags: Vec<Diagnostic>,
    stats: SnippetStats,
}

impl Batch {
    fn index(&self, name: &str) -> usize {
        self.requests
            .iter()
            .position(|r| r.file == Path::new(&format!("vault/{name}.md")))
            .unwrap_or_else(|| panic!("no snippet {name}"))
    }
    fn md(&self, name: &str) -> &str {
        &self.outcomes[self.index(name)].markdown
    }
    fn diags(&self, name: &str) -> Vec<&Diagnostic> {
        let file = PathBuf::from(format!("vault/{name}.md"));
        self.diags
            .iter()
            .filter(|d| d.file.as_ref() == Some(&file))
            .collect()
    }
    fn codes(&self, name: &str) -> Vec<String> {
        harness::codes(self.diags(name))
    }
}

/// The shared batch: one snippet (or two) per behaviour under test.
fn batch() -> &'static Batch {
    static BATCH: OnceLock<Batch> = OnceLock::new();
    BATCH.get_or_init(|| {
        let _snippets = harness::snippets_running();
        // A static is never dropped, so the batch lives in cargo's scratch folder for tests
        // rather than in a temporary folder that would be left behind; its compiled project is
        // reused by the next `cargo test`, and `rerun` makes every run happen again anyway.
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("snippets-batch");
        let _ = std::fs::remove_file(root.join("vault/pwned.md"));
        let book = book_at(
            &root,
            "timeout = 5\nmax-output = \"16KiB\"\nmemory = \"256MiB\"\nfile-size = \"1MiB\"",
        );
        let outside = book.config.root.join("vault/pwned.md");
        let requests = vec![
            req("ok", "rust", "fn main() {\n    println!(\"hello <world> & you\");\n}\n"),
            req(
                "outside",
                "rust",
                &format!(
                    "fn main() {{\n    println!(\"{{:?}}\", std::fs::write({:?}, \"x\").map_err(|e| e.kind()));\n}}\n",
                    outside
                ),
            ),
            req(
                "compile-fail-compiles",
                "rust,compile_fail",
                "fn main() { println!(\"fine\"); }\n",
            ),
            req(
                "should-panic-no-panic",
                "rust,should_panic",
                "fn main() { println!(\"calm\"); }\n",
            ),
            req(
                "should-timeout-finishes",
                "rust,should_timeout,timeout=1",
                "fn main() { println!(\"done early\"); }\n",
            ),
            req(
                "exit-code",
                "rust",
                "fn main() {\n    eprintln!(\"giving up\");\n    std::process::exit(3);\n}\n",
            ),
            req(
                "stack-overflow",
                "rust",
                "fn f(n: u64) -> u64 { if n == 0 { 0 } else { 1 + f(std::hint::black_box(n - 1)) } }\nfn main() {\n    println!(\"{}\", f(u64::MAX));\n}\n",
            ),
            req(
                "edition2018",
                "rust,edition2018",
                "fn main() {\n    let v: Vec<&i32> = [1, 2].iter().collect();\n    let async_ = 1; let dyn_ok: &dyn std::fmt::Debug = &async_;\n    println!(\"{v:?} {dyn_ok:?}\");\n}\n",
            ),
            req(
                "timing",
                "rust",
                "use std::time::Instant;\nfn main() {\n    let t = Instant::now();\n    std::thread::sleep(std::time::Duration::from_millis(20));\n    println!(\"slept {}\", t.elapsed().as_millis() >= 20);\n}\n",
            ),
            req(
                "threads",
                "rust",
                "use std::thread;\nfn main() {\n    let hs: Vec<_> = (0..4).map(|i| thread::spawn(move || i * 2)).collect();\n    let s: i32 = hs.into_iter().map(|h| h.join().unwrap()).sum();\n    println!(\"sum {s}\");\n}\n",
            ),
            req(
                "hidden",
                "rust,editable",
                "# use std::collections::BTreeMap;\n# fn helper() -> u32 { 41 }\n#\nlet mut m = BTreeMap::new();\nm.insert(\"answer\", helper() + 1);\nprintln!(\"{m:?}\");\n",
            ),
            req(
                "result-main",
                "rust",
                "let n: u32 = \"7\".parse()?;\nprintln!(\"n = {n}\");\nOk::<(), std::num::ParseIntError>(())\n",
            ),
            req(
                "should-panic",
                "rust,should_panic",
                "fn main() {\n    let v: Vec<u8> = Vec::new();\n    println!(\"before\");\n    let _ = v[3];\n}\n",
            ),
            req(
                "panic",
                "rust",
                "fn main() {\n    panic!(\"boom\");\n}\n",
            ),
            req(
                "compile-fail",
                "rust,compile_fail,E0373",
                "use std::thread;\nfn main() {\n    let v = vec![1, 2, 3];\n    let h = thread::spawn(|| println!(\"{v:?}\"));\n    h.join().unwrap();\n}\n",
            ),
            req(
                "compile-fail-wrong-code",
                "rust,compile_fail,E0499",
                "fn main() { let x: u32 = \"no\"; }\n",
            ),
            req(
                "broken",
                "rust",
                "fn main() {\n    let x: u32 = \"not a number\";\n    println!(\"{x}\");\n}\n",
            ),
            req(
                "broken-name",
                "rust",
                "fn main() {\n    println!(\"{}\", no_such_thing);\n}\n",
            ),
            req(
                "deadlock",
                "rust,should_timeout,timeout=1",
                "use std::sync::{Arc, Mutex};\nuse std::thread;\nfn main() {\n    let a = Arc::new(Mutex::new(0));\n    let b = Arc::new(Mutex::new(0));\n    let (a2, b2) = (a.clone(), b.clone());\n    let t = thread::spawn(move || { let _x = b2.lock().unwrap(); thread::sleep(std::time::Duration::from_millis(100)); let _y = a2.lock().unwrap(); });\n    let _x = a.lock().unwrap();\n    thread::sleep(std::time::Duration::from_millis(100));\n    let _y = b.lock().unwrap();\n    t.join().unwrap();\n}\n",
            ),
            req(
                "infinite-loop",
                "rust timeout=1",
                "fn main() {\n    let mut x = 0u64;\n    loop { x = x.wrapping_add(1); std::hint::black_box(x); }\n}\n",
            ),
            req(
                "sleepy",
                "rust,timeout=1",
                "fn main() {\n    println!(\"going to sleep\");\n    std::thread::sleep(std::time::Duration::from_secs(30));\n}\n",
            ),
            req(
                "infinite-output",
                "rust",
                "fn main() {\n    loop { println!(\"all work and no play\"); }\n}\n",
            ),
            req(
                "memory-hog",
                "rust",
                "fn main() {\n    let mut v: Vec<Vec<u8>> = Vec::new();\n    loop { v.push(vec![1u8; 1 << 20]); }\n}\n",
            ),
            req(
                "thread-hog",
                "rust",
                "fn main() {\n    let mut hs = Vec::new();\n    for _ in 0..2000 {\n        hs.push(std::thread::spawn(|| std::thread::sleep(std::time::Duration::from_millis(300))));\n    }\n}\n",
            ),
            req(
                "files",
                "rust",
                "fn main() {\n    std::fs::write(\"note.txt\", \"hi\").unwrap();\n    println!(\"cwd {}\", std::env::current_dir().unwrap().display());\n    println!(\"read back {}\", std::fs::read_to_string(\"note.txt\").unwrap());\n    println!(\"files {}\", std::fs::read_dir(\".\").unwrap().count());\n}\n",
            ),
            req(
                "big-file",
                "rust",
                "use std::io::Write;\nfn main() {\n    let mut f = std::fs::File::create(\"big.bin\").unwrap();\n    let chunk = vec![0u8; 1 << 16];\n    loop { f.write_all(&chunk).unwrap(); }\n}\n",
            ),
            req(
                "ok-again",
                "rust",
                "fn main() {\n    println!(\"hello <world> & you\");\n}\n",
            ),
            req(
                "session",
                "rust",
                "fn main() {\n    let stat = std::fs::read_to_string(\"/proc/self/stat\").unwrap();\n    let f: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();\n    let procs = std::fs::read_dir(\"/proc\").unwrap().flatten().filter(|e| e.file_name().to_string_lossy().bytes().all(|b| b.is_ascii_digit())).count();\n    println!(\"terminal {}, processes in view {procs}\", f[4] != \"0\");\n}\n",
            ),
            req(
                "env",
                "rust",
                "fn main() {\n    let mut keys: Vec<String> = std::env::vars().map(|(k, _)| k).collect();\n    keys.sort();\n    println!(\"env {keys:?}\");\n    println!(\"args {}\", std::env::args().count());\n}\n",
            ),
            req(
                "runs",
                "rust,runs=3",
                "use std::sync::atomic::{AtomicUsize, Ordering};\nstatic N: AtomicUsize = AtomicUsize::new(0);\nfn main() {\n    std::thread::scope(|s| { for _ in 0..3 { s.spawn(|| N.fetch_add(1, Ordering::SeqCst)); } });\n    println!(\"{}\", N.load(Ordering::SeqCst));\n}\n",
            ),
            req(
                "edition2021",
                "rust,edition2021",
                "fn main() {\n    let gen = 21; // a keyword from 2024 on\n    println!(\"gen {gen}\");\n}\n",
            ),
            req("no-run", "rust,no_run", "fn main() {\n    loop {}\n}\n"),
            req("ignored", "rust,ignore", "this is not rust at all {{{\n"),
            req("hide-output", "rust,hide_output", "fn main() { println!(\"secret\"); }\n"),
            req("unknown-attr", "rust,shoud_panic", "fn main() { println!(\"typo\"); }\n"),
            req(
                "crate-attrs",
                "rust",
                "#![allow(dead_code)]\nfn unused() {}\nprintln!(\"with crate attributes\");\n",
            ),
            req(
                "blank-lines",
                "rust",
                "fn main() {\n    println!(\"a\");\n    println!();\n    println!();\n    println!(\"b\");\n}\n",
            ),
            req(
                "stderr-order",
                "rust",
                "fn main() {\n    println!(\"out 1\");\n    eprintln!(\"err 2\");\n    println!(\"out 3\");\n}\n",
            ),
        ];
        let (outcomes, diags, stats) =
            run_all_with_stats(&requests, &book.config, &book.tera, &rerun());
        Batch {
            book,
            requests,
            outcomes,
            diags,
            stats,
        }
    })
}

#[test]
fn ok_output_is_embedded_escaped() {
    let b = batch();
    let md = b.md("ok");
    assert!(md.contains("hello &lt;world&gt; &amp; you"), "{md}");
    assert!(md.contains("snippet-ok"), "{md}");
    assert!(md.contains("exit status 0"), "{md}");
    assert!(b.diags("ok").is_empty());
    // The same snippet twice (an embed): the same output, from one run. Not run: three
    // compile_fail, two broken, one no_run; `runs=3` runs twice more.
    const NOT_RUN: usize = 6;
    const EXTRA_RUNS: usize = 2;
    assert_eq!(b.md("ok-again"), md);
    assert_eq!(
        b.stats.runs,
        b.requests.len() - b.stats.ignored - 1 - NOT_RUN + EXTRA_RUNS,
        "{:?}",
        b.stats
    );
}

#[test]
fn threaded_output_says_it_is_one_run() {
    let md = batch().md("threads");
    assert!(md.contains("sum 12"), "{md}");
    assert!(md.contains("one run of a nondeterministic program"), "{md}");
}

#[test]
fn hidden_lines_are_compiled_and_bodies_wrapped() {
    let b = batch();
    assert!(
        b.md("hidden").contains("{&quot;answer&quot;: 42}"),
        "{}",
        b.md("hidden")
    );
    assert!(
        b.md("result-main").contains("n = 7"),
        "{}",
        b.md("result-main")
    );
    assert!(b.md("crate-attrs").contains("with crate attributes"));
    assert!(b.diags("hidden").is_empty() && b.diags("crate-attrs").is_empty());
}

#[test]
fn panics_expected_and_not() {
    let b = batch();
    let md = b.md("should-panic");
    assert!(md.contains("panicked, as expected"), "{md}");
    assert!(md.contains("before"), "{md}");
    assert!(
        md.contains("src/main.rs:4"),
        "panic location is the block's line: {md}"
    );
    assert!(b.diags("should-panic").is_empty());
    let md = b.md("panic");
    assert!(
        md.contains("snippet-unexpected") && md.contains("boom"),
        "{md}"
    );
    let d = b.diags("panic");
    assert_eq!(d.len(), 1);
    assert_eq!(
        (code(d[0]), d[0].severity),
        ("snippet-panicked", Severity::Error)
    );
}

#[test]
fn compile_fail_shows_normalised_errors() {
    let b = batch();
    let md = b.md("compile-fail");
    assert!(md.contains("failed to compile, as expected"), "{md}");
    assert!(md.contains("E0373"), "{md}");
    assert!(md.contains("src/main.rs:4"), "{md}");
    assert!(!md.contains("/tmp") && !md.contains("solo"), "{md}");
    assert!(
        b.diags("compile-fail").is_empty(),
        "{:?}",
        b.diags("compile-fail")
    );
    let d = b.diags("compile-fail-wrong-code");
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(
        d[0].message.contains("E0499") && d[0].message.contains("E0308"),
        "{d:?}"
    );
}

#[test]
fn a_broken_snippet_falls_back_alone_and_the_others_still_run() {
    let b = batch();
    // Both culprits leave the merged binary (in one retry or more), nobody else does.
    assert_eq!(b.stats.fell_back, 2, "{:?}", b.stats);
    let md = b.md("broken-name");
    assert!(md.contains("E0425") && md.contains("no_such_thing"), "{md}");
    let md = b.md("broken");
    assert!(
        md.contains("failed to compile") && md.contains("E0308"),
        "{md}"
    );
    assert!(md.contains("snippet-unexpected"), "{md}");
    let d = b.diags("broken");
    assert_eq!(d.len(), 1);
    assert_eq!(
        (code(d[0]), d[0].severity),
        ("snippet-compile-error", Severity::Error)
    );
    // Its neighbours in the merged binary were not taken down with it.
    assert!(b.md("ok").contains("hello"));
    assert!(b.md("env").contains("env ["));
}

#[test]
fn announced_failures_that_do_not_happen_are_errors() {
    let b = batch();
    for (name, label) in [
        (
            "compile-fail-compiles",
            "compiled, but it was expected to fail",
        ),
        ("should-panic-no-panic", "ok"),
        ("should-timeout-finishes", "ok"),
    ] {
        let md = b.md(name);
        assert!(
            md.contains(label) && md.contains("snippet-unexpected"),
            "{name}: {md}"
        );
        let d = b.diags(name);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(
            (code(d[0]), d[0].severity),
            ("snippet-unexpected-success", Severity::Error)
        );
    }
}

#[test]
fn other_endings_have_their_own_labels() {
    let b = batch();
    let md = b.md("exit-code");
    assert!(
        md.contains("exited with status 3") && md.contains("giving up"),
        "{md}"
    );
    assert_eq!(b.codes("exit-code"), ["snippet-failed"]);
    let md = b.md("stack-overflow");
    assert!(md.contains("killed: stack overflow"), "{md}");
    let md = b.md("edition2018");
    assert!(md.contains("[1, 2] 1"), "{md}");
    let md = b.md("timing");
    assert!(md.contains("slept true"), "{md}");
}

#[test]
fn snippets_cannot_write_into_the_book() {
    // The book is not in the jail's view at all, as root or not.
    let b = batch();
    assert!(
        b.md("outside").contains("Err(NotFound)"),
        "{}",
        b.md("outside")
    );
    assert!(!b.book.config.root.join("vault/pwned.md").exists());
}

#[test]
fn deadlocks_and_loops_time_out() {
    let b = batch();
    let md = b.md("deadlock");
    assert!(md.contains("timed out after 1 s, as expected"), "{md}");
    assert!(b.diags("deadlock").is_empty());
    for name in ["infinite-loop", "sleepy"] {
        let md = b.md(name);
        assert!(md.contains("timed out after 1 s"), "{md}");
        assert_eq!(b.codes(name), ["snippet-timeout"]);
    }
    assert!(b.md("sleepy").contains("going to sleep"));
}

#[test]
fn infinite_output_is_truncated_and_stopped() {
    let b = batch();
    let md = b.md("infinite-output");
    assert!(md.contains("output truncated"), "{}", &md[..300]);
    assert!(md.len() < 40_000, "kept output is capped: {}", md.len());
    let d = b.diags("infinite-output");
    assert_eq!(
        (code(d[0]), d[0].severity),
        ("snippet-output-truncated", Severity::Warning)
    );
}

#[test]
fn memory_and_file_size_limits_kill() {
    let b = batch();
    let md = b.md("memory-hog");
    assert!(md.contains("killed: memory limit (256 MiB)"), "{md}");
    assert_eq!(b.codes("memory-hog"), ["snippet-killed"]);
    let md = b.md("thread-hog");
    // Where the limit is met depends on the machine's load: creating a thread, or the new
    // thread's signal stack (std then aborts).
    assert!(
        md.contains("failed to spawn thread")
            || md.contains("failed to allocate an alternative stack"),
        "{md}"
    );
    assert!(
        md.contains("the memory limit (256 MiB) may have been reached"),
        "{md}"
    );
    let md = b.md("big-file");
    assert!(md.contains("killed: file size limit (1 MiB)"), "{md}");
}

#[test]
fn runs_are_in_a_fresh_dir_with_an_empty_environment() {
    let b = batch();
    let md = b.md("files");
    assert!(
        md.contains("read back hi") && md.contains("files 1"),
        "{md}"
    );
    assert!(!md.contains(&*b.book.config.root.to_string_lossy()), "{md}");
    // No controlling terminal; the jail's /proc shows its init and the snippet, nothing else.
    let md = b.md("session");
    assert!(md.contains("terminal false, processes in view 2"), "{md}");
    let md = b.md("env");
    assert!(
        md.contains("env [&quot;PWD&quot;, &quot;RUST_BACKTRACE&quot;, &quot;TMPDIR&quot;]"),
        "{md}"
    );
    assert!(md.contains("args 1"), "{md}");
}

#[test]
fn runs_n_counts_distinct_outputs() {
    let md = batch().md("runs");
    assert!(md.contains("1 distinct output in 3 runs"), "{md}");
    assert!(md.contains("3 of 3 runs"), "{md}");
}

#[test]
fn editions_compile_apart() {
    let b = batch();
    assert!(
        b.md("edition2021").contains("gen 21"),
        "{}",
        b.md("edition2021")
    );
    assert!(b.diags("edition2021").is_empty());
}

#[test]
fn no_run_ignore_hide_output_and_unknown_attributes() {
    let b = batch();
    assert!(b.md("no-run").contains("compiled, not run"));
    assert!(b.diags("no-run").is_empty());
    assert_eq!(b.md("ignored"), "");
    assert!(b.diags("ignored").is_empty());
    assert_eq!(b.md("hide-output"), "");
    assert!(b.md("unknown-attr").contains("typo"));
    assert_eq!(b.codes("unknown-attr"), ["unknown-snippet-attribute"]);
}

#[test]
fn stdout_and_stderr_keep_their_order() {
    let md = batch().md("stderr-order");
    assert!(md.contains("out 1&#10;err 2&#10;out 3"), "{md}");
}

#[test]
fn the_output_is_one_html_block_in_markdown() {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let b = batch();
    for name in ["blank-lines", "compile-fail", "should-panic", "runs"] {
        let md = b.md(name);
        assert!(
            md.starts_with("\n<div") && md.ends_with("</div>\n\n"),
            "{md:?}"
        );
        let page = format!("```rust\nfn main() {{}}\n```{md}Next paragraph.\n");
        let events: Vec<Event> = Parser::new(&page).collect();
        let blocks = events
            .iter()
            .filter(|e| matches!(e, Event::Start(Tag::HtmlBlock)))
            .count();
        assert_eq!(blocks, 1, "{name}: {events:?}");
        let html_end = events
            .iter()
            .position(|e| matches!(e, Event::End(TagEnd::HtmlBlock)))
            .unwrap();
        assert!(
            matches!(events[html_end + 1], Event::Start(Tag::Paragraph)),
            "the next paragraph stays a paragraph: {events:?}"
        );
    }
    assert!(b.md("blank-lines").contains("a&#10;&#10;&#10;b"));
}

#[test]
fn a_second_build_compiles_and_runs_nothing() {
    let b = batch();
    let (outcomes, diags, stats) =
        run_all_with_stats(&b.requests, &b.book.config, &b.book.tera, &RUN);
    assert_eq!(stats.cargo_runs, 0, "{stats:?}");
    assert_eq!(stats.compiled_units, 0);
    assert_eq!(stats.runs, 0);
    assert_eq!(stats.cached, b.requests.len() - stats.ignored);
    for (a, b) in outcomes.iter().zip(&b.outcomes) {
        assert_eq!(a.markdown, b.markdown);
    }
    let mut d1 = diags;
    let mut d2 = b.diags.clone();
    vaultbook::internals::diagnostics::sort(&mut d1);
    vaultbook::internals::diagnostics::sort(&mut d2);
    assert_eq!(d1, d2);
}

#[test]
fn nothing_runs_without_run_or_when_disabled() {
    let b = batch();
    let off = SnippetOptions { run: false, ..RUN };
    let (outcomes, diags, stats) =
        run_all_with_stats(&b.requests, &b.book.config, &b.book.tera, &off);
    assert!(outcomes.iter().all(|o| o.markdown.is_empty()) && diags.is_empty());
    assert_eq!((stats.cargo_runs, stats.runs, stats.cached), (0, 0, 0));
    let disabled = book("enabled = false");
    let (outcomes, diags) = snippets::run_all(&b.requests, &disabled.config, &disabled.tera, &RUN);
    assert!(outcomes.iter().all(|o| o.markdown.is_empty()) && diags.is_empty());
}

/// Processes whose command line is `/bin/sleep <arg>`.
fn sleepers(arg: &str) -> usize {
    harness::processes_with_cmdline(&["/bin/sleep", arg]).len()
}

#[test]
fn fork_loops_are_bounded_and_cleaned_up_and_cpu_is_limited() {
    let _snippets = harness::snippets_running();
    let b = book("timeout = 2\nprocesses = 40\ncpu = 1");
    let requests = vec![
        req(
            "fork-loop",
            "rust",
            "use std::process::Command;\nfn main() {\n    let mut kids = Vec::new();\n    loop {\n        match Command::new(\"/bin/sleep\").arg(\"987.25\").spawn() {\n            Ok(c) => kids.push(c),\n            Err(e) => { println!(\"spawn failed after {} processes: {}\", if kids.len() < 100 { \"fewer than 100\" } else { \"too many\" }, e.kind()); break; }\n        }\n    }\n    loop { std::thread::sleep(std::time::Duration::from_millis(50)); }\n}\n",
        ),
        req(
            "spin",
            // A long wall-clock timeout: on a loaded machine 1 s of CPU can take well over 2 s.
            "rust,timeout=20",
            "fn main() {\n    let mut x = 0u64;\n    loop { x = x.wrapping_add(1); std::hint::black_box(x); }\n}\n",
        ),
    ];
    let (outcomes, diags, _) = run_all_with_stats(&requests, &b.config, &b.tera, &RUN);
    let md = &outcomes[0].markdown;
    assert!(
        md.contains("spawn failed after fewer than 100 processes"),
        "{md}"
    );
    assert!(md.contains("timed out after 2 s"), "{md}");
    assert_eq!(sleepers("987.25"), 0, "the process group was killed");
    let md = &outcomes[1].markdown;
    assert!(md.contains("killed: CPU time limit (1 s)"), "{md}");
    assert!(harness::has_code(&diags, "snippet-killed"), "{diags:?}");
}

#[test]
fn a_dependency_is_built_once_and_one_change_recompiles_one_unit() {
    let _snippets = harness::snippets_running();
    let b = book("[vaultbook.snippets.dependencies]\nitoa = \"1\"");
    let mut requests = vec![
        req(
            "itoa",
            "rust",
            "let mut buf = itoa::Buffer::new();\nprintln!(\"{}\", buf.format(1234u32));\n",
        ),
        req("plain", "rust", "println!(\"v1\");\n"),
    ];
    let (outcomes, diags, stats) = run_all_with_stats(&requests, &b.config, &b.tera, &RUN);
    assert!(diags.is_empty(), "{diags:?}");
    assert!(
        outcomes[0].markdown.contains(">1234<"),
        "{}",
        outcomes[0].markdown
    );
    assert_eq!(
        (stats.compiled_units, stats.cargo_runs),
        (2, 1),
        "{stats:?}"
    );

    // Both are modules of one binary: a result is reused only while the binary that produced
    // it would hold the same code, so a change to one reruns both (cargo rebuilds one module).
    requests[1].code = "println!(\"v2\");\n".into();
    let (outcomes, _, stats) = run_all_with_stats(&requests, &b.config, &b.tera, &RUN);
    assert!(outcomes[1].markdown.contains(">v2<"));
    assert!(outcomes[0].markdown.contains(">1234<"));
    assert_eq!(
        (
            stats.cached,
            stats.compiled_units,
            stats.runs,
            stats.cargo_runs
        ),
        (0, 2, 2, 1),
        "{stats:?}"
    );

    // A snippet compiled alone keeps its result when another changes.
    requests[1].info = "rust,standalone_crate".into();
    run_all_with_stats(&requests, &b.config, &b.tera, &RUN);
    requests[1].code = "println!(\"v3\");\n".into();
    let (outcomes, _, stats) = run_all_with_stats(&requests, &b.config, &b.tera, &RUN);
    assert!(outcomes[1].markdown.contains(">v3<"));
    assert_eq!(
        (stats.cached, stats.compiled_units, stats.runs),
        (1, 1, 1),
        "{stats:?}"
    );

    let (_, _, stats) = run_all_with_stats(&requests, &b.config, &b.tera, &rerun());
    assert_eq!(
        (stats.cached, stats.runs),
        (0, 2),
        "--rerun-snippets runs again: {stats:?}"
    );
}

#[test]
fn profile_release_builds_optimised_and_is_part_of_the_cache_key() {
    let root = tempfile::tempdir().unwrap();
    let requests = vec![req(
        "profile",
        "rust",
        "println!(\"debug_assertions={}\", cfg!(debug_assertions));\n",
    )];
    let dev = book_at(root.path(), "");
    let (outcomes, diags, _) = run_all_with_stats(&requests, &dev.config, &dev.tera, &RUN);
    assert!(diags.is_empty(), "{diags:?}");
    let md = &outcomes[0].markdown;
    assert!(md.contains("debug_assertions=true"), "{md}");

    // Same book, same snippet, other profile: the cached dev result is not reused.
    let release = book_at(root.path(), "profile = \"release\"");
    let (outcomes, diags, stats) =
        run_all_with_stats(&requests, &release.config, &release.tera, &RUN);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!((stats.cached, stats.runs), (0, 1), "{stats:?}");
    let md = &outcomes[0].markdown;
    assert!(md.contains("debug_assertions=false"), "{md}");
}

#[test]
fn a_dependency_that_cannot_be_built_is_reported_and_not_cached() {
    let _snippets = harness::snippets_running();
    let b =
        book("[vaultbook.snippets.dependencies]\nvaultbook-no-such-crate-anywhere = \"=0.0.1\"");
    let requests = vec![req("needs-dep", "rust", "println!(\"hi\");\n")];
    for _ in 0..2 {
        let (outcomes, diags, stats) = run_all_with_stats(&requests, &b.config, &b.tera, &RUN);
        assert_eq!(
            stats.cached, 0,
            "a failure of the environment is not cached"
        );
        assert!(
            outcomes[0].markdown.contains("not run"),
            "{}",
            outcomes[0].markdown
        );
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(
            (code(&diags[0]), diags[0].severity),
            ("snippet-not-run", Severity::Error)
        );
        assert!(
            diags[0]
                .help
                .as_deref()
                .unwrap_or("")
                .contains("vaultbook-no-such-crate-anywhere"),
            "{:?}",
            diags[0]
        );
        if std::env::var_os("SHOW").is_some() {
            println!("{}\n{}", diags[0].message, outcomes[0].markdown);
        }
    }
}

#[test]
fn the_output_survives_mdbook() {
    let b = batch();
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        dir.path().join("book.toml"),
        "[book]\ntitle = \"t\"\n[output.html]\nadditional-css = [\"snippet.css\"]\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("snippet.css"), snippets::SNIPPET_CSS).unwrap();
    std::fs::write(src.join("SUMMARY.md"), "# Summary\n\n- [C](c.md)\n").unwrap();
    let page = format!(
        "# C\n\n```rust\nfn main() {{}}\n```{}After.\n",
        b.md("blank-lines")
    );
    std::fs::write(src.join("c.md"), page).unwrap();
    harness::mdbook_build(dir.path());
    let html = std::fs::read_to_string(dir.path().join("book/c.html")).unwrap();
    let pre = html
        .find("<pre class=\"snippet-text")
        .map(|i| &html[i..i + html[i..].find("</pre>").unwrap()])
        .unwrap_or_else(|| panic!("no output block in {html}"));
    assert!(
        pre.contains("a\n\n\nb") || pre.contains("a&#10;&#10;&#10;b"),
        "empty lines kept: {pre}"
    );
    assert!(html.contains("<p>After.</p>"), "{html}");
    if std::env::var_os("SHOW_MDBOOK").is_some() {
        println!("{pre}");
    }
    assert!(!html.contains("<p><div"), "{html}");
}

#[test]
#[ignore = "prints the batch for eyeballing"]
fn show() {
    let b = batch();
    for (r, o) in b.requests.iter().zip(&b.outcomes) {
        println!(
            "=== {} [{}]\n{}",
            r.file.display(),
            r.info,
            &o.markdown[..o.markdown.len().min(900)]
        );
    }
    println!("{:?}", b.stats);
    for d in &b.diags {
        println!("{}", d.one_line());
    }
}

#[test]
#[ignore = "renders the mdBook in $SNIPPET_BOOK (for looking at the CSS in a browser)"]
fn render_a_book_for_eyeballing() {
    let dir = std::env::var("SNIPPET_BOOK").expect("SNIPPET_BOOK=<an mdBook folder>");
    harness::mdbook_build(Path::new(&dir));
}

#[test]
fn a_snippet_that_runs_itself_again_behaves_as_alone() {
    let _snippets = harness::snippets_running();
    // Found on a demo book: started again through current_exe, a merged binary's child did
    // not know which snippet to be ("no snippet \"\" here").
    let b = book("");
    let requests = vec![
        req(
            "self",
            "rust",
            "fn main() {\n    if std::env::args().nth(1).is_some() { println!(\"child says hi\"); return; }\n    let out = std::process::Command::new(std::env::current_exe().unwrap()).arg(\"x\").output().unwrap();\n    print!(\"parent heard: {}\", String::from_utf8_lossy(&out.stdout));\n}\n",
        ),
        req("other", "rust", "fn main() { println!(\"merged\"); }\n"),
    ];
    let (outcomes, diags, _) = run_all_with_stats(&requests, &b.config, &b.tera, &RUN);
    assert!(diags.is_empty(), "{diags:?}");
    assert!(
        outcomes[0].markdown.contains("parent heard: child says hi"),
        "{}",
        outcomes[0].markdown
    );
}
