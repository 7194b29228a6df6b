#!/usr/bin/env python3
"""Run moto_server with faster code swapped in, for fleet-scale benchmarks.

At fleet scale, moto's own code, not the client, is what a benchmark would
time. This launcher swaps in faster code for the parts a finops scan and
recommend run through. All but the last give byte-for-byte the same HTTP
answers as moto (checked by --self-test); the last (8.) makes moto page
DescribeInstances and DescribeVolumes as AWS does, which changes answers.

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

4. The serializer's walk, for every answer of every protocol. For each field
   of each object, moto's attribute picker builds six alias-provider objects
   and calls botocore's xform_name to list the attribute names to try: about
   55% of the CPU of a DescribeInstances answer. What those providers read
   (the member name, the member shape and the parent shape it is reached
   from, the object's class, its Meta.serialization_aliases entry) is the key
   of a cache of moto's own list; the names are then tried as moto tries them
   and the response transformers applied as moto applies them. Also: the
   per-type method is looked up once per serializer class, and for the query
   and EC2 serializers a scalar member (string, integer, boolean, without XML
   namespace or attribute traits) is stored as moto's methods would store it,
   without their four calls.

5. EC2 tags (every instance and volume in an answer). moto compiles the
   resource id as a glob and matches it against every tagged resource, per
   resource. An id without glob characters matches only itself: its tags are
   read from the backend's entry for it, the same list of the same dicts.

6. The XML text of query and EC2 answers. xmltodict.unparse goes through SAX
   events; about 30% of the CPU of a DescribeInstances answer. Here the same
   text is written directly from the same dict (same escaping, attribute
   quoting, <empty/> elements, booleans, lists as repeated elements, XML
   declaration for EC2). Anything it does not handle (other value types,
   '#comment', namespaced attributes as dicts, names xmltodict rejects) and
   pretty printing (moto's settings.PRETTIFY_RESPONSES) go to xmltodict as
   before.

7. RunInstances. For each new instance moto looks its AMI up by filtering
   every AMI (650,000 filter matches for 500 instances), finds it by id by
   scanning every instance in the region, and describes its root volume by
   scanning every volume: about 8 ms per instance plus parts that grow with
   the region. Within one call these lookups are answered from an AMI answer
   kept for the call, an index of the instances that existed before it (the
   new reservation is scanned as moto scans it) and the volumes dict: the
   same objects and the same random draws, so the same answers and state
   (checked with moto's random generator seeded alike, times normalized).
   The one difference: an AMI registered or deregistered by another request
   while a RunInstances call runs is not seen by the rest of that call.

8. Paging as AWS pages. THIS CHANGES ANSWERS. moto counts DescribeInstances'
   MaxResults in reservations (a seeded reservation holds 500 instances, so
   MaxResults=1000 gets 10,000 instances in one page) and ignores
   DescribeVolumes' MaxResults and NextToken. With MaxResults (5 to 1000
   instances, 5 to 500 volumes, as AWS takes) and no InstanceIds/VolumeIds,
   answers here are pages of at most MaxResults instances or volumes, a
   reservation split across pages appearing in each with that page's
   instances, and an opaque NextToken (a token this launcher did not write is
   a 400 InvalidParameterValue; one of its tokens without MaxResults gets the
   next page of the maximum size). The items, their order and their XML are
   moto's: the pages put together are moto's unpaged answer (checked).
   Without MaxResults, or with ids, moto answers as it does.

Measured in one process (benches' moto, 250 instances x 324 hourly points): a
500-query GetMetricData request took 5.9 s with 1. alone and 1.4 s with 1.-3.;
a GetMetricStatistics request 58 ms and 11 ms. With 1,000 instances (two
RunInstances of 500) and 1,100 volumes (werkzeug test client, CPU seconds on a
busy 2-CPU machine, so +-15%): a DescribeInstances page of 1,000 instances
took 4.0-4.9 s in moto and 0.73-0.9 s here; DescribeVolumes of all 1,100
volumes 1.07 s and 0.18 s (a page of 500: 0.09 s); RunInstances of 500 with
2,500 instances already in the region 7.0 s and 0.55-0.85 s (still about
0.55 s with 9,500). With 10,000 instances in the region, the ten
1,000-instance pages took 0.9 s each.

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
import base64
import bisect
import copy
import inspect
import json
import sys
import threading
import types
from collections import defaultdict
from datetime import timedelta
from xml.sax.saxutils import escape, quoteattr

import xmltodict

from moto.cloudwatch import models, responses
from moto.cloudwatch.models import Dimension, MetricDatum, Statistics
from moto.core import parse
from moto.core import responses as core_responses
from moto.core import serialize
from moto.core.utils import MISSING
from moto.core.utils import get_value as get_value_of
from moto.ec2 import exceptions as ec2_exceptions
from moto.ec2 import utils as ec2_utils
from moto.ec2.models import amis as ec2_ami_models
from moto.ec2.models import core as ec2_core
from moto.ec2.models import elastic_block_store as ec2_ebs_models
from moto.ec2.models import instances as ec2_instance_models
from moto.ec2.models import tags as ec2_tags
from moto.ec2.responses import elastic_block_store as ec2_ebs_responses
from moto.ec2.responses import instances as ec2_instance_responses
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


# 4. Serializer walk: the same values, with less work per field ------------

_original_get_value = serialize.ResponseSerializer.get_value
_DEFAULT_ALIAS_PROVIDERS = [serialize.ExplicitAlias, serialize.ShapeNameAlias, serialize.NoAlias,
                            serialize.ShapePrefixAlias, serialize.ClassPrefixAlias, serialize.ModelAlias]
_NOT_SET = object()
# (class of the object, member name, member shape, its parent shape, explicit alias)
#   -> (the names moto's XFormedAttributePicker tries, in its order; whether one has a dot)
_candidates = {}


def get_value(self, value, key, shape):
    """What ResponseSerializer.get_value answers, without redoing the alias work for every object.

    moto's picker asks six alias providers, each a new object, and botocore's
    xform_name, for every field of every object, then tries the names in turn.
    What the providers answer depends on: the member name; the member shape
    (its name, type and serialization name) and the parent shape it was reached
    from (its name, type and member names), both fixed model objects; the
    object's class (its name); and the object's Meta.serialization_aliases
    entry for the name. Those are the cache key; the names are computed by
    moto's own picker the first time. The lookup of each name and the response
    transformers (matched on the same key path) are applied as moto does.
    """
    picker = self._value_picker
    if (type(picker) is not serialize.XFormedAttributePicker or type(key) is not str or "." in key
            or picker.alias_providers is not serialize.DEFAULT_ALIAS_PROVIDERS):
        return _original_get_value(self, value, key, shape)
    # ExplicitAlias: hasattr(obj, "Meta") and hasattr(obj.Meta,
    # "serialization_aliases") and key in it (a plain dict has no Meta).
    explicit = _NOT_SET
    is_dict = type(value) is dict
    if not is_dict:
        meta = getattr(value, "Meta", _NOT_SET)
        if meta is not _NOT_SET:
            aliases = getattr(meta, "serialization_aliases", _NOT_SET)
            if aliases is not _NOT_SET and key in aliases:
                explicit = aliases[key]
                if type(explicit) is not str:
                    return _original_get_value(self, value, key, shape)
    cache_key = (value.__class__, key, shape, getattr(shape, "parent", _NOT_SET), explicit)
    entry = _candidates.get(cache_key)
    if entry is None:
        context = serialize.AttributePickerContext(
            obj=value, key=key, shape=shape, operation_model=self.operation_model,
            service_model=self.operation_model.service_model, key_path=".".join(self.path))
        # The same name can come twice (e.g. NoAlias's and ModelAlias's
        # snake_case forms): looking it up again finds nothing again.
        names = tuple(dict.fromkeys(picker.get_possible_keys(context)))
        entry = (names, any("." in name for name in names))
        if len(_candidates) > 100_000:  # model shapes are cached by moto: this is a safety net
            _candidates.clear()
        _candidates[cache_key] = entry
    names, dotted = entry
    # moto.core.utils.get_value(obj, name, MISSING) for each name until one is found.
    found = None
    if dotted:
        for name in names:
            v = get_value_of(value, name, MISSING)
            if v is not MISSING:
                found = v
                break
    elif is_dict:
        # value[name], KeyError meaning "not there": for a plain dict and str names, `in`.
        for name in names:
            if name in value:
                found = value[name]
                break
    elif hasattr(value, "__getitem__"):
        for name in names:
            try:
                found = value[name]
                break
            except (KeyError, IndexError, TypeError, AttributeError):
                pass
    else:
        for name in names:
            v = getattr(value, name, MISSING)
            if v is not MISSING:
                found = v
                break
    transformers = picker.response_transformers
    if transformers:
        # moto applies the first transformer whose path ends the key path
        # "<path>.<key>". A path with a dot can only end it if its last part is
        # the key; one without, only if the key ends with it. So only those are
        # tried (in moto's order), and the key path is joined only for them.
        # (Per picker, i.e. per response: a handler may add a transformer.)
        by_key = picker.__dict__.setdefault("_bench_transformers", {})
        paths = by_key.get(key)
        if paths is None:
            paths = by_key[key] = tuple(
                path for path in transformers
                if (path.rpartition(".")[2] == key if "." in path else key.endswith(path)))
        if paths:
            key_path = f"{'.'.join(self.path)}.{key}"
            for path in paths:
                if key_path.endswith(path):
                    found = transformers[path](found)
                    break
    return found


_original_serialize = serialize.ResponseSerializer._serialize
_methods = {}  # (serializer class, shape type) -> the function getattr(self, "_serialize_type_...") binds


def _serialize(self, serialized, value, shape, key):
    """ResponseSerializer._serialize, with the per-type method looked up once per serializer class."""
    cls = type(self)
    function = _methods.get((cls, shape.type_name))
    if function is None:
        # Only plain functions defined on the class (all of moto's are); no
        # such method means _default_serialize: moto's own code does that.
        function = inspect.getattr_static(cls, f"_serialize_type_{shape.type_name}", None)
        if type(function) is not types.FunctionType:
            return _original_serialize(self, serialized, value, shape, key)
        _methods[(cls, shape.type_name)] = function
    self.path.append(key or shape.name)
    function(self, serialized, value, shape, key)
    self.path.pop()


_original_structure = serialize.ResponseSerializer._serialize_type_structure
# What a structure member of a scalar type goes through in moto's QuerySerializer.
_MEMBER_METHODS = ("_serialize", "_serialize_structure_member", "_default_serialize", "get_serialized_name",
                   "_serialize_type_string", "_serialize_type_integer", "_serialize_type_long",
                   "_serialize_type_boolean")
_query_like = {}  # serializer class -> whether those are QuerySerializer's (EC2Serializer: yes; SQS's: no)
_scalars = {}  # (member shape, member name) -> (type, element name) for a plain scalar member, else (None, None)


def _serialize_type_structure(self, serialized, value, shape, key):
    """ResponseSerializer._serialize_type_structure, with scalar members written in place.

    For QuerySerializer and EC2Serializer (and any class that serializes
    members with the same methods), a string, integer, long or boolean member
    without xmlNamespace or xmlAttribute ends, after four calls and a
    key-path push, as wrapper[serialization name] = str(v) / int(v) /
    "true" or "false" (BaseXMLSerializer's rule). That is done here directly;
    everything else goes through moto's methods as before.
    """
    cls = type(self)
    query_like = _query_like.get(cls)
    if query_like is None:
        query_like = _query_like[cls] = all(
            inspect.getattr_static(cls, name, None) is inspect.getattr_static(serialize.QuerySerializer, name, None)
            for name in _MEMBER_METHODS)
    if value is None or not query_like or cls.MAP_TYPE is not dict:
        return _original_structure(self, serialized, value, shape, key)
    wrapper = {} if key else serialized
    get_value = self.get_value
    for member_key, member_shape in shape.members.items():
        member_shape.parent = shape
        member_value = get_value(value, member_key, member_shape)
        if member_value is None:
            continue
        kind, name = _scalars.get((member_shape, member_key), (False, None))
        if kind is False:
            ser = member_shape.serialization
            if (member_shape.type_name in ("string", "integer", "long", "boolean")
                    and not ser.get("xmlNamespace") and not ser.get("xmlAttribute", False)):
                kind, name = member_shape.type_name, ser.get("name", member_key)
            else:
                kind = None
            if len(_scalars) < 100_000:
                _scalars[(member_shape, member_key)] = (kind, name)
        if kind == "string":
            wrapper[name] = str(member_value)
        elif kind == "integer" or kind == "long":
            wrapper[name] = int(member_value)
        elif kind == "boolean":
            truth = [member_value is True, str(member_value).lower() == "true"]
            wrapper[name] = "true" if any(truth) else "false"
        else:
            self._serialize(wrapper, member_value, member_shape, member_key)
    if key:
        self._default_serialize(serialized, wrapper, shape, key)


# 5. EC2 tags: the same list, without compiling a pattern per resource ------

_original_get_tags = ec2_core.TaggedEC2Resource.get_tags


def get_tags(self):
    """TaggedEC2Resource.get_tags: describe_tags(filters={"resource-id": [self.id]}), read directly.

    moto compiles the id as a glob (fnmatch) and matches it against every
    tagged resource: about 0.3 ms per resource, for every instance and volume
    of a Describe answer. An id without the glob characters * ? [ (nor the
    backslash moto's filter translation looks at) matches itself only, so its
    tags are the backend's entry for it, in the same order and the same dicts.
    """
    rid = self.id
    backend = self.ec2_backend
    if (not rid or type(rid) is not str or any(c in rid for c in "*?[\\")
            or type(backend).describe_tags is not ec2_tags.TagBackend.describe_tags):
        return _original_get_tags(self)
    tags = backend.tags.get(rid)  # .get: the defaultdict must not grow (moto's copy does not)
    if not tags:
        return []
    resource_type = ec2_utils.EC2_PREFIX_TO_RESOURCE.get(ec2_utils.get_prefix(rid), "")
    return [{"resource_id": rid, "key": key, "value": value, "resource_type": resource_type}
            for key, value in tags.items()]


# 6. XML writer: what xmltodict.unparse writes, for the serializer's dicts --

_original_query_body = serialize.BaseXMLSerializer._serialize_body
_original_ec2_body = serialize.EC2Serializer._serialize_body
_names = {}  # (name, "element" or "attribute") -> whether xmltodict accepts it
_element_names = set()  # the element names it accepts, for the inlined case in _emit


def _check_name(name, kind):
    ok = _names.get((name, kind))
    if ok is None:
        try:
            xmltodict._validate_name(name, kind)
            ok = True
        except ValueError:
            ok = False
        if len(_names) < 100_000:
            _names[(name, kind)] = ok
            if ok and kind == "element" and name != "#comment":
                _element_names.add(name)
    if not ok:
        raise _Unsupported(name)  # xmltodict raises: let it


def _text(value):
    """xmltodict's _convert_value_to_string, for the types the serializer produces."""
    t = type(value)
    if t is str:
        return value
    if t is bool:
        return "true" if value else "false"
    if t is int or t is float:
        return str(value)
    raise _Unsupported(t.__name__)


def _escape(text):
    """xml.sax.saxutils.escape, the same replacements in the same order."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def _emit(out, key, value):
    """xmltodict._emit(key, value, pretty=False) for one key, into the list out.

    Mirrors it step by step: a list gives one element per item; None is an
    empty element; a str, bool, int or float is text; in a dict, '#text' is
    text (written after the children), '@name' an attribute (None is "",
    values quoted by quoteattr), an empty list no child at all; an element
    with neither children nor text is written <name/> (short_empty_elements).
    Anything else (other types, '#comment', '@xmlns' as a dict, names
    xmltodict rejects) raises _Unsupported and xmltodict writes the document.
    """
    if type(key) is not str or key == "#comment":
        raise _Unsupported(repr(key))
    _check_name(key, "element")
    for v in (value if type(value) is list else (value,)):
        t = type(v)
        if t is str:  # most values: written here rather than through the general case
            out.append(f"<{key}>{_escape(v)}</{key}>" if v else f"<{key}/>")
            continue
        if v is None:
            out.append(f"<{key}/>")
            continue
        if t is not dict:
            text = _text(v)
            out.append(f"<{key}>{_escape(text)}</{key}>" if text else f"<{key}/>")
            continue
        attrs = ""
        text = None
        children = []
        for ik, iv in v.items():
            if ik == "#text":
                text = None if iv is None else _text(iv)
            elif type(ik) is str and ik.startswith("@"):
                if type(iv) is dict:
                    raise _Unsupported(ik)
                name = ik[1:]
                _check_name(name, "attribute")
                attrs += f" {name}={quoteattr('' if iv is None else _text(iv))}"
            elif not (type(iv) is list and not iv):
                children.append((ik, iv))
        if not children and not text:
            out.append(f"<{key}{attrs}/>")
            continue
        out.append(f"<{key}{attrs}>")
        for ck, cv in children:
            if type(cv) is str and type(ck) is str and ck in _element_names:
                out.append(f"<{ck}>{_escape(cv)}</{ck}>" if cv else f"<{ck}/>")
            else:
                _emit(out, ck, cv)
        if text:
            out.append(_escape(text))
        out.append(f"</{key}>")


def _unparse(body, full_document):
    """xmltodict.unparse(body, full_document=..., short_empty_elements=True, pretty=False)."""
    if type(body) is not dict or (full_document and (len(body) != 1 or type(next(iter(body.values()))) is list)):
        raise _Unsupported("document shape")
    out = ['<?xml version="1.0" encoding="utf-8"?>\n'] if full_document else []
    for key, value in body.items():
        if type(value) is list and not full_document:
            raise _Unsupported("list at the root")
        _emit(out, key, value)
    return "".join(out)


def _query_body(self, body):
    if not self.pretty_print:
        try:
            return _unparse(body, full_document=False)
        except _Unsupported:
            pass
    return _original_query_body(self, body)


def _ec2_body(self, body):
    if not self.pretty_print:
        try:
            return _unparse(body, full_document=True)
        except _Unsupported:
            pass
    return _original_ec2_body(self, body)


# 7. RunInstances: lookups done once per call, not once per instance -----

_original_run_instances = ec2_instance_models.InstanceBackend.run_instances
_original_describe_images = ec2_ami_models.AmiBackend.describe_images
_original_get_instance = ec2_instance_models.InstanceBackend.get_instance
_original_backend_describe_volumes = ec2_ebs_models.EBSBackend.describe_volumes
_running = threading.local()  # the RunInstances call in progress on this thread


def run_instances(self, *args, **kwargs):
    """InstanceBackend.run_instances, with three per-instance lookups made cheap for its duration.

    For each new instance moto (a) looks its AMI up with a filter over every
    AMI (about 1,300 of them, 4 ms), (b) finds the instance by id to attach its
    root volume (a scan of every instance in the region), and (c) describes its
    volumes by id (a scan of every volume). Within one call, on this thread:
    (a) the AMI answer for an image id is kept (nothing in RunInstances changes
    AMIs); (b) the instances of the reservations that existed before the call
    are indexed once (first one with an id wins, as in moto's scan; they come
    before the new reservation in moto's order), the new reservation is
    scanned as moto would, and moto's own scan answers anything else; (c) a
    single id is looked up in the backend's dict of volumes (keyed by id). The
    same objects, the same random draws: the same answers and state.
    """
    if getattr(_running, "backend", None) is not None:
        return _original_run_instances(self, *args, **kwargs)
    _running.backend = self
    _running.images = {}
    _running.before = set(self.reservations)
    _running.index = None
    try:
        return _original_run_instances(self, *args, **kwargs)
    finally:
        _running.backend = _running.images = _running.before = _running.index = None


def describe_images(self, ami_ids=None, filters=None, exec_users=None, owners=None):
    if (getattr(_running, "backend", None) is self and ami_ids is None and exec_users is None and owners is None
            and type(filters) is dict and len(filters) == 1 and type(filters.get("image-id")) is str):
        images = _running.images.get(filters["image-id"])
        if images is None:
            images = _running.images[filters["image-id"]] = _original_describe_images(self, filters=filters)
        return list(images)
    return _original_describe_images(self, ami_ids, filters, exec_users, owners)


def get_instance(self, instance_id):
    if getattr(_running, "backend", None) is not self:
        return _original_get_instance(self, instance_id)
    if _running.index is None:
        index = {}
        for key, reservation in list(self.reservations.items()):
            if key in _running.before:
                for instance in reservation.instances:
                    index.setdefault(instance.id, instance)
        _running.index = index
    found = _running.index.get(instance_id)
    if found is not None:
        return found
    for key, reservation in list(self.reservations.items()):
        if key not in _running.before:
            for instance in reservation.instances:
                if instance.id == instance_id:
                    return instance
    return _original_get_instance(self, instance_id)


def backend_describe_volumes(self, volume_ids=None, filters=None):
    if (getattr(_running, "backend", None) is self and not filters and type(volume_ids) is list
            and len(volume_ids) == 1):
        volume = self.volumes.get(volume_ids[0])
        if volume is not None and volume.id == volume_ids[0]:
            return [volume]
    return _original_backend_describe_volumes(self, volume_ids, filters)


# 8. EC2 paging as AWS pages (this one changes answers) -------------------

_original_describe_instances = ec2_instance_responses.InstanceResponse.describe_instances
_original_describe_volumes = ec2_ebs_responses.ElasticBlockStore.describe_volumes


def _next_token(operation, offset):
    """An opaque NextToken: the operation and the offset of the next page's first item."""
    return base64.urlsafe_b64encode(json.dumps([operation, offset]).encode()).decode()


def _token_offset(token, operation):
    """The offset in one of _next_token's tokens for this operation; None for any other string."""
    try:
        name, offset = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError):
        return None
    return offset if name == operation and type(offset) is int and offset >= 0 else None


def _paging(response, operation, limit, ids):
    """(page size, offset of its first item) when AWS's paging applies, None when moto's own code answers.

    It applies with MaxResults (AWS takes 5 to limit; outside that, a 400 as
    from AWS) and no ids, and to one of these tokens without MaxResults (the
    next page of the maximum size: moto would not know the token). An unknown
    or garbled NextToken is a 400 InvalidParameterValue.
    """
    text = response._get_param("MaxResults")
    token = response._get_param("NextToken")
    if response._get_param(ids, []):
        return None  # moto's answer (and, for DescribeInstances with MaxResults, moto's error)
    if text is None:
        offset = _token_offset(token, operation) if token else None
        return None if offset is None else (limit, offset)
    try:
        size = int(text)
    except (TypeError, ValueError):
        size = None
    if size is None or not 5 <= size <= limit:
        raise ec2_exceptions.InvalidParameterValue(
            f"Value ( {text} ) for parameter maxResults is invalid. Expecting a value between 5 and {limit}.")
    if not token:
        return size, 0
    offset = _token_offset(token, operation)
    if offset is None:
        raise ec2_exceptions.InvalidParameterValue(f"The value '{token}' for parameter NextToken is invalid.")
    return size, offset


def describe_instances(self):
    """DescribeInstances with MaxResults (and no InstanceIds): pages of at most MaxResults instances.

    moto counts MaxResults in reservations; AWS counts instances, splitting a
    reservation across pages (each page holding it with that page's instances).
    The instances, their order and each one's XML are moto's: the pages put
    together are moto's unpaged answer (the self-test checks this).
    """
    self.error_on_dryrun()
    paging = _paging(self, "DescribeInstances", 1000, "InstanceIds")
    if paging is None:
        return _original_describe_instances(self)
    size, start = paging
    reservations = self.ec2_backend.describe_instances(filters=self._filters_from_querystring())
    items = [(reservation, instance) for reservation in reservations for instance in reservation.instances]
    page = []
    for reservation, instance in items[start:start + size]:
        if not page or page[-1][0] is not reservation:
            page.append((reservation, []))
        page[-1][1].append(instance)
    result = []
    for reservation, instances in page:
        part = copy.copy(reservation)  # moto's are copies already; this one holds this page's instances
        part.instances = instances
        result.append(part)
    more = start + size < len(items)
    return core_responses.ActionResult({"Reservations": result,
                                        "NextToken": _next_token("DescribeInstances", start + size) if more else None})


def describe_volumes(self):
    """DescribeVolumes with MaxResults (and no VolumeIds): pages of at most MaxResults volumes.

    moto answers every volume and no NextToken whatever MaxResults says.
    """
    paging = _paging(self, "DescribeVolumes", 500, "VolumeIds")
    if paging is None:
        return _original_describe_volumes(self)
    size, start = paging
    volumes = self.ec2_backend.describe_volumes(volume_ids=[], filters=self._filters_from_querystring())
    more = start + size < len(volumes)
    return core_responses.ActionResult({"Volumes": volumes[start:start + size],
                                        "NextToken": _next_token("DescribeVolumes", start + size) if more else None})


def _swaps():
    """(owner, attribute, replacement) for every swap; the originals are the module's _original* names."""
    swaps = [
        (models.CloudWatchBackend, "get_metric_data", get_metric_data),
        (models.CloudWatchBackend, "get_metric_statistics", get_metric_statistics),
        (parse.QueryParser, "_gonna_recurse", _gonna_recurse),
        *[(responses.CloudWatchResponse, name, _fast(name)) for name in _original_responses],
        (serialize.ResponseSerializer, "_serialize", _serialize),
        (serialize.ResponseSerializer, "_serialize_type_structure", _serialize_type_structure),
        (ec2_core.TaggedEC2Resource, "get_tags", get_tags),
        (serialize.BaseXMLSerializer, "_serialize_body", _query_body),
        (serialize.EC2Serializer, "_serialize_body", _ec2_body),
        (ec2_instance_responses.InstanceResponse, "describe_instances", describe_instances),
        (ec2_ebs_responses.ElasticBlockStore, "describe_volumes", describe_volumes),
        (ec2_instance_models.InstanceBackend, "run_instances", run_instances),
        (ec2_ami_models.AmiBackend, "describe_images", describe_images),
        (ec2_instance_models.InstanceBackend, "get_instance", get_instance),
        (ec2_ebs_models.EBSBackend, "describe_volumes", backend_describe_volumes),
    ]
    if serialize.DEFAULT_ALIAS_PROVIDERS == _DEFAULT_ALIAS_PROVIDERS:  # what get_value's cache key covers
        swaps.append((serialize.ResponseSerializer, "get_value", get_value))
    return swaps


# Taken before any swap, so that uninstall() puts moto back as it was.
_ORIGINALS = [(owner, name, owner.__dict__[name]) for owner, name, _ in _swaps()]


def install():
    # Transport, not content: without TCP_NODELAY, a response body written
    # after its headers can wait for the client's delayed ACK (40 ms).
    werkzeug_app.MotoRequestHandler.disable_nagle_algorithm = True
    for owner, name, fn in _swaps():
        setattr(owner, name, fn)


def uninstall():
    for owner, name, fn in _ORIGINALS:
        setattr(owner, name, fn)


# Self-test -------------------------------------------------------------------

def self_test():
    """Sends the same requests to moto as it is and to moto with the swaps; the answers must be the same bytes.

    Then the paging (8.): pages put together must be moto's unpaged answer,
    and RunInstances (7.) with moto's random generator seeded alike.
    """
    import re
    import time
    import urllib.parse
    from datetime import datetime, timezone

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.test import Client

    client = Client(DomainDispatcherApplication(create_backend_app))

    def post(params, service="monitoring", region="us-east-1"):
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "Authorization": f"AWS4-HMAC-SHA256 Credential=bench/20260101/{region}/{service}/aws4_request, "
                                    "SignedHeaders=host, Signature=x",
                   "Host": f"{service}.{region}.amazonaws.com"}
        data = urllib.parse.urlencode(params)
        if service == "monitoring" and "Version" not in params:
            # CloudWatch's JSON protocol, which boto3 (the baseline of fleet.py) speaks to moto.
            params = dict(params)
            headers.update({"Content-Type": "application/x-amz-json-1.0",
                            "X-Amz-Target": f"GraniteServiceVersion20100801.{params.pop('Action')}"})
            data = json.dumps(params)
        r = client.post("/", data=data, headers=headers)
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
    # The JSON protocol (no Version): moto's JSON serializer, through the swaps of 1. and 4.
    epoch = lambda t: t.timestamp()
    json_dims = lambda iid: [{"Name": "InstanceId", "Value": iid}]
    cases["JSON GetMetricStatistics"] = {
        "Action": "GetMetricStatistics", "Namespace": "AWS/EC2", "MetricName": "CPUUtilization",
        "Dimensions": json_dims(instances[0]), "StartTime": epoch(now - timedelta(days=14)), "EndTime": epoch(now),
        "Period": 3600, "Statistics": stats}
    cases["JSON GetMetricData"] = {
        "Action": "GetMetricData", "StartTime": epoch(now - timedelta(days=14)), "EndTime": epoch(now),
        "MetricDataQueries": [{"Id": f"q{i}", "MetricStat": {
            "Metric": {"Namespace": "AWS/EC2", "MetricName": "CPUUtilization", "Dimensions": json_dims(iid)},
            "Period": 3600, "Stat": stat}} for i, (iid, stat) in enumerate(
                [(iid, stat) for iid in instances for stat in ("Average", "Maximum")], 1)]}
    cases["JSON DescribeAlarms"] = {"Action": "DescribeAlarms"}

    cases = {name: ("monitoring", params) for name, params in cases.items()}
    cases.update(seed_ec2(post, re))

    # Request ids differ from call to call, and so does RDS's LatestRestorableTime (the time of the request).
    normalize = lambda body: re.sub(rb"<(RequestId|requestId|LatestRestorableTime)>[^<]*</", b"<\\1></", body)
    failures = 0
    for name, (service, params) in cases.items():
        uninstall()
        t0 = time.perf_counter()
        expected = post(params, service)
        t1 = time.perf_counter()
        install()
        got = post(params, service)
        t2 = time.perf_counter()
        same = expected[:2] == got[:2] and normalize(expected[2]) == normalize(got[2])
        failures += not same
        print(f"{'same' if same else 'DIFFERENT'}  {name}: {len(got[2]):,} bytes, HTTP {got[0]}, "
              f"moto {(t1 - t0) * 1000:.0f} ms, swapped {(t2 - t1) * 1000:.0f} ms")
        if not same:
            print(f"  moto:    {expected[0]} {expected[1]} {expected[2][:600]!r}")
            print(f"  swapped: {got[0]} {got[1]} {got[2][:600]!r}")
    failures += check_paging(post)
    failures += check_run_instances(post, re)
    uninstall()
    print("self-test:", "all answers identical, paging as AWS pages" if not failures else f"{failures} checks failed")
    return 1 if failures else 0


EC2_VERSION = {"Version": "2016-11-15"}


def _ec2(post, params, region="us-east-1"):
    return post(dict(EC2_VERSION, **params), "ec2", region)


def _image_id(region="us-east-1"):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ec2.models import ec2_backends

    return next(iter(ec2_backends[DEFAULT_ACCOUNT_ID][region].amis))


def seed_ec2(post, re):
    """Seeds (with moto as it is) what finops reads: instances in reservations
    of several sizes, volumes, addresses, a load balancer and target group with
    tags, DB instances and an auto scaling group. Returns the byte-identical
    cases: (service, parameters) by name."""
    def ok(answer):
        assert answer[0] == 200, answer
        return answer[2]

    image = _image_id()
    odd = "web <&> \"quoted\" 'single'"
    instance_ids = []
    for count, kind, tag in ((7, "m5.large", odd), (12, "c5.large", None), (6, "t3.medium", "db")):
        params = {"Action": "RunInstances", "ImageId": image, "MinCount": str(count), "MaxCount": str(count),
                  "InstanceType": kind}
        if tag:
            params.update({"TagSpecification.1.ResourceType": "instance", "TagSpecification.1.Tag.1.Key": "Name",
                           "TagSpecification.1.Tag.1.Value": tag, "TagSpecification.2.ResourceType": "volume",
                           "TagSpecification.2.Tag.1.Key": "team", "TagSpecification.2.Tag.1.Value": "a&b"})
        instance_ids += re.findall(rb"<instanceId>(i-[0-9a-f]+)</instanceId>", ok(_ec2(post, params)))
    instance_ids = [i.decode() for i in instance_ids]
    volume_ids = []
    for k in range(9):
        params = {"Action": "CreateVolume", "AvailabilityZone": "us-east-1a", "Size": str(100 + k),
                  "VolumeType": ("gp2", "gp3", "io1")[k % 3]}
        if k % 3 == 2:
            params["Iops"] = "3000"
        if k % 2:
            params.update({"TagSpecification.1.ResourceType": "volume", "TagSpecification.1.Tag.1.Key": "Name",
                           "TagSpecification.1.Tag.1.Value": f"data-{k} <x>"})
        volume_ids.append(re.search(rb"<volumeId>([^<]+)</volumeId>", ok(_ec2(post, params))).group(1).decode())
    for k in range(2):
        allocation = re.search(rb"<allocationId>([^<]+)</allocationId>",
                               ok(_ec2(post, {"Action": "AllocateAddress", "Domain": "vpc"}))).group(1).decode()
        if k == 0:
            ok(_ec2(post, {"Action": "AssociateAddress", "AllocationId": allocation, "InstanceId": instance_ids[0]}))
    subnets = [m.decode() for m in re.findall(rb"<subnetId>([^<]+)</subnetId>",
                                              ok(_ec2(post, {"Action": "DescribeSubnets"})))]
    vpc = re.search(rb"<vpcId>([^<]+)</vpcId>", ok(_ec2(post, {"Action": "DescribeVpcs"}))).group(1).decode()
    elbv2 = lambda params: post(dict(params, Version="2015-12-01"), "elasticloadbalancing")
    lb_arn = re.search(rb"<LoadBalancerArn>([^<]+)</LoadBalancerArn>", ok(elbv2({
        "Action": "CreateLoadBalancer", "Name": "bench-alb", "Subnets.member.1": subnets[0],
        "Subnets.member.2": subnets[1], "Type": "application"}))).group(1).decode()
    ok(elbv2({"Action": "CreateTargetGroup", "Name": "bench-tg", "Protocol": "HTTP", "Port": "80", "VpcId": vpc}))
    ok(elbv2({"Action": "AddTags", "ResourceArns.member.1": lb_arn, "Tags.member.1.Key": "team",
              "Tags.member.1.Value": "a&b <c>"}))
    rds = lambda params: post(dict(params, Version="2014-10-31"), "rds")
    for k in range(2):
        ok(rds({"Action": "CreateDBInstance", "DBInstanceIdentifier": f"bench-db-{k}", "Engine": "postgres",
                "DBInstanceClass": "db.m5.large", "AllocatedStorage": "100", "MasterUsername": "bench",
                "MasterUserPassword": "bench-password-1"}))
    autoscaling = lambda params: post(dict(params, Version="2011-01-01"), "autoscaling")
    ok(autoscaling({"Action": "CreateLaunchConfiguration", "LaunchConfigurationName": "bench-lc",
                    "ImageId": image, "InstanceType": "t3.micro"}))
    ok(autoscaling({"Action": "CreateAutoScalingGroup", "AutoScalingGroupName": "bench-asg",
                    "LaunchConfigurationName": "bench-lc", "MinSize": "2", "MaxSize": "2", "DesiredCapacity": "2",
                    "AvailabilityZones.member.1": "us-east-1a"}))

    ec2 = lambda params: ("ec2", dict(EC2_VERSION, **params))
    return {
        "DescribeInstances": ec2({"Action": "DescribeInstances"}),
        "DescribeInstances MaxResults=1000 (all on one page: moto's answer)": ec2(
            {"Action": "DescribeInstances", "MaxResults": "1000"}),
        "DescribeInstances, filter": ec2({"Action": "DescribeInstances", "Filter.1.Name": "instance-type",
                                          "Filter.1.Value.1": "c5.large"}),
        "DescribeInstances, InstanceIds": ec2({"Action": "DescribeInstances", "InstanceId.1": instance_ids[3],
                                               "InstanceId.2": instance_ids[9]}),
        "DescribeInstances, InstanceIds and MaxResults (moto's error)": ec2(
            {"Action": "DescribeInstances", "InstanceId.1": instance_ids[3], "MaxResults": "5"}),
        "DescribeInstances, unknown id (error)": ec2({"Action": "DescribeInstances",
                                                     "InstanceId.1": "i-0000000000000000f"}),
        "DescribeVolumes": ec2({"Action": "DescribeVolumes"}),
        "DescribeVolumes MaxResults=500 (all on one page: moto's answer)": ec2(
            {"Action": "DescribeVolumes", "MaxResults": "500"}),
        "DescribeVolumes, VolumeIds and MaxResults (moto's answer)": ec2(
            {"Action": "DescribeVolumes", "VolumeId.1": volume_ids[1], "VolumeId.2": volume_ids[4],
             "MaxResults": "5"}),
        "DescribeAddresses": ec2({"Action": "DescribeAddresses"}),
        "DescribeImages, one id": ec2({"Action": "DescribeImages", "ImageId.1": image}),
        "DescribeSubnets": ec2({"Action": "DescribeSubnets"}),
        "DescribeSecurityGroups": ec2({"Action": "DescribeSecurityGroups"}),
        "DescribeTags": ec2({"Action": "DescribeTags"}),
        "elbv2 DescribeLoadBalancers": ("elasticloadbalancing", {"Action": "DescribeLoadBalancers",
                                                                 "Version": "2015-12-01"}),
        "elbv2 DescribeTargetGroups": ("elasticloadbalancing", {"Action": "DescribeTargetGroups",
                                                                "Version": "2015-12-01"}),
        "elbv2 DescribeTags": ("elasticloadbalancing", {"Action": "DescribeTags", "Version": "2015-12-01",
                                                        "ResourceArns.member.1": lb_arn}),
        "elbv2 DescribeLoadBalancers, unknown name (error)": ("elasticloadbalancing", {
            "Action": "DescribeLoadBalancers", "Version": "2015-12-01", "Names.member.1": "missing"}),
        "rds DescribeDBInstances": ("rds", {"Action": "DescribeDBInstances", "Version": "2014-10-31"}),
        "autoscaling DescribeAutoScalingGroups": ("autoscaling", {"Action": "DescribeAutoScalingGroups",
                                                                  "Version": "2011-01-01"}),
    }


def check_paging(post):
    """The paged answers (swapped) against moto's unpaged ones: the same items, in pages of MaxResults."""
    import xml.etree.ElementTree as ET

    ns = "{http://ec2.amazonaws.com/doc/2016-11-15}"
    failures = 0

    def report(ok, name, detail=""):
        nonlocal failures
        failures += not ok
        print(f"{'pass' if ok else 'FAIL'}  paging: {name}{': ' + detail if detail else ''}")

    def pages(params, size, then_token_alone=False):
        install()
        out, token = [], None
        while len(out) < 1000:
            query = dict(params, **({"NextToken": token} if token else {}))
            if not (token and then_token_alone):
                query["MaxResults"] = str(size)
            status, _, body = _ec2(post, query)
            assert status == 200, body
            root = ET.fromstring(body)
            out.append(root)
            token = root.findtext(ns + "nextToken")
            if not token:
                return out
        raise AssertionError("no last page")

    def unpaged(params):
        uninstall()
        status, _, body = _ec2(post, params)
        assert status == 200, body
        return ET.fromstring(body)

    def instances(root):
        """(reservation without its instances, instance) for every instance, as XML text."""
        items = []
        for reservation in root.iter(ns + "reservationSet"):
            for r in reservation.findall(ns + "item"):
                shell = copy.deepcopy(r)
                shell.remove(shell.find(ns + "instancesSet"))
                for i in r.find(ns + "instancesSet").findall(ns + "item"):
                    items.append((ET.tostring(shell), ET.tostring(i)))
        return items

    def volumes(root):
        return [(b"", ET.tostring(v)) for v in root.find(ns + "volumeSet").findall(ns + "item")]

    id_of = {"DescribeInstances": ns + "instanceId", "DescribeVolumes": ns + "volumeId"}
    for name, params, size, items in (
            ("DescribeInstances MaxResults=5", {"Action": "DescribeInstances"}, 5, instances),
            ("DescribeInstances MaxResults=12", {"Action": "DescribeInstances"}, 12, instances),
            ("DescribeInstances MaxResults=5, filter", {"Action": "DescribeInstances", "Filter.1.Name": "instance-type",
                                                        "Filter.1.Value.1": "c5.large"}, 5, instances),
            ("DescribeVolumes MaxResults=5", {"Action": "DescribeVolumes"}, 5, volumes),
            ("DescribeVolumes MaxResults=7", {"Action": "DescribeVolumes"}, 7, volumes)):
        expected = items(unpaged(params))
        got_pages = [items(page) for page in pages(params, size)]
        got = [item for page in got_pages for item in page]
        ids = lambda xs: [ET.fromstring(x).findtext(id_of[params["Action"]]) for _, x in xs]
        sizes = [len(page) for page in got_pages]
        report(got == expected and ids(got) == ids(expected) and all(n == size for n in sizes[:-1])
               and 0 < sizes[-1] <= size and len(expected) > size, name,
               f"{len(expected)} items in pages of {sizes}, the same ids and XML as moto's unpaged answer")

    # A token without MaxResults: the rest, in pages of the maximum size.
    expected = volumes(unpaged({"Action": "DescribeVolumes"}))
    got_pages = [volumes(page) for page in pages({"Action": "DescribeVolumes"}, 5, then_token_alone=True)]
    sizes = [len(page) for page in got_pages]
    report([item for page in got_pages for item in page] == expected and sizes == [5, len(expected) - 5],
           "DescribeVolumes MaxResults=5, then NextToken alone", f"pages of {sizes}")

    # Errors: AWS's range of MaxResults, and tokens that are not ours.
    install()
    volume_token = pages({"Action": "DescribeVolumes"}, 5)[0].findtext(ns + "nextToken")
    for name, params in (
            ("DescribeInstances MaxResults=4", {"Action": "DescribeInstances", "MaxResults": "4"}),
            ("DescribeInstances MaxResults=1001", {"Action": "DescribeInstances", "MaxResults": "1001"}),
            ("DescribeVolumes MaxResults=501", {"Action": "DescribeVolumes", "MaxResults": "501"}),
            ("DescribeInstances, garbled NextToken", {"Action": "DescribeInstances", "MaxResults": "5",
                                                      "NextToken": "not-a-token"}),
            ("DescribeInstances, DescribeVolumes' NextToken", {"Action": "DescribeInstances", "MaxResults": "5",
                                                              "NextToken": volume_token})):
        install()
        status, _, body = _ec2(post, params)
        report(status == 400 and b"<Code>InvalidParameterValue</Code>" in body, f"{name} is an error",
               f"HTTP {status}, {body[body.find(b'<Code>'):body.find(b'</Message>') + 10].decode()}")
    return failures


def check_run_instances(post, re):
    """RunInstances (and the state it leaves) with and without the swaps, moto's random generator seeded the same.

    Each run starts from a new EC2 backend for eu-north-1 and the same seed,
    so ids, addresses and MACs are drawn alike; only times differ (they are
    normalized away). A first run, not compared, creates whatever moto creates
    lazily on first use elsewhere, which would draw random numbers once.
    """
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ec2.models import ec2_backends
    from moto.moto_api._internal import mock_random

    region = "eu-north-1"
    image = _image_id(region)
    steps = [
        ("RunInstances 5, tagged", {"Action": "RunInstances", "ImageId": image, "MinCount": "5", "MaxCount": "5",
                                    "InstanceType": "m5.large", "TagSpecification.1.ResourceType": "volume",
                                    "TagSpecification.1.Tag.1.Key": "team", "TagSpecification.1.Tag.1.Value": "x"}),
        ("RunInstances 3, block devices", {
            "Action": "RunInstances", "ImageId": image, "MinCount": "3", "MaxCount": "3",
            "BlockDeviceMapping.1.DeviceName": "/dev/sdb", "BlockDeviceMapping.1.Ebs.VolumeSize": "20",
            "BlockDeviceMapping.2.DeviceName": "/dev/sdc", "BlockDeviceMapping.2.Ebs.VolumeSize": "30"}),
        ("RunInstances 4, unknown image", {"Action": "RunInstances", "ImageId": "ami-00000000", "MinCount": "4",
                                           "MaxCount": "4"}),
        ("DescribeInstances after", {"Action": "DescribeInstances"}),
        ("DescribeVolumes after", {"Action": "DescribeVolumes"}),
    ]

    def run(swapped):
        (install if swapped else uninstall)()
        if region in ec2_backends[DEFAULT_ACCOUNT_ID].keys():
            del ec2_backends[DEFAULT_ACCOUNT_ID][region]
        mock_random.seed(20260101)
        return [_ec2(post, params, region) for _, params in steps]

    times = lambda body: re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?", b"<time>",
                                re.sub(rb"<requestId>[^<]*</requestId>", b"", body))
    run(False)
    expected, got = run(False), run(True)
    failures = 0
    for (name, _), e, g in zip(steps, expected, got):
        same = e[:2] == g[:2] and times(e[2]) == times(g[2])
        failures += not same
        ids = len(set(re.findall(rb"<(?:instanceId|volumeId)>([^<]+)</", g[2])))
        print(f"{'same' if same else 'DIFFERENT'}  seeded {name}: {len(g[2]):,} bytes, HTTP {g[0]}, "
              f"{ids} instance and volume ids (times normalized)")
        if not same:
            print(f"  moto:    {e[0]} {e[2][:600]!r}")
            print(f"  swapped: {g[0]} {g[2][:600]!r}")
    return failures

if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        sys.exit(self_test())
    install()
    from moto.server import main

    sys.exit(main(sys.argv[1:]))
