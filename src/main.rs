//! The `vaultbook` command line: parse arguments, call the library, print diagnostics, exit.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use vaultbook::report::{self, Format};
use vaultbook::{Config, Diagnostic, Driver, Options, Report, Severity, Verbosity};

/// Turn an Obsidian vault into an mdBook.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Print only errors.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Print every diagnostic, including information.
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Make a new book in DIR: book.toml, vault/README.md and .gitignore. Existing files are
    /// kept as they are.
    Init {
        /// The book root to make (created if missing).
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The book's title (default: the folder's name).
        #[arg(long)]
        title: Option<String>,
    },
    /// Build the book's HTML into its build-dir (default `book/`); exit 1 on errors (the book is
    /// still written).
    Build {
        /// The book root, holding book.toml.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Build the HTML here instead of the build-dir (may be outside the book root, which
        /// book.toml's build-dir may not).
        #[arg(short, long)]
        dest_dir: Option<PathBuf>,
        /// Exit 1 on warnings too.
        #[arg(long)]
        deny_warnings: bool,
        #[command(flatten)]
        snippets: SnippetFlags,
        #[command(flatten)]
        commands: CommandFlags,
    },
    /// Write the standalone mdBook source tree (book.toml, SUMMARY.md, chapters, assets).
    Emit {
        /// The book root, holding book.toml.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Where to write the source tree.
        #[arg(long)]
        to: PathBuf,
        /// Exit 1 on warnings too.
        #[arg(long)]
        deny_warnings: bool,
        #[command(flatten)]
        snippets: SnippetFlags,
    },
    /// Check links, embeds, snippets and content without rendering; exit 1 on errors.
    Check {
        /// The book root, holding book.toml.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Output format for diagnostics.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Exit 1 on warnings too.
        #[arg(long)]
        deny_warnings: bool,
        /// Also check the rendered HTML in the build-dir (run `build` first).
        #[arg(long)]
        html: bool,
        /// With --html: the folder `build --dest-dir` built into.
        #[arg(short, long)]
        dest_dir: Option<PathBuf>,
        /// List every diagnostic code (name, default severity, group, summary) and exit.
        #[arg(long)]
        list_codes: bool,
        #[command(flatten)]
        snippets: SnippetFlags,
    },
    /// Explain a diagnostic code (`vaultbook explain broken-link`), with an example.
    Explain {
        /// The code, as diagnostics print it.
        code: String,
    },
    /// Build the book, serve it on localhost, rebuild on every change and reload the browser.
    Serve {
        /// The book root, holding book.toml.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The port to listen on; 0 picks a free one.
        #[arg(long, default_value_t = 3000)]
        port: u16,
        /// The address to listen on (loopback by default: the book stays on this machine).
        #[arg(long, default_value = "127.0.0.1")]
        hostname: String,
        /// Open the book in the browser.
        #[arg(long)]
        open: bool,
        /// Poll for changes instead of OS events (network and WSL file systems).
        #[arg(long)]
        poll: bool,
        #[command(flatten)]
        snippets: SnippetFlags,
        #[command(flatten)]
        commands: CommandFlags,
    },
    /// Run as a preprocessor of an ordinary mdBook (`[preprocessor.vaultbook] command =
    /// "vaultbook preprocessor"` in its book.toml): mdBook's book on stdin, back on stdout.
    Preprocessor {
        /// `supports RENDERER`: exit 0 when vaultbook runs for that mdBook renderer.
        #[command(subcommand)]
        supports: Option<Supports>,
        /// Do not compile or run any snippet of the book.
        #[arg(long)]
        no_run: bool,
        /// Format of the diagnostics on stderr.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
}

/// mdBook's question to a preprocessor.
#[derive(Subcommand)]
enum Supports {
    /// Exit 0 when vaultbook runs for RENDERER (html, markdown), 1 otherwise.
    Supports {
        /// The renderer mdBook asks about.
        renderer: String,
    },
}

#[derive(clap::Args)]
struct SnippetFlags {
    /// Do not compile or run any snippet from the vault.
    #[arg(long)]
    no_run: bool,
    /// Run snippets again even when a cached result exists.
    #[arg(long)]
    rerun_snippets: bool,
    /// Where no sandbox can be made (no bubblewrap, no user namespaces), run the vault's code
    /// anyway, unisolated. Never needed where the sandbox works.
    #[arg(long, conflicts_with = "no_run")]
    trust_snippets: bool,
}

#[derive(clap::Args)]
struct CommandFlags {
    /// Run the external preprocessors that book.toml names (`[preprocessor.NAME]`): programs
    /// chosen by whoever wrote the book. Off by default; never with --no-run.
    #[arg(long, conflicts_with = "no_run")]
    allow_commands: bool,
}

impl CommandFlags {
    fn options(&self, snippets: &SnippetFlags) -> Options {
        Options {
            allow_commands: self.allow_commands,
            ..snippets.options()
        }
    }
}

impl SnippetFlags {
    fn options(&self) -> Options {
        Options {
            run_snippets: !self.no_run,
            rerun_snippets: self.rerun_snippets,
            progress: std::io::stderr().is_terminal(),
            trust_snippets: self.trust_snippets,
            allow_commands: false,
        }
    }
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // First: a stop signal at any later moment must find the handler that cleans up.
    vaultbook::interrupt::install();
    vaultbook::memory::without_huge_pages();
    let cli = Cli::parse();
    let code = match run(&cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    };
    // A run that failed because it was being stopped exits with the signal's code instead.
    vaultbook::interrupt::wait_if_stopping();
    code
}

fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    if let Some(code) = codes_command(&cli.command) {
        return Ok(code);
    }
    let verbosity = Verbosity::from_flags(cli.quiet, cli.verbose);
    match &cli.command {
        Command::Init { dir, title } => {
            for step in vaultbook::init::init(dir, title.as_deref())? {
                if verbosity == Verbosity::Quiet {
                    continue;
                }
                let what = match step.outcome {
                    vaultbook::init::Outcome::Created => "created",
                    vaultbook::init::Outcome::Kept => "kept existing",
                };
                eprintln!("vaultbook: {what} {}", step.path.display());
            }
            if verbosity != Verbosity::Quiet {
                eprintln!(
                    "vaultbook: `vaultbook serve {}` builds and shows the book",
                    dir.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve {
            dir,
            port,
            hostname,
            open,
            poll,
            snippets,
            commands,
        } => {
            // As build and check do: no book here is a usage error, not a page to serve.
            Config::load(dir)?;
            let mut options = vaultbook::serve::ServeOptions::new(dir, *port);
            options.hostname = hostname.clone();
            options.poll = *poll;
            let builder = vaultbook::serve::PipelineBuilder::new(commands.options(snippets))
                .showing(verbosity);
            vaultbook::serve::run(options, *open, builder)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Build {
            dir,
            dest_dir,
            deny_warnings,
            snippets,
            commands,
        } => {
            let mut config = Config::load(dir)?;
            if let Some(dest) = dest_dir {
                config.set_build_dir(dest)?;
            }
            let report = Driver::new(config, options(cli, commands.options(snippets)))
                .streaming(printer(verbosity))
                .build()?;
            summary(verbosity, "built", &report);
            Ok(exit_code(&report, *deny_warnings))
        }
        Command::Emit {
            dir,
            to,
            deny_warnings,
            snippets,
        } => {
            let config = Config::load(dir)?;
            let report = Driver::new(config, options(cli, snippets.options()))
                .streaming(printer(verbosity))
                .emit(to)?;
            summary(verbosity, "emitted", &report);
            Ok(exit_code(&report, *deny_warnings))
        }
        Command::Check {
            dir,
            format,
            deny_warnings,
            html,
            dest_dir,
            snippets,
            ..
        } => {
            let mut config = Config::load(dir)?;
            if let Some(dest) = dest_dir {
                config.set_build_dir(dest)?;
            }
            let report = Driver::new(config, options(cli, snippets.options())).check(*html)?;
            // Machine formats get information too unless asked for errors only: a CI job
            // filters for itself.
            let shown: Vec<Diagnostic> = report
                .diagnostics
                .iter()
                .filter(|d| {
                    verbosity.shows(d.severity)
                        || (*format != Format::Human && verbosity != Verbosity::Quiet)
                })
                .cloned()
                .collect();
            let color = std::io::stderr().is_terminal();
            let text = report::render(&shown, &report.sources, *format, color);
            if *format == Format::Human {
                eprint!("{text}");
            } else {
                print!("{text}");
            }
            Ok(exit_code(&report, *deny_warnings))
        }
        Command::Preprocessor {
            supports: Some(Supports::Supports { renderer }),
            ..
        } => {
            if vaultbook::preprocessor::supports(renderer) {
                return Ok(ExitCode::SUCCESS);
            }
            // mdBook skips a preprocessor without a word: say why the pages keep `[[links]]`.
            eprintln!(
                "vaultbook: the {renderer:?} renderer is left without vaultbook (it writes HTML \
                 into chapters); `renderers = [\"html\", {renderer:?}]` in \
                 [preprocessor.vaultbook] runs it there too"
            );
            Ok(ExitCode::from(1))
        }
        Command::Preprocessor {
            supports: None,
            no_run,
            format,
        } => {
            let options = Options {
                run_snippets: !no_run,
                ..Options::default()
            };
            let printing = vaultbook::preprocessor::Printing {
                verbosity,
                format: *format,
            };
            vaultbook::preprocessor::run(std::io::stdin(), std::io::stdout(), options, printing)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { .. } => unreachable!("answered by codes_command"),
    }
}

/// `explain CODE` and `check --list-codes`: answered from the registry of codes, without a
/// book. `None` for every other command.
fn codes_command(command: &Command) -> Option<ExitCode> {
    match command {
        Command::Check {
            list_codes: true, ..
        } => {
            print!("{}", vaultbook::codes::list());
            Some(ExitCode::SUCCESS)
        }
        Command::Explain { code } => Some(match code.parse::<vaultbook::Code>() {
            Ok(code) => {
                print!("{}", vaultbook::codes::explain(code));
                ExitCode::SUCCESS
            }
            Err(unknown) => {
                eprintln!("error: {unknown}; `vaultbook check --list-codes` lists the codes");
                ExitCode::from(2)
            }
        }),
        _ => None,
    }
}

/// The exit rule of every command: 1 when the report failed, 0 otherwise (2, for usage and
/// environment errors, comes from clap and from `main`).
fn exit_code(report: &Report, deny_warnings: bool) -> ExitCode {
    if report.failed(deny_warnings) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Prints one line per diagnostic the verbosity shows, as the driver finds them.
fn printer(verbosity: Verbosity) -> impl FnMut(&Diagnostic) + Send + 'static {
    move |d| {
        if verbosity.shows(d.severity) {
            eprintln!("{}", d.one_line());
        }
    }
}

/// `-q` draws no progress, as with cargo.
fn options(cli: &Cli, options: Options) -> Options {
    Options {
        progress: options.progress && !cli.quiet,
        ..options
    }
}

fn summary(verbosity: Verbosity, verb: &str, report: &Report) {
    if verbosity == Verbosity::Quiet {
        return;
    }
    if verbosity == Verbosity::Verbose {
        eprintln!("vaultbook: {}", report.stats.phase_summary());
    }
    let output = report
        .output
        .as_deref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    eprintln!(
        "vaultbook: {verb} {}, {}, {}, {} in {:.2}s → {output}",
        report::counted(report.stats.notes, "note"),
        report::counted(report.stats.links, "link"),
        report::counted(report.count(Severity::Error), "error"),
        report::counted(report.count(Severity::Warning), "warning"),
        report.stats.elapsed.as_secs_f64(),
    )
}
