"""The HTTP API's JWT authorizer, emulated: verify a Cognito token and flatten its claims.

API Gateway checks, for a JWT authorizer: the token's signature against the issuer's JWKS, ``exp``
and ``nbf``, that ``iss`` is the configured issuer, and that ``aud`` or ``client_id`` is one of the
configured audiences; we also require Cognito's ``token_use`` to be ``access`` or ``id``. On
success it passes the claims to the function with every value rendered as a string (arrays as
``[a b]``), and on failure it answers 401 itself without invoking the function.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

import jwt
from jwt.algorithms import RSAAlgorithm

__all__ = ["Forbidden", "JwtAuthorizer", "Unauthorized", "flatten_claims", "token_from_header"]


class Unauthorized(Exception):
    """The request carries no valid token; the reason goes into the ``www-authenticate`` header."""


class Forbidden(Unauthorized):
    """A valid token without the scopes the route requires (API Gateway answers 403)."""


def token_from_header(value: str | None) -> str:
    """The token from an Authorization header (API Gateway accepts it with or without "Bearer ")."""
    if not value or not value.strip():
        raise Unauthorized("no token")
    value = value.strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    if not value:
        raise Unauthorized("no token")
    return value


def flatten_claims(claims: dict[str, Any]) -> dict[str, str]:
    """Claims as API Gateway passes them to an HTTP API integration: every value a string."""
    return {name: _claim_text(value) for name, value in claims.items()}


def _claim_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + " ".join(_claim_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_claim_text(v)}" for k, v in value.items()) + "]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def fetch_json(url: str, timeout: float = 5.0) -> dict[str, Any]:
    """GET a JSON document (the JWKS)."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.load(response)


class JwtAuthorizer:
    """Verifies tokens for one ``JwtConfiguration`` (issuer and audiences).

    The JWKS comes from ``jwks_url`` (moto serves a pool's keys at
    ``<endpoint>/<poolId>/.well-known/jwks.json``) and is cached; an unknown ``kid`` triggers at most
    one refresh a minute, as a real verifier would on key rotation.
    """

    def __init__(
        self,
        *,
        issuer: str,
        audiences: Iterable[str],
        jwks_url: str,
        fetch: Callable[[str], dict[str, Any]] = fetch_json,
        leeway_s: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuer = issuer
        self.audiences = set(audiences)
        self.jwks_url = jwks_url
        self._fetch = fetch
        self._leeway_s = leeway_s
        self._clock = clock
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    def _key(self, kid: str) -> Any:
        with self._lock:
            if kid not in self._keys and self._clock() - self._fetched_at > 60:
                try:
                    jwks = self._fetch(self.jwks_url)
                except OSError as exc:
                    raise Unauthorized(f"cannot fetch the issuer's keys: {exc}") from exc
                self._fetched_at = self._clock()
                self._keys = {
                    k["kid"]: RSAAlgorithm.from_jwk(json.dumps(k))
                    for k in jwks.get("keys", [])
                    if k.get("kty") == "RSA"
                }
            if kid not in self._keys:
                raise Unauthorized("signing key not found")
            return self._keys[kid]

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims if it is valid for this authorizer; raises :class:`Unauthorized`."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized("malformed token") from exc
        if header.get("alg") != "RS256":
            raise Unauthorized("unsupported algorithm")
        key = self._key(str(header.get("kid")))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=self.issuer,
                leeway=self._leeway_s,
                options={"verify_aud": False, "require": ["exp", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("the token has expired") from exc
        except jwt.InvalidIssuerError as exc:
            raise Unauthorized("the token has an invalid issuer") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"invalid token: {exc}") from exc
        audiences = claims.get("aud", [])
        audiences = {audiences} if isinstance(audiences, str) else set(audiences)
        if "client_id" in claims:
            audiences.add(claims["client_id"])
        if self.audiences and not audiences & self.audiences:
            raise Unauthorized("the token's audience is not allowed")
        if claims.get("token_use") not in ("access", "id"):
            raise Unauthorized("the token is neither an access nor an id token")
        return claims

    def authorize(self, authorization_header: str | None, scopes: Iterable[str] = ()) -> dict[str, str]:
        """Verify the header's token and return the flattened claims API Gateway would pass on.

        ``scopes`` are the route's AuthorizationScopes: the token's ``scope`` claim must hold one.
        """
        claims = self.verify(token_from_header(authorization_header))
        required = set(scopes)
        if required and not required & set(str(claims.get("scope", "")).split()):
            raise Forbidden("the token has none of the route's scopes")
        return flatten_claims(claims)
