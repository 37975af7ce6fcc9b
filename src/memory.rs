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
