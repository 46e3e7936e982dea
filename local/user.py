"""``python -m local.user alice [--organiser]`` (``make user``): a local member and a bearer token.

Creates the user in the running local user pool (found through ``.local/outputs.json``, just as one
would read a deployed stack's outputs), gives them a permanent password, optionally adds them to
the ``organisers`` group, signs in with ``USER_PASSWORD_AUTH`` and prints the access token.
Running it again for an existing user sets a fresh password and signs in again.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions

__all__ = ["ORGANISERS_GROUP", "StackNotRunning", "create_user", "read_outputs"]

ORGANISERS_GROUP = "organisers"


class StackNotRunning(RuntimeError):
    """No local stack answers (no outputs file, or its endpoint is down)."""


def read_outputs(state_dir: str | Path = ".local") -> dict[str, str]:
    """The running local stack's outputs, as written by ``make run``."""
    path = Path(state_dir) / "outputs.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise StackNotRunning(
            f"{path} not found: is the local stack running? Start it with `make run`."
        ) from exc


def _password() -> str:
    """A password that satisfies any Cognito password policy (length, cases, digits, symbols)."""
    return f"Bc-{secrets.token_urlsafe(12)}-9a!"


def _cognito(outputs: dict[str, str]) -> Any:
    return boto3.client(
        "cognito-idp",
        region_name=outputs.get("Region", "us-east-1"),
        endpoint_url=outputs["AwsEndpoint"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's placeholder credentials
    )


def create_user(
    outputs: dict[str, str], name: str, *, organiser: bool = False, password: str | None = None
) -> dict[str, Any]:
    """Create (or reuse) ``name`` in the local pool and sign in.

    Returns ``{"username", "password", "token" (access token), "id_token", "created", "organiser"}``.
    Raises :class:`StackNotRunning` if the local AWS endpoint does not answer.
    """
    pool_id, client_id = outputs["UserPoolId"], outputs["UserPoolClientId"]
    cognito = _cognito(outputs)
    password = password or _password()
    created = True
    try:
        try:
            cognito.admin_create_user(
                UserPoolId=pool_id,
                Username=name,
                UserAttributes=[
                    {"Name": "email", "Value": f"{name}@example.com"},
                    {"Name": "email_verified", "Value": "true"},
                ],
                MessageAction="SUPPRESS",
            )
        except cognito.exceptions.UsernameExistsException:
            created = False
        cognito.admin_set_user_password(UserPoolId=pool_id, Username=name, Password=password, Permanent=True)
        if organiser:
            cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=name, GroupName=ORGANISERS_GROUP)
        result = cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": name, "PASSWORD": password},
        )["AuthenticationResult"]
    except botocore.exceptions.EndpointConnectionError as exc:
        raise StackNotRunning(
            f"nothing answers at {outputs['AwsEndpoint']}: is the local stack running? "
            "Start it with `make run`."
        ) from exc
    return {
        "username": name,
        "password": password,
        "token": result["AccessToken"],
        "id_token": result["IdToken"],
        "created": created,
        "organiser": organiser,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.user", description=__doc__.splitlines()[0])
    parser.add_argument("name", help="username, e.g. alice")
    parser.add_argument("--organiser", action="store_true", help=f"add to the {ORGANISERS_GROUP} group")
    parser.add_argument("--password", help="use this password instead of a generated one")
    parser.add_argument("--state-dir", default=".local", help="where make run wrote outputs.json")
    args = parser.parse_args(argv)
    try:
        outputs = read_outputs(args.state_dir)
        user = create_user(outputs, args.name, organiser=args.organiser, password=args.password)
    except StackNotRunning as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except botocore.exceptions.ClientError as exc:
        print(f"could not create {args.name}: {exc}", file=sys.stderr)
        return 1
    verb = "created" if user["created"] else "exists; password reset"
    groups = f" (group {ORGANISERS_GROUP})" if args.organiser else ""
    print(f"user {user['username']} {verb}{groups}", file=sys.stderr)
    print(f"password: {user['password']}", file=sys.stderr)
    print("access token (valid 1 hour):", file=sys.stderr)
    print(user["token"], file=sys.stderr)
    print("paste this to use it:", file=sys.stderr)
    print(f"export TOKEN={user['token']}")
    api = outputs.get("ApiUrl", "http://127.0.0.1:3000")
    print(f'then: curl -H "Authorization: Bearer $TOKEN" {api}/me', file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
