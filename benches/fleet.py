#!/usr/bin/env python3
"""Fleet-scale benchmark: finops scan and recommend against moto.

    benches/run [--instances 1000] [--regions 2] [--latency-ms 0,50]   # from a clean clone
    benches/run --scale [--json FILE] [--compare EARLIER.json]        # the scale suite (below)
    python3 benches/fleet.py [same options]                           # with moto and a release build at hand

Starts one moto per region (benches/moto_indexed.py: moto with faster reads,
see there), seeds N EC2 instances per region (plus volumes, DB instances and
load balancers) with 14 days of CPU data, then runs the finops release binary
and reports wall time, finops's CPU time (user+sys), AWS requests by
operation (from finops -v), peak RSS, requests per 1,000 resources, the lower
bound on requests and the findings by rule. Peak RSS and CPU time are
measured from outside the process, as `/usr/bin/time -f %M` measures them:
wait4's rusage of finops, run by a small launcher process (a fresh Python
with only the standard library, ~10 MB) rather than by this one, whose pages
a child's ru_maxrss would otherwise include; finops's own VmHWM (from -v) is
kept in the JSON as a cross-check. Clients reach
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

The scale suite, `--scale`: from one command, the three sizes of the scale
targets, 1,000 x 2 (24 CPU points per instance-day), 2,500 x 4 and
10,000 x 4 (4 points per instance-day), each seeded on fresh motos and
measured once with no added latency and no baseline, then the organization
mode at 50 member accounts x 2 regions x 200 instances (4 points per day);
then one side-by-side Markdown table: resources, metric queries, findings;
scan and recommend wall time, CPU, CPU per 1,000 resources, peak RSS and
requests (lower bound); peak RSS growth in KiB per resource between
consecutive sizes and the straight line (least squares) through them, whose
intercept is the fixed part; the findings by rule at the first size; the
organization's table. --scale-sizes and --scale-org change the sizes (e.g.
for a quick check: --scale-sizes 100x2@24,200x2@4 --scale-org 2x2x10@4).
--json FILE writes every figure (after each size, so a run cut short keeps
what it measured); --compare EARLIER.json puts an earlier --scale run's
figures beside each column ("before | after", matched by size) and compares
the findings by rule; --report FILE [--compare EARLIER.json] prints the table
of a saved run without running anything. At 10,000 x 4 seeding takes a few
minutes and the whole suite tens of minutes on 2 cores.
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
import tempfile
import threading
from collections import Counter
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


# finops runs are measured from outside the process, as `/usr/bin/time -f %M`
# does: wait4's rusage of the finops process (peak RSS, user and system CPU).
# Not from this process: on Linux a child's ru_maxrss is the largest of its
# own peak and the peak of the address space it had before the exec, which
# for a child of this Python process (hundreds of MB once a fleet is seeded,
# and subprocess's vfork shares it outright) is this process's. So a small
# launcher, a fresh `python -I -S` with nothing but the standard library
# loaded, forks and execs finops from its own address space (a few MB, which
# it reports as the floor below which a figure would be its own) and answers
# with the rusage over a pipe. finops -v's own VmHWM is kept as a cross-check.
LAUNCHER = r"""
import json, os, resource, sys, time
for line in sys.stdin:
    req = json.loads(line)
    # The launcher's own peak: a forked child starts with at most its pages.
    # (Not getrusage's, which counts the address space the launcher was exec'd from.)
    try:
        with open("/proc/self/status") as f:
            floor = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
    except (OSError, StopIteration):
        floor = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            for fd, path in ((1, req["stdout"]), (2, req["stderr"])):
                os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), fd)
            os.execve(req["argv"][0], req["argv"], req["env"])
        finally:
            os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    sys.stdout.write(json.dumps({"status": status, "wall_s": wall, "maxrss_kb": ru.ru_maxrss,
                                 "utime_s": ru.ru_utime, "stime_s": ru.ru_stime, "floor_kb": floor}) + "\n")
    sys.stdout.flush()
"""


class Launcher:
    _proc = None
    _lock = threading.Lock()

    @classmethod
    def run(cls, argv, env, stdout, stderr):
        with cls._lock:
            if cls._proc is None or cls._proc.poll() is not None:
                cls._proc = subprocess.Popen([sys.executable, "-I", "-S", "-c", LAUNCHER], stdin=subprocess.PIPE,
                                             stdout=subprocess.PIPE, text=True)
            cls._proc.stdin.write(json.dumps({"argv": argv, "env": env, "stdout": stdout, "stderr": stderr}) + "\n")
            cls._proc.stdin.flush()
            line = cls._proc.stdout.readline()
            if not line:
                raise SystemExit("the launcher of finops runs died")
            return json.loads(line)


def run_measured(binary, args, env):
    """One finops run, measured from outside: wall time, CPU (user+sys) and
    peak RSS from wait4 in the launcher; requests by operation and finops's
    own VmHWM from -v."""
    with tempfile.TemporaryDirectory(prefix="finops-bench-") as tmp:
        out_path, err_path = os.path.join(tmp, "stdout"), os.path.join(tmp, "stderr")
        m = Launcher.run([os.path.abspath(binary)] + args, dict(env), out_path, err_path)
        with open(out_path, "rb") as f:
            stdout = f.read()
        with open(err_path, "rb") as f:
            err = f.read().decode(errors="replace")
    calls = {}
    for c in re.finditer(r"^api calls: (.+) (\S+) = (\d+)$", err, re.M):
        if c.group(1) != "total":
            calls[f"{c.group(1)} {c.group(2)}"] = int(c.group(3))
    vmhwm = re.search(r"^peak memory: ([0-9.]+) MiB$", err, re.M)
    rss = m["maxrss_kb"] / 1024
    if m["maxrss_kb"] <= m["floor_kb"]:
        print(f"warning: finops's peak RSS ({rss:.1f} MiB) is not above the launcher's own ({m['floor_kb'] / 1024:.1f} "
              f"MiB): the figure is an upper bound", file=sys.stderr)
    return {"wall_s": m["wall_s"], "cpu_s": m["utime_s"] + m["stime_s"], "user_s": m["utime_s"],
            "sys_s": m["stime_s"], "peak_rss_mib": rss, "rss_floor_mib": m["floor_kb"] / 1024,
            "vmhwm_mib": float(vmhwm.group(1)) if vmhwm else None, "calls": calls,
            "exit": os.waitstatus_to_exitcode(m["status"]), "stderr": err, "stdout": stdout}


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


# What a run keeps of one finops run: peak_rss_mib is the outside figure
# (wait4), vmhwm_mib finops's own (from -v), rss_floor_mib the launcher's.
MEASURED = ("wall_s", "cpu_s", "user_s", "sys_s", "peak_rss_mib", "vmhwm_mib", "rss_floor_mib", "calls", "exit")


def measure(a, url, env, regions, seeded, latency, with_baseline):
    common = ["--endpoint-url", url, "--region", ",".join(regions), "-o", "json", "--no-progress", "-v"]
    scan = run_measured(a.finops, ["scan"] + common, env)
    rec = run_measured(a.finops, ["recommend"] + common, env)
    for name, r in (("scan", scan), ("recommend", rec)):
        if r["exit"] != 0:
            print(r["stderr"], file=sys.stderr)
            raise SystemExit(f"finops {name} exited {r['exit']}")
    resources = len(json.loads(scan["stdout"])["resources"])
    recommendations = json.loads(rec["stdout"])["recommendations"]
    findings = len(recommendations)
    by_rule = dict(sorted(Counter(r.get("rule") for r in recommendations).items()))
    del recommendations
    # The lower bound: pages at maximum page size, ceil(queries/500) per region.
    queries = sum(int(m.group(2)) for m in re.finditer(r"metrics: (\S+): (\d+) queries", rec["stderr"]))
    # One sts:GetCallerIdentity a run: the account the resources are in.
    bound_scan = 1
    bound_metrics = 0
    for region, s in seeded.items():
        # The trailing 1: one page of DescribeNatGateways (none are seeded).
        bound_scan += (math.ceil(s["instances"] / 1000) + math.ceil(s["volumes"] / 500) + math.ceil(max(s["dbs"], 1) / 100)
                       + math.ceil(s["lbs"] / 400) + 1 + math.ceil(s["lbs"] / 20) + 1 + 1 + SNAPSHOT_PAGES)
    for m in re.finditer(r"metrics: (\S+): (\d+) queries", rec["stderr"]):
        bound_metrics += math.ceil(int(m.group(2)) / 500)
    extras_per_region = 3  # DescribeAddresses, DescribeTargetGroups, one page of each
    # RDS DescribeEvents (class changes), one page in each region with DB instances.
    rds_events = sum(1 for s in seeded.values() if s["dbs"])
    # CloudWatch ListMetrics for the agent's memory series: one page per
    # metric name (Linux, Windows) in each region with instances.
    agent_pages = 2 * sum(1 for s in seeded.values() if s["instances"])
    bound_rec = bound_scan + bound_metrics + extras_per_region * len(regions) + rds_events + agent_pages
    base = baseline(url, regions, 14, a.baseline_sample) if with_baseline else None
    return {
        "instances_per_region": a.instances, "regions": len(regions), "latency_ms": latency,
        "points_per_day": a.points_per_day, "resources": resources, "findings": findings, "metric_queries": queries,
        "findings_by_rule": by_rule,
        "scan": {k: scan[k] for k in MEASURED},
        "recommend": {k: rec[k] for k in MEASURED},
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


# One page each of DescribeSnapshots and DescribeDBSnapshots per region (the
# `snapshot` service); DescribeImages only runs where there are snapshots.
SNAPSHOT_PAGES = 2


def scan_pages(s):
    """The fewest inventory requests for one account in one region: pages at
    maximum size, and one page of each list even when it is empty."""
    return (max(1, math.ceil(s["instances"] / 1000)) + max(1, math.ceil(s["volumes"] / 500))
            + max(1, math.ceil(s["dbs"] / 100)) + max(1, math.ceil(s["lbs"] / 400)) + 1
            + math.ceil(s["lbs"] / 20) + 1
            + 1  # DescribeNatGateways (none are seeded: one page)
            # DescribeSnapshots and DescribeDBSnapshots (the fleet has no
            # snapshots, so no DescribeImages).
            + SNAPSHOT_PAGES)


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
    # DescribeEvents where there are DB instances, and two pages of
    # ListMetrics (the agent's memory, Linux and Windows) where there are
    # instances. (The single-account bound allows a third page per region.)
    bound_rec = dict(common_bound, GetMetricData=sum(math.ceil(q / 500) for q in queries),
                     inventory=inventory + len(cells) + sum(1 for s in cells if s["lbs"])
                     + sum(1 for s in cells if s["dbs"]) + 2 * sum(1 for s in cells if s["instances"]))
    return {
        "mode": "org", "member_accounts": members, "accounts": len(seeded), "management_account": management,
        "instances_per_member_region": a.instances, "management_instances": 0, "regions": len(regions),
        "latency_ms": latency, "points_per_day": a.points_per_day,
        "resources": len(resources), "resources_by_account": per_account,
        "account_status": {k: len(v) for k, v in statuses.items()},
        "failed_accounts": [dict(acc, run=name) for name, r in (("scan", scan), ("recommend", rec))
                            for acc in r["report"].get("accounts", []) if acc.get("status") == "failed"],
        "findings": len(rec["report"].get("recommendations", [])), "metric_queries": sum(queries),
        "findings_by_rule": dict(sorted(Counter(r.get("rule") for r in rec["report"].get("recommendations", []))
                                        .items())),
        "scan": dict({k: scan[k] for k in MEASURED}, by_kind=by_kind(scan["calls"])),
        "recommend": dict({k: rec[k] for k in MEASURED}, by_kind=by_kind(rec["calls"])),
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
    print(f"(peak RSS: wait4's, from outside; finops's own VmHWM: scan {vmhwm(f['scan'])}, recommend "
          f"{vmhwm(f['recommend'])})")


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
            return []
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
                return []
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
        return runs
    finally:
        for proc, _ in motos.values():
            proc.terminate()
        for proc, _ in motos.values():
            proc.wait()


def main_fleet(a, regions, latencies, skipped=()):
    """One account's fleet: seed it, then measure (or serve) it at each latency. Returns the figures."""
    motos = {region: start_moto() for region in regions}
    try:
        t0 = time.perf_counter()
        with ThreadPoolExecutor(len(regions)) as pool:
            seeded = dict(zip(regions, pool.map(
                lambda r: seed_region(f"http://127.0.0.1:{motos[r][1]}", r, a.instances, a.points_per_day, 13.5),
                regions)))
        seed_s = time.perf_counter() - t0
        print(f"seeded {sum(s['instances'] for s in seeded.values())} instances in {len(regions)} regions "
              f"({sum(s['datapoints'] for s in seeded.values())} datapoints) in {seed_s:.0f}s",
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
                return []
        skip = set(skipped)
        runs = []
        for latency in latencies:
            _, rport = start_router({r: p for r, (_, p) in motos.items()}, latency)
            url = f"http://127.0.0.1:{rport}"
            figures = measure(a, url, env, regions, seeded, latency,
                              with_baseline=a.no_baseline != "all" and latency not in skip)
            figures["seed_s"] = seed_s
            report(figures)
            runs.append(figures)
        if a.json:
            with open(a.json, "w") as f:
                json.dump(runs[0] if len(runs) == 1 else runs, f, indent=2)
        return runs
    finally:
        for proc, _ in motos.values():
            proc.terminate()
        for proc, _ in motos.values():
            proc.wait()


def vmhwm(r):
    return f"{r['vmhwm_mib']:.0f} MiB" if r.get("vmhwm_mib") is not None else "n/a"


def report(f):
    total = lambda c: sum(c.values())
    print(f"\n## finops at {f['instances_per_region']:,} instances x {f['regions']} regions, "
          f"{f['latency_ms']:g} ms added per request\n")
    print(f"{f['resources']:,} resources scanned, {f['metric_queries']:,} metric queries, {f['findings']:,} findings\n")
    print("| run | wall time | CPU (user+sys) | requests | lower bound | requests / 1,000 resources | peak RSS |")
    print("|---|---|---|---|---|---|---|")
    for name in ("scan", "recommend"):
        r = f[name]
        n = total(r["calls"])
        print(f"| finops {name} | {r['wall_s']:.2f} s | {r['cpu_s']:.2f} s | {n:,} | {f['lower_bound'][name]:,} | "
              f"{n * 1000 / max(f['resources'], 1):.1f} | {r['peak_rss_mib']:.0f} MiB |")
    if f["baseline"]:
        b = f["baseline"]
        note = f", extrapolated from {b['sampled']:,} calls" if b.get("sampled") else ""
        print(f"| baseline (per-instance GetMetricStatistics, sequential{note}) | {b['wall_s']:.2f} s | | "
              f"{b['calls']:,} | | | |")
        print(f"\nrecommend is {b['wall_s'] / f['recommend']['wall_s']:.1f}x faster than the baseline "
              f"with {b['calls'] / max(total(f['recommend']['calls']), 1):.0f}x fewer requests.")
    print("\nrecommend requests by operation:")
    for op, n in sorted(f["recommend"]["calls"].items()):
        print(f"  {op:<45} {n:>8,}")
    print("\nfindings by rule: " + ", ".join(f"{k} {v:,}" for k, v in f.get("findings_by_rule", {}).items()))
    s = f["startup_ms"]
    print(f"\nstart-up (median of 20): finops --version {s['version']:.1f} ms, "
          f"finops pricing m5.large {s['pricing m5.large']:.1f} ms")
    print(f"(peak RSS: wait4's, from outside the process; finops's own VmHWM: scan {vmhwm(f['scan'])}, "
          f"recommend {vmhwm(f['recommend'])})")
    print("(one moto per region, each from benches/moto_indexed.py: faster reads with the same answers, and\n"
          " DescribeInstances/DescribeVolumes paged as AWS pages them; see its docstring and --self-test)")


# The scale suite (--scale) -----------------------------------------------------

# instances per region x regions @ CPU points per instance-day
SCALE_SIZES = "1000x2@24,2500x4@4,10000x4@4"
# member accounts x regions x instances per member account and region @ points per day
SCALE_ORG = "50x2x200@4"


def parse_sizes(text):
    sizes = []
    for item in text.split(","):
        m = re.fullmatch(r"(\d+)x(\d+)@(\d+)", item.strip())
        if not m or not all(int(g) >= 1 for g in m.groups()) or int(m.group(2)) > len(REGIONS):
            raise ValueError(item)
        sizes.append(tuple(int(g) for g in m.groups()))
    return sizes


def parse_org(text):
    if text == "none":
        return None
    m = re.fullmatch(r"(\d+)x(\d+)x(\d+)@(\d+)", text.strip())
    if not m or not all(int(g) >= 1 for g in m.groups()) or int(m.group(2)) > len(REGIONS):
        raise ValueError(text)
    return tuple(int(g) for g in m.groups())


def machine():
    """What the figures were measured on (for the README's note)."""
    def first(path, key):
        try:
            with open(path) as f:
                return next((l.split(":", 1)[1].strip() for l in f if l.startswith(key)), None)
        except OSError:
            return None

    def run(*cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip() or None
        except (OSError, subprocess.SubprocessError):
            return None

    try:
        import moto
        moto_version = moto.__version__
    except ImportError:
        moto_version = None
    mem = first("/proc/meminfo", "MemTotal")
    return {"cpus": os.cpu_count(), "cpu_model": first("/proc/cpuinfo", "model name"),
            "mem_gib": round(int(mem.split()[0]) / 1024 / 1024, 1) if mem else None,
            "kernel": os.uname().release, "python": sys.version.split()[0], "moto": moto_version,
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def main_scale(a):
    """--scale: the sizes of the scale targets, one after the other, each seeded on fresh motos and
    measured once (no added latency, no baseline), then the organization; one side-by-side table."""
    sizes, org = parse_sizes(a.scale_sizes), parse_org(a.scale_org)
    before = load_scale(a.compare) if a.compare else None
    commit = None
    if os.path.abspath(a.finops) == os.path.join(ROOT, "target", "release", "finops"):
        # The build benches/run just made: this checkout's commit (and whether it had changes).
        git = lambda *args: subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=True).stdout.strip()
        commit = (git("rev-parse", "--short", "HEAD") + ("-dirty" if git("status", "--porcelain", "-uno") else "")) or None
    version = subprocess.run([a.finops, "--version"], capture_output=True, text=True).stdout.strip()
    results = {"suite": "scale", "finops": os.path.abspath(a.finops), "finops_version": version,
               "commit": commit, "machine": machine(), "sizes": [], "org": None}

    def save():
        if a.json:
            with open(a.json, "w") as f:
                json.dump(results, f, indent=2)

    for instances, nregions, ppd in sizes:
        print(f"\n== scale: {instances:,} instances x {nregions} regions, {ppd} points per instance-day",
              file=sys.stderr, flush=True)
        sub = argparse.Namespace(**vars(a))
        sub.instances, sub.regions, sub.points_per_day = instances, nregions, ppd
        sub.no_baseline, sub.json, sub.serve, sub.baseline_sample = "all", None, False, None
        results["sizes"].append(main_fleet(sub, REGIONS[:nregions], [0.0])[0])
        save()
    if org:
        accounts, nregions, instances, ppd = org
        print(f"\n== scale: organization of {accounts} member accounts x {nregions} regions x {instances:,} "
              f"instances, {ppd} points per instance-day", file=sys.stderr, flush=True)
        sub = argparse.Namespace(**vars(a))
        sub.accounts, sub.instances, sub.regions, sub.points_per_day = accounts, instances, nregions, ppd
        sub.json, sub.serve, sub.seed_only = None, False, False
        results["org"] = main_org(sub, REGIONS[:nregions], [0.0])[0]
        save()
    report_scale(results, before)
    if results["org"] and results["org"]["failed_accounts"]:
        raise SystemExit("some accounts failed (see above)")


def load_scale(path):
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise SystemExit(f"{path}: cannot read a --scale run's JSON ({e})")
    if not isinstance(data, dict) or data.get("suite") != "scale":
        raise SystemExit(f"{path}: not the JSON of a --scale run")
    return data


def fit(points):
    """Least-squares line through (x, y) points: (slope, intercept)."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0.0
    return slope, my - slope * mx


def requests_cell(f, name):
    return f"{sum(f[name]['calls'].values()):,} ({f['lower_bound'][name]:,})"


def scale_rows(org=False):
    """(label, figures -> cell) for the scale table's rows."""
    def per_k(f, name):
        return f"{f[name]['cpu_s'] * 1000 / max(f['resources'], 1):.3f} s"

    rows = []
    if org:
        rows.append(("accounts (members + management)", lambda f: f"{f['accounts']:,}"))
    rows += [
        ("resources", lambda f: f"{f['resources']:,}"),
        ("metric queries", lambda f: f"{f['metric_queries']:,}"),
        ("findings", lambda f: f"{f['findings']:,}"),
    ]
    for name in ("scan", "recommend"):
        label = f"{name} --org" if org else name
        rows += [
            (f"**{label}** wall time", lambda f, n=name: f"{f[n]['wall_s']:.2f} s"),
            (f"{label} CPU (user+sys)", lambda f, n=name: f"{f[n]['cpu_s']:.2f} s"),
            (f"{label} CPU per 1,000 resources", lambda f, n=name: per_k(f, n)),
            (f"{label} peak RSS", lambda f, n=name: f"{f[n]['peak_rss_mib']:.1f} MiB"),
            (f"{label} requests (lower bound)", lambda f, n=name: requests_cell(f, n)),
        ]
    if not org:
        for name in ("scan", "recommend"):
            rows.append((f"{name} peak RSS growth from the size before", lambda f, n=name: (
                f"{f['_growth'][n]:.2f} KiB / resource" if f.get("_growth", {}).get(n) is not None else "")))
    return rows


def size_label(f):
    return f"{f['instances_per_region']:,} x {f['regions']}"


def table(header, columns, rows):
    """columns: [(heading, figures or None)]."""
    print(f"| {header} | " + " | ".join(h for h, _ in columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for label, cell in rows:
        print(f"| {label} | " + " | ".join(cell(f) if f else "-" for _, f in columns) + " |")


def growth(sizes, name):
    """Peak RSS growth between consecutive sizes (KiB per resource) and the fixed part of a line through them."""
    pts = [(f["resources"], f[name]["peak_rss_mib"]) for f in sizes]
    steps = [((b[1] - a[1]) * 1024 / (b[0] - a[0])) if b[0] != a[0] else None for a, b in zip(pts, pts[1:])]
    slope, intercept = fit(pts) if len(pts) >= 2 else (None, None)
    return steps, slope, intercept


def report_scale(after, before=None):
    sizes = after["sizes"]
    for figs in (sizes, (before or {}).get("sizes", [])):
        for name in ("scan", "recommend"):
            for f, step in zip(figs[1:], growth(figs, name)[0] if len(figs) >= 2 else []):
                f.setdefault("_growth", {})[name] = step
    prev = {(f["instances_per_region"], f["regions"], f["points_per_day"]): f for f in (before or {}).get("sizes", [])}
    m = after.get("machine") or {}
    print(f"\n## Scale: {after.get('finops_version') or 'finops'} ({after.get('commit') or 'no commit'}), "
          f"{m.get('cpus')} CPUs ({m.get('cpu_model')}), {m.get('mem_gib')} GiB, moto {m.get('moto')}, "
          f"{m.get('date')}")
    if before:
        bm = before.get("machine") or {}
        print(f"before: {before.get('finops_version') or 'finops'} ({before.get('commit') or 'no commit'}), "
              f"{bm.get('date')}")
    print("\nno added latency, no baseline; peak RSS and CPU from outside the process (wait4, as /usr/bin/time)\n")
    columns = []
    for f in sizes:
        key = (f["instances_per_region"], f["regions"], f["points_per_day"])
        if before:
            columns += [(f"{size_label(f)} before", prev.get(key)), ("after", f)]
        else:
            columns.append((f"{size_label(f)} ({f['points_per_day']} points/day)", f))
    if sizes:
        table("", columns, scale_rows())
        print()
        runs = [("after", sizes)]
        if before:
            runs.insert(0, ("before", before.get("sizes", [])))
        for tag, figs in runs:
            if len(figs) < 2:
                continue
            for name in ("scan", "recommend"):
                _, slope, intercept = growth(figs, name)
                print(f"- {tag + ': ' if before else ''}{name} peak RSS, the straight line (least squares) through "
                      f"the {len(figs)} sizes: {slope * 1024:.2f} KiB per resource + a fixed part of "
                      f"{intercept:.1f} MiB")
        first = sizes[0]
        rules = dict(first.get("findings_by_rule", {}))
        old = prev.get((first["instances_per_region"], first["regions"], first["points_per_day"])) if before else None
        print(f"\nfindings by rule at {size_label(first)}:\n")
        if old is not None:
            old_rules = old.get("findings_by_rule", {})
            print("| rule | before | after |")
            print("|---|---|---|")
            for rule in sorted(set(rules) | set(old_rules)):
                print(f"| {rule} | {old_rules.get(rule, 0):,} | {rules.get(rule, 0):,} |")
            print(f"\nfindings by rule: {'the same as before' if rules == old_rules else 'DIFFERENT from before'}")
        else:
            print("| rule | findings |")
            print("|---|---|")
            for rule, n in rules.items():
                print(f"| {rule} | {n:,} |")
    o = after.get("org")
    if o:
        print(f"\n### Organization: {o['member_accounts']} member accounts (+ the management account, no fleet) x "
              f"{o['regions']} regions x {o['instances_per_member_region']:,} instances, "
              f"{o['points_per_day']} points per instance-day\n")
        ob = (before or {}).get("org")
        label = f"{o['member_accounts']} x {o['regions']} x {o['instances_per_member_region']:,}"
        cols = [(f"{label} before", ob), ("after", o)] if before else [(label, o)]
        table("", cols, scale_rows(org=True))
        if o["failed_accounts"]:
            print("\nFAILED accounts (the figures above are not a complete run):")
            for acc in o["failed_accounts"]:
                print(f"  {acc['run']}: {acc.get('id')} {acc.get('name') or ''}: {acc.get('error')}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", action="store_true",
                    help="the scale suite: each of --scale-sizes seeded on fresh motos and measured once (no added "
                         "latency, no baseline), then the organization of --scale-org; prints one side-by-side "
                         "Markdown table (--json FILE: all figures; --compare FILE: an earlier --json beside them)")
    ap.add_argument("--scale-sizes", default=SCALE_SIZES,
                    help=f"with --scale: INSTANCESxREGIONS@POINTS_PER_DAY, comma-separated (default {SCALE_SIZES})")
    ap.add_argument("--scale-org", default=SCALE_ORG,
                    help=f"with --scale: MEMBERSxREGIONSxINSTANCES@POINTS_PER_DAY, or none (default {SCALE_ORG})")
    ap.add_argument("--compare", metavar="FILE",
                    help="with --scale or --report: the figures of an earlier --scale --json run, shown as 'before' "
                         "next to each column")
    ap.add_argument("--report", metavar="FILE",
                    help="print the scale table of an earlier --scale --json run (with --compare: beside another) "
                         "and stop, running nothing")
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
    if a.report:
        return report_scale(load_scale(a.report), load_scale(a.compare) if a.compare else None)
    if a.scale:
        if a.accounts is not None or a.serve or a.seed_only:
            ap.error("--scale sets its own sizes: no --accounts, --serve or --seed-only with it")
        try:
            parse_sizes(a.scale_sizes)
            parse_org(a.scale_org)
        except ValueError as e:
            ap.error(f"--scale-sizes/--scale-org: cannot read {e} (e.g. 1000x2@24 and 50x2x200@4)")
        if not os.path.exists(a.finops):
            raise SystemExit(f"{a.finops} not found: run `cargo build --release` first")
        if a.compare:
            load_scale(a.compare)
        return main_scale(a)
    if a.compare:
        ap.error("--compare goes with --scale or --report")
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
        runs = main_org(a, regions, latencies)
        if any(r["failed_accounts"] for r in runs):
            raise SystemExit("some accounts failed (see above)")
        return
    main_fleet(a, regions, latencies, skipped)


if __name__ == "__main__":
    main()
