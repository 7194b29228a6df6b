#!/usr/bin/env python3
"""Build finops' bundled price tables (pricing/*.tsv) from the raw AWS price data.

Usage: python3 pricing/build.py [SOURCE_DIR]   (default: ../shared/pricing-sources next to
the repository, or next to the main checkout from a git worktree)

The output is small, sorted, tab-separated text that build.rs turns into static
Rust arrays, so the binary carries the prices and looks them up without parsing
anything at run time. Prices are copied as decimal strings, never through float,
so what the binary reports is exactly what the source says.

Decisions (kept here so they are reviewable next to the code that makes them):
- EC2 Linux on-demand comes from the 2025-04-04 feed for every region and
  Local/Wavelength Zone. For us-east-1 the 2026-07-20 karpenter table and for
  us-gov-east-1/us-gov-west-1 the 2026-07-20 GovCloud table are fresher and win.
- karpenter's `*.metal` figures are Dedicated-tenancy prices, not shared-tenancy
  list prices: the feed's figure is kept where it has one, and a metal type
  that only karpenter prices is written with the flag `dedicated`, so the
  binary can say why it has no list price instead of showing it as one.
- AWS cut p4d/p4de (-33%), p5 (-44%) and p5en (-25.4%) prices after
  2025-04-04 in every region, but newer figures exist here only for us-east-1
  and GovCloud: the feed's rows for those families elsewhere carry the flag
  `stale` (known to be too high), shown as such to the user.
- RDS Extended Support: per-vCPU-hour rates come from the feed keys
  "<Engine|Any> Year 1 Year 2 <major>" and "... Year 3 <major>"; rates from
  "Any" keys (MySQL 8.0, PostgreSQL 13) name no engine and are marked
  `estimated`. Which major versions are in Extended Support and since when
  is the hand-kept EXTENDED_SUPPORT calendar below, with its sources.
- RDS engines are renamed to the API's engine names (postgresql -> postgres).
- ELB rows keep the source's `confidence` so estimated figures stay marked.
"""
import csv
import json
import os
import subprocess
import sys
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))


def default_source():
    """../shared/pricing-sources next to the repository; from a git worktree,
    next to the main checkout (found through git's common directory)."""
    here = os.path.join(HERE, "..", "..", "shared", "pricing-sources")
    if os.path.isdir(here):
        return here
    try:
        common = subprocess.run(["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
                                cwd=HERE, capture_output=True, text=True, check=True).stdout.strip()
        main = os.path.join(os.path.dirname(common), "..", "shared", "pricing-sources")
        if os.path.isdir(main):
            return main
    except (OSError, subprocess.CalledProcessError):
        pass
    raise SystemExit(f"no price sources at {os.path.normpath(here)}: pass the directory as the first argument")


SRC = sys.argv[1] if len(sys.argv) > 1 else default_source()

TABLES = [
    # id, data date, what, origin
    ("ec2", "2025-04-04", "EC2 Linux on-demand, all regions", "AWS public pricing feed via yeo/ec2.shop (MIT)"),
    ("ec2_us_east_1", "2026-07-20", "EC2 Linux on-demand, us-east-1 (fresher)", "aws/karpenter-provider-aws generated pricing (Apache-2.0)"),
    ("ec2_govcloud", "2026-07-20", "EC2 Linux on-demand, us-gov-east-1 and us-gov-west-1", "aws/karpenter-provider-aws zz_generated.pricing_aws_us_gov.go (Apache-2.0)"),
    ("ebs", "2024-07-18", "EBS volumes, IOPS and throughput", "AWS pricing feed via yeo/ec2.shop (MIT)"),
    ("rds", "2024-09-28", "RDS MySQL/PostgreSQL/MariaDB instances and storage", "AWS pricing feed via yeo/ec2.shop (MIT)"),
    ("elb", "2026-11", "Load balancer hours and public IPv4", "AWS ELB pricing page figures; rows marked estimated are unverified"),
    ("nat", "2026-11", "NAT gateway hours and data processed (us-east-1 only)", "AWS VPC pricing page figures"),
    ("rds_es_calendar", "2026-11", "RDS Extended Support start dates per engine major version", "AWS RDS User Guide (Using Amazon RDS Extended Support; Extended Support charges) and the RDS for MySQL / PostgreSQL release calendars"),
    ("specs", "2026-10", "EC2 instance type specifications", "moto 5.2.5 dump of DescribeInstanceTypes (Apache-2.0)"),
]

ENGINE = {"postgresql": "postgres", "mysql": "mysql", "mariadb": "mariadb"}

# AWS regions that the price sources predate (or whose partition they do not
# cover): --region accepts them, and their resources are unpriced with the reason.
UNPRICED_REGIONS = ["ap-east-2", "ap-southeast-6", "cn-north-1", "cn-northwest-1"]

# The instance families whose 2025-04-04 feed prices predate AWS's GPU price cuts.
GPU_CUT_FAMILIES = {"p4d", "p4de", "p5", "p5en"}

# RDS Extended Support calendar: (engine, major version, first charged day,
# first day of the year-3 rate, last day of Extended Support, source). Year 3
# starts two years after Extended Support starts.
EXTENDED_SUPPORT = [
    ("mysql", "5.7", "2024-03-01", "2026-03-01", "2027-02-28",
     "AWS RDS User Guide, Using Amazon RDS Extended Support: end of standard support 2024-02-29, charged from 2024-03-01"),
    ("mysql", "8.0", "2026-08-01", "2028-08-01", "2029-07-31",
     "AWS RDS User Guide, Supported MySQL major versions: end of standard support 2026-07-31"),
    ("postgres", "11", "2024-03-01", "2026-03-01", "2027-02-28",
     "AWS RDS User Guide, Extended Support charges: PostgreSQL 11 enters Extended Support 2024-03-01 (first charged 2024-04-01)"),
    ("postgres", "12", "2025-03-01", "2027-03-01", "2028-02-29",
     "AWS RDS User Guide, Extended Support charges: end of standard support 2025-02-28, charged from 2025-03-01"),
    ("postgres", "13", "2026-03-01", "2028-03-01", "2029-02-28",
     "Release calendar for Amazon RDS for PostgreSQL: end of standard support 2026-02-28"),
]


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
    gov = rows("ec2_linux_ondemand_govcloud_2026-07-20.csv")
    prices = {}
    for r in feed:
        p = dec(r["price_usd_per_hour"])
        if p and Decimal(p) > 0:
            family = r["instance_type"].split(".")[0]
            flag = "stale" if family in GPU_CUT_FAMILIES else ""
            prices[(r["instance_type"], r["region"])] = (p, "ec2", flag)
    for t, r in fresh.items():
        p = dec(r["price_usd_per_hour"])
        if not p or Decimal(p) <= 0:
            continue
        if t.endswith(".metal") or ".metal-" in t:
            if (t, "us-east-1") not in prices:
                # A Dedicated-tenancy figure only: kept to say why, never a list price.
                prices[(t, "us-east-1")] = (p, "ec2_us_east_1", "dedicated")
            continue
        prices[(t, "us-east-1")] = (p, "ec2_us_east_1", "")
    for r in gov:
        p = dec(r["price_usd_per_hour"])
        if p and Decimal(p) > 0:
            prices[(r["instance_type"], r["region"])] = (p, "ec2_govcloud", "")
    write("ec2_prices.tsv", ["instance_type", "region", "usd_per_hour", "table", "flag"],
          [(t, reg, p, tab, flag) for (t, reg), (p, tab, flag) in prices.items()])

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
    for r in gov:
        extra.setdefault(r["instance_type"], (r["vcpu"], r["memory_gib"], r["arch"], r["previous_generation"] == "0"))
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

    # RDS Extended Support $/vCPU-hour: feed keys "MySQL Year 1 Year 2 5 7",
    # "Any Year 3 13", ... -> (engine, region, major, period)
    calendar = {(e, v) for (e, v, *_rest) in EXTENDED_SUPPORT}
    es = {}
    for r in rows("rds_other_prices.csv"):
        words = r["feed_key"].split()
        if "Year" not in words or words[0] not in ("MySQL", "PostgreSQL", "Any"):
            continue
        if words[1:5] == ["Year", "1", "Year", "2"]:
            period, rest = "year1_2", words[5:]
        elif words[1:3] == ["Year", "3"]:
            period, rest = "year3", words[3:]
        else:
            raise SystemExit(f"unexpected Extended Support key {r['feed_key']!r}")
        major = ".".join(rest)
        engine = ENGINE[r["engine"]]
        if (engine, major) not in calendar:
            continue
        p = dec(r["price_usd"])
        key = (engine, r["region"], major, period)
        # "Any" keys name no engine: the feed's generic rate, not verified
        # for this engine, so the binary marks figures from it as estimates.
        confidence = "estimated" if words[0] == "Any" else "published"
        if p and es.get(key, (p, confidence)) != (p, confidence):
            raise SystemExit(f"two Extended Support prices for {key}")
        if p:
            es[key] = (p, confidence)
    write("rds_extended_support.tsv",
          ["engine", "region", "major_version", "period", "usd_per_vcpu_hour", "confidence"],
          [k + v for k, v in es.items()])
    write("rds_es_calendar.tsv", ["engine", "major_version", "charged_from", "year3_from", "ends", "source"],
          EXTENDED_SUPPORT)

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

    # The locations the tables know, for validating --region: AWS regions, and
    # the Local and Wavelength Zones (zone groups such as us-east-1-bos-1) that
    # have prices of their own.
    with open(os.path.join(SRC, "location_to_region.json")) as f:
        loc = json.load(f)
    import re
    pat = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+$")
    known = {c for c in loc.values() if pat.match(c)} | {reg for (_, reg) in prices if pat.match(reg)}
    known |= set(UNPRICED_REGIONS)
    zones = {c for c in loc.values() if not pat.match(c)}
    parent = lambda z: next(k for k in known if z.startswith(k + "-"))
    write("regions.tsv", ["region", "kind", "parent"],
          [(c, "region" if c not in UNPRICED_REGIONS else "region-unpriced", c) for c in known] +
          [(z, "wavelength-zone" if "-wl" in z else "local-zone", parent(z)) for z in zones])


if __name__ == "__main__":
    main()
