"""The whole system on one machine: moto as the AWS, the template's resources, the gateway, the pumps.

:class:`LocalRuntime` is what ``python -m local`` (``make run``) starts and what flow tests start on
free ports. ``start()`` returns once everything is serving; ``stop()`` takes it down again and puts
the process environment back as it was.

The functions reach moto through the standard AWS SDK settings only (``AWS_ENDPOINT_URL``, test
credentials, the region), so production code has no local special cases.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import socket
import time
import urllib.request
from pathlib import Path
from typing import Any

from moto.server import ThreadedMotoServer

from local.bus_tap import start_bus_tap
from local.cognito import PATH as COGNITO_PATH
from local.cognito import CognitoFront, mount_cognito
from local.fake_networks import mount_fake_networks
from local.faults import FAULTS
from local.faults import PATH as FAULTS_PATH
from local.gateway import Gateway
from local.lambdas import FunctionRuntime
from local.mailbox import Mailbox, mount_mailbox
from local.provision import LocalStack, provision
from local.schedule_files import ScheduleFiles, with_schedule_files
from local.template import load_template
from local.web import mount_web
from local.webhook_receiver import ReceiverServer, WebhookReceiver
from local.websocket_gateway import WebSocketGateway, start_websocket_gateway

__all__ = [
    "LOCAL_PARAMETERS",
    "LocalRuntime",
    "PortInUse",
    "aws_environment",
    "function_environment",
    "local_parameters",
    "main",
]

log = logging.getLogger("local")

REGION = "us-east-1"


class PortInUse(RuntimeError):
    """A port we need is taken; the message says which and how to choose another."""


def aws_environment(endpoint_url: str, region: str = REGION) -> dict[str, str]:
    """The standard settings that point any AWS SDK (and the AWS CLI) at the local endpoint."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    }


def function_environment(endpoint_url: str, region: str = REGION) -> dict[str, str]:
    """What every function sees besides its own variables: the AWS settings, and no X-Ray daemon.

    Lambda runs an X-Ray daemon next to a function with active tracing; locally there is none, so
    the X-Ray SDK is switched off with its standard setting rather than left to drop segments.
    """
    return {**aws_environment(endpoint_url, region), "AWS_XRAY_SDK_ENABLED": "false"}


# Local values for template parameters, used where the template declares them and the caller gives
# none: this is the local runtime (so the outbound allow list may name its receivers), and failed
# deliveries are retried within seconds rather than minutes.
LOCAL_PARAMETERS = {
    "LocalOnly": "true",
    "DeliveryRetryBaseSeconds": "1",
}


def local_parameters(
    template_path: str | Path,
    given: dict[str, Any] | None = None,
    *,
    receivers: tuple[str, ...] = (),
    fakes: tuple[str, ...] = (),
) -> dict[str, Any]:
    """``given`` over :data:`LOCAL_PARAMETERS` and an ``OutboundAllowList`` of exactly the local
    ``receivers`` (``http://host:port`` origins), a ``CollectAllowList`` of exactly the origin of the
    fake networks (the gateway), only for parameters the template declares."""
    declared = load_template(template_path).get("Parameters") or {}
    local = {**LOCAL_PARAMETERS, **({"OutboundAllowList": ",".join(receivers)} if receivers else {})}
    local |= {"CollectAllowList": ",".join(fakes)} if fakes else {}
    return {**{k: v for k, v in local.items() if k in declared}, **(given or {})}


# Settings that would send the SDK elsewhere or sign as someone else; unset while running.
_CONFLICTING_ENV = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_DEFAULT_PROFILE")


def check_port(host: str, port: int, variable: str) -> None:
    """Raise :class:`PortInUse` if ``host:port`` cannot be bound (port 0 always can)."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                raise PortInUse(
                    f"port {port} is in use: set {variable}=... to another port "
                    f"(e.g. make run {variable}={port + 1})"
                ) from exc
            raise


def free_port(host: str) -> int:
    """A port free now (the OS's choice), for a server that must be named before it binds."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class LocalRuntime:
    """moto server + provisioned stack + in-process functions + gateway (+ pumps, + demo data)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 3000,
        aws_port: int = 5000,
        demo: bool = True,
        template_path: str | Path = "template.yaml",
        state_dir: str | Path = ".local",
        *,
        stack_name: str = "backchannel-local",
        parameters: dict[str, Any] | None = None,
        websocket_port: int = 0,
        webhook_port: int = 0,
        sqs_retry_visibility: int | None = None,
        on_invoke: Any = None,
        demo_life: bool = True,
        collect_every_s: float = 10.0,
    ) -> None:
        self.host = host
        # With the demo: also its members, posts, notes, questions, summary and star (local.demo).
        self.demo_life = demo_life
        # How often a recurring runtime schedule (a hashtag source's collection) fires locally.
        self.collect_every_s = collect_every_s
        # Called by the pumps after every invocation (function, event, started, ended): see local.pumps.
        self.on_invoke = on_invoke
        # Seconds after which a failed invocation's SQS messages come back (None: the queue's own
        # visibility timeout, as in AWS); tests that inject faults set it short.
        self.sqs_retry_visibility = sqs_retry_visibility
        self.port = port
        self.aws_port = aws_port
        self.demo = demo
        self.template_path = Path(template_path)
        self.state_dir = Path(state_dir)
        self.stack_name = stack_name
        self.parameters = parameters
        self.local_stack: LocalStack | None = None
        self.runtimes: dict[str, FunctionRuntime] = {}
        self.gateway: Gateway | None = None
        self.websocket_port = websocket_port
        self.webhook_port = webhook_port
        self._webhook_server: ReceiverServer | None = None
        self.websocket_gateway: WebSocketGateway | None = None
        self.pumps: Any = None
        self.bus_tap: Any = None
        self.mailbox: Mailbox | None = None
        self.cognito: CognitoFront | None = None
        self.webhooks: WebhookReceiver | None = None
        self.schedule_files: ScheduleFiles | None = None
        self.outputs: dict[str, str] = {}
        self.demo_result: Any = None
        self._moto: ThreadedMotoServer | None = None
        self._saved_env: dict[str, str | None] | None = None
        self._started = False
        self.stopping: str | None = None  # what stop() is stopping now (to say what hangs)

    # ----------------------------------------------------------------------------------------
    @property
    def aws_endpoint(self) -> str:
        return f"http://{self.host}:{self.aws_port}"

    @property
    def url(self) -> str:
        if self.gateway is None:
            raise RuntimeError("the local runtime is not started")
        return self.gateway.url

    @property
    def webhook_url(self) -> str:
        """The webhook receiver's own origin: the only one the outbound allow list names."""
        if self._webhook_server is None:
            raise RuntimeError("the local runtime is not started")
        return self._webhook_server.url

    @property
    def outputs_path(self) -> Path:
        return self.state_dir / "outputs.json"

    def start(self) -> LocalRuntime:
        """Bring everything up; returns when the gateway is serving. Raises PortInUse."""
        if self._started:
            return self
        check_port(self.host, self.port, "PORT")
        check_port(self.host, self.aws_port, "AWS_PORT")
        check_port(self.host, self.webhook_port, "WEBHOOK_PORT")
        if self.port == 0:  # known before provisioning: the collector's allow list names the gateway
            self.port = free_port(self.host)
        self._started = True
        try:
            self._start_moto()
            self._set_environment()
            # Before provisioning: the allow list names its port.
            self.webhooks = WebhookReceiver()
            self.schedule_files = ScheduleFiles()  # served beside the webhooks: imports by URL
            receivers = with_schedule_files(self.webhooks, self.schedule_files)
            self._webhook_server = ReceiverServer(receivers, self.host, self.webhook_port)
            self.webhook_port = self._webhook_server.port
            self.local_stack = provision(
                self.template_path,
                stack_name=self.stack_name,
                region=REGION,
                endpoint_url=self.aws_endpoint,
                parameters=local_parameters(
                    self.template_path,
                    self.parameters,
                    receivers=(self._webhook_server.url,),
                    fakes=(f"http://{self.host}:{self.port}",),
                ),
            )
            base_env = function_environment(self.aws_endpoint)
            self.runtimes = {
                logical_id: FunctionRuntime(spec, base_env=base_env)
                for logical_id, spec in self.local_stack.functions.items()
            }
            # Before the pumps: it points the functions at its management endpoint (@connections).
            self.websocket_gateway = start_websocket_gateway(
                self.local_stack, self.runtimes, self.host, self.websocket_port
            )
            self.pumps = self._start_pumps()
            self.gateway = Gateway(self.local_stack, self.runtimes, self.host, self.port)
            # Before the demo seed, so its events are listed too; independent of the pumps.
            self.bus_tap = start_bus_tap(self.local_stack, self.gateway)
            self.mailbox = mount_mailbox(self.gateway, REGION)
            # The page's Cognito (SRP checked, codes into the mailbox): local/cognito.py
            self.cognito = mount_cognito(self.gateway, REGION, self.aws_endpoint)
            self.webhooks.mount(self.gateway)  # browsable there too; deliveries go to its own port
            self.schedule_files.mount(self.gateway)
            self.gateway.add_route("*", FAULTS_PATH, FAULTS)
            mount_fake_networks(self.gateway)  # /_local/mastodon, /_local/bluesky
            mount_web(self.gateway, lambda: self.outputs)  # the page at /web/, /config.json
            self.gateway.start()
            self.port = self.gateway.port
            self._localise_functions()
            self.outputs = self._write_outputs()
            if self.demo:
                from local.demo import seed_demo

                self.demo_result = seed_demo(self.url, self.outputs, life=self.demo_life)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the gateway, the pumps and moto, and restore the environment (idempotent)."""
        if not self._started:
            return
        self._started = False
        for name, action in (
            ("gateway", lambda: self.gateway and self.gateway.stop()),
            ("websocket gateway", lambda: self.websocket_gateway and self.websocket_gateway.stop()),
            ("pumps", lambda: self.pumps and self.pumps.stop()),
            ("webhook receiver", lambda: self._webhook_server and self._webhook_server.stop()),
            ("moto", lambda: self._moto and self._moto.stop()),
        ):
            self.stopping = name
            try:
                action()
            except Exception:
                log.exception("stopping the %s failed", name)
        self.stopping = None
        self.gateway = None
        self.websocket_gateway = None
        self.pumps = None
        self.bus_tap = None
        self.mailbox = None
        self.cognito = None
        self.webhooks = None
        self.schedule_files = None
        self._webhook_server = None
        self._moto = None
        self._restore_environment()

    def __enter__(self) -> LocalRuntime:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------------------------------
    def _start_moto(self) -> None:
        # werkzeug logs every request at INFO unless told otherwise; moto's requests are noise here.
        werkzeug_log = logging.getLogger("werkzeug")
        if werkzeug_log.level == logging.NOTSET:
            werkzeug_log.setLevel(logging.WARNING)
        self._moto = ThreadedMotoServer(ip_address=self.host, port=self.aws_port, verbose=False)
        self._moto.start()
        self.aws_port = self._moto.get_host_and_port()[1]
        # moto keeps its state in process-wide backends: start from a clean account every time.
        request = urllib.request.Request(f"{self.aws_endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def _set_environment(self) -> None:
        """Point this process's AWS SDK at moto (remembering what to put back on stop)."""
        env = aws_environment(self.aws_endpoint)
        self._saved_env = {k: os.environ.get(k) for k in (*env, *_CONFLICTING_ENV)}
        for key in _CONFLICTING_ENV:
            os.environ.pop(key, None)
        os.environ.update(env)

    def _restore_environment(self) -> None:
        saved, self._saved_env = self._saved_env, None
        for key, value in (saved or {}).items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def _start_pumps(self) -> Any:
        """Start the event-source pumps (streams, queues, rules, schedules) if local.pumps exists."""
        try:
            from local import pumps
        except ImportError:
            log.info("note: local.pumps is not available; async event sources will not run")
            return None
        start_pumps = getattr(pumps, "start_pumps", None)
        if start_pumps is None:
            log.info("note: local.pumps has no start_pumps(); async event sources will not run")
            return None
        # Each source wakes when moto stores its work (local.pumps_wakeup); the interval only bounds
        # how late a retry whose visibility timeout ran out, or a schedule, is noticed.
        pumps_ = start_pumps(
            self.local_stack,
            self.runtimes,
            poll_interval=0.5,
            sqs_retry_visibility=self.sqs_retry_visibility,
            on_invoke=self.on_invoke,
        )
        for source in getattr(pumps_, "sources", ()):
            if hasattr(source, "rate_every_s"):  # local.pumps_scheduler.RuntimeSchedules
                source.rate_every_s = self.collect_every_s
        return pumps_

    def _write_outputs(self) -> dict[str, str]:
        """Write the stack's outputs as a deployed stack would list them, with local URLs."""
        assert self.local_stack is not None
        assert self.gateway is not None
        outputs = {name: self._localise(value) for name, value in self.local_stack.outputs.items()}
        outputs["AwsEndpoint"] = self.aws_endpoint
        outputs["Region"] = REGION
        outputs["CognitoEndpoint"] = f"{self.gateway.url}{COGNITO_PATH}"
        # CloudFront has no local twin: the gateway serves the page instead
        outputs.setdefault("WebUrl", f"{self.gateway.url}/web/")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.outputs_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(outputs, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        tmp.replace(self.outputs_path)
        return outputs

    def _localise_functions(self) -> None:
        """Point the functions' variables that hold an HTTP API's URL (e.g. PUBLIC_API_URL) at the gateway.

        Only possible once the gateway is bound (its port may be chosen by the OS). The pumps run
        already, but moto starts empty, so no function has been invoked yet; each invocation reads
        its spec's environment afresh, so replacing it is enough.
        """
        assert self.local_stack is not None
        for spec in self.local_stack.functions.values():
            spec.environment = {name: self._localise(value) for name, value in spec.environment.items()}

    def _localise(self, value: str) -> str:
        """Replace an HTTP API's execute-api URL by the gateway's (e.g. ApiUrl)."""
        assert self.local_stack is not None
        assert self.gateway is not None
        for api in self.local_stack.http_apis.values():
            remote = f"https://{api.api_id}.execute-api.{self.local_stack.region}.amazonaws.com"
            value = value.replace(remote, self.gateway.url)
        if self.websocket_gateway is not None:
            value = self.websocket_gateway.localise(value)
        return value

    def remove_outputs(self) -> None:
        """Forget the outputs file (so `make user` knows the stack is gone)."""
        with contextlib.suppress(FileNotFoundError):
            self.outputs_path.unlink()


# --------------------------------------------------------------------------------------------
# Command line: python -m local
# --------------------------------------------------------------------------------------------
def _parser() -> Any:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m local", description="Run Backchannel locally on moto.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("PORT") or 3000), help="gateway port (env PORT, 3000)"
    )
    parser.add_argument(
        "--aws-port",
        type=int,
        default=int(os.environ.get("AWS_PORT") or 5000),
        help="moto (local AWS) port (env AWS_PORT, 5000)",
    )
    parser.add_argument(
        "--ws-port",
        type=int,
        default=int(os.environ.get("WS_PORT") or 3001),
        help="WebSocket API port (env WS_PORT, 3001)",
    )
    parser.add_argument(
        "--webhook-port",
        type=int,
        default=int(os.environ.get("WEBHOOK_PORT") or 3002),
        help="webhook receiver port, the only origin webhooks may reach locally (env WEBHOOK_PORT, 3002)",
    )
    parser.add_argument("--no-demo", action="store_true", help="do not seed the demo event")
    parser.add_argument("--template", default="template.yaml", help="SAM template (default template.yaml)")
    parser.add_argument("--state-dir", default=".local", help="where outputs.json goes (default .local)")
    parser.add_argument(
        "--rate-limits",
        default=os.environ.get("RATE_LIMITS") or None,
        help="the RateLimits parameter, e.g. posts=100/1m (env RATE_LIMITS; default: the README's limits)",
    )
    return parser


def _banner(runtime: LocalRuntime) -> str:
    url = runtime.url
    return "\n".join(
        [
            "",
            "Backchannel is running locally (Ctrl-C to stop)",
            f"  API          {url}",
            f"  API docs     {url}/docs   (OpenAPI: {url}/openapi.json)",
            f"  web page     {url}/web/",
            f"  health       {url}/_local/health",
            *([f"  live         {runtime.websocket_gateway.url}"] if runtime.websocket_gateway else []),
            f"  bus events   {url}/_local/events   (?detailType=PostCreated, ?after=<id>)",
            f"  mail         {url}/_local/mail   (?to=<address>; one raw: /_local/mail/<id>)",
            f"  webhooks     {runtime.webhook_url}/_local/webhooks/<name>   (register this URL as a webhook channel)",
            f'  faults       {url}/_local/faults   (POST {{"function": "DeliveryWorkerFunction"}}: watch a retry)',
            f"  local AWS    {runtime.aws_endpoint}   (region {REGION}, keys testing/testing)",
            f"  outputs      {runtime.outputs_path}",
            "  a token      make user NAME=alice   (ORGANISER=1 to create events)",
            f'  then         curl -H "Authorization: Bearer $TOKEN" {url}/me',
            f"  AWS CLI      aws --endpoint-url {runtime.aws_endpoint} dynamodb list-tables",
            "",
        ]
    )


STOP_SECONDS = 10


class _StopRequest:
    """Ctrl-C and SIGTERM, handled without a lock.

    A signal handler runs in the main thread between two bytecodes, possibly while that thread holds
    a lock (an Event's, a logging handler's); a handler that takes such a lock waits for itself
    forever. So this one only sets a flag. While starting up it raises KeyboardInterrupt instead, so
    that start() stops what it started. A second signal exits at once."""

    def __init__(self, runtime: LocalRuntime) -> None:
        self.runtime = runtime
        self.requested = False
        self.started = False

    def handle(self, _signum: int, _frame: Any) -> None:
        if self.requested:  # the second Ctrl-C: now
            with contextlib.suppress(OSError):
                self.runtime.outputs_path.unlink()
            os.write(2, b"\nstopped at once\n")
            os._exit(130)
        self.requested = True
        if not self.started:
            raise KeyboardInterrupt


def stop_within(runtime: LocalRuntime, seconds: float) -> str | None:
    """Stop the runtime in a helper thread; what was still stopping after ``seconds``, or None."""
    import threading

    worker = threading.Thread(target=runtime.stop, name="stop", daemon=True)
    worker.start()
    worker.join(seconds)
    return (runtime.stopping or "runtime") if worker.is_alive() else None


def main(argv: list[str] | None = None) -> int:
    """Start everything, print where to go, and block until Ctrl-C (or SIGTERM)."""
    import signal
    import sys
    import warnings

    args = _parser().parse_args(argv)
    # Our own lines at INFO (access log, demo, pumps); libraries only when something is wrong.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("local").setLevel(logging.INFO)
    # Lambda would print this per invocation without application metrics; here it only hides the log.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    if not Path(args.template).is_file():
        print(f"{args.template} not found: run from the repository root or pass --template", file=sys.stderr)
        return 1
    runtime = LocalRuntime(
        host=args.host,
        port=args.port,
        aws_port=args.aws_port,
        demo=not args.no_demo,
        template_path=args.template,
        state_dir=args.state_dir,
        websocket_port=args.ws_port,
        webhook_port=args.webhook_port,
        parameters={"RateLimits": args.rate_limits} if args.rate_limits else None,
    )
    stop = _StopRequest(runtime)
    signal.signal(signal.SIGINT, stop.handle)
    signal.signal(signal.SIGTERM, stop.handle)
    try:
        runtime.start()
        stop.started = True
    except PortInUse as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # asked to stop while starting
        runtime.stop()  # idempotent: start() stops what it started when interrupted inside
        runtime.remove_outputs()
        print("stopped", flush=True)
        return 130
    print(_banner(runtime), flush=True)
    while not stop.requested:
        time.sleep(0.2)  # a plain sleep: the handler only sets a flag, so nothing here holds a lock
    print("stopping: gateway, pumps, local AWS ...", flush=True)
    stuck = stop_within(runtime, STOP_SECONDS)
    runtime.remove_outputs()
    if stuck:
        print(
            f"the {stuck} did not stop within {STOP_SECONDS} s: exiting anyway", file=sys.stderr, flush=True
        )
        os._exit(1)  # its threads would keep the process alive
    print("stopped", flush=True)
    return 0
