"""What the benchmarks share: where the project is, how a report names the machine, how a report is
printed and kept (``benchmarks/results``), and ``--json``: every benchmark ends, when asked, with one
line holding a JSON object of its figures and budgets (:func:`add_json_option`, :func:`finish`)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "benchmarks" / "results"


def use_project_paths() -> None:
    """Put the repository and the shared layer first on ``sys.path``, as the functions see them."""
    sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "backchannel")]


def machine() -> str:
    """The machine a report was made on: architecture, CPUs, Python, and how loaded it was (the load
    average over 1, 5 and 15 minutes when the report was written: a shared machine's figures mean
    little without it)."""
    load = ", ".join(f"{n:.1f}" for n in load_average())
    return f"`{platform.machine()}`, {os.cpu_count()} CPUs, Python {platform.python_version()}, load average {load}"


def load_average() -> list[float]:
    """The load average over 1, 5 and 15 minutes (empty where the system does not tell)."""
    try:
        return [round(n, 2) for n in os.getloadavg()]
    except OSError:
        return []


def write_report(text: str, path: str | Path) -> Path:
    """Print a report and write it to ``path`` (its folder made if need be), ending in a newline."""
    path = Path(path)
    print(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    print(f"written to {path.resolve().relative_to(ROOT) if path.resolve().is_relative_to(ROOT) else path}")
    return path


# -- figures a machine can read (--json) ---------------------------------------------------------------
# Every benchmark's figures of this process, in the order they finished (``python -m benchmarks --json``
# prints them together at the end).
REPORTED: list[dict[str, Any]] = []


def add_json_option(parser: argparse.ArgumentParser) -> None:
    """``--json``: end the output with one line, a JSON object of the run's figures and budgets."""
    parser.add_argument(
        "--json",
        action="store_true",
        help="print, as the last line, one JSON object with the figures and budgets (for tracking)",
    )


def finish(figures: dict[str, Any], *, as_json: bool) -> int:
    """A benchmark's exit status from its figures (``{"benchmark": name, ..., "pass": bool}``), the
    figures printed as one JSON line when ``as_json`` (after the report, so it is the last line)."""
    if "benchmark" not in figures or not isinstance(figures.get("pass"), bool):
        raise ValueError("figures need a 'benchmark' name and a boolean 'pass'")
    figures.setdefault("load_average", load_average())  # at the end of the run: 1, 5, 15 minutes
    REPORTED.append(figures)
    if as_json:
        sys.stdout.flush()
        print(json.dumps(figures, default=_plain, allow_nan=False), flush=True)
    return 0 if figures["pass"] else 1


def _plain(value: Any) -> Any:
    """What ``json.dumps`` cannot write itself: sets become sorted lists, anything else its text."""
    if isinstance(value, set | frozenset):
        return sorted(value)
    return str(value)


def rounded(value: float, digits: int = 1) -> float:
    """A figure as JSON carries it: rounded, never NaN."""
    return round(float(value), digits)
