//! Fuzzes `harness::frontmatter` (see ../harness.rs); `tests/testsuite/props.rs` runs the corpus on stable.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    harness::frontmatter(data);
});
