"""``POST /_local/cognito``: the local user pool as the page talks to Cognito, with what moto leaves out.

The deployed page calls ``https://cognito-idp.<region>.amazonaws.com/`` (JSON 1.1, ``X-Amz-Target:
AWSCognitoIdentityProviderService.<Operation>``, unsigned). Under ``make run`` it calls this path on the
gateway instead (``CognitoEndpoint`` in ``/config.json``), so the page needs no CORS and the same code
runs in both places. moto holds the pool; three things moto does not do are done here:

- **SRP.** moto answers ``USER_SRP_AUTH`` with a random ``SRP_B`` and accepts any ``PASSWORD_VERIFIER``
  signature. Here the challenge is a real one (``local/srp.py``, a fresh salt and verifier from the
  password moto keeps) and the answer is checked; a wrong password gets Cognito's
  ``NotAuthorizedException``. Unknown users get the same error (the app client prevents user
  existence errors).
- **Codes by mail.** moto sends no mail and accepts any confirmation code. ``SignUp`` and
  ``ResendConfirmationCode`` mail a six-digit code to the member's email, ``ForgotPassword`` a reset
  code, through moto's SES, so they appear in ``/_local/mail`` like every other mail;
  ``ConfirmSignUp`` and ``ConfirmForgotPassword`` take only the latest code, once, before it expires.
- **RevokeToken** (sign out of this device), which moto lacks: the refresh token stops working.

Everything else the page uses goes to moto unchanged; any other operation is refused, so the page
cannot reach admin operations through this path. Codes and challenges live in memory: a restart of
``make run`` starts a fresh pool anyway.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
import botocore.exceptions
import jwt
from moto.cognitoidp.models import cognitoidp_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from local import srp
from local.wsgi import respond

if TYPE_CHECKING:
    from local.gateway import Gateway

__all__ = ["CODE_SENDER", "PATH", "CognitoFront", "mount_cognito"]

log = logging.getLogger("local.cognito")

PATH = "/_local/cognito"
TARGET_PREFIX = "AWSCognitoIdentityProviderService."
CODE_SENDER = "no-reply@verificationemail.com"  # Cognito's own sender when no SES identity is set
SIGN_UP_CODE_TTL_S = 24 * 3600  # Cognito: confirmation codes are valid for 24 hours
RESET_CODE_TTL_S = 3600  # password reset codes for 1 hour
CHALLENGE_TTL_S = 180  # an SRP challenge must be answered within 3 minutes (Cognito's session)
BAD_LOGIN = "Incorrect username or password."
# Passed to moto as they are (the public, unauthenticated or token-authenticated operations).
FORWARDED = {"SignUp", "GetUser", "GlobalSignOut", "ChangePassword", "UpdateUserAttributes"}


class CognitoError(Exception):
    """An error as Cognito answers it: HTTP 400 with ``{"__type", "message"}``."""

    def __init__(self, kind: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.kind, self.message, self.status = kind, message, status


@dataclass
class _Code:
    code: str
    expires: float


@dataclass
class _Challenge:
    pool_id: str
    username: str
    user_id: str
    client_id: str
    v: int
    b: int
    big_b: int
    big_a: int
    salt: str
    expires: float


def _snake(operation: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in operation).lstrip("_")


class CognitoFront:
    """Cognito's JSON API for the page, on moto's pool in ``region`` (in this process); ``endpoint_url``
    is the moto server's (None inside ``moto.mock_aws()``)."""

    def __init__(
        self,
        region: str,
        endpoint_url: str | None = None,
        account_id: str = DEFAULT_ACCOUNT_ID,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.region = region
        self.account_id = account_id
        self.clock = clock
        self._client = boto3.client(
            "cognito-idp",
            region_name=region,
            endpoint_url=endpoint_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - moto's placeholder credentials
        )
        self._codes: dict[tuple[str, str, str], _Code] = {}  # (pool, username, purpose)
        self._challenges: dict[str, _Challenge] = {}  # by SECRET_BLOCK
        self._lock = threading.Lock()

    def mount(self, gateway: Gateway) -> None:
        gateway.add_route("POST", PATH, self)

    # -- moto's pool -------------------------------------------------------------------------------
    def _backend(self) -> Any:
        return cognitoidp_backends[self.account_id][self.region]

    def _pool_of(self, client_id: str) -> Any:
        for pool in list(self._backend().user_pools.values()):
            if client_id in pool.clients:
                return pool
        raise CognitoError("ResourceNotFoundException", f"User pool client {client_id} does not exist.")

    def _user(self, pool: Any, username: str) -> Any | None:
        try:
            return pool._get_user(username)
        except Exception:  # moto raises its own not-found errors from here
            return None

    def _email(self, user: Any) -> str | None:
        return next((a["Value"] for a in user.attributes if a["Name"] == "email"), None)

    # -- codes -------------------------------------------------------------------------------------
    def _issue_code(self, pool: Any, user: Any, purpose: str, ttl_s: float) -> dict[str, str]:
        """A fresh six-digit code for ``purpose`` (replacing the last), mailed to the user's email."""
        code = f"{secrets.randbelow(1_000_000):06d}"
        with self._lock:
            self._codes[(pool.id, user.username, purpose)] = _Code(code, self.clock() + ttl_s)
        address = self._email(user)
        if address:
            self._mail(address, purpose, code)
        return _delivery(address)

    def _take_code(self, pool: Any, user: Any | None, purpose: str, code: str) -> None:
        """Consume the code if it is the latest one for ``purpose`` and not expired, else raise (an
        unknown user gets the same answer as a wrong code)."""
        key = (pool.id, user.username if user is not None else "", purpose)
        with self._lock:
            expected = self._codes.get(key)
            if expected is None or not secrets.compare_digest(expected.code, str(code).strip()):
                raise CognitoError(
                    "CodeMismatchException", "Invalid verification code provided, please try again."
                )
            del self._codes[key]
        if expected.expires < self.clock():
            raise CognitoError("ExpiredCodeException", "Invalid code provided, please request a code again.")

    def _mail(self, address: str, purpose: str, code: str) -> None:
        ses = ses_backends[self.account_id][self.region]
        ses.verify_email_identity(CODE_SENDER)
        if purpose == "sign-up":
            subject, body = "Your verification code", f"Your verification code is {code}."
        else:
            subject, body = "Your password reset code", f"Your password reset code is {code}."
        ses.send_email(CODE_SENDER, subject, body, {"ToAddresses": [address]})

    # -- operations --------------------------------------------------------------------------------
    def call(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        """One Cognito operation; raises :class:`CognitoError`."""
        handler = getattr(self, f"_op_{_snake(operation)}", None)
        if handler is not None:
            return handler(body)
        if operation in FORWARDED:
            result = self._forward(operation, body)
            if operation == "SignUp":
                pool = self._pool_of(body["ClientId"])
                user = self._user(pool, body["Username"])
                if user is not None:
                    result["CodeDeliveryDetails"] = self._issue_code(
                        pool, user, "sign-up", SIGN_UP_CODE_TTL_S
                    )
            return result
        raise CognitoError("InvalidParameterException", f"{operation} is not available on the local pool.")

    def _forward(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            result = getattr(self._client, _snake(operation))(**body)
        except botocore.exceptions.ParamValidationError as exc:
            raise CognitoError("InvalidParameterException", str(exc)) from exc
        except botocore.exceptions.ClientError as exc:
            error = exc.response.get("Error", {})
            raise CognitoError(
                error.get("Code", "InternalErrorException"), error.get("Message", str(exc))
            ) from exc
        result.pop("ResponseMetadata", None)
        return result

    def _op_resend_confirmation_code(self, body: dict[str, Any]) -> dict[str, Any]:
        pool, user = self._pool_and_user(body)
        if user is None or user.status != "UNCONFIRMED":
            return {"CodeDeliveryDetails": _delivery(None)}  # no user existence errors
        return {"CodeDeliveryDetails": self._issue_code(pool, user, "sign-up", SIGN_UP_CODE_TTL_S)}

    def _pool_and_user(self, body: dict[str, Any]) -> tuple[Any, Any | None]:
        pool = self._pool_of(body.get("ClientId", ""))
        return pool, self._user(pool, body.get("Username", ""))

    def _op_confirm_sign_up(self, body: dict[str, Any]) -> dict[str, Any]:
        pool, user = self._pool_and_user(body)
        self._take_code(pool, user, "sign-up", body.get("ConfirmationCode", ""))
        self._forward("ConfirmSignUp", {**body, "Username": user.username})
        return {}

    def _op_forgot_password(self, body: dict[str, Any]) -> dict[str, Any]:
        pool, user = self._pool_and_user(body)
        if user is None:
            return {"CodeDeliveryDetails": _delivery(None)}  # no user existence errors
        return {"CodeDeliveryDetails": self._issue_code(pool, user, "reset", RESET_CODE_TTL_S)}

    def _op_confirm_forgot_password(self, body: dict[str, Any]) -> dict[str, Any]:
        pool, user = self._pool_and_user(body)
        password = str(body.get("Password", ""))
        try:
            self._backend()._validate_password(pool.id, password)
        except Exception as exc:
            raise CognitoError("InvalidPasswordException", str(getattr(exc, "message", exc))) from exc
        self._take_code(pool, user, "reset", body.get("ConfirmationCode", ""))
        self._client.admin_set_user_password(
            UserPoolId=pool.id, Username=user.username, Password=password, Permanent=True
        )
        return {}

    def _op_initiate_auth(self, body: dict[str, Any]) -> dict[str, Any]:
        flow = body.get("AuthFlow")
        parameters = body.get("AuthParameters") or {}
        if flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
            return self._forward("InitiateAuth", body)
        if flow != "USER_SRP_AUTH":
            raise CognitoError("InvalidParameterException", f"{flow} is not enabled for the web client.")
        client_id = body.get("ClientId", "")
        pool = self._pool_of(client_id)
        user = self._user(pool, parameters.get("USERNAME", ""))
        try:
            big_a = int(parameters.get("SRP_A", ""), 16)
        except ValueError as exc:
            raise CognitoError("InvalidParameterException", "SRP_A is not a hex number.") from exc
        if user is None or not user.enabled:
            raise CognitoError("NotAuthorizedException", BAD_LOGIN)
        if user.status == "UNCONFIRMED":
            raise CognitoError("UserNotConfirmedException", "User is not confirmed.")
        salt = srp.new_salt()
        v = srp.verifier(pool.id, user.username, user.password, salt)
        b, big_b = srp.server_ephemeral(v)
        secret_block = base64.b64encode(secrets.token_bytes(64)).decode()
        with self._lock:
            now = self.clock()
            for key in [k for k, c in self._challenges.items() if c.expires < now]:
                del self._challenges[key]
            self._challenges[secret_block] = _Challenge(
                pool.id,
                user.username,
                user.username,
                client_id,
                v,
                b,
                big_b,
                big_a,
                salt,
                now + CHALLENGE_TTL_S,
            )
        return {
            "ChallengeName": "PASSWORD_VERIFIER",
            "ChallengeParameters": {
                "SALT": salt,
                "SRP_B": format(big_b, "x"),
                "SECRET_BLOCK": secret_block,
                "USERNAME": user.username,
                "USER_ID_FOR_SRP": user.username,
            },
        }

    def _op_respond_to_auth_challenge(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("ChallengeName") != "PASSWORD_VERIFIER":
            raise CognitoError("InvalidParameterException", "Only PASSWORD_VERIFIER is answered locally.")
        answers = body.get("ChallengeResponses") or {}
        with self._lock:
            challenge = self._challenges.pop(answers.get("PASSWORD_CLAIM_SECRET_BLOCK", ""), None)
        if (
            challenge is None
            or challenge.expires < self.clock()
            or challenge.client_id != body.get("ClientId")
        ):
            raise CognitoError("NotAuthorizedException", "Invalid session for the user, session is expired.")
        signature_ok = srp.verify_claim(
            challenge.pool_id,
            challenge.user_id,
            challenge.v,
            challenge.b,
            challenge.big_b,
            challenge.big_a,
            answers["PASSWORD_CLAIM_SECRET_BLOCK"],
            str(answers.get("TIMESTAMP", "")),
            str(answers.get("PASSWORD_CLAIM_SIGNATURE", "")),
        )
        if not signature_ok:
            raise CognitoError("NotAuthorizedException", BAD_LOGIN)
        pool = self._backend().user_pools[challenge.pool_id]
        user = self._user(pool, challenge.username)
        if user is None:
            raise CognitoError("NotAuthorizedException", BAD_LOGIN)
        # The proof holds: let moto issue the tokens (and any further challenge) for this user.
        return self._forward(
            "InitiateAuth",
            {
                "ClientId": challenge.client_id,
                "AuthFlow": "USER_PASSWORD_AUTH",
                "AuthParameters": {"USERNAME": user.username, "PASSWORD": user.password},
            },
        )

    def _op_revoke_token(self, body: dict[str, Any]) -> dict[str, Any]:
        pool = self._pool_of(body.get("ClientId", ""))
        entry = pool.refresh_tokens.pop(body.get("Token", ""), None)
        if entry is not None:
            origin = entry[2]
            for token in list(pool.access_tokens):
                if jwt.decode(token, options={"verify_signature": False}).get("origin_jti") == origin:
                    pool.access_tokens.pop(token, None)
        return {}

    # -- WSGI --------------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        headers = [("Content-Type", "application/x-amz-json-1.1")]
        target = environ.get("HTTP_X_AMZ_TARGET") or ""
        if (environ.get("PATH_INFO") or "").rstrip("/") != PATH or not target.startswith(TARGET_PREFIX):
            return respond(start_response, 404, {"__type": "UnknownOperationException"}, headers)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(length) or b"{}")
            if not isinstance(body, dict):
                raise CognitoError("SerializationException", "The request body is not a JSON object.")
            result = self.call(target[len(TARGET_PREFIX) :], body)
        except CognitoError as exc:
            return respond(start_response, exc.status, {"__type": exc.kind, "message": exc.message}, headers)
        except ValueError:
            return respond(start_response, 400, {"__type": "SerializationException"}, headers)
        except Exception as exc:  # say what went wrong rather than drop the connection
            log.exception("local cognito: %s failed", target)
            return respond(
                start_response, 500, {"__type": "InternalErrorException", "message": str(exc)}, headers
            )
        return respond(start_response, 200, result, headers)


def _delivery(address: str | None) -> dict[str, str]:
    """CodeDeliveryDetails as Cognito shows them: the address masked (``a***@e***``)."""
    if not address or "@" not in address:
        return {"DeliveryMedium": "EMAIL", "AttributeName": "email", "Destination": "***@***"}
    local, _, domain = address.partition("@")
    return {
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
        "Destination": f"{local[:1]}***@{domain[:1]}***",
    }


def mount_cognito(gateway: Gateway, region: str, endpoint_url: str) -> CognitoFront:
    """A :class:`CognitoFront` on moto's pool in ``region``, mounted at :data:`PATH` on the gateway."""
    front = CognitoFront(region, endpoint_url)
    front.mount(gateway)
    return front
