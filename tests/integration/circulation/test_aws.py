"""Circulation against (moto's) AWS: sealing with KMS and sending raw mail with SES v2."""

from __future__ import annotations

import email
import email.policy

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from backchannel.circulation.channels import token_hash
from backchannel.circulation.transports import mail
from backchannel.circulation.transports.sealing import Sealer, SealError
from backchannel.core import config

REGION = "us-east-1"
SENDER = "news@backchannel.example"


@pytest.fixture
def moto():
    with mock_aws():
        yield


@pytest.fixture
def sealer(moto):
    key_id = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["KeyId"]
    return Sealer(key_id, client_factory=lambda: boto3.client("kms", region_name=REGION))


def test_a_sealed_secret_opens_with_its_context(sealer):
    sealed = sealer.seal("whsec_c2VjcmV0", {"channelId": "ch_1"})
    assert "whsec_" not in sealed
    assert sealer.open(sealed, {"channelId": "ch_1"}) == "whsec_c2VjcmV0"


@pytest.mark.parametrize("context", [{"channelId": "ch_2"}, {"channelId": "ch_1", "memberId": "m_1"}, {}])
def test_a_sealed_secret_does_not_open_under_another_context(sealer, context):
    sealed = sealer.seal("whsec_c2VjcmV0", {"channelId": "ch_1"})
    with pytest.raises(SealError):
        sealer.open(sealed, context)


@pytest.mark.parametrize("sealed", ["not base64!", "", "AAAA"])
def test_garbage_does_not_open(sealer, sealed):
    with pytest.raises(SealError):
        sealer.open(sealed, {"channelId": "ch_1"})


def test_sealing_needs_a_context(sealer):
    with pytest.raises(ValueError, match="context"):
        sealer.seal("secret", {})


def test_token_hash_is_sha256_hex():
    assert token_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_ses_sends_the_raw_message_moto_records(moto):
    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)
    config.reset()  # forget AWS clients made before: the default one is made inside moto
    raw = mail.build_message(
        sender=f"Backchannel <{SENDER}>",
        to="alice@example.org",
        subject="Your pack ✨",
        text="Hello ✨",
        html="<p>Hello ✨</p>",
        unsubscribe_url="https://api.example/unsubscribe/tok",
        message_id_key="delivery-1",
    )
    message_id = mail.SesMailer().send(sender=SENDER, to="alice@example.org", raw=raw)

    [sent] = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    assert (sent.id, sent.source) == (message_id, SENDER)
    assert "alice@example.org" in sent.destinations
    parsed = email.message_from_string(sent.raw_data, policy=email.policy.default)
    assert parsed["Subject"] == "Your pack ✨"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]


def test_ses_refuses_an_unverified_sender_for_good(moto):
    mailer = mail.SesMailer(lambda: boto3.client("sesv2", region_name=REGION))
    with pytest.raises(mail.MailError) as raised:
        mailer.send(
            sender="stranger@nowhere.example", to="alice@example.org", raw=b"Subject: hi\r\n\r\nhi\r\n"
        )
    assert not raised.value.retryable


@pytest.mark.parametrize(
    ("code", "status", "retryable"),
    [
        ("TooManyRequestsException", 429, True),
        ("InternalFailure", 500, True),
        ("MessageRejected", 400, False),
        ("BadRequestException", 400, False),
    ],
)
def test_ses_errors_say_whether_to_retry(code, status, retryable):
    client = boto3.client("sesv2", region_name=REGION)
    with Stubber(client) as stub:
        stub.add_client_error("send_email", service_error_code=code, http_status_code=status)
        with pytest.raises(mail.MailError, match=code) as raised:
            mail.SesMailer(lambda: client).send(sender=SENDER, to="alice@example.org", raw=b"x")
    assert raised.value.retryable is retryable
    assert isinstance(raised.value.__cause__, ClientError)
