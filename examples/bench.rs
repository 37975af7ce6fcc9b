//! Pipeline benchmarks over a synthetic vault.
//!
//! ```text
//! cargo run --release --example bench -- emit  [NOTES=10000] [LINKS=25] [RUNS=7]
//! cargo run --release --example bench -- check [NOTES=10000] [LINKS=40] [RUNS=7]
//! cargo run --release --example bench -- build [NOTES=1000]  [LINKS=25] [RUNS=5]
//! ```
//!
//! `emit` times vault → mdBook source tree; `check` times scan, parse, index and resolve (what
//! `vaultbook check --no-run` does); `build` times `vaultbook build` against rendering the same
//! emitted tree with mdbook-driver alone, which is all a stock `mdbook build` does. Medians are
//! printed; the machine is shared and noisy, so compare ratios.

use std::path::Path;
use std::time::{Duration, Instant};

use vaultbook::pipeline::{self, Options};

/// A small deterministic generator (xorshift), so every run builds the same vault.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const WORDS: &[&str] = &[
    "thread", "process", "lock", "mutex", "channel", "atomic", "race", "deadlock", "memory",
    "scope", "spawn", "join", "shared", "state", "parallel", "async", "task", "queue", "signal",
    "barrier",
];

fn heading(rng: &mut Rng, i: usize) -> String {
    // Markup and punctuation, as real headings have.
    let a = WORDS[rng.below(WORDS.len())];
    let b = WORDS[rng.below(WORDS.len())];
    match i % 4 {
        0 => format!("What is a **{a}**?"),
        1 => format!("`{a}<{b}>` in practice"),
        2 => format!("{a}, {b} & friends: part {i}"),
        _ => format!("Why {a} -- not {b}"),
    }
}

/// Writes a vault of `notes` notes in folders of 100, each with `links` links, most of them to
/// headings of other notes.
fn generate(root: &Path, notes: usize, links: usize) {
    let vault = root.join("vault");
    let _ = std::fs::remove_dir_all(root);
    std::fs::create_dir_all(&vault).unwrap();
    std::fs::write(
        root.join("book.toml"),
        "[book]\ntitle = \"Synthetic\"\n\n[vaultbook]\nvault = \"vault\"\n\n[output.html.search]\nenable = false\n",
    )
    .unwrap();
    let name = |i: usize| format!("Folder {}/Note {i}", i / 100);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let headings_per_note = 6;
    for i in 0..notes {
        let mut text = format!("---\ntags: [synthetic]\norder: {i}\n---\n# Note {i}\n\n");
        for h in 0..headings_per_note {
            text.push_str(&format!(
                "## {}\n\n",
                heading(&mut Rng(i as u64 * 31 + h as u64 + 1), h)
            ));
            for _ in 0..links / headings_per_note + 1 {
                let t = rng.below(notes);
                let th = rng.below(headings_per_note);
                let target_heading = heading(&mut Rng(t as u64 * 31 + th as u64 + 1), th);
                let w = WORDS[rng.below(WORDS.len())];
                match rng.below(4) {
                    0 => text.push_str(&format!("A {w} links to [[Note {t}]]. ")),
                    1 => text.push_str(&format!(
                        "See [[{}#{}|the {w} part]]. ",
                        name(t),
                        target_heading
                    )),
                    _ => text.push_str(&format!("Read [[Note {t}#{target_heading}]] on {w}. ")),
                }
            }
            text.push_str(
                "\n\nSome prose about threads and locks, with *emphasis* and `code`.\n\n",
            );
        }
        let path = vault.join(format!("{}.md", name(i)));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    // One warm-up run fills the page cache.
    f();
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let what = args.first().map(String::as_str).unwrap_or("emit");
    let num = |i: usize, d: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    let (notes, links, runs) = match what {
        "build" => (num(1, 1000), num(2, 25), num(3, 5)),
        "check" => (num(1, 10_000), num(2, 40), num(3, 7)),
        _ => (num(1, 10_000), num(2, 25), num(3, 7)),
    };
    let root = std::env::temp_dir().join(format!("vaultbook-bench-{what}-{notes}"));
    generate(&root, notes, links);
    let config = vaultbook::Config::load(&root).unwrap();
    let options = Options {
        run_snippets: false,
        ..Options::default()
    };
    let probe = pipeline::analyze(&config, &options).unwrap();
    println!(
        "{what}: {} notes, {} links, {} diagnostics, {} threads",
        probe.stats.notes,
        probe.stats.links,
        probe.diagnostics.len(),
        rayon::current_num_threads()
    );
    drop(probe);
    match what {
        "check" => {
            let t = time(runs, || pipeline::analyze(&config, &options).unwrap());
            println!("check (analyze) median of {runs}: {:.3} s", t.as_secs_f64());
        }
        "build" => {
            let ours = time(runs, || pipeline::build(&config, &options).unwrap());
            let src = config.work_dir.join("book-src");
            let out = root.join("stock-out");
            let stock = time(runs, || {
                let _ = std::fs::remove_dir_all(&out);
                let mut book = mdbook_driver::MDBook::load(&src).unwrap();
                book.config.build.build_dir = out.clone();
                book.build().unwrap();
            });
            println!(
                "vaultbook build median of {runs}: {:.3} s; mdBook render of the same tree: {:.3} s; ratio {:.2}",
                ours.as_secs_f64(),
                stock.as_secs_f64(),
                ours.as_secs_f64() / stock.as_secs_f64()
            );
        }
        _ => {
            let out = root.join("emitted");
            let t = time(runs, || pipeline::emit(&config, &options, &out).unwrap());
            println!("emit median of {runs}: {:.3} s", t.as_secs_f64());
        }
    }
}
