"""Runs in a fresh ``python -I`` process: time a handler's import and its first AWS client.

argv: code dir, JSON list of layer dirs, site-packages dir, handler module, first-client kind.
Prints one JSON line: {"import_ms", "client_ms", "total_ms"}. Kept free of project imports, since
``sys.path`` is exactly what Lambda would give the function.
"""

import importlib
import json
import sys
import time


def first_client(kind: str) -> None:
    if kind == "pynamodb":
        # What the first request pays: the models bound to configuration, then PynamoDB's botocore
        # client (created lazily on the first call, which is where a real request would pay for it).
        from backchannel.core.dynamo.table import Item, bind

        bind()
        Item._get_connection().connection.client  # noqa: B018 - creating it is the point
    elif kind == "eventbridge":
        # The stream router's first call is PutEvents, through the publisher's lazily made client.
        from backchannel.messaging.bus import events_client

        events_client()
    elif kind == "boto3-dynamodb":
        import boto3

        boto3.client("dynamodb")
    elif kind != "none":
        raise SystemExit(f"unknown first-client kind {kind}")


def main() -> None:
    code, layers, site, module, kind = sys.argv[1:6]
    stdlib = [p for p in sys.path if p and "-packages" not in p and not p.startswith(code)]
    sys.path[:] = [code, *json.loads(layers), *stdlib, site]
    start = time.perf_counter()
    importlib.import_module(module)
    imported = time.perf_counter()
    first_client(kind)
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "import_ms": (imported - start) * 1000,
                "client_ms": (done - imported) * 1000,
                "total_ms": (done - start) * 1000,
            }
        )
    )


if __name__ == "__main__":
    main()
