//! A per-user secret that seals what vaultbook keeps inside a book's tree: the cached snippet
//! results and the snippet project with its built binaries.
//!
//! Both live in the work dir (`target/vaultbook` by default), and so inside the repository. A
//! pull request can commit files there: a cache entry that says an honest snippet printed
//! `2 + 2 = 5`, or a prebuilt "snippet" binary with cargo's fingerprints beside it. Without a
//! seal vaultbook would show the first and run the second. So every cache entry carries an
//! HMAC-SHA256 tag under a key only this user has (`$XDG_CACHE_HOME/vaultbook/seal-key`, made on
//! first use, mode 600), and the snippet project carries a tag of its own path: an entry whose
//! tag does not verify is a miss, and a project folder without a valid tag was not made by us and
//! is rebuilt from nothing. Where no key can be kept, a key for this process alone is used (the
//! cache then lasts as long as the process, e.g. a `serve` session).

use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The name of the tag file in a sealed folder.
const DIR_TAG: &str = ".vaultbook-seal";

/// The user's sealing key.
pub(crate) struct Seal {
    key: [u8; 32],
}

impl Seal {
    /// The key of this user, loaded or made once per process.
    pub(crate) fn get() -> &'static Seal {
        static SEAL: OnceLock<Seal> = OnceLock::new();
        SEAL.get_or_init(|| Seal {
            key: stored_key().unwrap_or_else(|_| random_key()),
        })
    }

    /// The hex tag of `data` in the domain `what` (so that a tag of one kind never verifies as
    /// another).
    pub(crate) fn tag(&self, what: &str, data: &[u8]) -> String {
        super::cache::hex(&self.mac(what, data).finalize().into_bytes())
    }

    /// Whether `tag` is the tag of `data` in the domain `what` (compared in constant time).
    pub(crate) fn verify(&self, what: &str, data: &[u8], tag: &str) -> bool {
        let Some(bytes) = super::cache::unhex(tag) else {
            return false;
        };
        self.mac(what, data).verify_slice(&bytes).is_ok()
    }

    fn mac(&self, what: &str, data: &[u8]) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .expect("HMAC takes a key of any length");
        mac.update(&(what.len() as u64).to_le_bytes());
        mac.update(what.as_bytes());
        mac.update(data);
        mac
    }

    /// Makes sure `dir` is a folder this user's vaultbook made: when its tag is missing or
    /// wrong, whatever is there is removed and the folder is made anew, tagged.
    pub(crate) fn claim_dir(&self, dir: &Path) -> io::Result<()> {
        let what = "snippet project";
        let id = dir.as_os_str().as_encoded_bytes();
        let tag_file = dir.join(DIR_TAG);
        if std::fs::read_to_string(&tag_file).is_ok_and(|t| self.verify(what, id, t.trim())) {
            return Ok(());
        }
        match std::fs::symlink_metadata(dir) {
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(dir)?,
            Ok(_) => std::fs::remove_file(dir)?,
            Err(_) => {}
        }
        std::fs::create_dir_all(dir)?;
        std::fs::write(tag_file, self.tag(what, id))
    }
}

/// The user's stored key, made on first use.
fn stored_key() -> io::Result<[u8; 32]> {
    let dir = cache_home()
        .ok_or_else(|| io::Error::other("no cache folder"))?
        .join("vaultbook");
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)?;
    let path = dir.join("seal-key");
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
    {
        Ok(mut f) => {
            let key = random_key();
            f.write_all(&key)?;
            return Ok(key);
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)?;
    let meta = f.metadata()?;
    // SAFETY: geteuid has no preconditions.
    if meta.uid() != unsafe { libc::geteuid() } || meta.mode() & 0o077 != 0 {
        return Err(io::Error::other("the seal key is not this user's alone"));
    }
    let mut key = [0u8; 32];
    f.read_exact(&mut key)?;
    Ok(key)
}

/// `$XDG_CACHE_HOME`, else `$HOME/.cache` (the user's environment: trusted).
fn cache_home() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
}

/// 32 bytes from the kernel's random source.
fn random_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut key))
        .is_err()
    {
        // No /dev/urandom: the time and the pid are still unknown to a repository's author.
        let seed = format!("{:?}{}", std::time::SystemTime::now(), std::process::id());
        key.copy_from_slice(&<Sha256 as sha2::Digest>::digest(seed.as_bytes()));
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_verify_only_their_own_data_and_domain() {
        let seal = Seal { key: [7; 32] };
        let tag = seal.tag("cache", b"{\"output\":\"4\"}");
        assert!(seal.verify("cache", b"{\"output\":\"4\"}", &tag));
        assert!(!seal.verify("cache", b"{\"output\":\"5\"}", &tag));
        assert!(!seal.verify("snippet project", b"{\"output\":\"4\"}", &tag));
        assert!(!seal.verify("cache", b"{\"output\":\"4\"}", "00"));
        assert!(!Seal { key: [8; 32] }.verify("cache", b"{\"output\":\"4\"}", &tag));
    }
}
