"""The environment the tests (tests/conftest.py) and every in-process benchmark set before any project
module or boto3 client exists: moto's fake credentials, no endpoint or profile of the machine's own, quiet
Powertools. Nothing can reach real AWS."""

from __future__ import annotations

import os


def offline_aws_env(**extra: str) -> None:
    """Set it; ``extra`` adds variables or overrides these."""
    for name in [
        n for n in os.environ if n.startswith("AWS_ENDPOINT_URL") or n in ("AWS_PROFILE", "AWS_SESSION_TOKEN")
    ]:
        del os.environ[name]
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_NAMESPACE": "BackchannelBench",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
        }
        | extra
    )
