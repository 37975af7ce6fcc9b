//! What the test modules share: a book in a temporary folder ([`BookTest`]), the `vaultbook`
//! binary ([`vaultbook`], [`Run`]), the library pipeline, and assertions on diagnostics, emitted
//! pages and rendered HTML.
//!
//! Every call of the pipeline API (`Driver`: analyze, emit, build, the incremental rebuild; the
//! serve builder) and every look at a diagnostic's code goes through a function of this file, so
//! that a change of that API is a change here.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use vaultbook::Config;
use vaultbook::{Diagnostic, Severity, Span};

// The types of the pipeline API, named here alone.
pub use vaultbook::{Analysis, Scope};
pub use vaultbook::{Driver, Options, Report};

/// The `vaultbook` binary cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_vaultbook");

// ---------------------------------------------------------------------------------------------
// The library pipeline: the one place the tests call it.

/// Options that run no snippet (what almost every test builds with).
pub fn no_run() -> Options {
    Options {
        run_snippets: false,
        ..Options::default()
    }
}

/// `book.toml` of the book at `root`, loaded.
pub fn load(root: &Path) -> Config {
    Config::load(root).unwrap_or_else(|e| panic!("{}: {e:#}", root.display()))
}

/// Everything up to the diagnostics (what `check` does).
pub fn analyze(config: &Config, options: &Options) -> anyhow::Result<Analysis> {
    Driver::new(config.clone(), *options).analyze()
}

/// What `vaultbook check` reports (with `--html`: the rendered book's links too).
pub fn check(config: &Config, options: &Options, html: bool) -> anyhow::Result<Report> {
    Driver::new(config.clone(), *options).check(html)
}

/// The mdBook source tree, written to `out`.
pub fn emit(config: &Config, options: &Options, out: &Path) -> anyhow::Result<Report> {
    Driver::new(config.clone(), *options).emit(out)
}

/// The whole book, rendered to its build dir.
pub fn build(config: &Config, options: &Options) -> anyhow::Result<Report> {
    Driver::new(config.clone(), *options).build()
}

/// The whole book, rendered, each diagnostic handed to `sink` as soon as it is found.
pub fn build_streaming(
    config: &Config,
    options: &Options,
    sink: impl FnMut(&Diagnostic) + Send + 'static,
) -> anyhow::Result<Report> {
    Driver::new(config.clone(), *options)
        .streaming(sink)
        .build()
}

/// An incremental driver over a book (what `serve` builds with).
pub fn session(config: Config, options: Options) -> Driver {
    Driver::incremental(config, options)
}

/// One build of an incremental driver into `out`, from the book in `previous` if there is one.
pub fn rebuild(
    session: &mut Driver,
    out: &Path,
    previous: Option<&Path>,
) -> anyhow::Result<(Report, Scope)> {
    session.rebuild(out, previous)
}

/// The builder `vaultbook serve` runs: the real pipeline.
pub fn pipeline_builder(options: Options) -> impl vaultbook::serve::Builder {
    vaultbook::serve::PipelineBuilder::new(options)
}

/// Renders the mdBook at `root` with mdBook itself (as a stock `mdbook build` does).
pub fn mdbook_build(root: &Path) {
    mdbook_driver::MDBook::load(root)
        .unwrap_or_else(|e| panic!("{}: {e:#}", root.display()))
        .build()
        .unwrap_or_else(|e| panic!("{}: {e:#}", root.display()));
}

// ---------------------------------------------------------------------------------------------
// Diagnostics: codes are read through `code` alone.

/// The code of a diagnostic (`broken-link`, …).
pub fn code(d: &Diagnostic) -> &str {
    d.code.as_str()
}

/// Does any diagnostic have this code?
pub fn has_code(diags: &[Diagnostic], code_name: &str) -> bool {
    diags.iter().any(|d| code(d) == code_name)
}

/// The codes of the diagnostics, in order.
pub fn codes<'a>(diags: impl IntoIterator<Item = &'a Diagnostic>) -> Vec<String> {
    diags.into_iter().map(|d| code(d).to_string()).collect()
}

/// The diagnostics with `code_name` for `file` (relative to the book root).
pub fn diags_with<'a>(diags: &'a [Diagnostic], code_name: &str, file: &str) -> Vec<&'a Diagnostic> {
    diags
        .iter()
        .filter(|d| code(d) == code_name && d.file.as_deref() == Some(Path::new(file)))
        .collect()
}

/// Asserts that there is a diagnostic with `code_name` for `file`.
pub fn assert_diag(diags: &[Diagnostic], code_name: &str, file: &str) {
    assert!(
        !diags_with(diags, code_name, file).is_empty(),
        "no {code_name} for {file} in {:#?}",
        one_lines(diags)
    );
}

/// Each diagnostic on one line (`file:line:col: severity[code]: message`).
pub fn one_lines(diags: &[Diagnostic]) -> Vec<String> {
    diags.iter().map(Diagnostic::one_line).collect()
}

/// Every diagnostic above information level, one line each.
pub fn problems(diags: &[Diagnostic]) -> Vec<String> {
    diags
        .iter()
        .filter(|d| d.severity != Severity::Info)
        .map(Diagnostic::one_line)
        .collect()
}

/// A span at the start of a file (for requests and diagnostics made by hand).
pub fn span() -> Span {
    Span {
        start: 0,
        end: 1,
        line: 1,
        column: 1,
        end_line: 1,
        end_column: 2,
    }
}

// ---------------------------------------------------------------------------------------------
// Rendered HTML.

/// Asserts that every internal link of the rendered book in `book_dir` reaches an existing page
/// and id (`check --html` finds nothing).
pub fn assert_links_reach_ids(book_dir: &Path) {
    let problems = vaultbook::internals::check_rendered(book_dir);
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The part of a rendered page between `<main>` and `</main>`.
pub fn main_of(html: &str) -> &str {
    let start = html
        .find("<main>")
        .unwrap_or_else(|| panic!("no <main> in {html}"));
    let end = html[start..]
        .find("</main>")
        .map(|i| start + i)
        .unwrap_or_else(|| panic!("no </main> in {html}"));
    &html[start..end]
}

// ---------------------------------------------------------------------------------------------
// Files.

/// `tests/fixtures/<name>`, where it is (for tests that only read it).
pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Copies the folder tree `from` into `to` (created).
pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let dest = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest)
                .unwrap_or_else(|e| panic!("{}: {e}", entry.path().display()));
        }
    }
}

/// The text of a file; panics naming the file.
pub fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path.as_ref())
        .unwrap_or_else(|e| panic!("{}: {e}", path.as_ref().display()))
}

/// Writes a file, making its folder.
pub fn write(path: impl AsRef<Path>, bytes: impl AsRef<[u8]>) {
    let path = path.as_ref();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// Every file under `dir` (relative to it), with its bytes.
pub fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap_or_else(|e| panic!("{}: {e}", dir.display())))
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(dir).unwrap().to_path_buf(),
                std::fs::read(e.path())
                    .unwrap_or_else(|err| panic!("{}: {err}", e.path().display())),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// A book in a temporary folder.

/// A book in a new temporary folder (removed on drop): made from a fixture or file by file,
/// built through the library or the binary, and looked at.
///
/// The book root is the temporary folder itself, or a folder inside it ([`BookTest::nested`]),
/// so that a test can plant files next to the book.
pub struct BookTest {
    dir: tempfile::TempDir,
    root: PathBuf,
}

impl Default for BookTest {
    fn default() -> Self {
        BookTest::new()
    }
}

impl BookTest {
    /// An empty book root (no book.toml yet).
    pub fn new() -> BookTest {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        BookTest { dir, root }
    }

    /// An empty book root at `<temporary folder>/<sub>`.
    pub fn nested(sub: &str) -> BookTest {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join(sub);
        std::fs::create_dir_all(&root).unwrap();
        BookTest { dir, root }
    }

    /// A copy of `tests/fixtures/<name>`.
    pub fn from_fixture(name: &str) -> BookTest {
        let book = BookTest::new();
        copy_dir(&fixture_path(name), &book.root);
        book
    }

    /// A copy of `tests/fixtures/<name>` at `<temporary folder>/<sub>`.
    pub fn from_fixture_nested(name: &str, sub: &str) -> BookTest {
        let book = BookTest::nested(sub);
        copy_dir(&fixture_path(name), &book.root);
        book
    }

    /// With the file `rel` (relative to the book root).
    pub fn file(self, rel: impl AsRef<Path>, bytes: impl AsRef<[u8]>) -> BookTest {
        self.write(rel, bytes);
        self
    }

    /// With `vault/<rel>` for each `(rel, bytes)`.
    pub fn vault_files<P: AsRef<Path>, B: AsRef<[u8]>>(
        self,
        files: impl IntoIterator<Item = (P, B)>,
    ) -> BookTest {
        std::fs::create_dir_all(self.root.join("vault")).unwrap();
        for (rel, bytes) in files {
            self.write(Path::new("vault").join(rel), bytes);
        }
        self
    }

    /// Writes `rel` (relative to the book root), making its folder.
    pub fn write(&self, rel: impl AsRef<Path>, bytes: impl AsRef<[u8]>) {
        write(self.root.join(rel), bytes);
    }

    /// Appends `text` to `rel`.
    pub fn append(&self, rel: impl AsRef<Path>, text: &str) {
        let old = read(self.root.join(&rel));
        self.write(rel, format!("{old}{text}"));
    }

    /// The book root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The book root (as `TempDir::path`, for tests written against a bare temporary folder).
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The temporary folder that holds the book root (the root itself unless nested).
    pub fn outer(&self) -> &Path {
        self.dir.path()
    }

    /// `rel` under the book root.
    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.root.join(rel)
    }

    /// Its book.toml, loaded.
    pub fn config(&self) -> Config {
        load(&self.root)
    }

    /// Builds the book through the library, running no snippet.
    pub fn build(&self) -> Report {
        self.build_with(&no_run())
    }

    /// Builds the book through the library with `options`.
    pub fn build_with(&self, options: &Options) -> Report {
        build(&self.config(), options).unwrap_or_else(|e| panic!("build: {e:#}"))
    }

    /// Emits the book's mdBook source tree to `out`, running no snippet.
    pub fn emit_to(&self, out: &Path) -> anyhow::Result<Report> {
        emit(&self.config(), &no_run(), out)
    }

    /// `vaultbook ARGS… ROOT`.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::of(vaultbook().args(args).arg(&self.root))
    }

    /// The text of `book/<page>` (the rendered book).
    pub fn page(&self, page: &str) -> String {
        read(self.root.join("book").join(page))
    }

    /// The `<main>` of `book/<page>`.
    pub fn main_of(&self, page: &str) -> String {
        main_of(&self.page(page)).to_string()
    }

    /// The text of `<work dir>/book-src/src/<rel>` (the emitted chapter of a build).
    pub fn emitted(&self, rel: &str) -> String {
        read(self.emitted_src().join(rel))
    }

    /// `<work dir>/book-src/src`: the emitted chapters of a build.
    pub fn emitted_src(&self) -> PathBuf {
        self.root.join("target/vaultbook/book-src/src")
    }

    /// The rendered HTML pages under `book/` (chapters and index), sorted by path.
    pub fn pages(&self) -> Vec<(PathBuf, String)> {
        files(&self.root.join("book"))
            .into_iter()
            .filter(|(p, _)| p.extension().is_some_and(|x| x == "html"))
            .map(|(p, bytes)| (p, String::from_utf8(bytes).unwrap()))
            .collect()
    }

    /// Asserts that every internal link of `book/` reaches an existing page and id.
    pub fn assert_links_reach_ids(&self) {
        assert_links_reach_ids(&self.root.join("book"));
    }

    /// The files under `tops` (folders of the book root) that hold `needle`.
    pub fn files_holding(&self, tops: &[&str], needle: &str) -> Vec<PathBuf> {
        let mut found = Vec::new();
        for top in tops {
            let dir = self.root.join(top);
            for (path, bytes) in files(&dir) {
                if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                    found.push(dir.join(path));
                }
            }
        }
        found
    }
}

// ---------------------------------------------------------------------------------------------
// The binary.

/// A command for the `vaultbook` binary, without colour.
pub fn vaultbook() -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env("NO_COLOR", "1");
    cmd
}

/// What a finished run of a command gave.
pub struct Run {
    pub output: Output,
}

impl Run {
    /// Runs `cmd` to its end.
    pub fn of(cmd: &mut Command) -> Run {
        Run {
            output: cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}")),
        }
    }

    /// The exit code (`None` when a signal ended it).
    pub fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    pub fn success(&self) -> bool {
        self.output.status.success()
    }

    /// Standard output, which must be UTF-8.
    pub fn stdout(&self) -> String {
        String::from_utf8(self.output.stdout.clone()).unwrap()
    }

    /// Standard error, which must be UTF-8.
    pub fn stderr(&self) -> String {
        String::from_utf8(self.output.stderr.clone())
            .unwrap_or_else(|_| panic!("stderr is not UTF-8: {:?}", self.output.stderr))
    }

    /// Asserts a zero exit, showing stderr otherwise.
    pub fn assert_ok(&self) -> &Run {
        assert!(
            self.success(),
            "{:?}\n{}",
            self.output.status,
            String::from_utf8_lossy(&self.output.stderr)
        );
        self
    }
}

/// The lines a child prints, as they come, from a thread of their own.
pub fn lines_of(out: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    rx
}

/// The name libtest gives test `name` of the module `module` (pass `module_path!()`), for a
/// test that runs this binary again with `--exact`.
pub fn test_name(module: &str, name: &str) -> String {
    let module = module.split_once("::").map_or("", |(_, m)| m);
    if module.is_empty() {
        name.to_string()
    } else {
        format!("{module}::{name}")
    }
}

// ---------------------------------------------------------------------------------------------
// Processes.

/// The pids of the live processes whose command line is exactly `argv`.
pub fn processes_with_cmdline(argv: &[&str]) -> Vec<i32> {
    let want: Vec<u8> = argv
        .iter()
        .flat_map(|a| [a.as_bytes(), b"\0"].concat())
        .collect();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| std::fs::read(e.path().join("cmdline")).is_ok_and(|c| c == want))
        .filter_map(|e| e.file_name().to_string_lossy().parse().ok())
        .collect()
}

/// How many processes run a jailed snippet (its argv is `/snippet` inside the jail).
pub fn jailed_snippets() -> usize {
    processes_with_cmdline(&["/snippet"]).len()
}

/// All tests share one process, and [`jailed_snippets`] sees every test's snippets. A test that
/// starts jailed snippets holds [`snippets_running`] while it may; a test that counts them
/// (expecting its own alone) holds [`snippets_alone`], which waits until no other test runs any.
/// Take one of them at most once per test (a second read lock can wait behind a writer).
static SNIPPETS: RwLock<()> = RwLock::new(());

/// Held while a test may start jailed snippets.
pub fn snippets_running() -> RwLockReadGuard<'static, ()> {
    SNIPPETS.read().unwrap_or_else(|e| e.into_inner())
}

/// Held while a test counts jailed snippets: no other test runs any meanwhile.
pub fn snippets_alone() -> RwLockWriteGuard<'static, ()> {
    SNIPPETS.write().unwrap_or_else(|e| e.into_inner())
}

/// The memory of the test process: a test that measures it (the process's RSS, shared by
/// every test) holds [`memory_measured`]; a test that needs hundreds of MiB holds
/// [`memory_heavy`], so that it never runs during such a measurement.
static MEMORY: RwLock<()> = RwLock::new(());

/// Held while a test may use hundreds of MiB.
pub fn memory_heavy() -> RwLockReadGuard<'static, ()> {
    MEMORY.read().unwrap_or_else(|e| e.into_inner())
}

/// Held while a test measures the process's memory: no heavy test runs meanwhile.
pub fn memory_measured() -> RwLockWriteGuard<'static, ()> {
    MEMORY.write().unwrap_or_else(|e| e.into_inner())
}
