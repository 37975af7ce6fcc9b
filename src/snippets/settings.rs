//! `[vaultbook.snippets]` → [`Settings`]: defaults, sizes like `"64KiB"`, and a diagnostic for
//! each key that is not understood (the default is used instead, the book still builds).

use std::path::PathBuf;

use crate::config::CONFIG_FILE;
use crate::diagnostics::{Code, Diagnostic};

/// The snippet settings of one book, validated.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// `enabled = true`: false builds the book without running anything from the vault.
    pub enabled: bool,
    /// `timeout = 10`: wall-clock seconds per run, unless a snippet says `timeout=N`.
    pub timeout: u64,
    /// `[vaultbook.snippets.dependencies]`, in Cargo's syntax, written as is into Cargo.toml.
    pub dependencies: toml::Table,
    /// `max-output = "64KiB"`: bytes of output kept per run; past it the run is stopped.
    pub max_output: u64,
    /// `memory = "1GiB"`: the memory of a whole run (every process and thread of it together,
    /// when a cgroup can be made; else per process, plus a watchdog over the sum).
    pub memory: u64,
    /// `compile-timeout = 180`: wall-clock seconds of one cargo run (rustc, build scripts and
    /// proc macros included); past it the compilation is stopped and the snippet says so.
    pub compile_timeout: u64,
    /// `compile-memory = "4GiB"`: the memory of a whole compilation.
    pub compile_memory: u64,
    /// `cpu = SECS`: RLIMIT_CPU; by default the timeout times the CPU count, plus one, so that
    /// the wall-clock timeout is what normally ends a run.
    pub cpu: Option<u64>,
    /// `file-size = "16MiB"`: RLIMIT_FSIZE, the largest file a run may write.
    pub file_size: u64,
    /// `processes = 512`: RLIMIT_NPROC (tasks, threads included) for the user running snippets.
    pub processes: u64,
    /// `backtrace = false`: RUST_BACKTRACE=1 in the runs when true.
    pub backtrace: bool,
    /// `jobs = N`: runs at the same time; the CPU count by default.
    pub jobs: usize,
    /// `user = "nobody"`: when vaultbook runs as root, snippets run with this user's group (uid:gid
    /// or a name from /etc/passwd) and, each run, a uid of its own from 61000 up (so that all a run
    /// started can be killed when it ends, and RLIMIT_NPROC, which root ignores, holds per run).
    pub user: String,
    /// `profile = "dev"`: the cargo profile snippets are built with; `"release"` optimises them
    /// (slower to compile, and what timings should be measured with).
    pub profile: Profile,
}

/// The cargo profile of the snippets' build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Profile {
    /// cargo's `dev` profile (unoptimised, with debug assertions and overflow checks).
    #[default]
    Dev,
    /// cargo's `release` profile (`--release`: optimised, no debug assertions).
    Release,
}

impl Profile {
    /// The profile's name, as cargo spells it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Profile::Dev => "dev",
            Profile::Release => "release",
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled: true,
            timeout: 10,
            dependencies: toml::Table::new(),
            max_output: 64 * 1024,
            memory: 1 << 30,
            compile_timeout: 180,
            compile_memory: 4 << 30,
            cpu: None,
            file_size: 16 << 20,
            processes: 512,
            backtrace: false,
            jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
            user: "nobody".to_string(),
            profile: Profile::Dev,
        }
    }
}

impl Settings {
    /// Reads the `[vaultbook.snippets]` table; problems become `snippet-config` warnings.
    pub(crate) fn from_table(table: &toml::Table) -> (Settings, Vec<Diagnostic>) {
        let mut s = Settings::default();
        let mut diags = Vec::new();
        let mut wrong: Vec<(String, &str)> = Vec::new();
        let mut bad = |key: &str, want: &'static str| wrong.push((key.to_string(), want));
        let mut unknown = Vec::new();
        for (key, value) in table {
            match key.as_str() {
                "enabled" => match value.as_bool() {
                    Some(b) => s.enabled = b,
                    None => bad(key, "true or false"),
                },
                "timeout" => match value.as_integer() {
                    Some(n) if n > 0 => s.timeout = n as u64,
                    _ => bad(key, "a whole number of seconds above 0"),
                },
                "compile-timeout" => match value.as_integer() {
                    Some(n) if n > 0 => s.compile_timeout = n as u64,
                    _ => bad(key, "a whole number of seconds above 0"),
                },
                "cpu" => match value.as_integer() {
                    Some(n) if n > 0 => s.cpu = Some(n as u64),
                    _ => bad(key, "a whole number of seconds above 0"),
                },
                "processes" => match value.as_integer() {
                    Some(n) if n > 0 => s.processes = n as u64,
                    _ => bad(key, "a number of processes above 0"),
                },
                "jobs" => match value.as_integer() {
                    Some(n) if n > 0 => s.jobs = n as usize,
                    _ => bad(key, "a number of parallel runs above 0"),
                },
                "backtrace" => match value.as_bool() {
                    Some(b) => s.backtrace = b,
                    None => bad(key, "true or false"),
                },
                "user" => match value.as_str() {
                    Some(u) if !u.is_empty() => s.user = u.to_string(),
                    _ => bad(key, "a user name or uid:gid"),
                },
                "profile" => match value.as_str() {
                    Some("dev") => s.profile = Profile::Dev,
                    Some("release") => s.profile = Profile::Release,
                    _ => bad(key, "\"dev\" or \"release\""),
                },
                "dependencies" => match value.as_table() {
                    Some(t) => {
                        let (kept, refused) = registry_dependencies(t);
                        s.dependencies = kept;
                        diags.extend(refused);
                    }
                    None => bad(key, "a table in Cargo's syntax (`rayon = \"1\"`)"),
                },
                "max-output" | "memory" | "file-size" | "compile-memory" => match parse_size(value)
                {
                    Some(n) if n > 0 => match key.as_str() {
                        "max-output" => s.max_output = n,
                        "memory" => s.memory = n,
                        "compile-memory" => s.compile_memory = n,
                        _ => s.file_size = n,
                    },
                    _ => bad(
                        key,
                        "a size such as \"64KiB\", \"512MiB\" or a number of bytes",
                    ),
                },
                _ => unknown.push(
                    Diagnostic::new(
                        Code::SnippetConfig,
                        format!("unknown key `{key}` in [vaultbook.snippets]"),
                    )
                    .in_file(PathBuf::from(CONFIG_FILE))
                    .with_help(
                        "known keys: enabled, timeout, dependencies, max-output, memory, cpu, \
                         file-size, processes, backtrace, jobs, user, compile-timeout, \
                         compile-memory, profile",
                    ),
                ),
            }
        }
        for (key, want) in wrong {
            diags.push(
                Diagnostic::new(
                    Code::SnippetConfig,
                    format!("[vaultbook.snippets] `{key}` should be {want}; using the default"),
                )
                .in_file(PathBuf::from(CONFIG_FILE)),
            );
        }
        diags.extend(unknown);
        (s, diags)
    }

    /// The wall-clock timeout of a snippet, in seconds.
    pub(crate) fn timeout_for(&self, attr: Option<u64>) -> u64 {
        attr.unwrap_or(self.timeout)
    }

    /// RLIMIT_CPU for a run with this wall-clock timeout.
    pub(crate) fn cpu_for(&self, timeout: u64) -> u64 {
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
        self.cpu.unwrap_or(timeout * cpus + 1)
    }

    /// Everything here that changes what a run does, for the cache key.
    pub(crate) fn cache_key(&self) -> String {
        format!(
            "timeout={} max_output={} memory={} cpu={:?} file_size={} processes={} backtrace={} \
             compile_timeout={} compile_memory={} profile={}",
            self.timeout,
            self.max_output,
            self.memory,
            self.cpu,
            self.file_size,
            self.processes,
            self.backtrace,
            self.compile_timeout,
            self.compile_memory,
            self.profile.as_str()
        )
    }
}

/// The keys a dependency of the snippets may have: what picks a published crate and its
/// features. `path` would compile (and, in a build script, run) files from anywhere on the
/// machine, `git` and `registry-index` would fetch from anywhere; book.toml is not trusted to
/// choose either.
const DEPENDENCY_KEYS: &[&str] = &["version", "features", "default-features", "package"];

/// The dependencies that come from the user's registries; a `snippet-dependency-refused` error for each
/// other one, which is left out.
fn registry_dependencies(table: &toml::Table) -> (toml::Table, Vec<Diagnostic>) {
    let mut kept = toml::Table::new();
    let mut diags = Vec::new();
    for (name, spec) in table {
        let bad_key = match spec {
            toml::Value::String(_) => None,
            toml::Value::Table(t) => t.keys().find(|k| !DEPENDENCY_KEYS.contains(&k.as_str())),
            _ => Some(name),
        };
        match bad_key {
            None => {
                kept.insert(name.clone(), spec.clone());
            }
            Some(key) => diags.push(
                Diagnostic::new(
                    Code::SnippetDependencyRefused,
                    format!("the snippet dependency `{name}` is left out: `{key}` is not allowed"),
                )
                .in_file(PathBuf::from(CONFIG_FILE))
                .with_help(
                    "snippet dependencies are published crates: a version (`1.2`) or a table of \
                     version, features, default-features and package",
                ),
            ),
        }
    }
    (kept, diags)
}

/// `"64KiB"`, `"1 MB"`, `"512MiB"`, `"1G"` or a plain integer → bytes.
pub(crate) fn parse_size(value: &toml::Value) -> Option<u64> {
    if let Some(n) = value.as_integer() {
        return u64::try_from(n).ok();
    }
    let s = value.as_str()?.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let num: u64 = num.parse().ok()?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return None,
    };
    num.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_defaults() {
        let t: toml::Table =
            toml::from_str("timeout = 3\nmax-output = \"1KiB\"\nmemory = \"256MiB\"\nbogus = 1")
                .unwrap();
        let (s, d) = Settings::from_table(&t);
        assert_eq!(s.timeout, 3);
        assert_eq!(s.max_output, 1024);
        assert_eq!(s.memory, 256 << 20);
        assert_eq!(d.len(), 1);
        assert_eq!(
            parse_size(&toml::Value::String("2 GB".into())),
            Some(2 << 30)
        );
        assert_eq!(parse_size(&toml::Value::String("2 parsecs".into())), None);
    }

    #[test]
    fn profile_is_read_and_keyed() {
        let (dev, d) = Settings::from_table(&toml::Table::new());
        assert!(d.is_empty());
        assert_eq!(dev.profile, Profile::Dev);
        let t: toml::Table = toml::from_str("profile = \"release\"").unwrap();
        let (release, d) = Settings::from_table(&t);
        assert!(d.is_empty());
        assert_eq!(release.profile, Profile::Release);
        assert_ne!(dev.cache_key(), release.cache_key());
        let t: toml::Table = toml::from_str("profile = \"fast\"").unwrap();
        let (bad, d) = Settings::from_table(&t);
        assert_eq!((bad.profile, d.len()), (Profile::Dev, 1));
    }
}
