"""The environment the tests (tests/conftest.py) and every in-process benchmark set before any project
module or boto3 client exists: moto's fake credentials, no endpoint or profile of the machine's own, quiet
Powertools. Nothing can reach real AWS."""

from __future__ import annotations

import functools
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


def share_service_models() -> None:
    """Every botocore session reads the service models (JSON files of up to a few MB) through one
    loader, so they are parsed once per process instead of once per client.

    ``moto.mock_aws`` replaces boto3's default session on every start, and the functions create
    their clients afresh in every test: without this each test parses the DynamoDB, SQS, S3, KMS,
    EventBridge and Cognito models again. The loader only caches what it read from botocore's own
    data files, which never change while the tests run."""
    import botocore.loaders
    import botocore.session

    botocore.session.create_loader = functools.lru_cache(maxsize=None)(botocore.loaders.create_loader)
