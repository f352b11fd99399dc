//! glibc malloc tuning, applied once before the server's threads allocate much.
//!
//! - Allocations of 256 KiB and more are mapped and unmapped on free. glibc's default raises
//!   that threshold to the size of the last large block freed, after which each argon2 block
//!   (19 MiB) and each decoded selfie (~1 MB) comes from the heap and is kept: measured +19.5 MB
//!   resident per login, 350 MB after 250 logins; with the threshold fixed, flat.
//! - At most two arenas: photos are received, hashed, decoded and written on many tokio and
//!   blocking threads, and glibc gives each a fragmented arena of its own. The busy-day benchmark
//!   (BENCHMARKS.md) ended at 443 MB resident with the default and 294 MB with two arenas.

use std::sync::Once;

static TUNED: Once = Once::new();

/// Idempotent; a no-op off glibc.
pub fn tune() {
    TUNED.call_once(|| {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: mallopt only changes the allocator's tuning and takes plain integers.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    });
}
