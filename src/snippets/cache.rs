//! The content-addressed result cache: one JSON file per key under `<work_dir>/snippets/cache`.
//!
//! The key hashes everything a result depends on (the code with hidden lines, the attributes,
//! the edition, the dependency set, the limits and `rustc -vV`) and, for a snippet that runs as a
//! module of a merged binary, the names of every other unit linked into that binary: a result is
//! never reused once the binary that produced it would hold different code. So an entry is never
//! stale: it is either found and right, or not found. Nothing is evicted; deleting the folder is
//! safe.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::run::RunRecord;
use super::seal::Seal;

/// Bump when the meaning of a stored result changes.
const FORMAT: &str = "vaultbook-snippets-cache-v4";

/// How a snippet's compilation went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Compiled {
    /// Compiled.
    Ok,
    /// rustc rejected it: the rendered errors (paths normalised) and their error codes.
    Error {
        /// rustc's error messages, as it renders them.
        rendered: String,
        /// The `E0XXX` codes among them.
        codes: Vec<String>,
    },
    /// Its compilation passed the compile timeout (a const evaluation, macro or build script that
    /// does not end) and was stopped.
    TimedOut {
        /// The compile timeout, in seconds.
        seconds: u64,
    },
}

/// Everything recorded about one snippet: how it compiled, and each run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Recorded {
    /// The compilation result.
    pub compiled: Compiled,
    /// One record per run (none for `no_run`, `compile_fail` or a compile error).
    pub runs: Vec<RunRecord>,
}

/// A hex SHA-256 over the parts, each length-prefixed so that no two part lists collide.
pub(crate) fn key(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(FORMAT.as_bytes());
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    hex(&h.finalize())
}

/// Lowercase hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Lowercase or uppercase hex → bytes.
pub(crate) fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A SHA-256 from its hex.
pub(crate) fn unhex_digest(s: &str) -> Option<[u8; 32]> {
    unhex(s)?.try_into().ok()
}

/// The cache folder of one book.
#[derive(Debug, Clone)]
pub(crate) struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// The cache under `snippets_dir` (created lazily, on the first store).
    pub(crate) fn new(snippets_dir: &Path) -> Cache {
        Cache {
            dir: snippets_dir.join("cache"),
        }
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(&key[..2]).join(format!("{key}.json"))
    }

    /// The stored result for `key`; a missing, unreadable or unsealed entry is a miss.
    ///
    /// An entry is its [`Seal`] tag on the first line, then the JSON. The tag covers the key
    /// and the JSON, so an entry planted in the book's tree, or moved from one key to another,
    /// never verifies.
    pub(crate) fn get(&self, key: &str) -> Option<Recorded> {
        let text = std::fs::read(self.path(key)).ok()?;
        let newline = text.iter().position(|&b| b == b'\n')?;
        let (tag, json) = (
            std::str::from_utf8(&text[..newline]).ok()?,
            &text[newline + 1..],
        );
        Seal::get()
            .verify("cache", &[key.as_bytes(), b"\0", json].concat(), tag)
            .then(|| serde_json::from_slice(json).ok())?
    }

    /// Stores a result; written to a temporary file and renamed, so a crash leaves no half entry.
    pub(crate) fn put(&self, key: &str, value: &Recorded) -> std::io::Result<()> {
        let path = self.path(key);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let json = serde_json::to_vec(value)?;
        let tag = Seal::get().tag("cache", &[key.as_bytes(), b"\0", &json].concat());
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, [tag.as_bytes(), b"\n", &json].concat())?;
        std::fs::rename(&tmp, &path)
    }
}
