"""Run SAM functions in-process, one invocation at a time, each with its own environment.

Every function of the template shares this one Python process (no containers), so three things
that Lambda gives each function for free are recreated here:

* its own module: the handler file is imported by path as ``functions.<dir>.<module>``, so two
  functions' ``app.py`` never collide (and match what the tests import);
* its own environment: for each invocation ``os.environ`` becomes the runtime's base environment
  (the AWS endpoint and credentials) plus the function's variables, and is restored afterwards;
  when it differs from the previous invocation's, ``backchannel.core.config.reset()`` drops the cached
  settings and clients built from the old one;
* its own execution: invocations are serialised with one global lock, since ``os.environ`` is
  process-wide.

Exceptions raised by a handler propagate, as a failed invocation; callers decide what they mean
(the gateway answers 500, the pumps retry).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from local.provision import FunctionSpec

__all__ = ["FunctionRuntime", "LambdaContext"]

log = logging.getLogger("local.lambdas")

# One lock for every function: os.environ is shared by the whole process.
_INVOKE_LOCK = threading.RLock()
_last_environment: dict[str, str] | None = None
_path_lock = threading.Lock()
# The function this thread is running (its logical id; unset outside an invocation), so that the
# tests can hold each function to its own permissions (tests/support/iam.py).
running = threading.local()


@dataclass
class LambdaContext:
    """The parts of Lambda's context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    timeout_s: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    identity: Any = None
    client_context: Any = None
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = f"local/[$LATEST]{self.aws_request_id.replace('-', '')}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class FunctionRuntime:
    """One function, ready to invoke in this process.

    ``base_env`` is what Lambda itself would provide (region, credentials) plus what points the
    AWS SDK at the local endpoint (``AWS_ENDPOINT_URL``); the function's own variables win over it.
    """

    def __init__(self, spec: FunctionSpec, *, base_env: dict[str, str] | None = None) -> None:
        self.spec = spec
        self.base_env = dict(base_env or {})
        module_path, _, self._handler_name = spec.handler.rpartition(".")
        if not module_path:
            raise ValueError(f"{spec.logical_id}: handler {spec.handler!r} is not module.function")
        self._module_file = spec.code_uri.joinpath(*module_path.split(".")).with_suffix(".py")
        self.module_name = f"functions.{spec.code_uri.name}.{module_path}"
        self._module: ModuleType | None = None
        self.invocations = 0

    @property
    def environment(self) -> dict[str, str]:
        """The variables this function sees on top of the process environment."""
        env = dict(self.base_env)
        env.update(
            {
                "AWS_LAMBDA_FUNCTION_NAME": self.spec.function_name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.spec.memory),
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.spec.function_name}",
                "LAMBDA_TASK_ROOT": str(self.spec.code_uri),
                "_HANDLER": self.spec.handler,
            }
        )
        env.update(self.spec.environment)
        return env

    def _load(self) -> Any:
        """Import the handler module once (by file path, under its unique name)."""
        if self._module is None:
            with _path_lock:
                for layer in self.spec.layers:
                    for candidate in (layer / "python", layer):
                        if candidate.is_dir() and str(candidate) not in sys.path:
                            sys.path.append(str(candidate))
                            break
            existing = sys.modules.get(self.module_name)
            if existing is not None and _same_file(getattr(existing, "__file__", None), self._module_file):
                self._module = existing
            else:
                if not self._module_file.is_file():
                    raise FileNotFoundError(
                        f"{self.spec.logical_id}: handler file {self._module_file} not found"
                    )
                module_spec = importlib.util.spec_from_file_location(self.module_name, self._module_file)
                assert module_spec is not None
                assert module_spec.loader is not None
                module = importlib.util.module_from_spec(module_spec)
                sys.modules[self.module_name] = module
                try:
                    module_spec.loader.exec_module(module)
                except BaseException:
                    del sys.modules[self.module_name]
                    raise
                self._module = module
        handler = getattr(self._module, self._handler_name, None)
        if handler is None:
            raise AttributeError(f"{self.module_name} has no handler {self._handler_name!r}")
        return handler

    def invoke(self, event: dict[str, Any]) -> Any:
        """Run the handler on ``event`` with this function's environment; return what it returns."""
        global _last_environment
        with _INVOKE_LOCK:
            saved = os.environ.copy()
            env = self.environment
            try:
                os.environ.update(env)
                if env != _last_environment:
                    _reset_config()
                    _last_environment = env
                handler = self._load()
                context = LambdaContext(
                    function_name=self.spec.function_name,
                    memory_limit_in_mb=self.spec.memory,
                    invoked_function_arn=self.spec.arn,
                    timeout_s=self.spec.timeout,
                )
                started = time.monotonic()
                self.invocations += 1
                caller, running.function = getattr(running, "function", None), self.spec.logical_id
                try:
                    from local.faults import FAULTS

                    return FAULTS.run(self.spec.logical_id, lambda: handler(event, context))
                finally:
                    running.function = caller
                    elapsed = time.monotonic() - started
                    if elapsed > self.spec.timeout:
                        log.warning(
                            "%s ran %.1fs, longer than its %ds timeout (Lambda would have stopped it)",
                            self.spec.logical_id,
                            elapsed,
                            self.spec.timeout,
                        )
            finally:
                os.environ.clear()
                os.environ.update(saved)


def _same_file(a: str | None, b: os.PathLike[str]) -> bool:
    try:
        return a is not None and os.path.samefile(a, b)
    except OSError:
        return False


def _reset_config() -> None:
    """Drop cached settings/clients in the shared package, if the layer provides that hook."""
    try:
        config = importlib.import_module("backchannel.core.config")
    except ImportError:
        return
    reset = getattr(config, "reset", None)
    if callable(reset):
        reset()
