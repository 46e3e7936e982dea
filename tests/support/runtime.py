"""Start the whole local runtime (moto + gateway + pumps) for flow tests, and talk to it over HTTP.

    runtime, base_url = start_local_runtime()
    try:
        reply = http("GET", f"{base_url}/events")
    finally:
        runtime.stop()

or, as a context manager, ``with local_runtime() as (runtime, base_url): ...``. Ports are picked
free by the OS; ``runtime.outputs`` holds the stack's outputs (as ``.local/outputs.json`` would) and
``local.user.create_user(runtime.outputs, "alice")`` signs a member in.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.runner import LocalRuntime

__all__ = ["SHARED", "Response", "http", "local_runtime", "start_local_runtime"]

# Runtimes a fixture shares beyond one test module, by the folder of the package that shares them: their
# pump threads may outlive a module there, and tests/conftest.py fails the first module outside it.
SHARED: dict[LocalRuntime, Path] = {}

ROOT = Path(__file__).resolve().parents[2]


def start_local_runtime(
    template: str | Path = "template.yaml", demo: bool = False, **kwargs: Any
) -> tuple[LocalRuntime, str]:
    """Start a :class:`LocalRuntime` on free ports; returns it (call ``.stop()``) and the API's URL.

    A relative ``template`` is taken from the repository root. The outputs file goes to a fresh
    temporary folder unless ``state_dir`` is passed.
    """
    path = Path(template)
    if not path.is_absolute():
        path = ROOT / path
    kwargs.setdefault("state_dir", tempfile.mkdtemp(prefix="backchannel-local-"))
    # The demo's event and sessions, without its members' posts, notes and questions unless asked
    # (demo_life=True): a dozen more requests per runtime that most tests do not read.
    kwargs.setdefault("demo_life", False)
    # Collection cycles only when a test asks (sync): a cycle every 10 s would compete with every
    # other invocation for the runtime's one invocation lock on a loaded machine.
    kwargs.setdefault("collect_every_s", 3600.0)
    runtime = LocalRuntime(port=0, aws_port=0, demo=demo, template_path=path, **kwargs)
    runtime.start()
    return runtime, runtime.url


@contextlib.contextmanager
def local_runtime(
    template: str | Path = "template.yaml", demo: bool = False, **kwargs: Any
) -> Iterator[tuple[LocalRuntime, str]]:
    """:func:`start_local_runtime` as a context manager that always stops it (and removes the temporary
    folder it made for the outputs file, if it made one)."""
    with contextlib.ExitStack() as cleanup:
        if "state_dir" not in kwargs:
            temporary = tempfile.TemporaryDirectory(prefix="backchannel-local-", ignore_cleanup_errors=True)
            kwargs["state_dir"] = cleanup.enter_context(temporary)
        runtime, base_url = start_local_runtime(template, demo, **kwargs)
        cleanup.callback(runtime.stop)
        yield runtime, base_url


@dataclass
class Response:
    status: int
    headers: dict[str, str]  # lower-cased names (last value wins)
    body: bytes
    header_list: list[tuple[str, str]]

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def all(self, name: str) -> list[str]:
        """Every value of a repeated header (e.g. Set-Cookie)."""
        return [v for k, v in self.header_list if k.lower() == name.lower()]


def http(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | str | None = None,
    json_body: Any = None,
    token: str | None = None,
) -> Response:
    """One plain HTTP request; returns whatever status came back (no exception on 4xx/5xx)."""
    headers = dict(headers or {})
    if json_body is not None:
        body = json.dumps(json_body)
        headers.setdefault("Content-Type", "application/json")
    if token:
        headers.setdefault("Authorization", f"Bearer {token}")
    data = body.encode() if isinstance(body, str) else body
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            status, raw_headers, payload = reply.status, reply.headers, reply.read()
    except urllib.error.HTTPError as exc:
        status, raw_headers, payload = exc.code, exc.headers, exc.read()
    pairs = list(raw_headers.items())
    return Response(status, {k.lower(): v for k, v in pairs}, payload, pairs)
