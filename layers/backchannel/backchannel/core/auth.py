"""Who is calling: claims from API Gateway's JWT authorizer, or a verified bearer token on public routes.

Protected routes are guarded by the HTTP API's JWT authorizer, which passes the token's claims in
``requestContext.authorizer.jwt.claims`` (arrays flattened to strings such as ``"[organisers]"``).
Public routes get no claims, yet some answer more to a signed-in caller (a private event to its
attendees), so there a token, when sent, is verified here against the issuer's JWKS; one rule for every
route: a token is read with or without ``Bearer ``, as the gateway reads it, and an invalid one is
refused with 401 (:func:`backchannel.core.http.handle` checks it before any public route runs).
"""

from __future__ import annotations

import functools
import json
import time
from typing import Any

from backchannel.core import request_scope
from backchannel.core.config import get_config, on_reset
from backchannel.core.errors import Unauthorized
from backchannel.core.model import Caller
from backchannel.core.observability import logger


def _groups(raw: Any) -> frozenset[str]:
    if isinstance(raw, list | tuple | set | frozenset):
        return frozenset(str(g) for g in raw)
    if isinstance(raw, str):
        return frozenset(g for g in raw.strip("[]").replace(",", " ").split() if g)
    return frozenset()


def caller_from_claims(claims: dict[str, Any] | None) -> Caller | None:
    if not claims or not claims.get("sub"):
        return None
    return Caller(
        member_id=str(claims["sub"]),
        username=str(claims.get("username") or claims.get("cognito:username") or ""),
        groups=_groups(claims.get("cognito:groups")),
        email=claims.get("email"),
    )


def claims_of(event: dict) -> dict | None:
    return (((event.get("requestContext") or {}).get("authorizer") or {}).get("jwt") or {}).get("claims")


def bearer_token(headers: dict[str, str] | None) -> str | None:
    """The token of the Authorization header as API Gateway's JWT authorizer reads it: with or without
    the ``Bearer `` prefix (``local/jwt_authorizer.token_from_header`` reads it alike). None when the
    header is absent or blank; anything else is a token, to be verified."""
    value = ((headers or {}).get("authorization") or "").strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    return value or None


# --------------------------------------------------------------------------------------------------
# verifying a token ourselves (public routes only)
# --------------------------------------------------------------------------------------------------


def _fetch_jwks(url: str) -> dict:
    import urllib.request  # only public routes that receive a token need it

    with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 - configured issuer, https in AWS
        return json.loads(response.read())


class JwksVerifier:
    """Verifies Cognito tokens: RS256 signature, expiry, issuer, audience (id) or client id (access)."""

    def __init__(self, issuer: str, audience: str, jwks_url: str, fetch=_fetch_jwks) -> None:
        self.issuer = issuer
        self.audience = audience
        self.jwks_url = jwks_url
        self._fetch = fetch
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0

    def _key(self, kid: str):
        import jwt  # PyJWT, imported only when a public route receives a token

        if kid not in self._keys and time.monotonic() - self._fetched_at > 60:
            jwks = self._fetch(self.jwks_url)
            self._fetched_at = time.monotonic()
            self._keys = {k["kid"]: jwt.PyJWK(k).key for k in jwks.get("keys", []) if "kid" in k}
        if kid not in self._keys:
            raise Unauthorized("token signed with an unknown key")
        return self._keys[kid]

    def verify(self, token: str) -> dict:
        import jwt

        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(
                token,
                self._key(str(header.get("kid"))),
                algorithms=["RS256"],
                issuer=self.issuer,
                options={"verify_aud": False, "require": ["exp", "iss", "sub", "token_use"]},
                leeway=5,
            )
        except jwt.PyJWTError as err:
            raise Unauthorized(f"invalid token: {err}") from None
        use = claims.get("token_use")
        audience = claims.get("client_id") if use == "access" else claims.get("aud")
        if use not in ("access", "id") or audience != self.audience:
            raise Unauthorized("token was not issued to this application")
        return claims


@functools.cache
def verifier() -> JwksVerifier:
    """The verifier for this function's issuer; the JWKS address follows the SDK's Cognito endpoint,
    so it is Cognito's own in AWS and the local stack's under ``make run``."""
    import boto3

    cfg = get_config()
    issuer = cfg.require("jwt_issuer")
    pool_id = issuer.rstrip("/").rsplit("/", 1)[-1]
    endpoint = boto3.client("cognito-idp", region_name=cfg.region).meta.endpoint_url.rstrip("/")
    return JwksVerifier(issuer, cfg.require("jwt_audience"), f"{endpoint}/{pool_id}/.well-known/jwks.json")


on_reset(verifier.cache_clear)


_verified = request_scope.cache()  # token -> claims, once per request


def resolve_caller(event: dict, *, required: bool) -> Caller | None:
    """The caller: the gateway's claims on a protected route; on a public route the token sent, which
    must then be valid (401 otherwise: a token is never silently ignored); None when none is sent."""
    caller = caller_from_claims(claims_of(event))
    if caller is None:
        token = bearer_token({k.lower(): v for k, v in (event.get("headers") or {}).items()})
        if token:
            if token not in _verified:
                _verified[token] = verifier().verify(token)
            caller = caller_from_claims(_verified[token])
    if caller is None and required:
        raise Unauthorized("sign in first: send an Authorization: Bearer <token> header")
    if caller is not None:
        logger.append_keys(member_id=caller.member_id)
    return caller
