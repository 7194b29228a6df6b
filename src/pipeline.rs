//! What a run computes, below the commands and above the clouds: the
//! inventory of a scope, and recommendations from its utilization. Commands
//! (and watch, sync, resize) call these with a [`Cloud`] picked once from the
//! settings, and render what comes back.

use std::collections::HashMap;

use futures::StreamExt as _;
use rust_decimal::Decimal;

use crate::analysis::Extras;
use crate::analysis::metrics::{Metric, Metrics};
use crate::analysis::thresholds::Thresholds;
use crate::analysis::{self, TagFilter};
use crate::aws::{cloudwatch::MAX_QUERIES_PER_CALL, describe, hint_for};
use crate::cloud::{CallCounts, Fleet, Member, Scope, Window};
use crate::error::HintedError;
use crate::inventory::{AccountEntry, AccountStatus, Inventory, ScanError, Source, now_rfc3339};
use crate::pricing::{self, fleet::ScanReport};
use crate::progress::{Progress, Within};
use crate::report::{RecommendReport, totals};

/// How to analyse utilization, resolved from flags and the config file.
#[derive(Debug, Clone)]
pub(crate) struct RecommendOptions {
    /// Days of utilization to look at.
    pub(crate) lookback_days: u32,
    /// Seconds per metric point.
    pub(crate) period: u32,
    /// Resources with any of these tags are skipped.
    pub(crate) exclude_tags: Vec<TagFilter>,
    /// Priced findings saving less than this a month are dropped.
    pub(crate) min_savings: Option<Decimal>,
    /// The rules' thresholds.
    pub(crate) thresholds: Thresholds,
    /// Keep every priced row and each resource's mean CPU in
    /// [`Computed`] (sync and watch send them); without, only the totals,
    /// the unpriced list and the findings are kept, which is what a
    /// report needs, and each region's rows are let go once analysed.
    pub(crate) keep_rows: bool,
}

/// Everything a recommend run produces, for rendering or for sync.
pub(crate) struct Computed {
    /// The priced inventory; its `resources` are empty unless
    /// [`RecommendOptions::keep_rows`].
    pub(crate) scan: ScanReport,
    /// Each resource's mean CPU over the window, by resource key (what the
    /// backend's resource records carry); empty unless
    /// [`RecommendOptions::keep_rows`].
    pub(crate) cpu: HashMap<String, f64>,
    pub(crate) report: RecommendReport,
}

/// The inventory of the scope in every account of the fleet (failures of
/// single calls, and accounts that failed, are in its `errors`). Fails only
/// when nothing at all could be read.
pub(crate) async fn scan(
    fleet: &Fleet,
    scope: &Scope,
    progress: &dyn Progress,
) -> anyhow::Result<Inventory> {
    let parts = each_account(fleet, &Job::Scan, scope, progress).await;
    // The counts help most when discovery failed.
    print_calls(fleet.calls(), progress);
    let (parts, accounts, errors) = settle(fleet, parts)?;
    let mut invs = parts.into_iter().filter_map(|p| match p {
        Part::Scanned(inv) => Some(inv),
        Part::Computed(_) => None,
    });
    let mut inv = invs.next().unwrap_or_else(empty_inventory);
    for other in invs {
        add_regions(&mut inv.regions, other.regions);
        inv.resources.extend(other.resources);
        inv.errors.extend(other.errors);
    }
    inv.errors.extend(errors);
    // A snapshot read without AWS keeps the accounts it was saved with.
    if !accounts.is_empty() {
        inv.accounts = accounts;
    }
    Ok(inv)
}

/// Inventory, utilization, prices and findings of the scope in every
/// account of the fleet, without rendering. Each account is analysed on its
/// own (its metrics and extras are keyed by region and id, which are unique
/// only within it); the reports are then put together.
pub(crate) async fn recommend(
    fleet: &Fleet,
    scope: &Scope,
    options: &RecommendOptions,
    progress: &dyn Progress,
) -> anyhow::Result<Computed> {
    let period = i64::from(options.period);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let window = Window {
        lookback_days: options.lookback_days,
        period: options.period,
        end: now - now.rem_euclid(period),
    };
    let job = Job::Recommend(options, window);
    let parts = each_account(fleet, &job, scope, progress).await;
    print_calls(fleet.calls(), progress);
    let (parts, accounts, errors) = settle(fleet, parts)?;
    let parts = parts.into_iter().filter_map(|p| match p {
        Part::Computed(c) => Some(*c),
        Part::Scanned(_) => None,
    });
    let mut c = merge(parts, options);
    c.report.errors.extend(errors.iter().cloned());
    c.scan.errors.extend(errors);
    c.report.accounts.clone_from(&accounts);
    c.scan.accounts = accounts;
    warn_errors(&c.report.errors, progress);
    warn_if_stale(&c.scan, progress);
    Ok(c)
}

/// What to do in each account.
enum Job<'a> {
    Scan,
    Recommend(&'a RecommendOptions, Window),
}

/// What one account gave.
enum Part {
    Scanned(Inventory),
    Computed(Box<Computed>),
}

/// Do the job in every member of the fleet, at most `max_concurrent` at
/// once; the results come back in the fleet's order. With more than one
/// account, each reports under its account's id and one bar counts the
/// accounts done.
async fn each_account(
    fleet: &Fleet,
    job: &Job<'_>,
    scope: &Scope,
    progress: &dyn Progress,
) -> Vec<anyhow::Result<Part>> {
    if fleet.members.len() == 1 && fleet.unreached.is_empty() {
        return vec![run(job, &fleet.members[0], scope, progress).await];
    }
    let bar = progress.counter(fleet.members.len() as u64, "accounts");
    let bar = bar.as_ref();
    let mut done: Vec<(usize, anyhow::Result<Part>)> =
        futures::stream::iter(fleet.members.iter().enumerate())
            .map(|(i, m)| async move {
                let within = Within {
                    inner: progress,
                    prefix: match &m.account {
                        Some(a) => format!("account {}", a.id),
                        None => "account (unknown)".to_string(),
                    },
                };
                let r = run(job, m, scope, &within).await;
                bar.inc(1);
                (i, r)
            })
            .buffer_unordered(fleet.max_concurrent.max(1))
            .collect()
            .await;
    bar.clear();
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

async fn run(
    job: &Job<'_>,
    m: &Member,
    scope: &Scope,
    progress: &dyn Progress,
) -> anyhow::Result<Part> {
    Ok(match job {
        Job::Scan => Part::Scanned(discover(m, scope, progress).await?),
        Job::Recommend(options, window) => Part::Computed(Box::new(
            recommend_one(m, scope, options, *window, progress).await?,
        )),
    })
}

/// One member's inventory, every resource and error marked with its account.
async fn discover(m: &Member, scope: &Scope, progress: &dyn Progress) -> anyhow::Result<Inventory> {
    let mut inv = m.cloud.discover(scope, progress).await?;
    if let Some(a) = &m.account {
        for r in &mut inv.resources {
            r.account_id = Some(a.id.clone());
            r.account_name.clone_from(&a.name);
        }
        for e in &mut inv.errors {
            e.account_id = Some(a.id.clone());
        }
    }
    Ok(inv)
}

/// One member's findings.
async fn recommend_one(
    m: &Member,
    scope: &Scope,
    options: &RecommendOptions,
    window: Window,
    progress: &dyn Progress,
) -> anyhow::Result<Computed> {
    let mut inv = discover(m, scope, progress).await?;
    let mut used = m.cloud.utilization(&inv, window, progress).await;
    for (region, n) in &used.queries {
        progress.verbose(
            1,
            &format!(
                "metrics: {region}: {n} queries in {} GetMetricData batch(es) of up to {}",
                n.div_ceil(MAX_QUERIES_PER_CALL),
                MAX_QUERIES_PER_CALL
            ),
        );
    }
    if let Some(a) = &m.account {
        for e in &mut used.errors {
            e.account_id = Some(a.id.clone());
        }
        for x in &mut used.extras.addresses {
            x.account_id = Some(a.id.clone());
        }
    }
    let mut errors = std::mem::take(&mut inv.errors);
    errors.extend(used.errors);
    let regions = inv.regions.clone();
    let addresses = Extras {
        addresses: std::mem::take(&mut used.extras.addresses),
        ..Extras::default()
    };
    let (report, mut outcome, cpu) = by_region(inv, &used.metrics, &used.extras, options);
    // Elastic IPs after every region's resources, as one list.
    analysis::analyse_into(
        &mut outcome,
        &pricing::price_inventory(empty_inventory()),
        &used.metrics,
        &addresses,
        &options.thresholds,
        &options.exclude_tags,
    );
    // The utilization is not needed past the rules.
    drop(used.metrics);
    drop(used.extras);
    let mut recs = outcome.recommendations;
    if let Some(a) = &m.account {
        // Findings about what is not a resource of the inventory (Elastic
        // IPs) take the account's name too.
        for r in recs.iter_mut().filter(|r| r.account_name.is_none()) {
            r.account_name.clone_from(&a.name);
        }
    }
    if let Some(min) = options.min_savings {
        // Unpriced findings have no figure to compare: they stay listed.
        recs.retain(|r| r.monthly_savings_usd.is_none_or(|s| s >= min));
    }
    let report_out = RecommendReport {
        schema_version: crate::report::SCHEMA_VERSION,
        generated_at: now_rfc3339(),
        lookback_days: options.lookback_days,
        period_seconds: options.period,
        regions,
        pricing: report.pricing.clone(),
        totals: totals(&recs),
        recommendations: recs,
        insufficient_data: outcome.insufficient_data,
        excluded: outcome.excluded,
        coverage: outcome.coverage,
        unpriced: report.unpriced.clone(),
        errors,
        accounts: Vec::new(),
        effective_rate: None,
    };
    Ok(Computed {
        scan: report,
        cpu,
        report: report_out,
    })
}

/// Price and analyse an account's inventory one region at a time (every
/// rule looks within a region), so that only one region's priced rows exist
/// at once, and unless `keep_rows` none outlive their analysis. The report
/// is what pricing the whole inventory would give (rows in the same order);
/// the outcome lists findings, insufficient and excluded resources region
/// by region, as analysing the whole inventory did.
fn by_region(
    mut inv: Inventory,
    metrics: &Metrics,
    extras: &Extras,
    options: &RecommendOptions,
) -> (ScanReport, analysis::Outcome, HashMap<String, f64>) {
    let mut resources = std::mem::take(&mut inv.resources);
    // Descending, so that each region taken off the end comes in ascending order.
    resources.sort_unstable_by_key(|r| std::cmp::Reverse(r.region));
    let part_of = |resources: Vec<_>| Inventory {
        schema_version: inv.schema_version,
        generated_at: inv.generated_at.clone(),
        source: inv.source,
        regions: Vec::new(),
        resources,
        errors: Vec::new(),
        accounts: Vec::new(),
    };
    let mut report = pricing::price_inventory(part_of(Vec::new()));
    let mut outcome = analysis::Outcome::default();
    let mut cpu = HashMap::new();
    while let Some(last) = resources.last() {
        let region = last.region;
        let part = resources.split_off(resources.partition_point(|r| r.region > region));
        resources.shrink_to_fit();
        let priced = pricing::price_inventory(part_of(part));
        analysis::analyse_into(
            &mut outcome,
            &priced,
            metrics,
            extras,
            &options.thresholds,
            &options.exclude_tags,
        );
        report.pricing.extend(priced.pricing);
        report.totals.add(&priced.totals);
        report.unpriced.extend(priced.unpriced);
        if options.keep_rows {
            cpu.extend(priced.resources.iter().filter_map(|r| {
                let mean = metrics
                    .get(&r.resource.region, &r.resource.id, Metric::CpuAvg)
                    .mean()?;
                Some((r.resource.key(), mean))
            }));
            report.resources.extend(priced.resources);
        }
    }
    report.regions = inv.regions;
    report.errors = inv.errors;
    report.accounts = inv.accounts;
    (report, outcome, cpu)
}

/// The members' results with the accounts' outcomes: the parts that
/// succeeded, every account's entry in the fleet's order, and an error for
/// each account that failed. Fails when nothing succeeded and something
/// failed (with the first failure), as a one-account run does.
fn settle(
    fleet: &Fleet,
    results: Vec<anyhow::Result<Part>>,
) -> anyhow::Result<(Vec<Part>, Vec<AccountEntry>, Vec<ScanError>)> {
    let mut parts = Vec::new();
    let mut accounts = Vec::new();
    let mut errors = Vec::new();
    let mut first_failure = None;
    for (m, r) in fleet.members.iter().zip(results) {
        match r {
            Ok(p) => {
                parts.push(p);
                if let Some(a) = &m.account {
                    accounts.push(AccountEntry {
                        id: a.id.clone(),
                        name: a.name.clone(),
                        status: AccountStatus::Scanned,
                        error: None,
                    });
                }
            }
            Err(e) => {
                let message = crate::error::one_line(&format!("{e:#}"));
                if let Some(a) = &m.account {
                    accounts.push(AccountEntry {
                        id: a.id.clone(),
                        name: a.name.clone(),
                        status: AccountStatus::Failed,
                        error: Some(message.clone()),
                    });
                    errors.push(ScanError {
                        account_id: Some(a.id.clone()),
                        region: String::new(),
                        service: "account".into(),
                        operation: None,
                        code: None,
                        message,
                    });
                }
                first_failure.get_or_insert(e);
            }
        }
    }
    for (entry, err) in &fleet.unreached {
        accounts.push(entry.clone());
        errors.extend(err.clone());
    }
    let any_failed = first_failure.is_some()
        || fleet
            .unreached
            .iter()
            .any(|(e, _)| e.status == AccountStatus::Failed);
    if parts.is_empty() && any_failed {
        return Err(first_failure.unwrap_or_else(|| {
            anyhow::Error::new(HintedError::new(
                "no account could be scanned",
                "see the errors above; the role must exist in each account and trust this one (README: Organizations)",
            ))
        }));
    }
    accounts.sort_by(|a, b| a.id.cmp(&b.id));
    Ok((parts, accounts, errors))
}

/// The regions of another account added after these, in the order asked
/// for, each once.
fn add_regions(to: &mut Vec<String>, more: Vec<String>) {
    for r in more {
        if !to.contains(&r) {
            to.push(r);
        }
    }
}

fn empty_inventory() -> Inventory {
    Inventory {
        schema_version: crate::inventory::SCHEMA_VERSION,
        generated_at: now_rfc3339(),
        source: Source::Aws,
        regions: Vec::new(),
        resources: Vec::new(),
        errors: Vec::new(),
        accounts: Vec::new(),
    }
}

/// The accounts' reports as one: rows and findings side by side, totals
/// summed (each account's findings are its own: no resource is in two).
fn merge(parts: impl Iterator<Item = Computed>, options: &RecommendOptions) -> Computed {
    let mut out: Option<Computed> = None;
    for c in parts {
        let Some(o) = out.as_mut() else {
            out = Some(c);
            continue;
        };
        add_regions(&mut o.scan.regions, c.scan.regions);
        o.scan.pricing.extend(c.scan.pricing);
        o.scan.resources.extend(c.scan.resources);
        o.scan.totals.add(&c.scan.totals);
        o.scan.unpriced.extend(c.scan.unpriced);
        o.scan.errors.extend(c.scan.errors);
        o.cpu.extend(c.cpu);
        let r = &mut o.report;
        add_regions(&mut r.regions, c.report.regions);
        r.pricing.extend(c.report.pricing);
        r.recommendations.extend(c.report.recommendations);
        r.insufficient_data.extend(c.report.insufficient_data);
        r.excluded.extend(c.report.excluded);
        r.coverage.add(&c.report.coverage);
        r.unpriced.extend(c.report.unpriced);
        r.errors.extend(c.report.errors);
    }
    let mut c = out.unwrap_or_else(|| {
        let scan = pricing::price_inventory(empty_inventory());
        Computed {
            report: RecommendReport {
                schema_version: crate::report::SCHEMA_VERSION,
                generated_at: now_rfc3339(),
                lookback_days: options.lookback_days,
                period_seconds: options.period,
                regions: Vec::new(),
                pricing: scan.pricing.clone(),
                recommendations: Vec::new(),
                totals: totals(&[]),
                insufficient_data: Vec::new(),
                excluded: Vec::new(),
                coverage: Default::default(),
                unpriced: Vec::new(),
                errors: Vec::new(),
                accounts: Vec::new(),
                effective_rate: None,
            },
            scan,
            cpu: HashMap::new(),
        }
    });
    analysis::sort_findings(&mut c.report.recommendations);
    c.report.totals = totals(&c.report.recommendations);
    c
}

/// One warning per failed call, with what to do about it.
pub(crate) fn warn_errors(errors: &[ScanError], progress: &dyn Progress) {
    for e in errors {
        progress.warning(&format!("{} ({})", describe(e), hint_for(e)));
    }
}

/// The price tables' staleness, once a run.
pub(crate) fn warn_if_stale(report: &ScanReport, progress: &dyn Progress) {
    if let Some(n) = pricing::stale_notice_once(report.pricing.keys().copied()) {
        progress.warning(&n);
    }
}

/// `-v`: the requests made, per operation (retries included).
pub(crate) fn print_calls(calls: Option<CallCounts>, progress: &dyn Progress) {
    let Some(calls) = calls else {
        return;
    };
    if progress.verbosity() >= 1 {
        let total: u64 = calls.values().sum();
        for ((service, op), n) in calls {
            progress.verbose(1, &format!("api calls: {service} {op} = {n}"));
        }
        progress.verbose(1, &format!("api calls: total = {total}"));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::cloud::demo::Demo;
    use crate::cloud::fault::{Faulty, Op};
    use crate::cloud::{Account, Cloud, Regions};
    use crate::inventory::Service;
    use crate::progress::Silent;

    // The demo cloud and its fault-injecting wrapper stand in for AWS here:
    // moto cannot fail one region's calls on demand.

    fn demo() -> Fleet {
        Fleet::one(Box::new(Demo), Some(Demo::account()))
    }

    /// A cloud whose account cannot be reached at all (a role that cannot
    /// be assumed, credentials that are refused).
    struct Unreachable;

    impl Cloud for Unreachable {
        fn discover<'a>(
            &'a self,
            _: &'a Scope,
            _: &'a dyn Progress,
        ) -> futures::future::LocalBoxFuture<'a, anyhow::Result<Inventory>> {
            Box::pin(async { Err(anyhow::anyhow!("AccessDenied: not authorized")) })
        }
        fn utilization<'a>(
            &'a self,
            _: &'a Inventory,
            window: Window,
            _: &'a dyn Progress,
        ) -> futures::future::LocalBoxFuture<'a, crate::cloud::Utilization> {
            Box::pin(async move { crate::cloud::Utilization::empty(window) })
        }
        fn calls(&self) -> Option<CallCounts> {
            None
        }
    }

    fn account(id: &str) -> Option<Account> {
        Some(Account {
            id: id.into(),
            name: Some(format!("name-{id}").into()),
        })
    }

    /// Two accounts with the same resources (the same ids, DB identifiers
    /// and group names), and a third that cannot be reached.
    fn three_accounts() -> Fleet {
        Fleet {
            members: vec![
                Member {
                    account: account("111111111111"),
                    cloud: Box::new(Demo),
                },
                Member {
                    account: account("222222222222"),
                    cloud: Box::new(Demo),
                },
                Member {
                    account: account("333333333333"),
                    cloud: Box::new(Unreachable),
                },
            ],
            unreached: vec![(
                AccountEntry {
                    id: "444444444444".into(),
                    name: None,
                    status: AccountStatus::Skipped,
                    error: Some("the account is SUSPENDED".into()),
                },
                None,
            )],
            max_concurrent: 2,
            calls: None,
        }
    }

    #[tokio::test]
    async fn accounts_with_equal_ids_are_separate_rows_findings_and_totals() {
        let one = recommend(&demo(), &scope(), &options(), &Silent)
            .await
            .unwrap();
        let many = recommend(&three_accounts(), &scope(), &options(), &Silent)
            .await
            .unwrap();
        let n = one.scan.resources.len();
        assert_eq!(many.scan.resources.len(), 2 * n);
        assert_eq!(
            many.report.recommendations.len(),
            2 * one.report.recommendations.len()
        );
        // Every finding's key is unique and names its account.
        let keys: std::collections::BTreeSet<&str> = many
            .report
            .recommendations
            .iter()
            .map(|r| r.recommendation_id.as_str())
            .collect();
        assert_eq!(keys.len(), many.report.recommendations.len());
        for r in &many.report.recommendations {
            let a = r.account_id.as_deref().expect("an account");
            assert!(
                r.resource_key.starts_with(&format!("{a}/")),
                "{}",
                r.resource_key
            );
            assert_eq!(
                r.account_name.as_deref(),
                Some(format!("name-{a}").as_str())
            );
        }
        // Totals add up by account, and each account's equals the one-account run.
        let t = &many.scan.totals;
        assert_eq!(
            t.monthly_usd,
            one.scan.totals.monthly_usd * Decimal::from(2)
        );
        assert_eq!(t.by_account.len(), 2);
        for sub in t.by_account.values() {
            assert_eq!(sub.monthly_usd, one.scan.totals.monthly_usd);
        }
        let s = &many.report.totals;
        assert_eq!(
            s.monthly_savings_usd,
            one.report.totals.monthly_savings_usd * Decimal::from(2)
        );
        let by_account: Decimal = s.by_account.values().map(|a| a.monthly_savings_usd).sum();
        assert_eq!(by_account, s.monthly_savings_usd);
        assert_eq!(
            many.report.coverage.resources,
            2 * one.report.coverage.resources
        );
        // The unreachable account failed, the suspended one was skipped, and
        // the failure is an error naming the account.
        let status: Vec<(&str, AccountStatus)> = many
            .report
            .accounts
            .iter()
            .map(|a| (&*a.id, a.status))
            .collect();
        assert_eq!(
            status,
            vec![
                ("111111111111", AccountStatus::Scanned),
                ("222222222222", AccountStatus::Scanned),
                ("333333333333", AccountStatus::Failed),
                ("444444444444", AccountStatus::Skipped),
            ]
        );
        let failed: Vec<&ScanError> = many
            .report
            .errors
            .iter()
            .filter(|e| e.account_id.as_deref() == Some("333333333333"))
            .collect();
        assert_eq!(failed.len(), 1);
        assert!(failed[0].message.contains("AccessDenied"));
        assert_eq!(many.scan.accounts, many.report.accounts);
    }

    #[tokio::test]
    async fn region_by_region_gives_the_whole_inventorys_rows_and_report() {
        let kept = recommend(&demo(), &scope(), &options(), &Silent)
            .await
            .unwrap();
        // Pricing the whole inventory at once, as scan does.
        let inv = scan(&demo(), &scope(), &Silent).await.unwrap();
        assert!(inv.regions.len() > 1, "the demo fleet spans regions");
        let whole = pricing::price_inventory(inv);
        assert_eq!(kept.scan.resources, whole.resources);
        assert_eq!(kept.scan.totals, whole.totals);
        assert_eq!(kept.scan.unpriced, whole.unpriced);
        assert!(!kept.cpu.is_empty());
        assert!(
            kept.cpu
                .keys()
                .all(|k| kept.scan.resources.iter().any(|r| &r.resource.key() == k))
        );
        let lean = recommend(
            &demo(),
            &scope(),
            &RecommendOptions {
                keep_rows: false,
                ..options()
            },
            &Silent,
        )
        .await
        .unwrap();
        assert!(lean.scan.resources.is_empty() && lean.cpu.is_empty());
        assert_eq!(lean.scan.totals, whole.totals);
        let mut a = serde_json::to_value(&lean.report).unwrap();
        let mut b = serde_json::to_value(&kept.report).unwrap();
        a["generated_at"] = Value::Null;
        b["generated_at"] = Value::Null;
        assert_eq!(a, b, "the report does not depend on keeping rows");
    }

    #[tokio::test]
    async fn a_run_where_no_account_could_be_reached_fails() {
        let fleet = Fleet {
            members: vec![Member {
                account: account("333333333333"),
                cloud: Box::new(Unreachable),
            }],
            unreached: Vec::new(),
            max_concurrent: 1,
            calls: None,
        };
        let e = scan(&fleet, &scope(), &Silent).await.unwrap_err();
        assert!(format!("{e:#}").contains("AccessDenied"));
    }

    fn scope() -> Scope {
        Scope {
            regions: Regions::AwsDefault,
            regions_by_flag: false,
            services: Service::ALL.to_vec(),
        }
    }

    fn options() -> RecommendOptions {
        RecommendOptions {
            lookback_days: 14,
            period: 3600,
            exclude_tags: Vec::new(),
            min_savings: None,
            thresholds: Thresholds::default(),
            keep_rows: true,
        }
    }

    /// The report of `recommend --demo -o json` as the golden file has it
    /// (after its `exit:` line, before anything that follows it).
    fn golden() -> Value {
        let text = include_str!("../tests/golden/recommend-demo-json.txt");
        let body = text.split_once('\n').map_or(text, |(_, rest)| rest);
        // The price tables' ages are masked there; they are not compared.
        let body = body.replace("<DAY-DEPENDENT>", "null");
        serde_json::Deserializer::from_str(&body)
            .into_iter::<Value>()
            .next()
            .expect("a report")
            .expect("the golden demo report is JSON")
    }

    /// What identifies a finding and its figure, for comparing reports.
    fn findings(report: &Value) -> Vec<(Value, Value, Value, Value)> {
        report["recommendations"]
            .as_array()
            .expect("a list of findings")
            .iter()
            .map(|r| {
                (
                    r["resource_key"].clone(),
                    r["rule"].clone(),
                    r["action"].clone(),
                    r["monthly_savings_usd"].clone(),
                )
            })
            .collect()
    }

    fn json(report: &RecommendReport) -> Value {
        serde_json::to_value(report).expect("the report serialises")
    }

    #[tokio::test]
    async fn the_demo_cloud_gives_the_demo_report() {
        let c = recommend(&demo(), &scope(), &options(), &Silent)
            .await
            .unwrap();
        let got = json(&c.report);
        let want = golden();
        for key in [
            "totals",
            "coverage",
            "excluded",
            "insufficient_data",
            "unpriced",
            "regions",
            "errors",
            "lookback_days",
            "period_seconds",
        ] {
            assert_eq!(got[key], want[key], "{key}");
        }
        assert_eq!(findings(&got), findings(&want));
    }

    #[tokio::test]
    async fn a_region_whose_discovery_fails_leaves_the_others_findings() {
        let cloud = Faulty::new(Demo).fail(Op::Discover, "eu-west-1", 0, 1);
        let cloud = Fleet::one(Box::new(cloud), Some(Demo::account()));
        let c = recommend(&cloud, &scope(), &options(), &Silent)
            .await
            .unwrap();
        let errors = &c.report.errors;
        assert_eq!(errors.len(), Service::ALL.len(), "one per service");
        assert!(errors.iter().all(|e| e.region == "eu-west-1"));
        // The failed region's resources have no findings (its Elastic IPs,
        // which are not discovered resources, still do); the other region's
        // findings are as always.
        let kept = |key: &str| key.contains("/us-east-1/") || key.contains("/elastic_ip/");
        let want: Vec<_> = findings(&golden())
            .into_iter()
            .filter(|f| f.0.as_str().is_some_and(kept))
            .collect();
        assert!(
            want.iter()
                .any(|f| f.0.as_str().is_some_and(|k| k.contains("/us-east-1/")))
        );
        assert_eq!(findings(&json(&c.report)), want);
    }

    #[tokio::test]
    async fn failing_utilization_is_recorded_not_raised() {
        // The first run reads everything; the second fails in us-east-1.
        let cloud = Faulty::new(Demo).fail(Op::Utilization, "us-east-1", 1, 1);
        let cloud = Fleet::one(Box::new(cloud), Some(Demo::account()));
        let first = recommend(&cloud, &scope(), &options(), &Silent)
            .await
            .unwrap();
        assert!(first.report.errors.is_empty());
        let second = recommend(&cloud, &scope(), &options(), &Silent)
            .await
            .unwrap();
        let errors = &second.report.errors;
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].region, "us-east-1");
        assert_eq!(errors[0].service, "cloudwatch");
        // Every resource is still accounted for in the coverage.
        assert_eq!(
            json(&second.report)["coverage"]["resources"],
            json(&first.report)["coverage"]["resources"]
        );
        // The other region's findings do not depend on us-east-1's metrics.
        let eu = |c: &Computed| {
            findings(&json(&c.report))
                .into_iter()
                .filter(|f| f.0.as_str().is_some_and(|k| k.contains("/eu-west-1/")))
                .collect::<Vec<_>>()
        };
        assert!(!eu(&second).is_empty());
        assert_eq!(eu(&second), eu(&first));
    }

    #[tokio::test]
    async fn a_scan_of_the_demo_cloud_narrows_to_flagged_regions_and_services() {
        let s = Scope {
            regions: Regions::Listed(vec!["eu-west-1".into()]),
            regions_by_flag: true,
            services: vec![Service::Ec2],
        };
        let inv = scan(&demo(), &s, &Silent).await.unwrap();
        assert_eq!(inv.regions, vec!["eu-west-1".to_string()]);
        assert!(!inv.resources.is_empty());
        assert!(
            inv.resources
                .iter()
                .all(|r| r.region == "eu-west-1" && r.kind().service() == Service::Ec2)
        );
        // From the config file, regions do not narrow the demo fleet.
        let all = scan(
            &demo(),
            &Scope {
                regions_by_flag: false,
                ..s
            },
            &Silent,
        )
        .await
        .unwrap();
        assert_eq!(all.regions.len(), 2);
    }
}
