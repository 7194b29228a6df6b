//! `finops completions SHELL`: shell completion scripts generated from the CLI.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::error::ExitStatus;
use crate::output::Printer;

/// The completion script for a shell, as committed under `completions/`.
pub(crate) fn script(shell: clap_complete::Shell) -> String {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "finops", &mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

pub(crate) fn run(args: CompletionsArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let CompletionsArgs { shell } = args;
    printer.out(&script(shell))?;
    Ok(ExitStatus::Success)
}
