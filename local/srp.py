"""Cognito's SRP (Secure Remote Password, SRP-6a) as the local user pool's server side, plus the client
side for tests and tools: the same maths as ``web/srp.js``, which signs in from the page.

moto answers ``USER_SRP_AUTH`` with a random ``SRP_B`` and accepts any ``PASSWORD_VERIFIER`` signature,
so under moto anyone could sign in as anyone with any password. The local runtime's Cognito front
(``local/cognito.py``) does the server's half instead, with these functions:

    salt = new_salt(); v = verifier(pool_id, user_id, password, salt)
    b, B = server_ephemeral(v)                        # the challenge: SALT, SRP_B, SECRET_BLOCK
    ok = verify_claim(pool_id, user_id, v, b, B, A, salt, secret_block, timestamp, signature)

Cognito's variant of SRP-6a (as in amazon-cognito-identity-js' AuthenticationHelper): the 3072-bit
group of RFC 5054 (g = 2) with SHA-256; numbers are hashed as "padded hex" (even length, with a 00
byte in front when the top bit is set: a two's-complement positive number), so
``k = H(00 N | 02)``, ``u = H(pad A | pad B)``, ``x = H(pad salt | H(poolName user:password))`` where
poolName is the part of the pool id after ``_``; the key is HKDF-SHA256(ikm = pad S, salt = pad u,
info = "Caldera Derived Key") cut to 16 bytes; the claim is
``base64 HMAC-SHA256(key, poolName | user | secret block bytes | timestamp)`` with the timestamp in
the form ``Tue Dec 1 07:05:09 UTC 2026`` (day not zero-padded).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets

__all__ = [
    "G",
    "K",
    "N",
    "client_claim",
    "client_ephemeral",
    "cognito_timestamp",
    "new_salt",
    "pad_hex",
    "password_key",
    "server_ephemeral",
    "verifier",
    "verify_claim",
]

N_HEX = (
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
)
N = int(N_HEX, 16)
G = 2
INFO = b"Caldera Derived Key\x01"
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def pad_hex(value: int | str) -> str:
    """A number (or hex string) as Cognito hashes it: even length, 00 in front when the top bit is set."""
    text = format(value, "x") if isinstance(value, int) else value.lower()
    if len(text) % 2:
        return "0" + text
    return "00" + text if text[0] in "89abcdef" else text


def _hash_hex(hex_text: str) -> int:
    return int(hashlib.sha256(bytes.fromhex(hex_text)).hexdigest(), 16)


K = _hash_hex("00" + N_HEX + "0" + format(G, "x"))


def _pool_name(pool_id: str) -> str:
    return pool_id.split("_", 1)[1]


def _x(pool_id: str, user_id: str, password: str, salt_hex: str) -> int:
    inner = hashlib.sha256(f"{_pool_name(pool_id)}{user_id}:{password}".encode()).hexdigest()
    return _hash_hex(pad_hex(salt_hex) + inner)


def _u(big_a: int, big_b: int) -> int:
    return _hash_hex(pad_hex(big_a) + pad_hex(big_b))


def new_salt() -> str:
    """A fresh 16-byte salt, as hex."""
    return secrets.token_hex(16)


def verifier(pool_id: str, user_id: str, password: str, salt_hex: str) -> int:
    """The password verifier ``v = g^x mod N`` the server keeps instead of the password."""
    return pow(G, _x(pool_id, user_id, password, salt_hex), N)


def server_ephemeral(v: int, b: int | None = None) -> tuple[int, int]:
    """The server's secret ``b`` and public ``B = k v + g^b mod N``."""
    b = b if b is not None else secrets.randbits(1024) % N
    return b, (K * v + pow(G, b, N)) % N


def client_ephemeral(a: int | None = None) -> tuple[int, int]:
    """The client's secret ``a`` and public ``A = g^a mod N``."""
    a = a if a is not None else secrets.randbits(1024) % N
    return a, pow(G, a, N)


def _hkdf(s: int, u: int) -> bytes:
    prk = hmac.new(bytes.fromhex(pad_hex(u)), bytes.fromhex(pad_hex(s)), hashlib.sha256).digest()
    return hmac.new(prk, INFO, hashlib.sha256).digest()[:16]


def password_key(pool_id: str, user_id: str, password: str, a: int, big_b: int, salt_hex: str) -> bytes:
    """The client's 16-byte key: from ``S = (B - k g^x)^(a + u x) mod N``."""
    big_a = pow(G, a, N)
    u = _u(big_a, big_b)
    if u == 0 or big_b % N == 0:
        raise ValueError("the server's B is not acceptable")
    x = _x(pool_id, user_id, password, salt_hex)
    s = pow((big_b - K * pow(G, x, N)) % N, a + u * x, N)
    return _hkdf(s, u)


def _signature(key: bytes, pool_id: str, user_id: str, secret_block: str, timestamp: str) -> str:
    message = (
        _pool_name(pool_id).encode() + user_id.encode() + base64.b64decode(secret_block) + timestamp.encode()
    )
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


def client_claim(
    pool_id: str,
    user_id: str,
    password: str,
    a: int,
    big_b: int,
    salt_hex: str,
    secret_block: str,
    timestamp: str,
) -> str:
    """``PASSWORD_CLAIM_SIGNATURE``: what the page sends in answer to ``PASSWORD_VERIFIER``."""
    key = password_key(pool_id, user_id, password, a, big_b, salt_hex)
    return _signature(key, pool_id, user_id, secret_block, timestamp)


def verify_claim(
    pool_id: str,
    user_id: str,
    v: int,
    b: int,
    big_b: int,
    big_a: int,
    secret_block: str,
    timestamp: str,
    signature: str,
) -> bool:
    """Whether ``signature`` proves knowledge of the password behind ``v`` (server side:
    ``S = (A v^u)^b mod N``)."""
    if big_a % N == 0:
        return False
    u = _u(big_a, big_b)
    s = pow(big_a * pow(v, u, N) % N, b, N)
    expected = _signature(_hkdf(s, u), pool_id, user_id, secret_block, timestamp)
    return hmac.compare_digest(expected.encode(), signature.encode())


def cognito_timestamp(when: dt.datetime | None = None) -> str:
    """``Tue Dec 1 07:05:09 UTC 2026``: the TIMESTAMP of a PASSWORD_VERIFIER answer (UTC)."""
    when = (when or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return f"{_DAYS[when.weekday()]} {_MONTHS[when.month - 1]} {when.day} {when:%H:%M:%S} UTC {when.year}"
