"""``GET /_local/mail`` (local.mailbox): the mail moto's SES accepted, as a developer reading it sees it."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage

import boto3
import pytest
from moto import mock_aws
from werkzeug.test import Client

from local.mailbox import Mailbox

SENDER = "packs@example.com"


@pytest.fixture
def sesv2():
    """In-process moto with the sender verified, and an SES v2 client."""
    with mock_aws():
        client = boto3.client("sesv2", region_name="us-east-1")
        client.create_email_identity(EmailIdentity=SENDER)
        yield client


@pytest.fixture
def client(sesv2) -> Client:
    return Client(Mailbox("us-east-1"))


def _pack_mail(to: str, subject: str) -> bytes:
    message = EmailMessage()
    message["From"] = f"Backchannel <{SENDER}>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = "Tue, 25 Nov 2025 21:00:00 +0000"
    message["Message-ID"] = f"<{subject.replace(' ', '-')}@backchannel.example>"
    message["List-Unsubscribe"] = "<https://api.example/unsubscribe?t=abc>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(f"{subject}: read it at https://api.example/packs/1")
    message.add_alternative(f"<p>{subject}</p>", subtype="html")
    message.add_attachment(
        b"PK\x03\x04epub", maintype="application", subtype="epub+zip", filename="pack.epub"
    )
    return message.as_bytes()


def _send_raw(sesv2, to: str, subject: str) -> str:
    return sesv2.send_email(
        FromEmailAddress=SENDER,
        Destination={"ToAddresses": [to]},
        Content={"Raw": {"Data": _pack_mail(to, subject)}},
    )["MessageId"]


def _items(client: Client, query: str = "") -> list[dict]:
    reply = client.get(f"/_local/mail{query}")
    assert reply.status_code == 200, reply.data
    assert reply.headers["Content-Type"] == "application/json"
    return reply.get_json()["items"]


def test_lists_raw_mail_with_its_parts_and_headers_newest_last(sesv2, client):
    first = _send_raw(sesv2, "alice@example.org", "Pack one")
    second = _send_raw(sesv2, "bob@example.org", "Pack two")

    items = _items(client)

    assert [i["id"] for i in items] == [first, second]
    item = items[0]
    assert item["from"] == f"Backchannel <{SENDER}>"
    assert item["to"] == ["alice@example.org"]
    assert item["subject"] == "Pack one"
    assert item["date"] == "Tue, 25 Nov 2025 21:00:00 +0000"
    assert item["text"] == "Pack one: read it at https://api.example/packs/1\n"
    assert item["html"] == "<p>Pack one</p>\n"
    assert item["headers"]["List-Unsubscribe"] == "<https://api.example/unsubscribe?t=abc>"
    assert item["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert item["headers"]["Message-ID"] == "<Pack-one@backchannel.example>"
    assert item["attachments"] == [
        {"filename": "pack.epub", "contentType": "application/epub+zip", "size": 8}
    ]


def test_filters_by_recipient(sesv2, client):
    _send_raw(sesv2, "alice@example.org", "For Alice")
    _send_raw(sesv2, "alice+packs@example.org", "For Alice's plus address")
    _send_raw(sesv2, "bob@example.org", "For Bob")

    assert [i["subject"] for i in _items(client, "?to=Alice@Example.org")] == ["For Alice"]
    assert [i["subject"] for i in _items(client, "?to=alice+packs@example.org")] == [
        "For Alice's plus address"
    ]
    assert _items(client, "?to=carol@example.org") == []


def test_serves_one_message_raw_and_404_for_an_unknown_id(sesv2, client):
    message_id = _send_raw(sesv2, "alice@example.org", "Pack one")

    reply = client.get(f"/_local/mail/{message_id}")

    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "message/rfc822"
    parsed = email.message_from_bytes(reply.data, policy=policy.default)
    assert parsed["Subject"] == "Pack one"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert client.get("/_local/mail/no-such-message").status_code == 404
    assert client.get("/_local/mailbox").status_code == 404


def test_simple_sends_are_listed_too(sesv2, client):
    sesv2.send_email(
        FromEmailAddress=SENDER,
        Destination={"ToAddresses": ["alice@example.org"], "CcAddresses": ["bob@example.org"]},
        Content={"Simple": {"Subject": {"Data": "Plain"}, "Body": {"Text": {"Data": "just text"}}}},
    )
    boto3.client("ses", region_name="us-east-1").send_email(
        Source=SENDER,
        Destination={"ToAddresses": ["carol@example.org"]},
        Message={"Subject": {"Data": "Rich"}, "Body": {"Html": {"Data": "<p>some html</p>"}}},
    )

    plain, rich = _items(client)

    assert (plain["subject"], plain["text"], plain["html"]) == ("Plain", "just text\n", None)
    assert plain["to"] == ["alice@example.org", "bob@example.org"]
    assert (rich["subject"], rich["text"], rich["html"]) == ("Rich", None, "<p>some html</p>\n")
    assert client.get(f"/_local/mail/{rich['id']}").status_code == 200
