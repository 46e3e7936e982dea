"""Contract: each handler imports the way Lambda loads it, from its CodeUri and the layer alone."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from backchannel_openapi.routes import LAYER_DIRS, ROOT, functions, load_template

FUNCTIONS = functions(load_template())
# Code that exists only in this repository, never in a deployed function or layer.
REPO_ONLY = {"functions", "local", "tests", "benchmarks", "backchannel_openapi"}

_PROBE = """
import importlib, json, sys
root, code, layers, site = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
stdlib = [p for p in sys.path if p and not p.startswith(root) and "-packages" not in p]
sys.path[:] = [code, *layers, *stdlib, site]
module = importlib.import_module(sys.argv[5])
handler = getattr(module, sys.argv[6], None)
assert callable(handler), f"no callable {sys.argv[6]} in {module.__file__}"
allowed = (code, *layers, site)
leaked = sorted(
    name for name, m in list(sys.modules.items())
    if (getattr(m, "__file__", None) or "").startswith(root)
    and not (getattr(m, "__file__", None) or "").startswith(allowed)
)
assert not leaked, f"imported from outside CodeUri and the layer: {leaked}"
print("ok")
"""


def lambda_env(fn) -> dict[str, str]:
    env = {
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_LAMBDA_FUNCTION_NAME": fn.logical_id,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    return env


@pytest.mark.parametrize("fn", FUNCTIONS, ids=[fn.logical_id for fn in FUNCTIONS])
def test_the_handler_imports_with_only_its_code_and_the_layer(fn, tmp_path):
    module, _, attr = str(fn.properties.get("Handler", "app.lambda_handler")).rpartition(".")
    site = sysconfig.get_paths()["purelib"]
    layers = [str(d) for d in LAYER_DIRS]
    result = subprocess.run(  # noqa: S603 - our own interpreter and probe
        [
            sys.executable,
            "-I",
            "-c",
            _PROBE,
            str(ROOT),
            str(fn.code_dir),
            json.dumps(layers),
            site,
            module,
            attr,
        ],
        cwd=tmp_path,
        env=lambda_env(fn),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-3000:]


def _imports(folder: Path):
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield path, node.lineno, alias.name
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                yield path, node.lineno, node.module


@pytest.mark.parametrize(
    "folder",
    [fn.code_dir for fn in FUNCTIONS] + list(LAYER_DIRS),
    ids=[fn.logical_id for fn in FUNCTIONS] + [d.name + "-layer" for d in LAYER_DIRS],
)
def test_deployed_code_imports_nothing_that_is_not_deployed(folder):
    bad = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path, line, name in _imports(folder)
        if name.split(".")[0] in REPO_ONLY
    ]
    assert not bad, "\n".join(bad)
