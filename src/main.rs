//! `ssofresh`: see the library (`src/lib.rs`) for how it is built.

// musl's malloc (mallocng) is built for hardening and small footprints, not speed: in the
// static release builds it took a third of a no-op tick's instructions and an mmap/munmap pair
// for most early allocations. dlmalloc (the allocator Rust's own wasm targets use) serves them
// from a few mappings. The children this process spawns allocate nothing between fork and exec
// (std's Command, src/sys/detach.rs), so the allocator's lock needs no fork handler.
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOC: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

fn main() -> std::process::ExitCode {
    ssofresh::run()
}
