"""Starting and stopping the whole local runtime (local.runner), in-process and as `python -m local`."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from local.runner import LOCAL_PARAMETERS, LocalRuntime, PortInUse, _banner, local_parameters
from tests.support.runtime import http, local_runtime

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = Path(__file__).parent / "fixtures" / "template.yaml"


def _bound_port() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


def _can_bind(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_outputs_json_lists_resolved_outputs_with_local_urls(tmp_path):
    with local_runtime(TEMPLATE, state_dir=tmp_path) as (runtime, base_url):
        outputs = json.loads((tmp_path / "outputs.json").read_text())

        assert outputs["ApiUrl"] == base_url
        assert outputs["AwsEndpoint"] == runtime.aws_endpoint
        assert outputs["Region"] == "us-east-1"
        assert outputs["ItemsTable"] == "backchannel-local-Items"
        # a user can reach the stack from its outputs alone, as with a deployed stack
        ddb = boto3.client("dynamodb", endpoint_url=outputs["AwsEndpoint"], region_name=outputs["Region"])
        assert outputs["ItemsTable"] in ddb.list_tables()["TableNames"]
        pool = boto3.client("cognito-idp", endpoint_url=outputs["AwsEndpoint"], region_name=outputs["Region"])
        assert pool.describe_user_pool(UserPoolId=outputs["PoolId"])["UserPool"]["Id"] == outputs["PoolId"]


def test_stop_frees_the_ports_restores_the_environment_and_is_idempotent(tmp_path):
    saved = os.environ.get("AWS_ENDPOINT_URL")
    runtime = LocalRuntime(port=0, aws_port=0, demo=False, template_path=TEMPLATE, state_dir=tmp_path).start()
    ports = (runtime.port, runtime.aws_port)
    assert os.environ["AWS_ENDPOINT_URL"] == runtime.aws_endpoint
    assert http("GET", f"{runtime.url}/_local/health").status == 200

    runtime.stop()
    runtime.stop()

    assert os.environ.get("AWS_ENDPOINT_URL") == saved
    assert all(_can_bind(port) for port in ports)


def test_a_taken_port_is_reported_clearly(tmp_path):
    with _bound_port() as taken:
        port = taken.getsockname()[1]
        runtime = LocalRuntime(port=port, aws_port=0, demo=False, template_path=TEMPLATE, state_dir=tmp_path)
        with pytest.raises(PortInUse, match=f"port {port} is in use: set PORT="):
            runtime.start()
        runtime = LocalRuntime(port=0, aws_port=port, demo=False, template_path=TEMPLATE, state_dir=tmp_path)
        with pytest.raises(PortInUse, match="set AWS_PORT="):
            runtime.start()


def _python_m_local(state_dir: Path, port: int = 0) -> subprocess.Popen:
    """``python -m local`` on the fixture template without the demo, its moto on a free port."""
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'layers' / 'backchannel'}"}
    env.pop("AWS_ENDPOINT_URL", None)
    command = [sys.executable, "-m", "local", "--port", str(port), "--aws-port", "0", "--no-demo"]
    command += ["--webhook-port", "0"]
    command += ["--template", str(TEMPLATE), "--state-dir", str(state_dir)]
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_python_m_local_exits_1_with_one_line_when_the_port_is_taken(tmp_path):
    with _bound_port() as taken:
        port = taken.getsockname()[1]
        proc = _python_m_local(tmp_path, port)
        _out, err = proc.communicate(timeout=60)

    assert proc.returncode == 1
    assert (
        err.strip() == f"port {port} is in use: set PORT=... to another port (e.g. make run PORT={port + 1})"
    )


def test_python_m_local_serves_until_ctrl_c_then_stops_cleanly(tmp_path):
    proc = _python_m_local(tmp_path)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "outputs.json").exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the local runtime did not start"
            time.sleep(0.1)
        outputs = json.loads((tmp_path / "outputs.json").read_text())
        assert http("GET", f"{outputs['ApiUrl']}/_local/health").status == 200

        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()

    assert proc.returncode == 0, err
    assert f"API          {outputs['ApiUrl']}" in out
    assert "make user NAME=alice" in out
    assert out.rstrip().endswith("stopped")
    assert not (tmp_path / "outputs.json").exists()


_CIRCULATION_TEMPLATE = """
Parameters:
  OutboundAllowList:
    Type: String
    Default: ""
  LocalOnly:
    Type: String
    Default: "false"
  DeliveryRetryBaseSeconds:
    Type: Number
    Default: 30
  MailFromAddress:
    Type: String
    Default: packs@example.com
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
  MailIdentity:
    Type: AWS::SES::EmailIdentity
    Properties:
      EmailIdentity: !Ref MailFromAddress
  Sender:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {code_uri}
      Handler: app.lambda_handler
      Environment:
        Variables:
          PUBLIC_API_URL: !Sub "https://${{Api}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}"
          UNSUBSCRIBE_URL: !Sub "https://${{Api}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/unsubscribe"
          OUTBOUND_ALLOW_LIST: !Ref OutboundAllowList
          DELIVERY_RETRY_BASE_SECONDS: !Ref DeliveryRetryBaseSeconds
          MAIL_FROM: !Ref MailIdentity
"""


def test_local_parameters_apply_only_to_what_the_template_declares(tmp_path):
    template = tmp_path / "template.yaml"
    template.write_text(_CIRCULATION_TEMPLATE.format(code_uri="."))

    assert local_parameters(TEMPLATE, {"Stage": "prod"}) == {"Stage": "prod"}
    assert local_parameters(template) == LOCAL_PARAMETERS
    receiver = "http://127.0.0.1:3002"
    assert local_parameters(template, receivers=(receiver,)) == {
        **LOCAL_PARAMETERS,
        "OutboundAllowList": receiver,
    }
    given = local_parameters(template, {"DeliveryRetryBaseSeconds": "5"})
    assert given == {**LOCAL_PARAMETERS, "DeliveryRetryBaseSeconds": "5"}


def test_circulation_settings_mail_and_webhooks_through_a_running_runtime(tmp_path):
    """Local parameters, the API's URL in function environments, SES, /_local/mail, /_local/webhooks."""
    template = tmp_path / "template.yaml"
    template.write_text(_CIRCULATION_TEMPLATE.format(code_uri=TEMPLATE.parent / "functions" / "local_env"))

    with local_runtime(template, state_dir=tmp_path) as (runtime, base_url):
        env = runtime.runtimes["Sender"].environment
        assert env["PUBLIC_API_URL"] == base_url
        assert env["UNSUBSCRIBE_URL"] == f"{base_url}/unsubscribe"
        # exactly the webhook receiver's own origin: not the gateway, not moto
        assert env["OUTBOUND_ALLOW_LIST"] == runtime.webhook_url
        assert runtime.webhook_url.startswith("http://127.0.0.1:")
        assert runtime.webhook_url not in (base_url, runtime.aws_endpoint)
        assert env["DELIVERY_RETRY_BASE_SECONDS"] == "1"

        boto3.client("sesv2").send_email(  # the runtime points this process's SDK at its moto
            FromEmailAddress=env["MAIL_FROM"],
            Destination={"ToAddresses": ["alice@example.org"]},
            Content={"Simple": {"Subject": {"Data": "Your pack"}, "Body": {"Text": {"Data": "hello"}}}},
        )
        mail = http("GET", f"{base_url}/_local/mail?to=alice@example.org")
        assert mail.status == 200
        assert [m["subject"] for m in mail.json["items"]] == ["Your pack"]

        hook = f"{runtime.webhook_url}/_local/webhooks/x"
        assert http("POST", hook, json_body={"n": 1}, headers={"webhook-id": "msg_1"}).status == 204
        assert http("GET", hook).json["unique"] == 1
        assert http("GET", f"{base_url}/_local/webhooks/x").json["unique"] == 1  # browsable there too
        assert "_local/webhooks/<name>" in _banner(runtime)
