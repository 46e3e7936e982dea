"""Fixtures for the pump tests: the fixture template provisioned on in-process moto, with the real
provisioner and the real in-process runtimes, and a few readers of what the functions left behind."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.local_pumps.support import STACK_NAME, TEMPLATE, FakeClock, Harness


@pytest.fixture
def stack():
    """The fixture template on a fresh in-process moto."""
    from moto import mock_aws

    from local.provision import provision

    with mock_aws():
        yield provision(TEMPLATE, stack_name=STACK_NAME)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2030, 3, 4, 8, 30, tzinfo=UTC))


@pytest.fixture
def runtimes(stack):
    from local.lambdas import FunctionRuntime

    return {logical_id: FunctionRuntime(spec) for logical_id, spec in stack.functions.items()}


@pytest.fixture
def harness(stack, runtimes, clock):
    """Pumps for every function, driven by the test (no thread) unless it calls ``start``."""
    from local.pumps import Pumps

    pumps = Pumps(stack, runtimes, poll_interval=0.05, clock=clock)
    yield Harness(stack, pumps)
    pumps.stop()
