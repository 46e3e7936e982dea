"""Post-to-screen latency on the local stack.

The whole local runtime (moto, gateway, pumps, WebSocket gateway) runs in this process; Debian's
Chromium shows the page for remote members on the demo event. For each of N posts (default 200) the
clock starts just before the HTTP POST and stops when the post is in the page's feed: the path is
API → DynamoDB → stream → router → EventBridge → rule → SQS → push worker → WebSocket → page (or the
page's polling when the socket is down). Reports p50, p95 and max, and how the page was updated.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _post(base_url: str, event_id: str, token: str, text: str) -> str:
    request = urllib.request.Request(  # noqa: S310 - the local gateway
        f"{base_url}/events/{event_id}/posts",
        data=json.dumps({"text": text}).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as reply:  # noqa: S310 - the local gateway
        return json.loads(reply.read())["id"]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks latency")
    parser.add_argument("--posts", type=int, default=200)
    args = parser.parse_args(argv)
    sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "backchannel")]
    if not Path(CHROMIUM).is_file():
        print(f"latency: Chromium not found at {CHROMIUM}: run `make browser`", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    from local.runner import LocalRuntime
    from local.user import create_user

    state = tempfile.mkdtemp(prefix="backchannel-latency-")
    runtime = LocalRuntime(
        port=0, aws_port=0, demo=True, template_path=ROOT / "template.yaml", state_dir=state
    )
    runtime.start()
    profile = tempfile.mkdtemp(prefix="backchannel-chromium-")
    try:
        event_id = runtime.demo_result["event_id"]
        token = create_user(runtime.outputs, "latency_bench")["token"]
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            page = context.new_page()
            page.goto(f"{runtime.url}/web/#/events/{event_id}")
            page.wait_for_selector("#sessions li", timeout=15_000)
            deadline = time.monotonic() + 15
            while page.inner_text("#live-mode") == "off" and time.monotonic() < deadline:
                time.sleep(0.05)
            mode = page.inner_text("#live-mode")
            latencies: list[float] = []
            missed = 0
            for n in range(args.posts):
                start = time.perf_counter()
                post_id = _post(runtime.url, event_id, token, f"latency probe {n}")
                item = page.locator(f'#feed [data-post-id="{post_id}"]')
                until = time.monotonic() + 10
                while item.count() == 0 and time.monotonic() < until:
                    time.sleep(0.005)
                if item.count() == 0:
                    missed += 1
                    continue
                latencies.append((time.perf_counter() - start) * 1000)
            context.close()
    finally:
        runtime.stop()
        shutil.rmtree(profile, ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)

    lines = [
        "# Post-to-screen latency (local stack)",
        "",
        f"Machine: `{platform.machine()}`, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"Chromium headless; the page updated by: {mode}.",
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
    text = "\n".join(lines)
    print(text)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "latency.md").write_text(text + "\n")
    return 1 if missed else 0
