"""The local user pool as the page sees it (local/cognito.py, ``POST /_local/cognito``): SRP that checks
the password, codes that arrive in the local mailbox and are checked, sign-out that revokes.

In-process moto (``mock_aws``) with a pool shaped like the template's; the front is called over WSGI as
the page calls it. The client side of SRP here is local/srp.py's (the page's web/srp.js computes the
same, tests/unit/web/test_srp.py); tests/browser/test_sign_in.py goes through the page and the API.
"""

from __future__ import annotations

import json
import re
import uuid

import boto3
import pytest
from moto import mock_aws
from werkzeug.test import Client

from local import srp
from local.cognito import CODE_SENDER, CognitoFront
from local.mailbox import Mailbox
from local.template import load_template
from tests.support.runtime import ROOT

REGION = "us-east-1"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def pool():
    """moto with the template's pool settings and an app client, for the module (a pool costs a key)."""
    properties = load_template(ROOT / "template.yaml")["Resources"]["UserPool"]["Properties"]
    with mock_aws():
        cognito = boto3.client("cognito-idp", region_name=REGION)
        pool_id = cognito.create_user_pool(PoolName="members", Policies=properties["Policies"])["UserPool"][
            "Id"
        ]
        client = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="web")["UserPoolClient"]
        yield {"pool_id": pool_id, "client_id": client["ClientId"], "cognito": cognito}


@pytest.fixture
def ann(pool) -> str:
    """A fresh confirmed member (password Ann-password-1, email <name>@example.org); returns the name."""
    name = f"ann_{uuid.uuid4().hex[:8]}"
    pool["cognito"].admin_create_user(
        UserPoolId=pool["pool_id"],
        Username=name,
        UserAttributes=[{"Name": "email", "Value": f"{name}@example.org"}],
        MessageAction="SUPPRESS",
    )
    pool["cognito"].admin_set_user_password(
        UserPoolId=pool["pool_id"], Username=name, Password="Ann-password-1", Permanent=True
    )
    return name


@pytest.fixture
def new_name() -> str:
    return f"new_{uuid.uuid4().hex[:8]}"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def call(pool, clock):
    """``call(operation, body) -> (status, json)`` over WSGI, as the page calls Cognito."""
    http = Client(CognitoFront(REGION, clock=clock))

    def call(operation: str, body: dict, *, client_id: bool = True) -> tuple[int, dict]:
        reply = http.post(
            "/_local/cognito",
            data=json.dumps({"ClientId": pool["client_id"], **body} if client_id else body),
            headers={
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": f"AWSCognitoIdentityProviderService.{operation}",
            },
        )
        return reply.status_code, reply.json

    call.clock = clock
    return call


def _sign_in(
    call, pool, username: str, password: str, *, replay: bool = False, wait_s: float = 0
) -> tuple[int, dict]:
    """SRP as the page does it: InitiateAuth USER_SRP_AUTH, then the PASSWORD_VERIFIER claim (``wait_s``
    later on the front's clock; sent twice with ``replay``)."""
    a, big_a = srp.client_ephemeral()
    status, challenge = call(
        "InitiateAuth",
        {"AuthFlow": "USER_SRP_AUTH", "AuthParameters": {"USERNAME": username, "SRP_A": format(big_a, "x")}},
    )
    if status != 200:
        return status, challenge
    assert challenge["ChallengeName"] == "PASSWORD_VERIFIER"
    p = challenge["ChallengeParameters"]
    call.clock.now += wait_s
    timestamp = srp.cognito_timestamp()
    signature = srp.client_claim(
        pool["pool_id"],
        p["USER_ID_FOR_SRP"],
        password,
        a,
        int(p["SRP_B"], 16),
        p["SALT"],
        p["SECRET_BLOCK"],
        timestamp,
    )
    answer = {
        "ChallengeName": "PASSWORD_VERIFIER",
        "ChallengeResponses": {
            "USERNAME": p["USERNAME"],
            "PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"],
            "PASSWORD_CLAIM_SIGNATURE": signature,
            "TIMESTAMP": timestamp,
        },
    }
    result = call("RespondToAuthChallenge", answer)
    return call("RespondToAuthChallenge", answer) if replay else result


def _codes(address: str) -> list[str]:
    mail = Mailbox(REGION).items(to=address)
    assert all(m["from"] == CODE_SENDER for m in mail)
    return [re.search(r"\b(\d{6})\b", m["text"]).group(1) for m in mail]


def _other(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_srp_sign_in_checks_the_password(call, pool, ann):
    status, wrong = _sign_in(call, pool, ann, "Wrong-password-1")
    assert (status, wrong["__type"]) == (400, "NotAuthorizedException")
    status, unknown = _sign_in(call, pool, "nobody_here", "Ann-password-1")
    assert (status, unknown) == (400, wrong)  # the same answer: no user existence errors
    status, result = _sign_in(call, pool, ann, "Ann-password-1")
    assert status == 200, result
    user = pool["cognito"].get_user(AccessToken=result["AuthenticationResult"]["AccessToken"])
    assert user["Username"] == ann


def test_a_challenge_is_answered_once(call, pool, ann):
    status, again = _sign_in(call, pool, ann, "Ann-password-1", replay=True)
    assert (status, again["__type"]) == (400, "NotAuthorizedException")


def test_a_challenge_expires(call, pool, ann, clock):
    status, late = _sign_in(call, pool, ann, "Ann-password-1", wait_s=181)
    assert (status, late["__type"]) == (400, "NotAuthorizedException")
    assert _sign_in(call, pool, ann, "Ann-password-1", wait_s=170)[0] == 200


def test_sign_up_mails_a_code_and_only_that_code_confirms_once(call, pool, new_name):
    address = f"{new_name}@example.org"
    status, signed_up = call(
        "SignUp",
        {
            "Username": new_name,
            "Password": "Bea-password-1",
            "UserAttributes": [{"Name": "email", "Value": address}],
        },
    )
    assert status == 200, signed_up
    assert signed_up["UserConfirmed"] is False
    assert signed_up["CodeDeliveryDetails"]["Destination"] == "n***@e***"
    [code] = _codes(address)
    assert _sign_in(call, pool, new_name, "Bea-password-1")[1]["__type"] == "UserNotConfirmedException"
    status, refused = call("ConfirmSignUp", {"Username": new_name, "ConfirmationCode": _other(code)})
    assert (status, refused["__type"]) == (400, "CodeMismatchException")
    assert _sign_in(call, pool, new_name, "Bea-password-1")[1]["__type"] == "UserNotConfirmedException"
    assert call("ConfirmSignUp", {"Username": new_name, "ConfirmationCode": code}) == (200, {})
    assert _sign_in(call, pool, new_name, "Bea-password-1")[0] == 200
    status, reused = call("ConfirmSignUp", {"Username": new_name, "ConfirmationCode": code})
    assert (status, reused["__type"]) == (400, "CodeMismatchException")


def test_a_weak_password_or_a_taken_name_is_refused_at_sign_up(call, ann, new_name):
    email = [{"Name": "email", "Value": f"{new_name}@example.org"}]
    status, weak = call("SignUp", {"Username": new_name, "Password": "short", "UserAttributes": email})
    assert (status, weak["__type"]) == (400, "InvalidPasswordException")
    status, taken = call("SignUp", {"Username": ann, "Password": "Ann-password-2", "UserAttributes": email})
    assert (status, taken["__type"]) == (400, "UsernameExistsException")
    assert _codes(f"{new_name}@example.org") == []


def test_a_new_code_replaces_the_old_one_and_codes_expire(call, clock, new_name):
    address = f"{new_name}@example.org"
    email = [{"Name": "email", "Value": address}]
    call("SignUp", {"Username": new_name, "Password": "Dan-password-1", "UserAttributes": email})
    assert call("ResendConfirmationCode", {"Username": new_name})[0] == 200
    first, second = _codes(address)
    if first != second:
        status, old = call("ConfirmSignUp", {"Username": new_name, "ConfirmationCode": first})
        assert (status, old["__type"]) == (400, "CodeMismatchException")
    clock.now += 24 * 3600 + 1
    status, expired = call("ConfirmSignUp", {"Username": new_name, "ConfirmationCode": second})
    assert (status, expired["__type"]) == (400, "ExpiredCodeException")
    call("ResendConfirmationCode", {"Username": new_name})
    assert call("ConfirmSignUp", {"Username": new_name, "ConfirmationCode": _codes(address)[-1]}) == (200, {})


def test_forgot_password_mails_a_reset_code_that_sets_the_new_password(call, pool, ann):
    status, sent = call("ForgotPassword", {"Username": ann})
    assert status == 200 and sent["CodeDeliveryDetails"]["Destination"] == "a***@e***"
    assert call("ForgotPassword", {"Username": "nobody_here"})[0] == 200  # no user existence errors
    [code] = _codes(f"{ann}@example.org")
    reset = {"Username": ann, "Password": "New-password-1"}
    status, refused = call("ConfirmForgotPassword", {**reset, "ConfirmationCode": _other(code)})
    assert (status, refused["__type"]) == (400, "CodeMismatchException")
    assert _sign_in(call, pool, ann, "Ann-password-1")[0] == 200  # unchanged
    status, weak = call("ConfirmForgotPassword", {**reset, "Password": "short", "ConfirmationCode": code})
    assert (status, weak["__type"]) == (400, "InvalidPasswordException")
    assert call("ConfirmForgotPassword", {**reset, "ConfirmationCode": code}) == (200, {})
    assert _sign_in(call, pool, ann, "Ann-password-1")[1]["__type"] == "NotAuthorizedException"
    assert _sign_in(call, pool, ann, "New-password-1")[0] == 200


def test_refresh_works_until_the_token_is_revoked(call, pool, ann):
    refresh = _sign_in(call, pool, ann, "Ann-password-1")[1]["AuthenticationResult"]["RefreshToken"]
    refreshed = {"AuthFlow": "REFRESH_TOKEN_AUTH", "AuthParameters": {"REFRESH_TOKEN": refresh}}
    status, result = call("InitiateAuth", refreshed)
    assert status == 200 and "AccessToken" in result["AuthenticationResult"]
    assert call("RevokeToken", {"Token": refresh}) == (200, {})
    status, refused = call("InitiateAuth", refreshed)
    assert (status, refused["__type"]) == (400, "NotAuthorizedException")


def test_admin_operations_and_password_flows_are_not_reachable_from_the_page(call, pool, ann):
    admin = {"UserPoolId": pool["pool_id"], "Username": "made_by_the_page", "MessageAction": "SUPPRESS"}
    status, refused = call("AdminCreateUser", admin, client_id=False)
    assert (status, refused["__type"]) == (400, "InvalidParameterException")
    users = pool["cognito"].list_users(UserPoolId=pool["pool_id"])["Users"]
    assert "made_by_the_page" not in [u["Username"] for u in users]
    password_flow = {
        "AuthFlow": "USER_PASSWORD_AUTH",
        "AuthParameters": {"USERNAME": ann, "PASSWORD": "Ann-password-1"},
    }
    status, refused = call("InitiateAuth", password_flow)
    assert (status, refused["__type"]) == (400, "InvalidParameterException")
    assert refused["message"] == "USER_PASSWORD_AUTH is not enabled for the web client."
