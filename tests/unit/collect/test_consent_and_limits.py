"""Consent on the open networks and the networks' rate-limit headers (pure)."""

from __future__ import annotations

import datetime as dt

import pytest

from backchannel.collect.consent import bluesky_allows, clean, html_text, mastodon_allows
from backchannel.collect.networks import reset_time

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


def status(visibility: str = "public", **account) -> dict:
    return {"visibility": visibility, "account": {"username": "ada", "note": "", **account}}


@pytest.mark.parametrize(
    ("found", "allowed"),
    [
        (status(), True),
        (status(indexable=True, discoverable=True, noindex=False), True),
        (status("unlisted"), False),
        (status("private"), False),
        (status(noindex=True), False),
        (status(indexable=False), False),
        (status(discoverable=False), False),
        (status(note="<p>Cats. <a href='x' class='mention hashtag'>#<span>NoBot</span></a></p>"), False),
        (status(note="#noarchive please"), False),
        (status(note="I like #nobots and foo#nobot"), True),  # another tag; not a tag
        ({**status(), "reblog": {"id": "1"}}, False),
    ],
)
def test_mastodon_collects_only_public_statuses_of_accounts_that_did_not_opt_out(found, allowed):
    assert mastodon_allows(found) is allowed


def test_bluesky_skips_the_no_unauthenticated_label_on_the_author_or_the_post():
    label = [{"val": "!no-unauthenticated", "src": "did:plc:x"}]
    assert bluesky_allows({"author": {"handle": "a.bsky.social", "labels": []}})
    assert not bluesky_allows({"author": {"handle": "a.bsky.social", "labels": label}})
    assert not bluesky_allows({"author": {"handle": "a.bsky.social"}, "labels": label})


def test_mastodon_html_becomes_text_with_full_links_and_tags_as_written():
    content = (
        '<p>Read <a href="https://example.org/a/very/long/path" rel="nofollow"><span class="invisible">https://'
        '</span><span class="ellipsis">example.org/a/very</span></a> at '
        '<a href="https://m.example/tags/wol" class="mention hashtag">#<span>WOL</span></a></p><p>x &amp; y<br>z</p>'
    )
    assert html_text(content) == "Read https://example.org/a/very/long/path at #WOL\n\nx & y\nz"
    assert clean("a\x00b\n" + "c" * 600, 500) == "ab\n" + "c" * 496 + "…"


@pytest.mark.parametrize(
    ("headers", "after"),
    [
        ({"retry-after": "120"}, dt.timedelta(seconds=120)),
        ({"x-ratelimit-reset": "2026-12-02T09:05:00.000Z"}, dt.timedelta(minutes=5)),
        (
            {"ratelimit-reset": str(int((NOW + dt.timedelta(seconds=30)).timestamp()))},
            dt.timedelta(seconds=30),
        ),
        ({}, dt.timedelta(seconds=60)),
        ({"retry-after": "999999"}, dt.timedelta(hours=1)),  # at most an hour
        ({"x-ratelimit-reset": "2020-01-01T00:00:00Z"}, dt.timedelta(0)),  # never in the past
    ],
)
def test_a_429_names_when_to_call_again(headers, after):
    assert reset_time(headers, NOW) - NOW == after
