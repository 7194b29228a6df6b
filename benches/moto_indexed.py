#!/usr/bin/env python3
"""Run moto_server with an indexed GetMetricData, for fleet-scale benchmarks.

moto's own GetMetricData rescans every stored datapoint for every period of
every query, and GetMetricStatistics scans every stored datapoint per call, so
at fleet scale the server, not the client, is what a benchmark would time. This
launcher keeps an index of the stored points by metric identity (rebuilt only
when points are added) and answers from it: the same answers (same matching
rules, same statistics code), far faster, for finops and for the per-instance
baseline alike. Queries with expressions fall back to moto's own code.

Usage: python3 benches/moto_indexed.py [moto_server arguments, e.g. -H 127.0.0.1 -p 5000]
"""
import sys
import threading
from collections import defaultdict
from datetime import timedelta

from moto.cloudwatch import models
from moto.cloudwatch.models import Dimension, Statistics

_original = models.CloudWatchBackend.get_metric_data
_original_stats = models.CloudWatchBackend.get_metric_statistics
_lock = threading.Lock()


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
    results = []
    for query in queries:
        ms = query["MetricStat"]
        name = ms["Metric"]["MetricName"]
        dims = [Dimension(d["Name"], d["Value"]) for d in ms["Metric"].get("Dimensions", [])]
        period = int(ms["Period"])
        stat = ms["Stat"]
        unit = ms.get("Unit")
        if dims:
            candidates = by_dims.get((name, _dims_key(dims)), [])
        else:
            candidates = by_ns.get((ms["Metric"]["Namespace"], name), [])
        if unit:
            candidates = [md for md in candidates if md.unit == unit]
        buckets = defaultdict(list)
        for md in candidates:
            if not start_time <= md.timestamp < end_time:
                continue
            buckets[int((md.timestamp - start_time).total_seconds()) // period].append(md)
        values, timestamps = [], []
        for idx in sorted(buckets):
            period_start = start_time + timedelta(seconds=idx * period)
            if period_start > end_time:
                continue
            stats = Statistics([stat], period_start)
            stats.metric_data = buckets[idx]
            values.append(stats.get_statistics_for_type(stat))
            timestamps.append(stats.timestamp)
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


models.CloudWatchBackend.get_metric_data = get_metric_data
models.CloudWatchBackend.get_metric_statistics = get_metric_statistics

if __name__ == "__main__":
    from moto.server import main

    sys.exit(main(sys.argv[1:]))
