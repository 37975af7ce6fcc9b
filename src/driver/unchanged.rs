//! A `build` that would render the same book again renders nothing: the second `vaultbook
//! build` of an unchanged book costs its analysis and assembly, not its render.
//!
//! After each build a record is kept beside the emitted source tree: a hash of everything the
//! render depends on (every emitted file, the stamps of every copied file, the render options,
//! this vaultbook executable) and the identity of the source tree and of the build dir as that
//! build left them (inode and modification time of the folders and of their manifests). The
//! next build skips writing and rendering only when its hash and both identities match: a
//! build dir deleted, replaced or written into at its top level by anyone else is rendered
//! again.

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
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The identity of a folder vaultbook wrote: the folder's stamp and its manifest's.
fn identity(dir: &Path) -> Option<String> {
    let folder = stamp(dir)?;
    let manifest = stamp(&dir.join(output::MANIFEST))?;
    Some(format!("{folder:?} {manifest:?}"))
}

/// Whether `build_dir` and `src` are still what the build recorded with `fingerprint` left.
pub(super) fn still_rendered(src: &Path, build_dir: &Path, fingerprint: &str) -> bool {
    let Ok(record) = std::fs::read_to_string(record_path(src)) else {
        return false;
    };
    let (Some(src_id), Some(out_id)) = (identity(src), identity(build_dir)) else {
        return false;
    };
    record == format!("{fingerprint}\n{src_id}\n{out_id}\n")
}

/// Whether `src` and `build_dir` are still the folders the last recorded build left, whatever
/// it rendered: a build may then start from them.
pub(super) fn same_folders(src: &Path, build_dir: &Path) -> bool {
    let Ok(record) = std::fs::read_to_string(record_path(src)) else {
        return false;
    };
    let (Some(src_id), Some(out_id)) = (identity(src), identity(build_dir)) else {
        return false;
    };
    record
        .split_once('\n')
        .is_some_and(|(_, ids)| ids == format!("{src_id}\n{out_id}\n"))
}

/// Records that `src` was rendered into `build_dir` from what `fingerprint` hashes. A record
/// that cannot be written only costs the next build its shortcut.
pub(super) fn record(src: &Path, build_dir: &Path, fingerprint: &str) {
    let path = record_path(src);
    match (identity(src), identity(build_dir)) {
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
