"""Post-to-screen latency on the local stack.

The whole local runtime (moto, gateway, pumps, WebSocket gateway) runs in this process; Debian's
Chromium shows the page for remote members on the demo event. For each of N posts (default 200) the
clock starts just before the HTTP POST and stops when the post is in the page's feed: the path is
API → DynamoDB → stream → router → EventBridge → rule → SQS → push worker → WebSocket → page (or the
page's polling when the socket is down). Reports p50, p95 and max, and how the page was updated.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from benchmarks.common import RESULTS_DIR, machine, use_project_paths, write_report


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks latency")
    parser.add_argument("--posts", type=int, default=200)
    args = parser.parse_args(argv)
    use_project_paths()
    from local.chromium import chromium_context, missing, open_event_page

    if reason := missing():
        print(f"latency: {reason}: run `make browser`", file=sys.stderr)
        return 1
    from local.user import create_user
    from tests.support.runtime import http, local_runtime

    with local_runtime(demo=True) as (runtime, base_url):
        event_id = runtime.demo_result["event_id"]
        token = create_user(runtime.outputs, "latency_bench")["token"]
        with chromium_context() as context:
            page = context.new_page()
            mode = open_event_page(page, base_url, event_id)
            latencies: list[float] = []
            missed = 0
            posts = f"{base_url}/events/{event_id}/posts"
            for n in range(args.posts):
                start = time.perf_counter()
                reply = http("POST", posts, token=token, json_body={"text": f"latency probe {n}"})
                if reply.status != 201:
                    raise RuntimeError(f"latency: the post was refused: {reply.status} {reply.body[:200]!r}")
                post_id = reply.json["id"]
                item = page.locator(f'#feed [data-post-id="{post_id}"]')
                until = time.monotonic() + 10
                while item.count() == 0 and time.monotonic() < until:
                    time.sleep(0.005)
                if item.count() == 0:
                    missed += 1
                    continue
                latencies.append((time.perf_counter() - start) * 1000)

    lines = [
        "# Post-to-screen latency (local stack)",
        "",
        f"Machine: {machine()}; Chromium headless; the page updated by: {mode}.",
        "",
        "| posts | shown | p50 ms | p95 ms | max ms |",
        "|---:|---:|---:|---:|---:|",
        f"| {args.posts} | {len(latencies)} | {statistics.median(latencies):.0f} | "
        f"{_percentile(latencies, 0.95):.0f} | {max(latencies):.0f} |"
        if latencies
        else f"| {args.posts} | 0 | - | - | - |",
        "",
        "The local pumps poll the stream and the queues every 0.2 s, so most of the time is waiting for a "
        "poll; AWS's stream and SQS pollers are of the same order.",
    ]
    write_report("\n".join(lines), RESULTS_DIR / "latency.md")
    return 1 if missed else 0
