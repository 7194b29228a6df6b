#!/usr/bin/env python3
"""Run moto_server with fast CloudWatch metric reads, for fleet-scale benchmarks.

At fleet scale, moto's own CloudWatch code, not the client, is what a benchmark
would time. This launcher swaps in faster code for three things, all of which
give byte-for-byte the same HTTP answers as moto (checked by --self-test):

1. The metric lookup (GetMetricData, GetMetricStatistics). moto rescans every
   stored datapoint for every period of every query. Here an index of the
   stored points by metric identity (rebuilt only when points are added)
   answers instead, with the same matching rules and the same arithmetic as
   moto's `Statistics` (sum()/len(), max(), min(); moto's own `Statistics`
   for anything else), and one bucketing per metric per call for all of its
   statistics. Queries with expressions fall back to moto's own code.

2. The query-protocol request parser. For every structure in a request, moto
   checks whether any parameter starts with its prefix by scanning all
   parameters: quadratic in the request size, about 2 s of CPU for one
   500-query GetMetricData request. Here the same check is a binary search in
   the sorted parameter names (the same answer: the names that start with a
   prefix are a contiguous run of the sorted names, starting at the first one
   not below it). This applies to every query-protocol request.

3. The response serializer for GetMetricData and GetMetricStatistics. moto
   walks the botocore model per value and renders through xmltodict: about
   3 s of CPU for a 500-query answer of 14 days of hourly values (160,000
   values), and 50 ms for one GetMetricStatistics answer. Here the same XML
   document (same elements, same order, same value and timestamp text, same
   escaping, same RequestId handling) is written directly. Whatever it does
   not know (another protocol, pretty printing, fields moto's backend does
   not fill in) goes to moto's own serializer.

Measured in one process (benches' moto, 250 instances x 324 hourly points): a
500-query GetMetricData request took 5.9 s with 1. alone and 1.4 s with all
three; a GetMetricStatistics request 58 ms and 11 ms.

It also sets TCP_NODELAY on the server's connections: transport, not content.
Without it a response body written after its headers can wait for the
client's delayed ACK, about 40 ms per request, which taxes every round trip.

Both finops and the per-instance baseline of benches/fleet.py go through the
same code, so what the benchmark measures is the clients: requests, round
trips, and how many are in flight.

Usage:
    python3 benches/moto_indexed.py [moto_server arguments, e.g. -H 127.0.0.1 -p 5000]
    python3 benches/moto_indexed.py --self-test   # compare every answer with moto's own
"""
import bisect
import sys
import threading
from collections import defaultdict
from datetime import timedelta
from xml.sax.saxutils import escape, quoteattr

from moto.cloudwatch import models, responses
from moto.cloudwatch.models import Dimension, MetricDatum, Statistics
from moto.core import parse
from moto.core import responses as core_responses
from moto.core import serialize
from moto.moto_server import werkzeug_app

_original = models.CloudWatchBackend.get_metric_data
_original_stats = models.CloudWatchBackend.get_metric_statistics
_original_gonna_recurse = parse.QueryParser._gonna_recurse
_original_responses = {
    "get_metric_data": responses.CloudWatchResponse.get_metric_data,
    "get_metric_statistics": responses.CloudWatchResponse.get_metric_statistics,
}
_lock = threading.Lock()


# 1. Indexed metric lookup ----------------------------------------------------

def _dims_key(dims):
    return tuple((d.name, d.value) for d in sorted(dims))


def _index(backend):
    """Points by (name, dimensions) and by (namespace, name), cached until data is added."""
    with _lock:
        key = (len(backend.metric_data), len(backend.aws_metric_data))
        cached = getattr(backend, "_finops_index", None)
        if cached and cached[0] == key:
            return cached[1], cached[2]
        by_dims = defaultdict(list)
        by_ns = defaultdict(list)
        for md in backend.get_all_metrics():
            by_dims[(md.name, _dims_key(md.dimensions))].append(md)
            by_ns[(md.namespace, md.name)].append(md)
        backend._finops_index = (key, by_dims, by_ns)
        return by_dims, by_ns


def _statistic(points, stat, period_start):
    """What moto's Statistics([stat], period_start) with these points answers, computed the same way."""
    for md in points:
        if type(md) is not MetricDatum:
            break
    else:
        # Statistics adds sum([]) (int 0) of the (absent) aggregated data: kept, for the same floats.
        if stat == "Average":
            return (sum([md.value for md in points]) + 0) / (len(points) + 0)
        if stat == "Maximum":
            return max([md.value for md in points])
        if stat == "Minimum":
            return min([md.value for md in points])
        if stat == "Sum":
            return sum([md.value for md in points]) + 0
        if stat == "SampleCount":
            return len(points) + 0
    stats = Statistics([stat], period_start)
    stats.metric_data = points
    return stats.get_statistics_for_type(stat)


def get_metric_data(self, queries, start_time, end_time, scan_by="TimestampAscending"):
    if any("MetricStat" not in q for q in queries):
        return _original(self, queries, start_time, end_time, scan_by)
    start_time = start_time.replace(microsecond=0)
    end_time = end_time.replace(microsecond=0)
    if start_time >= end_time:
        return _original(self, queries, start_time, end_time, scan_by)
    # moto matches on (name, dimensions) when a query has dimensions, else on
    # (namespace, name): the index has both.
    by_dims, by_ns = _index(self)
    series = {}  # one bucketing per metric, unit and period, shared by its statistics
    results = []
    for query in queries:
        ms = query["MetricStat"]
        name = ms["Metric"]["MetricName"]
        dims = [Dimension(d["Name"], d["Value"]) for d in ms["Metric"].get("Dimensions", [])]
        period = int(ms["Period"])
        stat = ms["Stat"]
        unit = ms.get("Unit")
        key = (name, _dims_key(dims)) if dims else (ms["Metric"]["Namespace"], name)
        buckets = series.get((bool(dims), key, unit, period))
        if buckets is None:
            candidates = (by_dims if dims else by_ns).get(key, [])
            if unit:
                candidates = [md for md in candidates if md.unit == unit]
            grouped = defaultdict(list)
            for md in candidates:
                if not start_time <= md.timestamp < end_time:
                    continue
                grouped[int((md.timestamp - start_time).total_seconds()) // period].append(md)
            buckets = []
            for idx in sorted(grouped):
                period_start = start_time + timedelta(seconds=idx * period)
                if period_start > end_time:
                    continue
                buckets.append((period_start, grouped[idx]))
            series[(bool(dims), key, unit, period)] = buckets
        values = [_statistic(points, stat, period_start) for period_start, points in buckets]
        timestamps = [period_start for period_start, _ in buckets]
        if scan_by == "TimestampDescending":
            values.reverse()
            timestamps.reverse()
        if query.get("ReturnData", True):
            results.append({
                "id": query["Id"],
                "label": query.get("Label") or f"{name} {stat}",
                "values": values,
                "timestamps": timestamps,
                "status_code": "Complete",
            })
    return results


class _Narrowed:
    """The backend as GetMetricStatistics sees it, holding only candidate points."""

    def __init__(self, backend, points):
        self._backend = backend
        self._points = points

    def get_all_metrics(self):
        return self._points

    def __getattr__(self, name):
        return getattr(self._backend, name)


def get_metric_statistics(self, namespace, metric_name, start_time, end_time, period, stats, dimensions, unit=None):
    by_dims, by_ns = _index(self)
    if dimensions:
        # Narrow to the exact dimension set; moto's own filter still runs on it.
        key = (metric_name, _dims_key([Dimension(d["Name"], d["Value"]) for d in dimensions]))
        points = [md for md in by_dims.get(key, []) if md.namespace == namespace]
    else:
        points = by_ns.get((namespace, metric_name), [])
    return _original_stats(_Narrowed(self, points), namespace, metric_name, start_time, end_time,
                           period, stats, dimensions, unit)


# 2. Query parser: the same prefix test, by binary search -------------------

def _gonna_recurse(self, query_params, prefix):
    if prefix == "":
        return False
    # One parser parses one request, whose parameters do not change meanwhile
    # (len() would not do as a check: werkzeug's CombinedMultiDict counts by
    # collecting all its keys).
    cached = self.__dict__.get("_bench_sorted_params")
    if cached is None or cached[0] is not query_params:
        cached = (query_params, sorted(query_params))
        self._bench_sorted_params = cached
    names = cached[1]
    i = bisect.bisect_left(names, prefix)
    return not (i < len(names) and names[i].startswith(prefix))


# 3. Serializer: the same XML, written directly ------------------------------

class _Unsupported(Exception):
    """Something the fast writer does not do: moto's serializer answers instead."""


class _Writer:
    """Writes what QuerySerializer + xmltodict.unparse(short_empty_elements=True) write."""

    def __init__(self, serializer):
        self.s = serializer
        self.timestamps = {}

    def element(self, out, name, content):
        out.append(f"<{name}>{content}</{name}>" if content else f"<{name}/>")

    def check(self, shape):
        ser = shape.serialization
        if ser.get("xmlNamespace") or ser.get("xmlAttribute") or ser.get("flattened"):
            raise _Unsupported(shape.name)

    def scalar(self, value, shape):
        t = shape.type_name
        if t == "string":
            return escape(str(value))
        if t in ("double", "float"):
            return escape(str(float(value)))
        if t in ("integer", "long"):
            return str(int(value))
        if t == "timestamp":
            key = (value, getattr(value, "tzinfo", None))
            text = self.timestamps.get(key)
            if text is None:
                wrapper = {}
                self.s._timestamp_serializer.serialize(wrapper, value, shape, "t")
                text = self.timestamps[key] = escape(wrapper["t"])
            return text
        raise _Unsupported(t)

    def structure(self, value, shape):
        """The content of a structure element; "" when no member has a value."""
        out = []
        for key, member in shape.members.items():
            member.parent = shape
            self.s.path.append(key)
            v = self.s.get_value(value, key, member)
            if v is not None:
                self.check(member)
                name = member.serialization.get("name", key)
                t = member.type_name
                if t == "structure":
                    self.element(out, name, self.structure(v, member))
                elif t == "list":
                    self.element(out, name, self.list(v, member))
                else:
                    self.element(out, name, self.scalar(v, member))
            self.s.path.pop()
        return "".join(out)

    def list(self, value, shape):
        item = shape.member
        self.check(item)
        tag = item.serialization.get("name", "member")
        self.s.path.append(item.name)
        if item.type_name == "structure":
            if item.name == "Datapoint" and all(type(v) is Statistics for v in value):
                parts = [self.datapoint(v, item) for v in value]
            else:
                parts = [self.structure(v, item) for v in value]
            # moto leaves out list items that serialize to nothing.
            content = "".join(f"<{tag}>{p}</{tag}>" for p in parts if p)
        elif item.type_name in ("double", "float"):
            # str() of a float never holds a character to escape, and is never empty.
            content = "".join([f"<{tag}>{str(float(v))}</{tag}>" for v in value])
        else:
            scalar = self.scalar
            content = "".join([f"<{tag}>{t}</{tag}>" if t else f"<{tag}/>" for t in (scalar(v, item) for v in value)])
        self.s.path.pop()
        return content

    def datapoint(self, stats, shape):
        # A Statistics object, as moto's attribute picker reads it (snake_case
        # attributes; the statistics not asked for are None and left out).
        out = []
        for key, member in shape.members.items():
            if key == "ExtendedStatistics":
                continue
            v = getattr(stats, _SNAKE[key])
            if v is not None:
                self.check(member)
                self.element(out, key, self.scalar(v, member))
        return "".join(out)


_SNAKE = {"Timestamp": "timestamp", "SampleCount": "sample_count", "Average": "average", "Sum": "sum",
          "Minimum": "minimum", "Maximum": "maximum", "Unit": "unit"}


class _FastResult(core_responses.ActionResult):
    def execute_result(self, context):
        if (context.serializer_class is not serialize.QuerySerializer or core_responses.settings.PRETTIFY_RESPONSES
                or getattr(context.response, "RESPONSE_KEY_PATH_TO_TRANSFORMER", None)):
            return super().execute_result(context)
        serializer = context.serializer_class(
            operation_model=context.operation_model, pretty_print=False,
            value_picker=serialize.XFormedAttributePicker(response_transformers=None))
        op = serializer.operation_model
        shape = op.output_shape
        try:
            if shape is None:
                raise _Unsupported("no output shape")
            serializer.path.append(shape.name)
            content = _Writer(serializer).structure(self.result, shape)
        except _Unsupported:
            return super().execute_result(context)
        response_key = f"{op.name}Response"
        result_key = shape.serialization.get("resultWrapper", f"{shape.name}Result")
        attrs = ""
        if "xmlNamespace" in op.metadata:
            attrs = f" xmlns={quoteattr(op.metadata['xmlNamespace'])}"
        result = f"<{result_key}>{content}</{result_key}>" if content else f"<{result_key}/>"
        request_id = escape(serializer.context.request_id)
        body = (f"<{response_key}{attrs}>{result}<ResponseMetadata><RequestId>{request_id}</RequestId>"
                f"</ResponseMetadata></{response_key}>")
        status = op.http.get("responseCode", serializer.DEFAULT_RESPONSE_CODE)
        return status, {"Content-Type": serializer.CONTENT_TYPE}, body


def _fast(name):
    original = _original_responses[name]

    def handler(self):
        result = original(self)
        if type(result) is core_responses.ActionResult:
            return _FastResult(result.result)
        return result

    handler.__name__ = name
    return handler


def install():
    # Transport, not content: without TCP_NODELAY, a response body written
    # after its headers can wait for the client's delayed ACK (40 ms).
    werkzeug_app.MotoRequestHandler.disable_nagle_algorithm = True
    models.CloudWatchBackend.get_metric_data = get_metric_data
    models.CloudWatchBackend.get_metric_statistics = get_metric_statistics
    parse.QueryParser._gonna_recurse = _gonna_recurse
    for name in _original_responses:
        setattr(responses.CloudWatchResponse, name, _fast(name))


def uninstall():
    models.CloudWatchBackend.get_metric_data = _original
    models.CloudWatchBackend.get_metric_statistics = _original_stats
    parse.QueryParser._gonna_recurse = _original_gonna_recurse
    for name, fn in _original_responses.items():
        setattr(responses.CloudWatchResponse, name, fn)


# Self-test -------------------------------------------------------------------

def self_test():
    """Sends the same requests to moto as it is and to moto with the swaps; the answers must be the same bytes."""
    import re
    import time
    import urllib.parse
    from datetime import datetime, timezone

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.test import Client

    client = Client(DomainDispatcherApplication(create_backend_app))
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "Authorization": "AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/monitoring/aws4_request, "
                                "SignedHeaders=host, Signature=x",
               "Host": "monitoring.us-east-1.amazonaws.com"}

    def post(params):
        r = client.post("/", data=urllib.parse.urlencode(params), headers=headers)
        return r.status_code, r.headers.get("Content-Type"), r.get_data()

    now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if t.microsecond else t.strftime("%Y-%m-%dT%H:%M:%SZ")
    instances = [f"i-{k:017x}" for k in range(4)]
    # Hourly points (some twice an hour, some at fractional seconds, odd values),
    # aggregated points (StatisticValues), another unit, another namespace.
    put = []
    for k, iid in enumerate(instances):
        for p in range(1, 60):
            t = now - timedelta(hours=p * 5, minutes=7 * (p % 3), microseconds=1500 * (p % 2))
            put.append(("AWS/EC2", {"MetricName": "CPUUtilization", "InstanceId": iid, "Timestamp": iso(t),
                                    "Value": str((k * 31 + p * 7919 % 97) / 7), "Unit": "Percent"}))
        put.append(("AWS/EC2", {"MetricName": "CPUUtilization", "InstanceId": iid,
                                "Timestamp": iso(now - timedelta(hours=3)), "StatisticValues.SampleCount": "4",
                                "StatisticValues.Sum": "50.5", "StatisticValues.Minimum": "1",
                                "StatisticValues.Maximum": "30.25", "Unit": "Percent"}))
        put.append(("AWS/EC2", {"MetricName": "NetworkIn", "InstanceId": iid, "Timestamp": iso(now - timedelta(hours=2)),
                                "Value": "1e-07", "Unit": "Bytes"}))
        put.append(("Custom/<&>", {"MetricName": "CPUUtilization", "InstanceId": iid,
                                   "Timestamp": iso(now - timedelta(hours=4)), "Value": "123456789.125"}))
    for ns in sorted({ns for ns, _ in put}):
        params = {"Action": "PutMetricData", "Version": "2010-08-01", "Namespace": ns}
        for j, d in enumerate([d for n, d in put if n == ns], 1):
            pre = f"MetricData.member.{j}."
            for k, v in d.items():
                if k == "InstanceId":
                    params[pre + "Dimensions.member.1.Name"] = "InstanceId"
                    params[pre + "Dimensions.member.1.Value"] = v
                else:
                    params[pre + k] = v
        assert post(params)[0] == 200

    def gmd(queries, start, end, scan_by=None, extra=None):
        params = {"Action": "GetMetricData", "Version": "2010-08-01", "StartTime": start, "EndTime": end}
        if scan_by:
            params["ScanBy"] = scan_by
        for i, q in enumerate(queries, 1):
            for k, v in q.items():
                params[f"MetricDataQueries.member.{i}.{k}"] = v
        params.update(extra or {})
        return params

    def stat_query(i, iid, stat, metric="CPUUtilization", ns="AWS/EC2", period=3600, **more):
        q = {"Id": f"q{i}", "MetricStat.Metric.Namespace": ns, "MetricStat.Metric.MetricName": metric,
             "MetricStat.Period": str(period), "MetricStat.Stat": stat}
        if iid:
            q["MetricStat.Metric.Dimensions.member.1.Name"] = "InstanceId"
            q["MetricStat.Metric.Dimensions.member.1.Value"] = iid
        q.update(more)
        return q

    start, end = iso(now - timedelta(days=14)), iso(now)
    odd_start = iso(now - timedelta(days=13, seconds=1, microseconds=250000))
    stats = ["Average", "Maximum", "Minimum", "Sum", "SampleCount"]
    cases = {
        "all statistics, every instance": gmd(
            [stat_query(i, iid, s) for i, (iid, s) in enumerate([(iid, s) for iid in instances for s in stats], 1)],
            start, end),
        "ascending, daily, fractional start": gmd(
            [stat_query(1, instances[0], "Average", period=86400), stat_query(2, instances[1], "Maximum", period=300)],
            odd_start, end, scan_by="TimestampAscending"),
        "labels, units, no data, no dimensions, ReturnData": gmd(
            [stat_query(1, instances[0], "Average", Label="cpu <avg> & \"more\""),
             stat_query(2, instances[1], "Maximum", **{"MetricStat.Unit": "Percent"}),
             stat_query(3, instances[1], "Maximum", **{"MetricStat.Unit": "Bytes"}),
             stat_query(4, "i-missing", "Average"),
             stat_query(5, None, "Sum", metric="NetworkIn"),
             stat_query(6, instances[2], "Sum", ns="Custom/<&>"),
             stat_query(7, instances[3], "Average", metric="NetworkIn", ReturnData="false")],
            start, end),
        "no queries": gmd([], start, end),
    }
    for iid in instances[:2]:
        for stat_set in (["Average", "Maximum"], stats, ["SampleCount"]):
            params = {"Action": "GetMetricStatistics", "Version": "2010-08-01", "Namespace": "AWS/EC2",
                      "MetricName": "CPUUtilization", "StartTime": start, "EndTime": end, "Period": "3600",
                      "Dimensions.member.1.Name": "InstanceId", "Dimensions.member.1.Value": iid}
            for j, s in enumerate(stat_set, 1):
                params[f"Statistics.member.{j}"] = s
            cases[f"GetMetricStatistics {iid} {','.join(stat_set)}"] = params
    cases["GetMetricStatistics, no data"] = dict(cases[f"GetMetricStatistics {instances[0]} SampleCount"],
                                                 **{"Dimensions.member.1.Value": "i-missing"})
    cases["GetMetricStatistics, unit"] = dict(cases[f"GetMetricStatistics {instances[0]} Average,Maximum"],
                                              Unit="Bytes", MetricName="NetworkIn")
    cases["GetMetricStatistics, error (no statistics)"] = {
        k: v for k, v in cases[f"GetMetricStatistics {instances[0]} Average,Maximum"].items() if not k.startswith("Statistics")}
    cases["DescribeAlarms (another query-protocol call)"] = {"Action": "DescribeAlarms", "Version": "2010-08-01"}

    normalize = lambda body: re.sub(rb"<RequestId>[^<]*</RequestId>", b"<RequestId/>", body)
    failures = 0
    for name, params in cases.items():
        uninstall()
        t0 = time.perf_counter()
        expected = post(params)
        t1 = time.perf_counter()
        install()
        got = post(params)
        t2 = time.perf_counter()
        same = expected[:2] == got[:2] and normalize(expected[2]) == normalize(got[2])
        failures += not same
        print(f"{'same' if same else 'DIFFERENT'}  {name}: {len(got[2]):,} bytes, HTTP {got[0]}, "
              f"moto {(t1 - t0) * 1000:.0f} ms, swapped {(t2 - t1) * 1000:.0f} ms")
        if not same:
            print(f"  moto:    {expected[0]} {expected[1]} {expected[2][:600]!r}")
            print(f"  swapped: {got[0]} {got[1]} {got[2][:600]!r}")
    print("self-test:", "all answers identical" if not failures else f"{failures} answers differ")
    return 1 if failures else 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        sys.exit(self_test())
    install()
    from moto.server import main

    sys.exit(main(sys.argv[1:]))
