//! A `build` that would render the same book again renders nothing: the second `vaultbook
//! build` of an unchanged book costs its analysis and assembly, not its render.
//!
//! After each build a record is kept beside the emitted source tree: a hash of everything the
//! render depends on (every emitted file, the stamps of every copied file, the render options,
//! this vaultbook executable) and the identity of the source tree and of the build dir as that
//! build left them (inode and modification time of the folders and of their manifests, and of
//! every file the build dir's manifest lists). The next build skips writing and rendering only
//! when its hash and both identities match: a build dir deleted or replaced, or any file of it
//! removed or written by anyone else, is rendered again.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::incremental::stamp;
use crate::emit::{Tree, output};
use crate::render::RenderOptions;

/// Where the record of the last build is kept (the work dir, beside `book-src`).
fn record_path(src: &Path) -> PathBuf {
    src.with_extension("rendered")
}

/// The hash of what the render of `tree` with `render` into `build_dir` depends on.
pub(super) fn fingerprint(tree: &Tree, render: &RenderOptions, build_dir: &Path) -> String {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    for (path, digest) in tree.digests() {
        field(path.as_bytes());
        field(digest);
    }
    for (path, source) in &tree.copies {
        field(path.as_bytes());
        field(source.as_os_str().as_encoded_bytes());
        field(format!("{:?}", stamp(source)).as_bytes());
    }
    field(format!("{render:?}").as_bytes());
    field(build_dir.as_os_str().as_encoded_bytes());
    // A vaultbook built anew may render differently.
    let exe = std::env::current_exe().ok();
    field(format!("{:?}", exe.as_deref().and_then(stamp)).as_bytes());
    let digest = h.finalize();
    crate::snippets::cache::hex(&digest)
}

/// The identity of a folder vaultbook wrote: the folder's stamp and its manifest's, and for the
/// build dir (`each_file`) a hash of the stamps of every file its manifest lists too. The
/// folder's own stamp sees only its top level: a page removed from a subfolder of the book, or
/// written there by hand, is seen only by the file's own stamp (at 10,000 notes, 30,000 files,
/// the unchanged build's check went from 35 to 66 ms). The emitted source needs no more: the build's
/// record of what it wrote there puts back what is missing ([`super::incremental`]).
fn identity(dir: &Path, each_file: bool) -> Option<String> {
    use rayon::prelude::*;
    use std::time::UNIX_EPOCH;
    let folder = stamp(dir)?;
    let manifest_path = dir.join(output::MANIFEST);
    let manifest = stamp(&manifest_path)?;
    if !each_file {
        return Some(format!("{folder:?} {manifest:?}"));
    }
    let listed = std::fs::read_to_string(&manifest_path).ok()?;
    let files: Vec<&str> = listed.lines().filter(|l| !l.is_empty()).collect();
    let stamps: Vec<Option<(u128, u64, u64)>> = files
        .par_iter()
        .map(|f| {
            let (modified, len, ino) = stamp(&dir.join(f))?;
            let nanos = modified?.duration_since(UNIX_EPOCH).ok()?.as_nanos();
            Some((nanos, len, ino))
        })
        .collect();
    let mut h = Sha256::new();
    for s in &stamps {
        match s {
            Some((nanos, len, ino)) => {
                h.update([1]);
                h.update(nanos.to_le_bytes());
                h.update(len.to_le_bytes());
                h.update(ino.to_le_bytes());
            }
            None => h.update([0]),
        }
    }
    let each = crate::snippets::cache::hex(&h.finalize());
    Some(format!("{folder:?} {manifest:?} {each}"))
}

/// What the last build's record says of `src` and the build dir as they are now, read once a
/// build (the build dir's identity stats every file of it).
pub(super) struct Recorded {
    /// The fingerprint the last build rendered, when both folders are still as it left them.
    fingerprint: Option<String>,
}

impl Recorded {
    /// Reads the record of the last build of `src` into `build_dir` and checks both folders.
    pub(super) fn read(src: &Path, build_dir: &Path) -> Recorded {
        let fingerprint = std::fs::read_to_string(record_path(src))
            .ok()
            .and_then(|record| {
                let (src_id, out_id) = (identity(src, false)?, identity(build_dir, true)?);
                let (fingerprint, ids) = record.split_once('\n')?;
                (ids == format!("{src_id}\n{out_id}\n")).then(|| fingerprint.to_string())
            });
        Recorded { fingerprint }
    }

    /// Whether the folders are still what the last build, which rendered `fingerprint`, left.
    pub(super) fn still_rendered(&self, fingerprint: &str) -> bool {
        self.fingerprint.as_deref() == Some(fingerprint)
    }

    /// Whether the folders are still the ones the last recorded build left, whatever it
    /// rendered: a build may then start from them.
    pub(super) fn same_folders(&self) -> bool {
        self.fingerprint.is_some()
    }
}

/// Records that `src` was rendered into `build_dir` from what `fingerprint` hashes. A record
/// that cannot be written only costs the next build its shortcut.
pub(super) fn record(src: &Path, build_dir: &Path, fingerprint: &str) {
    let path = record_path(src);
    match (identity(src, false), identity(build_dir, true)) {
        (Some(src_id), Some(out_id)) => {
            let _ = std::fs::write(&path, format!("{fingerprint}\n{src_id}\n{out_id}\n"));
        }
        _ => {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// Forgets the record: the build that follows changes the folders it names.
pub(super) fn forget(src: &Path) {
    let _ = std::fs::remove_file(record_path(src));
}
