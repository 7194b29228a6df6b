//! Prices a whole inventory: one row per resource, totals, and what could not be priced.

use crate::sym::{Sym, Text};
use std::collections::{BTreeMap, HashMap, HashSet};

use rust_decimal::{Decimal, RoundingStrategy};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use super::{Component, Ec2Facts, ListPrice, Price, RdsFacts, Unpriced};
use crate::inventory::{AccountEntry, Details, Inventory, Kind, Resource, ScanError, Source};

/// A resource with its price (or the reason it has none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct PricedResource {
    #[serde(flatten)]
    pub(crate) resource: Resource,
    #[schemars(with = "Option<f64>")]
    pub(crate) hourly_usd: Option<Decimal>,
    #[schemars(with = "Option<f64>")]
    pub(crate) monthly_usd: Option<Decimal>,
    #[schemars(with = "Option<f64>")]
    pub(crate) annual_usd: Option<Decimal>,
    /// False for Auto Scaling groups: their members are counted as instances.
    pub(crate) in_totals: bool,
    pub(crate) estimated: bool,
    /// True when a figure is known to be out of date (see price_notes).
    pub(crate) stale: bool,
    // One shared list per combination of tables (a fleet has a handful).
    #[serde(deserialize_with = "table_ids")]
    pub(crate) price_tables: &'static [&'static str],
    /// The list rate behind the cost (e.g. a DB class's $/hour, whose row
    /// cost also includes storage).
    pub(crate) list_price: Option<ListPrice>,
    pub(crate) unpriced_reason: Option<String>,
    pub(crate) price_notes: Vec<String>,
    pub(crate) cost_breakdown: Vec<Component>,
}

/// Money to the cent, half away from zero: each row is rounded as an
/// invoice rounds its lines, and totals are sums of rounded rows.
pub(crate) fn cents(v: Decimal) -> Decimal {
    v.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// A price as a row shows it: each cost component to the cent, the month the
/// sum of its components (so the breakdown adds up to the row), the year 12
/// months. The hourly figure stays the list rate (up to 6 decimals; a rate
/// derived from a monthly price is rounded there).
pub(crate) fn rounded(mut p: Price) -> Price {
    let parts: Decimal = p.components.iter().map(|c| c.monthly_usd).sum();
    let parts_add_up = !p.components.is_empty() && parts == p.monthly;
    for c in &mut p.components {
        c.monthly_usd = cents(c.monthly_usd);
    }
    p.monthly = if parts_add_up {
        p.components.iter().map(|c| c.monthly_usd).sum()
    } else {
        cents(p.monthly)
    };
    p.annual = p.monthly * Decimal::from(12);
    p.hourly = p
        .hourly
        .round_dp_with_strategy(6, RoundingStrategy::MidpointAwayFromZero)
        .normalize();
    p
}

impl PricedResource {
    fn new(resource: Resource, price: Result<Price, Unpriced>) -> Self {
        let in_totals = resource.kind() != Kind::AutoScalingGroup;
        match price.map(rounded) {
            Ok(p) => PricedResource {
                resource,
                hourly_usd: Some(p.hourly),
                monthly_usd: Some(p.monthly),
                annual_usd: Some(p.annual),
                in_totals,
                estimated: p.estimated,
                stale: p.stale,
                price_tables: shared_tables(p.tables),
                list_price: p.list_price,
                unpriced_reason: None,
                price_notes: p.notes,
                cost_breakdown: p.components,
            },
            Err(Unpriced(reason)) => PricedResource {
                resource,
                hourly_usd: None,
                monthly_usd: None,
                annual_usd: None,
                in_totals: false,
                estimated: false,
                stale: false,
                price_tables: &[],
                list_price: None,
                unpriced_reason: Some(reason),
                price_notes: Vec::new(),
                cost_breakdown: Vec::new(),
            },
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Subtotal {
    pub(crate) resources: usize,
    #[schemars(with = "f64")]
    pub(crate) hourly_usd: Decimal,
    #[schemars(with = "f64")]
    pub(crate) monthly_usd: Decimal,
    #[schemars(with = "f64")]
    pub(crate) annual_usd: Decimal,
}

/// The by-service line of public IPv4 addresses: their charge in resources'
/// rows is counted there, not under the resource's service.
pub(crate) const PUBLIC_IPV4_SERVICE: &str = "public_ipv4";

impl Totals {
    /// A row that counts in the totals.
    fn count(&mut self, r: &PricedResource) {
        self.hourly_usd += r.hourly_usd.unwrap_or_default();
        self.monthly_usd += r.monthly_usd.unwrap_or_default();
        self.annual_usd += r.annual_usd.unwrap_or_default();
        let own = self
            .by_service
            .entry(r.resource.kind().service().name().to_string())
            .or_default();
        own.add(r);
        if let Some(ip) = r
            .cost_breakdown
            .iter()
            .find(|c| c.item == super::PUBLIC_IPV4_ITEM)
        {
            let part = Subtotal {
                resources: 0,
                hourly_usd: super::public_ipv4_hourly(),
                monthly_usd: ip.monthly_usd,
                annual_usd: ip.monthly_usd * Decimal::from(12),
            };
            own.hourly_usd -= part.hourly_usd;
            own.monthly_usd -= part.monthly_usd;
            own.annual_usd -= part.annual_usd;
            // The instances are counted under their own service: this line
            // counts no resources, so the column still adds up to the rows.
            let line = self
                .by_service
                .entry(PUBLIC_IPV4_SERVICE.to_string())
                .or_default();
            line.hourly_usd += part.hourly_usd;
            line.monthly_usd += part.monthly_usd;
            line.annual_usd += part.annual_usd;
        }
        self.by_region
            .entry(r.resource.region.to_string())
            .or_default()
            .add(r);
        if let Some(a) = &r.resource.account_id {
            self.by_account.entry(a.to_string()).or_default().add(r);
        }
    }

    /// Another report's totals added to these (reports of separate accounts).
    pub(crate) fn add(&mut self, o: &Totals) {
        self.hourly_usd += o.hourly_usd;
        self.monthly_usd += o.monthly_usd;
        self.annual_usd += o.annual_usd;
        for (mine, theirs) in [
            (&mut self.by_service, &o.by_service),
            (&mut self.by_region, &o.by_region),
            (&mut self.by_account, &o.by_account),
        ] {
            for (k, v) in theirs {
                let s = mine.entry(k.clone()).or_default();
                s.resources += v.resources;
                s.hourly_usd += v.hourly_usd;
                s.monthly_usd += v.monthly_usd;
                s.annual_usd += v.annual_usd;
            }
        }
    }
}

impl Subtotal {
    fn add(&mut self, r: &PricedResource) {
        self.resources += 1;
        self.hourly_usd += r.hourly_usd.unwrap_or_default();
        self.monthly_usd += r.monthly_usd.unwrap_or_default();
        self.annual_usd += r.annual_usd.unwrap_or_default();
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Totals {
    #[schemars(with = "f64")]
    pub(crate) hourly_usd: Decimal,
    #[schemars(with = "f64")]
    pub(crate) monthly_usd: Decimal,
    #[schemars(with = "f64")]
    pub(crate) annual_usd: Decimal,
    pub(crate) by_service: BTreeMap<String, Subtotal>,
    pub(crate) by_region: BTreeMap<String, Subtotal>,
    /// Keyed by account id; resources whose account is not known are not in it.
    #[serde(default)]
    pub(crate) by_account: BTreeMap<String, Subtotal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct TableInfo {
    pub(crate) data_date: String,
    pub(crate) description: String,
    pub(crate) source: String,
    /// Days from the data date to today.
    pub(crate) age_days: Option<i64>,
    /// Older than 180 days: AWS prices may have changed since.
    pub(crate) stale: bool,
}

impl TableInfo {
    pub(crate) fn of(meta: &'static super::TableMeta, today: &str) -> TableInfo {
        TableInfo {
            data_date: meta.data_date.to_string(),
            description: meta.description.to_string(),
            source: meta.source.to_string(),
            age_days: super::table_age_days(meta.id, today),
            stale: super::table_is_stale(meta.id, today),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct UnpricedEntry {
    #[serde(default)]
    pub(crate) account_id: Option<std::sync::Arc<str>>,
    pub(crate) id: String,
    pub(crate) kind: Kind,
    pub(crate) region: Sym,
    #[serde(rename = "type")]
    pub(crate) type_: Sym,
    pub(crate) reason: String,
}

/// The scan report: `scan --output json` prints exactly this.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct ScanReport {
    pub(crate) schema_version: u32,
    pub(crate) generated_at: String,
    pub(crate) source: Source,
    pub(crate) regions: Vec<String>,
    #[serde(deserialize_with = "table_map")]
    pub(crate) pricing: BTreeMap<&'static str, TableInfo>,
    pub(crate) resources: Vec<PricedResource>,
    pub(crate) totals: Totals,
    pub(crate) unpriced: Vec<UnpricedEntry>,
    pub(crate) errors: Vec<ScanError>,
    /// The accounts of the run and how each went.
    #[serde(default)]
    pub(crate) accounts: Vec<AccountEntry>,
}

/// A price table's id read back: the bundled table's own id, so a report
/// read from JSON names its tables as one just priced does.
fn table_id<E: serde::de::Error>(id: &str) -> Result<&'static str, E> {
    super::table(id)
        .map(|t| t.id)
        .ok_or_else(|| E::custom(format!("unknown price table {id:?}")))
}

fn table_ids<'de, D: Deserializer<'de>>(d: D) -> Result<&'static [&'static str], D::Error> {
    let ids = Vec::<String>::deserialize(d)?
        .iter()
        .map(|id| table_id(id))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(shared_tables(ids))
}

/// The one shared copy of a list of price table ids: every row priced from
/// the same tables points at the same list instead of owning one.
fn shared_tables(ids: Vec<&'static str>) -> &'static [&'static str] {
    use std::sync::{Mutex, OnceLock};
    static LISTS: OnceLock<Mutex<HashSet<&'static [&'static str]>>> = OnceLock::new();
    if ids.is_empty() {
        return &[];
    }
    let mut lists = LISTS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(&l) = lists.get(ids.as_slice()) {
        return l;
    }
    let l: &'static [&'static str] = Box::leak(ids.into_boxed_slice());
    lists.insert(l);
    l
}

/// A report's `pricing` map read back, keyed by the bundled tables' ids.
pub(crate) fn table_map<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<&'static str, TableInfo>, D::Error> {
    BTreeMap::<String, TableInfo>::deserialize(d)?
        .into_iter()
        .map(|(id, t)| Ok((table_id(&id)?, t)))
        .collect()
}

/// Where a resource is priced: an EC2 instance or EBS volume in a Local or
/// Wavelength Zone is priced at that zone's rates, anything else at its region's.
pub(crate) fn resource_location(r: &Resource) -> String {
    let az = match &r.details {
        Details::Ec2Instance(i) => i.availability_zone.as_str(),
        Details::EbsVolume(v) => v.availability_zone.as_str(),
        _ => "",
    };
    super::pricing_location(&r.region, az)
}

/// Price one resource on its own (ASGs need the fleet: see [`price_inventory`]).
pub(crate) fn price_resource(r: &Resource) -> Result<Price, Unpriced> {
    match &r.details {
        Details::Ec2Instance(i) => {
            let p = super::ec2_instance(&Ec2Facts {
                instance_type: &r.type_,
                region: &resource_location(r),
                state: &r.state,
                platform: &i.platform,
                lifecycle: i.lifecycle.as_deref(),
                tenancy: &i.tenancy,
            })?;
            // Its public IPv4 address is billed while it holds one (a stopped
            // instance keeps an Elastic IP; an ended one holds none).
            let holds_ip = i.public_ip.is_some()
                && !matches!(r.state.as_str(), "terminated" | "shutting-down");
            Ok(if holds_ip {
                p.plus(super::public_ipv4())
            } else {
                p
            })
        }
        Details::EbsVolume(v) => {
            let loc = resource_location(r);
            let p = super::ebs_volume(&r.type_, &loc, v.size_gib, v.iops, v.throughput_mibps)?;
            Ok(match super::zone_group_parent(&loc) {
                Some(parent) => p.note(format!("priced at {loc} rates (a zone of {parent})")),
                None => p,
            })
        }
        Details::RdsInstance(_) => {
            super::rds_instance(&RdsFacts::of(r).expect("an RDS resource has RDS details"))
        }
        Details::LoadBalancer(lb) => super::load_balancer(&lb.lb_type, &r.region),
        Details::AutoScalingGroup(_) => Err(Unpriced(
            "an Auto Scaling group is priced from its members".into(),
        )),
        Details::NatGateway(n) => super::nat_gateway(&r.state, &r.region, n.allocation_ids.len()),
        Details::EbsSnapshot(s) => {
            let (gib, basis) = ebs_snapshot_size(s);
            Ok(super::ebs_snapshot_storage(&r.type_, &r.region, gib)?.note(basis))
        }
        Details::RdsSnapshot(s) => {
            super::rds_snapshot_storage(&s.engine, &r.region, s.allocated_storage_gib).map(|p| {
                p.note("the allocated storage of its DB: an upper bound of the snapshot's size")
            })
        }
    }
}

/// The GiB an EBS snapshot is billed for, and what that figure is: its full
/// size when AWS gives it, else its volume's size, an upper bound (the
/// snapshot stores only the blocks in use, and only the changed ones when
/// it follows another).
pub(crate) fn ebs_snapshot_size(s: &crate::inventory::EbsSnapshot) -> (Decimal, &'static str) {
    match s.full_snapshot_size_bytes {
        Some(bytes) => (
            Decimal::from(bytes) / Decimal::from(1_i64 << 30),
            "full snapshot size",
        ),
        None => (
            Decimal::from(s.volume_size_gib),
            "volume size: an upper bound for an incremental snapshot",
        ),
    }
}

/// Price an ASG as the sum of its members: from their EC2 rows when the scan
/// has them (so stopped, spot or Windows members are right), else by type.
fn price_asg(
    r: &Resource,
    instances: &HashMap<&str, Result<Price, Unpriced>>,
) -> Result<Price, Unpriced> {
    let Details::AutoScalingGroup(g) = &r.details else {
        unreachable!("price_asg takes Auto Scaling groups")
    };
    let mut total = Price::zero();
    let mut by_type = 0;
    for m in &g.members {
        let p = match instances.get(m.instance_id.as_str()) {
            Some(p) => p.clone(),
            None => {
                by_type += 1;
                super::ec2_rate_price(
                    &m.instance_type,
                    &super::pricing_location(&r.region, &m.availability_zone),
                )
            }
        };
        let mut p = p.map_err(|Unpriced(why)| {
            Unpriced(format!("member {} is unpriced: {why}", m.instance_id))
        })?;
        for c in &mut p.components {
            // Unique to the member: owned, not interned.
            c.item = Text::owned(format!("{} {}", m.instance_id, m.instance_type));
        }
        total = total.plus(p);
    }
    if by_type > 0 {
        // Without the member's own row, platform and lifecycle are unknown.
        total.estimated = true;
        total.notes.push(format!(
            "{by_type} member(s) not in this scan, priced as Linux on-demand by instance type"
        ));
    }
    total.notes.dedup();
    // The group's own row has no single list rate.
    total.list_price = None;
    Ok(if by_type == g.members.len() {
        total.note("its members were not scanned: the group counts in totals")
    } else {
        total.note("members are counted in totals as EC2 instances, not here")
    })
}

pub(crate) fn price_inventory(mut inv: Inventory) -> ScanReport {
    // Auto Scaling groups are priced from their members' rows: price those
    // instances first (a group's members are a small part of a fleet).
    let members: HashSet<&str> = inv
        .resources
        .iter()
        .filter_map(|r| match &r.details {
            Details::AutoScalingGroup(g) => Some(g.members.iter().map(|m| m.instance_id.as_str())),
            _ => None,
        })
        .flatten()
        .collect();
    let mut groups: HashMap<usize, (Result<Price, Unpriced>, bool)> = HashMap::new();
    if !members.is_empty() {
        let instances: HashMap<&str, Result<Price, Unpriced>> = inv
            .resources
            .iter()
            .filter(|r| r.kind() == Kind::Ec2Instance && members.contains(r.id.as_str()))
            .map(|r| (r.id.as_str(), price_resource(r)))
            .collect();
        for (i, r) in inv.resources.iter().enumerate() {
            if let Details::AutoScalingGroup(g) = &r.details {
                // A group none of whose members were scanned (--services asg)
                // is their only row, so it counts in the totals; otherwise
                // its members do.
                let alone = !g.members.is_empty()
                    && !g
                        .members
                        .iter()
                        .any(|m| instances.contains_key(m.instance_id.as_str()));
                groups.insert(i, (price_asg(r, &instances), alone));
            }
        }
    }
    // Row by row from the end, giving the inventory's memory back as it
    // empties: the rows never sit beside a second copy of the fleet.
    let mut resources: Vec<PricedResource> = Vec::with_capacity(inv.resources.len());
    while let Some(r) = inv.resources.pop() {
        let row = match groups.remove(&inv.resources.len()) {
            Some((p, alone)) => {
                let mut row = PricedResource::new(r, p);
                if alone && row.monthly_usd.is_some() {
                    row.in_totals = true;
                }
                row
            }
            None => {
                let p = price_resource(&r);
                PricedResource::new(r, p)
            }
        };
        resources.push(row);
        if inv.resources.capacity() > 1024 && inv.resources.len() < inv.resources.capacity() / 2 {
            inv.resources.shrink_to_fit();
        }
    }
    // (account, region, kind, id) is unique: an unstable sort gives the same
    // order without a second buffer.
    resources.sort_unstable_by(|a, b| {
        (
            &a.resource.account_id,
            &a.resource.region,
            a.resource.kind(),
            &a.resource.id,
        )
            .cmp(&(
                &b.resource.account_id,
                &b.resource.region,
                b.resource.kind(),
                &b.resource.id,
            ))
    });

    let mut totals = Totals::default();
    let mut unpriced = Vec::new();
    let mut used_tables: BTreeMap<&'static str, TableInfo> = BTreeMap::new();
    let today = super::today();
    for r in &resources {
        for t in r.price_tables {
            if let Some(meta) = super::table(t) {
                used_tables
                    .entry(meta.id)
                    .or_insert_with(|| TableInfo::of(meta, &today));
            }
        }
        if let Some(reason) = &r.unpriced_reason {
            unpriced.push(UnpricedEntry {
                account_id: r.resource.account_id.clone(),
                id: r.resource.id.clone(),
                kind: r.resource.kind(),
                region: r.resource.region,
                type_: r.resource.type_,
                reason: reason.clone(),
            });
        }
        if !r.in_totals {
            continue;
        }
        totals.count(r);
    }

    ScanReport {
        schema_version: crate::inventory::SCHEMA_VERSION,
        generated_at: inv.generated_at,
        source: inv.source,
        regions: inv.regions,
        pricing: used_tables,
        resources,
        totals,
        unpriced,
        errors: inv.errors,
        accounts: inv.accounts,
    }
}
