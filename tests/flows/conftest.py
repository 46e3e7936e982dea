from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def stack():
    """The whole local runtime (moto server, gateway, pumps) on free ports, with the demo seeded."""
    from tests.support.runtime import local_runtime

    with local_runtime(demo=True) as (runtime, base_url):
        yield runtime, base_url
