//! The book's generated structure as Obsidian users expect it: nested tags grouped in the tag
//! index, a note named Tags keeping its URL beside the generated index, and folders before
//! notes in the sidebar; asserted on the `book_index` fixture's SUMMARY.md and rendered HTML.

use crate::harness::{BookTest, Report, main_of, problems};

/// The `book_index` fixture, built.
fn build_fixture() -> (BookTest, Report) {
    let book = BookTest::from_fixture("book_index");
    let report = book.build();
    (book, report)
}

/// Where `needle` starts in `hay`, failing the test with `hay` when it is missing.
fn at(hay: &str, needle: &str) -> usize {
    hay.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} missing from:\n{hay}"))
}

/// The chapter lines of SUMMARY.md (`- [Title](path)`, indented), without the prefix chapter.
fn chapters(summary: &str) -> Vec<String> {
    summary
        .lines()
        .filter(|l| l.trim_start().starts_with("- ["))
        .map(str::to_string)
        .collect()
}

#[test]
fn nested_tags_are_grouped_under_their_parents() {
    let (book, _) = build_fixture();
    let tags = main_of(&book.page("tags-1.html")).to_string();
    // Parents before their children, each child a level below; `#project-x` (which sorts
    // between `project` and `project/active` byte-wise) after the whole `#project` group.
    let project = at(&tags, r#"<h2 id="project">"#);
    let active = at(&tags, r#"<h3 id="projectactive">"#);
    let done = at(&tags, r#"<h3 id="projectdone">"#);
    let x = at(&tags, r#"<h2 id="project-x">"#);
    assert!(project < active && active < done && done < x, "{tags}");
    // A parent nobody tagged directly still groups its children.
    let area = at(&tags, r#"<h2 id="area">"#);
    let home = at(&tags, r#"<h3 id="areahome">"#);
    let kitchen = at(&tags, r#"<h4 id="areahomekitchen">"#);
    assert!(area < home && home < kitchen && kitchen < project, "{tags}");
    // Tags are case-insensitive: one `#project/active`, with the frontmatter tag, the inline
    // one and the capitalised one.
    assert!(!tags.contains("projectactive-1"), "{tags}");
    let section = &tags[active..done];
    for page in ["index.html", "alpha.html", "note-10.html"] {
        assert!(section.contains(&format!(r#"href="{page}""#)), "{section}");
    }
    // A note tagged three times (frontmatter, then twice in its text) is listed once.
    assert_eq!(
        section.matches(r#"href="alpha.html""#).count(),
        1,
        "{section}"
    );
    // The parent lists the notes tagged `#project` itself, not its children's.
    let parent = &tags[project..active];
    assert!(parent.contains(r#"href="tags/inbox.html""#), "{parent}");
    assert!(!parent.contains(r#"href="alpha.html""#), "{parent}");
}

#[test]
fn inline_tags_land_on_their_nested_entry() {
    let (book, _) = build_fixture();
    let home = book.main_of("index.html");
    for (tag, id) in [
        ("#project/active", "projectactive"),
        ("#Project/Done", "projectdone"),
        ("#area/home/kitchen", "areahomekitchen"),
        ("#project", "project"),
    ] {
        let link = format!(r#"<a href="tags-1.html#{id}">{tag}</a>"#);
        assert!(home.contains(&link), "{link} missing from:\n{home}");
    }
    let inbox = book.main_of("tags/inbox.html");
    assert!(inbox.contains(r##"<a href="../tags-1.html#project">#project</a>"##));
    book.assert_links_reach_ids();
}

#[test]
fn a_note_named_tags_keeps_its_url() {
    let (book, report) = build_fixture();
    // A valid vault: nothing to report.
    assert!(problems(&report.diagnostics).is_empty(), "{report:?}");
    let note = book.main_of("tags.html");
    assert!(note.contains("My own note about tagging."), "{note}");
    let index = book.main_of("tags-1.html");
    assert!(index.contains(r#"<h1 id="tag-index">"#), "{index}");
    // A folder named tags beside both.
    assert!(
        book.main_of("tags/inbox.html")
            .contains("A note in a folder")
    );
    let summary = book.emitted("SUMMARY.md");
    assert!(summary.contains("- [Tags](tags.md)"), "{summary}");
    assert!(summary.contains("\n[Tag index](tags-1.md)"), "{summary}");
}

#[test]
fn folders_come_first_in_the_sidebar() {
    let (book, _) = build_fixture();
    let summary = book.emitted("SUMMARY.md");
    assert!(summary.contains("[Home](index.md)"), "{summary}");
    // The `order` key first; then folders, then notes, each alphabetical case-insensitively
    // with numbers by value; a folder note heads its folder.
    let expected = [
        "- [Ordered](ordered.md)",
        "- [Apples](apples/apples.md)",
        "  - [Core](apples/core.md)",
        "- [tags]()",
        "  - [Inbox](tags/inbox.md)",
        "- [Zeta]()",
        "  - [Inside](zeta/inside.md)",
        "- [Alpha](alpha.md)",
        "- [Note 2](note-2.md)",
        "- [Note 10](note-10.md)",
        "- [Tags](tags.md)",
    ];
    assert_eq!(chapters(&summary), expected, "{summary}");
}
