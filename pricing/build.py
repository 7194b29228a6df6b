#!/usr/bin/env python3
"""Build finops' bundled price tables (pricing/*.tsv) from the raw AWS price data.

Usage: python3 pricing/build.py [SOURCE_DIR]   (default: ../shared/pricing-sources)

The output is small, sorted, tab-separated text that build.rs turns into static
Rust arrays, so the binary carries the prices and looks them up without parsing
anything at run time. Prices are copied as decimal strings, never through float,
so what the binary reports is exactly what the source says.

Decisions (kept here so they are reviewable next to the code that makes them):
- EC2 Linux on-demand comes from the 2025-04-04 feed for every region. For
  us-east-1 the 2026-07-20 table is fresher and wins, except for `*.metal`
  rows where the two disagree by an unexplained 6-10%: there the feed's
  published figure is kept. Types that only the fresher table knows are priced
  for us-east-1 only, from that table.
- RDS engines are renamed to the API's engine names (postgresql -> postgres).
- ELB rows keep the source's `confidence` so estimated figures stay marked.
"""
import csv
import json
import os
import sys
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "shared", "pricing-sources")

TABLES = [
    # id, data date, what, origin
    ("ec2", "2025-04-04", "EC2 Linux on-demand, all regions", "AWS public pricing feed via yeo/ec2.shop (MIT)"),
    ("ec2_us_east_1", "2026-07-20", "EC2 Linux on-demand, us-east-1 (fresher)", "aws/karpenter-provider-aws generated pricing (Apache-2.0)"),
    ("ebs", "2024-07-18", "EBS volumes, IOPS and throughput", "AWS pricing feed via yeo/ec2.shop (MIT)"),
    ("rds", "2024-09-28", "RDS MySQL/PostgreSQL/MariaDB instances and storage", "AWS pricing feed via yeo/ec2.shop (MIT)"),
    ("elb", "2026-11", "Load balancer hours and public IPv4", "AWS ELB pricing page figures; rows marked estimated are unverified"),
    ("nat", "2026-11", "NAT gateway hours and data processed (us-east-1 only)", "AWS VPC pricing page figures"),
    ("specs", "2026-10", "EC2 instance type specifications", "moto 5.2.5 dump of DescribeInstanceTypes (Apache-2.0)"),
]

ENGINE = {"postgresql": "postgres", "mysql": "mysql", "mariadb": "mariadb"}


def dec(s):
    """Normalise a decimal string without going through float; '' stays ''."""
    s = (s or "").strip()
    if not s:
        return ""
    d = Decimal(s)
    if d < 0:
        raise SystemExit(f"negative price {s!r}")
    t = format(d.normalize(), "f")
    return t


def rows(name):
    with open(os.path.join(SRC, name), newline="") as f:
        return list(csv.DictReader(f))


def write(name, header, data):
    data = sorted(data)
    path = os.path.join(HERE, name)
    with open(path, "w", newline="") as f:
        f.write("\t".join(header) + "\n")
        for r in data:
            for v in r:
                if "\t" in str(v) or "\n" in str(v):
                    raise SystemExit(f"{name}: bad value {v!r}")
            f.write("\t".join(str(v) for v in r) + "\n")
    print(f"{name}: {len(data)} rows")


def main():
    write("tables.tsv", ["id", "data_date", "description", "source"], TABLES)

    # EC2 prices
    feed = rows("ec2_linux_ondemand.csv")
    fresh = {r["instance_type"]: r for r in rows("ec2_linux_ondemand_us-east-1_2026-07-20.csv")}
    prices = {}
    for r in feed:
        p = dec(r["price_usd_per_hour"])
        if p and Decimal(p) > 0:
            prices[(r["instance_type"], r["region"])] = (p, "ec2")
    for t, r in fresh.items():
        p = dec(r["price_usd_per_hour"])
        if not p or Decimal(p) <= 0:
            continue
        old = prices.get((t, "us-east-1"))
        if old and ".metal" in t and Decimal(old[0]) != Decimal(p):
            continue  # keep the published feed figure, see module docstring
        prices[(t, "us-east-1")] = (p, "ec2_us_east_1")
    write("ec2_prices.tsv", ["instance_type", "region", "usd_per_hour", "table"],
          [(t, reg, p, tab) for (t, reg), (p, tab) in prices.items()])

    # EC2 type specs: the DescribeInstanceTypes dump, completed from the price feeds
    specs = {}
    for r in rows("ec2_instance_specs.csv"):
        specs[r["instance_type"]] = (
            r["instance_type"], r["vcpu"], r["memory_mib"], r["architectures"].replace(";", ","),
            r["hypervisor"], r["ena_support"], r["nvme_support"],
            "1" if r["burstable"] == "True" else "0",
            "1" if r["current_generation"] == "True" else "0",
            r["instance_storage_gb"] or "0", "1" if r["bare_metal"] == "True" else "0", r["gpus"] or "0")
    arch = {"amd64": "x86_64", "arm64": "arm64"}
    extra = {}
    for r in feed:
        extra.setdefault(r["instance_type"], (r["vcpu"], r["memory_gib"], r["arch"], r["previous_generation"] == "0"))
    for t, r in fresh.items():
        extra.setdefault(t, (r["vcpu"], r["memory_gib"], r["arch"], True))
    for t, (vcpu, mem, a, cur) in extra.items():
        if t in specs:
            continue
        mib = str(int(Decimal(mem) * 1024))
        specs[t] = (t, vcpu, mib, arch.get(a, a), "", "", "", "1" if t.startswith(("t2.", "t3", "t4g")) else "0",
                    "1" if cur else "0", "0", "1" if "metal" in t else "0", "0")
    write("ec2_types.tsv", ["instance_type", "vcpu", "memory_mib", "architectures", "hypervisor", "ena_support",
                            "nvme_support", "burstable", "current_generation", "instance_storage_gb", "bare_metal", "gpus"],
          specs.values())

    # EBS
    ebs_cols = ["gp2_gb_month", "gp3_gb_month", "io1_gb_month", "io2_gb_month", "st1_gb_month", "sc1_gb_month",
                "standard_gb_month", "gp3_iops_month", "gp3_throughput_mibps_month", "io1_iops_month",
                "io2_iops_tier1_month", "io2_iops_tier2_month", "io2_iops_tier3_month", "standard_per_million_io",
                "snapshot_gb_month"]
    write("ebs.tsv", ["region"] + ebs_cols,
          [tuple([r["region"]] + [dec(r[c]) for c in ebs_cols]) for r in rows("ebs.csv")])

    # RDS instances and classes
    rds = []
    classes = {}
    for r in rows("rds_instances.csv"):
        p = dec(r["price_usd_per_hour"])
        if not p or Decimal(p) <= 0:
            continue
        rds.append((ENGINE[r["engine"]], r["region"], r["instance_class"], r["deployment"], p))
        classes.setdefault(r["instance_class"], (r["instance_class"], r["vcpu"], dec(r["memory_gib"]), r["generation"]))
    write("rds_instances.tsv", ["engine", "region", "instance_class", "deployment", "usd_per_hour"], rds)
    write("rds_classes.tsv", ["instance_class", "vcpu", "memory_gib", "generation"], classes.values())

    # RDS storage: feed keys -> (deployment, item)
    storage = []
    for r in rows("rds_other_prices.csv"):
        key = r["feed_key"]
        dep = ("multi-az-cluster" if "readable standbys" in key else
               "multi-az" if "Multi AZ" in key else "single-az" if "Single AZ" in key else None)
        if dep is None:
            continue
        item = None
        if key.startswith("Database Storage"):
            item = ("gp3_gb" if key.endswith("General Purpose-GP3") else "gp2_gb" if key.endswith("General Purpose")
                    else "io2_gb" if key.endswith("Provisioned IOPS-IO2") else "io1_gb" if key.endswith("Provisioned IOPS")
                    else "magnetic_gb" if key.endswith("Magnetic") else None)
        elif key.startswith("Provisioned GP3 IOPS"):
            item = "gp3_iops"
        elif key.startswith("Provisioned IO2 IOPS"):
            item = "io2_iops"
        elif key.startswith("Provisioned IOPS"):
            item = "io1_iops"
        elif key.startswith("Provisioned Throughput"):
            item = "gp3_throughput"
        p = dec(r["price_usd"])
        if item and p:
            storage.append((ENGINE[r["engine"]], r["region"], dep, item, p))
    write("rds_storage.tsv", ["engine", "region", "deployment", "item", "usd_per_month"], storage)

    # Load balancers and public IPv4
    write("elb.tsv", ["region", "item", "usd", "confidence", "source"],
          [(r["region"], r["item"], dec(r["price_usd"]), r["confidence"], r["source"]) for r in rows("elb_eip.csv")])

    # Snapshot storage: EBS snapshots (standard, archive) belong to the EBS feed
    # of 2024-07-18, RDS backup storage to the RDS feed of 2024-09-28, so their
    # rows name those tables and carry their data dates.
    snap = []
    for r in rows("snapshot_storage.csv"):
        item = r["item"]
        table = "rds" if item.startswith("rds_") else "ebs"
        item = item.replace("rds_postgresql_", "rds_postgres_")
        p = dec(r["price_usd"])
        if p:
            snap.append((r["region"], item, r["unit"], p, table))
    write("snapshots.tsv", ["region", "item", "unit", "usd", "table"], snap)

    # NAT gateway: published figures for us-east-1 only.
    write("nat.tsv", ["region", "item", "unit", "usd", "confidence"],
          [(r["region"], r["item"], r["unit"], dec(r["price_usd"]), r["confidence"]) for r in rows("nat_gateway.csv")])

    # The AWS regions (not local or wavelength zones) the tables know, for validating --region.
    with open(os.path.join(SRC, "location_to_region.json")) as f:
        loc = json.load(f)
    import re
    pat = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+$")
    known = {c for c in loc.values() if pat.match(c)} | {reg for (_, reg) in prices if pat.match(reg)}
    write("regions.tsv", ["region"], [(c,) for c in known])


if __name__ == "__main__":
    main()
