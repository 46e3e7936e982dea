"""Cold init per function, against a Powertools hello world, in fresh processes.

Each sample is a new ``python -I`` process whose ``sys.path`` is what Lambda gives the function: its
CodeUri, the layer, the standard library and site-packages (standing for the layer's requirements and
the runtime's boto3). It times importing the handler module plus creating the client its first
DynamoDB call needs. Targets run interleaved (one sample of each per round) so they share the
machine's noise. A function passes when its median is at most BUDGET times the baseline's.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import sysconfig
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, add_json_option, finish, rounded, write_report

HERE = Path(__file__).resolve().parent
PROBE = HERE / "probe.py"
RESULTS = HERE / "results" / "cold_init.md"
LAYERS = [ROOT / "layers" / "backchannel"]
BUDGET = 1.1
BASELINE = "baseline"

# What Lambda sets (fake credentials: creating a client touches no network).
LAMBDA_ENV = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "AKIDBENCHMARK",
    "AWS_SECRET_ACCESS_KEY": "benchmark",
    "AWS_SESSION_TOKEN": "benchmark",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
    "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "LANG": "en_US.UTF-8",
    "TZ": ":UTC",
}


@dataclass
class Target:
    name: str
    code_dir: Path
    module: str
    first_client: str
    env: dict[str, str]
    samples: list[dict[str, float]] = field(default_factory=list)

    def stat(self, key: str, fn) -> float:
        return fn([s[key] for s in self.samples])


def _placeholder(value: Any, name: str, parameters: dict[str, Any] | None = None) -> str:
    """An environment value with CloudFormation intrinsics replaced by a plausible string (a Ref to a
    template parameter becomes its default, so numeric settings stay numbers)."""
    if isinstance(value, str):
        return value
    ref = value.get("Ref") if isinstance(value, dict) else None
    if ref and ref in (parameters or {}) and "Default" in parameters[ref]:
        return str(parameters[ref]["Default"])
    return f"bench-{name.lower().replace('_', '-')}"


def _other_client(code_dir: Path) -> str:
    """The first client of a function that doesn't use the data layer (the bus publisher, so far)."""
    source = "\n".join(p.read_text() for p in code_dir.rglob("*.py"))
    return "eventbridge" if "backchannel.messaging" in source else "none"


def _imports_data_layer(code_dir: Path) -> bool:
    for path in code_dir.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n.startswith("backchannel.") and ".dynamo" in n for n in names):
                return True
    return False


def targets() -> list[Target]:
    sys.path[:0] = [str(ROOT), *map(str, LAYERS)]
    from backchannel_openapi.routes import functions, load_template

    template = load_template(ROOT / "template.yaml")
    globals_env = ((template.get("Globals") or {}).get("Function") or {}).get("Environment") or {}
    out = [
        Target(
            BASELINE,
            HERE / "baseline",
            "app",
            "boto3-dynamodb",
            {**LAMBDA_ENV, "AWS_LAMBDA_FUNCTION_NAME": "baseline", "POWERTOOLS_SERVICE_NAME": "baseline"},
        )
    ]
    for fn in functions(template):
        variables = {**(globals_env.get("Variables") or {})}
        variables.update(((fn.properties.get("Environment") or {}).get("Variables")) or {})
        env = {k: _placeholder(v, k, template.get("Parameters")) for k, v in variables.items()}
        handler = str(fn.properties.get("Handler", "app.lambda_handler")).rsplit(".", 1)[0]
        kind = "pynamodb" if _imports_data_layer(fn.code_dir) else _other_client(fn.code_dir)
        out.append(
            Target(
                fn.logical_id,
                fn.code_dir,
                handler,
                kind,
                {**LAMBDA_ENV, "AWS_LAMBDA_FUNCTION_NAME": fn.logical_id, **env},
            )
        )
    return out


def _command(target: Target, *flags: str) -> list[str]:
    site = sysconfig.get_paths()["purelib"]
    layers = json.dumps([str(p) for p in LAYERS])
    return [
        sys.executable,
        "-I",
        *flags,
        str(PROBE),
        str(target.code_dir),
        layers,
        site,
        target.module,
        target.first_client,
    ]


def sample(target: Target) -> dict[str, float]:
    env = {**target.env, "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    result = subprocess.run(
        _command(target), env=env, cwd=HERE, capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"{target.name}: the probe failed\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def import_costs(target: Target) -> dict[str, float]:
    """Self import time (ms) per top-level package, from ``python -X importtime``."""
    env = {**target.env, "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    result = subprocess.run(
        _command(target, "-X", "importtime"), env=env, cwd=HERE, capture_output=True, text=True, check=False
    )
    costs: dict[str, float] = defaultdict(float)
    for line in result.stderr.splitlines():
        found = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if found:
            costs[found.group(4).split(".")[0]] += int(found.group(1)) / 1000
    return dict(costs)


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * 9 // 10) - 1)]


def machine() -> str:
    return (
        f"`{platform.machine()}`, {os.cpu_count()} CPUs (nproc), Python {platform.python_version()} "
        f"({sys.executable}), {platform.system()} {platform.release()}"
    )


def figures(items: list[Target]) -> dict[str, Any]:
    """The run's figures for ``--json``: each function's medians and ratio, the budget, the verdict."""
    base = next(t for t in items if t.name == BASELINE)
    base_median = base.stat("total_ms", statistics.median)
    functions = {}
    for t in items:
        if t is base:
            continue
        median = t.stat("total_ms", statistics.median)
        functions[t.name] = {
            "import_ms": rounded(t.stat("import_ms", statistics.median)),
            "cold_init_ms": rounded(median),
            "p90_ms": rounded(t.stat("total_ms", p90)),
            "ratio": rounded(median / base_median, 3),
            "pass": median / base_median <= BUDGET,
        }
    return {
        "benchmark": "cold-init",
        "runs": len(base.samples),
        "baseline_ms": rounded(base_median),
        "budget_ratio": BUDGET,
        "worst_ratio": max((f["ratio"] for f in functions.values()), default=0.0),
        "functions": functions,
        "pass": all(f["pass"] for f in functions.values()),
    }


def report(items: list[Target], runs: int) -> tuple[str, bool]:
    base = next(t for t in items if t.name == BASELINE)
    base_median = base.stat("total_ms", statistics.median)
    lines = [
        "# Cold init per function",
        "",
        f"Machine: {machine()}. {runs} fresh processes per target, interleaved; after one warm-up each.",
        f"Cold init = import of the handler module + its first AWS client. Budget: {BUDGET}x the baseline.",
        "",
        "| target | import ms (median) | first client ms (median) | cold init ms (median) | p90 ms "
        "| ratio to baseline | verdict |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    ok = True
    for t in items:
        median = t.stat("total_ms", statistics.median)
        ratio = median / base_median
        if t is base:
            verdict = "baseline"
        else:
            passed = ratio <= BUDGET
            ok &= passed
            verdict = "PASS" if passed else "FAIL"
        lines.append(
            f"| {t.name} | {t.stat('import_ms', statistics.median):.1f} "
            f"| {t.stat('client_ms', statistics.median):.1f} | {median:.1f} "
            f"| {t.stat('total_ms', p90):.1f} | {ratio:.2f}x | {verdict} |"
        )
    return "\n".join(lines) + "\n", ok


def explain(items: list[Target]) -> str:
    """For each function: which top-level packages it imports beyond the baseline, and their cost."""
    base = import_costs(next(t for t in items if t.name == BASELINE))
    out = ["", "## Imports beyond the baseline (self time, one `-X importtime` run)", ""]
    for t in items:
        if t.name == BASELINE:
            continue
        costs = import_costs(t)
        extra = sorted(((ms - base.get(pkg, 0.0), pkg) for pkg, ms in costs.items()), reverse=True)
        shown = [f"{pkg} {ms:+.1f} ms" for ms, pkg in extra if ms >= 1.0][:12]
        out.append(f"- **{t.name}**: " + (", ".join(shown) or "nothing over 1 ms"))
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="fresh processes per target (default 15)")
    parser.add_argument("--only", action="append", default=[], help="a function's logical id (repeatable)")
    parser.add_argument("--no-explain", action="store_true", help="skip the -X importtime breakdown")
    add_json_option(parser)
    args = parser.parse_args(argv)

    items = [t for t in targets() if not args.only or t.name in args.only or t.name == BASELINE]
    for t in items:
        sample(t)  # warm-up: bytecode caches written, files in the page cache
    for _ in range(args.runs):
        for t in items:
            t.samples.append(sample(t))
    text, _ = report(items, args.runs)
    if not args.no_explain:
        text += explain(items)
    write_report(text, RESULTS)
    return finish(figures(items), as_json=args.json)
