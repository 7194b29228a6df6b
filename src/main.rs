//! The `finops` binary: everything lives in the library; this only hands over.

use std::process::ExitCode;

fn main() -> ExitCode {
    finops::run(std::env::args_os())
}
