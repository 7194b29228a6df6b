//! Command-line types (clap derive) only; `settings` turns them into plain values.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::inventory::Service;

#[derive(Debug, Parser)]
#[command(
    name = "finops",
    version,
    about = "Find and price what runs in your AWS accounts",
    long_about = "Find and price what runs in your AWS accounts.\n\n\
        finops scans EC2 instances, EBS volumes, RDS databases, load balancers and \
        Auto Scaling groups across regions and prices each from bundled AWS list-price \
        tables (no network needed for prices).",
    after_help = "Start with `finops scan --demo` to see a sample fleet without an AWS account. \
        Each command's --help ends with examples (`finops scan --help`).",
    propagate_version = true,
    max_term_width = 100
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options every command takes.
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "Global options")]
pub(crate) struct GlobalArgs {
    /// AWS profile to use (else AWS_PROFILE, the config file, or the default profile);
    /// repeat or give a comma list to scan several accounts in one run
    #[arg(long, global = true, value_name = "NAME", value_delimiter = ',')]
    pub(crate) profile: Vec<String>,

    /// Region to scan; repeat or give a comma list (us-east-1,eu-west-1)
    #[arg(
        long = "region",
        global = true,
        value_name = "REGION",
        value_delimiter = ','
    )]
    pub(crate) regions: Vec<String>,

    /// Scan every region enabled for the account (DescribeRegions)
    #[arg(long, global = true, conflicts_with = "regions")]
    pub(crate) all_regions: bool,

    /// Send AWS calls to this endpoint (e.g. a local moto_server); also AWS_ENDPOINT_URL
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) endpoint_url: Option<String>,

    /// Output format
    #[arg(long, short = 'o', global = true, value_enum, value_name = "FORMAT")]
    pub(crate) output: Option<OutputFormat>,

    /// Never show progress bars
    #[arg(long, global = true)]
    pub(crate) no_progress: bool,

    /// Show every table column on a terminal (else tables fit its width); also FINOPS_WIDE
    #[arg(long, global = true)]
    pub(crate) wide: bool,

    /// Print only the results and errors
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,

    /// More detail on stderr: -v adds API call counts and timings, -vv debug logs
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,

    /// Only these services (comma list)
    #[arg(
        long,
        global = true,
        value_enum,
        value_delimiter = ',',
        value_name = "SERVICES"
    )]
    pub(crate) services: Vec<Service>,

    /// Config file (else FINOPS_CONFIG, else $XDG_CONFIG_HOME/finops/config.toml)
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) accounts: AccountArgs,
}

/// Which AWS accounts a run covers.
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "Accounts")]
pub(crate) struct AccountArgs {
    /// Every active account of the AWS Organization (credentials of the management
    /// account or a delegated administrator); members through --role-name
    #[arg(long, global = true)]
    pub(crate) org: bool,

    /// With --org: only the accounts under this organizational unit, recursively (repeatable)
    #[arg(
        long = "ou",
        global = true,
        value_name = "OU_ID",
        value_delimiter = ','
    )]
    pub(crate) ous: Vec<String>,

    /// Role assumed in each member account (default OrganizationAccountAccessRole;
    /// config [accounts] role_name)
    #[arg(long, global = true, value_name = "NAME")]
    pub(crate) role_name: Option<String>,

    /// External id the role's trust policy requires (config [accounts] external_id)
    #[arg(long, global = true, value_name = "ID")]
    pub(crate) external_id: Option<String>,

    /// Only these accounts (comma list); without --org, the role is assumed into each
    #[arg(long, global = true, value_name = "IDS", value_delimiter = ',')]
    pub(crate) accounts: Vec<String>,

    /// Leave these accounts out (comma list)
    #[arg(long, global = true, value_name = "IDS", value_delimiter = ',')]
    pub(crate) exclude_accounts: Vec<String>,

    /// Only the K-th of N stable parts of the accounts: N jobs with 1/N .. N/N cover
    /// every account exactly once
    #[arg(long, global = true, value_name = "K/N")]
    pub(crate) shard: Option<String>,
}

/// The output format's name in flags, the environment and the config file.
pub(crate) use crate::output::Format as OutputFormat;

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Discover and price EC2, EBS, RDS, load balancers and Auto Scaling groups
    #[command(after_help = SCAN_EXAMPLES)]
    Scan(ScanArgs),
    /// Find idle and overprovisioned resources and what acting on them saves
    #[command(after_help = RECOMMEND_EXAMPLES)]
    Recommend(RecommendArgs),
    /// Push inventory and recommendations to the FinOps backend, losing nothing
    #[command(after_help = SYNC_EXAMPLES)]
    Sync(SyncArgs),
    /// Apply a downsizing path (EC2 type, RDS class, EBS gp3) after approval
    #[command(after_help = RESIZE_AFTER_HELP)]
    Resize(ResizeArgs),
    /// What the bill says: month to date, breakdown, projection, anomalies, budgets
    #[command(after_help = SPEND_AFTER_HELP)]
    Spend(SpendArgs),
    /// Write an HTML or Markdown report: costs, charts, findings (for people and CI)
    #[command(after_help = REPORT_EXAMPLES)]
    Report(ReportArgs),
    /// List the savings recorded by applied resizes, with their total
    #[command(after_help = SAVINGS_EXAMPLES)]
    Savings,
    /// Scan and recommend on a schedule and report what changed (for systemd and cron)
    #[command(after_help = WATCH_EXAMPLES)]
    Watch(WatchArgs),
    /// Show the bundled price of an instance type, DB class or volume type
    #[command(after_help = PRICING_EXAMPLES)]
    Pricing(PricingArgs),
    /// Print the effective settings and where each comes from
    #[command(after_help = CONFIG_EXAMPLES)]
    Config,
    /// Print shell completions
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions(CompletionsArgs),
}

// The "Examples:" that end each subcommand's help. Every line is a command that
// works as shown; tests/it/cli.rs runs those that need no AWS account (the
// `--demo` ones, `pricing`, `config`, `completions`, `savings`, reading a
// saved snapshot) and checks that they exit 0. Keep each line under 80 columns.

const SCAN_EXAMPLES: &str = "\
Examples:
  finops scan --demo                    # a sample fleet: no AWS account needed
  finops scan --region us-east-1,eu-west-1 --save inventory.json
  finops scan --from inventory.json -o csv    # re-price a snapshot offline";

const RECOMMEND_EXAMPLES: &str = "\
Examples:
  finops recommend --demo               # the sample fleet's findings
  finops recommend --region us-east-1 --min-savings 25 -o json > recs.json
  finops recommend --fail-on-savings 500 -q   # CI: exit 4 at $500/month";

const SYNC_EXAMPLES: &str = "\
Examples:
  finops sync --demo --dry-run          # the payloads, without sending them
  finops sync --check                   # is the backend reachable?
  finops sync --with-recommendations    # push inventory and findings";

const SPEND_AFTER_HELP: &str = "Costs come from Cost Explorer, which bills $0.01 a request: a run \
makes one GetCostAndUsage request (more only for pages) and one GetCostForecast; -v shows the \
count. Month to date runs from the 1st to yesterday (UTC); on the 1st, last month is reported \
whole. With --org (from the management account) the whole organization's bill is read.

Examples:
  finops spend --demo                   # a sample bill: no AWS account needed
  finops spend --by account --by service --org
  finops spend --fail-on-budget 90 --forecast -q   # cron: exit 4 at 90 %";

const REPORT_EXAMPLES: &str = "\
Examples:
  finops report --demo --out report.html   # a sample report: no AWS needed
  finops report --region us-east-1 --out report.md   # for a PR or CI summary
  finops report --org --spend --out weekly.html";

const SAVINGS_EXAMPLES: &str = "\
Examples:
  finops savings                        # what applied resizes save a month
  finops savings -o csv > savings.csv";

const WATCH_EXAMPLES: &str = "\
Examples:
  finops watch --demo --once            # one cycle of the sample fleet
  finops watch --interval 6h --metrics-file /var/lib/node_exporter/finops.prom
  finops watch --once --sync            # for cron or a systemd timer";

const PRICING_EXAMPLES: &str = "\
Examples:
  finops pricing m5.large               # Linux on-demand, in your region
  finops pricing db.r5.xlarge --engine postgres --region eu-west-1
  finops pricing gp3                    # per GiB-month, IOPS and throughput";

const CONFIG_EXAMPLES: &str = "\
Examples:
  finops config                         # each setting and where it comes from
  finops config -o json";

const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  finops completions bash > ~/.local/share/bash-completion/completions/finops
  finops completions zsh > ~/.zfunc/_finops   # with fpath+=(~/.zfunc)
  finops completions fish > ~/.config/fish/completions/finops.fish";

#[derive(Debug, Args)]
pub(crate) struct ScanArgs {
    /// Scan a bundled sample fleet instead of AWS (no account or network needed)
    #[arg(long, conflicts_with = "from")]
    pub(crate) demo: bool,

    /// Read an inventory snapshot instead of calling AWS
    #[arg(long, value_name = "FILE")]
    pub(crate) from: Option<PathBuf>,

    /// Also write the inventory snapshot (JSON) to FILE
    #[arg(long, value_name = "FILE")]
    pub(crate) save: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) sync: SyncFlags,
}

/// `--sync` on scan and recommend: push the results as `finops sync` would.
#[derive(Debug, Args, Default, Clone)]
pub(crate) struct SyncFlags {
    /// Also push the results to the backend (as `finops sync`)
    #[arg(long)]
    pub(crate) sync: bool,

    #[command(flatten)]
    pub(crate) target: SyncTarget,
}

#[derive(Debug, Args)]
pub(crate) struct SyncArgs {
    /// Push a bundled sample fleet instead of scanning AWS
    #[arg(long, conflicts_with = "from")]
    pub(crate) demo: bool,

    /// Push a saved inventory snapshot instead of scanning AWS
    #[arg(long, value_name = "FILE")]
    pub(crate) from: Option<PathBuf>,

    /// Also compute and push recommendations (reads CloudWatch)
    #[arg(long)]
    pub(crate) with_recommendations: bool,

    /// Build and validate every payload and show what would be sent; touch
    /// neither the backend nor the outbox
    #[arg(long, conflicts_with_all = ["check", "status"])]
    pub(crate) dry_run: bool,

    /// Check the backend: GET /health, reachability and latency (exit 0/1)
    #[arg(long, conflicts_with = "status")]
    pub(crate) check: bool,

    /// Show what is queued, delivered and dead-lettered, per endpoint
    #[arg(long)]
    pub(crate) status: bool,

    /// Send every record, even those unchanged since their last delivery
    #[arg(long)]
    pub(crate) full: bool,

    /// Queue the dead letters again (they go on the next sync); with
    /// --endpoint, only that endpoint's
    #[arg(long, conflicts_with_all = ["check", "status", "dry_run"])]
    pub(crate) requeue_dead: bool,

    /// With --requeue-dead: only this endpoint's dead letters (e.g. /api/savings)
    #[arg(long, value_name = "PATH", requires = "requeue_dead")]
    pub(crate) endpoint: Option<String>,

    #[command(flatten)]
    pub(crate) target: SyncTarget,
}

/// Where `sync` delivers.
#[derive(Debug, Args, Default, Clone)]
pub(crate) struct SyncTarget {
    /// Backend base URL (else FINOPS_BACKEND_URL, else the config file)
    #[arg(long, value_name = "URL")]
    pub(crate) backend_url: Option<String>,

    /// Allow the bearer token over plain HTTP to a non-loopback host
    #[arg(long)]
    pub(crate) allow_insecure_http: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RecommendArgs {
    /// Analyse the bundled sample fleet and its utilization (no AWS needed)
    #[arg(long, conflicts_with = "from")]
    pub(crate) demo: bool,

    /// Analyse the resources of an inventory snapshot (metrics still come from CloudWatch)
    #[arg(long, value_name = "FILE")]
    pub(crate) from: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) analysis: AnalysisArgs,

    /// Exit 4 when the total monthly savings reach USD (for CI gates)
    #[arg(long, value_name = "USD", value_parser = parse_usd)]
    pub(crate) fail_on_savings: Option<rust_decimal::Decimal>,

    /// Also show EC2 compute savings at your effective rate: a rate (0.72 = 28 %
    /// under list) or auto (the bill's EC2 compute month to date / its list
    /// price, from Cost Explorer: one request)
    #[arg(long, value_name = "auto|RATE", value_parser = parse_effective_rate)]
    pub(crate) effective_rate: Option<EffectiveRateArg>,

    /// Also post a message to this webhook URL (Slack's format for a Slack
    /// URL, finops' JSON otherwise), besides [notify] in the config file;
    /// plain http only to this machine unless --allow-insecure-http
    #[arg(long, value_name = "URL")]
    pub(crate) notify: Vec<String>,

    #[command(flatten)]
    pub(crate) sync: SyncFlags,
}

/// `--effective-rate`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum EffectiveRateArg {
    Auto,
    Given(rust_decimal::Decimal),
}

fn parse_effective_rate(s: &str) -> Result<EffectiveRateArg, String> {
    if s.trim().eq_ignore_ascii_case("auto") {
        return Ok(EffectiveRateArg::Auto);
    }
    let v: rust_decimal::Decimal = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is neither auto nor a rate (e.g. 0.72)"))?;
    if v <= rust_decimal::Decimal::ZERO || v > rust_decimal::Decimal::TWO {
        return Err("the rate must be above 0 and at most 2 (1 is list price)".into());
    }
    Ok(EffectiveRateArg::Given(v))
}

/// How utilization is analysed: shared by recommend and watch.
#[derive(Debug, Args, Clone)]
pub(crate) struct AnalysisArgs {
    /// Days of CloudWatch data to look at (1-455)
    #[arg(long, value_name = "N", default_value_t = 14, value_parser = clap::value_parser!(u32).range(1..=455))]
    pub(crate) lookback_days: u32,

    /// Metric period (e.g. 1h, 5m, 1d): a multiple of 60 s, at most 1 day
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = parse_period)]
    pub(crate) period: u32,

    /// Skip resources with this tag (KEY=VALUE, or KEY for any value); repeatable
    #[arg(long = "exclude-tag", value_name = "KEY=VALUE")]
    pub(crate) exclude_tags: Vec<String>,

    /// Hide findings that save less than USD a month
    #[arg(long, value_name = "USD", value_parser = parse_usd)]
    pub(crate) min_savings: Option<rust_decimal::Decimal>,
}

fn watch_help(a: clap::Arg) -> clap::Arg {
    if a.get_id() == "min_savings" {
        a.help("Ignore findings that save less than USD a month")
    } else {
        a
    }
}

fn parse_period(s: &str) -> Result<u32, String> {
    let d = humantime::parse_duration(s.trim()).map_err(|e| format!("{e} (try 1h, 5m or 1d)"))?;
    let secs = d.as_secs();
    if secs < 60 || secs % 60 != 0 || secs > 86_400 || d.subsec_nanos() != 0 {
        return Err("the period must be a whole number of minutes from 1m to 1d".into());
    }
    Ok(secs as u32)
}

fn parse_usd(s: &str) -> Result<rust_decimal::Decimal, String> {
    let v: rust_decimal::Decimal = s
        .trim()
        .trim_start_matches('$')
        .parse()
        .map_err(|_| format!("{s:?} is not an amount in USD (e.g. 100 or 12.50)"))?;
    if v.is_sign_negative() {
        return Err("the amount must be zero or more".into());
    }
    Ok(v)
}

const RESIZE_AFTER_HELP: &str = "Every change is shown and confirmed unless --yes: type yes or no \
and Enter (Enter alone is no; in a walk of several findings it is skip). Off a terminal \
without --yes finops refuses (exit 2). --dry-run plans and asks AWS whether each step would be \
allowed (exit 0 when all would, 5 when one would not). An interrupted resize is kept in a journal: \
`finops resize --recover` finishes or rolls it back.

Examples:
  finops resize i-0abc1234 --to m5.xlarge --dry-run   # plan and check only
  finops resize vol-0abc1234 --to gp3                 # asks, then applies
  finops resize --from-recommendations recs.json      # apply, skip or quit each";

#[derive(Debug, Args)]
pub(crate) struct ResizeArgs {
    /// Instance id (i-...), EBS volume id (vol-...) or RDS DB identifier
    #[arg(value_name = "ID", conflicts_with_all = ["from_recommendations", "all", "recover"])]
    pub(crate) id: Option<String>,

    /// Target: instance type (m5.xlarge), DB class (db.r5.large) or volume type (gp3).
    /// Without it, pick one of the resource's downsizing paths
    #[arg(long, value_name = "TARGET", requires = "id")]
    pub(crate) to: Option<String>,

    /// Walk the in-place findings of a `recommend --output json` file
    #[arg(long, value_name = "FILE", conflicts_with_all = ["all", "recover"])]
    pub(crate) from_recommendations: Option<PathBuf>,

    /// Compute recommendations now and walk every in-place downsizing finding
    #[arg(long, conflicts_with = "recover")]
    pub(crate) all: bool,

    /// Finish or roll back a resize that was interrupted (Ctrl-C, kill, crash)
    #[arg(long, conflicts_with = "dry_run")]
    pub(crate) recover: bool,

    /// Plan and ask AWS whether each step would be allowed; change nothing
    #[arg(long)]
    pub(crate) dry_run: bool,

    /// Approve every change without asking (for scripts)
    #[arg(long, short = 'y')]
    pub(crate) yes: bool,

    /// Apply at most N changes in this run
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub(crate) max_changes: u32,

    /// RDS: apply the class change now (with downtime) instead of in the next maintenance window
    #[arg(long)]
    pub(crate) apply_immediately: bool,

    /// Allow a target that costs more than the current type
    #[arg(long)]
    pub(crate) allow_upsize: bool,

    /// Days of CloudWatch data behind the downsizing paths (1-455)
    #[arg(long, value_name = "N", default_value_t = 14, value_parser = clap::value_parser!(u32).range(1..=455))]
    pub(crate) lookback_days: u32,

    /// The account the resource is in (needed when the id is not unique across
    /// accounts); acted on through --role-name unless it is the credentials' own
    #[arg(long, value_name = "ACCOUNT_ID", conflicts_with_all = ["from_recommendations", "all", "recover"])]
    pub(crate) account: Option<String>,
}

/// `finops watch`: cycles of scan + recommend, reported as changes.
#[derive(Debug, Args)]
// Watch ignores small findings where recommend hides them: the same flag,
// its own help line (mut_args keeps the flags' order, which completions show).
#[command(mut_args(watch_help))]
pub(crate) struct WatchArgs {
    /// Time between cycles: 30s, 15m, 6h, 1d (at least 10s; default: the
    /// config file's [watch] interval, else 1h)
    #[arg(long, value_name = "DURATION")]
    pub(crate) interval: Option<String>,

    /// Run one cycle and exit (for cron and systemd timers)
    #[arg(long, conflicts_with = "max_cycles")]
    pub(crate) once: bool,

    /// Stop after N cycles
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) max_cycles: Option<u64>,

    /// Write Prometheus metrics to FILE each cycle (node_exporter textfile collector)
    #[arg(long, value_name = "FILE")]
    pub(crate) metrics_file: Option<PathBuf>,

    /// Exit 1 after N failed cycles in a row (default: keep retrying)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) max_consecutive_failures: Option<u32>,

    /// Watch the bundled sample fleet instead of AWS (to try it out)
    #[arg(long)]
    pub(crate) demo: bool,

    /// Also report spend anomalies from the bill (Cost Explorer, read at most
    /// every [spend] refresh_interval, 6h by default)
    #[arg(long)]
    pub(crate) spend: bool,

    /// Post a digest of the cycles' news to this webhook URL (Slack's format
    /// for a Slack URL, finops' JSON otherwise), besides [notify] in the
    /// config file; plain http only to this machine unless --allow-insecure-http
    #[arg(long, value_name = "URL")]
    pub(crate) notify: Vec<String>,

    #[command(flatten)]
    pub(crate) analysis: AnalysisArgs,

    #[command(flatten)]
    pub(crate) sync: SyncFlags,
}

/// `finops report`: one HTML or Markdown file from a scan and its findings.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// Write the report to FILE (.html or .md; - for standard output)
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,

    /// The file's format (default: from its extension)
    #[arg(long, value_enum)]
    pub(crate) format: Option<crate::output::report::ReportFormat>,

    /// Report on the bundled sample fleet and its made-up bill (no AWS needed)
    #[arg(long, conflicts_with = "from")]
    pub(crate) demo: bool,

    /// Report on a saved inventory snapshot (utilization still comes from CloudWatch)
    #[arg(long, value_name = "FILE")]
    pub(crate) from: Option<PathBuf>,

    /// Also read the bill (Cost Explorer, as `finops spend`: about two requests at $0.01)
    #[arg(long, conflicts_with = "demo")]
    pub(crate) spend: bool,

    /// Findings in the top list (the HTML has every finding too)
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub(crate) top: u32,

    #[command(flatten)]
    pub(crate) analysis: AnalysisArgs,
}

/// `finops spend`: the bill from Cost Explorer, budgets, list vs actual.
#[derive(Debug, Args)]
pub(crate) struct SpendArgs {
    /// A bundled sample bill for the demo fleet (no AWS account needed)
    #[arg(long)]
    pub(crate) demo: bool,

    /// Break the costs down by service, account, region, usage-type or tag:KEY;
    /// give it twice for two levels (default service)
    #[arg(long = "by", value_name = "DIMENSION")]
    pub(crate) by: Vec<String>,

    /// Which cost: amortized spreads Reserved Instance and Savings Plan fees
    /// over the days they cover
    #[arg(long, value_enum, default_value_t = crate::spend::CostMetric::Amortized)]
    pub(crate) metric: crate::spend::CostMetric,

    /// Days in the daily series (7-90)
    #[arg(long, value_name = "N", default_value_t = 30, value_parser = clap::value_parser!(u32).range(7..=90))]
    pub(crate) days: u32,

    /// Report as of this date (YYYY-MM-DD, UTC): the day before is the last one
    /// counted (default today)
    #[arg(long, value_name = "DATE")]
    pub(crate) as_of: Option<String>,

    /// Entries of the breakdown before the rest is "other" (default: [spend] top, else 10)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub(crate) top: Option<u32>,

    /// Exit 4 when a budget's actual spend reaches PCT % of its limit (CI and cron gates)
    #[arg(long, value_name = "PCT", value_parser = parse_percent)]
    pub(crate) fail_on_budget: Option<rust_decimal::Decimal>,

    /// With --fail-on-budget: compare each budget's forecast instead of its actual spend
    #[arg(long, requires = "fail_on_budget")]
    pub(crate) forecast: bool,

    /// Leave out the budgets (DescribeBudgets)
    #[arg(long, conflicts_with = "fail_on_budget")]
    pub(crate) no_budgets: bool,

    /// Leave out list vs actual (it scans the inventory to price it)
    #[arg(long)]
    pub(crate) no_inventory: bool,

    /// Also post a message to this webhook URL (Slack's format for a Slack
    /// URL, finops' JSON otherwise), besides [notify] in the config file;
    /// plain http only to this machine unless --allow-insecure-http
    #[arg(long, value_name = "URL")]
    pub(crate) notify: Vec<String>,

    #[command(flatten)]
    pub(crate) sync: SyncFlags,
}

fn parse_percent(s: &str) -> Result<rust_decimal::Decimal, String> {
    let v: rust_decimal::Decimal = s
        .trim()
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("{s:?} is not a percentage (e.g. 90 or 100)"))?;
    if v <= rust_decimal::Decimal::ZERO || v > rust_decimal::Decimal::from(1000) {
        return Err("the percentage must be above 0 and at most 1000".into());
    }
    Ok(v)
}

#[derive(Debug, Args)]
pub(crate) struct PricingArgs {
    /// Instance type (m5.large) or family (m5), DB class (db.m5.large),
    /// volume type (gp3), snapshot, nat-gateway, public-ipv4, load balancer
    /// type (application, network, gateway, classic), or regions
    #[arg(value_name = "TYPE")]
    pub(crate) type_: String,

    /// For DB classes: only this engine (mysql, postgres, mariadb)
    #[arg(long)]
    pub(crate) engine: Option<String>,

    /// For DB classes: only the Multi-AZ price
    #[arg(long)]
    pub(crate) multi_az: bool,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to print completions for
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }

    #[test]
    fn region_accepts_comma_lists_and_repeats() {
        let cli = Cli::try_parse_from([
            "finops",
            "scan",
            "--region",
            "us-east-1,eu-west-1",
            "--region",
            "ap-south-1",
        ])
        .unwrap();
        assert_eq!(cli.global.regions, ["us-east-1", "eu-west-1", "ap-south-1"]);
    }

    #[test]
    fn region_conflicts_with_all_regions() {
        assert!(
            Cli::try_parse_from(["finops", "scan", "--region", "us-east-1", "--all-regions"])
                .is_err()
        );
    }

    /// The `finops ...` lines of the "Examples:" block that ends a help text.
    fn examples(help: &str) -> Vec<String> {
        let Some((_, block)) = help.split_once("\nExamples:\n") else {
            return vec![];
        };
        block
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("finops "))
            .map(String::from)
            .collect()
    }

    /// Every subcommand's help ends with two or three examples (the same in
    /// `-h` and `--help`), a command with `--demo` shows it, and every
    /// example's arguments parse. (tests/it/cli.rs runs those that need no
    /// AWS account.)
    #[test]
    fn help_examples_parse() {
        let mut cli = Cli::command();
        cli.build();
        for sub in cli.get_subcommands_mut() {
            let name = sub.get_name().to_string();
            if name == "help" {
                continue;
            }
            let long = sub.render_long_help().to_string();
            let short = sub.render_help().to_string();
            let found = examples(&long);
            assert!(
                (2..=3).contains(&found.len()),
                "`finops {name} --help` should end with 2 or 3 examples, has {found:?}"
            );
            assert_eq!(examples(&short), found, "{name} -h");
            if sub.get_arguments().any(|a| a.get_id() == "demo") {
                assert!(
                    found.iter().any(|e| e.contains(" --demo")),
                    "{name} has --demo: one example should show it: {found:?}"
                );
            }
            for example in found {
                let command = example.split(" #").next().unwrap().trim();
                let words: Vec<&str> = command.split_whitespace().collect();
                assert_eq!(words[..2], ["finops", name.as_str()], "{example}");
                let args = words.iter().take_while(|w| **w != ">");
                if let Err(e) = Cli::try_parse_from(args) {
                    panic!("`{example}` (from `finops {name} --help`) does not parse: {e}");
                }
            }
        }
    }
}
