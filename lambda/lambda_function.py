"""ddb-architect's benchmark handler.

Deployed by `ddb-architect deploy` as the Lambda function DynamoDBBenchmark, and run unchanged
as a local process by `ddb-architect bench --runner process`. Standard library and boto3's
low-level client only: both are in every Python Lambda runtime.

Actions (the event's "action"):
  ping   Describe the tables named in "tables": proves the role, Region and tables line up.
  bench  Run one shard of a workload made by ddb-architect: load the items (single PutItem
         calls, no batching), then run the write patterns, then the read patterns, each
         open-loop at its target rate. Returns a versioned JSON result with mergeable
         latency histograms.

Why open-loop: every call has an intended start time on a fixed schedule, and latency is
measured from that time, not from when a thread got round to it. A stall then shows up in
the numbers of every call it delayed, instead of hiding itself (coordinated omission). A call
ends when its response has arrived, before boto3 parses it.
"""

import datetime
import decimal
import heapq
import json
import math
import os
import random
import signal
import sys
import threading
import time

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

RESULT_FORMAT = "ddb-architect/bench-result"
RESULT_VERSION = 1
WORKLOAD_FORMAT = "ddb-architect/workload"
MASK = (1 << 64) - 1
ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
THROTTLE_CODES = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
}
# Synthetic timestamps fall in the 90 days from 2026-01-01T00:00:00Z.
EPOCH_BASE = 1_767_225_600
EPOCH_SPAN = 90 * 86_400


# Set when the run must stop early: SIGTERM or Ctrl-C in a local process (ddb-architect sends
# SIGTERM when its person presses Ctrl-C), or the process that started this one is gone. The
# calls already sent finish; the result then reports what was measured, marked partial.
_interrupt = threading.Event()
_interrupt_reason = {"why": "interrupted"}


def _on_signal(signum, _frame):
    _interrupt_reason["why"] = "interrupted"
    _interrupt.set()


def _watch_parent(parent):
    # A worker must not outlive the tool that started it (killed, crashed): once our parent
    # changes, nobody will read our result, so no further request is worth sending and no call
    # in flight is worth waiting for. A thread stuck on a slow answer must not keep the process
    # alive either, so leave at once rather than winding down.
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(1)


def _parent_to_watch():
    # The tool names itself: a parent that died while this process was still starting (Python
    # and boto3 take seconds to load on a busy machine) has already been replaced by the time
    # we could ask, and watching the replacement would never notice anything.
    named = os.environ.get("DDB_ARCHITECT_PARENT_PID", "")
    return int(named) if named.isdigit() else os.getppid()


# When each thread's last response arrived, stamped by botocore's before-parse event.
_arrival = threading.local()


def _stamp_arrival(**_):
    # A call ends when its response is in. Turning the body into Python objects is this
    # client's own CPU work: after a stall, dozens of answers arrive at once and queue for the
    # interpreter lock to be parsed, which would add the client's backlog to the service's.
    _arrival.t = time.perf_counter()


# Throttled attempts of the current call on this thread, including those a retry absorbed:
# the SDK's retries hide them from the call's outcome, and a run that was throttled must say so.
_attempts = threading.local()


def _count_attempt(response=None, **_):
    if response is None:
        return None
    code = ((response[1] or {}).get("Error") or {}).get("Code")
    if code in THROTTLE_CODES:
        _attempts.throttled = getattr(_attempts, "throttled", 0) + 1
    return None


def _client(threads):
    # AWS_ENDPOINT_URL_DYNAMODB points a local run at the emulator; on Lambda it is unset.
    endpoint = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or None
    config = Config(
        retries={"max_attempts": 3, "mode": "standard"},
        max_pool_connections=max(10, threads + 4),
    )
    client = boto3.client("dynamodb", endpoint_url=endpoint, config=config)
    client.meta.events.register("before-parse.dynamodb", _stamp_arrival)
    client.meta.events.register("needs-retry.dynamodb", _count_attempt)
    return client


# --- Synthetic items: the same algorithm as ddb-architect's Rust generator (a test compares
# --- the two item by item), so reads find what writes wrote and children find their parents.


class Rng:
    """SplitMix64: fully specified, so a seed gives the same items everywhere."""

    def __init__(self, seed):
        self.state = seed & MASK

    def next_u64(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n):
        return 0 if n == 0 else self.next_u64() % n


def fnv(parts):
    h = 0xCBF29CE484222325
    for p in parts:
        for b in p:
            h ^= b
            h = (h * 0x100000001B3) & MASK
        h ^= 0xFF
        h = (h * 0x100000001B3) & MASK
    return h


def le64(n):
    return (n & MASK).to_bytes(8, "little")


def _text(rng, n):
    return "".join(ALNUM[rng.below(36)] for _ in range(n))


def _digits(rng, size):
    count = 2 * (min(max(size, 2), 20) - 1)
    out = []
    for i in range(count):
        d = 1 + rng.below(9) if i == 0 or i + 1 == count else rng.below(10)
        out.append(chr(48 + d))
    return "".join(out)


def _number(rng, size, example):
    if size <= 1:
        return "0"
    d = _digits(rng, size)
    decimals = 0
    if example and "." in example:
        decimals = min(len(example.split(".", 1)[1]), max(len(d) - 1, 0))
    decimals += decimals % 2
    if decimals == 0 or decimals >= len(d):
        return d
    return d[: len(d) - decimals] + "." + d[len(d) - decimals :]


def _iso_like(ex):
    return (
        len(ex) == 20 and ex[4] == "-" and ex[7] == "-" and ex[10] == "T"
        and ex[13] == ":" and ex[16] == ":" and ex[19] == "Z"
    )


def iso8601(secs):
    return datetime.datetime.fromtimestamp(secs, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _value(rng, a):
    size, ty, ex = a["bytes"], a["type"], a.get("example")
    if ty == "S":
        if ex and _iso_like(ex) and size == 20:
            return {"S": iso8601(EPOCH_BASE + rng.below(EPOCH_SPAN))}
        return {"S": _text(rng, size)}
    if ty == "N":
        if ex and len(ex) == 10 and ex.isdigit() and size == 6:
            t = EPOCH_BASE + rng.below(EPOCH_SPAN)
            if t % 10 == 0:
                t += 1
            return {"N": str(t)}
        return {"N": _number(rng, size, ex)}
    if ty == "B":
        return {"B": bytes(rng.below(256) for _ in range(size))}
    if ty == "BOOL":
        return {"BOOL": rng.below(2) == 1}
    if ty == "NULL":
        return {"NULL": True}
    if ty == "L":
        return {"L": [{"S": _text(rng, size - 4)}]} if size >= 4 else {"L": []}
    if ty == "M":
        return {"M": {"v": {"S": _text(rng, size - 5)}}} if size >= 5 else {"M": {}}
    if ty == "SS":
        return {"SS": [_text(rng, max(size, 1))]}
    if ty == "NS":
        return {"NS": [_number(rng, size, None)]}
    if ty == "BS":
        return {"BS": [bytes(rng.below(256) for _ in range(max(size, 1)))]}
    raise ValueError(f"unknown attribute type {ty}")


def id_value(a, index):
    ty = a["type"]
    if ty == "N":
        width = max(2 * (min(max(a["bytes"], 2), 20)) - 2 - 2, 0)
        return {"N": "1" + str(index).zfill(width) + "1"}
    if ty == "B":
        b = list(index.to_bytes(8, "big"))
        filler = Rng(fnv([a["name"].encode()]))
        while len(b) < max(a["bytes"], 8):
            b.insert(0, filler.below(256))
        return {"B": bytes(b)}
    n, code = index, []
    while True:
        code.append(ALNUM[n % 36])
        n //= 36
        if n == 0:
            break
    while len(code) < 8:
        code.append("a")
    code = "".join(reversed(code))
    want = max(a["bytes"], len(code))
    filler = Rng(fnv([a["name"].encode(), le64(index)]))
    return {"S": _text(filler, want - len(code)) + code}


GOLDEN = 0x9E3779B97F4A7C15


def make_item(seed, entity, index, every=False):
    """Item number `index` of an entity of the workload. `every` keeps the attributes a sparse
    recipe would leave out and draws values without their cycle: the fresh values an update
    sets."""
    rng = Rng(seed ^ fnv([entity["name"].encode(), le64(index)]))
    remaining = index
    spread = (index * GOLDEN) & MASK
    item = {}
    for spec in entity["plan"]:
        a, role = spec["attribute"], spec["role"]
        cycle = None if every else spec.get("cycle")
        if role == "id":
            v = id_value(a, index)
        elif role == "value":
            if cycle:
                # One of `cycle` values, each the same wherever it appears.
                v = _value(Rng(seed ^ fnv([a["name"].encode(), le64(index % cycle)])), a)
            else:
                v = _value(rng, a)
        elif role == "join":
            p = spec["parent"]
            pick = remaining % p["count"]
            remaining //= p["count"]
            v = id_value(p["attribute"], pick)
        elif role == "ref":
            p = spec["parent"]
            if spec.get("cycle"):
                v = id_value(p["attribute"], index % spec["cycle"])
            else:
                v = id_value(p["attribute"], fnv([le64(index), a["name"].encode()]) % p["count"])
        else:
            raise ValueError(f"unknown role {role}")
        below = spec.get("present_below")
        if every or below is None or spread < below:
            item[a["name"]] = v
    return item


def _order(ty, v):
    """A key value as DynamoDB orders it: numbers by value, strings by UTF-8 bytes."""
    if ty == "N":
        return decimal.Decimal(v["N"])
    if ty == "B":
        return bytes(v["B"])
    return v["S"].encode("utf-8")


def sort_key_condition(sk, value, other=None):
    """The sort-key part of a Query's key condition, built around `value`, the sort key of an
    item drawn from the written data: eq, le, ge, between and begins_with always find that
    item, lt and gt read the items beside it (a page before or after one the reader has)."""
    ty, cond = sk["type"], sk["condition"]
    ops = {"eq": "=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
    if cond in ops:
        return f"#sk {ops[cond]} :sk", {":sk": value}
    if cond == "between":
        lo, hi = value, other if other is not None else value
        if _order(ty, hi) < _order(ty, lo):
            lo, hi = hi, lo
        return "#sk BETWEEN :skFrom AND :skTo", {":skFrom": lo, ":skTo": hi}
    if cond == "begins_with":
        # Half the value, at least one character: for an ISO-8601 time that is the date.
        key = "B" if ty == "B" else "S"
        whole = value[key]
        return "begins_with(#sk, :skPrefix)", {":skPrefix": {key: whole[: max(1, len(whole) // 2)]}}
    raise ValueError(f"unknown sort-key condition {cond}")


# --- Histograms: log-linear buckets, exact below 256 us and within 1/128 (< 0.8 %) above,
# --- sparse, so shards merge by adding counts.


def bucket_of(us):
    if us < 256:
        return us
    e = us.bit_length() - 8
    return (e << 7) + (us >> e)


def bucket_range(b):
    """The microseconds bucket b covers, lowest and highest."""
    if b < 256:
        return b, b
    e = (b >> 7) - 1
    m = b - (e << 7)
    return m << e, ((m + 1) << e) - 1


class Histogram:
    def __init__(self):
        self.counts = {}

    def record(self, us):
        b = bucket_of(max(0, int(us)))
        self.counts[b] = self.counts.get(b, 0) + 1

    def to_json(self):
        return {"unit": "us", "scheme": "log128", "buckets": sorted(self.counts.items())}


class PatternStats:
    def __init__(self, pid, phase, api, target_rps):
        self.id, self.phase, self.api, self.target_rps = pid, phase, api, target_rps
        self.count = 0
        self.warmup_calls = 0
        self.warmup_errors = 0
        self.unsent = 0
        self.errors = {}
        self.throttles = 0
        self.retries = 0
        self.items = 0
        self.table_units = 0.0
        self.index_units = {}
        self.latency = Histogram()
        self.service = Histogram()
        self.first = None
        self.last = None
        self.lock = threading.Lock()

    def add(self, intended, started, ended, response, error_code, retries, throttled=0):
        with self.lock:
            self.count += 1
            self.retries += retries
            # Every throttled attempt counts, the ones a retry absorbed too; a final throttle
            # that no attempt hook saw counts once.
            self.throttles += throttled
            if error_code in THROTTLE_CODES and throttled == 0:
                self.throttles += 1
            self.latency.record((ended - intended) * 1e6)
            self.service.record((ended - started) * 1e6)
            self.first = intended if self.first is None else min(self.first, intended)
            self.last = ended if self.last is None else max(self.last, ended)
            if error_code is not None:
                self.errors[error_code] = self.errors.get(error_code, 0) + 1
                return
            # One entry for a single-item call; a transaction answers with one per table.
            cc = response.get("ConsumedCapacity") or {}
            for entry in cc if isinstance(cc, list) else [cc]:
                self.table_units += (entry.get("Table") or {}).get("CapacityUnits", 0.0)
                for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
                    for name, cap in (entry.get(kind) or {}).items():
                        self.index_units[name] = self.index_units.get(name, 0.0) + cap.get("CapacityUnits", 0.0)
            if "Items" in response:
                self.items += len(response["Items"])
            elif "Item" in response:
                self.items += 1
            elif "Responses" in response:
                self.items += sum(1 for r in response["Responses"] if r.get("Item"))

    def to_json(self):
        seconds = (self.last - self.first) if self.first is not None and self.last is not None else 0.0
        return {
            "id": self.id,
            "phase": self.phase,
            "api": self.api,
            "target_rps": self.target_rps,
            "measured_seconds": round(seconds, 6),
            "count": self.count,
            "warmup_calls": self.warmup_calls,
            "warmup_errors": self.warmup_errors,
            "unsent": self.unsent,
            "errors": self.errors,
            "throttles": self.throttles,
            "retries": self.retries,
            "items": self.items,
            "capacity": {"table": self.table_units, "indexes": self.index_units},
            "latency_us": self.latency.to_json(),
            "service_us": self.service.to_json(),
        }


# --- The run.


class Deadline:
    def __init__(self, event, context):
        self.start = time.monotonic()
        self.margin = float(event.get("margin_s", 15.0))
        self.context = context
        self.limit = event.get("deadline_s")

    def remaining(self):
        if self.context is not None and hasattr(self.context, "get_remaining_time_in_millis"):
            return self.context.get_remaining_time_in_millis() / 1000.0
        if self.limit is not None:
            return float(self.limit) - (time.monotonic() - self.start)
        return math.inf

    def near(self):
        return self.remaining() < self.margin


def _progress(**fields):
    sys.stderr.write(json.dumps({"progress": fields}) + "\n")
    sys.stderr.flush()


class Run:
    def __init__(self, w, context):
        self.w = w
        self.seed = int(w["seed"])
        self.shard = w["shard"]["index"]
        self.shards = w["shard"]["count"]
        self.threads = int(w.get("threads", 16))
        self.client = _client(self.threads)
        self.deadline = Deadline(w, context)
        self.entities = {e["name"]: e for e in w["entities"]}
        self.stats = []
        self.stopped = None
        self.dist = w.get("key_distribution", "uniform")
        self.rng = random.Random(self.seed * 1_000_003 + self.shard)
        self.rng_lock = threading.Lock()
        self.counters = {}
        self.origins = {}

    def stop(self, reason):
        if self.stopped is None:
            self.stopped = reason

    def call(self, api, **kwargs):
        """One DynamoDB call; returns (response, error code, retries, throttled attempts, when
        it ended): the moment the last attempt's response arrived, or now when none did."""
        kwargs["ReturnConsumedCapacity"] = "INDEXES"
        _arrival.t = None
        _attempts.throttled = 0
        try:
            r = getattr(self.client, api)(**kwargs)
            out = r, None, r.get("ResponseMetadata", {}).get("RetryAttempts", 0)
        except ClientError as e:
            meta = e.response.get("ResponseMetadata", {})
            out = {}, e.response.get("Error", {}).get("Code", "ClientError"), meta.get("RetryAttempts", 0)
        except BotoCoreError as e:
            out = {}, type(e).__name__, 0
        now = time.perf_counter()
        arrived = _arrival.t if _arrival.t is not None else now
        return out + (getattr(_attempts, "throttled", 0), min(arrived, now))

    # Load phase: every item of every entity, single PutItem calls, all threads busy.
    def load(self):
        jobs = []
        for e in self.w["entities"]:
            total = int(e["count"]) + int(e.get("reserve", 0))
            s = PatternStats(f"load:{e['name']}", "load", "PutItem", None)
            self.stats.append(s)
            jobs.append((e, total, s))
        total_items = sum(t for _, t, _ in jobs)
        lock = threading.Lock()
        cursor = {"job": 0, "next": self.shard}
        done = {"n": 0}

        def take():
            with lock:
                while cursor["job"] < len(jobs):
                    e, total, s = jobs[cursor["job"]]
                    i = cursor["next"]
                    if i < total:
                        cursor["next"] += self.shards
                        return e, i, s
                    cursor["job"] += 1
                    cursor["next"] = self.shard
                return None

        def worker():
            for e, i, s in self._jobs(take):
                item = make_item(self.seed, e, i)
                t0 = time.perf_counter()
                r, code, retries, throttled, t1 = self.call("put_item", TableName=e["table"], Item=item)
                s.add(t0, t0, t1, r, code, retries, throttled)
                with lock:
                    done["n"] += 1

        self._pool(worker, lambda: _progress(phase="load", done=done["n"], total=total_items // max(self.shards, 1)))

    def _jobs(self, take):
        """A worker's jobs from `take` until it has none, the run is stopped, or the deadline is
        near (which stops the run)."""
        while self.stopped is None:
            if _interrupt.is_set():
                self.stop(_interrupt_reason["why"])
                return
            if self.deadline.near():
                self.stop("deadline")
                return
            job = take()
            if job is None:
                return
            yield job

    def _pool(self, worker, report):
        threads = [threading.Thread(target=worker, daemon=True) for _ in range(self.threads)]
        for t in threads:
            t.start()
        # Report about once a second until every worker is done.
        while True:
            alive = [t for t in threads if t.is_alive()]
            if not alive:
                break
            alive[0].join(timeout=1.0)
            report()
        report()

    def pick_index(self, count):
        with self.rng_lock:
            if self.dist == "zipf":
                # Inverse transform of a 1/x density on [1, count+1]: a few keys get most calls.
                x = (count + 1) ** self.rng.random()
                return min(max(int(x) - 1, 0), count - 1)
            return self.rng.randrange(count)

    def next_fresh(self, pid, base):
        with self.rng_lock:
            k = self.counters.get(pid, 0)
            self.counters[pid] = k + 1
        return base + k * self.shards + self.shard

    def request(self, p):
        """The call of one operation of pattern p: (api method, kwargs). A transactional pattern
        sends its one item as a transaction, which DynamoDB bills at twice the table's units."""
        method, kw = self._request(p)
        if not p.get("transactional"):
            return method, kw
        if method == "get_item":
            kw.pop("ConsistentRead", None)  # a transaction always reads the committed item
            return "transact_get_items", {"TransactItems": [{"Get": kw}]}
        action = {"put_item": "Put", "update_item": "Update", "delete_item": "Delete"}.get(method)
        if action is None:
            raise ValueError(f"{p['id']}: a {p['api']} has no transactional form")
        return "transact_write_items", {"TransactItems": [{action: kw}]}

    def _request(self, p):
        e = self.entities[p["entity"]]
        count = int(e["count"])
        table_keys = e["keys"]
        api = p["api"]
        if api == "PutItem":
            i = self.next_fresh(p["id"], int(p["fresh_from"]))
            return "put_item", {"TableName": p["table"], "Item": make_item(self.seed, e, i)}
        if api == "DeleteItem":
            i = self.next_fresh(p["id"], count)
            item = make_item(self.seed, e, i)
            return "delete_item", {"TableName": p["table"], "Key": {k: item[k] for k in table_keys}}
        item = make_item(self.seed, e, self.pick_index(max(count, 1)))
        # A Query of a sparse index looks up a value that items carry: draw again until the
        # item has one (its share of items is above zero, and the draws are spread evenly).
        # A multi-attribute partition key is matched on every one of its attributes.
        pk_names = [p["pk"]] + list(p.get("more_pk") or [])
        tries = 0
        while api == "Query" and any(k not in item for k in pk_names):
            tries += 1
            if tries > 10_000:
                raise ValueError(f"{p['id']}: no item carries {p['pk']}")
            item = make_item(self.seed, e, self.pick_index(max(count, 1)))
        if api == "GetItem":
            return "get_item", {
                "TableName": p["table"],
                "Key": {k: item[k] for k in table_keys},
                "ConsistentRead": p["consistency"] == "strong",
            }
        if api == "UpdateItem":
            # A new value on every call: the same value twice would be a no-op update that
            # skips its index writes and under-counts their cost.
            fresh = make_item(self.seed, e, self.next_fresh(p["id"] + ":update", 20_000_000), every=True)
            names, values, sets = {}, {}, []
            for n, a in enumerate(p["updates"]):
                names[f"#a{n}"] = a
                values[f":v{n}"] = fresh[a]
                sets.append(f"#a{n} = :v{n}")
            return "update_item", {
                "TableName": p["table"],
                "Key": {k: item[k] for k in table_keys},
                "UpdateExpression": "SET " + ", ".join(sets),
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        if api == "Query":
            kw = {
                "TableName": p["table"],
                "KeyConditionExpression": " AND ".join(f"#pk{i} = :pk{i}" for i in range(len(pk_names))),
                "ExpressionAttributeNames": {f"#pk{i}": k for i, k in enumerate(pk_names)},
                "ExpressionAttributeValues": {f":pk{i}": item[k] for i, k in enumerate(pk_names)},
                "ConsistentRead": p["consistency"] == "strong",
            }
            sk = p.get("sort_key")
            if sk and sk["name"] in item:
                other = None
                if sk["condition"] == "between":
                    other = make_item(self.seed, e, self.pick_index(max(count, 1))).get(sk["name"])
                condition, values = sort_key_condition(sk, item[sk["name"]], other)
                kw["KeyConditionExpression"] += " AND " + condition
                kw["ExpressionAttributeNames"]["#sk"] = sk["name"]
                kw["ExpressionAttributeValues"].update(values)
            if p.get("index"):
                kw["IndexName"] = p["index"]
            if p.get("items_per_query"):
                kw["Limit"] = int(p["items_per_query"])
            if p.get("scan_index_forward") is not None:
                kw["ScanIndexForward"] = bool(p["scan_index_forward"])
            return "query", kw
        raise ValueError(f"unsupported operation {api}")

    # Open-loop phase: every pattern on its own schedule, latency from the intended start.
    def open_loop(self, phase, patterns):
        if not patterns:
            return
        warmup = float(self.w.get("warmup_s", 0))
        duration = float(self.w["duration_s"])
        end = warmup + duration
        stats = {}
        heap = []
        for p in patterns:
            rate = float(p["rate"])
            if rate <= 0:
                continue
            stats[p["id"]] = PatternStats(p["id"], phase, p["api"], rate * self.shards)
            self.stats.append(stats[p["id"]])
            # Shards start a fraction of an interval apart so their calls interleave.
            first = (self.shard / self.shards) / rate
            heapq.heappush(heap, (first, 0, p["id"], p))
        lock = threading.Lock()
        # The schedule's origin, also on the wall clock, so the calls' intended times can be
        # lined up with anything else on this machine (the self-test's stall schedule, logs).
        t0 = time.perf_counter()
        self.origins[phase] = time.time() - (time.perf_counter() - t0)
        done = {"n": 0}
        # Calls still unsent this long after the phase's end are given up and counted: at a
        # rate the client cannot reach, the schedule would otherwise never finish.
        grace = float(self.w.get("grace_s", 5.0))
        taken = {pid: 0 for pid in stats}

        def take():
            with lock:
                if not heap or time.perf_counter() > t0 + end + grace:
                    return None
                at, k, pid, p = heapq.heappop(heap)
                taken[pid] += 1
                nxt = (k + 1) / float(p["rate"]) + (self.shard / self.shards) / float(p["rate"])
                if nxt < end:
                    heapq.heappush(heap, (nxt, k + 1, pid, p))
                return at, p

        def worker():
            for at, p in self._jobs(take):
                intended = t0 + at
                wait = intended - time.perf_counter()
                # A thread may hold a call planned seconds ahead; an interrupt must not wait
                # for it, nor send it. Short waits keep time.sleep's precision.
                if wait > 0.05 and _interrupt.wait(wait - 0.05):
                    self.stop(_interrupt_reason["why"])
                    return
                wait = intended - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                if _interrupt.is_set():
                    self.stop(_interrupt_reason["why"])
                    return
                method, kw = self.request(p)
                started = time.perf_counter()
                r, code, retries, throttled, ended = self.call(method, **kw)
                s = stats[p["id"]]
                if at >= warmup:
                    s.add(intended, started, ended, r, code, retries, throttled)
                else:
                    with s.lock:
                        s.warmup_calls += 1
                        s.warmup_errors += 0 if code is None else 1
                with lock:
                    done["n"] += 1

        self._pool(worker, lambda: _progress(phase=phase, done=done["n"], elapsed_s=round(time.perf_counter() - t0, 1)))
        for p in patterns:
            if p["id"] in stats:
                rate = float(p["rate"])
                offset = (self.shard / self.shards) / rate
                planned = max(0, math.ceil((end - offset) * rate))
                stats[p["id"]].unsent = max(0, planned - taken[p["id"]])

    def run(self):
        started = time.time()
        phases = []
        for name, fn in (
            ("load", self.load),
            ("write", lambda: self.open_loop("write", [p for p in self.w["patterns"] if p["api"] in ("PutItem", "UpdateItem", "DeleteItem")])),
            ("read", lambda: self.open_loop("read", [p for p in self.w["patterns"] if p["api"] in ("GetItem", "Query")])),
        ):
            if self.stopped is not None:
                break
            p0 = time.perf_counter()
            fn()
            entry = {"name": name, "seconds": round(time.perf_counter() - p0, 3)}
            if name in self.origins:
                entry["origin_unix_s"] = round(self.origins[name], 6)
            phases.append(entry)
        return {
            "format": RESULT_FORMAT,
            "version": RESULT_VERSION,
            "run_id": self.w.get("run_id"),
            "shard": self.w["shard"],
            "partial": self.stopped is not None,
            "stop_reason": self.stopped,
            "started_at": int(started),
            "phases": phases,
            "patterns": [s.to_json() for s in self.stats],
        }


def _ping(event, context):
    tables = event.get("tables")
    if not isinstance(tables, list) or not all(isinstance(t, str) for t in tables):
        return {"ok": False, "error": "event.tables must be a list of table names"}
    client = _client(1)
    results = []
    for name in tables:
        try:
            desc = client.describe_table(TableName=name)["Table"]
            results.append({"table": name, "status": desc["TableStatus"]})
        except ClientError as e:
            err = e.response.get("Error", {})
            results.append({"table": name, "error": f"{err.get('Code')}: {err.get('Message')}"})
        except BotoCoreError as e:
            results.append({"table": name, "error": str(e)})
    ok = all(r.get("status") == "ACTIVE" for r in results)
    return {"ok": ok, "region": client.meta.region_name, "tables": results}


def _bench(event, context):
    w = event.get("workload")
    if not isinstance(w, dict) or w.get("format") != WORKLOAD_FORMAT or w.get("version") != 1:
        return {"ok": False, "error": f"event.workload must be a {WORKLOAD_FORMAT} version 1 document"}
    if not isinstance(event.get("deadline_s"), (int, float, type(None))):
        return {"ok": False, "error": "event.deadline_s must be a number of seconds"}
    w = dict(w, deadline_s=event.get("deadline_s"), margin_s=event.get("margin_s", w.get("margin_s", 15.0)))
    result = Run(w, context).run()
    result["ok"] = True
    return result


def _baseline(event, context):
    """The usual way benchmarks are written, for comparison: `calls` GetItem calls from one
    thread in a loop, or from a pool of `threads`, each timed from its own start."""
    table, key = event["table"], event["key"]
    calls = int(event.get("calls", 0))
    until = time.perf_counter() + float(event["seconds"]) if event.get("seconds") else None
    threads = int(event.get("threads", 1)) if event.get("mode") == "pool" else 1
    client = _client(threads)
    hist = Histogram()
    lock = threading.Lock()
    left = {"n": calls}

    def worker():
        while True:
            with lock:
                if until is not None:
                    if time.perf_counter() >= until:
                        return
                elif left["n"] <= 0:
                    return
                left["n"] -= 1
            t0 = time.perf_counter()
            client.get_item(TableName=table, Key=key)
            t1 = time.perf_counter()
            with lock:
                hist.record((t1 - t0) * 1e6)

    start = time.perf_counter()
    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    seconds = time.perf_counter() - start
    made = sum(hist.counts.values())
    return {"ok": True, "calls": made, "seconds": seconds, "ops_per_s": made / seconds, "service_us": hist.to_json()}


ACTIONS = {"ping": _ping, "bench": _bench, "baseline": _baseline}


def lambda_handler(event, context):
    if not isinstance(event, dict):
        return {"ok": False, "error": "the event must be a JSON object"}
    action = event.get("action")
    handler = ACTIONS.get(action)
    if handler is None:
        return {"ok": False, "error": f"unknown action {action!r}; known: {sorted(ACTIONS)}"}
    try:
        return handler(event, context)
    except (KeyError, TypeError, ValueError) as e:
        return {"ok": False, "error": f"malformed {action} event: {type(e).__name__}: {e}"}


def _jsonable(o):
    if isinstance(o, (bytes, bytearray)):
        return {"$bytes": len(o)}
    raise TypeError(f"not JSON: {type(o).__name__}")


def main():
    """Run as a process: the event is read from standard input, the result written to standard
    output as one JSON document; progress goes to standard error as JSON lines."""
    if len(sys.argv) > 1 and sys.argv[1] == "--items":
        # Print items as the generator makes them, for the cross-language test.
        w = json.load(sys.stdin)
        out = {}
        for e in w["entities"]:
            out[e["name"]] = [make_item(int(w["seed"]), e, i) for i in range(int(sys.argv[2]))]
        print(json.dumps(out, default=lambda b: list(b) if isinstance(b, bytes) else str(b)))
        return 0
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    parent = _parent_to_watch()
    if os.getppid() != parent:
        return 1
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    try:
        event = json.load(sys.stdin)
    except json.JSONDecodeError as e:
        print(json.dumps({"ok": False, "error": f"the event is not JSON: {e}"}))
        return 2
    result = lambda_handler(event, None)
    print(json.dumps(result, default=_jsonable))
    return 0 if result.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
