//! The `finops` binary: everything lives in the library; this only hands over.

use std::process::ExitCode;

fn main() -> ExitCode {
    fixed_malloc_thresholds();
    finops::run(std::env::args_os())
}

/// glibc's malloc raises its mmap threshold each time a large block is freed
/// (up to 32 MiB), after which large buffers (HTTP bodies, a fleet's
/// vectors) come from the heap and stay there when freed. Fixed thresholds
/// keep them in their own mappings, given back when freed, and trim the
/// heap's free top: ~11 MB less peak memory for recommend at 84,280
/// resources (README: Benchmark).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn fixed_malloc_thresholds() {
    const THRESHOLD: libc::c_int = 128 * 1024;
    // SAFETY: mallopt only changes malloc's tunables; it is called before
    // any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, THRESHOLD);
        libc::mallopt(libc::M_TRIM_THRESHOLD, THRESHOLD);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn fixed_malloc_thresholds() {}
