//! `finops spend` and `watch --spend` as the binary runs them, against moto
//! (Organizations, Budgets, STS) behind the Cost Explorer stand-in
//! (`cefake`): every figure is computed here by hand from the seeded rows,
//! independently of finops, and must match to the cent.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use rust_decimal::Decimal;
use serde_json::{Value, json};
use time::{Date, Duration, OffsetDateTime};

use crate::backend::Backend;
use crate::cefake::{CeError, CostExplorer, CostRow, Forecast};
use crate::moto::Moto;
use crate::org::{MANAGEMENT, Org, config_in, run_instance};
use crate::proxy::{forward, read_request};
use crate::terminal::dec;
use crate::{finops, json};

const EC2: &str = "Amazon Elastic Compute Cloud - Compute";
const RDS: &str = "Amazon Relational Database Service";
const S3: &str = "Amazon Simple Storage Service";
const LAMBDA: &str = "AWS Lambda";
const CW: &str = "AmazonCloudWatch";
/// moto's default account: the credentials' own.
const ACCT: &str = MANAGEMENT;

const AS_OF: &str = "2026-11-16";
const SPIKE_DAY: &str = "2026-11-12";
const SPIKE: &str = "400.00";

const FMT: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

fn d(s: &str) -> Decimal {
    Decimal::from_str_exact(s).unwrap()
}

fn day(s: &str) -> Date {
    Date::parse(s, FMT).unwrap()
}

fn ymd(d: Date) -> String {
    d.format(FMT).unwrap()
}

/// Five services a day from `first` for `n` days, in `account`; amounts
/// with cents that vary by day; EC2 is `SPIKE` more on `spike`. Lambda's
/// unblended cost (0.50) differs from its amortized one (0.33).
fn table(first: Date, n: i64, account: &str, spike: Option<&str>) -> Vec<CostRow> {
    (0..n)
        .flat_map(|i| {
            let date = ymd(first + Duration::days(i));
            let k = Decimal::from(i);
            let mut ec2 = d("40.00") + (k % d("7")) * d("1.13");
            if Some(date.as_str()) == spike {
                ec2 += d(SPIKE);
            }
            let rds = d("12.37") + (k % d("3")) * d("0.41");
            let s3 = d("1.05") + (k % d("5")) * d("0.02");
            let cw = d("2.19") + (k % d("2")) * d("0.10");
            [
                CostRow::new(&date, EC2, account, &ec2.to_string()),
                CostRow::new(&date, RDS, account, &rds.to_string()),
                CostRow::new(&date, S3, account, &s3.to_string()).region("us-west-2"),
                CostRow::new(&date, LAMBDA, account, "0.33").metric("UnblendedCost", "0.50"),
                CostRow::new(&date, CW, account, &cw.to_string()),
            ]
        })
        .collect()
}

/// 2026-09-01 to 2026-11-20: last month, the trailing history, and days
/// after `--as-of` that must not be counted.
fn seeded() -> Vec<CostRow> {
    table(day("2026-09-01"), 81, ACCT, Some(SPIKE_DAY))
}

fn amount(r: &CostRow, metric: &str) -> Decimal {
    d(r.by_metric.get(metric).unwrap_or(&r.usd))
}

/// The sum of the rows `keep` selects, for `metric`.
fn sum(rows: &[CostRow], metric: &str, keep: impl Fn(&CostRow) -> bool) -> Decimal {
    rows.iter()
        .filter(|r| keep(r))
        .map(|r| amount(r, metric))
        .sum()
}

fn between(r: &CostRow, from: &str, to: &str) -> bool {
    r.date.as_str() >= from && r.date.as_str() <= to
}

fn pct(before: Decimal, after: Decimal) -> Decimal {
    ((after - before) / before * Decimal::ONE_HUNDRED).round_dp(1)
}

fn cents(v: Decimal) -> Decimal {
    v.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

fn median(mut v: Vec<Decimal>) -> Decimal {
    v.sort();
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / Decimal::TWO
    }
}

/// One `finops spend` run: exit code, stdout, stderr.
fn spend(home: &Path, url: Option<&str>, args: &[&str]) -> (i32, String, String) {
    let mut c = finops(home);
    c.env("FINOPS_STATE_DIR", home.join("state"))
        .args(["spend", "--no-progress"]);
    if let Some(url) = url {
        c.args(["--endpoint-url", url, "--region", "us-east-1"]);
    }
    let out = c.args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// A `spend -o json` run that must exit `code`: the report.
fn report(home: &Path, url: &str, args: &[&str], code: i32) -> Value {
    let (c, out, err) = spend(home, Some(url), &[&["-o", "json"], args].concat());
    assert_eq!(c, code, "{err}\n{out}");
    json(out.as_bytes())
}

/// A cost budget of `ACCT` in moto, with its calculated spend.
async fn budget(moto: &Moto, name: &str, limit: &str, actual: &str, forecast: &str) {
    use aws_sdk_budgets::types::{Budget, BudgetType, CalculatedSpend, Spend, TimeUnit};
    let c = aws_sdk_budgets::Client::new(&moto.config("us-east-1").await);
    let usd = |a: &str| Spend::builder().amount(a).unit("USD").build().unwrap();
    let _ = c
        .delete_budget()
        .account_id(ACCT)
        .budget_name(name)
        .send()
        .await;
    let spent = CalculatedSpend::builder()
        .actual_spend(usd(actual))
        .forecasted_spend(usd(forecast))
        .build();
    let b = Budget::builder()
        .budget_name(name)
        .budget_limit(usd(limit))
        .time_unit(TimeUnit::Monthly)
        .budget_type(BudgetType::Cost)
        .calculated_spend(spent)
        .build()
        .unwrap();
    c.create_budget()
        .account_id(ACCT)
        .budget(b)
        .send()
        .await
        .unwrap();
}

async fn start(rows: Vec<CostRow>) -> (Moto, CostExplorer) {
    let moto = Moto::start();
    let ce = CostExplorer::start(moto.port, rows);
    ce.set_today(AS_OF);
    (moto, ce)
}

/// Acceptance 1: the headline figures, the breakdown and its "other", the
/// daily series (estimated days marked) and the trailing-week projection,
/// all to the cent; one request, as asked.
#[tokio::test(flavor = "multi_thread")]
async fn spend_figures_match_hand_computed_ones_to_the_cent_from_one_request() {
    let rows = seeded();
    let (_moto, ce) = start(rows.clone()).await;
    ce.set_estimated_days(&["2026-11-14", "2026-11-15"]);
    let home = tempfile::tempdir().unwrap();
    let r = report(
        home.path(),
        &ce.url,
        &[
            "--as-of",
            AS_OF,
            "--top",
            "2",
            "--no-inventory",
            "--no-budgets",
        ],
        0,
    );
    let m = "AmortizedCost";
    let mtd = sum(&rows, m, |r| between(r, "2026-11-01", "2026-11-15"));
    let prev = sum(&rows, m, |r| between(r, "2026-10-01", "2026-10-15"));
    let last = sum(&rows, m, |r| between(r, "2026-10-01", "2026-10-31"));
    let week = sum(&rows, m, |r| between(r, "2026-11-09", "2026-11-15"));
    assert_eq!(dec(&r["month_to_date_usd"]), mtd);
    assert_eq!(dec(&r["previous_period_usd"]), prev);
    assert_eq!(dec(&r["last_month_usd"]), last);
    assert_eq!(dec(&r["change_usd"]), mtd - prev);
    assert_eq!(dec(&r["change_percent"]), pct(prev, mtd));
    assert_eq!(r["metric"], "amortized");
    assert_eq!(r["currency"], "USD");
    assert_eq!(r["period_start"], "2026-11-01");
    assert_eq!(r["period_end"], "2026-11-15");
    // 15 days left in November, at the last 7 days' average.
    assert_eq!(r["projection_method"], "trailing_7_day_average");
    let projected = mtd + cents(week / Decimal::from(7) * Decimal::from(15));
    assert_eq!(dec(&r["projected_month_end_usd"]), projected);

    // The top 2 services by MTD, then the other 3 summed.
    let by = r["by"].as_array().unwrap();
    assert_eq!(by.len(), 3, "{by:#?}");
    let of = |svc: &str, from: &str, to: &str| {
        sum(&rows, m, |r| r.service == svc && between(r, from, to))
    };
    for (e, svc) in by.iter().zip([EC2, RDS]) {
        assert_eq!(e["dimension"], "service");
        assert_eq!(e["key"], svc);
        let (a, b) = (
            of(svc, "2026-11-01", "2026-11-15"),
            of(svc, "2026-10-01", "2026-10-15"),
        );
        assert_eq!(dec(&e["month_to_date_usd"]), a, "{svc}");
        assert_eq!(dec(&e["previous_period_usd"]), b, "{svc}");
        assert_eq!(dec(&e["change_usd"]), a - b, "{svc}");
        assert_eq!(dec(&e["change_percent"]), pct(b, a), "{svc}");
    }
    let rest: Decimal = [S3, LAMBDA, CW]
        .iter()
        .map(|s| of(s, "2026-11-01", "2026-11-15"))
        .sum();
    assert_eq!(by[2]["key"], "other");
    assert_eq!(by[2]["name"], "other (3 more)");
    assert_eq!(dec(&by[2]["month_to_date_usd"]), rest);

    // The last 30 days, each day's total, the estimated ones marked.
    let daily = r["daily"].as_array().unwrap();
    assert_eq!(daily.len(), 30);
    let first = day("2026-10-17");
    for (i, e) in daily.iter().enumerate() {
        let date = ymd(first + Duration::days(i as i64));
        assert_eq!(e["date"], date.as_str());
        assert_eq!(dec(&e["usd"]), sum(&rows, m, |r| r.date == date), "{date}");
        let estimated = date == "2026-11-14" || date == "2026-11-15";
        assert_eq!(e["estimated"], estimated, "{date}");
    }

    // One GetCostAndUsage for the whole report, and no forecast (a past --as-of).
    assert_eq!(ce.calls("GetCostAndUsage"), 1);
    assert_eq!(ce.calls("GetCostForecast"), 0);
    assert_eq!(r["requests"], 1);
    assert_eq!(r["errors"], json!([]));
    let q = ce.last_request("GetCostAndUsage").unwrap();
    assert_eq!(
        q["TimePeriod"],
        json!({"Start": "2026-10-01", "End": "2026-11-16"})
    );
    assert_eq!(q["Granularity"], "DAILY");
    assert_eq!(q["Metrics"], json!(["AmortizedCost"]));
    assert_eq!(
        q["GroupBy"],
        json!([{"Type": "DIMENSION", "Key": "SERVICE"}])
    );
    assert_eq!(
        q["Filter"]["Dimensions"],
        json!({"Key": "LINKED_ACCOUNT", "Values": [ACCT]})
    );
}

/// Pages: the same figures, one request per page, all counted; `--metric
/// unblended` asks for UnblendedCost and reports it; CSV rows add up.
#[tokio::test(flavor = "multi_thread")]
async fn paged_answers_unblended_metric_and_csv_add_up() {
    let rows = seeded();
    let (_moto, ce) = start(rows.clone()).await;
    ce.set_page_size(10);
    let home = tempfile::tempdir().unwrap();
    let args = [
        "--as-of",
        AS_OF,
        "--metric",
        "unblended",
        "--no-inventory",
        "--no-budgets",
    ];
    let r = report(home.path(), &ce.url, &args, 0);
    // 46 days (2026-10-01 to 2026-11-15) in pages of 10.
    assert_eq!(ce.calls("GetCostAndUsage"), 5);
    assert_eq!(r["requests"], 5);
    let pages = ce.requests("GetCostAndUsage");
    assert!(pages[1..].iter().all(|p| p["NextPageToken"].is_string()));
    assert!(
        pages
            .iter()
            .all(|p| p["Metrics"] == json!(["UnblendedCost"]))
    );
    assert_eq!(r["metric"], "unblended");
    let m = "UnblendedCost";
    let mtd = sum(&rows, m, |r| between(r, "2026-11-01", "2026-11-15"));
    assert_eq!(dec(&r["month_to_date_usd"]), mtd);
    assert_ne!(
        mtd,
        sum(&rows, "AmortizedCost", |r| between(
            r,
            "2026-11-01",
            "2026-11-15"
        ))
    );
    let lambda = r["by"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == LAMBDA)
        .unwrap();
    assert_eq!(dec(&lambda["month_to_date_usd"]), d("7.50"));
    for e in r["daily"].as_array().unwrap() {
        let date = e["date"].as_str().unwrap();
        assert_eq!(dec(&e["usd"]), sum(&rows, m, |r| r.date == date), "{date}");
        assert_eq!(e["estimated"], false);
    }

    let (code, csv, err) = spend(
        home.path(),
        Some(&ce.url),
        &[&["-o", "csv"], &args[..]].concat(),
    );
    assert_eq!(code, 0, "{err}");
    let mut lines = csv.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = head.iter().position(|h| *h == "month_to_date_usd").unwrap();
    let mut total = Decimal::ZERO;
    let mut n = 0;
    for l in lines {
        let cells = csv_cells(l);
        total += d(&cells[col]);
        n += 1;
    }
    assert_eq!(n, 5, "{csv}");
    assert_eq!(total, mtd, "{csv}");
}

/// The cells of one CSV line (quoted cells may hold commas).
fn csv_cells(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(String::new()),
            c => out.last_mut().unwrap().push(c),
        }
    }
    out
}

/// The EC2 spike is an anomaly naming the service and the day, expected at
/// the median of the 14 days before it.
#[tokio::test(flavor = "multi_thread")]
async fn an_injected_spike_is_an_anomaly_naming_the_service_and_the_day() {
    let rows = seeded();
    let (_moto, ce) = start(rows.clone()).await;
    let home = tempfile::tempdir().unwrap();
    let args = ["--as-of", AS_OF, "--no-inventory", "--no-budgets"];
    let r = report(home.path(), &ce.url, &args, 0);
    let anomalies = r["anomalies"].as_array().unwrap();
    assert!(
        anomalies.iter().all(|a| a["date"] == SPIKE_DAY),
        "{anomalies:#?}"
    );
    let by_service: Vec<&Value> = anomalies
        .iter()
        .filter(|a| a["dimension"] == "service")
        .collect();
    assert_eq!(by_service.len(), 1, "{anomalies:#?}");
    let a = by_service[0];
    assert_eq!(a["key"], EC2);
    let history: Vec<Decimal> = (1..=14)
        .map(|i| ymd(day(SPIKE_DAY) - Duration::days(i)))
        .map(|date| {
            sum(&rows, "AmortizedCost", |r| {
                r.service == EC2 && r.date == date
            })
        })
        .collect();
    let actual = sum(&rows, "AmortizedCost", |r| {
        r.service == EC2 && r.date == SPIKE_DAY
    });
    assert_eq!(dec(&a["actual_usd"]), actual);
    assert_eq!(dec(&a["expected_usd"]), cents(median(history)));

    // Without the spike, no anomaly at all.
    ce.set_rows(table(day("2026-09-01"), 81, ACCT, None));
    let r = report(home.path(), &ce.url, &args, 0);
    assert_eq!(r["anomalies"], json!([]));
}

/// A budget at 95 % of its limit: `--fail-on-budget 90` exits 4, 96 exits
/// 0; with `--forecast`, the forecast decides.
#[tokio::test(flavor = "multi_thread")]
async fn fail_on_budget_gates_on_actual_spend_or_the_forecast() {
    let (moto, ce) = start(seeded()).await;
    budget(&moto, "monthly", "1000", "950", "1200").await;
    let home = tempfile::tempdir().unwrap();
    let base = ["--as-of", AS_OF, "--no-inventory"];
    let r = report(home.path(), &ce.url, &base, 0);
    let b = &r["budgets"].as_array().unwrap()[0];
    assert_eq!(b["name"], "monthly");
    assert_eq!(dec(&b["limit_usd"]), d("1000"));
    assert_eq!(dec(&b["actual_usd"]), d("950"));
    assert_eq!(dec(&b["forecast_usd"]), d("1200"));
    assert_eq!(dec(&b["percent_used"]), d("95"));
    assert_eq!(b["at_risk"], true);

    let gate = |extra: &[&str]| {
        let (code, out, err) = spend(home.path(), Some(&ce.url), &[&base[..], extra].concat());
        (code, format!("{out}{err}"))
    };
    let (code, out) = gate(&["--fail-on-budget", "90"]);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("monthly"), "{out}");
    assert_eq!(gate(&["--fail-on-budget", "96"]).0, 0);
    // Forecast 120 %: over 90 (and over 110), under 130.
    assert_eq!(gate(&["--fail-on-budget", "110", "--forecast"]).0, 4);
    assert_eq!(gate(&["--fail-on-budget", "130", "--forecast"]).0, 0);
    // Forecast 85 % with actual spend at 95 %: --forecast passes at 90.
    budget(&moto, "monthly", "1000", "950", "850").await;
    assert_eq!(gate(&["--fail-on-budget", "90", "--forecast"]).0, 0);
    assert_eq!(gate(&["--fail-on-budget", "90"]).0, 4);
}

/// With `--as-of` today (the default), finops asks Cost Explorer for its
/// forecast and projects MTD plus it; on the 1st of a month the month
/// reported is complete, and no forecast is asked.
#[tokio::test(flavor = "multi_thread")]
async fn the_cost_explorer_forecast_is_used_when_it_answers() {
    let today = OffsetDateTime::now_utc().date();
    let rows = table(today - Duration::days(70), 70, ACCT, None);
    let moto = Moto::start();
    let ce = CostExplorer::start(moto.port, rows.clone());
    ce.set_today(&ymd(today));
    ce.set_forecast(Forecast::Amount("321.45".into()));
    let home = tempfile::tempdir().unwrap();
    let r = report(home.path(), &ce.url, &["--no-inventory", "--no-budgets"], 0);
    let last = today - Duration::days(1);
    let start = ymd(last.replace_day(1).unwrap());
    let mtd = sum(&rows, "AmortizedCost", |r| between(r, &start, &ymd(last)));
    assert_eq!(dec(&r["month_to_date_usd"]), mtd);
    if today.day() == 1 {
        assert_eq!(r["projection_method"], "month_complete");
        assert_eq!(dec(&r["projected_month_end_usd"]), mtd);
        assert_eq!(ce.calls("GetCostForecast"), 0);
        assert_eq!(r["requests"], 1);
    } else {
        assert_eq!(r["projection_method"], "cost_explorer_forecast");
        assert_eq!(dec(&r["projected_month_end_usd"]), mtd + d("321.45"));
        assert_eq!(ce.calls("GetCostForecast"), 1);
        assert_eq!(r["requests"], 2);
        let q = ce.last_request("GetCostForecast").unwrap();
        assert_eq!(q["TimePeriod"]["Start"], ymd(today).as_str());
        assert_eq!(q["Metric"], "AMORTIZED_COST");
    }
    assert_eq!(ce.calls("GetCostAndUsage"), 1);
}

/// Acceptance 2: from the management account, `--org --by account` groups
/// by linked account over the whole organization and names the accounts;
/// from a member's credentials, one line says to run from the management
/// account, exit 2.
#[tokio::test(flavor = "multi_thread")]
async fn org_spend_by_account_names_accounts_and_a_member_is_told_to_use_the_management_account() {
    let moto = Moto::start();
    let org = Org::create(&moto, 2).await;
    let first = day("2026-09-01");
    let mut rows = table(first, 81, ACCT, None);
    rows.extend(table(first, 81, &org.members[0], None));
    rows.extend(table(first, 81, &org.members[1], Some(SPIKE_DAY)));
    let ce = CostExplorer::start(moto.port, rows.clone());
    ce.set_today(AS_OF);
    ce.set_names(&[(&org.members[0], "billing-name-1")]);
    let home = tempfile::tempdir().unwrap();
    let args = [
        "--org",
        "--by",
        "account",
        "--as-of",
        AS_OF,
        "--no-inventory",
        "--no-budgets",
    ];
    let r = report(home.path(), &ce.url, &args, 0);
    let q = ce.last_request("GetCostAndUsage").unwrap();
    assert_eq!(
        q["GroupBy"],
        json!([{"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}])
    );
    assert!(q["Filter"].is_null(), "the whole organization: {q}");
    let by: BTreeMap<String, &Value> = r["by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["key"].as_str().unwrap().to_string(), e))
        .collect();
    let ids: BTreeSet<&str> = [ACCT, &org.members[0], &org.members[1]].into();
    assert_eq!(by.keys().map(String::as_str).collect::<BTreeSet<_>>(), ids);
    for (i, m) in org.members.iter().enumerate() {
        let e = by[m];
        assert_eq!(e["dimension"], "account");
        assert_eq!(e["name"], format!("m{} ({m})", i + 1));
        let mtd = sum(&rows, "AmortizedCost", |r| {
            r.account == *m && between(r, "2026-11-01", "2026-11-15")
        });
        assert_eq!(dec(&e["month_to_date_usd"]), mtd);
    }
    let total = sum(&rows, "AmortizedCost", |r| {
        between(r, "2026-11-01", "2026-11-15")
    });
    assert_eq!(dec(&r["month_to_date_usd"]), total);
    // The spike is the second member's, by account.
    let a: Vec<&Value> = r["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["dimension"] == "account")
        .collect();
    assert_eq!(a.len(), 1, "{:#?}", r["anomalies"]);
    assert_eq!(a[0]["key"], org.members[1].as_str());

    // A member's own credentials.
    let member = config_in(&moto, &org.members[0], "us-east-1").await;
    let creds = {
        use aws_credential_types::provider::ProvideCredentials;
        member
            .credentials_provider()
            .unwrap()
            .provide_credentials()
            .await
            .unwrap()
    };
    let calls = ce.calls("GetCostAndUsage");
    let out = finops(home.path())
        .env("AWS_ACCESS_KEY_ID", creds.access_key_id())
        .env("AWS_SECRET_ACCESS_KEY", creds.secret_access_key())
        .env("AWS_SESSION_TOKEN", creds.session_token().unwrap())
        .args(["spend", "--no-progress", "--endpoint-url", &ce.url])
        .args(["--region", "us-east-1"])
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert!(lines[0].starts_with("error: "), "{err}");
    assert!(lines[0].contains("management account"), "{err}");
    assert!(lines[0].contains(&org.members[0]), "{err}");
    assert!(lines.iter().any(|l| l.starts_with("hint: ")), "{err}");
    assert_eq!(ce.calls("GetCostAndUsage"), calls, "no paid request");
}

/// Rows relative to the real date (`watch` reads the bill as of today):
/// 70 days to yesterday, the EC2 spike three days ago.
fn recent() -> (Vec<CostRow>, String) {
    let today = OffsetDateTime::now_utc().date();
    let spike = ymd(today - Duration::days(3));
    (
        table(today - Duration::days(70), 70, ACCT, Some(&spike)),
        spike,
    )
}

/// `[spend] refresh_interval` in a config file under `home`.
fn config(home: &Path, refresh: &str) -> String {
    let p = home.join("finops.toml");
    std::fs::write(&p, format!("[spend]\nrefresh_interval = \"{refresh}\"\n")).unwrap();
    p.to_str().unwrap().to_string()
}

/// One `watch --spend --sync` run of 3 cycles 1 s apart: its events.
fn watch_spend(home: &Path, ce: &str, backend: &str) -> Vec<Value> {
    let cfg = config(home, "1h");
    let out = finops(home)
        .env("FINOPS_STATE_DIR", home.join("state"))
        .env("FINOPS_WATCH_MIN_INTERVAL", "0s")
        .args(["watch", "--spend", "--sync", "--backend-url", backend])
        .args(["--interval", "1s", "--max-cycles", "3", "--config", &cfg])
        .args(["--region", "us-east-1", "--services", "ec2"])
        .args(["--endpoint-url", ce, "-o", "json", "--no-progress"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}\n{err}")))
        .collect()
}

/// The anomaly posts the backend got, by anomaly id.
fn anomaly_posts(backend: &Backend) -> BTreeMap<String, Vec<Value>> {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for r in backend.received() {
        if r.endpoint == "/api/anomalies" {
            let id = r.body["anomaly_id"].as_str().unwrap().to_string();
            out.entry(id).or_default().push(r.body);
        }
    }
    out
}

/// Acceptance 3: three cycles read Cost Explorer once (refresh 1h), report
/// the spike once and post it once; a restarted watcher neither asks Cost
/// Explorer again nor reports or posts the spike again.
#[tokio::test(flavor = "multi_thread")]
async fn watch_spend_reports_and_posts_an_anomaly_once_and_reads_cost_explorer_once() {
    let (rows, spike) = recent();
    let moto = Moto::start();
    let ce = CostExplorer::start(moto.port, rows);
    let backend = Backend::start();
    let home = tempfile::tempdir().unwrap();

    let events = watch_spend(home.path(), &ce.url, &backend.url);
    let cycles = events
        .iter()
        .filter(|e| e["event"] == "cycle_summary")
        .count();
    assert_eq!(cycles, 3, "{events:#?}");
    let found: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "spend_anomaly")
        .collect();
    let ec2: Vec<&&Value> = found
        .iter()
        .filter(|e| e["dimension"] == "service")
        .collect();
    assert_eq!(ec2.len(), 1, "{found:#?}");
    assert_eq!(ec2[0]["key"], EC2);
    assert_eq!(ec2[0]["date"], spike.as_str());
    let ids: BTreeSet<&str> = found
        .iter()
        .map(|e| e["anomaly_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), found.len(), "each anomaly once: {found:#?}");
    assert_eq!(ce.calls("GetCostAndUsage"), 1);

    let posts = anomaly_posts(&backend);
    assert_eq!(
        posts.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        ids
    );
    assert!(posts.values().all(|p| p.len() == 1), "{posts:#?}");
    let post = &posts[ec2[0]["anomaly_id"].as_str().unwrap()][0];
    assert_eq!(post["basis"], "daily");
    assert_eq!(post["scope"], "service");
    assert_eq!(post["key"], EC2);
    assert_eq!(post["date"], spike.as_str());
    assert_eq!(
        dec(&post["current_monthly_cost"]),
        dec(&ec2[0]["actual_usd"])
    );

    // Restarted: the kept answer (fresh for 1h), the anomaly seen before.
    let again = watch_spend(home.path(), &ce.url, &backend.url);
    assert!(
        again.iter().all(|e| e["event"] != "spend_anomaly"),
        "{again:#?}"
    );
    assert_eq!(ce.calls("GetCostAndUsage"), 1);
    assert_eq!(anomaly_posts(&backend), posts);
}

/// `spend --sync` posts the budgets (contract fields) and each anomaly
/// once across two runs.
#[tokio::test(flavor = "multi_thread")]
async fn spend_sync_posts_budgets_and_each_anomaly_once() {
    let (moto, ce) = start(seeded()).await;
    budget(&moto, "monthly", "1000", "950", "1200").await;
    let backend = Backend::start();
    let home = tempfile::tempdir().unwrap();
    let args = [
        "--as-of",
        AS_OF,
        "--no-inventory",
        "--sync",
        "--backend-url",
        &backend.url,
    ];
    let first = report(home.path(), &ce.url, &args, 0);
    let ids: BTreeSet<String> = first["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    assert!(!ids.is_empty());
    report(home.path(), &ce.url, &args, 0);
    let posts = anomaly_posts(&backend);
    assert_eq!(posts.keys().cloned().collect::<BTreeSet<_>>(), ids);
    assert!(posts.values().all(|p| p.len() == 1), "{posts:#?}");
    assert!(posts.values().all(|p| p[0]["date"] == SPIKE_DAY));

    let budgets: Vec<Value> = backend
        .received()
        .into_iter()
        .filter(|r| r.endpoint == "/api/budgets")
        .map(|r| r.body)
        .collect();
    assert!(!budgets.is_empty());
    let b = &budgets[0];
    assert_eq!(b["budget_name"], "monthly");
    assert_eq!(b["account_id"], ACCT);
    assert_eq!(b["time_unit"], "MONTHLY");
    assert_eq!(dec(&b["limit"]), d("1000"));
    assert_eq!(dec(&b["actual"]), d("950"));
    assert_eq!(dec(&b["forecast"]), d("1200"));
    assert_eq!(dec(&b["percent_used"]), d("95"));
    assert_eq!(b["at_risk"], true);
    assert!(b["period_start"].is_string(), "{b}");
}

/// The `error:` and `hint:` lines of a failed run, checked to be one each.
fn error_lines(err: &str) -> (String, String) {
    let e: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    let h: Vec<&str> = err.lines().filter(|l| l.starts_with("hint: ")).collect();
    assert_eq!((e.len(), h.len()), (1, 1), "{err}");
    (e[0].to_string(), h[0].to_string())
}

/// Bad input exits 2 with one `error:` line and a hint, before any AWS call.
#[test]
fn bad_input_exits_2_with_a_hint() {
    let home = tempfile::tempdir().unwrap();
    let today = OffsetDateTime::now_utc().date();
    let tomorrow = ymd(today + Duration::days(1));
    let cases: Vec<(Vec<&str>, &str, &str)> = vec![
        (vec!["--by", "sevice"], "sevice", "--by service"),
        (vec!["--by", "tag:"], "tag key", "--by tag:team"),
        (
            vec!["--by", "service", "--by", "account", "--by", "region"],
            "at most two",
            "keep two",
        ),
        (vec!["--as-of", "2020-01-01"], "14 months", "at least 20"),
        (vec!["--as-of", &tomorrow], "in the future", "give today"),
    ];
    for (args, error, hint) in cases {
        let (code, out, err) = spend(home.path(), None, &args);
        assert_eq!(code, 2, "{args:?}: {err}{out}");
        let (e, h) = error_lines(&err);
        assert!(e.contains(error), "{args:?}: {err}");
        assert!(h.contains(hint), "{args:?}: {err}");
    }
    // The earliest --as-of Cost Explorer still keeps is a date in the hint.
    let (_, _, err) = spend(home.path(), None, &["--as-of", "2020-01-01"]);
    let (_, h) = error_lines(&err);
    let at = h.split("at least ").nth(1).unwrap();
    let date = day(&at[..10]);
    assert!(date > day("2020-01-01") && date <= today, "{h}");

    let (code, _, err) = spend(home.path(), None, &["--metric", "nope"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("nope") && err.contains("unblended"), "{err}");
}

/// A proxy that answers DescribeBudgets with AccessDeniedException and
/// forwards the rest to `upstream`; its port.
fn deny_budgets(upstream: u16) -> u16 {
    use std::io::{BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            std::thread::spawn(move || {
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let Some((head, body)) = read_request(&mut reader) else {
                    return;
                };
                let mut out = conn;
                if !head.contains("AWSBudgetServiceGateway.DescribeBudgets") {
                    let _ = out.write_all(&forward(upstream, &head, &body));
                    return;
                }
                let text = r#"{"__type":"AccessDeniedException","Message":"User is not authorized to perform: budgets:ViewBudget"}"#;
                let _ = write!(
                    out,
                    "HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.1\r\n\
                     x-amzn-ErrorType: AccessDeniedException\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n{text}",
                    text.len()
                );
            });
        }
    });
    port
}

/// Cost Explorer not enabled, access denied, budgets denied: each says so
/// in one line with the permission, and the exit code tells them apart.
#[tokio::test(flavor = "multi_thread")]
async fn cost_explorer_and_budgets_faults_say_what_is_needed() {
    let moto = Moto::start();
    let ce = CostExplorer::start(deny_budgets(moto.port), seeded());
    ce.set_today(AS_OF);
    let home = tempfile::tempdir().unwrap();
    let args = ["--as-of", AS_OF, "--no-inventory"];

    ce.set_failure(Some(CeError::DataUnavailable));
    let (code, _, err) = spend(home.path(), Some(&ce.url), &args);
    assert_eq!(code, 1, "{err}");
    let (e, h) = error_lines(&err);
    assert!(e.contains("DataUnavailable"), "{err}");
    assert!(h.contains("Cost Explorer is not enabled"), "{err}");

    ce.set_failure(Some(CeError::AccessDenied));
    let (code, _, err) = spend(home.path(), Some(&ce.url), &args);
    assert_eq!(code, 1, "{err}");
    let (_, h) = error_lines(&err);
    assert!(h.contains("ce:GetCostAndUsage"), "{err}");

    // Budgets denied: the report without them, exit 3, the error in it.
    ce.set_failure(None);
    let r = report(home.path(), &ce.url, &args, 3);
    let errors = r["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["service"], "budgets");
    assert_eq!(r["budgets"], json!([]));
    assert!(r["month_to_date_usd"].is_number());
    let (_, _, err) = spend(home.path(), Some(&ce.url), &args);
    assert!(err.contains("budgets:ViewBudget"), "{err}");
    // A gate that cannot read the budgets fails rather than pass.
    let gate = [&args[..], &["--fail-on-budget", "90"]].concat();
    let (code, _, err) = spend(home.path(), Some(&ce.url), &gate);
    assert_eq!(code, 1, "{err}");
    // The budgets' warning (with its hint) comes first; then one error line
    // and its hint.
    let lines: Vec<&str> = err.lines().collect();
    let at = lines.iter().position(|l| l.starts_with("error: ")).unwrap();
    assert_eq!(lines.iter().filter(|l| l.starts_with("error: ")).count(), 1);
    assert!(lines[at].contains("--fail-on-budget"), "{err}");
    assert!(lines[at + 1].starts_with("hint: "), "{err}");
    assert!(lines[at + 1].contains("budgets:ViewBudget"), "{err}");
}

/// Acceptance 4: the demo needs no AWS: one anomaly, one budget at risk,
/// list vs actual; two levels too.
#[test]
fn spend_demo_works_without_aws() {
    let home = tempfile::tempdir().unwrap();
    for extra in [&[][..], &["--by", "account", "--by", "service"][..]] {
        let out = finops(home.path())
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env("FINOPS_STATE_DIR", home.path().join("state"))
            .args(["spend", "--demo", "-o", "json", "--no-progress"])
            .args(extra)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{extra:?}: {err}");
        let r = json(&out.stdout);
        let anomalies = r["anomalies"].as_array().unwrap();
        assert_eq!(anomalies.len(), 1, "{extra:?}: {anomalies:#?}");
        assert_eq!(anomalies[0]["dimension"], "service");
        let at_risk = r["budgets"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["at_risk"] == true)
            .count();
        assert_eq!(at_risk, 1, "{extra:?}: {:#?}", r["budgets"]);
        assert!(
            !r["list_vs_actual"].as_array().unwrap().is_empty(),
            "{extra:?}"
        );
        assert_eq!(r["requests"], 0);
        if !extra.is_empty() {
            assert_eq!(r["dimensions"], json!(["account", "service"]));
            assert!(r["by"][0]["key"].as_str().unwrap().contains('/'));
        }
        let mtd: Decimal = r["by"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| dec(&e["month_to_date_usd"]))
            .sum();
        assert_eq!(mtd, dec(&r["month_to_date_usd"]), "{extra:?}");
    }
}

/// List vs actual from a real scan: the EC2 compute line puts the bill's
/// month to date next to the instance at list price over the same 15 days.
#[tokio::test(flavor = "multi_thread")]
async fn list_vs_actual_prices_the_inventory_over_the_month_to_date() {
    let rows = seeded();
    let (moto, ce) = start(rows.clone()).await;
    run_instance(&moto, ACCT, "us-east-1", "t3.micro").await;
    let home = tempfile::tempdir().unwrap();
    let args = ["--as-of", AS_OF, "--no-budgets", "--services", "ec2"];
    let r = report(home.path(), &ce.url, &args, 0);
    let lines = r["list_vs_actual"].as_array().unwrap();
    let ec2 = lines
        .iter()
        .find(|l| l["service"] == EC2)
        .unwrap_or_else(|| panic!("{lines:#?}"));
    let actual = sum(&rows, "AmortizedCost", |r| {
        r.service == EC2 && between(r, "2026-11-01", "2026-11-15")
    });
    // t3.micro, Linux, us-east-1: $0.0104 an hour, 15 days.
    let list = cents(d("0.0104") * Decimal::from(24 * 15));
    assert_eq!(dec(&ec2["actual_usd"]), actual);
    assert_eq!(dec(&ec2["list_usd"]), list);
    assert_eq!(dec(&ec2["effective_rate"]), (actual / list).round_dp(3));
    assert_eq!(ce.calls("GetCostAndUsage"), 1);
}
