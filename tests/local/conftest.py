"""Fixtures for the local runtime's tests: a small template of our own, run on moto."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
TEMPLATE = FIXTURES / "template.yaml"


@pytest.fixture
def fixture_template() -> Path:
    return TEMPLATE


@pytest.fixture(scope="module")
def local_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The fixture template running on moto + gateway, on free ports, for one test module."""
    from local.runner import LocalRuntime

    runtime = LocalRuntime(
        port=0,
        aws_port=0,
        demo=False,
        template_path=TEMPLATE,
        state_dir=tmp_path_factory.mktemp("state"),
    )
    runtime.start()
    try:
        yield runtime
    finally:
        runtime.stop()


@pytest.fixture(scope="module")
def signed_in(local_runtime: Any) -> Callable[..., dict[str, Any]]:
    """Create-and-sign-in a user of the running pool (cached per name)."""
    from local.user import create_user

    cache: dict[tuple[str, bool], dict[str, Any]] = {}

    def sign_in(name: str = "alice", *, organiser: bool = False) -> dict[str, Any]:
        key = (name, organiser)
        if key not in cache:
            cache[key] = create_user(local_runtime.outputs, name, organiser=organiser)
        return cache[key]

    return sign_in
