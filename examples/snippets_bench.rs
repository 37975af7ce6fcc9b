//! Benchmark of live-run snippets: 20 threaded snippets, cold cache, merged compilation (what
//! vaultbook does) against one `rustc` (debug) per snippet; then the warm rebuild overhead.
//!
//! `cargo run --release --example snippets_bench [-- REPS]` (default 5 repetitions; medians).
//! Both sides compile AND run every snippet; the per-snippet side runs as many rustc processes
//! at a time as vaultbook runs snippets (the CPU count), so the comparison is not flattered by
//! a sequential baseline (whose median is printed too).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use vaultbook::Config;
use vaultbook::Span;
use vaultbook::internals::snippets::{SnippetOptions, SnippetRequest, run_all_with_stats};

/// Twenty different threaded programs, in the styles a book about threads would show.
fn snippets() -> Vec<String> {
    let kinds = [
        // spawn and join
        "use std::thread;\nfn main() {\n    let hs: Vec<_> = (0..4).map(|i| thread::spawn(move || i * K)).collect();\n    let s: u64 = hs.into_iter().map(|h| h.join().unwrap()).sum();\n    println!(\"sum {s}\");\n}\n",
        // Arc<Mutex<_>>
        "use std::sync::{Arc, Mutex};\nuse std::thread;\nfn main() {\n    let c = Arc::new(Mutex::new(0u64));\n    let hs: Vec<_> = (0..4).map(|_| { let c = Arc::clone(&c); thread::spawn(move || { for _ in 0..1000 { *c.lock().unwrap() += K; } }) }).collect();\n    for h in hs { h.join().unwrap(); }\n    println!(\"count {}\", *c.lock().unwrap());\n}\n",
        // channels
        "use std::sync::mpsc;\nuse std::thread;\nfn main() {\n    let (tx, rx) = mpsc::channel();\n    for id in 0..3u64 { let tx = tx.clone(); thread::spawn(move || { for j in 0..3 { tx.send(id * K + j).unwrap(); } }); }\n    drop(tx);\n    let mut v: Vec<u64> = rx.iter().collect();\n    v.sort();\n    println!(\"{v:?}\");\n}\n",
        // scoped threads
        "fn main() {\n    let data: Vec<u64> = (0..1000).map(|x| x * K).collect();\n    let (a, b) = data.split_at(500);\n    let (sa, sb) = std::thread::scope(|s| {\n        let ha = s.spawn(|| a.iter().sum::<u64>());\n        let hb = s.spawn(|| b.iter().sum::<u64>());\n        (ha.join().unwrap(), hb.join().unwrap())\n    });\n    println!(\"{}\", sa + sb);\n}\n",
        // atomics
        "use std::sync::atomic::{AtomicU64, Ordering};\nuse std::thread;\nstatic N: AtomicU64 = AtomicU64::new(0);\nfn main() {\n    thread::scope(|s| { for _ in 0..4 { s.spawn(|| for _ in 0..1000 { N.fetch_add(K, Ordering::Relaxed); }); } });\n    println!(\"{}\", N.load(Ordering::Relaxed));\n}\n",
    ];
    (0..20)
        .map(|i| kinds[i % kinds.len()].replace('K', &format!("{}u64", i + 1)))
        .collect()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

fn book(root: &Path) -> (Config, tera::Tera) {
    std::fs::create_dir_all(root.join("vault")).unwrap();
    let config = Config::from_str(root, "[book]\ntitle = 'bench'\n").unwrap();
    let tera = vaultbook::internals::load_templates(root).unwrap();
    (config, tera)
}

fn requests(codes: &[String]) -> Vec<SnippetRequest> {
    let span = Span {
        start: 0,
        end: 0,
        line: 1,
        column: 1,
        end_line: 1,
        end_column: 1,
    };
    codes
        .iter()
        .enumerate()
        .map(|(i, c)| SnippetRequest {
            file: format!("vault/n{i}.md").into(),
            span,
            info: "rust".into(),
            code: c.clone(),
        })
        .collect()
}

/// One rustc per snippet, `jobs` at a time, each binary run after it is built.
fn per_snippet_rustc(codes: &[String], jobs: usize) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(code) = codes.get(i) else { break };
                    let src = dir.path().join(format!("s{i}.rs"));
                    let exe = dir.path().join(format!("s{i}"));
                    std::fs::write(&src, code).unwrap();
                    let ok = Command::new("rustc")
                        .args(["--edition", "2024", "-o"])
                        .arg(&exe)
                        .arg(&src)
                        .status()
                        .unwrap();
                    assert!(ok.success());
                    let out = Command::new(&exe).output().unwrap();
                    assert!(out.status.success());
                }
            });
        }
    });
    start.elapsed()
}

fn main() {
    let reps: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5);
    let codes = snippets();
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    let opts = SnippetOptions {
        run: true,
        rerun: false,
        progress: false,
        trust: false,
    };
    println!(
        "20 threaded snippets, {reps} repetitions, {jobs} CPUs, {}",
        String::from_utf8_lossy(&Command::new("rustc").arg("-V").output().unwrap().stdout).trim()
    );

    let (mut merged, mut rustc_par, mut rustc_seq, mut warm) = (vec![], vec![], vec![], vec![]);
    for rep in 0..reps {
        // Cold: a new book, so no cache and no compiled project.
        let root = tempfile::tempdir().unwrap();
        let (config, tera) = book(root.path());
        let reqs = requests(&codes);
        let t = Instant::now();
        let (outcomes, diags, stats) = run_all_with_stats(&reqs, &config, &tera, &opts);
        merged.push(t.elapsed());
        assert!(diags.is_empty(), "{diags:?}");
        assert!(outcomes.iter().all(|o| o.markdown.contains("snippet-ok")));
        assert_eq!((stats.cargo_runs, stats.runs), (1, 20), "{stats:?}");

        // Warm: the same book again; everything comes from the cache.
        for _ in 0..3 {
            let t = Instant::now();
            let (_, _, stats) = run_all_with_stats(&reqs, &config, &tera, &opts);
            warm.push(t.elapsed());
            assert_eq!((stats.cargo_runs, stats.runs, stats.cached), (0, 0, 20));
        }

        rustc_par.push(per_snippet_rustc(&codes, jobs));
        if rep < 3 {
            rustc_seq.push(per_snippet_rustc(&codes, 1));
        }
        eprintln!(
            "rep {rep}: merged {} | rustc x20 ({jobs} at a time) {} | warm {}",
            secs(merged[rep]),
            secs(rustc_par[rep]),
            secs(warm[warm.len() - 1])
        );
    }
    let (m, p, s, w) = (
        median(merged),
        median(rustc_par),
        median(rustc_seq),
        median(warm),
    );
    println!("cold, merged (vaultbook):          median {}", secs(m));
    println!("cold, one rustc per snippet ({jobs}x): median {}", secs(p));
    println!("cold, one rustc per snippet (1x):  median {}", secs(s));
    println!(
        "ratio merged / per-snippet:        {:.2} ({jobs} at a time), {:.2} (sequential)",
        m.as_secs_f64() / p.as_secs_f64(),
        m.as_secs_f64() / s.as_secs_f64()
    );
    println!("warm rebuild (all cached):         median {}", secs(w));
}
