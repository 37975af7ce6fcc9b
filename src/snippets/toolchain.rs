//! The Rust toolchain that builds snippets, found from the user's environment alone.
//!
//! The user's environment is trusted (`RUSTC`, `RUSTUP_TOOLCHAIN`, `CARGO_HOME`, `RUSTC_WRAPPER`);
//! the repository is not. Every host-side call here runs with `/` as its working directory, so
//! that neither rustup (which reads `rust-toolchain.toml` from the working directory up) nor cargo
//! (which reads `.cargo/config.toml` from the working directory up) can be steered by a file
//! planted in or above the book. Inside the jail, cargo and rustc are called by their paths in
//! the toolchain, never through rustup's proxies, and the jail shows no folder above the
//! project, so no such file is found there either.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where the toolchain and the dependency sources are, and how to call them.
#[derive(Debug, Clone)]
pub(crate) struct Toolchain {
    /// `rustc --print sysroot`: the toolchain's folder (bound read-only into the jail).
    pub sysroot: PathBuf,
    /// The real cargo binary (not a rustup proxy).
    pub cargo: PathBuf,
    /// The real rustc binary.
    pub rustc: PathBuf,
    /// `rustc -vV`, which keys the cache: a new compiler means new results.
    pub version: String,
    /// The user's cargo home (only its `registry/`, `git/` and `config.toml` are shown to a jail;
    /// never `credentials.toml`).
    pub cargo_home: PathBuf,
    /// The user's `RUSTC_WRAPPER` (e.g. sccache), resolved to a path.
    pub wrapper: Option<PathBuf>,
    /// Folders a wrapper needs to write (sccache's cache).
    pub wrapper_dirs: Vec<PathBuf>,
    /// Variables of the user's environment handed to cargo in the jail (the wrapper's settings).
    pub passed_env: Vec<(String, OsString)>,
}

impl Toolchain {
    /// The toolchain of this process, found once (the user's environment does not change while
    /// `serve` runs, and each rebuild would otherwise start rustc twice), or why there is none.
    pub(crate) fn get() -> Result<&'static Toolchain, String> {
        static FOUND: std::sync::OnceLock<Result<Toolchain, String>> = std::sync::OnceLock::new();
        FOUND
            .get_or_init(Toolchain::detect)
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Finds the toolchain, or says why it cannot be used.
    fn detect() -> Result<Toolchain, String> {
        let rustc_cmd = rustc_command();
        let sysroot = run(&rustc_cmd, &["--print", "sysroot"])?;
        let sysroot = PathBuf::from(sysroot.trim());
        let version = version()?.to_string();
        let rustc = {
            let given = PathBuf::from(&rustc_cmd);
            if given.is_absolute() {
                given
            } else {
                sysroot.join("bin/rustc")
            }
        };
        let cargo = [
            Some(sysroot.join("bin/cargo")),
            std::env::var_os("CARGO").map(PathBuf::from),
            crate::sandbox::find_on_path("cargo"),
        ]
        .into_iter()
        .flatten()
        .find(|p| p.is_absolute() && p.is_file())
        .ok_or("cannot find cargo: install a Rust toolchain (rustup.rs)")?;
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let cargo_home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".cargo")))
            .ok_or("neither CARGO_HOME nor HOME is set")?;
        let wrapper = std::env::var_os("RUSTC_WRAPPER")
            .or_else(|| std::env::var_os("CARGO_BUILD_RUSTC_WRAPPER"))
            .filter(|w| !w.is_empty())
            .and_then(|w| {
                let p = PathBuf::from(&w);
                if p.is_absolute() {
                    Some(p)
                } else {
                    crate::sandbox::find_on_path(&w.to_string_lossy())
                }
            });
        let mut passed_env = Vec::new();
        let mut wrapper_dirs = Vec::new();
        if let Some(w) = &wrapper {
            passed_env.push(("RUSTC_WRAPPER".to_string(), w.clone().into_os_string()));
            for (k, v) in std::env::vars_os() {
                if let Some(k) = k.to_str().filter(|k| k.starts_with("SCCACHE_")) {
                    passed_env.push((k.to_string(), v));
                }
            }
            if w.file_name()
                .is_some_and(|n| n.to_string_lossy().contains("sccache"))
            {
                let dir = std::env::var_os("SCCACHE_DIR")
                    .map(PathBuf::from)
                    .or_else(|| home.as_ref().map(|h| h.join(".cache/sccache")));
                if let Some(dir) = dir {
                    let _ = std::fs::create_dir_all(&dir);
                    wrapper_dirs.push(dir);
                }
            }
        }
        Ok(Toolchain {
            sysroot,
            cargo,
            rustc,
            version,
            cargo_home,
            wrapper,
            wrapper_dirs,
            passed_env,
        })
    }

    /// What a compile jail reads: the toolchain, the binaries it is called by, the dependency
    /// sources and the user's cargo configuration.
    pub(crate) fn read_only_paths(&self) -> Vec<PathBuf> {
        let mut paths = vec![self.sysroot.clone(), self.cargo.clone(), self.rustc.clone()];
        for sub in ["registry", "git", "config.toml", "config"] {
            paths.push(self.cargo_home.join(sub));
        }
        paths.extend(self.wrapper.clone());
        paths
    }

    /// The environment of cargo in a compile jail, and nothing more: an `option_env!` in a
    /// snippet sees only these.
    pub(crate) fn compile_env(&self, target_dir: &Path) -> Vec<(String, OsString)> {
        let mut path = OsString::from(self.sysroot.join("bin"));
        path.push(":/usr/bin:/bin");
        let mut env: Vec<(String, OsString)> = vec![
            ("PATH".into(), path),
            ("HOME".into(), "/tmp".into()),
            ("TMPDIR".into(), "/tmp".into()),
            ("CARGO_HOME".into(), self.cargo_home.clone().into()),
            ("RUSTC".into(), self.rustc.clone().into()),
            ("CARGO_TARGET_DIR".into(), target_dir.into()),
            ("CARGO_TERM_COLOR".into(), "never".into()),
            ("CARGO_NET_OFFLINE".into(), "true".into()),
        ];
        env.extend(self.passed_env.iter().cloned());
        env
    }
}

/// The user's rustc: `RUSTC`, else `rustc` on PATH.
fn rustc_command() -> OsString {
    std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into())
}

/// `rustc -vV` of the user's rustc, once per process. It keys the cache, so a build whose
/// snippets are all cached asks nothing else of the toolchain (not even where it is).
pub(crate) fn version() -> Result<&'static str, String> {
    static VERSION: std::sync::OnceLock<Result<String, String>> = std::sync::OnceLock::new();
    VERSION
        .get_or_init(|| run(&rustc_command(), &["-vV"]))
        .as_deref()
        .map_err(Clone::clone)
}

/// Runs `program args` from `/`, with the user's environment, and returns its stdout.
fn run(program: &OsString, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .current_dir("/")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", program.to_string_lossy()))?;
    if !out.status.success() {
        return Err(format!(
            "{} {} failed: {}",
            program.to_string_lossy(),
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
