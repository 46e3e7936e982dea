"""`make user` (local.user) against the running fixture stack."""

from __future__ import annotations

import json

import jwt

from local.user import create_user, main
from tests.support.runtime import http


def test_create_user_signs_in_and_the_token_works_at_the_gateway(local_runtime):
    user = create_user(local_runtime.outputs, "carol", organiser=True)

    claims = jwt.decode(user["token"], options={"verify_signature": False})
    assert claims["username"] == "carol"
    assert claims["cognito:groups"] == ["organisers"]
    assert user["created"] is True
    reply = http("GET", f"{local_runtime.url}/private", token=user["token"])
    assert reply.status == 200


def test_an_existing_user_signs_in_again(local_runtime):
    create_user(local_runtime.outputs, "dave")
    again = create_user(local_runtime.outputs, "dave", password="Another-passw0rd")

    assert again["created"] is False
    assert again["password"] == "Another-passw0rd"
    assert http("GET", f"{local_runtime.url}/private", token=again["token"]).status == 200


def test_the_command_prints_an_export_line(local_runtime, capsys):
    state_dir = local_runtime.state_dir

    assert main(["erin", "--state-dir", str(state_dir)]) == 0

    out, err = capsys.readouterr()
    assert out.startswith("export TOKEN=")
    token = out.strip().removeprefix("export TOKEN=")
    assert http("GET", f"{local_runtime.url}/private", token=token).status == 200
    assert "password: " in err


def test_a_clear_error_when_the_stack_is_not_running(tmp_path, capsys):
    assert main(["frank", "--state-dir", str(tmp_path)]) == 1
    assert "is the local stack running" in capsys.readouterr().err

    (tmp_path / "outputs.json").write_text(
        json.dumps(
            {
                "AwsEndpoint": "http://127.0.0.1:9",
                "Region": "us-east-1",
                "UserPoolId": "p",
                "UserPoolClientId": "c",
            }
        )
    )
    assert main(["frank", "--state-dir", str(tmp_path)]) == 1
    assert "make run" in capsys.readouterr().err
