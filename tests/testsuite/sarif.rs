//! `vaultbook check --format sarif` end to end: the SARIF 2.1.0 fields GitHub code scanning
//! needs, read back with serde_json and compared with the human format's locations.

use serde_json::Value;

use crate::harness::{BookTest, Run, vaultbook};

/// `vaultbook check --no-run --format sarif ARGS… ROOT`, parsed.
fn sarif(book: &BookTest, args: &[&str]) -> (Run, Value) {
    let run = Run::of(
        vaultbook()
            .args(["check", "--no-run", "--format", "sarif"])
            .args(args)
            .arg(book.root()),
    );
    let log = serde_json::from_str(&run.stdout())
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout(), run.stderr()));
    (run, log)
}

/// `file:line:col` of every located diagnostic the human format prints (its `-->` lines).
fn human_locations(book: &BookTest, args: &[&str]) -> Vec<String> {
    let run = Run::of(
        vaultbook()
            .args(["check", "--no-run", "-v"])
            .args(args)
            .arg(book.root()),
    );
    run.stderr()
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("--> "))
        .filter(|l| l.matches(':').count() == 2)
        .map(str::to_string)
        .collect()
}

/// The one run of `log`, after checking the log's envelope.
fn the_run(log: &Value) -> &Value {
    assert_eq!(log["version"], "2.1.0");
    assert!(
        log["$schema"]
            .as_str()
            .unwrap()
            .ends_with("sarif-schema-2.1.0.json"),
        "{}",
        log["$schema"]
    );
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "vaultbook");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    assert!(run["originalUriBaseIds"]["%SRCROOT%"].is_object());
    run
}

/// Checks every result's rule against the driver's rules and returns the results.
fn results_with_consistent_rules(run: &Value) -> &Vec<Value> {
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        let code: vaultbook::Code = id.parse().unwrap();
        assert_eq!(rule["shortDescription"]["text"], code.summary());
        assert_eq!(rule["fullDescription"]["text"], code.explanation());
        assert_eq!(rule["help"]["text"], code.explanation());
        let level = match code.default_severity() {
            vaultbook::Severity::Error => "error",
            vaultbook::Severity::Warning => "warning",
            vaultbook::Severity::Info => "note",
        };
        assert_eq!(rule["defaultConfiguration"]["level"], level, "{id}");
        assert!(
            results.iter().any(|r| r["ruleId"] == id),
            "rule {id} has no result"
        );
    }
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"], "{result}");
        assert!(
            ["error", "warning", "note"].contains(&result["level"].as_str().unwrap()),
            "{result}"
        );
    }
    results
}

/// `uri:line:col` of each result that has a region.
fn located(results: &[Value]) -> Vec<String> {
    results
        .iter()
        .filter_map(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
            let region = loc.get("region")?;
            Some(format!(
                "{}:{}:{}",
                loc["artifactLocation"]["uri"].as_str().unwrap(),
                region["startLine"],
                region["startColumn"]
            ))
        })
        .collect()
}

/// Percent-decodes an ASCII URI reference (the test's own, simple decoder).
fn decode(uri: &str) -> String {
    let bytes = uri.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&uri[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn broken_links_of_the_links_fixture_are_results_at_the_human_locations() {
    let book = BookTest::from_fixture("links");
    let (run, log) = sarif(&book, &[]);
    // The exit rule of every format: errors give 1.
    assert_eq!(run.code(), Some(1), "{}", run.stderr());
    let sarif_run = the_run(&log);
    let results = results_with_consistent_rules(sarif_run);
    for code in ["broken-link", "missing-heading", "missing-block"] {
        let result = results
            .iter()
            .find(|r| r["ruleId"] == code)
            .unwrap_or_else(|| panic!("no {code}: {log:#}"));
        assert_eq!(result["level"], "error");
        let artifact = &result["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(artifact["uri"], "vault/Links.md");
        assert_eq!(artifact["uriBaseId"], "%SRCROOT%");
    }
    // Same places as the human format, in the same (the report's) order.
    let human = human_locations(&book, &[]);
    assert!(!human.is_empty());
    let ours: Vec<String> = located(results).iter().map(|l| decode(l)).collect();
    assert_eq!(ours, human);
    // Regions are whole: the end is on or after the start.
    for r in results {
        if let Some(region) = r["locations"][0]["physicalLocation"].get("region") {
            let start = (region["startLine"].as_u64(), region["startColumn"].as_u64());
            let end = (region["endLine"].as_u64(), region["endColumn"].as_u64());
            assert!(end >= start, "{region}");
        }
    }
    // The same log from run to run.
    assert_eq!(sarif(&book, &[]).0.stdout(), run.stdout());
}

#[test]
fn a_file_name_with_a_space_and_an_accent_is_percent_encoded_with_code_point_columns() {
    let book = BookTest::new()
        .file("book.toml", "[book]\ntitle = \"T\"\n")
        .vault_files([
            ("README.md", "# Start\n\n[[Ma note été]]\n"),
            (
                "Ma note été.md",
                "# Ma note\n\nCafé — 🦀 [[Nowhere]] end.\n",
            ),
        ]);
    let (run, log) = sarif(&book, &[]);
    assert_eq!(run.code(), Some(1), "{}", run.stderr());
    let results = results_with_consistent_rules(the_run(&log));
    let broken: Vec<&Value> = results
        .iter()
        .filter(|r| r["ruleId"] == "broken-link")
        .collect();
    assert_eq!(broken.len(), 1, "{log:#}");
    let loc = &broken[0]["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "vault/Ma%20note%20%C3%A9t%C3%A9.md"
    );
    // `Café — 🦀 ` is 9 code points (the crab is one, though two UTF-16 units).
    assert_eq!(loc["region"]["startLine"], 3);
    assert_eq!(loc["region"]["startColumn"], 10);
    assert_eq!(loc["region"]["endLine"], 3);
    assert_eq!(loc["region"]["endColumn"], 10 + "[[Nowhere]]".len());
    let human = human_locations(&book, &[]);
    assert_eq!(human, ["vault/Ma note été.md:3:10"]);
    let message = broken[0]["message"]["text"].as_str().unwrap();
    assert!(message.contains("Nowhere"), "{message}");
}

#[test]
fn help_follows_the_message_and_book_toml_levels_are_the_results_levels() {
    let book = BookTest::new()
        .file(
            "book.toml",
            "[book]\ntitle = \"T\"\n[vaultbook.check]\nmissing-heading = \"warning\"\n",
        )
        .vault_files([
            ("README.md", "# Start\n\n[[Other#Real Headin]]\n"),
            ("Other.md", "# Other\n\n## Real Heading\n"),
        ]);
    let (run, log) = sarif(&book, &[]);
    // Only a warning now: exit 0, and 1 with --deny-warnings, as in every format.
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    assert_eq!(sarif(&book, &["--deny-warnings"]).0.code(), Some(1));
    let sarif_run = the_run(&log);
    let results = results_with_consistent_rules(sarif_run);
    let result = results
        .iter()
        .find(|r| r["ruleId"] == "missing-heading")
        .unwrap();
    assert_eq!(result["level"], "warning");
    let rule =
        &sarif_run["tool"]["driver"]["rules"][result["ruleIndex"].as_u64().unwrap() as usize];
    assert_eq!(rule["defaultConfiguration"]["level"], "error");
    assert_eq!(
        result["message"]["text"],
        "`Other.md` has no heading `Real Headin`\nhelp: did you mean `Real Heading`?"
    );
}

#[test]
fn a_clean_book_has_no_results_and_a_file_finding_without_a_span_no_region() {
    let book = BookTest::new()
        .file("book.toml", "[book]\ntitle = \"T\"\n")
        .vault_files([("README.md", "# Start\n")]);
    let (run, log) = sarif(&book, &["-q"]);
    assert_eq!(run.code(), Some(0));
    let sarif_run = the_run(&log);
    assert_eq!(sarif_run["results"], serde_json::json!([]));
    assert_eq!(sarif_run["tool"]["driver"]["rules"], serde_json::json!([]));

    // A file without a span: a location and no region. (`orphan-note` is information: a
    // `note`, shown in machine formats unless -q.)
    let book = BookTest::new()
        .file("book.toml", "[book]\ntitle = \"T\"\n")
        .vault_files([("README.md", "# Start\n"), ("Lonely.md", "# Lonely\n")]);
    let (_, log) = sarif(&book, &[]);
    let results = results_with_consistent_rules(the_run(&log));
    let orphan = results
        .iter()
        .find(|r| r["ruleId"] == "orphan-note")
        .unwrap();
    assert_eq!(orphan["level"], "note");
    let loc = &orphan["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "vault/Lonely.md");
    assert!(loc.get("region").is_none(), "{loc}");
}

#[test]
fn html_findings_are_results_in_the_build_dir_with_their_line() {
    let book = BookTest::new()
        .file("book.toml", "[book]\ntitle = \"T\"\n")
        .vault_files([
            ("README.md", "# Start\n\n[[Other]]\n"),
            ("Other.md", "# Other\n"),
        ]);
    let built = book.run(&["build", "--no-run"]);
    built.assert_ok();
    let page = book.join("book/other.html");
    let html = std::fs::read_to_string(&page).unwrap();
    let html = html.replacen("</main>", "\n<a href=\"gone.html\">gone</a>\n</main>", 1);
    std::fs::write(&page, &html).unwrap();
    let line = html.lines().position(|l| l.contains("gone.html")).unwrap() + 1;

    let (run, log) = sarif(&book, &["--html"]);
    assert_eq!(run.code(), Some(1), "{}", run.stderr());
    let results = results_with_consistent_rules(the_run(&log));
    let finding = results
        .iter()
        .find(|r| r["ruleId"] == "broken-html-link")
        .unwrap_or_else(|| panic!("{log:#}"));
    let loc = &finding["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "book/other.html");
    assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(loc["region"]["startLine"], line);
    let human = human_locations(&book, &["--html"]);
    assert!(
        human
            .iter()
            .any(|l| l.starts_with(&format!("book/other.html:{line}:"))),
        "{human:?}"
    );
    assert_eq!(
        located(results)
            .iter()
            .map(|l| decode(l))
            .collect::<Vec<_>>(),
        human
    );
}

#[test]
fn a_book_wide_problem_is_placed_on_book_toml() {
    // GitHub refuses a result without a location, and with it the whole upload.
    let book = BookTest::new()
        .file("book.toml", "[book]\ntitle = \"T\"\n")
        .vault_files([("README.md", "# Start\n\n```rust\nprintln!(\"hi\");\n```\n")]);
    // No sandbox can be made: one `snippet-sandbox` error, about no file, and nothing runs.
    let run = Run::of(
        vaultbook()
            .args(["check", "--format", "sarif"])
            .arg(book.root())
            .env("VAULTBOOK_BWRAP", book.join("no-such-bwrap")),
    );
    assert_eq!(run.code(), Some(1), "{}", run.stderr());
    let log: Value = serde_json::from_str(&run.stdout()).unwrap();
    let results = results_with_consistent_rules(the_run(&log));
    let sandbox = results
        .iter()
        .find(|r| r["ruleId"] == "snippet-sandbox")
        .unwrap_or_else(|| panic!("{log:#}"));
    let locations = sandbox["locations"].as_array().unwrap();
    assert_eq!(locations.len(), 1);
    let loc = &locations[0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "book.toml");
    assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert!(loc.get("region").is_none(), "{loc}");
}
