//! Freed memory handed back to the operating system between the phases of a large build.
//!
//! The binary's allocator (mimalloc, see `main.rs`) keeps what a thread frees for that thread
//! to reuse, and returns it to the system only as the thread allocates again. A phase that
//! ends frees most of what it held on the pool's threads (a 100 MB note's parse, its pages),
//! and the next phase, on other threads or in other sizes, does not reuse it: measured on
//! `bench bignote 100`, the search index then grew the build to 1.42 GB, against 1.07 GB with
//! the memory released before it. So a build releases between phases, on every thread that
//! worked. Elsewhere (the library under a test, whose allocator is the system's) it costs a
//! call into an allocator that holds nothing.

/// Hands the memory freed on the calling thread and on every thread of rayon's pool back to
/// the system. A few milliseconds; for the ends of phases, not for loops.
pub(crate) fn release() {
    rayon::broadcast(|_| collect());
    collect();
}

/// `mi_collect(true)`: mimalloc frees what it holds for this thread and returns it.
fn collect() {
    // SAFETY: mi_collect takes no pointer and may be called on any thread at any time; it
    // only walks the calling thread's own heap.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

/// Turns transparent huge pages off for this process (and the processes it starts), as
/// `MIMALLOC_ALLOW_THP=0` would, unless that variable says otherwise; called first in `main`.
///
/// mimalloc asks for huge pages on its arenas (`MADV_HUGEPAGE`), and with the kernel's usual
/// `defrag=madvise` a fault in such a region compacts memory first when no free 2 MiB page is
/// at hand (`perf`: 28% of a slow run's samples zeroing huge pages on fault). Measured on the 2-core
/// machine, 10,000-note `emit` to tmpfs after 10 s idle: 1.35–1.54 s with 0.85–0.99 s of
/// system time, against 1.15–1.17 s and 0.36–0.40 s with huge pages off; back to back,
/// 1.02–1.41 s against 1.14–1.30 s; a full `build` the same (4.69–4.95 s against 4.63–4.65 s).
/// The variable is mimalloc's own, read before `main` runs, too late to set from here: the
/// arenas it already made are covered by the process-wide switch only.
pub fn without_huge_pages() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // SAFETY: PR_SET_THP_DISABLE takes integers only and changes a flag of this process.
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        }
    }
}

/// Drops `value` on a thread of its own, so that the caller need not wait for it.
///
/// A run's notes, their resolution and its emitted tree are hundreds of thousands of blocks
/// (at 10,000 notes, some 340 MB), and freeing them one by one on the calling thread was the
/// last 40–50 ms of a 0.9 s `emit`, with the rest of the machine idle. A process that ends
/// before the thread is done loses nothing: the system takes the memory back whole.
pub(crate) fn free_later<T: Send + 'static>(value: T) {
    // Where no thread can be started, the closure, and `value` with it, is dropped here.
    let _ = std::thread::Builder::new()
        .name("vaultbook-free".into())
        .spawn(move || drop(value));
}
