#!/usr/bin/env python3
"""Fleet-scale benchmark: finops scan and recommend against moto.

    benches/run [--instances 1000] [--regions 2] [--latency-ms 0,50]   # from a clean clone
    python3 benches/fleet.py [same options]                           # with moto and a release build at hand

Starts one moto per region (benches/moto_indexed.py: moto with faster reads,
see there), seeds N EC2 instances per region (plus volumes, DB instances and
load balancers) with 14 days of CPU data, then runs the finops release binary
and reports wall time, AWS requests by operation (from finops -v), peak RSS,
requests per 1,000 resources and the lower bound on requests. Clients reach
moto through one endpoint, a small router that sends each request to its
region's moto (as AWS regions have their own endpoints) after --latency-ms
(a distant AWS endpoint); several comma-separated values are run one after
the other against the same seeded fleet. The baseline does what the
earlier Python bot did, one GetMetricStatistics call per instance in
sequence, through the same endpoint, so the ratio is measured in the same run;
--baseline-sample K times it on K instances per region and extrapolates (at
10,000 x 4 it would take most of an hour), --no-baseline skips it. Needs boto3
and moto (the venv .ci/run makes has both).

Organization mode, `--accounts N` (e.g. benches/run --accounts 20 --instances 50
--regions 2): the benchmark's account (moto's 123456789012) creates an
organization and N member accounts, and each member's fleet (the N instances
per region above, with their volumes, DB instances, load balancers and CPU
data) is seeded through credentials from sts AssumeRole into
arn:aws:iam::<id>:role/OrganizationAccountAccessRole, so it lives in that
account; the management account has no fleet (finops scans it all the same,
directly, and finds it empty). Then `finops scan --org` and `finops recommend
--org` run over all the regions, and the report gives accounts, resources,
wall time, user+sys CPU, peak RSS, requests by operation and by kind against
their lower bound: per member account one AssumeRole; per account and region
the inventory pages at maximum size (one page of each list even when it is
empty) and ceil(queries/500) GetMetricData; once, GetCallerIdentity and the
ListAccounts pages (at most 20 accounts per page on AWS; moto's default page
holds 100, so a run that does not ask for pages of 20 may make fewer there).
An account that fails (finops exit 3) is listed and the run exits 1 after the
report. No baseline and no start-up times in this mode. --seed-only sets up
and seeds the organization, reports how long it took, and stops; --serve
keeps it up for finops --org by hand. Organizations and STS are global
services, and moto keeps an organization and the credentials it issues in the
process that made them: the router sends Organizations to the first region's
moto whatever region signed it, and learns from the AssumeRole answers
passing through it whose credentials are whose, telling the region's moto
(moto's x-moto-account-id header), as AWS, one system, would know.
"""
import argparse
import http.client
import json
import math
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
REGIONS = ["us-east-1", "eu-west-1", "us-west-2", "ap-southeast-1", "eu-central-1", "ap-northeast-1"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto():
    port = free_port()
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "moto_indexed.py"), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.1)
    raise SystemExit("moto did not start")


class Router(BaseHTTPRequestHandler):
    """The AWS endpoint the clients see: adds a fixed delay to every request,
    then forwards it to the moto of the request's region (read from the
    SigV4 credential scope). Each region has its own moto process, as each
    AWS region has its own endpoints."""
    protocol_version = "HTTP/1.1"
    # Without TCP_NODELAY the body, written after the headers, waits for the
    # client's delayed ACK: about 40 ms more per request than --latency-ms.
    disable_nagle_algorithm = True
    upstreams = {}  # region -> port
    default = None
    delay = 0.0
    local = threading.local()
    # Organization mode. Organizations and STS are global services, and moto
    # keeps an organization and the credentials it issues in the process that
    # made them: services sends a service (Organizations) to one moto whatever
    # region signed it, and accounts (access key -> account id, learned from
    # the AssumeRole answers passing through) lets every moto know whose
    # assumed-role credentials a request carries (moto's x-moto-account-id
    # header), as one AWS would.
    services = {}  # service -> port
    accounts = None  # access key id -> account id

    def log_message(self, *args):
        pass

    def _scope(self):
        """(access key id, region, service) of the request's SigV4 credential."""
        m = re.search(r"Credential=([^/]+)/[^/]+/([^/]+)/([^/]+)/", self.headers.get("Authorization", ""))
        return m.groups() if m else (None, None, None)

    def _upstream(self):
        _, region, service = self._scope()
        return self.services.get(service) or self.upstreams.get(region, self.default)

    def _connect(self, port):
        conns = getattr(self.local, "conns", None)
        if conns is None:
            conns = self.local.conns = {}
        if port not in conns:
            conns[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        return conns[port]

    def _forward(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.delay:
            time.sleep(self.delay)
        port = self._upstream()
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
        if self.accounts is not None and self._scope()[0] in self.accounts:
            headers["x-moto-account-id"] = self.accounts[self._scope()[0]]
        conn = self._connect(port)
        try:
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
        except (http.client.HTTPException, OSError):
            conn.close()
            self.local.conns.pop(port, None)
            conn = self._connect(port)
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
        data = resp.read()
        if self.accounts is not None and resp.status == 200 and b"<AssumeRoleResponse" in data:
            key = re.search(rb"<AccessKeyId>([^<]+)</AccessKeyId>", data)
            arn = re.search(rb"<Arn>arn:[^:]+:sts::(\d{12}):assumed-role/", data)
            if key and arn:
                self.accounts[key.group(1).decode()] = arn.group(1).decode()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("content-length", "connection", "transfer-encoding", "keep-alive", "server", "date"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _forward


def start_router(upstreams, delay_ms, services=None, org=False):
    handler = type("Handler", (Router,), {"upstreams": dict(upstreams), "default": next(iter(upstreams.values())),
                                          "delay": delay_ms / 1000.0, "local": threading.local(),
                                          "services": dict(services or {}), "accounts": {} if org else None})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def client(service, region, url, config=None, creds=None):
    """A boto3 client with the benchmark's keys (the management account), or with
    creds (an assumed role's AccessKeyId, SecretAccessKey and SessionToken)."""
    if creds:
        return boto3.client(service, region_name=region, endpoint_url=url, config=config,
                            aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["SessionToken"])
    return boto3.client(service, region_name=region, endpoint_url=url, config=config,
                        aws_access_key_id="bench", aws_secret_access_key="bench")


# Seeding writes are slow on moto (a RunInstances of 500 takes ~0.6 s with
# moto_indexed.py's swaps, many seconds without): wait for them, and never
# retry a write (a retried RunInstances would launch twice).
SEED = Config(read_timeout=3600, retries={"total_max_attempts": 1})


def amazon_image(ec2):
    return next(i["ImageId"] for i in ec2.describe_images(Owners=["amazon"])["Images"]
                if i.get("Architecture") == "x86_64" and not i.get("Platform"))


def seed_region(url, region, n, points_per_day, days, creds=None, image=None):
    """Seeds one account's fleet in one region: the benchmark's account, or with
    creds the account they belong to. image: an AMI id known to be there (moto's
    AMIs are the same in every account), to skip looking one up."""
    ec2 = client("ec2", region, url, SEED, creds)
    image = image or amazon_image(ec2)
    ids = []
    types = ["m5.large", "m5.xlarge", "c5.large", "t3.medium", "r5.large"]
    for start in range(0, n, 500):
        count = min(500, n - start)
        out = ec2.run_instances(ImageId=image, MinCount=count, MaxCount=count,
                                InstanceType=types[(start // 500) % len(types)])
        ids += [i["InstanceId"] for i in out["Instances"]]
    extra_volumes = max(1, n // 10)
    for i in range(extra_volumes):
        ec2.create_volume(AvailabilityZone=f"{region}a", Size=100 + i % 400, VolumeType="gp2" if i % 2 else "gp3")
    rds = client("rds", region, url, SEED, creds)
    dbs = max(1, n // 200)
    for i in range(dbs):
        rds.create_db_instance(DBInstanceIdentifier=f"bench-db-{i}", Engine="postgres", DBInstanceClass="db.m5.large",
                               AllocatedStorage=100, MasterUsername="bench", MasterUserPassword="bench-password-1")
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    elbv2 = client("elbv2", region, url, SEED, creds)
    lbs = max(1, n // 500)
    for i in range(lbs):
        elbv2.create_load_balancer(Name=f"bench-alb-{i}", Subnets=subnets, Type="application")
    # CPU history: one datum per point (its Average and Maximum are the value).
    cw = client("cloudwatch", region, url, SEED, creds)
    now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    step = timedelta(hours=24 / points_per_day)
    points = int(days * points_per_day)

    def put(batch):
        cw.put_metric_data(Namespace="AWS/EC2", MetricData=batch)

    data = []
    for k, iid in enumerate(ids):
        base = 5 + (k % 10) * 8
        for p in range(1, points + 1):
            data.append({"MetricName": "CPUUtilization", "Dimensions": [{"Name": "InstanceId", "Value": iid}],
                         "Timestamp": now - p * step, "Value": base + (p * 7919 % 13), "Unit": "Percent"})
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, [data[i:i + 1000] for i in range(0, len(data), 1000)]))
    # moto_indexed.py indexes the stored points on the first read after a
    # write: build it now, so that neither finops nor the baseline is timed
    # doing it.
    cw.get_metric_data(MetricDataQueries=[{"Id": "warm", "MetricStat": {
        "Metric": {"Namespace": "AWS/EC2", "MetricName": "CPUUtilization",
                   "Dimensions": [{"Name": "InstanceId", "Value": ids[0]}]},
        "Period": 3600, "Stat": "Average"}}], StartTime=now - timedelta(days=1), EndTime=now)
    return {"instances": len(ids), "volumes": len(ids) + extra_volumes, "dbs": dbs, "lbs": lbs, "datapoints": len(data)}


def run_measured(binary, args, env):
    t0 = time.perf_counter()
    proc = subprocess.Popen([binary] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out_chunks, err_chunks = [], []
    t_out = threading.Thread(target=lambda: out_chunks.append(proc.stdout.read()))
    t_err = threading.Thread(target=lambda: err_chunks.append(proc.stderr.read()))
    t_out.start(); t_err.start()
    _, status, rusage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    t_out.join(); t_err.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = b"".join(err_chunks).decode(errors="replace")
    calls = {}
    for m in re.finditer(r"^api calls: (.+) (\S+) = (\d+)$", err, re.M):
        if m.group(1) != "total":
            calls[f"{m.group(1)} {m.group(2)}"] = int(m.group(3))
    # finops -v reports its own peak (VmHWM): wait4's ru_maxrss would also
    # count the pages of this (large) Python process from before the exec.
    m = re.search(r"^peak memory: ([0-9.]+) MiB$", err, re.M)
    peak = float(m.group(1)) if m else rusage.ru_maxrss / 1024
    return {"wall_s": wall, "peak_rss_mib": peak, "calls": calls,
            "cpu_s": rusage.ru_utime + rusage.ru_stime, "rss_external_mib": rusage.ru_maxrss / 1024,
            "exit": proc.returncode, "stderr": err, "stdout": b"".join(out_chunks)}


def baseline(url, regions, days, sample=None):
    """The earlier bot: list instances, then one GetMetricStatistics per instance, in sequence.

    With sample, only the first `sample` instances of each region are fetched
    and the wall time is extrapolated to all of them (list time + mean call
    time x instances): the sequential baseline at 10,000 x 4 takes too long.
    """
    calls = 0
    list_s = 0.0
    metric_s = 0.0
    fetched = 0
    total = 0
    end = datetime.now(timezone.utc)
    for region in regions:
        ec2 = client("ec2", region, url)
        cw = client("cloudwatch", region, url)
        ids = []
        token = None
        t0 = time.perf_counter()
        while True:
            kw = {"MaxResults": 1000}
            if token:
                kw["NextToken"] = token
            page = ec2.describe_instances(**kw)
            calls += 1
            ids += [i["InstanceId"] for r in page["Reservations"] for i in r["Instances"]]
            token = page.get("NextToken")
            if not token:
                break
        t1 = time.perf_counter()
        list_s += t1 - t0
        total += len(ids)
        for iid in ids[:sample] if sample else ids:
            cw.get_metric_statistics(Namespace="AWS/EC2", MetricName="CPUUtilization",
                                     Dimensions=[{"Name": "InstanceId", "Value": iid}],
                                     StartTime=end - timedelta(days=days), EndTime=end, Period=3600,
                                     Statistics=["Average", "Maximum"])
            calls += 1
            fetched += 1
        metric_s += time.perf_counter() - t1
    wall = list_s + metric_s * total / max(fetched, 1)
    return {"wall_s": wall, "calls": calls - fetched + total, "sampled": fetched if fetched < total else None,
            "measured_s": list_s + metric_s}


def startup_ms(binary, args, runs=20):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([binary] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def measure(a, url, env, regions, seeded, latency, with_baseline):
    common = ["--endpoint-url", url, "--region", ",".join(regions), "-o", "json", "--no-progress", "-v"]
    scan = run_measured(a.finops, ["scan"] + common, env)
    rec = run_measured(a.finops, ["recommend"] + common, env)
    for name, r in (("scan", scan), ("recommend", rec)):
        if r["exit"] != 0:
            print(r["stderr"], file=sys.stderr)
            raise SystemExit(f"finops {name} exited {r['exit']}")
    resources = len(json.loads(scan["stdout"])["resources"])
    findings = len(json.loads(rec["stdout"])["recommendations"])
    # The lower bound: pages at maximum page size, ceil(queries/500) per region.
    queries = sum(int(m.group(2)) for m in re.finditer(r"metrics: (\S+): (\d+) queries", rec["stderr"]))
    # One sts:GetCallerIdentity a run: the account the resources are in.
    bound_scan = 1
    bound_metrics = 0
    for region, s in seeded.items():
        bound_scan += (math.ceil(s["instances"] / 1000) + math.ceil(s["volumes"] / 500) + math.ceil(max(s["dbs"], 1) / 100)
                       + math.ceil(s["lbs"] / 400) + 1 + math.ceil(s["lbs"] / 20) + 1)
    for m in re.finditer(r"metrics: (\S+): (\d+) queries", rec["stderr"]):
        bound_metrics += math.ceil(int(m.group(2)) / 500)
    extras_per_region = 3  # DescribeAddresses, DescribeTargetGroups, one page of each
    # RDS DescribeEvents (class changes), one page in each region with DB instances.
    rds_events = sum(1 for s in seeded.values() if s["dbs"])
    bound_rec = bound_scan + bound_metrics + extras_per_region * len(regions) + rds_events
    base = baseline(url, regions, 14, a.baseline_sample) if with_baseline else None
    return {
        "instances_per_region": a.instances, "regions": len(regions), "latency_ms": latency,
        "points_per_day": a.points_per_day, "resources": resources, "findings": findings, "metric_queries": queries,
        "scan": {k: scan[k] for k in ("wall_s", "peak_rss_mib", "calls")},
        "recommend": {k: rec[k] for k in ("wall_s", "peak_rss_mib", "calls")},
        "lower_bound": {"scan": bound_scan, "recommend": bound_rec},
        "baseline": base,
        "startup_ms": {"version": startup_ms(a.finops, ["--version"]),
                       "pricing m5.large": startup_ms(a.finops, ["pricing", "m5.large"])},
    }


# Organization mode -----------------------------------------------------------

ROLE_NAME = "OrganizationAccountAccessRole"
EMPTY = {"instances": 0, "volumes": 0, "dbs": 0, "lbs": 0, "datapoints": 0}


def setup_org(url, region, members):
    """An organization of the benchmark's account (the management account,
    123456789012 in moto) and `members` new member accounts: their ids."""
    org = client("organizations", region, url)
    management = org.create_organization(FeatureSet="ALL")["Organization"]["MasterAccountId"]
    ids = []
    for k in range(members):
        status = org.create_account(Email=f"bench-{k:03d}@example.com", AccountName=f"bench-{k:03d}")
        status = status["CreateAccountStatus"]
        if status["State"] != "SUCCEEDED":
            raise SystemExit(f"create_account bench-{k:03d}: {status}")
        ids.append(status["AccountId"])
    return management, ids


def assume(url, region, account):
    """Credentials of the member account's role, from the moto that will be seeded with them."""
    sts = client("sts", region, url)
    return sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE_NAME}",
                           RoleSessionName="bench-seed")["Credentials"]


def seed_org(urls, management, members, n, points_per_day):
    """Every member account's fleet in every region, seeded through its role's
    credentials (so it lives in that account); nothing in the management
    account. Returns {account: {region: what seed_region returns}}."""
    images = {region: amazon_image(client("ec2", region, url)) for region, url in urls.items()}

    def seed(task):
        account, region = task
        url = urls[region]
        return seed_region(url, region, n, points_per_day, 13.5, assume(url, region, account), images[region])

    # Interleaved by region, so that every region's moto is busy.
    tasks = [(account, region) for account in members for region in urls]
    with ThreadPoolExecutor(2 * len(urls)) as pool:
        results = list(pool.map(seed, tasks))
    seeded = {management: {region: dict(EMPTY) for region in urls}}
    for (account, region), r in zip(tasks, results):
        seeded.setdefault(account, {})[region] = r
    # Where the fleets ended up: none in the management account, each member's own in it.
    for region, url in urls.items():
        count = lambda ec2: sum(len(r["Instances"]) for p in ec2.get_paginator("describe_instances").paginate()
                                for r in p["Reservations"])
        if count(client("ec2", region, url)):
            raise SystemExit(f"seeding put instances in the management account in {region}")
        for account in (members[0], members[-1]):
            got = count(client("ec2", region, url, creds=assume(url, region, account)))
            if got != n:
                raise SystemExit(f"account {account} has {got} instances in {region}, not {n}")
    return seeded


def check_router(url, regions, management, members, n):
    """What finops will rely on, through the router: the organization from any
    signing region, and credentials assumed in the first region that are the
    member's in the others."""
    listed = client("organizations", regions[-1], url).get_paginator("list_accounts").paginate()
    listed = sorted(acc["Id"] for page in listed for acc in page["Accounts"])
    if listed != sorted(members + [management]):
        raise SystemExit(f"the router's organization lists {len(listed)} accounts, not {len(members) + 1}")
    creds = client("sts", regions[0], url).assume_role(
        RoleArn=f"arn:aws:iam::{members[-1]}:role/{ROLE_NAME}", RoleSessionName="bench-check")["Credentials"]
    ec2 = client("ec2", regions[-1], url, creds=creds)
    got = sum(len(r["Instances"]) for p in ec2.get_paginator("describe_instances").paginate() for r in p["Reservations"])
    if got != n:
        raise SystemExit(f"through the router, account {members[-1]} has {got} instances in {regions[-1]}, not {n}")


def scan_pages(s):
    """The fewest inventory requests for one account in one region: pages at
    maximum size, and one page of each list even when it is empty."""
    return (max(1, math.ceil(s["instances"] / 1000)) + max(1, math.ceil(s["volumes"] / 500))
            + max(1, math.ceil(s["dbs"] / 100)) + max(1, math.ceil(s["lbs"] / 400)) + 1
            + math.ceil(s["lbs"] / 20) + 1)


KINDS = (
    ("AssumeRole", "sts AssumeRole (one per member account)"),
    ("GetCallerIdentity", "sts GetCallerIdentity (once)"),
    ("ListAccounts", "organizations ListAccounts (AWS pages: 20 accounts at most)"),
    ("GetMetricData", "cloudwatch GetMetricData (ceil(queries/500) per account and region)"),
    ("inventory", "inventory (list pages, per account and region)"),
)


def by_kind(calls):
    out = dict.fromkeys(k for k, _ in KINDS)
    for k in out:
        out[k] = 0
    for op, n in calls.items():
        name = op.split(" ")[-1]
        out[name if name in out else "inventory"] += n
    return out


def run_org(a, args, env, name):
    """One finops run; on failure its stderr is printed. Exit 3 (some account
    failed) with a JSON report is measured all the same, and said."""
    r = run_measured(a.finops, args, env)
    report = None
    if r["exit"] in (0, 3):
        try:
            report = json.loads(r["stdout"])
        except ValueError:
            report = None
    if r["exit"] != 0 or report is None:
        print(f"--- finops {name} stderr (exit {r['exit']}):\n{r['stderr']}", file=sys.stderr)
        if "--org" in r["stderr"] and r["exit"] == 2:
            print(f"({a.finops} does not seem to know --org: build a finops that does)", file=sys.stderr)
        if report is None:
            raise SystemExit(f"finops {name} --org exited {r['exit']}")
    r["report"] = report
    return r


def measure_org(a, url, env, regions, management, seeded, latency):
    common = ["--org", "--endpoint-url", url, "--region", ",".join(regions), "-o", "json", "--no-progress", "-v"]
    scan = run_org(a, ["scan"] + common, env, "scan")
    rec = run_org(a, ["recommend"] + common, env, "recommend")
    resources = scan["report"].get("resources", [])
    per_account = {}
    for r in resources:
        per_account[r.get("account_id")] = per_account.get(r.get("account_id"), 0) + 1
    statuses = {}
    for acc in scan["report"].get("accounts", []):
        statuses.setdefault(acc.get("status"), []).append(acc.get("id"))
    # One line per account and region: "account ID: metrics: REGION: N queries ...".
    queries = [int(m.group(1)) for m in re.finditer(r"metrics: \S+: (\d+) queries", rec["stderr"])]
    members = len(seeded) - 1
    cells = [s for acc in seeded.values() for s in acc.values()]
    inventory = sum(scan_pages(s) for s in cells)
    common_bound = {"AssumeRole": members, "GetCallerIdentity": 1, "ListAccounts": math.ceil(len(seeded) / 20)}
    bound_scan = dict(common_bound, GetMetricData=0, inventory=inventory)
    # recommend also reads a page of DescribeAddresses in every account and
    # region, of DescribeTargetGroups where there are load balancers (the
    # seeded ones have no targets, so no DescribeTargetHealth), and of RDS
    # DescribeEvents where there are DB instances. (The single-account bound
    # allows a third page per region.)
    bound_rec = dict(common_bound, GetMetricData=sum(math.ceil(q / 500) for q in queries),
                     inventory=inventory + len(cells) + sum(1 for s in cells if s["lbs"])
                     + sum(1 for s in cells if s["dbs"]))
    keep = ("wall_s", "cpu_s", "peak_rss_mib", "rss_external_mib", "calls", "exit")
    return {
        "mode": "org", "member_accounts": members, "accounts": len(seeded), "management_account": management,
        "instances_per_member_region": a.instances, "management_instances": 0, "regions": len(regions),
        "latency_ms": latency, "points_per_day": a.points_per_day,
        "resources": len(resources), "resources_by_account": per_account,
        "account_status": {k: len(v) for k, v in statuses.items()},
        "failed_accounts": [dict(acc, run=name) for name, r in (("scan", scan), ("recommend", rec))
                            for acc in r["report"].get("accounts", []) if acc.get("status") == "failed"],
        "findings": len(rec["report"].get("recommendations", [])), "metric_queries": sum(queries),
        "scan": dict({k: scan[k] for k in keep}, by_kind=by_kind(scan["calls"])),
        "recommend": dict({k: rec[k] for k in keep}, by_kind=by_kind(rec["calls"])),
        "lower_bound": {"scan": sum(bound_scan.values()), "recommend": sum(bound_rec.values()),
                        "scan_by_kind": bound_scan, "recommend_by_kind": bound_rec},
    }


def report_org(f):
    total = lambda c: sum(c.values())
    print(f"\n## finops --org at {f['member_accounts']} member accounts (+ the management account, no fleet) x "
          f"{f['regions']} regions x {f['instances_per_member_region']:,} instances, "
          f"{f['latency_ms']:g} ms added per request\n")
    status = ", ".join(f"{n} {s}" for s, n in sorted(f["account_status"].items())) or "no accounts list"
    print(f"{f['accounts']} accounts ({status}), {f['resources']:,} resources scanned, "
          f"{f['metric_queries']:,} metric queries, {f['findings']:,} findings\n")
    print("| run | wall time | CPU (user+sys) | peak RSS | requests | lower bound | requests / account |")
    print("|---|---|---|---|---|---|---|")
    for name in ("scan", "recommend"):
        r = f[name]
        n = total(r["calls"])
        print(f"| finops {name} --org | {r['wall_s']:.2f} s | {r['cpu_s']:.2f} s | {r['peak_rss_mib']:.0f} MiB | "
              f"{n:,} | {f['lower_bound'][name]:,} | {n / f['accounts']:.1f} |")
    print("\n| requests | scan | lower bound | recommend | lower bound |")
    print("|---|---|---|---|---|")
    for kind, label in KINDS:
        print(f"| {label} | {f['scan']['by_kind'][kind]:,} | {f['lower_bound']['scan_by_kind'][kind]:,} | "
              f"{f['recommend']['by_kind'][kind]:,} | {f['lower_bound']['recommend_by_kind'][kind]:,} |")
    print("\nrecommend requests by operation:")
    for op, n in sorted(f["recommend"]["calls"].items()):
        print(f"  {op:<45} {n:>8,}")
    if f["failed_accounts"]:
        print("\nFAILED accounts (the figures above are not a complete run):")
        for acc in f["failed_accounts"]:
            print(f"  {acc['run']}: {acc.get('id')} {acc.get('name') or ''}: {acc.get('error')}")
    print("(peak RSS: finops' own VmHWM from -v; wait4's, which also counts this Python process's pages from before "
          "the exec, is in the JSON)")


def main_org(a, regions, latencies):
    """--accounts N: an organization of N member accounts, each with the fleet in every region."""
    motos = {region: start_moto() for region in regions}
    try:
        urls = {r: f"http://127.0.0.1:{p}" for r, (_, p) in motos.items()}
        t0 = time.perf_counter()
        # Organizations is global: its endpoint (and here its moto) is us-east-1's, the first region's.
        management, members = setup_org(urls[regions[0]], regions[0], a.accounts)
        t1 = time.perf_counter()
        seeded = seed_org(urls, management, members, a.instances, a.points_per_day)
        t2 = time.perf_counter()
        print(f"organization of {len(members)} member accounts in {t1 - t0:.1f}s; seeded "
              f"{sum(s['instances'] for acc in seeded.values() for s in acc.values()):,} instances "
              f"({sum(s['datapoints'] for acc in seeded.values() for s in acc.values()):,} datapoints) in "
              f"{len(members)} accounts x {len(regions)} regions in {t2 - t1:.1f}s", file=sys.stderr)
        if a.seed_only:
            return
        env = dict(os.environ, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                   AWS_EC2_METADATA_DISABLED="true")
        ports = {r: p for r, (_, p) in motos.items()}
        services = {"organizations": ports[regions[0]]}
        check_router(f"http://127.0.0.1:{start_router(ports, 0, services, org=True)[1]}", regions, management,
                     members, a.instances)
        if a.serve:
            _, rport = start_router(ports, latencies[0], services, org=True)
            print(f"serving: finops --org --endpoint-url http://127.0.0.1:{rport} --region {','.join(regions)} ... "
                  f"(AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench); Ctrl-C stops", file=sys.stderr, flush=True)
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                return
        runs = []
        for latency in latencies:
            _, rport = start_router(ports, latency, services, org=True)
            figures = measure_org(a, f"http://127.0.0.1:{rport}", env, regions, management, seeded, latency)
            figures["seed_s"] = t2 - t0
            report_org(figures)
            runs.append(figures)
        if a.json:
            with open(a.json, "w") as f:
                json.dump(runs[0] if len(runs) == 1 else runs, f, indent=2)
        if any(r["failed_accounts"] for r in runs):
            raise SystemExit("some accounts failed (see above)")
    finally:
        for proc, _ in motos.values():
            proc.terminate()
        for proc, _ in motos.values():
            proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instances", type=int, default=1000,
                    help="EC2 instances per region (with --accounts: per member account and region) (default 1000)")
    ap.add_argument("--accounts", type=int,
                    help="organization mode: an organization of this many member accounts, each with the fleet in "
                         "every region, scanned with finops --org (no baseline, no start-up times)")
    ap.add_argument("--seed-only", action="store_true",
                    help="with --accounts: set up and seed the organization, report how long it took, and stop")
    ap.add_argument("--regions", type=int, default=2, help="regions (default 2)")
    ap.add_argument("--latency-ms", default="0",
                    help="delay added to every request; several, comma-separated (0,50), run one after the other "
                         "against the same seeded moto (default 0)")
    ap.add_argument("--points-per-day", type=int, default=24, help="CPU datapoints per instance per day (default 24)")
    ap.add_argument("--no-baseline", default="", nargs="?", const="all",
                    help="skip the per-instance baseline (or, with a comma-separated list of latencies, only at those)")
    ap.add_argument("--baseline-sample", type=int,
                    help="the baseline fetches only this many instances per region and extrapolates its time")
    ap.add_argument("--finops", default=os.path.join(ROOT, "target", "release", "finops"))
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--serve", action="store_true",
                    help="seed, then print the endpoint and keep the fleet up until interrupted, instead of measuring "
                         "(to run finops, a profiler or another tool against it by hand)")
    a = ap.parse_args()
    if not 1 <= a.regions <= len(REGIONS):
        ap.error(f"--regions must be 1 to {len(REGIONS)}")
    if a.instances < 1 or a.points_per_day < 1 or (a.baseline_sample is not None and a.baseline_sample < 1):
        ap.error("--instances, --points-per-day and --baseline-sample must be at least 1")
    try:
        latencies = [float(x) for x in a.latency_ms.split(",")]
        skipped = [float(x) for x in a.no_baseline.split(",") if x and x != "all"]
    except ValueError:
        ap.error("--latency-ms and --no-baseline take milliseconds, comma-separated (e.g. 0,50)")
    if any(x < 0 for x in latencies + skipped):
        ap.error("latencies cannot be negative")
    if a.accounts is not None and a.accounts < 1:
        ap.error("--accounts must be at least 1")
    if a.seed_only and a.accounts is None:
        ap.error("--seed-only goes with --accounts")
    if not (a.accounts is not None and (a.seed_only or a.serve)) and not os.path.exists(a.finops):
        raise SystemExit(f"{a.finops} not found: run `cargo build --release` first")
    regions = REGIONS[: a.regions]
    if a.accounts is not None:
        return main_org(a, regions, latencies)
    motos = {region: start_moto() for region in regions}
    try:
        t0 = time.perf_counter()
        with ThreadPoolExecutor(len(regions)) as pool:
            seeded = dict(zip(regions, pool.map(
                lambda r: seed_region(f"http://127.0.0.1:{motos[r][1]}", r, a.instances, a.points_per_day, 13.5),
                regions)))
        print(f"seeded {sum(s['instances'] for s in seeded.values())} instances in {len(regions)} regions "
              f"({sum(s['datapoints'] for s in seeded.values())} datapoints) in {time.perf_counter() - t0:.0f}s",
              file=sys.stderr)
        env = dict(os.environ, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_EC2_METADATA_DISABLED="true")
        if a.serve:
            latency = latencies[0]
            _, rport = start_router({r: p for r, (_, p) in motos.items()}, latency)
            print(f"serving: finops --endpoint-url http://127.0.0.1:{rport} --region {','.join(regions)} ... "
                  f"(AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench); Ctrl-C stops", file=sys.stderr, flush=True)
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                return
        skip = set(skipped)
        runs = []
        for latency in latencies:
            _, rport = start_router({r: p for r, (_, p) in motos.items()}, latency)
            url = f"http://127.0.0.1:{rport}"
            figures = measure(a, url, env, regions, seeded, latency,
                              with_baseline=a.no_baseline != "all" and latency not in skip)
            report(figures)
            runs.append(figures)
        if a.json:
            with open(a.json, "w") as f:
                json.dump(runs[0] if len(runs) == 1 else runs, f, indent=2)
    finally:
        for proc, _ in motos.values():
            proc.terminate()
        for proc, _ in motos.values():
            proc.wait()


def report(f):
    total = lambda c: sum(c.values())
    print(f"\n## finops at {f['instances_per_region']:,} instances x {f['regions']} regions, "
          f"{f['latency_ms']:g} ms added per request\n")
    print(f"{f['resources']:,} resources scanned, {f['metric_queries']:,} metric queries, {f['findings']:,} findings\n")
    print("| run | wall time | requests | lower bound | requests / 1,000 resources | peak RSS |")
    print("|---|---|---|---|---|---|")
    for name in ("scan", "recommend"):
        r = f[name]
        n = total(r["calls"])
        print(f"| finops {name} | {r['wall_s']:.2f} s | {n:,} | {f['lower_bound'][name]:,} | "
              f"{n * 1000 / max(f['resources'], 1):.1f} | {r['peak_rss_mib']:.0f} MiB |")
    if f["baseline"]:
        b = f["baseline"]
        note = f", extrapolated from {b['sampled']:,} calls" if b.get("sampled") else ""
        print(f"| baseline (per-instance GetMetricStatistics, sequential{note}) | {b['wall_s']:.2f} s | {b['calls']:,} | | | |")
        print(f"\nrecommend is {b['wall_s'] / f['recommend']['wall_s']:.1f}x faster than the baseline "
              f"with {b['calls'] / max(total(f['recommend']['calls']), 1):.0f}x fewer requests.")
    print("\nrecommend requests by operation:")
    for op, n in sorted(f["recommend"]["calls"].items()):
        print(f"  {op:<45} {n:>8,}")
    s = f["startup_ms"]
    print(f"\nstart-up (median of 20): finops --version {s['version']:.1f} ms, "
          f"finops pricing m5.large {s['pricing m5.large']:.1f} ms")
    print("(one moto per region, each from benches/moto_indexed.py: faster reads with the same answers, and\n"
          " DescribeInstances/DescribeVolumes paged as AWS pages them; see its docstring and --self-test)")


if __name__ == "__main__":
    main()
