//! A large book rendered in shards is the book mdBook renders in one pass, byte for byte.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use vaultbook::internals::{ShardSizes, render_tree};

/// An mdBook source tree of `chapters` chapters with what a sidebar and a page can hold:
/// prefix and suffix chapters, parts, a separator, a draft, chapters three levels deep,
/// names that need escaping, links between chapters, code, a theme override, additional CSS,
/// a 404 page and an attachment.
fn write_tree(root: &Path, chapters: usize, hash_files: bool, fold: bool, labels: bool) {
    let src = root.join("src");
    std::fs::create_dir_all(src.join("part")).unwrap();
    std::fs::create_dir_all(root.join("theme")).unwrap();
    std::fs::write(
        root.join("book.toml"),
        format!(
            "[book]\ntitle = \"Shards\"\n\n[output.html]\nhash-files = {hash_files}\n\
             additional-css = [\"extra.css\"]\nno-section-label = {}\n\
             edit-url-template = \"https://example.org/edit/{{path}}\"\n\n\
             [output.html.fold]\nenable = {fold}\nlevel = 1\n\n\
             [output.html.search]\nenable = false\n\n[output.html.print]\nenable = false\n",
            !labels
        ),
    )
    .unwrap();
    std::fs::write(root.join("extra.css"), "body { color: #123; }\n").unwrap();
    std::fs::write(
        root.join("theme/head.hbs"),
        "<meta name=\"shard-test\" content=\"{{ path }}\">\n",
    )
    .unwrap();
    std::fs::write(src.join("404.md"), "# Lost\n\nNot here.\n").unwrap();
    std::fs::write(src.join("picture.png"), b"\x89PNG\r\n\x1a\n").unwrap();
    let mut summary =
        String::from("# Summary\n\n[Preface](preface.md)\n\n# Part <One> & 'two'\n\n");
    std::fs::write(src.join("preface.md"), "# Preface\n\n![](picture.png)\n").unwrap();
    for i in 0..chapters {
        let depth = match i % 7 {
            0 => 0,
            1 | 2 | 4 => 1,
            3 => 2,
            _ => 1,
        };
        let indent = "  ".repeat(depth);
        let name = match i % 5 {
            0 => format!("Chapter {i} <with> \"quotes\" & 'apostrophes' \\ slash"),
            _ => format!("Chapter {i}"),
        };
        let file = format!("part/c{i}.md");
        writeln!(summary, "{indent}- [{name}]({file})").unwrap();
        if i == chapters / 2 {
            summary.push_str("- [A draft]()\n\n---\n\n# Part Two\n\n");
        }
        let next = (i + 1) % chapters;
        std::fs::write(
            src.join(&file),
            format!(
                "# Chapter {i}\n\nSee [the next one](c{next}.md#chapter-{next}).\n\n\
                 ## Details of {i}\n\n```rust\nfn main() {{ println!(\"{i}\"); }}\n```\n\n\
                 > [!NOTE]\n> An admonition.\n"
            ),
        )
        .unwrap();
    }
    summary.push_str("\n---\n\n[Afterword](afterword.md)\n");
    std::fs::write(src.join("afterword.md"), "# Afterword\n").unwrap();
    std::fs::write(src.join("SUMMARY.md"), summary).unwrap();
}

/// Every file under `dir`, by its path from `dir`.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

fn assert_same_book(chapters: usize, shard: usize, hash_files: bool, fold: bool, labels: bool) {
    let sizes = ShardSizes {
        chapters: shard,
        min: 0,
        bytes: u64::MAX,
    };
    assert_same_book_in(chapters, sizes, hash_files, fold, labels);
}

fn assert_same_book_in(
    chapters: usize,
    sizes: ShardSizes,
    hash_files: bool,
    fold: bool,
    labels: bool,
) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("book");
    write_tree(&root, chapters, hash_files, fold, labels);
    let one = tmp.path().join("one");
    let many = tmp.path().join("many");
    let never = ShardSizes {
        min: usize::MAX,
        bytes: u64::MAX,
        ..sizes
    };
    assert!(!render_tree(&root, &one, never).unwrap());
    assert!(
        render_tree(&root, &many, sizes).unwrap(),
        "the book was not rendered in shards"
    );
    let (one, many) = (files(&one), files(&many));
    let only_one: Vec<&String> = one.keys().filter(|k| !many.contains_key(*k)).collect();
    let only_many: Vec<&String> = many.keys().filter(|k| !one.contains_key(*k)).collect();
    assert!(
        only_one.is_empty() && only_many.is_empty(),
        "files of the one-pass render only: {only_one:?}; of the sharded only: {only_many:?}"
    );
    let differ: Vec<&String> = one.keys().filter(|k| one[*k] != many[*k]).collect();
    assert!(differ.is_empty(), "files that differ: {differ:?}");
    assert!(one.len() > chapters, "{} files", one.len());
    // The scratch folder of the shards is gone.
    assert!(!root.join(".vaultbook-shards").exists());
}

#[test]
fn a_thousand_chapters_in_shards_are_the_one_pass_book_byte_for_byte() {
    assert_same_book(1000, 97, true, true, true);
}

#[test]
fn sharded_without_hashed_names_folding_or_section_labels_is_the_same_book() {
    assert_same_book(60, 7, false, false, false);
}

#[test]
fn a_shard_of_one_chapter_is_the_same_book() {
    assert_same_book(12, 1, true, true, true);
}

#[test]
fn a_book_of_few_long_chapters_is_sharded_by_bytes_into_the_same_book() {
    // Chapters of about 250 bytes, shards of 600: two or three chapters each, from a book of
    // too few chapters to be sharded by their number.
    let sizes = ShardSizes {
        chapters: 1000,
        min: usize::MAX,
        bytes: 600,
    };
    assert_same_book_in(40, sizes, true, true, true);
}
