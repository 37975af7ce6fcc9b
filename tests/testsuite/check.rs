//! `vaultbook check` end to end: a fixture vault with problems planted at known lines, every
//! output format asserted exactly, exit codes, per-code levels, and a vault of tricky but valid
//! links that must check clean (no false alarms).

use std::path::Path;

use std::process::Output;

use crate::harness::{self, BookTest, Run, code, fixture_path as fixture, vaultbook};

/// `vaultbook check DIR --no-run ARGS…`.
fn check(dir: &Path, args: &[&str]) -> Run {
    Run::of(vaultbook().arg("check").arg(dir).arg("--no-run").args(args))
}

const EXPECTED_JSON: &str = r#"[
  {"severity":"info","code":"orphan-note","message":"no other note links to this one","file":"vault/Bad.md","line":null,"column":null,"end_line":null,"end_column":null,"help":null},
  {"severity":"error","code":"broken-link","message":"no note named `Nowhere Note` in the vault","file":"vault/Bad.md","line":3,"column":17,"end_line":3,"end_column":33,"help":null},
  {"severity":"error","code":"missing-heading","message":"`Target.md` has no heading `Real Headin`","file":"vault/Bad.md","line":4,"column":20,"end_line":4,"end_column":42,"help":"did you mean `Real Heading`?"},
  {"severity":"error","code":"missing-block","message":"`Target.md` has no block `^fake-block`","file":"vault/Bad.md","line":5,"column":18,"end_line":5,"end_column":40,"help":null},
  {"severity":"warning","code":"ambiguous-link","message":"2 notes or files share this name: `a/Same.md`, `b/Same.md`","file":"vault/Bad.md","line":6,"column":20,"end_line":6,"end_column":28,"help":"using `a/Same.md`; write the folder too to choose"},
  {"severity":"warning","code":"unpublished-link","message":"`Hidden.md` is left out of the book (`publish: false`)","file":"vault/Bad.md","line":7,"column":22,"end_line":7,"end_column":32,"help":"the link is shown as plain text"},
  {"severity":"warning","code":"mojibake","message":"`â€™` looks like mojibake (UTF-8 text read as Windows-1252)","file":"vault/Bad.md","line":8,"column":17,"end_line":8,"end_column":20,"help":"replace it with `’`"},
  {"severity":"warning","code":"unclosed-wikilink","message":"`[[` is never closed with `]]`","file":"vault/Bad.md","line":9,"column":13,"end_line":9,"end_column":15,"help":null},
  {"severity":"error","code":"missing-attachment","message":"no file named `ghost.png` in the vault","file":"vault/Bad.md","line":10,"column":18,"end_line":10,"end_column":32,"help":null},
  {"severity":"info","code":"orphan-note","message":"no other note links to this one","file":"vault/Frontmatter.md","line":null,"column":null,"end_line":null,"end_column":null,"help":null},
  {"severity":"warning","code":"malformed-frontmatter","message":"malformed frontmatter: did not find expected ',' or ']'","file":"vault/Frontmatter.md","line":2,"column":1,"end_line":2,"end_column":15,"help":"the note is built without its frontmatter keys"},
  {"severity":"error","code":"embed-cycle","message":"embed cycle: Loop B → Loop A → Loop B","file":"vault/Loop A.md","line":3,"column":1,"end_line":3,"end_column":12,"help":"the embed is shown as a marker in the page"},
  {"severity":"error","code":"embed-cycle","message":"embed cycle: Loop A → Loop B → Loop A","file":"vault/Loop B.md","line":3,"column":1,"end_line":3,"end_column":12,"help":"the embed is shown as a marker in the page"},
  {"severity":"info","code":"orphan-note","message":"no other note links to this one","file":"vault/b/Same.md","line":null,"column":null,"end_line":null,"end_column":null,"help":null}
]
"#;

#[test]
fn json_lists_every_planted_problem_exactly() {
    let out = check(&fixture("check_problems"), &["--format", "json"]);
    assert_eq!(out.code(), Some(1));
    assert_eq!(out.stdout(), EXPECTED_JSON);
}

#[test]
fn github_format_is_workflow_commands() {
    let out = check(&fixture("check_problems"), &["--format", "github"]);
    let text = out.stdout();
    assert!(text.contains(
        "::error file=vault/Bad.md,line=4,col=20,endLine=4,endColumn=41,title=missing-heading::`Target.md` has no heading `Real Headin`%0Ahelp: did you mean `Real Heading`?\n"
    ), "{text}");
    assert!(text.contains(
        "::warning file=vault/Bad.md,line=6,col=20,endLine=6,endColumn=27,title=ambiguous-link::"
    ), "{text}");
    assert!(
        text.contains("::notice file=vault/Frontmatter.md,title=orphan-note::"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 14, "{text}");
}

#[test]
fn human_format_underlines_the_source() {
    let out = check(&fixture("check_problems"), &[]);
    let text = out.stderr();
    assert!(
        text.contains("error[missing-heading]: `Target.md` has no heading `Real Headin`"),
        "{text}"
    );
    assert!(text.contains("--> vault/Bad.md:4:20"), "{text}");
    assert!(
        text.contains("A missing heading: [[Target#Real Headin]]."),
        "{text}"
    );
    assert!(text.contains("^^^^^^^^^^^^^^^^^^^^^^"), "{text}");
    assert!(
        text.contains("= help: did you mean `Real Heading`?"),
        "{text}"
    );
    assert!(!text.contains("orphan-note"), "information only with -v");
    assert!(text.contains("check: 6 errors, 5 warnings"), "{text}");
    assert!(!text.contains('\u{1b}'), "no colour when not on a terminal");
}

#[test]
fn a_vault_of_tricky_valid_links_checks_clean() {
    let out = check(
        &fixture("check_clean"),
        &["--format", "json", "--deny-warnings"],
    );
    assert_eq!(out.stdout(), "[]\n");
    assert_eq!(out.code(), Some(0));
}

/// A copy of the `check_problems` fixture with `extra` after its book.toml.
fn with_book_toml(extra: &str) -> BookTest {
    let book = BookTest::from_fixture("check_problems");
    book.append("book.toml", &format!("\n{extra}"));
    book
}

#[test]
fn levels_from_book_toml_and_exit_codes() {
    // Only warnings left: exit 0, or 1 with --deny-warnings.
    let dir = with_book_toml(
        "[vaultbook.check]\nbroken-link = \"warning\"\nmissing-heading = \"allow\"\nmissing-block = \"info\"\nmissing-attachment = \"warning\"\nembed-cycle = \"warning\"\nambiguous-link = \"error\"\n",
    );
    let out = check(dir.path(), &["--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&out.stdout()).unwrap();
    let level = |code: &str| -> Vec<String> {
        json.as_array()
            .unwrap()
            .iter()
            .filter(|d| d["code"] == code)
            .map(|d| d["severity"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(level("broken-link"), ["warning"]);
    assert!(level("missing-heading").is_empty(), "allow drops it");
    assert_eq!(level("missing-block"), ["info"]);
    assert_eq!(level("ambiguous-link"), ["error"]);
    assert_eq!(out.code(), Some(1), "ambiguous-link is now an error");

    let dir = with_book_toml(
        "[vaultbook.check]\nbroken-link = \"warning\"\nmissing-heading = \"warning\"\nmissing-block = \"warning\"\nmissing-attachment = \"warning\"\nembed-cycle = \"warning\"\n",
    );
    assert_eq!(check(dir.path(), &[]).code(), Some(0));
    assert_eq!(check(dir.path(), &["--deny-warnings"]).code(), Some(1));
}

#[test]
fn a_bad_configuration_exits_2_with_a_suggestion() {
    let dir = with_book_toml("[vaultbook.check]\nmising-heading = \"error\"\n");
    let out = check(dir.path(), &[]);
    assert_eq!(out.code(), Some(2));
    let err = out.stderr();
    assert!(err.contains("did you mean `missing-heading`?"), "{err}");
    let missing = check(&fixture("nonexistent"), &[]);
    assert_eq!(missing.code(), Some(2));
}

/// A temp book holding `notes` (name, text) in `vault/`.
fn temp_book(notes: &[(&str, &str)]) -> BookTest {
    BookTest::new()
        .file("book.toml", "[book]\ntitle = \"T\"\n")
        .vault_files(notes.iter().copied())
}

/// `vaultbook ARGS… DIR --no-run`.
fn cli(dir: &Path, args: &[&str]) -> Output {
    harness::vaultbook()
        .args(args)
        .arg(dir)
        .arg("--no-run")
        .output()
        .unwrap()
}

#[test]
fn every_command_exits_by_the_same_rule() {
    let broken = temp_book(&[("A.md", "# A\n\n[[Nowhere]]\n")]);
    // An error fails build and emit as it fails check; the book is still written.
    for args in [&["build"][..], &["check"]] {
        let out = cli(broken.path(), args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("1 error,"), "{args:?}: {err}");
    }
    assert!(broken.path().join("book/a.html").is_file());
    let to = broken.path().join("emitted");
    let out = harness::vaultbook()
        .args(["emit", "--no-run", "--to"])
        .arg(&to)
        .arg(broken.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(to.join("src/SUMMARY.md").is_file());

    // A warning fails only with --deny-warnings, for build as for check.
    let warned = temp_book(&[("A.md", "# A\n\nâ€™ [[B]]\n"), ("B.md", "# B\n")]);
    for command in ["build", "check"] {
        let out = cli(warned.path(), &[command]);
        assert_eq!(out.status.code(), Some(0), "{command}: {out:?}");
        let out = cli(warned.path(), &[command, "--deny-warnings"]);
        assert_eq!(out.status.code(), Some(1), "{command}: {out:?}");
        // -q: errors only, for every command.
        let out = cli(warned.path(), &["-q", command]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !err.contains("mojibake"),
            "{command} -q printed a warning: {err}"
        );
        let out = cli(warned.path(), &[command]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("mojibake"), "{command} hid a warning: {err}");
    }
}

#[test]
fn checking_html_that_was_never_built_is_an_environment_error() {
    let book = temp_book(&[("A.md", "# A\n")]);
    let out = cli(book.path(), &["check", "--html"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("vaultbook build"));
}

/// One rule for severities: a snippet that panics unexpectedly is the same error whichever
/// command meets it.
#[test]
fn a_failing_snippet_is_an_error_in_build_check_and_serve() {
    use harness::Options;
    use vaultbook::Severity;
    let _snippets = harness::snippets_running();
    let book = temp_book(&[(
        "A.md",
        "# A\n\n```rust\nfn main() { panic!(\"boom\"); }\n```\n",
    )]);
    let options = Options {
        // Where bubblewrap cannot make a sandbox (the CI installs it), run it anyway: the
        // snippet is ours.
        trust_snippets: true,
        ..Options::default()
    };
    let severity = |r: &vaultbook::Report| {
        r.diagnostics
            .iter()
            .find(|d| code(d).starts_with("snippet-"))
            .map(|d| d.severity)
    };
    let config = book.config();
    let built = harness::build(&config, &options).unwrap();
    let checked = harness::check(&config, &options, false).unwrap();
    let out = book.path().join("serve-out");
    let (served, _) = harness::rebuild(&mut harness::session(config, options), &out, None).unwrap();
    assert_eq!(
        severity(&built),
        Some(Severity::Error),
        "{:?}",
        built.diagnostics
    );
    assert_eq!(severity(&checked), Some(Severity::Error));
    assert_eq!(severity(&served), Some(Severity::Error));
    assert!(built.failed(false) && checked.failed(false) && served.failed(false));
}

/// A long build shows its problems as each stage finds them: a broken link is printed before
/// the book is rendered, and what was streamed is what the report holds.
#[test]
fn diagnostics_are_streamed_before_the_book_is_rendered() {
    use std::sync::{Arc, Mutex};
    let book = temp_book(&[("A.md", "# A\n\n[[Nowhere]]\n"), ("B.md", "# B\n\nâ€™\n")]);
    let config = book.config();
    let rendered = config.build_dir.clone();
    let seen: Arc<Mutex<Vec<(String, bool)>>> = Arc::default();
    let sink = Arc::clone(&seen);
    let report = harness::build_streaming(&config, &harness::no_run(), move |d| {
        let line = d.one_line();
        sink.lock().unwrap().push((line, rendered.exists()));
    })
    .unwrap();
    let seen = seen.lock().unwrap();
    let broken = seen.iter().find(|(l, _)| l.contains("Nowhere")).unwrap();
    assert!(!broken.1, "the broken link came after the render");
    let mut streamed: Vec<&str> = seen.iter().map(|(l, _)| l.as_str()).collect();
    let mut reported: Vec<String> = report.diagnostics.iter().map(|d| d.one_line()).collect();
    streamed.sort();
    reported.sort();
    assert_eq!(streamed, reported);
}

/// `serve` in a folder that holds no book exits 2 at once, as `build` and `check` do.
#[test]
fn serve_without_a_book_exits_2() {
    let empty = tempfile::tempdir().unwrap();
    for command in ["serve", "build", "check"] {
        let mut cmd = harness::vaultbook();
        cmd.args([command, "--no-run"]).arg(empty.path());
        if command == "serve" {
            cmd.args(["--port", "0"]);
        }
        let mut child = cmd
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                panic!("{command} kept running in a folder with no book.toml");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        assert_eq!(status.code(), Some(2), "{command}");
    }
}

/// Runs `vaultbook ARGS` in `cwd`.
fn run_in(cwd: &Path, args: &[&str]) -> Run {
    Run::of(vaultbook().args(args).current_dir(cwd))
}

/// A book of two snippets: one marked `should_panic` that does not panic, one that prints past
/// `max-output`. `check_toml` is appended to book.toml.
fn snippet_book(check_toml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("vault")).unwrap();
    std::fs::write(
        dir.path().join("book.toml"),
        format!(
            "[book]\ntitle = \"Snippets\"\n[vaultbook.snippets]\nmax-output = \"1KiB\"\n{check_toml}"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("vault/README.md"),
        "# Snippets\n\n```rust,should_panic\nprintln!(\"fine\");\n```\n\n\
         ```rust\nfor i in 0..100_000 {\n    println!(\"line {i}\");\n}\n```\n",
    )
    .unwrap();
    dir
}

/// `(code, severity)` of every diagnostic `check --format json` prints for `dir`.
fn json_codes(dir: &Path) -> (Option<i32>, Vec<(String, String)>) {
    let out = run_in(dir, &["check", ".", "--format", "json"]);
    let json: serde_json::Value =
        serde_json::from_str(&out.stdout()).unwrap_or_else(|e| panic!("{e}: {}", out.stderr()));
    let codes = json
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (out.code(), codes)
}

#[test]
fn every_emitted_snippet_code_can_be_allowed() {
    // Unconfigured: both are reported, the unexpected success as an error.
    let plain = snippet_book("");
    let (status, codes) = json_codes(plain.path());
    let pair = |c: &str, s: &str| (c.to_string(), s.to_string());
    assert!(
        codes.contains(&pair("snippet-unexpected-success", "error")),
        "{codes:?}"
    );
    assert!(
        codes.contains(&pair("snippet-output-truncated", "warning")),
        "{codes:?}"
    );
    assert_eq!(status, Some(1));

    // Both allowed: accepted (no configuration error) and applied (neither is reported).
    let allowed = snippet_book(
        "[vaultbook.check]\nsnippet-unexpected-success = \"allow\"\nsnippet-output-truncated = \"allow\"\n",
    );
    let (status, codes) = json_codes(allowed.path());
    assert!(
        !codes.iter().any(|(c, _)| c.starts_with("snippet-")),
        "{codes:?}"
    );
    assert_eq!(status, Some(0), "{codes:?}");
}

#[test]
fn a_misspelt_code_in_book_toml_is_refused_with_a_suggestion() {
    let dir = snippet_book("[vaultbook.check]\nsnippet-unexpected-succes = \"allow\"\n");
    let out = run_in(dir.path(), &["check", ".", "--no-run"]);
    assert_eq!(out.code(), Some(2));
    let err = out.stderr();
    assert!(
        err.contains(
            "[vaultbook.check]: unknown check `snippet-unexpected-succes` (did you mean \
             `snippet-unexpected-success`?); `vaultbook check --list-codes` lists the codes"
        ),
        "{err}"
    );
}

#[test]
fn explain_prints_the_explanation_of_a_code() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(dir.path(), &["explain", "snippet-unexpected-success"]);
    assert_eq!(out.code(), Some(0));
    let text = out.stdout();
    assert!(
        text.starts_with("snippet-unexpected-success (error by default, group snippets): "),
        "{text}"
    );
    assert!(text.contains("```rust,should_panic"), "{text}");

    let out = run_in(dir.path(), &["explain", "snipet-failed"]);
    assert_eq!(out.code(), Some(2));
    let err = out.stderr();
    assert!(
        err.contains("unknown diagnostic code `snipet-failed` (did you mean `snippet-failed`?)"),
        "{err}"
    );
}

#[test]
fn list_codes_needs_no_book_and_lists_every_code() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(dir.path(), &["check", "--list-codes"]);
    assert_eq!(out.code(), Some(0), "{}", out.stderr());
    let text = out.stdout();
    assert_eq!(text.lines().count(), vaultbook::Code::ALL.len(), "{text}");
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let code: vaultbook::Code = fields[0].parse().unwrap();
        assert_eq!(fields[1], code.default_severity().as_str(), "{line}");
        assert_eq!(fields[2], code.group().name(), "{line}");
        assert!(line.ends_with(code.summary()), "{line}");
    }
    assert!(
        text.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()[..3]
                == ["snippet-output-truncated", "warning", "snippets"]),
        "{text}"
    );
}

/// A vault folder that does not exist is named as missing, not as "not a folder".
#[test]
fn a_missing_vault_is_named_as_missing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("book.toml"),
        "[book]\ntitle = \"T\"\n[vaultbook]\nvault = \"nowhere\"\n",
    )
    .unwrap();
    let out = Run::of(vaultbook().args(["check", "--no-run"]).arg(dir.path()));
    assert_eq!(out.code(), Some(2));
    assert!(out.stderr().contains("does not exist"), "{}", out.stderr());
}
