"""The shared package keeps its house plan (docs/architecture.md): small modules, and no module reaching
into another's private names."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "layers" / "backchannel" / "backchannel"
MAX_LINES = 400


def _modules(*folders: Path) -> list[Path]:
    return sorted(p for folder in folders for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def test_no_module_of_the_shared_package_is_over_400_lines():
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in _modules(PACKAGE)
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"split these modules by what they own: {long}"


def test_no_module_imports_another_module_s_underscore_names():
    found = []
    for path in _modules(PACKAGE, ROOT / "functions"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("backchannel"):
                found += [
                    f"{path.relative_to(ROOT)}: {node.module}.{a.name}"
                    for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__")
                ]
    assert not found, f"a private name used elsewhere is a public one in hiding: {found}"


def test_every_feature_keeps_its_storage_behind_a_repo():
    """Only ``items``, ``dynamo`` and ``core.dynamo`` modules import PynamoDB (the data-access rooms)."""
    allowed = {"items.py", "dynamo.py", "connections.py"}  # live.connections: the connections table
    offenders = []
    for path in _modules(PACKAGE):
        in_room = path.name in allowed or "dynamo" in path.relative_to(PACKAGE).parts
        text = path.read_text(encoding="utf-8")
        if not in_room and ("from pynamodb" in text or "import pynamodb" in text):
            offenders.append(str(path.relative_to(PACKAGE)))
    assert not offenders, f"DynamoDB access outside the data rooms: {offenders}"
