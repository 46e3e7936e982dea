"""Keynote burst: does any partition key take more than ~1,000 writes a second?

Replays a keynote through the real key functions of the data layer (``backchannel.data.capture``:
the same ``_post_item`` that the API writes with), without DynamoDB: 3,000 posts a second for 60
seconds (Poisson arrivals), ~2,500 attendees posting with a Zipf-like skew, 80 % of posts in the keynote
session, the rest spread over four parallel sessions or none. For every second it counts writes per
partition key of the table and of each index, and reports the peak against DynamoDB's limit of about
1,000 writes a second per partition key (posts are at most ~1 KB, so one write unit each).

Then the read side, on moto: the cost of one merged feed page (queries and items read) for a sharded
event beside the same page from a single partition.
"""

from __future__ import annotations

import argparse
import collections
import os
import random

from benchmarks.common import RESULTS_DIR, ROOT, machine, use_project_paths, write_report
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


def simulate(rate: int, seconds: int, shards: int, seed: int = 26) -> dict:
    from backchannel.capture.dynamo import _post_item
    from backchannel.capture.model import Post

    rng = random.Random(seed)
    authors = [f"member-{n}" for n in range(2500)]
    weights = [1 / (n + 1) ** 0.8 for n in range(len(authors))]
    sessions = ["keynote"] * 16 + ["s1", "s2", "s3", "s4"]
    start_ms = 1_900_000_000_000
    peaks = {"table": collections.Counter(), "gsi1": collections.Counter(), "gsi2": collections.Counter()}
    totals = 0
    for second in range(seconds):
        per_key = {
            "table": collections.Counter(),
            "gsi1": collections.Counter(),
            "gsi2": collections.Counter(),
        }
        n = max(0, int(rng.gauss(rate, rate**0.5)))  # Poisson, by its normal approximation
        for _ in range(n):
            ms = start_ms + second * 1000 + rng.randrange(1000)
            post = Post(
                id=_ulid(ms, rng),
                event_id="KEYNOTE-EVENT",
                author_id=rng.choices(authors, weights)[0],
                author_name="x",
                text="x" * 200,
                created_at="",
                seq=_ulid(ms, rng),
                session_id=rng.choice([*sessions, None]) if rng.random() < 0.95 else None,
            )
            item = _post_item(post, shards)
            per_key["table"][item.pk] += 1
            per_key["gsi1"][item.gsi1pk] += 1
            if item.gsi2pk:
                per_key["gsi2"][item.gsi2pk] += 1
            totals += 1
        for where, counter in per_key.items():
            for key, count in counter.items():
                peaks[where][key] = max(peaks[where][key], count)
    return {"posts": totals, "peaks": {w: c.most_common(3) for w, c in peaks.items()}}


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
    parser.add_argument("--rate", type=int, default=3000)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--shards", type=int, default=4, help="the event's feedShards (default as created)")
    args = parser.parse_args(argv)
    use_project_paths()

    result = simulate(args.rate, args.seconds, args.shards)
    single = simulate(args.rate, 5, 1)
    lines = [
        "# Keynote burst",
        "",
        f"Machine: {machine()}.",
        f"{result['posts']:,} posts over {args.seconds} s (target {args.rate:,}/s), feedShards = {args.shards}.",
        "",
        "| where | hottest partition keys (peak writes in one second) | peak | limit | verdict |",
        "|---|---|---:|---:|---|",
    ]
    status = 0
    for where, top in result["peaks"].items():
        peak = top[0][1] if top else 0
        verdict = "PASS" if peak <= LIMIT_PER_KEY else "FAIL"
        status |= peak > LIMIT_PER_KEY
        keys = ", ".join(f"`{k}` {v}" for k, v in top)
        lines.append(f"| {where} | {keys} | {peak} | {LIMIT_PER_KEY} | {verdict} |")
    one = single["peaks"]["gsi1"][0]
    lines += [
        "",
        f"For comparison, one partition (feedShards = 1): the event's index key peaks at {one[1]:,} writes "
        "in one second, over the limit: why the feed is sharded.",
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
        "A merged page reads `limit + 1` items from every shard that still has any: the price of spreading "
        "writes is N times the items read per page (N queries, run one after another here).",
    ]
    write_report("\n".join(lines), RESULTS_DIR / "keynote.md")
    return status
