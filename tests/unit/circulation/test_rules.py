"""Circulation's pure rules: back-off, delivery ids and messages, the domain events of publications,
withdrawn pack versions and new channels, and the send-time address check of a webhook."""

from __future__ import annotations

import functools
import socket

import pytest

from backchannel.circulation import delivery
from backchannel.circulation.model import Channel, Job, delivery_id, parse_follow_id
from backchannel.circulation.transports import outbound, send
from backchannel.messaging import domain_events as de


def test_backoff_is_full_jitter_under_an_exponential_ceiling():
    assert delivery.backoff(1, base_s=30, cap_s=900, rand=lambda: 0.999) == 29
    assert delivery.backoff(3, base_s=30, cap_s=900, rand=lambda: 0.999) == 119
    assert delivery.backoff(10, base_s=30, cap_s=900, rand=lambda: 0.999) == 899  # capped
    assert delivery.backoff(4, base_s=30, cap_s=900, rand=lambda: 0.0) == 1  # never zero


def test_a_delivery_id_names_one_pack_version_recipient_channel_and_kind():
    one = delivery_id("p", 1, "r", "c")
    assert one == delivery_id("p", 1, "r", "c") and one.startswith("dlv_")
    assert (
        len(
            {one, delivery_id("p", 2, "r", "c"), delivery_id("p", 1, "s", "c"), delivery_id("p", 1, "r", "d")}
        )
        == 4
    )
    assert delivery_id("p", 1, "r", "c", "retract") != one


def test_jobs_travel_as_messages_and_bad_ones_are_refused():
    job = Job("p", 3, "r", "c", "webhook")
    assert Job.from_message(job.to_message()) == job
    with pytest.raises(ValueError, match="not a delivery message"):
        Job.from_message({"packId": "p"})
    with pytest.raises(ValueError, match="unknown delivery kind"):
        Job.from_message({**job.to_message(), "kind": "explode"})


def test_follow_ids_parse_back():
    assert parse_follow_id("member-01ABC") == ("member", "01ABC")
    assert parse_follow_id("hashtag-x") is None and parse_follow_id("member-") is None


def _derive(old, new):
    return de.derive(old, new, record_id="rec-1", at="2026-11-25T10:00:00Z")


def test_a_publication_makes_pack_published_once():
    item = {
        "type": "Publication",
        "packId": "p",
        "version": 2,
        "kind": "personal",
        "eventId": "e",
        "targetId": "e",
        "ownerId": "m",
        "publishedBy": "m",
        "publishedAt": "t",
        "status": "fanning-out",
    }
    [event] = _derive(None, item)
    assert event.detail_type == "PackPublished" and event.detail["version"] == 2
    assert _derive(item, {**item, "status": "enqueued"}) == []  # progress is not news


def test_a_publication_counting_a_retraction_makes_pack_retracted_and_nothing_else_does():
    pub = {"type": "Publication", "packId": "p", "version": 3, "eventId": "e", "retractions": 0}
    [event] = _derive(pub, {**pub, "retractions": 1})
    assert event.detail_type == "PackRetracted"
    assert (event.detail["packId"], event.detail["version"]) == ("p", 3)
    assert _derive(pub, {**pub, "status": "enqueued", "revision": 1}) == []  # progress, a new edition
    assert _derive({**pub, "retractions": 1}, {**pub, "retractions": 1, "retracted": 1}) == []
    assert _derive(pub, None) == []
    # a pack's own builds announce nothing: its publications carry what circulated
    served = {"type": "Pack", "id": "p", "eventId": "e", "readyVersion": 1, "status": "ready"}
    assert _derive(served, {**served, "readyVersion": None, "status": "queued"}) == []


def test_only_a_pending_channel_is_announced_and_without_its_address():
    item = {
        "type": "Channel",
        "id": "c",
        "memberId": "m",
        "channelType": "email",
        "status": "pending",
        "settings": {"address": "a@example.org"},
        "sealed": "secret",
    }
    [event] = _derive(None, item)
    assert event.detail_type == "ChannelAdded" and "a@example.org" not in str(event.detail)
    assert "secret" not in str(event.detail)
    assert _derive(None, {**item, "status": "active"}) == []


def test_a_webhook_url_that_turned_private_is_refused_at_send_time():
    def private(host, port, type=0):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port))]

    out = delivery.Outbound(
        sealer=None,
        mailer=None,
        send=functools.partial(outbound.send, resolve=private),
        allow=(),
        timeout_s=1.0,
        public_url="https://api.example.org",
        mail_from="packs@example.org",
    )
    channel = Channel(
        "c", "m", "webhook", "immediate", "active", {"url": "https://hooks.example.org/x"}, "t", "t"
    )
    with pytest.raises(send.Refused, match="private"):
        send.post_webhook(out, channel, {"secret": "whsec_" + "A" * 32}, "dlv_1", "pack.published", {})
