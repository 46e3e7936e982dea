"""Secrets at rest: channel secrets (webhook signing secrets, Mastodon tokens) sealed with KMS.

:class:`Sealer` encrypts with the circulation KMS key under an encryption context that names what the
secret belongs to (for example ``{"channelId": ...}``). KMS binds the ciphertext to that context, so a
sealed value copied onto another item cannot be opened there. The table holds only the sealed text;
plaintext is never logged.

Tokens we hand out and must recognise later (feed URLs, unsubscribe and pack links) are not sealed
but hashed: :func:`backchannel.circulation.channels.token_hash`. Values too guessable for a plain
hash (six-digit verification codes, mail addresses as counter keys) are keyed with :class:`KmsMac`:
HMAC-SHA-256 under a KMS HMAC key whose material never leaves KMS.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from backchannel.core import aws_clients

_UNOPENABLE = {"InvalidCiphertextException", "IncorrectKeyException"}


class SealError(Exception):
    """A sealed value that cannot be opened with this key and context (tampered, moved or mistyped)."""


def kms_client() -> Any:
    """The KMS client of this function's region."""
    return aws_clients.client("kms")


class Sealer:
    """Seals and opens short secrets (up to 4 KiB) with one KMS key; the client is made on first use.
    Other AWS errors (throttling, access) pass through as ``ClientError``: they are not the value's."""

    def __init__(self, key_id: str, client_factory: Callable[[], Any] | None = None) -> None:
        self.key_id = key_id
        self._client_factory = client_factory or kms_client
        self._client: Any = None

    def _kms(self) -> Any:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def seal(self, plaintext: str, context: dict[str, str]) -> str:
        """``plaintext`` encrypted under ``context`` (which must not be empty), as base64 text."""
        if not context:
            raise ValueError("a sealed secret needs an encryption context naming its owner")
        answer = self._kms().encrypt(
            KeyId=self.key_id, Plaintext=plaintext.encode(), EncryptionContext=context
        )
        return base64.b64encode(answer["CiphertextBlob"]).decode("ascii")

    def open(self, sealed: str, context: dict[str, str]) -> str:
        """The plaintext of ``sealed``, given the context it was sealed under; :class:`SealError` if not."""
        from botocore.exceptions import ClientError

        try:
            blob = base64.b64decode(sealed, validate=True)
            if not blob:
                raise SealError("the sealed value is empty")
            answer = self._kms().decrypt(CiphertextBlob=blob, EncryptionContext=context, KeyId=self.key_id)
        except binascii.Error:
            raise SealError("the sealed value is not base64") from None
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in _UNOPENABLE:
                raise SealError("the sealed value does not open with this key and context") from None
            raise
        return answer["Plaintext"].decode()


class KmsMac:
    """HMAC-SHA-256 (hex) of short values under one KMS HMAC key (``kms:GenerateMac``); the client is
    made on first use. AWS errors pass through as ``ClientError``."""

    def __init__(self, key_id: str, client_factory: Callable[[], Any] | None = None) -> None:
        self.key_id = key_id
        self._client_factory = client_factory or kms_client
        self._client: Any = None

    def __call__(self, message: str) -> str:
        if self._client is None:
            self._client = self._client_factory()
        answer = self._client.generate_mac(
            KeyId=self.key_id, Message=message.encode(), MacAlgorithm="HMAC_SHA_256"
        )
        return bytes(answer["Mac"]).hex()
