//! finops: find and price what runs in AWS accounts.
//!
//! Data flows one way: parse (`cli`) -> resolve settings (`settings`) ->
//! pick a source (`cloud`: AWS, a snapshot or the demo fleet) -> scan and
//! recommend (`pipeline`, with `pricing` and `analysis`) -> render (`output`).

mod analysis;
mod aws;
mod cli;
mod cloud;
mod commands;
mod error;
mod inventory;
mod money;
mod notify;
mod output;
mod pipeline;
mod pricing;
mod progress;
mod report;
mod resize;
mod settings;
mod signals;
mod spend;
mod state;
mod sym;
mod sync;
mod urls;
mod watch;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

use crate::cli::{Cli, Command};
use crate::error::{ExitStatus, is_broken_pipe};
use crate::output::Printer;
use crate::settings::Settings;

/// Run finops with these arguments and return the process exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => return clap_error(e),
    };
    if let Command::Completions(a) = cli.command {
        // Completions need no settings: a broken config file must not stop them.
        let printer = Printer::plain();
        return finish(commands::completions::run(a, &printer));
    }
    let mut settings = match Settings::resolve(&cli.global, &|k| std::env::var(k).ok()) {
        Ok(s) => s,
        Err(e) => return finish(Err(e.into())),
    };
    if !matches!(
        cli.command,
        Command::Pricing(_) | Command::Config | Command::Savings
    ) && let Err(e) = settings.check_regions_for_aws()
    {
        return finish(Err(e.into()));
    }
    // A demo run keeps its state (outbox, watch history) in a temporary
    // directory removed at exit: it never reads or writes the user's.
    let demo = match &cli.command {
        Command::Scan(a) => a.demo,
        Command::Recommend(a) => a.demo,
        Command::Sync(a) => a.demo,
        Command::Watch(a) => a.demo,
        Command::Spend(a) => a.demo,
        Command::Report(a) => a.demo,
        _ => false,
    };
    let _demo_state = if demo {
        match settings.use_temporary_state() {
            Ok(dir) => Some(dir),
            Err(e) => return finish(Err(e)),
        }
    } else {
        None
    };
    init_logging(&settings);
    let printer = Printer::new(output::Style {
        format: settings.output,
        quiet: settings.quiet,
        verbose: settings.verbose,
        progress: settings.progress,
        wide: settings.wide,
    });
    let result = match cli.command {
        Command::Pricing(a) => commands::pricing::run(a, &settings, &printer),
        Command::Sync(a) => {
            runtime().and_then(|rt| rt.block_on(commands::sync::run(a, &settings, &printer)))
        }
        Command::Recommend(a) => {
            runtime().and_then(|rt| rt.block_on(commands::recommend::run(a, &settings, &printer)))
        }
        Command::Resize(a) => {
            runtime().and_then(|rt| rt.block_on(commands::resize::run(a, &settings, &printer)))
        }
        Command::Savings => commands::savings::run(&settings, &printer),
        Command::Report(a) => {
            runtime().and_then(|rt| rt.block_on(commands::report::run(a, &settings, &printer)))
        }
        Command::Spend(a) => {
            runtime().and_then(|rt| rt.block_on(commands::spend::run(a, &settings, &printer)))
        }
        Command::Config => commands::config::run(&settings, &printer),
        Command::Scan(a) => {
            runtime().and_then(|rt| rt.block_on(commands::scan::run(a, &settings, &printer)))
        }
        Command::Watch(a) => {
            runtime().and_then(|rt| rt.block_on(commands::watch::run(a, &settings, &printer)))
        }
        Command::Completions(_) => unreachable!("handled above"),
    };
    if settings.verbose >= 1
        && let Some(kib) = progress::proc_status_kib("VmHWM")
    {
        eprintln!("peak memory: {:.1} MiB", kib as f64 / 1024.0);
    }
    finish(result)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn finish(result: anyhow::Result<ExitStatus>) -> ExitCode {
    match result {
        Ok(status) => status.into(),
        Err(e) if is_broken_pipe(&e) => ExitStatus::Success.into(),
        Err(e) => {
            let (status, text) = output::report(&e);
            eprintln!("{text}");
            status.into()
        }
    }
}

/// clap's own errors, reshaped into finops' `error:` + `hint:` lines (exit 2);
/// --help and --version print as usual (exit 0).
fn clap_error(e: clap::Error) -> ExitCode {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            return ExitStatus::Success.into();
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return ExitStatus::Usage.into();
        }
        _ => {}
    }
    let text = e.render().to_string();
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .peekable();
    let mut first = lines
        .next()
        .unwrap_or("error: invalid arguments")
        .to_string();
    if !first.starts_with("error:") {
        first = format!("error: {first}");
    }
    // "the following required arguments were not provided:" lists them below.
    let mut missing = Vec::new();
    if first.ends_with(':') {
        while let Some(l) = lines.next_if(|l| l.starts_with('<') || l.starts_with("--")) {
            missing.push(l.to_string());
        }
        if !missing.is_empty() {
            first = format!("{first} {}", missing.join(", "));
        }
    }
    let mut hints: Vec<String> = Vec::new();
    let mut usage = None;
    for l in lines {
        if let Some(t) = l.strip_prefix("tip: ") {
            hints.push(t.to_string());
        } else if l.starts_with('[') && l.contains("possible values") {
            hints.push(l.trim_matches(|c| c == '[' || c == ']').to_string());
        } else if let Some(u) = l.strip_prefix("Usage: ") {
            usage = Some(format!("usage: {u}"));
        }
    }
    if hints.is_empty() {
        hints.push(match usage {
            Some(u) if !missing.is_empty() => u,
            _ => "see `finops --help`".to_string(),
        });
    }
    eprintln!("{first}\nhint: {}", hints.join("; "));
    ExitStatus::Usage.into()
}

fn init_logging(settings: &Settings) {
    // The SDK's own warnings are for -v and up: finops reports what matters itself.
    let filter = match (settings.quiet, settings.verbose) {
        (true, _) => "off",
        (_, 0) => "finops=warn,off",
        (_, 1) => "finops=info,warn",
        (_, 2) => "finops=debug,aws_config=info,warn",
        _ => "debug",
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FINOPS_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}
