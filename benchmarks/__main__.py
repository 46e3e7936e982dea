"""``python -m benchmarks``: run every benchmark (today: cold init per function)."""

from __future__ import annotations

import sys

from benchmarks.cold_init import main

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
