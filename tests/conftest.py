"""Root fixtures. The environment is set before any project module is imported, so nothing can reach
real AWS; clients are created only after moto is active."""

from __future__ import annotations

from tests.support.offline import offline_aws_env, share_service_models

offline_aws_env(POWERTOOLS_METRICS_NAMESPACE="BackchannelTests", POWERTOOLS_LOG_LEVEL="WARNING")
share_service_models()

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"

from tests.support import iam  # noqa: E402

iam.enforce()  # each function's DynamoDB calls are checked against its grants in template.yaml


@pytest.fixture(autouse=True)
def _dynamodb_calls_iam_allows():
    """Fail a test whose code called DynamoDB beyond its function's grants (AWS would refuse it)."""
    iam.refusals.clear()
    yield
    assert not iam.refusals, "IAM would refuse on AWS:\n" + "\n".join(dict.fromkeys(iam.refusals))


@pytest.fixture
def aws():
    """A fresh moto account with every resource of template.yaml, built from the template itself."""
    from moto import mock_aws

    from local.provision import provision

    with mock_aws():
        yield provision(str(TEMPLATE), endpoint_url=None)


@pytest.fixture
def api(aws):
    """Call the API in-process, routed and authorised as API Gateway would, through the real handlers."""
    from tests.support.api import ApiClient

    client = ApiClient(aws)
    yield client
    client.close()


@pytest.fixture(autouse=True)
def _reset_powertools_metrics():
    yield
    from backchannel.core.observability import metrics

    metrics.clear_metrics()


@pytest.fixture(scope="module", autouse=True)
def _no_pump_thread_outlives_its_module(request):
    """A module that starts pumps (a local runtime) must stop them: a pump left running in this worker
    process keeps reading the queues and streams of the tests that come after it, in the same moto."""
    import sys
    import threading
    import time

    def shared_runtimes() -> dict:
        # Only a run that shares a runtime has imported its module (a unit run need not import local).
        return getattr(sys.modules.get("tests.support.runtime"), "SHARED", {})

    here = Path(request.module.__file__).parent
    outlived = [folder for folder in shared_runtimes().values() if not here.is_relative_to(folder)]
    assert not outlived, f"the runtime shared by {outlived[0]} outlived its package, into {here}"
    before = {t for t in threading.enumerate() if t.name == "local-pumps"}
    yield
    shared = {t for runtime in shared_runtimes() if runtime.pumps for t in runtime.pumps._threads}
    deadline = time.monotonic() + 15
    while True:
        left = [t for t in threading.enumerate() if t.name == "local-pumps" and t not in before | shared]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert not left, f"{request.module.__name__} left {len(left)} pump thread(s) running after its last test"
