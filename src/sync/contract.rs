//! The backend's HTTP contract: one JSON body per record, per endpoint, with
//! the field names and types `../shared/backend-contract.md` fixes.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Map, Value, json};

use crate::analysis::Recommendation;
use crate::inventory::Details;
use crate::pricing::PricedResource;
use crate::state::outbox::Pending;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Str,
    Num,
    Int,
    Bool,
    StrArray,
    Any,
    Object,
}

/// (field, type, nullable)
type Spec = &'static [(&'static str, Ty, bool)];

const INSTANCE: Spec = &[
    ("instance_id", Ty::Str, false),
    ("state", Ty::Str, false),
    ("region", Ty::Str, false),
    ("cpu", Ty::Num, true),
    ("instance_type", Ty::Str, false),
    ("hourly_cost", Ty::Num, false),
    ("monthly_cost", Ty::Num, false),
    ("annual_cost", Ty::Num, false),
];
const VOLUME: Spec = &[
    ("volume_id", Ty::Str, false),
    ("region", Ty::Str, false),
    ("availability_zone", Ty::Str, false),
    ("volume_type", Ty::Str, false),
    ("size_gb", Ty::Int, false),
    ("iops", Ty::Int, true),
    ("throughput", Ty::Int, true),
    ("state", Ty::Str, false),
    ("attached_instance_id", Ty::Str, true),
    ("monthly_cost", Ty::Num, false),
    ("annual_cost", Ty::Num, false),
];
const RDS: Spec = &[
    ("db_instance_id", Ty::Str, false),
    ("region", Ty::Str, false),
    ("engine", Ty::Str, false),
    ("instance_class", Ty::Str, false),
    ("multi_az", Ty::Bool, false),
    ("storage_type", Ty::Str, false),
    ("allocated_storage_gb", Ty::Int, false),
    ("state", Ty::Str, false),
    ("cpu", Ty::Num, true),
    ("hourly_cost", Ty::Num, false),
    ("monthly_cost", Ty::Num, false),
    ("annual_cost", Ty::Num, false),
];
const LB: Spec = &[
    ("lb_arn", Ty::Str, false),
    ("lb_name", Ty::Str, false),
    ("lb_type", Ty::Str, false),
    ("region", Ty::Str, false),
    ("state", Ty::Str, false),
    ("hourly_cost", Ty::Num, false),
    ("monthly_cost", Ty::Num, false),
    ("annual_cost", Ty::Num, false),
];
const ASG: Spec = &[
    ("asg_arn", Ty::Str, false),
    ("asg_name", Ty::Str, false),
    ("region", Ty::Str, false),
    ("instance_type", Ty::Str, false),
    ("desired_capacity", Ty::Int, false),
    ("min_size", Ty::Int, false),
    ("max_size", Ty::Int, false),
    ("instance_ids", Ty::StrArray, false),
    ("hourly_cost", Ty::Num, false),
    ("monthly_cost", Ty::Num, false),
    ("annual_cost", Ty::Num, false),
];
// Kinds with no endpoint of their own (NAT gateways, snapshots): the generic
// resource. `account_id` is added as on every record, when known.
const RESOURCE: Spec = &[
    ("resource_id", Ty::Str, false),
    ("resource_kind", Ty::Str, false),
    ("region", Ty::Str, false),
    ("state", Ty::Str, false),
    ("type", Ty::Str, false),
    ("hourly_cost", Ty::Num, false),
    ("monthly_cost", Ty::Num, false),
    ("annual_cost", Ty::Num, false),
    ("details", Ty::Object, false),
];
const RECOMMENDATION: Spec = &[
    ("recommendation_id", Ty::Str, false),
    ("resource_id", Ty::Str, false),
    ("resource_kind", Ty::Str, false),
    ("region", Ty::Str, false),
    ("action", Ty::Str, false),
    ("current", Ty::Any, false),
    ("proposed", Ty::Any, true),
    ("monthly_savings", Ty::Num, false),
    ("annual_savings", Ty::Num, false),
    ("risk", Ty::Str, false),
    ("rationale", Ty::Str, false),
];
const SAVINGS: Spec = &[
    ("resource_id", Ty::Str, false),
    ("cloud", Ty::Str, false),
    ("money_saved", Ty::Num, false),
    ("region", Ty::Str, false),
    ("state", Ty::Str, false),
    ("instance_type", Ty::Str, false),
    ("pricing_model", Ty::Str, false),
    ("estimated_hours_saved", Ty::Num, false),
    ("date", Ty::Str, false),
];
const ANOMALY: Spec = &[
    ("anomaly_id", Ty::Str, false),
    ("scope", Ty::Str, false),
    ("key", Ty::Str, false),
    ("previous_monthly_cost", Ty::Num, false),
    ("current_monthly_cost", Ty::Num, false),
    ("change_percent", Ty::Num, false),
    ("detected_at", Ty::Str, false),
];

const BUDGET: Spec = &[
    ("budget_name", Ty::Str, false),
    ("time_unit", Ty::Str, false),
    ("limit", Ty::Num, false),
    ("actual", Ty::Num, false),
    ("forecast", Ty::Num, true),
    ("percent_used", Ty::Num, false),
    ("at_risk", Ty::Bool, false),
    ("period_start", Ty::Str, true),
];

pub(crate) const ENDPOINTS: &[&str] = &[
    "/api/instances",
    "/api/ebs-volumes",
    "/api/rds-instances",
    "/api/load-balancers",
    "/api/auto-scaling-groups",
    "/api/optimizations",
    "/api/savings",
    "/api/anomalies",
    "/api/resources",
    "/api/budgets",
];

fn spec(endpoint: &str) -> Option<Spec> {
    Some(match endpoint {
        "/api/instances" => INSTANCE,
        "/api/ebs-volumes" => VOLUME,
        "/api/rds-instances" => RDS,
        "/api/load-balancers" => LB,
        "/api/auto-scaling-groups" => ASG,
        "/api/optimizations" => RECOMMENDATION,
        "/api/savings" => SAVINGS,
        "/api/anomalies" => ANOMALY,
        "/api/resources" => RESOURCE,
        "/api/budgets" => BUDGET,
        _ => return None,
    })
}

/// Every record also carries `account_id`, the 12-digit AWS account id as a
/// string, when the account is known; it is left out when it is not (a
/// backend that does not know the field ignores it).
const ACCOUNT_ID: &str = "account_id";

/// Check a body against the contract: every field present with its type,
/// and `account_id`, when there, a 12-digit string.
pub(crate) fn validate(endpoint: &str, body: &Value) -> Result<(), String> {
    let spec = spec(endpoint).ok_or_else(|| format!("{endpoint} is not in the contract"))?;
    let obj = body
        .as_object()
        .ok_or_else(|| format!("{endpoint}: the body is not an object"))?;
    if let Some(v) = obj.get(ACCOUNT_ID)
        && !v.is_null()
        && !v.as_str().is_some_and(crate::inventory::is_account_id)
    {
        return Err(format!(
            "{endpoint}: {ACCOUNT_ID} must be a 12-digit account id string ({v})"
        ));
    }
    for (field, ty, nullable) in spec {
        let v = obj
            .get(*field)
            .ok_or_else(|| format!("{endpoint}: missing field {field}"))?;
        if v.is_null() {
            if *nullable {
                continue;
            }
            return Err(format!("{endpoint}: {field} must not be null"));
        }
        let ok = match ty {
            Ty::Str => v.is_string(),
            Ty::Num => v.is_number(),
            Ty::Int => v.is_i64() || v.is_u64(),
            Ty::Bool => v.is_boolean(),
            Ty::StrArray => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
            Ty::Any => true,
            Ty::Object => v.is_object(),
        };
        if !ok {
            return Err(format!("{endpoint}: {field} has the wrong type ({v})"));
        }
    }
    Ok(())
}

/// The JSON Schema of an endpoint's body, from the contract's table above:
/// every field required, typed, and null only where the contract allows it.
/// `docs/schema/backend-*.json` are these (generated by a test).
#[cfg(test)]
pub(crate) fn body_schema(endpoint: &str) -> Option<Value> {
    let spec = spec(endpoint)?;
    let mut properties = Map::new();
    for (field, ty, nullable) in spec {
        let mut schema = match ty {
            Ty::Str => json!({"type": "string"}),
            Ty::Num => json!({"type": "number"}),
            Ty::Int => json!({"type": "integer"}),
            Ty::Bool => json!({"type": "boolean"}),
            Ty::StrArray => json!({"type": "array", "items": {"type": "string"}}),
            Ty::Any => json!({}),
            Ty::Object => json!({"type": "object"}),
        };
        if *nullable && let Some(t) = schema.get("type").cloned() {
            schema["type"] = json!([t, "null"]);
        }
        properties.insert((*field).to_string(), schema);
    }
    // Optional: absent (or null) when the account is not known.
    properties.insert(
        ACCOUNT_ID.to_string(),
        json!({"type": ["string", "null"], "pattern": "^[0-9]{12}$",
               "description": "the 12-digit AWS account id; absent when not known"}),
    );
    let required: Vec<&str> = spec.iter().map(|(f, _, _)| *f).collect();
    Some(json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": format!("POST {endpoint}"),
        "type": "object",
        "properties": properties,
        "required": required,
    }))
}

/// One record for the backend.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Record {
    pub(crate) endpoint: &'static str,
    /// What the record is about (resource or recommendation id): the unit of delta sync.
    pub(crate) key: String,
    pub(crate) body: Value,
}

impl Record {
    /// The record as the outbox stores it.
    pub(crate) fn pending(&self) -> Pending<'_> {
        Pending {
            endpoint: self.endpoint,
            key: &self.key,
            body: &self.body,
        }
    }
}

fn usd(v: Option<Decimal>) -> Value {
    v.and_then(|d| d.round_dp(6).to_f64())
        .map_or(Value::Null, Value::from)
}

/// `account_id` in a body when the account is known.
fn account(m: &mut Map<String, Value>, account_id: Option<&str>) {
    if let Some(a) = account_id {
        m.insert(ACCOUNT_ID.into(), Value::from(a));
    }
}

/// A generic resource's fields (`/api/resources`): `details` is the kind's
/// own fields as the inventory has them.
fn generic(res: &crate::inventory::Resource) -> Option<Map<String, Value>> {
    let mut details = serde_json::to_value(&res.details).ok()?;
    // The kind is a field of its own.
    details.as_object_mut()?.remove("kind");
    json!({"resource_id": res.id, "resource_kind": res.kind().name(), "region": res.region,
           "state": res.state, "type": res.type_, "details": details})
    .as_object()
    .cloned()
}

/// A budget's status (`/api/budgets`), keyed by account, name and period:
/// a new period is a new record, the same period is updated in place.
pub(crate) fn budget_record(b: &crate::spend::report::BudgetEntry) -> Option<Record> {
    let account = b.account_id.as_deref()?;
    let body = json!({
        "budget_name": b.name,
        "account_id": account,
        "time_unit": b.time_unit,
        "limit": usd(Some(b.limit_usd)),
        "actual": usd(Some(b.actual_usd)),
        "forecast": usd(b.forecast_usd),
        "percent_used": usd(Some(b.percent_used)),
        "at_risk": b.at_risk,
        "period_start": b.period_start,
    });
    Some(Record {
        endpoint: "/api/budgets",
        key: format!(
            "budget:{account}:{}:{}",
            b.name,
            b.period_start.as_deref().unwrap_or("")
        ),
        body,
    })
}

/// A spend anomaly (`/api/anomalies`): the day's expected and actual cost in
/// the two cost fields, `basis: "daily"`. Dimensions the contract has no
/// scope for (usage type, tags) are not sent.
pub(crate) fn spend_anomaly_record(
    a: &crate::spend::report::AnomalyEntry,
    detected_at: &str,
) -> Option<Record> {
    let scope = match a.dimension.as_str() {
        "total" | "service" | "region" | "account" => a.dimension.as_str(),
        _ => return None,
    };
    let f = |d: Decimal| d.round_dp(6).to_f64().unwrap_or_default();
    let mut body = json!({
        "anomaly_id": a.id,
        "scope": scope,
        "key": a.key,
        "previous_monthly_cost": f(a.expected_usd),
        "current_monthly_cost": f(a.actual_usd),
        // The contract needs a number: from $0, the change is reported as 100%.
        "change_percent": a.change_percent.map_or(100.0, f),
        "detected_at": detected_at,
        "basis": "daily",
        "date": a.date,
    });
    if scope == "account" && crate::inventory::is_account_id(&a.key) {
        body["account_id"] = json!(a.key);
    }
    Some(Record {
        endpoint: "/api/anomalies",
        key: a.id.clone(),
        body,
    })
}

/// The body for a priced resource, or None when it has no price (the contract
/// needs numbers, and finops never reports a missing price as $0).
pub(crate) fn resource_record(r: &PricedResource, cpu: Option<f64>) -> Option<Record> {
    r.monthly_usd?;
    let res = &r.resource;
    let costs = |m: &mut Map<String, Value>| {
        m.insert("hourly_cost".into(), usd(r.hourly_usd));
        m.insert("monthly_cost".into(), usd(r.monthly_usd));
        m.insert("annual_cost".into(), usd(r.annual_usd));
    };
    let cpu = cpu.map_or(Value::Null, |c| json!((c * 100.0).round() / 100.0));
    let (endpoint, mut m): (&'static str, Map<String, Value>) = match &res.details {
        Details::Ec2Instance(_) => (
            "/api/instances",
            json!({"instance_id": res.id, "state": res.state, "region": res.region,
                   "cpu": cpu, "instance_type": res.type_})
            .as_object()?
            .clone(),
        ),
        Details::EbsVolume(v) => {
            let mut m = json!({"volume_id": res.id, "region": res.region,
                "availability_zone": v.availability_zone, "volume_type": res.type_,
                "size_gb": v.size_gib, "iops": v.iops, "throughput": v.throughput_mibps,
                "state": res.state, "attached_instance_id": v.attached_instance_id})
            .as_object()?
            .clone();
            m.insert("monthly_cost".into(), usd(r.monthly_usd));
            m.insert("annual_cost".into(), usd(r.annual_usd));
            account(&mut m, res.account_id.as_deref());
            return Some(Record {
                endpoint: "/api/ebs-volumes",
                key: res.key(),
                body: Value::Object(m),
            });
        }
        Details::RdsInstance(d) => (
            "/api/rds-instances",
            json!({"db_instance_id": res.id, "region": res.region, "engine": d.engine,
                   "instance_class": res.type_, "multi_az": d.multi_az,
                   "storage_type": d.storage_type, "allocated_storage_gb": d.allocated_storage_gib,
                   "state": res.state, "cpu": cpu})
            .as_object()?
            .clone(),
        ),
        Details::LoadBalancer(l) => (
            "/api/load-balancers",
            json!({"lb_arn": res.id, "lb_name": res.name.clone().unwrap_or_else(|| res.id.clone()),
                   "lb_type": l.lb_type, "region": res.region, "state": res.state})
            .as_object()?
            .clone(),
        ),
        Details::AutoScalingGroup(g) => (
            "/api/auto-scaling-groups",
            json!({"asg_arn": g.arn.clone().unwrap_or_else(|| res.id.clone()), "asg_name": res.id,
                   "region": res.region, "instance_type": res.type_,
                   "desired_capacity": g.desired_capacity, "min_size": g.min_size,
                   "max_size": g.max_size,
                   "instance_ids": g.members.iter().map(|m| m.instance_id.clone()).collect::<Vec<_>>()})
            .as_object()?
            .clone(),
        ),
        Details::NatGateway(_) | Details::EbsSnapshot(_) | Details::RdsSnapshot(_) => (
            "/api/resources",
            generic(res)?,
        ),
    };
    costs(&mut m);
    account(&mut m, res.account_id.as_deref());
    Some(Record {
        endpoint,
        // Ids such as DB identifiers are only unique within an account,
        // region and kind: the key has all four.
        key: res.key(),
        body: Value::Object(m),
    })
}

/// The body for a finding, or None when it is unpriced: the contract needs a
/// number, and finops never reports a missing figure as $0.
pub(crate) fn recommendation_record(r: &Recommendation) -> Option<Record> {
    let (monthly, annual) = (r.monthly_savings_usd?, r.annual_savings_usd?);
    let rationale = std::iter::once(r.evidence.summary.clone())
        .chain(r.notes.iter().map(|n| n.to_string()))
        .collect::<Vec<_>>()
        .join("; ");
    let mut body = json!({
        "recommendation_id": r.recommendation_id,
        "resource_id": r.resource_id,
        "resource_kind": r.kind,
        "region": r.region,
        "action": r.action,
        "current": r.current,
        "proposed": r.target,
        "monthly_savings": usd(Some(monthly)),
        "annual_savings": usd(Some(annual)),
        "risk": format!("{:?}", r.risk).to_lowercase(),
        "rationale": rationale,
    });
    if let Some(m) = body.as_object_mut() {
        account(m, r.account_id.as_deref());
    }
    Some(Record {
        endpoint: "/api/optimizations",
        // The id names the account, region, kind and resource.
        key: r.recommendation_id.clone(),
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::demo;
    use crate::pricing::price_inventory;

    #[test]
    fn every_priced_demo_resource_makes_a_valid_record() {
        let mut inv = demo::inventory();
        for r in &mut inv.resources {
            r.account_id = Some("123456789012".into());
        }
        let report = price_inventory(inv);
        let mut n = 0;
        for r in &report.resources {
            match resource_record(r, Some(12.5)) {
                Some(rec) => {
                    validate(rec.endpoint, &rec.body).unwrap();
                    // Every record names the resource's account.
                    assert_eq!(rec.body["account_id"], "123456789012", "{}", rec.key);
                    assert!(rec.key.starts_with("123456789012/"), "{}", rec.key);
                    n += 1;
                }
                None => assert!(r.monthly_usd.is_none(), "{} was skipped", r.resource.id),
            }
        }
        assert!(n > 30);
    }

    /// Issue 18: snapshots have no endpoint of their own: the generic one,
    /// with the kind's fields in `details`.
    #[test]
    fn snapshots_go_to_the_generic_resources_endpoint() {
        let report = price_inventory(demo::inventory());
        let recs: Vec<Record> = report
            .resources
            .iter()
            .filter(|r| {
                matches!(
                    r.resource.details,
                    Details::EbsSnapshot(_) | Details::RdsSnapshot(_)
                )
            })
            .filter_map(|r| resource_record(r, None))
            .collect();
        assert_eq!(recs.len(), 4);
        for rec in &recs {
            assert_eq!(rec.endpoint, "/api/resources");
            validate(rec.endpoint, &rec.body).unwrap();
            assert!(rec.body["details"].get("kind").is_none(), "{}", rec.body);
        }
        let db = recs
            .iter()
            .find(|r| r.body["resource_id"] == "eu-reports-final")
            .unwrap();
        assert_eq!(db.body["resource_kind"], "rds_snapshot");
        assert_eq!(db.body["type"], "mysql");
        assert_eq!(db.body["monthly_cost"], 19.0);
        assert_eq!(db.body["details"]["db_instance_exists"], false);
    }

    #[test]
    fn a_recorded_saving_fits_the_contract() {
        let mut saving = crate::state::savings::Saving {
            resource_id: "i-1".into(),
            account_id: None,
            kind: "ec2_instance".into(),
            region: "us-east-1".into(),
            from_type: "m5.2xlarge".into(),
            to_type: "m5.xlarge".into(),
            money_saved: rust_decimal_macros::dec!(140.16),
            state: "running".into(),
            pricing_model: "on-demand".into(),
            estimated_hours_saved: 730,
            date: "2026-11-22T06:00:00Z".into(),
        };
        validate("/api/savings", &saving.body()).unwrap();
        saving.account_id = Some("111111111111".into());
        validate("/api/savings", &saving.body()).unwrap();
        assert_eq!(saving.body()["account_id"], "111111111111");
    }

    #[test]
    fn equal_ids_in_two_accounts_are_two_records() {
        let report = price_inventory(demo::inventory());
        let mut db = report
            .resources
            .iter()
            .find(|r| {
                matches!(r.resource.details, Details::RdsInstance(_)) && r.monthly_usd.is_some()
            })
            .unwrap()
            .clone();
        db.resource.account_id = Some("123456789012".into());
        let mut other = db.clone();
        other.resource.account_id = Some("210987654321".into());
        let (a, b) = (
            resource_record(&db, None).unwrap(),
            resource_record(&other, None).unwrap(),
        );
        assert_eq!(a.body["db_instance_id"], b.body["db_instance_id"]);
        assert_ne!(a.key, b.key);
        assert_eq!(b.body["account_id"], "210987654321");
        let (ka, kb) = (
            crate::state::outbox::idempotency_key(
                a.endpoint,
                &a.key,
                &crate::state::outbox::content_hash(&a.body),
            ),
            crate::state::outbox::idempotency_key(
                b.endpoint,
                &b.key,
                &crate::state::outbox::content_hash(&b.body),
            ),
        );
        assert_ne!(ka, kb);
        // Unknown account (a snapshot from before accounts): no field at all.
        let mut unknown = db.clone();
        unknown.resource.account_id = None;
        let u = resource_record(&unknown, None).unwrap();
        assert!(u.body.get("account_id").is_none());
        validate(u.endpoint, &u.body).unwrap();
    }

    #[test]
    fn every_priced_demo_finding_makes_a_valid_record_naming_its_account() {
        let mut inv = demo::inventory();
        for r in &mut inv.resources {
            r.account_id = Some("123456789012".into());
        }
        let m = demo::metrics(&inv, 14, 3600, 20_000 * 86_400);
        let mut e = demo::extras(&inv);
        for a in &mut e.addresses {
            a.account_id = Some("123456789012".into());
        }
        let report = price_inventory(inv);
        let o = crate::analysis::analyse(&report, &m, &e, &Default::default(), &[]);
        let mut n = 0;
        for r in &o.recommendations {
            let Some(rec) = recommendation_record(r) else {
                continue;
            };
            validate(rec.endpoint, &rec.body).unwrap();
            assert_eq!(rec.body["account_id"], "123456789012", "{}", rec.key);
            assert_eq!(rec.key, r.recommendation_id);
            n += 1;
        }
        assert!(n > 5, "{n}");
    }

    #[test]
    fn account_ids_are_checked_and_in_every_schema() {
        let ok = json!({"instance_id": "i-1", "state": "running", "region": "r", "cpu": null,
            "instance_type": "t3.micro", "hourly_cost": 0.0104, "monthly_cost": 7.592,
            "annual_cost": 91.104, "account_id": "123456789012"});
        validate("/api/instances", &ok).unwrap();
        for bad in [
            json!("12345"),
            json!(123456789012u64),
            json!("12345678901a"),
        ] {
            let mut b = ok.clone();
            b["account_id"] = bad;
            let e = validate("/api/instances", &b).unwrap_err();
            assert!(e.contains("account_id"), "{e}");
        }
        for ep in ENDPOINTS {
            let s = body_schema(ep).unwrap();
            assert_eq!(
                s["properties"]["account_id"]["pattern"], "^[0-9]{12}$",
                "{ep}"
            );
            assert!(
                !s["required"]
                    .as_array()
                    .unwrap()
                    .contains(&json!("account_id")),
                "{ep}"
            );
        }
    }

    #[test]
    fn validation_names_the_problem() {
        let ok = json!({"instance_id": "i-1", "state": "running", "region": "r", "cpu": null,
            "instance_type": "t3.micro", "hourly_cost": 0.0104, "monthly_cost": 7.592, "annual_cost": 91.104});
        validate("/api/instances", &ok).unwrap();
        let mut missing = ok.clone();
        missing.as_object_mut().unwrap().remove("region");
        assert!(
            validate("/api/instances", &missing)
                .unwrap_err()
                .contains("region")
        );
        let mut wrong = ok.clone();
        wrong["monthly_cost"] = json!("7.59");
        assert!(
            validate("/api/instances", &wrong)
                .unwrap_err()
                .contains("monthly_cost")
        );
        assert!(validate("/api/nope", &ok).is_err());
    }
}
