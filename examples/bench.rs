//! Pipeline benchmarks over a synthetic vault.
//!
//! ```text
//! cargo run --release --example bench -- emit  [NOTES=10000] [LINKS=25] [RUNS=7]
//! cargo run --release --example bench -- check [NOTES=10000] [LINKS=40] [RUNS=7]
//! cargo run --release --example bench -- build [NOTES=1000]  [LINKS=25] [RUNS=5]   (build 10000 too)
//! cargo run --release --example bench -- shards [NOTES=10000] [LINKS=25] [RUNS=7]
//! cargo run --release --example bench -- graph [NOTES=10000] [LINKS=25] [RUNS=5]
//! cargo run --release --example bench -- serve [NOTES=10000] [LINKS=25] [EDITS=100]
//! cargo run --release --example bench -- rebuild [NOTES=10000] [LINKS=25] [EDITS=3]
//! cargo run --release --example bench -- bignote [MB=100]
//! ```
//!
//! `bignote` builds one note of `MB` megabytes (a heading every ten lines, each line linking
//! the other note and a heading of its own note) beside one small note, once, with search as
//! `auto` chooses it, and prints the wall and CPU time, the peak resident memory and the phases;
//! before that, what the analysis of it alone holds and its peak.
//!
//! `rebuild` runs serve's builder without the server (changed pages updated in place) and prints
//! the phases of each rebuild after a one-note edit.
//!
//! `serve` starts the real server (watcher, builder, HTTP, websocket) on the vault, times the
//! first page served and the whole book, then edits one note at a time, `EDITS` times, and
//! times each edit from the file write to the reload message on a connected websocket, with the
//! process's resident memory and live heap (bytes allocated and not freed) after each.
//!
//! `graph` times the link graph alone on the analysed vault: the whole-vault layout, and all of
//! it (layout, the vault picture's SVG, the links table the local graphs are drawn from), with
//! the bytes of its data scripts.
//!
//! `emit` times vault → mdBook source tree: in memory, written to a new directory each run, and
//! written over the last run's tree in one directory (as a user emitting again does), the
//! median and the slowest run of each. The vault is generated once (and kept while it is the same),
//! and no directory is removed until every run is done: on an ext4 file system without a
//! journal, as on the benchmark machine, an inode freed in the last minute (six while its
//! inode table is unwritten) is skipped by a linear scan when a file is created
//! (`recently_deleted` in ext4's inode allocator), so files created after 20,000 were removed
//! cost seconds that are the file system's, not the emit's. The last line's file-creation time
//! shows which case a run was in (0.26 s for 10,000 files in the first, 3.3 s in the second). `check` times scan, parse, index and resolve, and
//! the assembly of the pages that embed notes (what `vaultbook check --no-run` does); `build` times a full `vaultbook build` (and a second build of
//! the unchanged book) against rendering the same emitted tree with mdbook-driver alone, which is all a stock `mdbook build` does. Medians are
//! printed; the machine is shared and noisy, so compare ratios.

use std::path::Path;
use std::time::{Duration, Instant};

use vaultbook::{Driver, Options};

// The same allocator as the `vaultbook` binary, so that the figures are the binary's, counting
// the bytes held: resident memory also holds what the allocator keeps for reuse, so a flat live
// heap under a growing RSS is retention, not a leak.
#[global_allocator]
static ALLOCATOR: Counting = Counting(mimalloc::MiMalloc);

/// [`mimalloc::MiMalloc`] with a count of the bytes allocated and not yet freed.
struct Counting(mimalloc::MiMalloc);

/// The count, in one slot per thread: a shared counter would be contended by every allocation
/// of two busy threads, and even an uncontended locked add on every allocation and free cost
/// this bench 5% of an edit's rebuild. The first `OWNED` threads each own a slot, which only
/// that thread writes, with a plain load and store; later threads share the last slot, with an
/// atomic add. A block freed on another thread than the one that made it moves bytes between
/// slots, and the sum stays right.
#[repr(align(64))]
struct Slot(std::sync::atomic::AtomicIsize);

const OWNED: usize = 63;
static LIVE: [Slot; OWNED + 1] =
    [const { Slot(std::sync::atomic::AtomicIsize::new(0)) }; OWNED + 1];
static NEXT_SLOT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

thread_local! {
    // `const` and without a destructor: no lazy registration on the allocation path, and
    // usable during a thread's last frees.
    static MY_SLOT: std::cell::Cell<usize> = const { std::cell::Cell::new(usize::MAX) };
}

fn count(bytes: isize) {
    use std::sync::atomic::Ordering::Relaxed;
    let slot = MY_SLOT.with(|s| {
        if s.get() == usize::MAX {
            s.set(NEXT_SLOT.fetch_add(1, Relaxed).min(OWNED));
        }
        s.get()
    });
    let live = &LIVE[slot].0;
    if slot < OWNED {
        live.store(live.load(Relaxed) + bytes, Relaxed);
    } else {
        live.fetch_add(bytes, Relaxed);
    }
}

// SAFETY: every call is passed on to mimalloc unchanged; the count is only a side effect.
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        count(layout.size() as isize);
        unsafe { self.0.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        count(-(layout.size() as isize));
        unsafe { self.0.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        count(layout.size() as isize);
        unsafe { self.0.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new: usize) -> *mut u8 {
        count(new as isize - layout.size() as isize);
        unsafe { self.0.realloc(ptr, layout, new) }
    }
}

/// The bytes allocated and not freed now, in MiB.
fn live_mib() -> f64 {
    let bytes: isize = LIVE
        .iter()
        .map(|s| s.0.load(std::sync::atomic::Ordering::Relaxed))
        .sum();
    bytes as f64 / (1 << 20) as f64
}

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

/// The largest resident set this process has had, in MiB.
fn peak_rss_mib() -> i64 {
    // SAFETY: as above.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    usage.ru_maxrss / 1024
}

/// One build of a vault of one note of `mb` megabytes and one small note (see the module doc).
fn big_note(mb: usize) {
    use std::io::Write as _;
    let root = std::env::temp_dir().join(format!("vaultbook-bench-bignote-{mb}"));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("vault")).unwrap();
    std::fs::write(root.join("book.toml"), "[book]\ntitle = \"Big\"\n").unwrap();
    std::fs::write(
        root.join("vault/Other.md"),
        "# Other\n\nSee [[Big#Section 10]] and [[Big]].\n",
    )
    .unwrap();
    let file = std::fs::File::create(root.join("vault/Big.md")).unwrap();
    let mut out = std::io::BufWriter::new(file);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut written, mut sections) = (0, 0);
    out.write_all(b"# Big\n\n").unwrap();
    while written < mb << 20 {
        let mut s = format!("## Section {sections}\n\n");
        for line in 0..10 {
            let k = rng.below(sections.max(1));
            s.push_str(&format!(
                "Prose about threads and locks, see [[Other]] and [[Big#Section {k}|section {k}]] \
                 for the **shared** state of line {line}.\n"
            ));
        }
        s.push('\n');
        out.write_all(s.as_bytes()).unwrap();
        written += s.len();
        sections += 1;
    }
    out.flush().unwrap();
    drop(out);
    let config = vaultbook::Config::load(&root).unwrap();
    let options = Options {
        run_snippets: false,
        progress: false,
        ..Options::default()
    };
    // The analysis alone first: what it holds, and its peak (the build's peak is later and
    // higher, so the process's peak then is the build's).
    let mut driver = Driver::new(config.clone(), options);
    let before = live_mib();
    let analysis = driver.analyze().unwrap();
    println!(
        "bignote {mb} MB: the analysis holds {:.0} MiB; peak RSS of reading and analysing it {} MiB",
        live_mib() - before,
        peak_rss_mib()
    );
    drop((analysis, driver));
    let (cpu_before, t) = (cpu(), Instant::now());
    let report = Driver::new(config, options).build().unwrap();
    let wall = t.elapsed();
    println!(
        "bignote {mb} MB ({sections} headings, {} links): {:.2} s wall, {:.2} s CPU, peak RSS \
         {} MiB; {}",
        report.stats.links,
        wall.as_secs_f64(),
        (cpu() - cpu_before).as_secs_f64(),
        peak_rss_mib(),
        report.stats.phase_summary()
    );
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

/// CPU time (user + system) this process has used so far.
fn cpu() -> Duration {
    // SAFETY: getrusage only writes into the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// The median wall time of `runs` runs after a warm-up, and the mean CPU time per run (on a
/// shared machine, CPU time divided by the cores is what an idle machine's wall time would be).
fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    // One warm-up run fills the page cache.
    f();
    let cpu_before = cpu();
    let wall = median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    );
    let per_run = (cpu() - cpu_before) / runs as u32;
    println!(
        "  (cpu per run: {:.3} s; / {} threads = {:.3} s)",
        per_run.as_secs_f64(),
        rayon::current_num_threads(),
        per_run.as_secs_f64() / rayon::current_num_threads() as f64
    );
    wall
}

fn main() {
    // As the vaultbook binary does first (see its doc for why).
    vaultbook::memory::without_huge_pages();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let what = args.first().map(String::as_str).unwrap_or("emit");
    let num = |i: usize, d: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    if what == "bignote" {
        return big_note(num(1, 100));
    }
    let (notes, links, runs) = match what {
        "build" => (num(1, 1000), num(2, 25), num(3, 5)),
        "check" => (num(1, 10_000), num(2, 40), num(3, 7)),
        "graph" => (num(1, 10_000), num(2, 25), num(3, 5)),
        "serve" => (num(1, 10_000), num(2, 25), num(3, 100)),
        _ => (num(1, 10_000), num(2, 25), num(3, 7)),
    };
    let root = std::env::temp_dir().join(format!("vaultbook-bench-{what}-{notes}"));
    // `emit` leaves the vault as it found it: the last one is kept when it is the same.
    let stamp = format!("{notes} notes, {links} links, generator 1\n");
    let stamp_file = root.join("generated");
    if what != "emit" || std::fs::read_to_string(&stamp_file).ok().as_deref() != Some(&stamp) {
        generate(&root, notes, links);
        std::fs::write(&stamp_file, &stamp).unwrap();
    }
    let config = vaultbook::Config::load(&root).unwrap();
    let options = Options {
        run_snippets: false,
        ..Options::default()
    };
    let probe = Driver::new(config.clone(), options).analyze().unwrap();
    println!(
        "{what}: {} notes, {} links, {} diagnostics, {} threads",
        probe.published,
        probe.links,
        probe.diagnostics.len(),
        rayon::current_num_threads()
    );
    drop(probe);
    match what {
        "serve" => serve(&root, options, notes, runs),
        "rebuild" => {
            // serve's builder without the server: the phases of one rebuild after an edit.
            let mut driver = Driver::incremental(config.clone(), options);
            let outs = root.join("rebuilds");
            let _ = std::fs::remove_dir_all(&outs);
            std::fs::create_dir_all(&outs).unwrap();
            let mut previous: Option<std::path::PathBuf> = None;
            for i in 0..=runs {
                if i > 0 {
                    let n = (i * 7919) % notes;
                    let note = root.join(format!("vault/Folder {}/Note {n}.md", n / 100));
                    let mut text = std::fs::read_to_string(&note).unwrap();
                    text.push_str(&format!("\nEdit {i}.\n"));
                    std::fs::write(&note, text).unwrap();
                }
                let out = outs.join(format!("g{i}"));
                let t = Instant::now();
                // As serve does: a few changed pages go into the served book in place.
                let (report, scope) = driver
                    .update_showing(&out, previous.as_deref(), None)
                    .unwrap();
                println!(
                    "rebuild {i} ({scope:?}): {:.3} s; {}; RSS {:.0} MiB",
                    t.elapsed().as_secs_f64(),
                    report.stats.phase_summary(),
                    rss_mib()
                );
                let written = report.output.clone().unwrap_or(out);
                if previous.as_ref() != Some(&written)
                    && let Some(p) = previous.replace(written)
                {
                    let _ = std::fs::remove_dir_all(p);
                }
            }
        }
        "memory" => {
            let t = time(runs, || {
                let mut driver = Driver::new(config.clone(), options);
                let a = driver.analyze().unwrap();
                driver.assemble(&a).unwrap()
            });
            println!("emit in memory median of {runs}: {:.3} s", t.as_secs_f64());
        }
        "graph" => {
            let analysis = Driver::new(config.clone(), options).analyze().unwrap();
            let mut layouts = Vec::new();
            let mut alls = Vec::new();
            let mut bytes = 0;
            let cpu_before = cpu();
            for _ in 0..runs {
                let (layout, all, b) =
                    vaultbook::internals::graph_measure(&config, &analysis).unwrap();
                layouts.push(layout);
                alls.push(all);
                bytes = b;
            }
            let per_run = (cpu() - cpu_before) / runs as u32;
            println!(
                "  (samples: layout {:?}; all {:?}; cpu per run {:.3} s)",
                layouts.iter().map(|d| d.as_secs_f64()).collect::<Vec<_>>(),
                alls.iter().map(|d| d.as_secs_f64()).collect::<Vec<_>>(),
                per_run.as_secs_f64()
            );
            println!(
                "graph median of {runs}: vault layout {:.3} s; whole graph (layout, vault SVG, links table) {:.3} s; data {:.1} MB",
                median(layouts).as_secs_f64(),
                median(alls).as_secs_f64(),
                bytes as f64 / 1e6
            );
        }
        "check" => {
            let t = time(runs, || {
                Driver::new(config.clone(), options).check(false).unwrap()
            });
            println!("check median of {runs}: {:.3} s", t.as_secs_f64());
        }
        "shards" => {
            // mdBook's render of the emitted tree in shards of each size (and in one pass when
            // the book is small enough to wait for): choosing `render::SHARD_CHAPTERS`.
            let out = root.join("emitted");
            Driver::new(config.clone(), options).emit(&out).unwrap();
            // As `build` renders a book this large: without the print page (past 10 MB).
            let toml = out.join("book.toml");
            let mut text = std::fs::read_to_string(&toml).unwrap();
            text.push_str("\n[output.html.print]\nenable = false\n");
            std::fs::write(&toml, text).unwrap();
            let dest = root.join("shard-out");
            for size in [125, 250, 500, 1000, usize::MAX] {
                if size == usize::MAX && notes > 3000 {
                    continue;
                }
                let min = if size == usize::MAX { usize::MAX } else { 0 };
                let mut walls = Vec::new();
                let mut cpus = Vec::new();
                for _ in 0..runs {
                    let _ = std::fs::remove_dir_all(&dest);
                    let (t, c) = (Instant::now(), cpu());
                    let sizes = vaultbook::internals::ShardSizes {
                        chapters: size,
                        min,
                        bytes: u64::MAX,
                    };
                    vaultbook::internals::render_tree(&out, &dest, sizes).unwrap();
                    walls.push(t.elapsed());
                    cpus.push(cpu() - c);
                }
                println!(
                    "shards of {size}: median of {runs} {:.3} s wall, {:.3} s CPU",
                    median(walls).as_secs_f64(),
                    median(cpus).as_secs_f64()
                );
            }
        }
        "build" => {
            // A full build each time: the build dir is removed first (outside the timing), or
            // the unchanged book would not be rendered again.
            let mut samples = Vec::new();
            let mut cpus = Vec::new();
            for _ in 0..runs {
                let _ = std::fs::remove_dir_all(&config.build_dir);
                let (t, c) = (Instant::now(), cpu());
                Driver::new(config.clone(), options).build().unwrap();
                samples.push(t.elapsed());
                cpus.push(cpu() - c);
            }
            let ours = median(samples);
            let ours_cpu = median(cpus);
            let ours_rss = peak_rss_mib();
            let unchanged = time(runs, || {
                Driver::new(config.clone(), options).build().unwrap()
            });
            println!(
                "vaultbook build of the unchanged book median of {runs}: {:.3} s ({:.1}% of a full build)",
                unchanged.as_secs_f64(),
                100.0 * unchanged.as_secs_f64() / ours.as_secs_f64()
            );
            println!(
                "vaultbook build median of {runs}: {:.3} s wall, {:.3} s CPU; peak RSS of this \
                 process so far {ours_rss} MiB",
                ours.as_secs_f64(),
                ours_cpu.as_secs_f64()
            );
            // One note edited before each build: only its page (and those of the notes that
            // link to the edited section, none here: a sentence is added) is rendered again.
            let mut edited = Vec::new();
            for i in 0..runs {
                let note = root.join(format!("vault/Folder {}/Note {}.md", i, i * 100 + 7));
                let mut text = std::fs::read_to_string(&note).unwrap();
                text.push_str("\nOne more sentence about a lock.\n");
                std::fs::write(&note, text).unwrap();
                let t = Instant::now();
                Driver::new(config.clone(), options).build().unwrap();
                edited.push(t.elapsed());
            }
            let edited = median(edited);
            println!(
                "vaultbook build after one note is edited median of {runs}: {:.3} s ({:.1}% of a full build)",
                edited.as_secs_f64(),
                100.0 * edited.as_secs_f64() / ours.as_secs_f64()
            );
            // mdBook alone on the same tree: once for large books (11 minutes at 10,000 notes).
            let stock_runs = if notes > 2000 { 1 } else { runs };
            let src = config.work_dir.join("book-src");
            let out = root.join("stock-out");
            let mut samples = Vec::new();
            let mut cpus = Vec::new();
            for _ in 0..stock_runs {
                let _ = std::fs::remove_dir_all(&out);
                let (t, c) = (Instant::now(), cpu());
                let mut book = mdbook_driver::MDBook::load(&src).unwrap();
                book.config.build.build_dir = out.clone();
                book.build().unwrap();
                samples.push(t.elapsed());
                cpus.push(cpu() - c);
            }
            let stock = median(samples);
            println!(
                "mdBook render of the same tree median of {stock_runs}: {:.3} s wall, {:.3} s CPU, \
                 peak RSS of this process so far {} MiB; vaultbook/mdBook wall ratio {:.3}",
                stock.as_secs_f64(),
                median(cpus).as_secs_f64(),
                peak_rss_mib(),
                ours.as_secs_f64() / stock.as_secs_f64()
            );
        }
        _ => {
            // In memory: read, parse, index, resolve and assemble every page (our own work).
            let memory = time(runs, || {
                let mut driver = Driver::new(config.clone(), options);
                let a = driver.analyze().unwrap();
                driver.assemble(&a).unwrap()
            });
            // The whole command, writing a tree into a directory of its own each run; the
            // trees are removed after the last (see the module's comment).
            let outs = root.join("emitted");
            let _ = std::fs::remove_dir_all(&outs);
            let mut samples = Vec::new();
            for i in 0..runs {
                let t = Instant::now();
                Driver::new(config.clone(), options)
                    .emit(&outs.join(format!("run-{i}")))
                    .unwrap();
                samples.push(t.elapsed());
            }
            let slowest = samples.iter().max().copied().unwrap_or_default();
            let full = median(samples);
            // Over the last tree, as a user emitting again into one folder does: the run
            // before each is its own, and what did not change is linked, not written again.
            let over = outs.join("over");
            Driver::new(config.clone(), options).emit(&over).unwrap();
            let mut over_samples = Vec::new();
            for _ in 0..runs {
                let t = Instant::now();
                Driver::new(config.clone(), options).emit(&over).unwrap();
                over_samples.push(t.elapsed());
            }
            let over_slowest = over_samples.iter().max().copied().unwrap_or_default();
            let over = median(over_samples);
            // What creating that many files costs on this filesystem, with no work at all.
            let mut raw_samples = Vec::new();
            for r in 0..runs.min(3) {
                let dir = outs.join(format!("raw-{r}"));
                let t = Instant::now();
                for i in 0..notes {
                    let folder = dir.join(format!("f{}", i / 100));
                    if i % 100 == 0 {
                        std::fs::create_dir_all(&folder).unwrap();
                    }
                    std::fs::write(folder.join(format!("n{i}.md")), [b'x'; 2500]).unwrap();
                }
                raw_samples.push(t.elapsed());
            }
            let raw = median(raw_samples);
            let _ = std::fs::remove_dir_all(&outs);
            println!(
                "emit in memory median of {runs}: {:.3} s; emit to a new directory: median {:.3} s, \
                 slowest {:.3} s; over its last tree: median {:.3} s, slowest {:.3} s; \
                 creating {notes} files of 2.5 kB with no other work: {:.3} s",
                memory.as_secs_f64(),
                full.as_secs_f64(),
                slowest.as_secs_f64(),
                over.as_secs_f64(),
                over_slowest.as_secs_f64(),
                raw.as_secs_f64()
            );
        }
    }
}

/// The resident memory of this process now, in MiB.
fn rss_mib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / (1 << 20) as f64
}

/// `GET path` on the server, returning the status line and the body.
async fn get(addr: std::net::SocketAddr, path: &str) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut bytes = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut bytes)).await;
    assert!(
        read.is_ok(),
        "no answer to GET {path} in 30 s: {}",
        String::from_utf8_lossy(&bytes)
    );
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let status = text.lines().next().unwrap_or_default().to_string();
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn serve(root: &Path, options: Options, notes: usize, edits: usize) {
    use futures_util::StreamExt;
    use vaultbook::serve::{PipelineBuilder, ServeOptions, Server};
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let started = Instant::now();
        let server = Server::start(ServeOptions::new(root, 0), PipelineBuilder::new(options))
            .await
            .unwrap();
        let addr = server.addr();
        // The first page: `/` until it is a page of the book, not serve's "building" page.
        let first = loop {
            let (status, body) = get(addr, "/").await;
            if status.contains("200") && body.contains("menu-title") {
                break started.elapsed();
            }
            if started.elapsed() > Duration::from_secs(600) {
                panic!("no page after 600 s: {status}\n{}", &body[..body.len().min(2000)]);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let whole = loop {
            // The last chapter, served only once the whole book is.
            let last = format!("/folder-{}/note-{}.html", (notes - 1) / 100, notes - 1);
            let (status, _) = get(addr, &last).await;
            if status.contains("200") {
                break started.elapsed();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        println!(
            "serve {notes} notes: first page {:.3} s, whole book {:.3} s, RSS {:.0} MiB",
            first.as_secs_f64(),
            whole.as_secs_f64(),
            rss_mib()
        );
        let url = format!("ws://{addr}/__vaultbook/ws");
        let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
        let mut latencies = Vec::new();
        let mut rss = Vec::new();
        let mut live = Vec::new();
        for i in 0..edits {
            let n = (i * 7919) % notes;
            let note = root.join(format!("vault/Folder {}/Note {n}.md", n / 100));
            let mut text = std::fs::read_to_string(&note).unwrap();
            text.push_str(&format!("\nEdit {i}: one more sentence about a lock.\n"));
            let t = Instant::now();
            std::fs::write(&note, text).unwrap();
            loop {
                let message = ws.next().await.unwrap().unwrap();
                if message.to_text().unwrap_or_default().starts_with("reload") {
                    break;
                }
            }
            latencies.push(t.elapsed());
            rss.push(rss_mib());
            live.push(live_mib());
            // The edited page is the new one.
            let (status, body) = get(addr, &format!("/folder-{}/note-{n}.html", n / 100)).await;
            assert!(status.contains("200") && body.contains(&format!("Edit {i}")), "{status}");
        }
        let mut sorted = latencies.clone();
        sorted.sort();
        println!(
            "serve {notes} notes, {edits} edits, file write to reload message: median {:.3} s, \
             90th percentile {:.3} s, slowest {:.3} s",
            median(latencies).as_secs_f64(),
            sorted[sorted.len() * 9 / 10].as_secs_f64(),
            sorted[sorted.len() - 1].as_secs_f64()
        );
        println!(
            "resident memory after edit 1: {:.0} MiB, after edit {}: {:.0} MiB, after edit {edits}: \
             {:.0} MiB; peak {} MiB",
            rss[0],
            edits / 10 + 1,
            rss[edits / 10],
            rss[edits - 1],
            peak_rss_mib()
        );
        // The live heap at every tenth edit: flat when nothing accumulates across edits.
        let tenths: Vec<String> = live
            .iter()
            .enumerate()
            .filter(|(i, _)| i % (edits / 10).max(1) == 0 || *i == edits - 1)
            .map(|(i, m)| format!("{}: {m:.1}", i + 1))
            .collect();
        let (low, high) = live[edits / 10..]
            .iter()
            .fold((f64::MAX, f64::MIN), |(l, h), &m| (l.min(m), h.max(m)));
        println!(
            "live heap (MiB allocated and not freed) after edit {}; from edit {} on between \
             {low:.1} and {high:.1} MiB",
            tenths.join(", "),
            edits / 10 + 1
        );
        server.stop().await;
    });
}
