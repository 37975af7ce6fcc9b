//! Stop signals and concurrent runs, with the real binary: SIGINT, SIGTERM or SIGHUP at any
//! moment leaves no temporary directory, no child process and the previous book intact; two
//! builds of one book at once both succeed; `serve` removes its staging area on every signal.
//!
//! Every child gets a private `TMPDIR` inside the fixture, so that what it leaves in the system's
//! temporary directory can be listed, and a marker in its environment, so that its descendants
//! can be found in /proc. Every wait is bounded; a child still running when a test fails is
//! killed.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::harness::{self, BookTest, jailed_snippets, lines_of};

/// The longest any child may take to exit after a signal, or to finish a build.
const WAIT: Duration = Duration::from_secs(30);
/// The variable that marks the processes a fixture started (and their descendants).
const MARKER: &str = "VAULTBOOK_INTERRUPT_TEST";

/// A book of `notes` generated notes (`<outer>/book-root`), and a private temporary directory
/// (`<outer>/tmp`), in one temp folder.
struct Fixture {
    book: BookTest,
}

impl Fixture {
    fn new(notes: usize) -> Fixture {
        // No search index: it is the same work on every build, and these tests build often.
        let book = BookTest::nested("book-root").file(
            "book.toml",
            "[book]\ntitle = \"Signals\"\n\n[output.html.search]\nenable = false\n",
        );
        let root = book.root();
        std::fs::create_dir_all(root.join("vault")).unwrap();
        std::fs::create_dir_all(book.outer().join("tmp")).unwrap();
        for i in 0..notes {
            let folder = root.join(format!("vault/part{}", i % 5));
            std::fs::create_dir_all(&folder).unwrap();
            let links: String = (1..8)
                .map(|k| format!("[[Note {}#Section {}]] ", (i * 7 + k) % notes, k % 4))
                .collect();
            let mut text = format!("# Note {i}\n\nIntro. {links}\n\n");
            for s in 0..6 {
                text.push_str(&format!(
                    "## Section {s}\n\nSection {s} of note {i}, with **bold** and `code`. {links}\n\n"
                ));
            }
            std::fs::write(folder.join(format!("Note {i}.md")), text).unwrap();
        }
        let index: String = (0..notes).map(|i| format!("- [[Note {i}]]\n")).collect();
        std::fs::write(root.join("vault/README.md"), format!("# Home\n\n{index}")).unwrap();
        Fixture { book }
    }

    /// The temporary folder that holds the book root and the private TMPDIR.
    fn dir(&self) -> &Path {
        self.book.outer()
    }

    fn root(&self) -> PathBuf {
        self.book.root().to_path_buf()
    }

    fn tmp(&self) -> PathBuf {
        self.dir().join("tmp")
    }

    /// `vaultbook ARGS ROOT`, with the private TMPDIR and the marker; stderr goes to `log`.
    fn command(&self, args: &[&str], log: &str) -> Command {
        let mut cmd = harness::vaultbook();
        cmd.args(args)
            .arg(self.root())
            .env("TMPDIR", self.tmp())
            .env(MARKER, self.dir())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(self.dir().join(log)).unwrap());
        as_from_a_terminal(&mut cmd);
        cmd
    }

    fn log(&self, log: &str) -> String {
        std::fs::read_to_string(self.dir().join(log)).unwrap_or_default()
    }

    /// What vaultbook may have left behind: staging and aside directories anywhere in the
    /// fixture (the vault aside), serve's page scratch dir, and anything in the private TMPDIR.
    fn leftovers(&self) -> Vec<String> {
        let vault = self.root().join("vault");
        let mut found: Vec<String> = walkdir::WalkDir::new(self.dir())
            .into_iter()
            .filter_entry(|e| e.path() != vault)
            .flatten()
            .filter(|e| {
                let name = e.file_name().to_string_lossy();
                name.contains("vaultbook-staging")
                    || name.contains("vaultbook-old")
                    || name == "serve-pages"
            })
            .map(|e| e.path().display().to_string())
            .collect();
        for e in std::fs::read_dir(self.tmp()).unwrap().flatten() {
            found.push(e.path().display().to_string());
        }
        found
    }

    /// Live processes that belong to this fixture: started with its marker, running in it, or
    /// naming it on their command line. (An orphan is re-parented, so its parent pid tells
    /// nothing after the fact.)
    fn survivors(&self) -> Vec<String> {
        let me = std::process::id().to_string();
        let ours = self.dir().as_os_str().as_encoded_bytes().to_vec();
        let marker = [MARKER.as_bytes(), b"=", &ours].concat();
        let mut found = Vec::new();
        for e in std::fs::read_dir("/proc").unwrap().flatten() {
            let pid = e.file_name().to_string_lossy().to_string();
            if !pid.bytes().all(|b| b.is_ascii_digit()) || pid == me {
                continue;
            }
            let read = |what: &str| std::fs::read(e.path().join(what)).unwrap_or_default();
            let stat = String::from_utf8_lossy(&read("stat")).to_string();
            // A zombie is dead already; its parent just has not reaped it yet.
            if stat
                .rsplit(')')
                .next()
                .is_some_and(|s| s.trim_start().starts_with('Z'))
            {
                continue;
            }
            let cmdline = read("cmdline");
            let environ = read("environ");
            let cwd = std::fs::read_link(e.path().join("cwd")).unwrap_or_default();
            let named = cmdline.windows(ours.len()).any(|w| w == ours.as_slice());
            let marked = environ.split(|&b| b == 0).any(|v| v == marker.as_slice());
            if named || marked || cwd.starts_with(self.dir()) {
                found.push(format!(
                    "{pid}: {}",
                    String::from_utf8_lossy(&cmdline).replace('\0', " ")
                ));
            }
        }
        found
    }

    /// Asserts that `book/` is a complete build: a manifest whose every file exists, the index
    /// and a known page.
    fn assert_book_complete(&self, context: &str) {
        let book = self.root().join("book");
        let manifest = std::fs::read_to_string(book.join(".vaultbook-manifest"))
            .unwrap_or_else(|e| panic!("{context}: no manifest in {}: {e}", book.display()));
        let listed: Vec<&str> = manifest.lines().collect();
        assert!(listed.len() > 10, "{context}: a short manifest: {listed:?}");
        for rel in &listed {
            assert!(
                book.join(rel).is_file(),
                "{context}: {rel} is missing from book/"
            );
        }
        for page in ["index.html", "part1/note-1.html", "print.html"] {
            assert!(
                listed.contains(&page),
                "{context}: {page} is not in the manifest"
            );
        }
        let page = std::fs::read_to_string(book.join("part1/note-1.html")).unwrap();
        assert!(
            page.contains("</html>"),
            "{context}: part1/note-1.html is cut short"
        );
    }
}

/// Starts `cmd` with the stop signals at their defaults, as from a terminal: a test runner started
/// in the background (SIGINT ignored) or under nohup (SIGHUP ignored) would pass that on, and
/// vaultbook keeps an ignored signal ignored.
fn as_from_a_terminal(cmd: &mut Command) {
    // SAFETY: signal() is async-signal-safe, and nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            for s in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                libc::signal(s, libc::SIG_DFL);
            }
            Ok(())
        });
    }
}

/// A child that is killed if the test fails before it exits.
struct Running(Option<Child>);

impl Running {
    /// Starts `cmd` and returns once it handles SIGINT: before `main` installs the handler, a
    /// signal has its default effect (the process ends, having made nothing yet), and on a busy
    /// machine the start of a debug binary can take longer than the shortest delays tried.
    fn spawn(mut cmd: Command) -> Running {
        let run = Running(Some(cmd.spawn().unwrap()));
        let status = format!("/proc/{}/status", run.pid());
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let caught = std::fs::read_to_string(&status).ok().and_then(|s| {
                let mask = s.lines().find_map(|l| l.strip_prefix("SigCgt:"))?;
                u64::from_str_radix(mask.trim(), 16).ok()
            });
            if caught.is_none_or(|m| m & (1 << (libc::SIGINT - 1)) != 0) {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        run
    }

    fn pid(&self) -> libc::pid_t {
        self.0.as_ref().map_or(0, |c| c.id() as libc::pid_t)
    }

    fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill has no memory-safety preconditions; the pid is our unreaped child.
        unsafe {
            libc::kill(self.pid(), signal);
        }
    }

    /// Waits for the exit, at most [`WAIT`].
    fn wait(mut self) -> ExitStatus {
        let mut child = self.0.take().unwrap();
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("vaultbook did not exit within {WAIT:?}");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn name(signal: libc::c_int) -> &'static str {
    match signal {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        libc::SIGHUP => "SIGHUP",
        _ => "signal",
    }
}

/// Asserts that a run stopped by `signal` ended the way the handler ends it: exit code 128 + N.
fn assert_stopped_by(status: ExitStatus, signal: libc::c_int, context: &str, log: &str) {
    assert_eq!(
        status.code(),
        Some(128 + signal),
        "{context}: exit status {status}, not 128 + {}; stderr:\n{log}",
        name(signal)
    );
}

#[test]
fn a_stop_signal_at_any_moment_leaves_nothing_behind_and_the_previous_book_intact() {
    let fx = Fixture::new(100);
    let started = Instant::now();
    let first = Running::spawn(fx.command(&["build", "--no-run", "-q"], "first.log")).wait();
    let full = started.elapsed();
    assert!(
        first.success(),
        "the first build failed:\n{}",
        fx.log("first.log")
    );
    fx.assert_book_complete("after the first build");

    // Early (reading, rendering) and late (writing the manifest, swapping the book in).
    let ms = |f: f64| Duration::from_secs_f64(full.as_secs_f64() * f);
    let moments = [
        (libc::SIGINT, Duration::from_millis(50)),
        (libc::SIGTERM, Duration::from_millis(200)),
        (libc::SIGHUP, Duration::from_millis(500)),
        (libc::SIGINT, ms(0.8)),
        (libc::SIGTERM, ms(0.9)),
        (libc::SIGHUP, ms(0.95)),
        (libc::SIGINT, ms(1.0)),
        (libc::SIGTERM, ms(0.6)),
        (libc::SIGHUP, ms(0.3)),
        // A second signal while the first is being handled: the cleanup still completes.
        (0, ms(0.7)),
    ];
    // Every moment is tried, then every problem is reported, so that a failure shows them all.
    let mut problems = Vec::new();
    let mut stopped = 0;
    for (i, (signal, after)) in moments.into_iter().enumerate() {
        let context = format!("{} after {after:?} (a build takes {full:?})", name(signal));
        let log = format!("run{i}.log");
        // A book that changed, so that every run renders (an unchanged book is not rendered
        // again, and would be done before most moments).
        std::fs::write(
            fx.root().join("vault/Changed.md"),
            format!("# Changed\n\nRun {i}.\n"),
        )
        .unwrap();
        let run = Running::spawn(fx.command(&["build", "--no-run", "-q"], &log));
        std::thread::sleep(after);
        let (signal, context) = if signal == 0 {
            run.signal(libc::SIGINT);
            std::thread::sleep(Duration::from_micros(300));
            run.signal(libc::SIGTERM);
            (libc::SIGINT, format!("SIGINT then SIGTERM after {after:?}"))
        } else {
            run.signal(signal);
            (signal, context)
        };
        let status = run.wait();
        let leftovers = fx.leftovers();
        if !leftovers.is_empty() {
            problems.push(format!("{context}: left behind {leftovers:?}"));
            // The next run starts clean, to tell its leftovers apart.
            for l in leftovers {
                let _ = std::fs::remove_dir_all(&l).or_else(|_| std::fs::remove_file(&l));
            }
        }
        let survivors = fx.survivors();
        if !survivors.is_empty() {
            problems.push(format!("{context}: still running {survivors:?}"));
        }
        if let Err(e) = std::panic::catch_unwind(|| fx.assert_book_complete(&context)) {
            let text = e.downcast_ref::<String>().cloned().unwrap_or_default();
            problems.push(format!("{context}: the book is broken: {text}"));
            break;
        }
        if !status.success() {
            stopped += 1;
            if status.code() != Some(128 + signal) {
                problems.push(format!(
                    "{context}: exit status {status}, not 128 + {}; stderr: {}",
                    name(signal),
                    fx.log(&log).trim()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        stopped >= 3,
        "only {stopped} runs were stopped by their signal: the test proves little"
    );
}

#[test]
fn two_runs_of_one_book_at_once_both_succeed_and_the_book_never_goes_missing() {
    let fx = Fixture::new(5);
    let first = Running::spawn(fx.command(&["build", "--no-run", "-q"], "first.log")).wait();
    assert!(
        first.success(),
        "the first build failed:\n{}",
        fx.log("first.log")
    );
    // Watched for the whole test: a reader of the book (a web server, `check --html`) must
    // find one at every moment, not only after each build.
    let index = fx.root().join("book/index.html");
    let done = AtomicBool::new(false);
    let gone = AtomicUsize::new(0);
    let mut waited = false;
    std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                if std::fs::symlink_metadata(&index).is_err() {
                    gone.fetch_add(1, Ordering::Relaxed);
                }
                // Not a busy loop on a shared machine; still many looks per swap.
                std::thread::sleep(Duration::from_micros(20));
            }
        });
        let mut failures = Vec::new();
        // Ten rounds at least, more until the two runs were once at the same time (on a loaded
        // machine one can finish before the other starts, round after round).
        for round in 0..30 {
            if round >= 10 && waited {
                break;
            }
            let a = Running::spawn(fx.command(&["build", "--no-run", "-q"], "a.log"));
            // Every third round the other run is an emit: it shares the work dir.
            let b = if round % 3 == 2 {
                let to = fx.dir().join("emitted");
                let to = to.to_str().unwrap();
                Running::spawn(fx.command(&["emit", "--no-run", "-q", "--to", to], "b.log"))
            } else {
                Running::spawn(fx.command(&["build", "--no-run", "-q"], "b.log"))
            };
            let (sa, sb) = (a.wait(), b.wait());
            let (la, lb) = (fx.log("a.log"), fx.log("b.log"));
            for (status, log) in [(sa, &la), (sb, &lb)] {
                if !status.success() {
                    failures.push(format!("round {round}: {status}: {}", log.trim()));
                }
            }
            let leftovers = fx.leftovers();
            if !leftovers.is_empty() {
                failures.push(format!("round {round}: left behind {leftovers:?}"));
            }
            waited |= [la, lb]
                .iter()
                .any(|l| l.contains("waiting for another vaultbook run on this book (pid "));
        }
        done.store(true, Ordering::Relaxed);
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    });
    fx.assert_book_complete("after the rounds");
    let gone = gone.into_inner();
    assert_eq!(
        gone, 0,
        "book/index.html was missing {gone} times while builds replaced the book"
    );
    assert!(
        waited,
        "in 30 rounds, no build ever waited for the other: were they ever at once?"
    );
}

/// `vaultbook serve --port 0 --no-run`, once it serves the built book; returns the child and
/// its port.
fn serve(fx: &Fixture, log: &str) -> (Running, u16) {
    let mut cmd = fx.command(&["serve", "--port", "0", "--no-run"], log);
    cmd.stdout(Stdio::piped());
    let mut run = Running::spawn(cmd);
    let stdout = run.0.as_mut().and_then(|c| c.stdout.take()).unwrap();
    let rx = lines_of(stdout);
    let line = rx
        .recv_timeout(WAIT)
        .unwrap_or_else(|_| panic!("serve printed no URL; stderr:\n{}", fx.log(log)));
    let port: u16 = line
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    let deadline = Instant::now() + WAIT;
    while status_of(port, "/index.html") != Some(200) {
        assert!(
            Instant::now() < deadline,
            "serve never served the book; stderr:\n{}",
            fx.log(log)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    (run, port)
}

/// The HTTP status of GET `path`, if the server answers.
fn status_of(port: u16, path: &str) -> Option<u16> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

fn assert_serve_cleaned_up(
    fx: &Fixture,
    status: ExitStatus,
    signal: libc::c_int,
    context: &str,
    log: &str,
) {
    let leftovers = fx.leftovers();
    assert!(
        leftovers.is_empty(),
        "{context}: left behind {leftovers:#?}\nstderr:\n{}",
        fx.log(log)
    );
    let survivors = fx.survivors();
    assert!(
        survivors.is_empty(),
        "{context}: still running {survivors:#?}"
    );
    assert_stopped_by(status, signal, context, &fx.log(log));
}

#[test]
fn serve_removes_its_staging_dir_on_every_stop_signal() {
    let fx = Fixture::new(20);
    for signal in [libc::SIGHUP, libc::SIGTERM, libc::SIGINT] {
        let log = format!("serve-{}.log", name(signal));
        let (run, _) = serve(&fx, &log);
        run.signal(signal);
        let status = run.wait();
        assert_serve_cleaned_up(
            &fx,
            status,
            signal,
            &format!("serve, {}", name(signal)),
            &log,
        );
    }
}

#[test]
fn serve_stopped_during_a_rebuild_leaves_nothing_behind() {
    let fx = Fixture::new(60);
    for (signal, after) in [
        (libc::SIGTERM, Duration::from_millis(150)),
        (libc::SIGHUP, Duration::from_millis(400)),
    ] {
        let log = format!("rebuild-{}.log", name(signal));
        let (run, _) = serve(&fx, &log);
        // A book.toml change rebuilds the whole book.
        let toml = fx.root().join("book.toml");
        let text = std::fs::read_to_string(&toml).unwrap();
        std::fs::write(&toml, format!("{text}\n# {signal}\n")).unwrap();
        std::thread::sleep(after);
        run.signal(signal);
        let status = run.wait();
        let context = format!("serve, {} {after:?} into a rebuild", name(signal));
        assert_serve_cleaned_up(&fx, status, signal, &context, &log);
    }
}

/// Set in the child process of [`registered_groups_and_dirs_go_with_the_process`].
const HELPER: &str = "VAULTBOOK_INTERRUPT_HELPER";

/// Does nothing in a normal run. In the child process of the test below, it registers a
/// directory and two process groups (one each way), then waits to be stopped.
#[test]
fn helper_registers_groups_and_a_dir_then_waits() {
    let Some(dir) = std::env::var_os(HELPER).map(PathBuf::from) else {
        return;
    };
    vaultbook::interrupt::install();
    let scratch = vaultbook::interrupt::create_dir(&dir.join("scratch")).unwrap();
    std::fs::write(scratch.path().join("file"), "x").unwrap();
    // A group with a grandchild in it, as a compiler driver or a snippet's own children.
    let mut sh = Command::new("sh");
    sh.args(["-c", "sleep 60 & sleep 60"]);
    let (_sh, _sh_group) = vaultbook::interrupt::spawn_group(&mut sh).unwrap();
    let mut sleep = Command::new("sleep");
    sleep.arg("60").process_group(0);
    let mut sleeper = sleep.spawn().unwrap();
    let _sleep_group = vaultbook::interrupt::kill_on_exit(sleeper.id() as i32);
    println!("ready");
    // Until stopped (or a minute from now, should nobody stop it).
    let _ = sleeper.wait();
}

#[test]
fn registered_groups_and_dirs_go_with_the_process() {
    let fx = Fixture::new(0);
    for signal in [libc::SIGTERM, libc::SIGINT] {
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args([
            "--exact",
            &harness::test_name(
                module_path!(),
                "helper_registers_groups_and_a_dir_then_waits",
            ),
            "--nocapture",
            "--test-threads=1",
        ])
        .env(HELPER, fx.dir())
        .env(MARKER, fx.dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
        as_from_a_terminal(&mut cmd);
        let mut run = Running::spawn(cmd);
        let stdout = run.0.as_mut().and_then(|c| c.stdout.take()).unwrap();
        let rx = lines_of(stdout);
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                // After libtest's "test NAME ... " on the same line.
                Ok(line) if line.ends_with("ready") => break,
                Ok(_) => {}
                Err(_) => panic!("the helper never got ready"),
            }
        }
        assert!(
            !fx.survivors().is_empty(),
            "the helper's children are not found"
        );
        run.signal(signal);
        let status = run.wait();
        assert_eq!(status.code(), Some(128 + signal), "{}", name(signal));
        assert!(
            !fx.dir().join("scratch").exists(),
            "{}: the dir is left",
            name(signal)
        );
        // SIGKILL is sent before the exit; the kernel may take a moment to finish them off.
        let deadline = Instant::now() + Duration::from_secs(5);
        while !fx.survivors().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let survivors = fx.survivors();
        assert!(
            survivors.is_empty(),
            "{}: still running {survivors:#?}",
            name(signal)
        );
    }
}

/// The snippet side of the guarantee: a build stopped while a snippet runs leaves neither the
/// run nor its scratch dirs. Waits for src/snippets to register its run areas and jails with
/// [`vaultbook::interrupt`] (today a run's `vaultbook-snippets-*` area stays in TMPDIR).
#[test]
fn a_build_stopped_during_a_snippet_run_leaves_no_run_and_no_scratch_dir() {
    // It counts every jailed snippet there is: no other test may run one meanwhile.
    let _alone = harness::snippets_alone();
    let fx = Fixture::new(3);
    std::fs::write(
        fx.root().join("book.toml"),
        "[book]\ntitle = \"Signals\"\n\n[vaultbook.snippets]\ntimeout = 60\n",
    )
    .unwrap();
    let sleeper = "fn main() { println!(\"sleeping\"); std::thread::sleep(std::time::Duration::from_secs(300)); }";
    std::fs::write(
        fx.root().join("vault/README.md"),
        format!("# Home\n\n```rust\n{sleeper}\n```\n"),
    )
    .unwrap();
    // A complete book to keep: the stopped builds must leave it as it was.
    let first = Running::spawn(fx.command(&["build", "--no-run", "-q"], "first.log")).wait();
    assert!(first.success(), "{}", fx.log("first.log"));
    for signal in [libc::SIGTERM, libc::SIGINT] {
        let log = format!("snippet-{}.log", name(signal));
        let run = Running::spawn(fx.command(&["build", "-q", "--rerun-snippets"], &log));
        let deadline = Instant::now() + Duration::from_secs(120);
        while jailed_snippets() == 0 {
            assert!(
                Instant::now() < deadline,
                "the snippet never started; stderr:\n{}",
                fx.log(&log)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        run.signal(signal);
        let status = run.wait();
        let deadline = Instant::now() + Duration::from_secs(5);
        while jailed_snippets() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(
            jailed_snippets(),
            0,
            "{}: the snippet outlived vaultbook",
            name(signal)
        );
        // The uid reservations are meant to stay: they are locks, not scratch.
        let leftovers: Vec<String> = fx
            .leftovers()
            .into_iter()
            .filter(|l| !l.ends_with("vaultbook-run-uids"))
            .collect();
        assert!(
            leftovers.is_empty(),
            "{}: left behind {leftovers:#?}",
            name(signal)
        );
        let survivors = fx.survivors();
        assert!(
            survivors.is_empty(),
            "{}: still running {survivors:#?}",
            name(signal)
        );
        fx.assert_book_complete(name(signal));
        assert_stopped_by(status, signal, name(signal), &fx.log(&log));
    }
}
