//! The snippet sandbox, tested as a hostile vault author would attack it: every test builds a
//! book whose snippets try to read, write, connect, linger, hog, hang or forge, with the real
//! `vaultbook` binary, and asserts on the built pages, the file system and `/proc`.
//!
//! The tests run as whoever runs `cargo test` (root in CI); `unprivileged_runs_are_jailed_too`
//! also runs the jail as an ordinary uid.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use vaultbook::internals::Jail;
use vaultbook::internals::snippets::{Limits, RunArea};

use crate::harness::{self, BookTest, jailed_snippets};

/// A marker that lives only outside the vault: in a file beside the book, and in the
/// environment vaultbook is started with.
const SECRET: &str = "SANDBOX-SECRET-51c2e8-never-in-a-page";

struct Book {
    book: BookTest,
}

impl Book {
    /// A book with `[vaultbook.snippets]` settings and one note per `(name, markdown)`.
    fn new(snippets: &str, notes: &[(&str, &str)]) -> Book {
        let book = BookTest::new()
            .file(
                "book.toml",
                format!("[book]\ntitle = \"Sandbox\"\n\n[vaultbook.snippets]\n{snippets}\n"),
            )
            .file("secret.txt", SECRET)
            .vault_files(
                notes
                    .iter()
                    .map(|(name, text)| (format!("{name}.md"), text)),
            );
        Book { book }
    }

    fn root(&self) -> &Path {
        self.book.root()
    }

    fn secret_path(&self) -> PathBuf {
        self.root().join("secret.txt")
    }

    /// `vaultbook build` with `args`, the secret in the environment; (exit code, stderr).
    fn build(&self, args: &[&str]) -> (i32, String) {
        let out = self.command(args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = harness::vaultbook();
        cmd.arg("build")
            .arg(self.root())
            .args(args)
            .env("VAULTBOOK_TEST_TOKEN", SECRET)
            .stdin(Stdio::null());
        cmd
    }

    /// The text of a rendered page, tags and entities as they are.
    fn page(&self, name: &str) -> String {
        let file = if name == "README" { "index" } else { name };
        self.book.page(&format!("{}.html", file.to_lowercase()))
    }

    /// What the snippets of a page printed: the text of its snippet output blocks.
    fn outputs(&self, name: &str) -> String {
        let page = self.page(name);
        page.split("<pre class=\"snippet-text")
            .skip(1)
            .filter_map(|s| s.split_once('>').map(|(_, rest)| rest))
            .filter_map(|s| s.split("</pre>").next())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The files vaultbook wrote (the book, the emitted tree, the snippet project and its
    /// binaries, the cache) that hold `needle`.
    fn anywhere_in_output(&self, needle: &str) -> Vec<PathBuf> {
        self.book.files_holding(&["book", "target"], needle)
    }
}

/// A note holding these ```rust blocks (info string, code).
fn note(blocks: &[(&str, &str)]) -> String {
    let mut s = String::from("# Note\n\n");
    for (info, code) in blocks {
        s.push_str(&format!("```{info}\n{code}\n```\n\n"));
    }
    s
}

/// Processes whose command line is exactly `argv`.
fn processes_with_cmdline(argv: &[&str]) -> usize {
    harness::processes_with_cmdline(argv).len()
}

#[test]
fn compile_time_reads_see_nothing_of_the_host() {
    let _snippets = harness::snippets_running();
    let book = Book::new("", &[]);
    let secret = book.secret_path();
    std::fs::set_permissions(&secret, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let s = secret.display();
    let text = note(&[
        (
            "rust",
            &format!("fn main() {{ println!(\"{{}}\", include_str!(\"{s}\")); }}"),
        ),
        (
            "rust",
            "fn main() { println!(\"{:?}\", option_env!(\"VAULTBOOK_TEST_TOKEN\")); }",
        ),
        (
            "rust",
            "fn main() { println!(\"{}\", String::from_utf8_lossy(include_bytes!(\"/proc/self/environ\"))); }",
        ),
        (
            "rust",
            &format!("#[path = \"{s}\"]\nmod x;\nfn main() {{}}"),
        ),
        (
            "rust",
            "fn main() { println!(\"{}\", include_str!(\"/etc/shadow\").len()); }",
        ),
        (
            "rust",
            "fn main() { println!(\"{:?}\", std::fs::read_to_string(\"/proc/1/environ\").map(|s| s.len())); }",
        ),
        ("rust", "fn main() { println!(\"still here\"); }"),
    ]);
    std::fs::write(book.root().join("vault/README.md"), text).unwrap();
    let (code, stderr) = book.build(&[]);
    // The snippet's failure is an error (exit 1); the book is still written.
    assert_eq!(code, 1, "{stderr}");
    let page = book.page("README");
    assert!(
        page.contains("still here"),
        "the other snippets run: {page}"
    );
    assert!(
        page.contains("None"),
        "option_env! sees no host variable: {page}"
    );
    assert!(!stderr.contains(SECRET), "{stderr}");
    assert_eq!(
        book.anywhere_in_output(SECRET),
        Vec::<PathBuf>::new(),
        "the secret reached the output"
    );
}

#[test]
fn repository_cargo_config_and_toolchain_files_are_ignored() {
    let _snippets = harness::snippets_running();
    let book = Book::new("", &[]);
    let marker = book.root().join("wrapper-ran");
    let wrapper = book.root().join("evil-wrapper.sh");
    std::fs::write(
        &wrapper,
        format!("#!/bin/sh\ntouch {}\nexit 1\n", marker.display()),
    )
    .unwrap();
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    std::fs::create_dir_all(book.root().join(".cargo")).unwrap();
    let config = format!(
        "[build]\nrustc-wrapper = \"{0}\"\nrustc = \"{0}\"\n",
        wrapper.display()
    );
    std::fs::write(book.root().join(".cargo/config.toml"), &config).unwrap();
    std::fs::create_dir_all(book.root().join("target/.cargo")).unwrap();
    std::fs::write(book.root().join("target/.cargo/config.toml"), &config).unwrap();
    std::fs::write(
        book.root().join("rust-toolchain.toml"),
        "[toolchain]\nchannel = \"nightly-1999-01-01\"\n",
    )
    .unwrap();
    // A snippet that tries to plant the same for the next build, above the book.
    let plant = book.root().join(".cargo/config.toml");
    let text = note(&[
        (
            "rust",
            "fn main() { println!(\"built by the real rustc\"); }",
        ),
        (
            "rust",
            &format!(
                "fn main() {{ println!(\"plant {{:?}}\", std::fs::write({plant:?}, \"x\").map_err(|e| e.kind())); }}"
            ),
        ),
    ]);
    std::fs::write(book.root().join("vault/README.md"), text).unwrap();
    let (code, stderr) = book.build(&[]);
    assert_eq!(code, 0, "{stderr}");
    let page = book.page("README");
    assert!(page.contains("built by the real rustc"), "{page}");
    assert!(page.contains("plant Err("), "{page}");
    assert!(!marker.exists(), "the repository's rustc-wrapper ran");
    assert_eq!(std::fs::read_to_string(&plant).unwrap(), config);
}

#[test]
fn runs_have_no_network() {
    let _snippets = harness::snippets_running();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let book = Book::new(
        "",
        &[(
            "README",
            &note(&[(
                "rust",
                &format!(
                    "use std::io::Write;\nfn main() {{\n    let r = std::net::TcpStream::connect(\"127.0.0.1:{port}\").and_then(|mut s| s.write_all(b\"{SECRET}\"));\n    println!(\"connect {{:?}}\", r.map_err(|e| e.kind()));\n    println!(\"dns {{:?}}\", std::net::ToSocketAddrs::to_socket_addrs(\"example.com:80\").is_ok());\n}}"
                ),
            )]),
        )],
    );
    let (code, stderr) = book.build(&[]);
    assert_eq!(code, 0, "{stderr}");
    let page = book.page("README");
    assert!(page.contains("connect Err(ConnectionRefused)"), "{page}");
    assert!(page.contains("dns false"), "{page}");
    assert!(
        listener.accept().is_err(),
        "the snippet reached the host's loopback"
    );
}

#[test]
fn nothing_is_left_in_tmp_shm_or_system_v_ipc() {
    let _snippets = harness::snippets_running();
    let tag = format!("vb-leftover-{}", std::process::id());
    let key = 0x5600_0000 + (std::process::id() & 0xffff) as i32;
    let code = format!(
        "unsafe extern \"C\" {{ fn shmget(key: i32, size: usize, flags: i32) -> i32; }}\n\
         fn main() {{\n\
             for dir in [\"/tmp\", \"/var/tmp\", \"/dev/shm\"] {{\n\
                 println!(\"{{dir}} {{:?}}\", std::fs::write(format!(\"{{dir}}/{tag}\"), \"x\").map_err(|e| e.kind()));\n\
             }}\n\
             let id = unsafe {{ shmget({key}, 4096, 0o1000 | 0o600) }};\n\
             println!(\"shm {{}}\", id >= 0);\n\
         }}"
    );
    let book = Book::new("", &[("README", &note(&[("rust", &code)]))]);
    let (status, stderr) = book.build(&[]);
    assert_eq!(status, 0, "{stderr}");
    let page = book.page("README");
    assert!(
        page.contains("/tmp Ok(())") && page.contains("shm true"),
        "{page}"
    );
    for dir in ["/tmp", "/var/tmp", "/dev/shm"] {
        assert!(!Path::new(dir).join(&tag).exists(), "{dir}/{tag} survived");
    }
    let shm = std::fs::read_to_string("/proc/sysvipc/shm").unwrap_or_default();
    assert!(
        !shm.lines()
            .any(|l| l.split_whitespace().next() == Some(&key.to_string())),
        "the System V segment survived: {shm}"
    );
}

#[test]
fn one_memory_limit_holds_for_the_whole_run() {
    let _snippets = harness::snippets_running();
    // Four processes of 200 MiB each under a 512 MiB limit: each is under it, together they
    // are not.
    let code = "use std::process::Command;\n\
        fn main() {\n\
            if std::env::args().nth(1).as_deref() == Some(\"child\") {\n\
                let v = vec![1u8; 200 << 20];\n\
                std::hint::black_box(&v);\n\
                std::thread::sleep(std::time::Duration::from_secs(5));\n\
                return;\n\
            }\n\
            let exe = std::env::current_exe().unwrap();\n\
            let kids: Vec<_> = (0..4).map(|_| Command::new(&exe).arg(\"child\").spawn().unwrap()).collect();\n\
            for mut k in kids { let _ = k.wait(); }\n\
            println!(\"all four held their memory\");\n\
        }";
    let book = Book::new(
        "memory = \"512MiB\"\ntimeout = 20",
        &[("README", &note(&[("rust,standalone_crate", code)]))],
    );
    let (status, stderr) = book.build(&[]);
    // The snippet's failure is an error (exit 1); the book is still written.
    assert_eq!(status, 1, "{stderr}");
    let page = book.page("README");
    assert!(page.contains("killed: memory limit (512 MiB)"), "{page}");
    assert!(
        !book
            .outputs("README")
            .contains("all four held their memory"),
        "{page}"
    );
}

#[test]
fn every_process_a_run_starts_ends_with_it() {
    let _snippets = harness::snippets_running();
    let code = "use std::process::{Command, Stdio};\n\
        fn main() {\n\
            let c = Command::new(\"/usr/bin/setsid\").args([\"/bin/sleep\", \"987.5\"]).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn();\n\
            println!(\"spawned {}\", c.is_ok());\n\
        }";
    let book = Book::new("", &[("README", &note(&[("rust", code)]))]);
    let (status, stderr) = book.build(&[]);
    assert_eq!(status, 0, "{stderr}");
    assert!(book.page("README").contains("spawned true"));
    assert_eq!(processes_with_cmdline(&["/bin/sleep", "987.5"]), 0);
}

#[test]
fn a_compile_time_hang_is_a_timeout_and_the_rest_of_the_book_builds() {
    let _snippets = harness::snippets_running();
    let hang = "#![allow(long_running_const_eval)]\n\
        const fn forever() -> u64 { let mut i = 0u64; loop { i = i.wrapping_add(1); if i == 0 { return i; } } }\n\
        const X: u64 = forever();\n\
        fn main() { println!(\"{X}\"); }";
    let book = Book::new(
        "compile-timeout = 4",
        &[
            ("README", &note(&[("rust", hang)])),
            (
                "Other",
                &note(&[("rust", "fn main() { println!(\"unaffected\"); }")]),
            ),
        ],
    );
    let started = Instant::now();
    let (status, stderr) = book.build(&[]);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    // The snippet's failure is an error (exit 1); the book is still written.
    assert_eq!(status, 1, "{stderr}");
    let page = book.page("README");
    assert!(page.contains("compilation timed out after 4 s"), "{page}");
    assert!(book.page("Other").contains("unaffected"));
    assert!(stderr.contains("snippet-timeout"), "{stderr}");
}

#[test]
fn link_tricks_cannot_forge_another_snippets_output() {
    let _snippets = harness::snippets_running();
    let forge = "#[used]\n#[unsafe(link_section = \".init_array\")]\n\
        static FORGE: extern \"C\" fn() = forge;\n\
        extern \"C\" fn forge() { println!(\"2 + 2 = 5\"); std::process::exit(0); }\n\
        fn main() {}";
    let honest = "fn main() { println!(\"2 + 2 = {}\", 2 + 2); }";
    let book = Book::new(
        "",
        &[
            ("Attacker", &note(&[("rust", forge)])),
            ("README", &note(&[("rust", honest)])),
        ],
    );
    let (status, stderr) = book.build(&[]);
    assert_eq!(status, 0, "{stderr}");
    let printed = book.outputs("README");
    assert_eq!(printed, "2 + 2 = 4", "{}", book.page("README"));
    // Without the attacker, the honest snippet's result is its own.
    std::fs::remove_file(book.root().join("vault/Attacker.md")).unwrap();
    let (status, _) = book.build(&[]);
    assert_eq!(status, 0);
    assert_eq!(book.outputs("README"), "2 + 2 = 4");
}

#[test]
fn no_run_starts_no_compiler_and_no_snippet() {
    let marker = std::env::temp_dir().join(format!("vb-no-run-{}", std::process::id()));
    let code = format!("fn main() {{ std::fs::write({marker:?}, \"ran\").unwrap(); }}");
    let book = Book::new(
        "[vaultbook.snippets.dependencies]\nitoa = \"1\"",
        &[("README", &note(&[("rust", &code)]))],
    );
    let (status, stderr) = book.build(&["--no-run"]);
    assert_eq!(status, 0, "{stderr}");
    assert!(!marker.exists());
    assert!(
        !book
            .root()
            .join("target/vaultbook/snippets/project")
            .exists(),
        "no snippet project is even written"
    );
}

#[test]
fn without_a_sandbox_nothing_runs_unless_trusted() {
    let _snippets = harness::snippets_running();
    let marker = book_marker();
    let code = format!(
        "fn main() {{ std::fs::write({marker:?}, \"ran\").unwrap(); println!(\"ran unisolated\"); }}"
    );
    let book = Book::new("", &[("README", &note(&[("rust", &code)]))]);
    let mut cmd = book.command(&[]);
    cmd.env("VAULTBOOK_BWRAP", "/nonexistent/bwrap");
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("snippet-sandbox").count(),
        1,
        "one line: {stderr}"
    );
    assert!(stderr.contains("--trust-snippets"), "{stderr}");
    assert!(!marker.exists(), "the snippet ran without a sandbox");
    assert!(book.page("README").contains("not run"));
    let check = harness::vaultbook()
        .arg("check")
        .arg(book.root())
        .env("VAULTBOOK_BWRAP", "/nonexistent/bwrap")
        .output()
        .unwrap();
    assert_eq!(
        check.status.code(),
        Some(1),
        "check fails CI without a sandbox"
    );
    assert!(!marker.exists());

    let mut cmd = book.command(&["--trust-snippets"]);
    cmd.env("VAULTBOOK_BWRAP", "/nonexistent/bwrap");
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(book.outputs("README").contains("ran unisolated"));
    let _ = std::fs::remove_file(&marker);
}

fn book_marker() -> PathBuf {
    std::env::temp_dir().join(format!("vb-untrusted-{}", std::process::id()))
}

#[test]
fn sigterm_mid_run_and_mid_compile_leaves_no_process() {
    // It counts every jailed snippet there is: no other test may run one meanwhile.
    let _alone = harness::snippets_alone();
    let sleeper = "fn main() { println!(\"sleeping\"); std::thread::sleep(std::time::Duration::from_secs(654)); }";
    let book = Book::new("timeout = 60", &[("README", &note(&[("rust", sleeper)]))]);
    let mut child = book.command(&[]).stderr(Stdio::piped()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while jailed_snippets() == 0 {
        assert!(Instant::now() < deadline, "the snippet never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let _ = child.wait();
    let mut stderr = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
    let deadline = Instant::now() + Duration::from_secs(3);
    while jailed_snippets() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(jailed_snippets(), 0, "the snippet outlived vaultbook");

    // Mid-compile: a const evaluation that never ends keeps rustc busy until the signal.
    let hang = "#![allow(long_running_const_eval)]\n\
        const fn forever() -> u64 { let mut i = 0u64; loop { i = i.wrapping_add(1); if i == 0 { return i; } } }\n\
        const X: u64 = forever();\n\
        fn main() { println!(\"{X}\"); }";
    std::fs::write(book.root().join("vault/README.md"), note(&[("rust", hang)])).unwrap();
    let project = book.root().join("target/vaultbook/snippets/project");
    let compilers = || {
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter(|e| {
                std::fs::read(e.path().join("cmdline")).is_ok_and(|c| {
                    String::from_utf8_lossy(&c).contains(&*project.to_string_lossy())
                })
            })
            .count()
    };
    let mut child = book.command(&[]).stderr(Stdio::null()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while compilers() == 0 {
        assert!(Instant::now() < deadline, "cargo never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let _ = child.wait();
    let deadline = Instant::now() + Duration::from_secs(3);
    while compilers() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(compilers(), 0, "cargo or rustc outlived vaultbook");
}

/// Runs the jail as an ordinary uid: the test binary runs itself again as `nobody`, where
/// `unprivileged_child` runs a prebuilt hostile binary through [`RunArea`] (no cgroup there:
/// the memory watchdog and the PID namespace do the work).
#[test]
fn unprivileged_runs_are_jailed_too() {
    let _snippets = harness::snippets_running();
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        // Already unprivileged: the other tests of this module are the unprivileged run.
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let src = dir.path().join("hostile.rs");
    std::fs::write(
        &src,
        format!(
            "use std::process::{{Command, Stdio}};\n\
             fn main() {{\n\
                 if std::env::args().nth(1).as_deref() == Some(\"hog\") {{ let v = vec![1u8; 300 << 20]; std::hint::black_box(&v); std::thread::sleep(std::time::Duration::from_secs(5)); return; }}\n\
                 println!(\"net {{:?}}\", std::net::TcpStream::connect(\"127.0.0.1:{port}\").map(|_| ()).map_err(|e| e.kind()));\n\
                 println!(\"home {{:?}}\", std::fs::read_dir(\"/root\").map(|_| ()).map_err(|e| e.kind()));\n\
                 let c = Command::new(\"/usr/bin/setsid\").args([\"/bin/sleep\", \"987.75\"]).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn();\n\
                 println!(\"spawned {{}}\", c.is_ok());\n\
                 if std::env::var_os(\"HOG\").is_some() {{\n\
                     let exe = std::env::current_exe().unwrap();\n\
                     let kids: Vec<_> = (0..4).map(|_| Command::new(&exe).arg(\"hog\").spawn().unwrap()).collect();\n\
                     for mut k in kids {{ let _ = k.wait(); }}\n\
                     println!(\"all four held their memory\");\n\
                 }}\n\
             }}\n"
        ),
    )
    .unwrap();
    let exe = dir.path().join("hostile");
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let status = Command::new(rustc)
        .arg("-o")
        .arg(&exe)
        .arg(&src)
        .status()
        .unwrap();
    assert!(status.success());
    // A copy of this test binary that nobody can reach, wherever the checkout lives.
    let me = dir.path().join("sandbox-tests");
    std::fs::copy(std::env::current_exe().unwrap(), &me).unwrap();
    std::os::unix::fs::chown(dir.path(), Some(65534), Some(65534)).unwrap();
    let out = Command::new(&me)
        .args([
            "--ignored",
            "--exact",
            &harness::test_name(module_path!(), "unprivileged_child"),
            "--nocapture",
        ])
        .env("VB_HOSTILE_EXE", &exe)
        .env("TMPDIR", dir.path())
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("net Err(ConnectionRefused)"), "{text}");
    assert!(text.contains("home Err(NotFound)"), "{text}");
    assert!(text.contains("spawned true"), "{text}");
    assert!(text.contains("hog out_of_memory=true"), "{text}");
    assert!(!text.contains("all four held their memory"), "{text}");
    assert_eq!(processes_with_cmdline(&["/bin/sleep", "987.75"]), 0);
}

#[test]
#[ignore = "run by unprivileged_runs_are_jailed_too as uid 65534"]
fn unprivileged_child() {
    let Some(exe) = std::env::var_os("VB_HOSTILE_EXE") else {
        return;
    };
    let jail = Jail::detect(false).expect("bubblewrap works for an ordinary user");
    let area = RunArea::new("nobody", 64, jail).unwrap();
    let installed = area.install(Path::new(&exe), "hostile").unwrap();
    let limits = Limits {
        timeout: Duration::from_secs(20),
        max_output: 64 << 10,
        memory: 512 << 20,
        cpu: 20,
        file_size: 1 << 20,
        processes: 64,
        backtrace: false,
    };
    let run = area.run(&installed, &[], &limits).unwrap();
    println!("{}", run.output);
    let run = area.run(&installed, &[("HOG", "1")], &limits).unwrap();
    println!("{}", run.output);
    println!("hog out_of_memory={}", run.out_of_memory);
}

#[test]
fn a_compile_time_memory_bomb_is_stopped_and_the_rest_builds() {
    let _snippets = harness::snippets_running();
    let bomb = "static Z: &[u8] = include_bytes!(\"/dev/zero\");\nfn main() { println!(\"{}\", Z.len()); }";
    let book = Book::new(
        "compile-memory = \"768MiB\"",
        &[
            ("README", &note(&[("rust", bomb)])),
            (
                "Other",
                &note(&[("rust", "fn main() { println!(\"unaffected\"); }")]),
            ),
        ],
    );
    let (status, stderr) = book.build(&[]);
    // The snippet's failure is an error (exit 1); the book is still written.
    assert_eq!(status, 1, "{stderr}");
    assert!(
        book.outputs("README").contains("out of memory"),
        "{}",
        book.page("README")
    );
    assert_eq!(book.outputs("Other"), "unaffected");
}

#[test]
fn results_and_binaries_planted_in_the_work_dir_are_not_trusted() {
    let _snippets = harness::snippets_running();
    let honest = "fn main() { println!(\"2 + 2 = {}\", 2 + 2); }";
    let book = Book::new("", &[("README", &note(&[("rust", honest)]))]);
    assert_eq!(book.build(&[]).0, 0);
    assert_eq!(book.outputs("README"), "2 + 2 = 4");

    // A pull request edits the cached result (or commits one): it no longer verifies.
    let cache = book.root().join("target/vaultbook/snippets/cache");
    let entries: Vec<PathBuf> = walkdir::WalkDir::new(&cache)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let text = std::fs::read_to_string(&entries[0]).unwrap();
    assert!(text.contains("2 + 2 = 4"), "{text}");
    std::fs::write(&entries[0], text.replace("2 + 2 = 4", "2 + 2 = 5")).unwrap();
    assert_eq!(book.build(&[]).0, 0);
    assert_eq!(
        book.outputs("README"),
        "2 + 2 = 4",
        "a forged cache entry was shown"
    );

    // A pull request commits the snippet project with a "prebuilt" binary: it is rebuilt.
    let project = book.root().join("target/vaultbook/snippets/project");
    let binaries: Vec<PathBuf> = walkdir::WalkDir::new(project.join("target/debug"))
        .max_depth(1)
        .into_iter()
        .flatten()
        .filter(|e| {
            e.file_type().is_file() && e.file_name().to_string_lossy().starts_with("merged")
        })
        .map(|e| e.into_path())
        .collect();
    assert!(!binaries.is_empty());
    for b in &binaries {
        std::fs::write(b, "#!/bin/sh\necho '2 + 2 = 5'\n").unwrap();
    }
    let _ = std::fs::remove_file(project.join(".vaultbook-seal"));
    std::fs::remove_dir_all(&cache).unwrap();
    assert_eq!(book.build(&[]).0, 0);
    assert_eq!(
        book.outputs("README"),
        "2 + 2 = 4",
        "a planted binary was run"
    );
}

#[test]
fn book_toml_cannot_send_the_vault_or_the_output_outside_the_book() {
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("planted");
    for (table, key, value) in [
        ("build", "build-dir", target.display().to_string()),
        ("build", "build-dir", "../planted".to_string()),
        ("vaultbook", "work-dir", target.display().to_string()),
        ("vaultbook", "vault", "/etc".to_string()),
    ] {
        let book = Book::new("", &[("README", "# Hi\n")]);
        let text = std::fs::read_to_string(book.root().join("book.toml")).unwrap();
        std::fs::write(
            book.root().join("book.toml"),
            format!("[{table}]\n{key} = {value:?}\n{}", text),
        )
        .unwrap();
        let (status, stderr) = book.build(&[]);
        assert_eq!(status, 2, "{key} = {value}: {stderr}");
        assert!(stderr.contains("outside the book root"), "{stderr}");
        assert!(!target.exists());
        assert!(!book.root().parent().unwrap().join("planted").exists());
    }
    // The command line is trusted: it may build anywhere.
    let book = Book::new("", &[("README", "# Hi\n")]);
    let dest = target.display().to_string();
    let (status, stderr) = book.build(&["--dest-dir", &dest]);
    assert_eq!(status, 0, "{stderr}");
    assert!(target.join("index.html").is_file());
}

#[test]
fn the_users_rustc_wrapper_keeps_working_in_the_jail() {
    let _snippets = harness::snippets_running();
    // The user's environment is trusted: a RUSTC_WRAPPER (sccache, say) is used inside the jail.
    let tools = tempfile::tempdir().unwrap();
    let wrapper = tools.path().join("my-wrapper");
    std::fs::write(
        &wrapper,
        "#!/bin/sh\ntouch \"$CARGO_TARGET_DIR/wrapper-was-here\"\nexec \"$@\"\n",
    )
    .unwrap();
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let book = Book::new(
        "",
        &[(
            "README",
            &note(&[("rust", "fn main() { println!(\"wrapped\"); }")]),
        )],
    );
    let out = book
        .command(&[])
        .env("RUSTC_WRAPPER", &wrapper)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(book.outputs("README"), "wrapped");
    assert!(
        book.root()
            .join("target/vaultbook/snippets/project/target/wrapper-was-here")
            .exists(),
        "the wrapper was not used"
    );
}
