"""What the benchmarks share: where the project is, how a report names the machine, and how a report is
printed and kept (``benchmarks/results``)."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "benchmarks" / "results"


def use_project_paths() -> None:
    """Put the repository and the shared layer first on ``sys.path``, as the functions see them."""
    sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "backchannel")]


def machine() -> str:
    """The machine a report was made on: architecture, CPUs and Python."""
    return f"`{platform.machine()}`, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def write_report(text: str, path: str | Path) -> Path:
    """Print a report and write it to ``path`` (its folder made if need be), ending in a newline."""
    path = Path(path)
    print(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    print(f"written to {path.resolve().relative_to(ROOT) if path.resolve().is_relative_to(ROOT) else path}")
    return path
