"""Keynote burst: does any partition key take more than ~1,000 writes a second?

Replays a keynote through the real key functions of the data layer (``capture/dynamo.py``'s
``_post_item``, ``questions/dynamo.py``'s ``_partitions``, ``resources/dynamo.py``'s ``ranked_pk`` and
``resource_pk``, ``live/connections.py``'s tick keys and ``topic_shard_key``), without DynamoDB: 10,000 posts a second for 60
seconds (Poisson arrivals), ~5,000 attendees posting with a Zipf-like skew, 80 % of posts in the keynote
session, the rest spread over four parallel sessions or none; 10 % of posts carry one of 200 links
(Zipf: the slides are the most shared); 20 questions and 400 votes a second in the keynote session;
10,000 sockets subscribing in the first 30 s; the live ticks' parts (one per worker batch of 10). For
every second it counts writes per partition key of the table and of each index (an update that moves an
item's index sort key is a delete and a put there: two writes), and reports the peak against DynamoDB's
limit of about 1,000 writes a second per partition key (posts are at most ~1 KB, one write unit each).

Then the read side, on moto: the cost of one merged feed page (queries and items read) for a sharded
event beside the same page from a single partition.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import os
import random

from benchmarks.common import (
    RESULTS_DIR,
    ROOT,
    add_json_option,
    finish,
    machine,
    use_project_paths,
    write_report,
)
from tests.support.offline import offline_aws_env

LIMIT_PER_KEY = 1000


def _ulid(ms: int, rng: random.Random) -> str:
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

    def enc(value: int, length: int) -> str:
        out = []
        for _ in range(length):
            value, rem = divmod(value, 32)
            out.append(alphabet[rem])
        return "".join(reversed(out))

    return enc(ms, 10) + enc(rng.getrandbits(80), 16)


WHERE = ("table", "gsi1", "gsi2", "topic index")


class Writes:
    """Writes per partition key per simulated second, on the table and on each index, by path."""

    def __init__(self) -> None:
        self.peaks = {where: collections.Counter() for where in WHERE}
        self.path_peaks: dict[tuple[str, str], tuple[int, str]] = {}
        self.second: collections.Counter = collections.Counter()

    def start(self) -> None:
        self.second = collections.Counter()

    def add(self, where: str, key: str, path: str, n: int = 1) -> None:
        self.second[(where, path, key)] += n

    def end(self) -> None:
        per_key: collections.Counter = collections.Counter()
        for (where, path, key), count in self.second.items():
            per_key[(where, key)] += count
            best = self.path_peaks.get((where, path), (0, ""))
            if count > best[0]:
                self.path_peaks[(where, path)] = (count, key)
        for (where, key), count in per_key.items():
            self.peaks[where][key] = max(self.peaks[where][key], count)


def simulate(
    rate: int,
    seconds: int,
    shards: int,
    seed: int = 26,
    *,
    link_share: float = 0.10,
    questions_per_s: int = 20,
    votes_per_s: int = 400,
    viewers: int = 10_000,
    join_seconds: int = 30,
    batch: int = 10,
) -> dict:
    """One keynote, second by second, through the data layer's own key functions: posts (the table
    and both feed indexes), the links they share (resource items and the ranked index), questions and
    votes (the session's ranking), viewers joining (connections and the ``topic`` index) and the live
    ticks' parts. Returns the peak writes in one second per partition key, by where and by path."""
    from backchannel.capture.dynamo import event_feed_key, feed_shard, session_feed_key
    from backchannel.live.connections import PART_SHARDS, _tick_pk, topic_shard_key
    from backchannel.questions.dynamo import _partitions
    from backchannel.resources.dynamo import ranked_pk, resource_pk

    rng = random.Random(seed)
    authors = [f"member-{n}" for n in range(5000)]
    weights = list(itertools.accumulate(1 / (n + 1) ** 0.8 for n in range(len(authors))))
    links = [f"res-{n}" for n in range(200)]
    link_weights = list(itertools.accumulate(1 / (n + 1) for n in range(len(links))))
    sessions = ["keynote"] * 16 + ["s1", "s2", "s3", "s4"]
    start_ms = 1_900_000_000_000
    writes = Writes()
    sharers: set[tuple[str, str, str]] = set()
    resources: set[tuple[str, str]] = set()
    questions: list[str] = []
    joined = 0
    totals = collections.Counter()
    for second in range(seconds):
        writes.start()
        n = max(0, int(rng.gauss(rate, rate**0.5)))  # Poisson, by its normal approximation
        topics = collections.Counter()
        for _ in range(n):
            ms = start_ms + second * 1000 + rng.randrange(1000)
            author = rng.choices(authors, cum_weights=weights)[0]
            session_id = rng.choice([*sessions, None]) if rng.random() < 0.95 else None
            post_id = _ulid(ms, rng)
            shard = feed_shard(post_id, shards)  # as _post_item places it
            writes.add("table", f"POST#{post_id}", "post")
            writes.add("gsi1", event_feed_key("KEYNOTE-EVENT", shard), "event feed")
            if session_id:
                writes.add("gsi2", session_feed_key(session_id, shard), "session feed")
            totals["posts"] += 1
            topics["event#KEYNOTE-EVENT"] += 1
            if session_id:
                topics[f"session#{session_id}"] += 1
            if rng.random() < link_share:  # a link: one share per scope (resources/dynamo.py _add_once)
                link = rng.choices(links, cum_weights=link_weights)[0]
                scopes = ["event/KEYNOTE-EVENT"] + ([f"session/{session_id}"] if session_id else [])
                for scope in scopes:
                    pk = resource_pk(scope, link)
                    writes.add("table", f"RESSRC#post#{post_id}", "resource share")
                    writes.add("table", pk, "resource sharer")
                    if (scope, link, author) in sharers:
                        continue  # a known sharer: its count goes up, the ranking stays
                    sharers.add((scope, link, author))
                    writes.add("table", pk, "resource (shares)")
                    new = (scope, link) not in resources
                    resources.add((scope, link))
                    # the rank sort key changes: a delete and a put in the index (one for a new item)
                    writes.add("gsi1", ranked_pk(scope, link), "resources ranking", 1 if new else 2)
                    totals["resource shares"] += 1
        for _ in range(questions_per_s):  # asked and approved in the keynote session
            question_id = _ulid(start_ms + second * 1000, rng)
            questions.append(question_id)
            top, listed = _partitions("keynote", "approved", "x", question_id)
            writes.add("table", f"QUESTION#{question_id}", "question")
            writes.add("gsi1", top, "question ranking")
            writes.add("gsi2", listed, "question list")
        q_weights = list(itertools.accumulate(1 / (k + 1) for k in range(len(questions))))
        newest_first = questions[::-1]
        for _ in range(votes_per_s if questions else 0):
            question_id = rng.choices(newest_first, cum_weights=q_weights)[0]  # the newest draw the most
            top, _ = _partitions("keynote", "approved", "x", question_id)
            writes.add("table", f"QUESTION#{question_id}", "vote (vote item + count)", 2)
            writes.add("gsi1", top, "question ranking", 2)  # the votes sort key moves
            totals["votes"] += 1
        arriving = min(viewers - joined, int(viewers / join_seconds)) if second < join_seconds else 0
        for k in range(arriving):  # connect, subscribe (put + refresh)
            connection_id = f"conn-{joined + k}"
            writes.add("table", f"CONN#{connection_id}", "connection", 3)
            topic = "event#KEYNOTE-EVENT" if k % 2 else "session#keynote"
            writes.add("topic index", topic_shard_key(topic, connection_id), "subscriptions", 2)
        joined += arriving
        for topic, count in topics.items():  # live ticks: a part per worker batch; 1-s slots, 4 keys each
            slot = _tick_pk(topic, start_ms + (second + 1) * 1000)
            for _ in range(-(-count // batch)):
                writes.add("table", f"{slot}#{rng.randrange(PART_SHARDS)}", "tick parts")
        writes.end()
    return {
        "posts": totals["posts"],
        "totals": totals,
        "peaks": {w: c.most_common(3) for w, c in writes.peaks.items()},
        "paths": writes.path_peaks,
    }


def feed_page_cost(shards: int, posts: int = 400, limit: int = 25) -> dict:
    """Queries and items read for the first and a middle page of a feed with ``shards`` shards."""
    offline_aws_env()
    import botocore.session
    from moto import mock_aws

    from local.provision import provision

    counted = {"queries": 0, "items": 0}

    def after_query(parsed=None, **_):
        counted["queries"] += 1
        counted["items"] += int((parsed or {}).get("Count", 0))

    original = botocore.session.Session.create_client

    def create_client(self, service_name, *args, **kwargs):
        client = original(self, service_name, *args, **kwargs)
        if service_name == "dynamodb":
            client.meta.events.register("after-call.dynamodb.Query", after_query)
        return client

    botocore.session.Session.create_client = create_client
    try:
        with mock_aws():
            stack = provision(str(ROOT / "template.yaml"))
            os.environ["DATA_TABLE_NAME"] = stack.physical_id("DataTable")
            from backchannel.capture.dynamo import DynamoCaptureRepo
            from backchannel.capture.model import Post
            from backchannel.core import config
            from backchannel.core.ids import new_ulid

            config.reset()
            store = DynamoCaptureRepo()
            for n in range(posts):
                store.put_post(
                    Post(
                        id=new_ulid(),
                        event_id="E",
                        author_id="m",
                        author_name="m",
                        text=f"p{n}",
                        created_at="",
                        seq=new_ulid(),
                    ),
                    shards,
                )
            counted.update(queries=0, items=0)
            _, cursor = store.event_posts("E", shards, limit, None)
            first = dict(counted)
            counted.update(queries=0, items=0)
            store.event_posts("E", shards, limit, cursor)
            return {"first": first, "next": dict(counted)}
    finally:
        botocore.session.Session.create_client = original


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks keynote")
    parser.add_argument("--rate", type=int, default=10_000, help="posts a second")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--shards", type=int, default=16, help="the event's feedShards (1..32)")
    parser.add_argument("--votes", type=int, default=400, help="votes a second on the keynote's questions")
    parser.add_argument("--viewers", type=int, default=10_000, help="sockets joining in the first 30 s")
    parser.add_argument("--no-reads", action="store_true", help="skip the feed page cost on moto")
    add_json_option(parser)
    args = parser.parse_args(argv)
    use_project_paths()

    result = simulate(args.rate, args.seconds, args.shards, votes_per_s=args.votes, viewers=args.viewers)
    single = simulate(args.rate, 3, 4, votes_per_s=args.votes, viewers=args.viewers)
    totals = result["totals"]
    lines = [
        "# Keynote burst",
        "",
        f"Machine: {machine()}.",
        f"{result['posts']:,} posts over {args.seconds} s (target {args.rate:,}/s), feedShards = {args.shards}; "
        f"{totals['resource shares']:,} new resource sharers (10 % of posts carry a link), "
        f"{totals['votes']:,} votes ({args.votes}/s) and 20 questions/s in the keynote session, "
        f"{args.viewers:,} sockets joining in the first 30 s, live ticks' parts (batches of 10).",
        "",
        "| where | hottest partition keys (peak writes in one second) | peak | limit | verdict |",
        "|---|---|---:|---:|---|",
    ]
    status = 0
    peaks = {}
    for where, top in result["peaks"].items():
        peak = top[0][1] if top else 0
        peaks[where] = peak
        verdict = "PASS" if peak <= LIMIT_PER_KEY else "FAIL"
        status |= peak > LIMIT_PER_KEY
        keys = ", ".join(f"`{k}` {v}" for k, v in top)
        lines.append(f"| {where} | {keys} | {peak} | {LIMIT_PER_KEY} | {verdict} |")
    lines += [
        "",
        "By path (the hottest key each path writes, peak writes in one second):",
        "",
        "| where | path | hottest key | peak |",
        "|---|---|---|---:|",
    ]
    for (where, path), (peak, key) in sorted(result["paths"].items()):
        lines.append(f"| {where} | {path} | `{key}` | {peak} |")
    four = single["paths"][("gsi1", "event feed")]
    lines += [
        "",
        f"For comparison, the default feedShards = 4: the event's feed key peaks at {four[0]:,} writes in "
        "one second, over the limit: a keynote of this size is created with `feedShards` 16 (about 750 "
        "posts a second a shard; it may only grow).",
    ]
    if not args.no_reads:
        lines += [
            "",
            "## One feed page (25 posts) from 400 posts, on moto",
            "",
            "| feed | first page: queries | items read | next page: queries | items read |",
            "|---|---:|---:|---:|---:|",
        ]
        for shards in (1, args.shards):
            cost = feed_page_cost(shards)
            lines.append(
                f"| {shards} shard(s) | {cost['first']['queries']} | {cost['first']['items']} | "
                f"{cost['next']['queries']} | {cost['next']['items']} |"
            )
        lines += [
            "",
            "A merged page reads `limit + 1` items from every shard that still has any: the price of "
            "spreading writes is N queries a page (N times `limit + 1` items at most).",
        ]
    write_report("\n".join(lines), RESULTS_DIR / "keynote.md")
    figures = {f"peak_writes_{w.replace(' ', '_')}": p for w, p in peaks.items()}
    finish(
        {
            "benchmark": "keynote",
            "rate": args.rate,
            "seconds": args.seconds,
            "feed_shards": args.shards,
            "posts": result["posts"],
            **figures,
            "budget_writes_per_key_s": LIMIT_PER_KEY,
            "pass": not status,
        },
        as_json=args.json,
    )
    return status
