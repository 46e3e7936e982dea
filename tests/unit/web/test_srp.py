"""Cognito's SRP maths against known vectors, in both implementations: the page's (web/srp.js, run by
node's WebCrypto and BigInt, as the browser runs it) and the local pool's (local/srp.py).

The vectors were made with pycognito 2024.5.1's ``AWSSRP`` (the client many Python tools sign in to
Cognito with; its maths follows amazon-cognito-identity-js): fixed a, b, salt, secret block and
timestamp, the verifier and B as Cognito's server computes them, then A, the HKDF key and the
PASSWORD_CLAIM_SIGNATURE from ``get_password_authentication_key`` and ``process_challenge``'s HMAC.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from local import srp

WEB = Path(__file__).resolve().parents[3] / "web"

POOL_ID = "eu-west-1_AbCdEf123"
USER = "alice"
PASSWORD = "Correct-Horse-9"
SALT = "8f3c2a5b1e9d7c6b5a4f3e2d1c0b0a99"
A_SECRET = int(hashlib.sha256(b"backchannel srp vector a").hexdigest() * 4, 16)
B_SECRET = int(hashlib.sha256(b"backchannel srp vector b").hexdigest() * 4, 16)
SECRET_BLOCK = base64.b64encode(bytes(range(48))).decode()
TIMESTAMP = "Wed Dec 2 07:05:09 UTC 2026"
# From pycognito's AWSSRP with the inputs above:
A_HEX = (
    "750719805c03b7ac1109f9d6bce3a8808d364f79664b0f5290e19b81154c4eee171c86637fec54dd14acdb73e858197b"
    "d2e1ec575f58a597497bb6f0a9be40196b0a1006d0f603d27b69e7d5db5f299831c3a4ca9960143bacc851d5bad8eefa"
    "83f022cf1fb99e48a35b3dc19655c336aff043e751fdd2620fb511736d4a183548b8ef31ce6975d0dc793a5c8d662933"
    "a3651aedce5a34920a6a0950054f1bf107e42866381e93d707c68b7b1730d69805593c60383b4074d23ba64d81f21738"
    "776233fb3e128e3e11c1604085f9a4e83b55c1e1aa6c15b46e9344550a0de230991f571f9fa84cc54600392b7dd5804e"
    "eb186a0ca3aa56e05f105f34dcef61aef1e5c95684da653902289f258949b93cca10a29c73b0b75ede2b8959a4be73ff"
    "9375a0982ea2e32ad5121806139ac852cdc4fd46c7210227f144f7e15ddbee36afbbd0d94751960f0a9f526de45161e3"
    "e6010e2dd454b20049a06202cc77d9ceee8dbcdf122c3bd93171823395864c4ab325541c67dc8e09071bf20d915d8d51"
)
B_HEX = (
    "b5438f3cd52992f1bf98614f1848d181cd014ee2cea5d45cae6be8efef9a7439c384ef9a71f67b10fa6a361db2dcffa4"
    "9da9d501bf82512c83a84ad17957a6f30f1dcf82a6442de09620239dcf2637ae04713399b521376d46531bef9b5da8f2"
    "e88418d5ef7d78a0cb6f1359b3e5cd57f50c80f23256418a6594a515c38bbea343e9dc628d00f1b399dfe1727fff5c89"
    "1f85a0f130af2635de1bf04079c31c21bb111d2b6500bd0aa4d1ac69a8f4cae0983cc22440b6aa640dc3361736f56747"
    "062f892da4b36ec5d4d9314f7f0159ddf3794c00de87c521cdd2ba38c117524888f8f5c523a7702c951995bbea0fcb3e"
    "c0444dc17b1b4237de2fcf30e4c25b04323e26c6ab279e5f7b2ff2d139f8aa2ff414a30166b1731f7209f262f5fe9272"
    "c2d5204765383241225d0f972a04f3018088dd8ddc6a7a6541c13433647d24bdf550f3b1d06f1403711ce045480db613"
    "b77c2328292a3402934d9363d80278b8de4ac90049bb7a8922c53d6fd1f3faed5cbf6092badeaa3d1e8b53b5d4cd1850"
)
KEY_HEX = "e8a72b75683c26c20706739e8b8922fb"
SIGNATURE = "ki1m3VElDfeWt7UYNfPapAa9XKP1yxO5FngSz6hb67w="


def test_the_local_pool_computes_the_known_vectors():
    big_a = srp.client_ephemeral(A_SECRET)[1]
    assert format(big_a, "x") == A_HEX
    v = srp.verifier(POOL_ID, USER, PASSWORD, SALT)
    assert format(srp.server_ephemeral(v, B_SECRET)[1], "x") == B_HEX
    big_b = int(B_HEX, 16)
    assert srp.password_key(POOL_ID, USER, PASSWORD, A_SECRET, big_b, SALT).hex() == KEY_HEX
    assert (
        srp.client_claim(POOL_ID, USER, PASSWORD, A_SECRET, big_b, SALT, SECRET_BLOCK, TIMESTAMP) == SIGNATURE
    )
    assert srp.cognito_timestamp(dt.datetime(2026, 12, 2, 7, 5, 9, tzinfo=dt.UTC)) == TIMESTAMP


def test_the_server_accepts_that_claim_and_nothing_else():
    v = srp.verifier(POOL_ID, USER, PASSWORD, SALT)
    big_a, big_b = srp.client_ephemeral(A_SECRET)[1], int(B_HEX, 16)
    check = {"pool_id": POOL_ID, "user_id": USER, "v": v, "b": B_SECRET, "big_b": big_b, "big_a": big_a}
    assert srp.verify_claim(**check, secret_block=SECRET_BLOCK, timestamp=TIMESTAMP, signature=SIGNATURE)
    wrong_password = srp.client_claim(
        POOL_ID, USER, "Wrong-Horse-9", A_SECRET, big_b, SALT, SECRET_BLOCK, TIMESTAMP
    )
    assert not srp.verify_claim(
        **check, secret_block=SECRET_BLOCK, timestamp=TIMESTAMP, signature=wrong_password
    )
    other_time = "Wed Dec 2 07:05:10 UTC 2026"
    assert not srp.verify_claim(**check, secret_block=SECRET_BLOCK, timestamp=other_time, signature=SIGNATURE)
    assert not srp.verify_claim(
        **{**check, "big_a": srp.N}, secret_block=SECRET_BLOCK, timestamp=TIMESTAMP, signature=SIGNATURE
    )


@pytest.mark.parametrize("multiple", [0, 1, 2])
def test_an_a_of_zero_mod_n_does_not_open_the_door(multiple):
    """With A = 0 mod N the server's S is 0 whatever the password, so anyone could sign it: refused."""
    v = srp.verifier(POOL_ID, USER, PASSWORD, SALT)
    big_b = int(B_HEX, 16)
    big_a = multiple * srp.N
    u = srp._u(big_a, big_b)
    forged = srp._signature(srp._hkdf(0, u), POOL_ID, USER, SECRET_BLOCK, TIMESTAMP)
    check = {"pool_id": POOL_ID, "user_id": USER, "v": v, "b": B_SECRET, "big_b": big_b, "big_a": big_a}
    assert not srp.verify_claim(**check, secret_block=SECRET_BLOCK, timestamp=TIMESTAMP, signature=forged)


def test_padded_hex_is_cognitos():
    assert srp.pad_hex(0x7F) == "7f"
    assert srp.pad_hex(0x80) == "0080"  # the top bit set: a 00 byte keeps it positive
    assert srp.pad_hex(0xABC) == "0abc"
    assert srp.pad_hex("F0") == "00f0"


SCRIPT = """
import * as srp from %(module)s;
const v = %(vectors)s;
const a = BigInt("0x" + v.a);
const out = {
  A: srp.ephemeral(a).A.toString(16),
  key: Buffer.from(await srp.passwordKey({poolId: v.pool, userId: v.user, password: v.password, a, B: v.B, salt: v.salt})).toString("hex"),
  signature: await srp.passwordClaim({poolId: v.pool, userId: v.user, password: v.password, a, B: v.B, salt: v.salt,
                                      secretBlock: v.secretBlock, timestamp: v.timestamp}),
  timestamp: srp.cognitoTimestamp(new Date(Date.UTC(2026, 11, 2, 7, 5, 9))),
  pad: [srp.padHex(0x7fn), srp.padHex(0x80n), srp.padHex(0xabcn)],
  fresh: srp.ephemeral().a !== srp.ephemeral().a,
};
console.log(JSON.stringify(out));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_page_computes_the_known_vectors():
    vectors = {
        "pool": POOL_ID,
        "user": USER,
        "password": PASSWORD,
        "salt": SALT,
        "a": format(A_SECRET, "x"),
        "B": B_HEX,
        "secretBlock": SECRET_BLOCK,
        "timestamp": TIMESTAMP,
    }
    script = SCRIPT % {"module": json.dumps((WEB / "srp.js").as_uri()), "vectors": json.dumps(vectors)}
    result = subprocess.run(  # noqa: S603 - node on a script of ours
        [shutil.which("node") or "node", "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["A"] == A_HEX
    assert out["key"] == KEY_HEX
    assert out["signature"] == SIGNATURE
    assert out["timestamp"] == TIMESTAMP
    assert out["pad"] == ["7f", "0080", "0abc"]
    assert out["fresh"] is True
