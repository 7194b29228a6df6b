//! Bundled AWS list prices and their lookup: pure functions over static tables.
//!
//! Every figure comes from a table with a known data date (`TABLES`); a lookup
//! either returns a price naming its table or an [`Unpriced`] reason. Nothing is
//! ever priced at $0 for lack of data.

pub(crate) mod fleet;
pub(crate) mod query;

pub(crate) use fleet::{PricedResource, price_inventory};

use crate::sym::{Sym, Text};
use rust_decimal::Decimal;
use serde::Serialize;

/// One bundled price table and where its figures come from.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct TableMeta {
    pub(crate) id: &'static str,
    pub(crate) data_date: &'static str,
    pub(crate) description: &'static str,
    pub(crate) source: &'static str,
}

/// An EC2 instance type's specification (DescribeInstanceTypes facts).
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Ec2TypeRow {
    pub(crate) name: &'static str,
    pub(crate) vcpu: u32,
    pub(crate) memory_mib: u64,
    pub(crate) architectures: &'static str,
    pub(crate) hypervisor: &'static str,
    pub(crate) ena_support: &'static str,
    pub(crate) nvme_support: &'static str,
    pub(crate) burstable: bool,
    pub(crate) current_generation: bool,
    pub(crate) instance_storage_gb: u64,
    pub(crate) bare_metal: bool,
    pub(crate) gpus: u32,
}

/// Which engine major version is in RDS Extended Support, and since when.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct EsCalendarRow {
    pub(crate) engine: &'static str,
    pub(crate) major_version: &'static str,
    /// First day Extended Support is charged (the day after standard support ends).
    pub(crate) charged_from: &'static str,
    /// First day of the (higher) year-3 rate.
    pub(crate) year3_from: &'static str,
    /// Last day of Extended Support.
    pub(crate) ends: &'static str,
    pub(crate) source: &'static str,
}

#[allow(clippy::unreadable_literal)]
mod tables {
    use super::{Ec2TypeRow, EsCalendarRow, TableMeta};
    include!(concat!(env!("OUT_DIR"), "/pricing_tables.rs"));
}

pub(crate) use tables::TABLES;

/// AWS's convention (and the AWS calculator's): 730 hours a month.
pub(crate) const HOURS_PER_MONTH: Decimal = Decimal::from_parts(730, 0, 0, false, 0);
/// 8,760 hours a year (= 12 x 730).
pub(crate) const HOURS_PER_YEAR: Decimal = Decimal::from_parts(8760, 0, 0, false, 0);

fn fixed(v: i64) -> Decimal {
    Decimal::new(v, 10).normalize()
}

/// Why a resource has no price. Shown to the user verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Unpriced(pub(crate) String);

impl std::fmt::Display for Unpriced {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn unpriced<T>(reason: impl Into<String>) -> Result<T, Unpriced> {
    Err(Unpriced(reason.into()))
}

/// One line of a price: what it is for and what it costs a month.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub(crate) struct Component {
    pub(crate) item: Text,
    #[schemars(with = "f64")]
    pub(crate) monthly_usd: Decimal,
}

/// The headline list rate behind a price: what the AWS price list quotes.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub(crate) struct ListPrice {
    #[schemars(with = "f64")]
    pub(crate) usd: Decimal,
    pub(crate) unit: RateUnit,
    pub(crate) item: Sym,
}

/// What a list rate is per.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub(crate) enum RateUnit {
    #[serde(rename = "hour")]
    Hour,
    #[serde(rename = "GiB-month")]
    GibMonth,
}

/// A resource's price with its provenance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Price {
    pub(crate) hourly: Decimal,
    pub(crate) monthly: Decimal,
    pub(crate) annual: Decimal,
    /// Ids of the tables the figures came from.
    pub(crate) tables: Vec<&'static str>,
    /// True when any figure is an unverified estimate.
    pub(crate) estimated: bool,
    /// True when a figure is known to be out of date (e.g. it predates a
    /// price cut); a note says which and why.
    pub(crate) stale: bool,
    pub(crate) components: Vec<Component>,
    pub(crate) notes: Vec<String>,
    /// The main list rate (instance $/hour, volume $/GiB-month), when there is one.
    pub(crate) list_price: Option<ListPrice>,
}

impl Price {
    pub(crate) fn zero() -> Self {
        Price {
            hourly: Decimal::ZERO,
            monthly: Decimal::ZERO,
            annual: Decimal::ZERO,
            tables: Vec::new(),
            estimated: false,
            stale: false,
            components: Vec::new(),
            notes: Vec::new(),
            list_price: None,
        }
    }

    /// A price charged by the hour.
    pub(crate) fn hourly(item: impl Into<String>, hourly: Decimal, table: &'static str) -> Self {
        let monthly = hourly * HOURS_PER_MONTH;
        let item = item.into();
        Price {
            list_price: Some(ListPrice {
                usd: hourly,
                unit: RateUnit::Hour,
                item: Sym::new(&item),
            }),
            hourly,
            monthly,
            annual: hourly * HOURS_PER_YEAR,
            tables: vec![table],
            estimated: false,
            stale: false,
            components: vec![Component {
                item: Sym::from(item).into(),
                monthly_usd: monthly,
            }],
            notes: Vec::new(),
        }
    }

    /// A price charged by the month (storage): hourly is derived from 730 h.
    pub(crate) fn monthly(item: impl Into<String>, monthly: Decimal, table: &'static str) -> Self {
        Price::monthly_as(Sym::from(item.into()).into(), monthly, table)
    }

    /// The same, for an item unique to one resource (owned, not interned).
    pub(crate) fn monthly_as(item: Text, monthly: Decimal, table: &'static str) -> Self {
        Price {
            hourly: monthly / HOURS_PER_MONTH,
            monthly,
            annual: monthly * Decimal::from(12),
            tables: vec![table],
            estimated: false,
            stale: false,
            components: vec![Component {
                item,
                monthly_usd: monthly,
            }],
            notes: Vec::new(),
            list_price: None,
        }
    }

    /// Set the headline rate (a storage price's $/GiB-month).
    pub(crate) fn with_list_price(
        mut self,
        usd: Decimal,
        unit: RateUnit,
        item: impl Into<String>,
    ) -> Self {
        self.list_price = Some(ListPrice {
            usd,
            unit,
            item: Sym::from(item.into()),
        });
        self
    }

    pub(crate) fn plus(mut self, other: Price) -> Self {
        self.hourly += other.hourly;
        self.monthly += other.monthly;
        self.annual += other.annual;
        for t in other.tables {
            if !self.tables.contains(&t) {
                self.tables.push(t);
            }
        }
        self.estimated |= other.estimated;
        self.stale |= other.stale;
        self.components.extend(other.components);
        self.notes.extend(other.notes);
        if self.list_price.is_none() {
            self.list_price = other.list_price;
        }
        self
    }

    pub(crate) fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }
}

pub(crate) fn table(id: &str) -> Option<&'static TableMeta> {
    TABLES.iter().find(|t| t.id == id)
}

/// A price table older than this many days is reported as stale.
pub(crate) const STALE_AFTER_DAYS: i64 = 180;

fn parse_date(d: &str) -> Option<time::Date> {
    // "2024-07-18", or "2026-11" for the first of the month.
    let mut it = d.split('-').map(str::parse::<i32>);
    let (y, m) = (it.next()?.ok()?, it.next()?.ok()?);
    let day = it.next().map_or(Some(1), Result::ok)?;
    time::Date::from_calendar_date(
        y,
        time::Month::try_from(u8::try_from(m).ok()?).ok()?,
        u8::try_from(day).ok()?,
    )
    .ok()
}

/// Days from a table's data date to `today` (YYYY-MM-DD).
pub(crate) fn table_age_days(id: &str, today: &str) -> Option<i64> {
    let meta = table(id)?;
    Some((parse_date(today)? - parse_date(meta.data_date)?).whole_days())
}

/// Is this table older than [`STALE_AFTER_DAYS`] on `today`?
pub(crate) fn table_is_stale(id: &str, today: &str) -> bool {
    table_age_days(id, today).is_some_and(|d| d > STALE_AFTER_DAYS)
}

/// The one-line notice naming the stale tables among `ids` (None when none is).
pub(crate) fn stale_notice<'a>(
    ids: impl IntoIterator<Item = &'a str>,
    today: &str,
) -> Option<String> {
    let mut stale: Vec<String> = Vec::new();
    for id in ids {
        if let (true, Some(meta), Some(age)) = (
            table_is_stale(id, today),
            table(id),
            table_age_days(id, today),
        ) {
            let s = format!("{id} ({}, {age} days old)", meta.data_date);
            if !stale.contains(&s) {
                stale.push(s);
            }
        }
    }
    (!stale.is_empty()).then(|| {
        format!(
            "price tables older than {STALE_AFTER_DAYS} days: {}; AWS prices may have changed since",
            stale.join(", ")
        )
    })
}

static STALE_WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The stale-table notice for these tables, once per run (None if already
/// given, or if no table is stale). The caller prints it on stderr.
pub(crate) fn stale_notice_once<'a>(ids: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let notice = stale_notice(ids, &today())?;
    (!STALE_WARNED.swap(true, std::sync::atomic::Ordering::Relaxed)).then_some(notice)
}

/// Regions the bundled tables know (not Local or Wavelength Zones).
pub(crate) fn known_regions() -> &'static [&'static str] {
    tables::REGIONS
}

/// Local and Wavelength Zone groups with prices of their own:
/// (zone group, "local-zone" or "wavelength-zone", parent region).
pub(crate) fn known_zone_groups() -> &'static [(&'static str, &'static str, &'static str)] {
    tables::ZONE_GROUPS
}

/// The parent region of a known Local or Wavelength Zone group.
pub(crate) fn zone_group_parent(zone_group: &str) -> Option<&'static str> {
    tables::ZONE_GROUPS
        .binary_search_by(|r| r.0.cmp(zone_group))
        .ok()
        .map(|i| tables::ZONE_GROUPS[i].2)
}

/// Is this a region or zone group the bundled tables know?
pub(crate) fn is_known_location(loc: &str) -> bool {
    tables::REGIONS.binary_search(&loc).is_ok() || zone_group_parent(loc).is_some()
}

/// Where a resource is priced: its region, or the Local/Wavelength Zone group
/// of its availability zone, which AWS prices separately
/// (`us-east-1-bos-1a` -> `us-east-1-bos-1`, `us-east-1-wl1-bos-wlz-1` ->
/// `us-east-1-wl1-bos1`). A plain AZ (`us-east-1a`) is priced as its region.
pub(crate) fn pricing_location(region: &str, availability_zone: &str) -> String {
    let Some(rest) = availability_zone
        .strip_prefix(region)
        .and_then(|r| r.strip_prefix('-'))
    else {
        return region.to_string();
    };
    // Wavelength: <region>-wl1-<city>-wlz-<n>
    if let Some((wl, tail)) = rest.split_once('-')
        && wl.starts_with("wl")
        && let Some((city, n)) = tail.split_once("-wlz-")
    {
        return format!("{region}-{wl}-{city}{n}");
    }
    // Local Zone: <region>-<city>-<n><letter>
    let group = availability_zone.trim_end_matches(|c: char| c.is_ascii_lowercase());
    if group.len() < availability_zone.len() && group.ends_with(|c: char| c.is_ascii_digit()) {
        return group.to_string();
    }
    region.to_string()
}

// ---------------------------------------------------------------- EC2

pub(crate) fn ec2_type(name: &str) -> Option<&'static Ec2TypeRow> {
    tables::EC2_TYPES
        .binary_search_by(|r| r.name.cmp(name))
        .ok()
        .map(|i| &tables::EC2_TYPES[i])
}

/// All instance types the tables know, sorted by name.
pub(crate) fn ec2_types() -> &'static [Ec2TypeRow] {
    tables::EC2_TYPES
}

/// The instance types whose names start with `prefix` (a family and its dot,
/// "m5."), in name order: the table is sorted by name, so they are one range
/// of it, found by binary search (O(log n + k), not a pass over every type).
pub(crate) fn ec2_types_with_prefix(prefix: &str) -> &'static [Ec2TypeRow] {
    prefix_range(tables::EC2_TYPES, |r| r.name, prefix)
}

/// The rows of a table sorted by `key` whose key starts with `prefix`.
fn prefix_range<'a, T>(rows: &'a [T], key: impl Fn(&T) -> &str, prefix: &str) -> &'a [T] {
    let start = rows.partition_point(|r| key(r) < prefix);
    let len = rows[start..].partition_point(|r| key(r).starts_with(prefix));
    &rows[start..start + len]
}

/// An EC2 on-demand rate and what is known about it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Ec2Rate {
    pub(crate) hourly: Decimal,
    pub(crate) table: &'static str,
    /// Known to be too high: the row predates AWS's GPU price cuts.
    pub(crate) stale: bool,
}

/// Why a stale EC2 row is stale, for notes and `finops pricing`.
pub(crate) fn ec2_stale_note(instance_type: &str) -> String {
    let family = instance_type.split('.').next().unwrap_or(instance_type);
    let cut = match family {
        "p5" => "44%",
        "p4d" | "p4de" => "33%",
        "p5en" => "25.4%",
        _ => "25-44%",
    };
    format!(
        "stale: the bundled {instance_type} price predates AWS's {family} price cut (about {cut}, after 2025-04-04); the current price is lower"
    )
}

/// Linux on-demand rate of an instance type in a region or zone group.
/// A row that is only a Dedicated-tenancy figure is not a list price: unpriced.
pub(crate) fn ec2_rate(instance_type: &str, region: &str) -> Result<Ec2Rate, Unpriced> {
    let rows = tables::EC2_PRICES;
    match rows.binary_search_by(|r| (r.0, r.1).cmp(&(instance_type, region))) {
        Ok(i) if rows[i].4 == 2 => unpriced(format!(
            "only a Dedicated-tenancy price is bundled for {instance_type} in {region}, not a shared-tenancy list price"
        )),
        Ok(i) => Ok(Ec2Rate {
            hourly: fixed(rows[i].2),
            table: TABLES[rows[i].3 as usize].id,
            stale: rows[i].4 == 1,
        }),
        Err(_) => {
            let priced_somewhere = rows
                .get(rows.partition_point(|r| r.0 < instance_type))
                .is_some_and(|r| r.0 == instance_type);
            if ec2_type(instance_type).is_none() && !priced_somewhere {
                unpriced(format!("unknown instance type {instance_type}"))
            } else if let Some(parent) = zone_group_parent(region) {
                unpriced(format!(
                    "no EC2 price for {instance_type} in {region} (a zone of {parent}) in the bundled tables"
                ))
            } else {
                unpriced(format!(
                    "no EC2 price for {instance_type} in {region} in the bundled tables"
                ))
            }
        }
    }
}

/// Linux on-demand $/hour of an instance type in a region (or zone group).
pub(crate) fn ec2_on_demand(
    instance_type: &str,
    region: &str,
) -> Result<(Decimal, &'static str), Unpriced> {
    ec2_rate(instance_type, region).map(|r| (r.hourly, r.table))
}

/// Every region and zone group with a list price for this instance type.
pub(crate) fn ec2_regions(instance_type: &str) -> Vec<(&'static str, Ec2Rate)> {
    let rows = tables::EC2_PRICES;
    let start = rows.partition_point(|r| r.0 < instance_type);
    rows[start..]
        .iter()
        .take_while(|r| r.0 == instance_type)
        .filter(|r| r.4 != 2)
        .map(|r| {
            (
                r.1,
                Ec2Rate {
                    hourly: fixed(r.2),
                    table: TABLES[r.3 as usize].id,
                    stale: r.4 == 1,
                },
            )
        })
        .collect()
}

/// A priced EC2 rate: its hourly price, with the stale note when it has one.
pub(crate) fn ec2_rate_price(instance_type: &str, region: &str) -> Result<Price, Unpriced> {
    let rate = ec2_rate(instance_type, region)?;
    let mut p = Price::hourly(
        format!("{instance_type} Linux on-demand"),
        rate.hourly,
        rate.table,
    );
    if rate.stale {
        p.stale = true;
        p = p.note(ec2_stale_note(instance_type));
    }
    Ok(p)
}

/// Price of an EC2 instance from what DescribeInstances says about it.
pub(crate) struct Ec2Facts<'a> {
    pub(crate) instance_type: &'a str,
    /// Where it is priced: the region, or its Local/Wavelength Zone group
    /// (see [`pricing_location`]).
    pub(crate) region: &'a str,
    pub(crate) state: &'a str,
    /// PlatformDetails, e.g. "Linux/UNIX", "Windows", "Red Hat Enterprise Linux".
    pub(crate) platform: &'a str,
    /// "spot", "scheduled", "capacity-block" or None for on-demand.
    pub(crate) lifecycle: Option<&'a str>,
    /// "default", "dedicated", "host".
    pub(crate) tenancy: &'a str,
}

pub(crate) fn ec2_instance(f: &Ec2Facts) -> Result<Price, Unpriced> {
    // States that bill no compute: stopped, stopping, terminated, shutting-down.
    if matches!(
        f.state,
        "stopped" | "stopping" | "terminated" | "shutting-down"
    ) {
        let mut p = Price::zero().note(format!(
            "{}: no compute charge; volumes still billed",
            f.state
        ));
        if let Ok(rate) = ec2_rate(f.instance_type, f.region) {
            p = p.with_list_price(
                rate.hourly,
                RateUnit::Hour,
                format!("{} Linux on-demand", f.instance_type),
            );
            p.tables.push(rate.table);
            if rate.stale {
                p.stale = true;
                p = p.note(ec2_stale_note(f.instance_type));
            }
        }
        return Ok(p);
    }
    if !f.platform.is_empty() && f.platform != "Linux/UNIX" {
        return unpriced(format!(
            "platform {:?} is not in the bundled Linux on-demand table",
            f.platform
        ));
    }
    if let Some(l) = f.lifecycle
        && !l.is_empty()
        && l != "normal"
        && l != "on-demand"
    {
        return unpriced(format!(
            "{l} instance: its price is not an on-demand list price"
        ));
    }
    if !f.tenancy.is_empty() && f.tenancy != "default" {
        return unpriced(format!(
            "{} tenancy is not in the bundled shared-tenancy table",
            f.tenancy
        ));
    }
    let mut p = ec2_rate_price(f.instance_type, f.region)?;
    if let Some(parent) = zone_group_parent(f.region) {
        p = p.note(format!("priced at {} rates (a zone of {parent})", f.region));
    }
    Ok(p)
}

// ---------------------------------------------------------------- EBS

#[derive(Clone, Copy)]
enum EbsCol {
    Gp2 = 0,
    Gp3 = 1,
    Io1 = 2,
    Io2 = 3,
    St1 = 4,
    Sc1 = 5,
    Standard = 6,
    Gp3Iops = 7,
    Gp3Throughput = 8,
    Io1Iops = 9,
    Io2Tier1 = 10,
    Io2Tier2 = 11,
    Io2Tier3 = 12,
    StandardIo = 13,
    Snapshot = 14,
}

fn ebs_row(region: &str) -> Option<&'static [i64; 15]> {
    tables::EBS
        .binary_search_by(|r| r.0.cmp(region))
        .ok()
        .map(|i| &tables::EBS[i].1)
}

fn ebs_rate(region: &str, col: EbsCol, what: &str) -> Result<Decimal, Unpriced> {
    let Some(row) = ebs_row(region) else {
        return unpriced(format!(
            "no EBS prices for region {region} in the bundled tables"
        ));
    };
    let v = row[col as usize];
    if v < 0 {
        return unpriced(format!(
            "no EBS {what} price for {region} in the bundled tables"
        ));
    }
    Ok(fixed(v))
}

/// gp3 includes this many IOPS and MiB/s at no extra charge.
pub(crate) const GP3_FREE_IOPS: i64 = 3000;
pub(crate) const GP3_FREE_THROUGHPUT: i64 = 125;

/// gp2's baseline IOPS for a size: 3 IOPS/GiB, at least 100, at most 16,000.
pub(crate) fn gp2_baseline_iops(size_gib: i64) -> i64 {
    size_gib.saturating_mul(3).clamp(100, 16_000)
}

/// gp2's throughput: 128 MiB/s up to 170 GiB; above that it reaches 250 MiB/s
/// (on burst credits below 334 GiB, always from 334 GiB).
pub(crate) fn gp2_throughput(size_gib: i64) -> i64 {
    if size_gib > 170 { 250 } else { 128 }
}

/// The gp3 IOPS and throughput that keep at least what a volume of this type
/// has now: gp2's baseline IOPS (3/GiB) and the throughput it can reach; io1
/// and io2 their provisioned IOPS, with the throughput those IOPS move (256
/// KiB each); magnetic, gp3's included 3,000 IOPS and 125 MiB/s. None for
/// types gp3 does not replace (gp3 itself, st1, sc1). recommend prices this
/// target and resize applies it: one rule, one figure.
pub(crate) fn gp3_equivalent(
    volume_type: &str,
    size_gib: i64,
    iops: Option<i64>,
) -> Option<(i64, i64)> {
    match volume_type {
        "gp2" => Some((
            gp2_baseline_iops(size_gib).max(GP3_FREE_IOPS),
            gp2_throughput(size_gib).max(GP3_FREE_THROUGHPUT),
        )),
        "io1" | "io2" => {
            let provisioned = iops.unwrap_or(GP3_FREE_IOPS);
            Some((
                provisioned.max(GP3_FREE_IOPS),
                (provisioned / 4).clamp(GP3_FREE_THROUGHPUT, 1000),
            ))
        }
        "standard" => Some((GP3_FREE_IOPS, GP3_FREE_THROUGHPUT)),
        _ => None,
    }
}

/// Storage numbers no volume can have (negative, or past what the bundled
/// rates were ever meant for): such a resource is unpriced, never a wrapped
/// or negative cost. Snapshots are checked on load (exit 2); this guards
/// every other path, AWS included.
fn out_of_range(size_gib: i64, iops: Option<i64>, throughput: Option<i64>) -> Option<String> {
    let check = |what: &str, v: i64, max: i64| {
        (!(0..=max).contains(&v)).then(|| format!("{what} {v} is out of range (0 to {max})"))
    };
    check("size (GiB)", size_gib, crate::inventory::MAX_STORAGE_GIB)
        .or_else(|| iops.and_then(|v| check("IOPS", v, crate::inventory::MAX_IOPS)))
        .or_else(|| {
            throughput.and_then(|v| {
                check(
                    "throughput (MiB/s)",
                    v,
                    crate::inventory::MAX_THROUGHPUT_MIBPS,
                )
            })
        })
}

/// Monthly price of an EBS volume.
pub(crate) fn ebs_volume(
    volume_type: &str,
    region: &str,
    size_gib: i64,
    iops: Option<i64>,
    throughput: Option<i64>,
) -> Result<Price, Unpriced> {
    if let Some(bad) = out_of_range(size_gib, iops, throughput) {
        return unpriced(bad);
    }
    let size = Decimal::from(size_gib);
    let storage = |col, what: &str| -> Result<Price, Unpriced> {
        let rate = ebs_rate(region, col, what)?;
        Ok(
            Price::monthly(format!("{what} storage {size_gib} GiB"), rate * size, "ebs")
                .with_list_price(rate, RateUnit::GibMonth, format!("{what} storage")),
        )
    };
    match volume_type {
        "gp2" => storage(EbsCol::Gp2, "gp2"),
        "st1" => storage(EbsCol::St1, "st1"),
        "sc1" => storage(EbsCol::Sc1, "sc1"),
        "standard" => {
            let p = storage(EbsCol::Standard, "standard")?;
            let _ = ebs_rate(region, EbsCol::StandardIo, "standard I/O")?;
            Ok(p.note("magnetic I/O requests are billed per million and not included"))
        }
        "gp3" => {
            let mut p = storage(EbsCol::Gp3, "gp3")?;
            let extra_iops = iops.unwrap_or(GP3_FREE_IOPS).saturating_sub(GP3_FREE_IOPS);
            if extra_iops > 0 {
                let rate = ebs_rate(region, EbsCol::Gp3Iops, "gp3 IOPS")?;
                p = p.plus(Price::monthly(
                    format!("gp3 IOPS above 3,000: {extra_iops}"),
                    rate * Decimal::from(extra_iops),
                    "ebs",
                ));
            }
            let extra_tp = throughput
                .unwrap_or(GP3_FREE_THROUGHPUT)
                .saturating_sub(GP3_FREE_THROUGHPUT);
            if extra_tp > 0 {
                let rate = ebs_rate(region, EbsCol::Gp3Throughput, "gp3 throughput")?;
                p = p.plus(Price::monthly(
                    format!("gp3 throughput above 125 MiB/s: {extra_tp} MiB/s"),
                    rate * Decimal::from(extra_tp),
                    "ebs",
                ));
            }
            Ok(p)
        }
        "io1" => {
            let p = storage(EbsCol::Io1, "io1")?;
            let n = iops.unwrap_or(0);
            let rate = ebs_rate(region, EbsCol::Io1Iops, "io1 IOPS")?;
            Ok(p.plus(Price::monthly(
                format!("io1 provisioned IOPS: {n}"),
                rate * Decimal::from(n),
                "ebs",
            )))
        }
        "io2" => {
            let mut p = storage(EbsCol::Io2, "io2")?;
            let n = iops.unwrap_or(0);
            // io2 IOPS are billed in tiers: up to 32,000; 32,001-64,000; above 64,000.
            let tiers = [
                (EbsCol::Io2Tier1, 0, 32_000, "io2 IOPS up to 32,000"),
                (EbsCol::Io2Tier2, 32_000, 64_000, "io2 IOPS 32,001-64,000"),
                (EbsCol::Io2Tier3, 64_000, i64::MAX, "io2 IOPS above 64,000"),
            ];
            for (col, lo, hi, what) in tiers {
                let in_tier = n.min(hi).saturating_sub(lo);
                if in_tier > 0 {
                    let rate = ebs_rate(region, col, what)?;
                    p = p.plus(Price::monthly(
                        format!("{what}: {in_tier}"),
                        rate * Decimal::from(in_tier),
                        "ebs",
                    ));
                }
            }
            Ok(p)
        }
        other => unpriced(format!(
            "volume type {other} is not in the bundled EBS table"
        )),
    }
}

/// Per-unit EBS rates of a region, for `finops pricing gp3`.
pub(crate) fn ebs_rates(
    volume_type: &str,
    region: &str,
) -> Result<Vec<(String, Decimal)>, Unpriced> {
    let cols: &[(EbsCol, &str)] = match volume_type {
        "gp2" => &[(EbsCol::Gp2, "per GiB-month")],
        "gp3" => &[
            (EbsCol::Gp3, "per GiB-month"),
            (EbsCol::Gp3Iops, "per IOPS-month above 3,000"),
            (EbsCol::Gp3Throughput, "per MiB/s-month above 125"),
        ],
        "io1" => &[
            (EbsCol::Io1, "per GiB-month"),
            (EbsCol::Io1Iops, "per provisioned IOPS-month"),
        ],
        "io2" => &[
            (EbsCol::Io2, "per GiB-month"),
            (EbsCol::Io2Tier1, "per IOPS-month up to 32,000"),
            (EbsCol::Io2Tier2, "per IOPS-month 32,001-64,000"),
            (EbsCol::Io2Tier3, "per IOPS-month above 64,000"),
        ],
        "st1" => &[(EbsCol::St1, "per GiB-month")],
        "sc1" => &[(EbsCol::Sc1, "per GiB-month")],
        "standard" => &[
            (EbsCol::Standard, "per GiB-month"),
            (EbsCol::StandardIo, "per million I/O requests"),
        ],
        "snapshot" => &[(EbsCol::Snapshot, "per GiB-month")],
        other => {
            return unpriced(format!(
                "volume type {other} is not in the bundled EBS table"
            ));
        }
    };
    cols.iter()
        .map(|(c, what)| Ok((what.to_string(), ebs_rate(region, *c, volume_type)?)))
        .collect()
}

pub(crate) const EBS_VOLUME_TYPES: &[&str] =
    &["gp2", "gp3", "io1", "io2", "st1", "sc1", "standard"];

// ---------------------------------------------------------------- RDS

/// RDS deployment options as the tables name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Deployment {
    SingleAz = 0,
    MultiAz = 1,
    MultiAzCluster = 2,
}

impl Deployment {
    /// How a DB instance is deployed, from what DescribeDBInstances says: a
    /// member of a (non-Aurora) DB cluster is a Multi-AZ DB cluster member
    /// (one writer and two readable standbys).
    pub(crate) fn of(
        engine: &str,
        multi_az: bool,
        db_cluster_identifier: Option<&str>,
    ) -> Deployment {
        if db_cluster_identifier.is_some_and(|c| !c.is_empty()) && !engine.starts_with("aurora") {
            Deployment::MultiAzCluster
        } else if multi_az {
            Deployment::MultiAz
        } else {
            Deployment::SingleAz
        }
    }

    /// DB instances a deployment's table price covers that each have a row of
    /// their own in DescribeDBInstances: a Multi-AZ standby has none, the
    /// three members of a Multi-AZ DB cluster each have one.
    pub(crate) fn rows_per_price(self) -> u32 {
        match self {
            Deployment::SingleAz | Deployment::MultiAz => 1,
            Deployment::MultiAzCluster => 3,
        }
    }

    /// Instances that run (and pay Extended Support) per DescribeDBInstances row.
    fn instances_per_row(self) -> u32 {
        match self {
            Deployment::SingleAz | Deployment::MultiAzCluster => 1,
            Deployment::MultiAz => 2,
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            Deployment::SingleAz => "single-az",
            Deployment::MultiAz => "multi-az",
            Deployment::MultiAzCluster => "multi-az-cluster",
        }
    }
}

pub(crate) const RDS_ENGINES: &[&str] = &["mariadb", "mysql", "postgres"];

/// Map an RDS engine name to a bundled table engine, or say why there is none.
pub(crate) fn rds_engine(engine: &str) -> Result<&'static str, Unpriced> {
    match engine {
        "postgres" | "postgresql" => Ok("postgres"),
        "mysql" => Ok("mysql"),
        "mariadb" => Ok("mariadb"),
        e if e.starts_with("aurora") => unpriced(format!(
            "Aurora ({e}) is billed per cluster and is not in the bundled RDS tables"
        )),
        e if e.starts_with("oracle")
            || e.starts_with("sqlserver")
            || e.starts_with("db2")
            || e.starts_with("custom-") =>
        {
            unpriced(format!(
                "licensed engine {e} is not in the bundled RDS tables"
            ))
        }
        e => unpriced(format!("engine {e} is not in the bundled RDS tables")),
    }
}

pub(crate) fn rds_class(class: &str) -> Option<(u32, Decimal, bool)> {
    tables::RDS_CLASSES
        .binary_search_by(|r| r.0.cmp(class))
        .ok()
        .map(|i| {
            let r = tables::RDS_CLASSES[i];
            (r.1, r.2.parse().unwrap_or_default(), r.3)
        })
}

pub(crate) fn rds_classes() -> impl Iterator<Item = &'static str> {
    tables::RDS_CLASSES.iter().map(|r| r.0)
}

/// The DB classes whose names start with `prefix` ("db.r5."), in name order:
/// one range of the sorted table, found by binary search.
pub(crate) fn rds_classes_with_prefix(prefix: &str) -> impl Iterator<Item = &'static str> {
    prefix_range(tables::RDS_CLASSES, |r| r.0, prefix)
        .iter()
        .map(|r| r.0)
}

/// $/hour of a whole deployment of a DB instance class as the price list
/// quotes it (Multi-AZ: primary and standby; Multi-AZ DB cluster: the writer
/// and two readable standbys).
pub(crate) fn rds_deployment_hourly(
    engine: &str,
    class: &str,
    deployment: Deployment,
    region: &str,
) -> Result<Decimal, Unpriced> {
    let e = rds_engine(engine)?;
    let rows = tables::RDS_INSTANCES;
    let key = (e, region, class, deployment as u8);
    match rows.binary_search_by(|r| (r.0, r.1, r.2, r.3).cmp(&key)) {
        Ok(i) => Ok(fixed(rows[i].4)),
        Err(_) if rds_class(class).is_none() => {
            unpriced(format!("unknown DB instance class {class}"))
        }
        Err(_) => unpriced(format!(
            "no {e} {} price for {class} in {region} in the bundled tables",
            deployment.label()
        )),
    }
}

/// $/hour of one DB instance as DescribeDBInstances lists it: the
/// deployment's price, or a third of it for a Multi-AZ DB cluster member,
/// so that the three members add up to the cluster's price.
pub(crate) fn rds_instance_hourly(
    engine: &str,
    class: &str,
    deployment: Deployment,
    region: &str,
) -> Result<Decimal, Unpriced> {
    Ok(rds_deployment_hourly(engine, class, deployment, region)?
        / Decimal::from(deployment.rows_per_price()))
}

fn rds_storage_rate(
    engine: &str,
    region: &str,
    deployment: Deployment,
    item: &str,
) -> Result<Decimal, Unpriced> {
    let rows = tables::RDS_STORAGE;
    let key = (engine, region, deployment as u8, item);
    match rows.binary_search_by(|r| (r.0, r.1, r.2, r.3).cmp(&key)) {
        Ok(i) => Ok(fixed(rows[i].4) / Decimal::from(deployment.rows_per_price())),
        Err(_) => unpriced(format!(
            "no RDS {item} price for {engine} {} in {region}",
            deployment.label()
        )),
    }
}

/// The major version of an RDS engine version: MySQL/MariaDB "5.7.44" ->
/// "5.7", PostgreSQL "11.22-rds.20241121" -> "11" ("9.6.24" -> "9.6").
pub(crate) fn rds_major_version(engine: &str, version: &str) -> String {
    let parts: Vec<&str> = version
        .split(['.', '-'])
        .take_while(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    let postgres_10_on = rds_engine(engine) == Ok("postgres")
        && parts
            .first()
            .is_some_and(|m| m.parse::<u32>().unwrap_or(0) >= 10);
    let n = if postgres_10_on { 1 } else { 2 };
    parts[..n.min(parts.len())].join(".")
}

/// The Extended Support calendar row of an engine version, when its major
/// version has one.
pub(crate) fn rds_es_calendar(engine: &str, version: &str) -> Option<&'static EsCalendarRow> {
    let e = rds_engine(engine).ok()?;
    let major = rds_major_version(e, version);
    tables::RDS_ES_CALENDAR
        .iter()
        .find(|r| r.engine == e && r.major_version == major)
}

/// Today's date (UTC) as YYYY-MM-DD.
pub(crate) fn today() -> String {
    let d = time::OffsetDateTime::now_utc().date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The RDS Extended Support charge of a DB instance on `today` (YYYY-MM-DD):
/// None while its major version is in standard support, else the per-vCPU
/// hourly charge (year 1-2 or year 3 rate) of every instance it runs (a
/// Multi-AZ standby pays too), or why it cannot be priced.
pub(crate) fn rds_extended_support(
    engine: &str,
    version: &str,
    class: &str,
    deployment: Deployment,
    region: &str,
    today: &str,
) -> Option<Result<Price, Unpriced>> {
    let cal = rds_es_calendar(engine, version)?;
    if today < cal.charged_from {
        return None;
    }
    let (period, label, since) = if today >= cal.year3_from {
        ("year3", "year 3", cal.year3_from)
    } else {
        ("year1_2", "years 1-2", cal.charged_from)
    };
    let what = format!(
        "RDS Extended Support {} {} ({label} rate since {since})",
        cal.engine, cal.major_version
    );
    let Some((vcpu, _, _)) = rds_class(class) else {
        return Some(unpriced(format!(
            "{what}: unknown DB instance class {class}"
        )));
    };
    let rows = tables::RDS_EXTENDED_SUPPORT;
    let key = (cal.engine, region, cal.major_version, period);
    let Ok(i) = rows.binary_search_by(|r| (r.0, r.1, r.2, r.3).cmp(&key)) else {
        return Some(unpriced(format!(
            "{what}: no Extended Support price for {region} in the bundled tables"
        )));
    };
    let rate = fixed(rows[i].4);
    let n = vcpu * deployment.instances_per_row();
    let mut p = Price::hourly(
        format!("{what}: {n} vCPU x ${rate}/vCPU-hour"),
        rate * Decimal::from(n),
        "rds",
    );
    p.list_price = None;
    p.tables.push("rds_es_calendar");
    let mut p = p.note(format!(
        "{} {} is past standard support: Extended Support is billed per vCPU-hour until it is upgraded",
        cal.engine, cal.major_version
    ));
    if rows[i].5 {
        p.estimated = true;
        p = p.note(format!(
            "estimated: the bundled {} {} Extended Support rate is the price list's generic (\"Any\" engine) figure, not one published for RDS for {}",
            cal.engine, cal.major_version, cal.engine
        ));
    }
    if today > cal.ends {
        p = p.note(format!(
            "Extended Support for {} {} ended {}: AWS upgrades such instances",
            cal.engine, cal.major_version, cal.ends
        ));
    }
    Some(Ok(p))
}

pub(crate) struct RdsFacts<'a> {
    pub(crate) engine: &'a str,
    /// The engine version (for Extended Support); "" when unknown.
    pub(crate) engine_version: &'a str,
    pub(crate) class: &'a str,
    pub(crate) region: &'a str,
    pub(crate) deployment: Deployment,
    pub(crate) status: &'a str,
    pub(crate) storage_type: &'a str,
    pub(crate) allocated_gib: i64,
    pub(crate) iops: Option<i64>,
    pub(crate) throughput: Option<i64>,
}

impl<'a> RdsFacts<'a> {
    /// The facts of an inventoried DB instance (None for other resources).
    pub(crate) fn of(r: &'a crate::inventory::Resource) -> Option<RdsFacts<'a>> {
        let crate::inventory::Details::RdsInstance(d) = &r.details else {
            return None;
        };
        Some(RdsFacts {
            engine: &d.engine,
            engine_version: &d.engine_version,
            class: &r.type_,
            region: &r.region,
            deployment: Deployment::of(&d.engine, d.multi_az, d.db_cluster_identifier.as_deref()),
            status: &r.state,
            storage_type: &d.storage_type,
            allocated_gib: d.allocated_storage_gib,
            iops: d.iops,
            throughput: d.storage_throughput_mibps,
        })
    }
}

/// Full price of a DB instance: the instance hours, Extended Support when its
/// engine version is past standard support, and its storage.
pub(crate) fn rds_instance(f: &RdsFacts) -> Result<Price, Unpriced> {
    let engine = rds_engine(f.engine)?;
    let deployment = f.deployment;
    let hourly = rds_instance_hourly(engine, f.class, deployment, f.region)?;
    let item = match deployment {
        Deployment::MultiAzCluster => format!(
            "{} {} {} member (1/3 of the cluster's rate)",
            engine,
            f.class,
            deployment.label()
        ),
        _ => format!("{} {} {}", engine, f.class, deployment.label()),
    };
    let stopped = f.status == "stopped";
    let mut compute = if stopped {
        Price::zero()
            .note("stopped: no instance charge; storage still billed")
            .with_list_price(hourly, RateUnit::Hour, item)
    } else {
        Price::hourly(item, hourly, "rds")
    };
    if deployment == Deployment::MultiAzCluster {
        compute = compute.note(
            "Multi-AZ DB cluster member: the writer and each of the two readable standbys carry a third of the cluster's instance and storage price",
        );
    }
    if let Some(es) = rds_extended_support(
        engine,
        f.engine_version,
        f.class,
        deployment,
        f.region,
        &today(),
    ) {
        let es = es?;
        compute = if stopped {
            compute.note(format!(
                "{} is not included while stopped",
                es.components[0].item
            ))
        } else {
            compute.plus(es)
        };
    }
    Ok(compute.plus(rds_storage(
        engine,
        f.region,
        deployment,
        f.storage_type,
        f.allocated_gib,
        f.iops,
        f.throughput,
    )?))
}

/// Monthly price of RDS storage. gp3 on RDS includes 3,000 IOPS / 125 MiB/s
/// below 400 GiB and 12,000 IOPS / 500 MiB/s from 400 GiB (MySQL, MariaDB, PostgreSQL).
pub(crate) fn rds_storage(
    engine: &str,
    region: &str,
    deployment: Deployment,
    storage_type: &str,
    gib: i64,
    iops: Option<i64>,
    throughput: Option<i64>,
) -> Result<Price, Unpriced> {
    if let Some(bad) = out_of_range(gib, iops, throughput) {
        return unpriced(bad);
    }
    let size = Decimal::from(gib);
    let per_gb = |item: &str| -> Result<Price, Unpriced> {
        Ok(Price::monthly(
            format!("{storage_type} storage {gib} GiB"),
            rds_storage_rate(engine, region, deployment, item)? * size,
            "rds",
        ))
    };
    match storage_type {
        "gp2" => per_gb("gp2_gb"),
        "standard" => Ok(per_gb("magnetic_gb")?
            .note("magnetic I/O requests are billed per million and not included")),
        "gp3" => {
            let mut p = per_gb("gp3_gb")?;
            let (free_iops, free_tp) = if gib >= 400 {
                (12_000, 500)
            } else {
                (3_000, 125)
            };
            let extra = iops.unwrap_or(free_iops).saturating_sub(free_iops);
            if extra > 0 {
                let rate = rds_storage_rate(engine, region, deployment, "gp3_iops")?;
                p = p.plus(Price::monthly(
                    format!("gp3 IOPS above {free_iops}: {extra}"),
                    rate * Decimal::from(extra),
                    "rds",
                ));
            }
            let extra = throughput.unwrap_or(free_tp).saturating_sub(free_tp);
            if extra > 0 {
                let rate = rds_storage_rate(engine, region, deployment, "gp3_throughput")?;
                p = p.plus(Price::monthly(
                    format!("gp3 throughput above {free_tp} MiB/s: {extra}"),
                    rate * Decimal::from(extra),
                    "rds",
                ));
            }
            Ok(p)
        }
        "io1" | "io2" => {
            let p = per_gb(if storage_type == "io1" {
                "io1_gb"
            } else {
                "io2_gb"
            })?;
            let n = iops.unwrap_or(0);
            let item = if storage_type == "io1" {
                "io1_iops"
            } else {
                "io2_iops"
            };
            let rate = rds_storage_rate(engine, region, deployment, item)?;
            Ok(p.plus(Price::monthly(
                format!("{storage_type} provisioned IOPS: {n}"),
                rate * Decimal::from(n),
                "rds",
            )))
        }
        "aurora" | "aurora-iopt1" => unpriced("Aurora storage is not in the bundled RDS tables"),
        other => unpriced(format!(
            "RDS storage type {other} is not in the bundled tables"
        )),
    }
}

// ---------------------------------------------------------------- snapshots

fn snapshot_rate(region: &str, item: &str) -> Option<(Decimal, &'static str)> {
    let rows = tables::SNAPSHOTS;
    rows.binary_search_by(|r| (r.0, r.1).cmp(&(region, item)))
        .ok()
        .map(|i| (fixed(rows[i].2), TABLES[rows[i].3 as usize].id))
}

fn snapshot_price(region: &str, item: &str, what: &str, gib: i64) -> Result<Price, Unpriced> {
    let Some((rate, table)) = snapshot_rate(region, item) else {
        return unpriced(format!(
            "no {what} price for {region} in the bundled tables"
        ));
    };
    Ok(Price::monthly(
        format!("{what} {gib} GiB"),
        rate * Decimal::from(gib),
        table,
    )
    .with_list_price(rate, RateUnit::GibMonth, what.to_string()))
}

/// Monthly price of `gib` GB of RDS backup (snapshot) storage for an engine
/// (mysql, postgres, mariadb) in a region.
pub(crate) fn rds_snapshot_storage(
    engine: &str,
    region: &str,
    gib: i64,
) -> Result<Price, Unpriced> {
    let e = rds_engine(engine)?;
    snapshot_price(
        region,
        &format!("rds_{e}_backup_storage"),
        &format!("RDS {e} backup storage"),
        gib,
    )
}

/// The tier of an EBS snapshot and its storage item in the tables.
fn ebs_snapshot_item(tier: &str) -> Result<(&'static str, &'static str), Unpriced> {
    match tier {
        "standard" => Ok(("ebs_snapshot_standard", "EBS snapshot standard")),
        "archive" => Ok(("ebs_snapshot_archive", "EBS snapshot archive")),
        other => unpriced(format!(
            "EBS snapshot storage tier {other} is not in the bundled tables"
        )),
    }
}

/// Monthly price of `gib` GiB (fractional: a snapshot's full size in bytes
/// need not be whole GiB) of EBS snapshot storage in a tier (standard,
/// archive) in a region.
pub(crate) fn ebs_snapshot_storage(
    tier: &str,
    region: &str,
    gib: Decimal,
) -> Result<Price, Unpriced> {
    let (item, what) = ebs_snapshot_item(tier)?;
    let Some((rate, table)) = snapshot_rate(region, item) else {
        return unpriced(format!(
            "no {what} price for {region} in the bundled tables"
        ));
    };
    // A snapshot's full size is its own: the item is owned, not interned.
    Ok(Price::monthly_as(
        Text::owned(format!("{what} {} GiB", gib.round_dp(2).normalize())),
        rate * gib,
        table,
    )
    .with_list_price(rate, RateUnit::GibMonth, what.to_string()))
}

/// A region's archive-tier terms: ($/GiB restore fee, $/GiB-month charged
/// for the rest of the 90-day minimum when deleted or restored early).
pub(crate) fn ebs_snapshot_archive_terms(region: &str) -> Option<(Decimal, Decimal)> {
    Some((
        snapshot_rate(region, "ebs_snapshot_archive_retrieval")?.0,
        snapshot_rate(region, "ebs_snapshot_archive_early_delete")?.0,
    ))
}

/// Per-unit snapshot rates of a region, for `finops pricing snapshot`:
/// (item, unit, rate, table).
pub(crate) fn snapshot_rates(
    region: &str,
) -> Vec<(&'static str, &'static str, Decimal, &'static str)> {
    let items: &[(&str, &str, &str)] = &[
        (
            "ebs_snapshot_standard",
            "EBS snapshot standard",
            "GiB-month",
        ),
        ("ebs_snapshot_archive", "EBS snapshot archive", "GiB-month"),
        (
            "ebs_snapshot_archive_retrieval",
            "EBS snapshot archive retrieval",
            "GiB",
        ),
        (
            "rds_mysql_backup_storage",
            "RDS mysql backup storage",
            "GiB-month",
        ),
        (
            "rds_postgres_backup_storage",
            "RDS postgres backup storage",
            "GiB-month",
        ),
        (
            "rds_mariadb_backup_storage",
            "RDS mariadb backup storage",
            "GiB-month",
        ),
    ];
    items
        .iter()
        .filter_map(|(item, what, unit)| {
            snapshot_rate(region, item).map(|(rate, table)| (*what, *unit, rate, table))
        })
        .collect()
}

// ---------------------------------------------------------------- NAT gateway

fn nat_row(region: &str, item: &str) -> Option<Decimal> {
    let rows = tables::NAT;
    rows.binary_search_by(|r| (r.0, r.1).cmp(&(region, item)))
        .ok()
        .map(|i| fixed(rows[i].2))
}

/// $/hour of a NAT gateway in a region (data processed is billed per GB on top).
pub(crate) fn nat_gateway_hourly(region: &str) -> Result<Decimal, Unpriced> {
    nat_row(region, "nat_gateway_hour").ok_or_else(|| {
        Unpriced(format!(
            "no verified NAT gateway price for {region} in the bundled tables (only us-east-1)"
        ))
    })
}

/// $/GB of data processed by a NAT gateway in a region.
pub(crate) fn nat_gateway_per_gb(region: &str) -> Result<Decimal, Unpriced> {
    nat_row(region, "nat_gateway_gb_processed").ok_or_else(|| {
        Unpriced(format!(
            "no verified NAT gateway price for {region} in the bundled tables (only us-east-1)"
        ))
    })
}

/// A NAT gateway's price: its hours. Data processed (per GB) depends on
/// traffic, which an inventory does not know; a public gateway's Elastic IPs
/// are billed as public IPv4 addresses, not as part of the gateway. A failed
/// gateway is not billed; a pending one is priced as it will be once
/// available.
pub(crate) fn nat_gateway(
    state: &str,
    region: &str,
    elastic_ips: usize,
) -> Result<Price, Unpriced> {
    let hourly = nat_gateway_hourly(region)?;
    let mut p = if state == "failed" {
        Price::zero().note("failed: not billed").with_list_price(
            hourly,
            RateUnit::Hour,
            "NAT gateway hours",
        )
    } else {
        Price::hourly("NAT gateway hours", hourly, "nat")
            .note("data processing (per GB) depends on traffic and is not included")
    };
    if p.tables.is_empty() {
        p.tables.push("nat");
    }
    if state == "pending" {
        p = p.note("pending: billed from when it is available");
    }
    if elastic_ips > 0 {
        p = p.note(format!(
            "its Elastic IP address{} billed as public IPv4, not included here",
            if elastic_ips == 1 { " is" } else { "es are" }
        ));
    }
    Ok(p)
}

// ---------------------------------------------------------------- ELB and public IPv4

fn elb_row(region: &str, item: &str) -> Option<(Decimal, bool)> {
    let rows = tables::ELB;
    rows.binary_search_by(|r| (r.0, r.1).cmp(&(region, item)))
        .ok()
        .map(|i| (fixed(rows[i].2), rows[i].3))
}

/// Hourly price of a load balancer (type: application, network, gateway, classic).
pub(crate) fn load_balancer(lb_type: &str, region: &str) -> Result<Price, Unpriced> {
    let item = match lb_type {
        "application" => "alb_hour",
        "network" => "nlb_hour",
        "gateway" => "gwlb_hour",
        "classic" => "clb_hour",
        other => {
            return unpriced(format!(
                "load balancer type {other} is not in the bundled tables"
            ));
        }
    };
    let Some((hourly, estimated)) = elb_row(region, item) else {
        return unpriced(format!(
            "no {lb_type} load balancer price for {region} in the bundled tables"
        ));
    };
    let mut p = Price::hourly(format!("{lb_type} load balancer hours"), hourly, "elb").note(
        if lb_type == "classic" {
            "data processed (per GB) depends on traffic and is not included"
        } else {
            "LCU charges depend on traffic and are not included"
        },
    );
    if estimated {
        p.estimated = true;
        p = p.note("estimated: unverified regional figure");
    }
    Ok(p)
}

/// The public IPv4 address charge ($/hour per address, any region).
pub(crate) fn public_ipv4_hourly() -> Decimal {
    elb_row("*", "public_ipv4_hour")
        .map(|(p, _)| p)
        .expect("bundled table has the public IPv4 price")
}

/// The cost item of a public IPv4 address in a resource's breakdown.
pub(crate) const PUBLIC_IPV4_ITEM: &str = "public IPv4 address";

/// A public IPv4 address as a part of a resource's price: billed by the
/// hour since February 2024, in use or not. Not a headline rate: the
/// resource's own rate stays its list price.
pub(crate) fn public_ipv4() -> Price {
    let mut p = Price::hourly(PUBLIC_IPV4_ITEM, public_ipv4_hourly(), "elb");
    p.list_price = None;
    p
}

#[cfg(test)]
mod tests;
