"""``python -m benchmarks``: run every benchmark.

    python -m benchmarks                   all of them (options go to cold-init: --runs, --only, --no-explain)
    python -m benchmarks cold-init [...]   cold init only
    python -m benchmarks ddb-calls [...]   DynamoDB calls per API operation only
    python -m benchmarks keynote [...]     a keynote burst against the per-partition write limit
    python -m benchmarks latency [...]     post-to-screen latency on the local stack (Chromium)
    python -m benchmarks packs [...]       pack build time and peak memory against the floor
    python -m benchmarks circulation [...] fan-out to 10,000 followers; delivery worker's rate
    python -m benchmarks viewers [...]     10,000 sockets on one keynote, 3,000 posts/s: ticks (a model)

Every benchmark takes ``--json``: its output then ends with one line, a JSON object of its figures and
budgets (``{"benchmark": "latency", "p50_ms": ..., "budget_p95_ms": 500, "pass": true}``). A bare
``python -m benchmarks --json`` passes it to each and ends with ``{"benchmark": "all", "pass": ...,
"results": [every benchmark's object]}``.

The exit status is 1 when any benchmark that ran is over its budget.
"""

from __future__ import annotations

import importlib
import json
import sys

# command -> the module whose ``main(argv) -> exit status`` runs it (imported only when it runs)
COMMANDS = {
    "cold-init": "benchmarks.cold_init",
    "ddb-calls": "benchmarks.ddb_calls",
    "keynote": "benchmarks.keynote",
    "latency": "benchmarks.latency",
    "packs": "benchmarks.packs",
    "circulation": "benchmarks.circulation",
    "viewers": "benchmarks.viewers",
}
# what a bare ``python -m benchmarks`` runs, in this order (its options go to the first)
EVERYTHING = ["cold-init", "ddb-calls", "keynote", "viewers", "packs", "circulation", "latency"]


def run(command: str, argv: list[str]) -> int:
    return importlib.import_module(COMMANDS[command]).main(argv)


def main(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help") and len(argv) == 1:
        print(__doc__)
        return 0
    if argv and argv[0] in COMMANDS:
        return run(argv[0], argv[1:])
    as_json = "--json" in argv
    argv = [a for a in argv if a != "--json"]
    extra = ["--json"] if as_json else []
    status = 0
    for n, command in enumerate(EVERYTHING):
        if n:
            print()
        status = max(status, run(command, (argv if n == 0 else []) + extra))
    if as_json:
        from benchmarks.common import REPORTED

        print(json.dumps({"benchmark": "all", "pass": status == 0, "results": REPORTED}), flush=True)
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
