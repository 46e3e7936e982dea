"""``python -m benchmarks``: run every benchmark.

    python -m benchmarks                   all of them (options go to cold-init: --runs, --only, --no-explain)
    python -m benchmarks cold-init [...]   cold init only
    python -m benchmarks ddb-calls [...]   DynamoDB calls per API operation only
    python -m benchmarks keynote [...]     a keynote burst against the per-partition write limit
    python -m benchmarks latency [...]     post-to-screen latency on the local stack (Chromium)
    python -m benchmarks packs [...]       pack build time and peak memory against the floor
    python -m benchmarks circulation [...] fan-out to 10,000 followers; delivery worker's rate

The exit status is 1 when any benchmark that ran is over its budget.
"""

from __future__ import annotations

import sys


def cold_init(argv: list[str]) -> int:
    from benchmarks.cold_init import main

    return main(argv)


def ddb_calls(argv: list[str]) -> int:
    from benchmarks.ddb_calls import main

    return main(argv)


def keynote(argv: list[str]) -> int:
    from benchmarks.keynote import main

    return main(argv)


def latency(argv: list[str]) -> int:
    from benchmarks.latency import main

    return main(argv)


def packs(argv: list[str]) -> int:
    from benchmarks.packs import main

    return main(argv)


def circulation(argv: list[str]) -> int:
    from benchmarks.circulation import main

    return main(argv)


COMMANDS = {
    "cold-init": cold_init,
    "ddb-calls": ddb_calls,
    "keynote": keynote,
    "latency": latency,
    "packs": packs,
    "circulation": circulation,
}


def main(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help") and len(argv) == 1:
        print(__doc__)
        return 0
    if argv and argv[0] in COMMANDS:
        return COMMANDS[argv[0]](argv[1:])
    status = cold_init(argv)
    print()
    status = max(status, ddb_calls([]))
    print()
    status = max(status, keynote([]))
    print()
    status = max(status, packs([]))
    print()
    status = max(status, circulation([]))
    print()
    return max(status, latency([]))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
