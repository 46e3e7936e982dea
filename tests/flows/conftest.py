from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def stack():
    """The whole local runtime (moto server, gateway, pumps) on free ports, with the demo seeded."""
    from tests.support.runtime import local_runtime

    with local_runtime(demo=True) as (runtime, base_url):
        runtime.pumps.drain(timeout=120)  # the demo's work done (its collection too): tests start quiet
        yield runtime, base_url
