"""The backchannel layer carries its requirements but not the AWS SDK: boto3 and botocore come from the
Lambda runtime (layers/backchannel/Makefile installs requirements.txt with ``--no-deps``).

So requirements.txt must name every package the layer needs, and what it leaves to the runtime must be
there in a version its dependents accept: the runtime's botocore must satisfy pynamodb.
"""

from __future__ import annotations

import re
from importlib.metadata import requires, version
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

LAYER = Path(__file__).resolve().parents[2] / "layers" / "backchannel"

# What the Lambda python3.12 runtime ships (AWS Lambda developer guide, "Lambda runtimes": the SDK
# version included, python3.12: boto3 1.34.145 / botocore 1.34.145 when last read, from memory; AWS
# updates it, never downwards). jmespath, urllib3, s3transfer and python-dateutil come with that SDK,
# but the layer pins its own jmespath and python-dateutil, which its packages need directly.
RUNTIME = {"boto3": "1.34.145", "botocore": "1.34.145", "s3transfer": "0.10.2", "urllib3": "1.26.19"}
# Lambda runs the layer on arm64 Linux, CPython 3.12 (template.yaml Globals).
LAMBDA = {
    **default_environment(),
    "python_version": "3.12",
    "python_full_version": "3.12.0",
    "platform_python_implementation": "CPython",
    "implementation_name": "cpython",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "aarch64",
}


def pinned() -> dict[str, str]:
    found = {}
    for line in (LAYER / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, pin = line.partition("==")
            assert pin, f"not pinned: {line}"
            found[canonicalize_name(name)] = pin
    return found


def dependencies(package: str) -> list[Requirement]:
    """What ``package`` (installed here at its pinned version) needs on Lambda, extras left out."""
    needed = []
    for text in requires(package) or []:
        requirement = Requirement(text)
        if requirement.marker is None or requirement.marker.evaluate({**LAMBDA, "extra": ""}):
            needed.append(requirement)
    return needed


def test_the_layer_is_built_without_dependencies_and_without_the_sdk(template):
    layer = template["Resources"]["BackchannelLayer"]
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    recipe = (LAYER / "Makefile").read_text()
    assert re.search(r"^build-BackchannelLayer:", recipe, re.M)
    assert "--no-deps" in recipe and "-r requirements.txt" in recipe
    assert not {"boto3", "botocore"} & set(pinned()), "the runtime ships the SDK"


def test_every_dependency_is_pinned_in_the_layer_or_shipped_by_the_runtime():
    layer = pinned()
    for package, pin in layer.items():
        assert version(package) == pin, f"{package}: the tests run {version(package)}, the layer pins {pin}"
    missing = []
    for package in layer:
        for need in dependencies(package):
            name = canonicalize_name(need.name)
            have = layer.get(name) or RUNTIME.get(name)
            if have is None or not need.specifier.contains(have, prereleases=True):
                missing.append(
                    f"{package} needs {need} (layer: {layer.get(name)}, runtime: {RUNTIME.get(name)})"
                )
    assert not missing, missing


def test_the_runtime_botocore_serves_pynamodb():
    [botocore] = [r for r in dependencies("pynamodb") if canonicalize_name(r.name) == "botocore"]
    assert botocore.specifier.contains(RUNTIME["botocore"]), botocore
