"""Helpers of the circulation tests: the real chain on moto built from template.yaml, driven by the
local pumps, and what recipients observe (the mail SES accepted, a webhook receiver on loopback)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from backchannel.circulation.transports import webhooks

WORKERS = ("StreamRouterFunction", "PacksWorkerFunction", "FanoutWorkerFunction", "DeliveryWorkerFunction")


class Runtime:
    def __init__(self, api, logical_id: str) -> None:
        self.api, self.logical_id = api, logical_id

    def invoke(self, event: dict[str, Any]) -> Any:
        return self.api.invoke(self.logical_id, event)


class Receiver:
    """A webhook receiver on loopback: records every request; answers ``answers`` in turn, then 204."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                receiver.requests.append(
                    {"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
                )
                status = receiver.answers.pop(0) if receiver.answers else 204
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.url = f"{self.origin}/hooks/backchannel"

    def delivered(self, secret: str) -> list[dict]:
        """Distinct deliveries by webhook-id (what a Standard Webhooks receiver keeps), verified."""
        seen: dict[str, dict] = {}
        for r in self.requests:
            assert webhooks.verify(secret, r["headers"], r["body"]), "a request with a bad signature"
            seen.setdefault(r["headers"]["webhook-id"], json.loads(r["body"]))
        return list(seen.values())


def sent_mail(to: str | None = None) -> list:
    import email
    import email.policy

    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    messages = [
        email.message_from_string(m.raw_data, policy=email.policy.default)
        for m in ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
        if hasattr(m, "raw_data")
    ]
    return [m for m in messages if to is None or m["To"] == to]


def follow(api, who, type_: str, target_id: str):
    r = api.post("/me/follows", {"type": type_, "id": target_id}, as_=who)
    assert r.status in (200, 201), r
    return r.json


def email_channel(api, pumps, who, address: str, mode: str = "immediate") -> dict:
    r = api.post("/me/channels", {"type": "email", "address": address, "mode": mode}, as_=who)
    assert r.status == 201 and r.json["status"] == "pending", r
    pumps.drain()  # ChannelAdded -> the delivery worker mails the code
    code_mail = [m for m in sent_mail(address) if "code" in m["Subject"]][-1]
    code = code_mail["Subject"].rsplit(" ", 1)[-1]
    r = api.post(f"/me/channels/{r.json['id']}/verification", {"code": code}, as_=who)
    assert r.status == 200 and r.json["status"] == "active", r
    return r.json


def ready_personal_pack(api, pumps, who, event) -> dict:
    assert api.post(f"/events/{event['id']}/attendance", {}, as_=who).status == 201
    r = api.post("/me/packs", {"eventId": event["id"]}, as_=who)
    assert r.status == 202, r
    pumps.drain()
    pack = api.get(f"/packs/{r.json['id']}", as_=who).json
    assert pack["status"] == "ready", pack
    return pack


def edited_note(api, who, session, body: str, edit: str) -> dict:
    """A public note ``who`` writes in ``session`` and then edits (version 2), both asserted."""
    first = api.post(f"/sessions/{session['id']}/notes", {"body": body, "visibility": "public"}, as_=who)
    assert first.status == 201, first
    edited = api.request(
        "PUT",
        f"/notes/{first.json['id']}",
        json_body={"body": edit, "visibility": "public"},
        as_=who,
        headers={"If-Match": first.headers["etag"]},
    )
    assert edited.status == 200, edited
    return edited.json


def note(api, who, session, body: str, visibility: str, share: bool = True) -> dict:
    """A note ``who`` writes in ``session`` (201 asserted)."""
    r = api.post(
        f"/sessions/{session['id']}/notes",
        {"body": body, "visibility": visibility, "shareInPacks": share},
        as_=who,
    )
    assert r.status == 201, r
    return r.json


def ok(reply, status: int = 200):
    """The reply's JSON, once its status is asserted."""
    assert reply.status == status, reply
    return reply.json


def scheduled_pumps(aws, pumps_of, *functions: str):
    """The pumps of ``functions``, with the packs' schedule group they create schedules in."""
    aws.client("scheduler").create_schedule_group(Name=aws.stack.physical_ids["PacksScheduleGroup"])
    return pumps_of(*functions)
