"""AWS clients: one per service and settings, in the configured region, made on first use and
forgotten on ``config.reset()``. Connections time out in 2 s and reads in 5 s unless a caller says
otherwise, and the SDK retries a few times only: the queues and the callers do the real retrying."""

from __future__ import annotations

import functools
from typing import Any

from backchannel.core.config import get_config, on_reset


def client(
    service: str,
    *,
    read_timeout: int = 5,
    retries: int = 3,
    endpoint_url: str | None = None,
    **settings: Any,
) -> Any:
    """The ``service`` client; ``retries`` is the SDK's retries after the first attempt, ``settings``
    more of botocore's ``Config`` (``signature_version``, say)."""
    return _client(service, read_timeout, retries, endpoint_url, tuple(sorted(settings.items())))


@functools.cache
def _client(service: str, read_timeout: int, retries: int, endpoint_url: str | None, settings: tuple) -> Any:
    import boto3  # on first use: a function that never calls AWS does not pay for it at cold start
    from botocore.config import Config

    return boto3.client(
        service,
        region_name=get_config().region,
        endpoint_url=endpoint_url,
        config=Config(
            connect_timeout=2,
            read_timeout=read_timeout,
            retries={"mode": "standard", "max_attempts": retries},
            **dict(settings),
        ),
    )


on_reset(_client.cache_clear)
