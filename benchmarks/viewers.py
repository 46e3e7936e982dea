"""Viewers at scale: one keynote, 10,000 open sockets on one topic, 3,000 posts a second, 60 s.

A model in simulated time, built from the live package's own pieces: ``backchannel.live.ticks`` cuts
the slots, makes each worker's part, merges a slot's parts and writes the ``posts`` message;
``fanout.deliver`` sends it through a stubbed ``post_to_connection`` that counts every call (and
answers 410 for the connections that went away); the slot's claim/part/close follow the connections
table's semantics (an in-memory copy of ``DynamoConnectionsRepo``'s tick items).

What is modelled, and the figures assumed (change them with the options):

- posts arrive as a Poisson stream, each on one of ``--stream-shards`` stream shards, readable there
  after a delay drawn uniformly from ``--stream-ms`` (write -> stream record: an estimate, see the
  README's hop-by-hop table);
- the push worker's own subscription polls each shard 4 times a second (its own phase per shard) and
  hands it what it read in batches of up to 100 (the template's ``BatchSize``), 20 ms after the poll;
- a claimant closes its slot at its end; closing, reading the parts and the shown posts take 30 ms;
- the tick is sent as the live package splits it (``fanout.chunked``, ``--chunk`` connections): the
  claimant sends the first chunk itself, the others go through the live chunks queue (``--queue-ms``
  until an invocation has one) to at most ``--fanout-workers`` parallel invocations (the template's
  ``MaximumConcurrency``), one chunk each; every invocation sends over ``--threads`` threads, each call
  taking ``--call-ms``, under API Gateway's account-level throttle as a token bucket: ``--api-rps``
  (default 10,000 requests a second) with a burst of ``--api-burst`` (default 5,000);
- ``--gone`` of the sockets went away without a ``$disconnect``: their first call answers 410 and they
  are deleted after the others were sent to.
- blocks hide: posts come from ``--authors`` members; ``--blocking`` of the viewers each blocked one of
  them, so the claimant splits every tick's audience with ``fanout.audiences`` (one Query per author
  of the tick, counted, made in parallel: ``--query-ms`` once; the split's CPU time, measured, also
  delays the sends).

Figures: messages per connection per second (peak over every connection and second), every post
shown or counted in a "more" marker whose cursor returns it (a counted post lies below the oldest shown
one, where the feed cursor resumes), and post -> last viewer's message (p50, p95, max).
"""

from __future__ import annotations

import argparse
import collections
import heapq
import random
import statistics
import time

from benchmarks.common import RESULTS_DIR, add_json_option, finish, machine, use_project_paths, write_report

BUDGET_PER_CONNECTION_S = 4
BUDGET_P95_S = 2.0
POLL_S = 0.25  # Lambda polls a stream shard 4 times a second (published; see the README)
STREAM_BATCH = 100  # the push worker's BatchSize on the stream


class Slots:
    """The tick items of the connections table, as ``DynamoConnectionsRepo`` keeps them."""

    def __init__(self) -> None:
        self.slots: dict[int, dict] = {}
        self.interval: float | None = None
        self.part_writes: collections.Counter = collections.Counter()  # (second, part shard) -> writes

    def add(self, end_ms: int, part, at_s: float, rng: random.Random) -> bool:
        slot = self.slots.setdefault(end_ms, {"claimed": False, "closed": False, "parts": []})
        if slot["closed"]:
            return False
        slot["parts"].append(part)
        self.part_writes[(int(at_s), rng.randrange(4))] += 1
        return True

    def claim(self, end_ms: int) -> bool:
        slot = self.slots[end_ms]
        claimed, slot["claimed"] = slot["claimed"], True
        return not claimed

    def close(self, end_ms: int) -> list:
        slot = self.slots[end_ms]
        slot["closed"] = True
        return slot["parts"]


class CountingSender:
    """The stubbed ``post_to_connection``: counts calls per connection, remembers their order; a gone
    connection answers 410 (False)."""

    def __init__(self, gone: set[str]) -> None:
        self.gone = gone
        self.calls: list[str] = []

    def send(self, connection_id: str, message: dict) -> bool:
        self.calls.append(connection_id)
        return connection_id not in self.gone


class Bucket:
    """API Gateway's throttle: ``rate`` tokens a second, at most ``burst`` saved."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst, self.tokens, self.at = rate, burst, burst, 0.0

    def take(self, t: float) -> float:
        """The time the call wanting to go at ``t`` actually goes."""
        t = max(t, self.at)
        self.tokens = min(self.burst, self.tokens + (t - self.at) * self.rate)
        self.at = t
        if self.tokens < 1:
            wait = (1 - self.tokens) / self.rate
            self.at = t = t + wait
            self.tokens = 1
        self.tokens -= 1
        return t


def simulate(args: argparse.Namespace) -> dict:
    from backchannel.live import fanout, ticks
    from backchannel.live.model import PushOutcome, Subscription, TickPart, Topic

    rng = random.Random(args.seed)
    sample = args.sample
    topic = Topic("event", "KEYNOTE")
    viewers = [f"conn-{n}" for n in range(args.viewers)]
    gone = set(rng.sample(viewers, int(len(viewers) * args.gone)))
    alive = list(viewers)
    authors = [f"member-{n}" for n in range(args.authors)]
    blockers: dict[str, set[str]] = collections.defaultdict(set)  # author -> who blocked them
    member_of = {c: f"viewer-{c}" for c in viewers}
    brng = random.Random(args.seed + 1)  # its own draws: the rest of the model is as without blocks
    for c in brng.sample(viewers, int(len(viewers) * args.blocking)):
        blockers[brng.choice(authors)].add(member_of[c])
    queries = [0]

    def blockers_of(author: str) -> set[str]:
        queries[0] += 1
        return blockers.get(author, set())

    split_s: list[float] = []

    class Conns:  # what deliver() needs: forgetting a gone connection
        def delete_connection(self, connection_id: str) -> None:
            deleted.add(connection_id)

    deleted: set[str] = set()
    sender, slots = CountingSender(gone), Slots()
    bucket = Bucket(args.api_rps, args.api_burst)
    per_invocation = args.threads / (args.call_ms / 1000)  # calls a second one invocation makes
    workers_free = [0.0] * args.fanout_workers  # when each chunk invocation is free again

    # posts: (time written, seq, id); seq orders the feed as the ULIDs do
    posts, t, n = [], 0.0, 0
    while True:
        t += rng.expovariate(args.rate)
        if t >= args.seconds:
            break
        posts.append((t, f"{int(t * 1000):012d}{n:08d}", f"post-{n}"))
        n += 1
    author_of = {post_id: brng.choice(authors) for _, _, post_id in posts}
    written_at = {post_id: at for at, _, post_id in posts}
    seq_of = {post_id: seq for _, seq, post_id in posts}
    lo, hi = args.stream_ms
    phase = [rng.uniform(0, POLL_S) for _ in range(args.stream_shards)]
    by_poll: collections.defaultdict[tuple[int, float], list] = collections.defaultdict(list)
    for at, seq, post_id in posts:  # readable on its shard, then read by that shard's next poll
        shard = rng.randrange(args.stream_shards)
        readable = at + rng.uniform(lo, hi) / 1000
        polls = -(-(readable - phase[shard]) // POLL_S)
        by_poll[(shard, phase[shard] + polls * POLL_S)].append((readable, seq, post_id))

    # worker invocations: a poll's records in batches of 100; a claimant's close is scheduled at its end
    events: list[tuple[float, int, str, object]] = []
    k = 0
    for (_, polled_at), read in sorted(by_poll.items(), key=lambda item: item[0][1]):
        for start in range(0, len(read), STREAM_BATCH):
            k += 1
            heapq.heappush(events, (polled_at + 0.020, k, "batch", read[start : start + STREAM_BATCH]))
    delivered_to_last: dict[str, float] = {}
    per_conn_second: collections.Counter = collections.Counter()
    counted_ok, shown_total, counted_total, ticks_sent, calls_at = True, 0, 0, 0, []
    order = k + 1  # after the batches: the heap's tie-breaker
    slot_posts: collections.defaultdict[int, list[str]] = collections.defaultdict(list)
    while events:
        at, _, kind, payload = heapq.heappop(events)
        if kind == "batch":
            count, newest = ticks.part_of([{"id": i, "seq": s} for _, s, i in payload], sample)
            interval = slots.interval or args.min_interval
            end_ms = ticks.slot_end_ms(at, interval)
            part = TickPart(f"part-{order}", count, newest)
            while not slots.add(end_ms, part, at, rng):
                end_ms += round(interval * 1000)
            slot_posts[end_ms] += [i for _, _, i in payload]
            if slots.claim(end_ms):
                order += 1
                heapq.heappush(events, (max(at, end_ms / 1000), order, "close", end_ms))
            continue
        # the claimant: close, merge, read, send
        parts = slots.close(payload)
        slots.interval = ticks.interval_s(len(alive), min_interval_s=args.min_interval, rate=args.api_rps)
        shown, rest = ticks.merge([(p.count, p.newest) for p in parts], sample)
        bodies = [{"id": i, "author": {"id": author_of[i]}} for _, i in shown]
        followers = [Subscription(c, topic.key, "KEYNOTE", member_of[c], False, 0) for c in alive]
        began = time.perf_counter()
        groups = fanout.audiences(followers, bodies, fanout.Blocks(blockers_of))
        split_s.append(time.perf_counter() - began)
        shown_ids = {i for _, i in shown}
        oldest_shown = shown[-1][0]
        slot_ids = slot_posts.pop(payload)
        shown_total += len(shown_ids)
        counted_total += rest
        for post_id in slot_ids:
            if post_id not in shown_ids and seq_of[post_id] >= oldest_shown:
                counted_ok = False  # a counted post the marker's cursor would not return
        start = at + 0.030 + args.query_ms / 1000 + split_s[-1]
        # as fanout._tick splits it: the claimant's first chunk's worth, the rest in chunks of each group
        room, jobs = args.chunk, []  # (message, connections, sent by the claimant)
        for targets, shown_bodies in groups:
            message = ticks.message(topic, "KEYNOTE", shown_bodies, rest, shown[-1][0], shards=16)
            mine, beyond = targets[:room], targets[room:]
            room -= len(mine)
            jobs += [(message, mine, True)] if mine else []
            jobs += [(message, chunk, False) for chunk in fanout.chunked(beyond, args.chunk) if chunk]
        wanted = []  # (when the call would go, connection): the claimant's, then the queue's invocations
        claimant_at = start
        for message, chunk, own in jobs:
            if own:
                begins, claimant_at = claimant_at, claimant_at + len(chunk) / per_invocation
            else:  # one invocation of the chunks queue, on the first free worker
                free = min(range(len(workers_free)), key=workers_free.__getitem__)
                begins = max(start + args.queue_ms / 1000, workers_free[free])
                workers_free[free] = begins + len(chunk) / per_invocation
            sender.calls.clear()
            fanout.deliver(Conns(), sender, chunk, message, PushOutcome(), 1)
            wanted += [(begins + k / per_invocation, c) for k, c in enumerate(sender.calls)]
        last = start
        for desired, connection_id in sorted(wanted):
            go = bucket.take(desired)
            done = go + args.call_ms / 1000
            last = max(last, done)
            calls_at.append(go)
            if connection_id not in gone:
                per_conn_second[(connection_id, int(done))] += 1
        alive = [c for c in alive if c not in deleted]
        ticks_sent += 1
        for post_id in slot_ids:
            delivered_to_last[post_id] = last
    return {
        "posts": len(posts),
        "shown": shown_total,
        "counted": counted_total,
        "counted_ok": counted_ok,
        "delivered_to_last": delivered_to_last,
        "written_at": written_at,
        "per_conn_second": per_conn_second,
        "ticks": ticks_sent,
        "calls": len(calls_at),
        "calls_per_second": collections.Counter(int(c) for c in calls_at),
        "gone": len(gone),
        "deleted": len(deleted),
        "part_writes": slots.part_writes,
        "block_queries": queries[0],
        "split_ms_p95": sorted(split_s)[int(0.95 * (len(split_s) - 1))] * 1000,
        "split_ms_max": max(split_s) * 1000,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks viewers")
    parser.add_argument("--viewers", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=3000, help="posts a second")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument(
        "--sample", type=int, default=10, help="posts shown per tick (Config.live_tick_sample)"
    )
    parser.add_argument("--min-interval", type=float, default=0.25, help="Config.live_tick_min_interval_s")
    parser.add_argument(
        "--stream-ms", type=float, nargs=2, default=(50, 150), metavar=("MIN", "MAX"), help="write -> stream"
    )
    parser.add_argument("--stream-shards", type=int, default=8)
    parser.add_argument(
        "--chunk", type=int, default=500, help="connections an invocation sends to (LIVE_TICK_CHUNK)"
    )
    parser.add_argument("--queue-ms", type=float, default=40, help="live chunks queue -> an invocation")
    parser.add_argument("--api-rps", type=float, default=10_000, help="management API requests a second")
    parser.add_argument("--api-burst", type=float, default=5_000)
    parser.add_argument("--fanout-workers", type=int, default=20)
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--call-ms", type=float, default=25)
    parser.add_argument("--gone", type=float, default=0.02, help="share of sockets gone without $disconnect")
    parser.add_argument("--authors", type=int, default=2000, help="members who post")
    parser.add_argument("--blocking", type=float, default=0.05, help="share of viewers who blocked an author")
    parser.add_argument("--query-ms", type=float, default=10, help="one DynamoDB Query (the blockers index)")
    parser.add_argument("--seed", type=int, default=14)
    add_json_option(parser)
    args = parser.parse_args(argv)
    use_project_paths()
    result = simulate(args)
    return report(args, result)


def report(args: argparse.Namespace, r: dict) -> int:
    latencies = sorted(r["delivered_to_last"][p] - r["written_at"][p] for p in r["delivered_to_last"])
    p50 = statistics.median(latencies)
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    peak_conn = max(r["per_conn_second"].values())
    alive_seconds = (args.viewers - r["gone"]) * args.seconds
    mean_conn = sum(r["per_conn_second"].values()) / alive_seconds
    accounted = r["shown"] + r["counted"]
    every_post = accounted == r["posts"] and len(r["delivered_to_last"]) == r["posts"] and r["counted_ok"]
    peak_calls = max(r["calls_per_second"].values())
    peak_part_key = max(r["part_writes"].values())
    ok = peak_conn <= BUDGET_PER_CONNECTION_S and every_post and p95 <= BUDGET_P95_S
    lines = [
        "# Viewers at scale (model, simulated time)",
        "",
        f"Machine: {machine()}.",
        f"{args.viewers:,} sockets on one topic, {r['posts']:,} posts over {args.seconds} s "
        f"(target {args.rate:,.0f}/s); sample {args.sample} posts a tick; management API {args.api_rps:,.0f} "
        f"requests/s, burst {args.api_burst:,.0f}; the claimant and up to {args.fanout_workers} chunk "
        f"invocations ({args.chunk} connections each, {args.queue_ms:g} ms through the queue) x {args.threads} "
        f"threads at {args.call_ms:g} ms a call; write -> stream {args.stream_ms[0]:g}-{args.stream_ms[1]:g} ms, "
        f"{args.stream_shards} shards polled 4 times a second.",
        "",
        "| figure | value | budget | verdict |",
        "|---|---:|---:|---|",
        f"| messages per connection per second, peak | {peak_conn} | <= {BUDGET_PER_CONNECTION_S} | "
        f"{'PASS' if peak_conn <= BUDGET_PER_CONNECTION_S else 'FAIL'} |",
        f"| messages per connection per second, mean | {mean_conn:.2f} | | |",
        f"| posts shown + counted in a marker / posted | {accounted:,} / {r['posts']:,} | all | "
        f"{'PASS' if every_post else 'FAIL'} |",
        f"| post -> last viewer's message, p50 | {p50:.2f} s | | |",
        f"| post -> last viewer's message, p95 | {p95:.2f} s | <= {BUDGET_P95_S:g} s | "
        f"{'PASS' if p95 <= BUDGET_P95_S else 'FAIL'} |",
        f"| post -> last viewer's message, max | {latencies[-1]:.2f} s | | |",
        f"| ticks | {r['ticks']:,} | | |",
        f"| post_to_connection calls (peak a second) | {r['calls']:,} ({peak_calls:,}) | {args.api_rps:,.0f}/s | |",
        f"| gone sockets (410) deleted | {r['deleted']:,} of {r['gone']:,} | all | |",
        f"| tick parts, peak writes a second on one key | {peak_part_key} | 1,000 | |",
        f"| blocks hide: Queries per tick (who blocked an author) | {r['block_queries'] / r['ticks']:.1f} | | |",
        f"| blocks hide: splitting a tick's audience, p95 (max) | {r['split_ms_p95']:.1f} ms "
        f"({r['split_ms_max']:.1f} ms) | | |",
        "",
        f"Without ticks: {r['posts'] * args.viewers:,} calls ({args.rate * args.viewers:,.0f} a second).",
    ]
    write_report("\n".join(lines), RESULTS_DIR / "viewers.md")
    return finish(
        {
            "benchmark": "viewers",
            "viewers": args.viewers,
            "posts": r["posts"],
            "messages_per_connection_s_peak": peak_conn,
            "messages_per_connection_s_mean": round(mean_conn, 3),
            "posts_accounted": accounted,
            "p50_s": round(p50, 3),
            "p95_s": round(p95, 3),
            "max_s": round(latencies[-1], 3),
            "calls": r["calls"],
            "calls_per_s_peak": peak_calls,
            "block_queries_per_tick": round(r["block_queries"] / r["ticks"], 2),
            "split_ms_p95": round(r["split_ms_p95"], 2),
            "budget_messages_per_connection_s": BUDGET_PER_CONNECTION_S,
            "budget_p95_s": BUDGET_P95_S,
            "pass": ok,
        },
        as_json=args.json,
    )
