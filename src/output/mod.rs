//! The Printer owns stdout and stderr: data goes to stdout, everything else
//! (progress, notes, warnings) to stderr, gated by quiet/verbose/progress.

pub(crate) mod config;
pub(crate) mod fit;
pub(crate) mod pricing;
pub(crate) mod recommend;
pub(crate) mod report;
pub(crate) mod resize;
pub(crate) mod safe;
pub(crate) mod savings;
pub(crate) mod scan;
pub(crate) mod spend;
pub(crate) mod sync;
pub(crate) mod watch;

use std::io::{IsTerminal, Write};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::error::{self, ExitStatus};
use crate::inventory::{AccountEntry, AccountStatus};

/// How results are written: chosen once per run (`--output`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Format {
    Table,
    Json,
    Csv,
}

impl Format {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Csv => "csv",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Printer {
    pub(crate) format: Format,
    quiet: bool,
    verbose: u8,
    progress: bool,
    stdout_tty: bool,
    /// The terminal's width when tables must fit it (stdout is a terminal
    /// and not `--wide`); None shows every column whole.
    width: Option<usize>,
}

/// The width of the terminal on stdout: COLUMNS when set (as `ls` and
/// Python read it), else the terminal's own size, else 80.
fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&w| w > 0)
        .or_else(|| {
            comfy_table::Table::new()
                .width()
                .map(usize::from)
                .filter(|&w| w > 0)
        })
        .unwrap_or(80)
}

/// How the user asked output to look (from the resolved settings).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    pub(crate) format: Format,
    pub(crate) quiet: bool,
    pub(crate) verbose: u8,
    /// Progress bars wanted (they are drawn only on a terminal, for tables).
    pub(crate) progress: bool,
    /// Every column whole, even past the terminal's width.
    pub(crate) wide: bool,
}

impl Printer {
    pub(crate) fn new(style: Style) -> Self {
        let Style {
            format,
            quiet,
            verbose,
            progress,
            wide,
        } = style;
        let stderr_tty = std::io::stderr().is_terminal();
        let stdout_tty = std::io::stdout().is_terminal();
        Printer {
            format,
            quiet,
            verbose,
            progress: progress && !quiet && stderr_tty && format == Format::Table,
            stdout_tty,
            width: (stdout_tty && !wide).then(terminal_width),
        }
    }

    /// A printer for commands that need no settings (completions).
    pub(crate) fn plain() -> Self {
        Printer {
            format: Format::Table,
            quiet: false,
            verbose: 0,
            progress: false,
            stdout_tty: false,
            width: None,
        }
    }

    /// Write data to stdout. A closed pipe surfaces as an io::Error that the
    /// top level treats as success.
    pub(crate) fn out(&self, text: &str) -> std::io::Result<()> {
        // Tables and text (and CSV on a terminal) lose any escape sequences
        // from names, tags and server messages; CSV to a file keeps its data.
        let text = if matches!(self.format, Format::Csv) && !self.stdout_tty {
            std::borrow::Cow::Borrowed(text)
        } else {
            safe::text(text)
        };
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())?;
        if !text.ends_with('\n') {
            out.write_all(b"\n")?;
        }
        out.flush()
    }

    /// Write a value as pretty JSON to stdout, streamed: a fleet's report is
    /// never held in memory as one string.
    pub(crate) fn json<T: Serialize>(&self, value: &T) -> anyhow::Result<()> {
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
        serde_json::to_writer_pretty(&mut out, value).map_err(std::io::Error::from)?;
        out.write_all(b"\n")?;
        out.flush()?;
        Ok(())
    }

    /// A status line on stderr, hidden by --quiet.
    pub(crate) fn info(&self, msg: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("{}", safe::text(msg.as_ref()));
        }
    }

    pub(crate) fn warn(&self, msg: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("warning: {}", safe::text(msg.as_ref()));
        }
    }

    /// Detail for -v (level 1) and -vv (level 2).
    pub(crate) fn detail(&self, level: u8, msg: impl AsRef<str>) {
        if self.verbose >= level {
            eprintln!("{}", safe::text(msg.as_ref()));
        }
    }

    /// A progress bar on stderr when it is a terminal and progress is wanted;
    /// otherwise a hidden bar that costs nothing.
    pub(crate) fn progress_bar(&self, len: u64, msg: &str) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        let pb = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        pb.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        pb.set_message(msg.to_string());
        pb.enable_steady_tick(std::time::Duration::from_millis(120));
        pb
    }

    /// A spinner on stderr for one step of a long change, where bars are shown.
    pub(crate) fn spinner(&self, msg: &str) -> Option<ProgressBar> {
        self.progress.then(|| {
            let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            pb.set_style(
                ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            pb.set_message(msg.to_string());
            pb.enable_steady_tick(std::time::Duration::from_millis(120));
            pb
        })
    }

    /// A set of progress bars on stderr, or None where bars are not shown.
    pub(crate) fn multi_progress(&self) -> Option<indicatif::MultiProgress> {
        self.progress
            .then(|| indicatif::MultiProgress::with_draw_target(ProgressDrawTarget::stderr()))
    }

    /// A table rendered to fit the terminal (see [`fit`]), with its
    /// footnotes and hidden columns under it.
    pub(crate) fn grid(&self, grid: &fit::Grid) -> String {
        grid.render(self.table(), self.width)
    }

    /// Text under a table, wrapped at spaces to the terminal's width (ids
    /// and amounts are never split); continuation lines are indented.
    pub(crate) fn prose(&self, text: &str) -> String {
        fit::wrap(text, self.width, 2)
    }

    pub(crate) fn table(&self) -> comfy_table::Table {
        let mut t = comfy_table::Table::new();
        if self.stdout_tty {
            t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
        } else {
            t.load_style(comfy_table::presets::ASCII_MARKDOWN);
        }
        t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
        t
    }
}

/// $1,234.56: dollars rounded half away from zero to `dp` places, with separators.
/// Bars and notes for the layers below the commands.
impl crate::progress::Progress for Printer {
    fn note(&self, msg: &str) {
        self.info(msg);
    }
    fn warning(&self, msg: &str) {
        self.warn(msg);
    }
    fn verbose(&self, level: u8, msg: &str) {
        self.detail(level, msg);
    }
    fn verbosity(&self) -> u8 {
        self.verbose
    }
    fn counter(&self, len: u64, what: &str) -> Box<dyn crate::progress::Counter> {
        Box::new(self.progress_bar(len, what))
    }
    fn counters(&self, items: &[(String, u64)]) -> Vec<Box<dyn crate::progress::Counter>> {
        let Some(mp) = self.multi_progress() else {
            return Vec::new();
        };
        items
            .iter()
            .map(|(label, n)| {
                let pb = mp.add(ProgressBar::new(*n));
                pb.set_style(
                    ProgressStyle::with_template("{msg:<28} [{bar:30}] {pos}/{len}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                );
                pb.set_message(label.clone());
                Box::new(pb) as Box<dyn crate::progress::Counter>
            })
            .collect()
    }
}

impl crate::progress::Counter for ProgressBar {
    fn inc(&self, n: u64) {
        ProgressBar::inc(self, n);
    }
    fn clear(&self) {
        self.finish_and_clear();
    }
}

pub(crate) use crate::money::{usd, usd_hourly};

/// Money in CSV: to the cent (half away from zero), e.g. `140.16`, `0.00`.
pub(crate) fn csv_cents(v: Decimal) -> String {
    format!(
        "{:.2}",
        v.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
    )
}

/// A rate in CSV: its own decimals, at most 6 (`0.192`, `0.027397`).
pub(crate) fn csv_rate(v: Decimal) -> String {
    v.round_dp_with_strategy(6, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
        .to_string()
}

pub(crate) fn right(cell: impl Into<String>) -> comfy_table::Cell {
    comfy_table::Cell::new(cell.into()).set_alignment(comfy_table::CellAlignment::Right)
}

/// A resource id as tables show it: a load balancer ARN by its type/name/id.
pub(crate) fn short_id(id: &str) -> &str {
    id.split_once(":loadbalancer/").map_or(id, |(_, rest)| rest)
}

/// More than one account is in the run: the report lists several, or its
/// rows name several (a snapshot saved without its list of accounts).
pub(crate) fn several_accounts<'a>(
    accounts: &[AccountEntry],
    rows: impl IntoIterator<Item = Option<&'a str>>,
) -> bool {
    if accounts.len() > 1 {
        return true;
    }
    let mut first: Option<&str> = None;
    for a in rows.into_iter().flatten() {
        match first {
            None => first = Some(a),
            Some(f) if f != a => return true,
            Some(_) => {}
        }
    }
    false
}

/// The account in front of a line under a table (`123456789012 `), when
/// the run has several.
pub(crate) fn account_prefix(account: Option<&str>, several: bool) -> String {
    match account {
        Some(a) if several => format!("{a} "),
        None if several => "(no account) ".to_string(),
        _ => String::new(),
    }
}

/// One account's line of a by-account table: how many resources or
/// findings, and their dollars a month.
#[derive(Debug, Clone, Default)]
pub(crate) struct AccountSum {
    pub(crate) count: usize,
    pub(crate) monthly: Decimal,
}

/// The label of the by-account row for what no account claims.
const NO_ACCOUNT: &str = "(no account)";

/// The by-account table: every account of the run in its order, failed and
/// skipped ones too (with their error), then any account only the rows
/// name, then what no account claims (key ""); and a TOTAL row, `total`,
/// which the rows add up to when `sums` covers every row of the report.
pub(crate) fn accounts_table(
    p: &Printer,
    accounts: &[AccountEntry],
    mut sums: std::collections::BTreeMap<String, AccountSum>,
    headers: [&'static str; 2],
    total: &AccountSum,
) -> String {
    let errors = accounts.iter().any(|a| a.error.is_some());
    let mut columns = vec![
        fit::Column::whole("ACCOUNT", fit::REQUIRED),
        fit::Column::text("NAME", 50, 8),
        fit::Column::whole("STATUS", 60),
        fit::Column::money(headers[0], 40),
        fit::Column::money(headers[1], fit::REQUIRED),
    ];
    if errors {
        columns.push(fit::Column::text("ERROR", 30, 12));
    }
    let mut g = fit::Grid::new(columns);
    let row = |cells: [String; 6]| {
        let mut cells = Vec::from(cells);
        cells.truncate(if errors { 6 } else { 5 });
        cells
    };
    for a in accounts {
        let sum = sums.remove(a.id.as_ref());
        let status = match a.status {
            AccountStatus::Scanned => "scanned",
            AccountStatus::Failed => "failed",
            AccountStatus::Skipped => "skipped",
        };
        let (count, money) = match (sum, a.status) {
            (Some(s), _) => (s.count.to_string(), usd(s.monthly, 2)),
            (None, AccountStatus::Scanned) => ("0".into(), usd(Decimal::ZERO, 2)),
            (None, _) => ("-".into(), "-".into()),
        };
        g.row(row([
            a.id.to_string(),
            a.name.as_deref().unwrap_or_default().to_string(),
            status.to_string(),
            count,
            money,
            a.error.as_deref().map(error::one_line).unwrap_or_default(),
        ]));
    }
    for (id, s) in sums {
        g.row(row([
            if id.is_empty() {
                NO_ACCOUNT.to_string()
            } else {
                id
            },
            String::new(),
            String::new(),
            s.count.to_string(),
            usd(s.monthly, 2),
            String::new(),
        ]));
    }
    g.total(row([
        "TOTAL".into(),
        String::new(),
        String::new(),
        total.count.to_string(),
        usd(total.monthly, 2),
        String::new(),
    ]));
    p.grid(&g)
}

/// One line for a resource without a list price: where, what and why (and
/// which account, when the run has several).
pub(crate) fn unpriced_line(u: &crate::pricing::fleet::UnpricedEntry, several: bool) -> String {
    format!(
        "  {}{} {} ({} {}): {}\n",
        account_prefix(u.account_id.as_deref(), several),
        u.region,
        short_id(&u.id),
        u.kind.name(),
        u.type_,
        u.reason
    )
}

/// Classify an error into an exit status and the lines to print on stderr.
pub(crate) fn report(err: &anyhow::Error) -> (ExitStatus, String) {
    let (status, text) = error::explained(err)
        .or_else(|| {
            crate::state::explain_busy(err).map(|(message, hint)| {
                (
                    ExitStatus::Failure,
                    format!("error: {}\nhint: {hint}", error::one_line(&message)),
                )
            })
        })
        .unwrap_or_else(|| error::failure(err));
    // Messages quote names, paths and server answers: nothing in them may
    // drive the terminal.
    (status, safe::text(&text).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn money_formatting() {
        assert_eq!(usd(dec!(140.16), 2), "$140.16");
        assert_eq!(usd(dec!(1234567.005), 2), "$1,234,567.01");
        assert_eq!(usd(dec!(0), 2), "$0.00");
        assert_eq!(usd(dec!(-12.5), 2), "-$12.50");
        assert_eq!(usd(dec!(999.999), 2), "$1,000.00");
        assert_eq!(usd_hourly(dec!(0.192)), "$0.192");
        assert_eq!(usd_hourly(dec!(0.0456)), "$0.0456");
        assert_eq!(usd_hourly(dec!(2)), "$2.00");
        assert_eq!(usd_hourly(dec!(0.0273972602739726)), "$0.027397");
        assert_eq!(csv_cents(dec!(140.16)), "140.16");
        assert_eq!(csv_cents(dec!(0)), "0.00");
        assert_eq!(csv_cents(dec!(8.005)), "8.01");
        assert_eq!(csv_cents(dec!(32.99999999999999999999999999)), "33.00");
        assert_eq!(csv_rate(dec!(0.1920)), "0.192");
        assert_eq!(csv_rate(dec!(0.0273972602739726)), "0.027397");
        assert_eq!(csv_rate(dec!(2)), "2");
    }
}
