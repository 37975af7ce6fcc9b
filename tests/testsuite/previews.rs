//! Page previews (`[vaultbook] previews`): the data cut from the rendered pages into
//! `book/vaultbook-previews/<page>.js`, one script per page, and the script that shows it.
//! The popover itself is tested in a browser: `browser::previews_show_the_section_from_file_urls`.

use std::collections::BTreeMap;

use crate::harness::{BookTest, files};

/// The previews of one page: its path in the book and `id → HTML` (`""` for the page).
fn previews(book: &BookTest, data: &str) -> (String, BTreeMap<String, String>) {
    let text = book.page(&format!("vaultbook-previews/{data}"));
    let call = text
        .strip_prefix("window.vbPreviews&&window.vbPreviews.add(")
        .and_then(|t| t.strip_suffix(");\n"))
        .unwrap_or_else(|| panic!("not a previews call: {text}"));
    let (page, raw): (String, BTreeMap<String, serde_json::Value>) =
        serde_json::from_str(&format!("[{call}]")).unwrap_or_else(|e| panic!("{e}: {call}"));
    let whole = raw[""].as_str().unwrap().to_string();
    let map = raw
        .into_iter()
        .map(|(id, v)| match v {
            serde_json::Value::String(s) => (id, s),
            // `1`: the title heading, whose section is the page.
            v => {
                assert_eq!(v, serde_json::json!(1), "#{id}");
                (id, whole.clone())
            }
        })
        .collect();
    (page, map)
}

#[test]
fn linked_sections_have_previews_of_their_own_text() {
    let book = BookTest::from_fixture("links");
    book.build();
    let (page, utils) = previews(&book, "utils.js");
    assert_eq!(page, "utils.html");
    // A heading's section runs to the next heading of its level, subsections included.
    let execution = &utils["execution"];
    assert!(execution.contains("Running code."), "{execution}");
    assert!(!execution.contains("A running program"), "{execution}");
    let parent = &utils["parent"];
    assert!(parent.contains("Under parent."), "{parent}");
    assert!(!parent.contains("Under the other parent"), "{parent}");
    assert!(utils["child-1"].contains("Under the other parent"));
    // Block ids: the block's element.
    assert_eq!(utils["^exec-para"], "<p>Running code.</p>");
    assert!(
        utils["^item-id"].starts_with("<li>"),
        "{}",
        utils["^item-id"]
    );
    assert!(
        utils["^table-id"].contains("<table>"),
        "{}",
        utils["^table-id"]
    );
    // A link to the page: its beginning.
    assert!(utils[""].contains("Utils") && utils[""].contains("Running code."));
    for (id, html) in &utils {
        assert!(!html.contains(" id="), "#{id}: {html}");
        assert!(!html.contains("<script"), "#{id}: {html}");
    }
    // A same-note link's target, and URLs written from the book's root.
    let (_, links) = previews(&book, "links.js");
    assert_eq!(links["^own-block"], "<p>Own paragraph.</p>");
    assert!(
        links[""].contains("href=\"utils.html#execution\""),
        "{}",
        links[""]
    );
    // Nested pages keep their folder in every URL.
    let (page, note) = previews(&book, "folder/note.js");
    assert_eq!(page, "folder/note.html");
    assert!(!note[""].contains("href=\"../"), "{}", note[""]);
    book.assert_links_reach_ids();
}

#[test]
fn every_data_file_is_small_and_only_chapters_have_one() {
    let book = BookTest::from_fixture("links");
    // A long note: its previews are cut, its file stays small.
    let long = format!(
        "# Long\n\n## One\n\n{}\n\n## Two\n\nAfter.\n",
        "Many words of text. ".repeat(3000)
    );
    book.write("vault/Long.md", long);
    book.build();
    let data = files(&book.join("book/vaultbook-previews"));
    assert!(
        data.contains_key(std::path::Path::new("long.js")),
        "{:?}",
        data.keys()
    );
    for (path, bytes) in &data {
        assert!(
            bytes.len() < 32 * 1024,
            "{}: {} bytes",
            path.display(),
            bytes.len()
        );
    }
    let (_, long) = previews(&book, "long.js");
    assert!(long["one"].ends_with("<p class=\"vb-preview-more\">…</p>"));
    assert!(!long["one"].contains("After."));
    assert!(long["two"].contains("After."));
    for skipped in ["print.js", "toc.js", "404.js"] {
        assert!(
            !data.contains_key(std::path::Path::new(skipped)),
            "{skipped}"
        );
    }
    let page = book.page("utils.html");
    assert!(
        page.contains("vaultbook-previews"),
        "the page loads the previews script"
    );
}

#[test]
fn previews_false_ships_nothing() {
    let book = BookTest::from_fixture("links");
    book.append("book.toml", "previews = false\n");
    book.build();
    assert!(!book.join("book/vaultbook-previews").exists());
    assert!(
        book.files_holding(&["book"], "vaultbook-previews")
            .is_empty()
    );
    assert!(!book.emitted_src().join("../vaultbook-previews.js").exists());
}
