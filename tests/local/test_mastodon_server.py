"""The recording Mastodon server for tests (tests.support.mastodon) answers as Mastodon does."""

from __future__ import annotations

import pytest

from tests.support.mastodon import TOKEN, mastodon_server
from tests.support.runtime import http

OTHER = "other-token"


@pytest.fixture
def server():
    with mastodon_server(tokens={TOKEN, OTHER}) as running:
        yield running


def _post(server, body=None, *, token=TOKEN, key=None, form=None):
    headers = {"Idempotency-Key": key} if key else {}
    if form is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    return http(
        "POST", f"{server.url}/api/v1/statuses", json_body=body, body=form, headers=headers, token=token
    )


def test_posts_a_status_from_json_and_records_the_request(server):
    reply = _post(server, {"status": "Pack out: https://example.org/p/1", "visibility": "unlisted"})

    assert reply.status == 200
    status = reply.json
    assert isinstance(status["id"], str)
    assert status["visibility"] == "unlisted"
    assert status["url"] == f"{server.url}/@{status['account']['username']}/{status['id']}"
    assert status["content"] == (
        '<p>Pack out: <a href="https://example.org/p/1" rel="nofollow noopener" target="_blank">'
        "https://example.org/p/1</a></p>"
    )
    assert status["created_at"].endswith("Z")
    assert server.statuses == {status["id"]: status}
    (request,) = server.requests
    assert (request.method, request.path) == ("POST", "/api/v1/statuses")
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.json == {"status": "Pack out: https://example.org/p/1", "visibility": "unlisted"}


def test_accepts_form_fields_and_renders_paragraphs_and_line_breaks(server):
    reply = _post(server, form="status=one%0Atwo%0A%0Athree&visibility=private")

    assert reply.status == 200
    assert reply.json["content"] == "<p>one<br />two</p><p>three</p>"
    assert reply.json["visibility"] == "private"
    assert server.requests[0].json == {"status": "one\ntwo\n\nthree", "visibility": "private"}


def test_refuses_bad_tokens_blank_long_and_unknown_visibility(server):
    for token in ("nope", None):
        reply = _post(server, {"status": "hi"}, token=token)
        assert (reply.status, reply.json) == (401, {"error": "The access token is invalid"})
    assert _post(server, {"status": "  "}).json == {"error": "Validation failed: Text can't be blank"}
    assert _post(server, {}).status == 422
    too_long = _post(server, {"status": "x" * 501})
    assert (too_long.status, too_long.json["error"]) == (
        422,
        "Validation failed: Text character limit of 500 exceeded",
    )
    # a URL counts as 23 characters, however long it is
    assert _post(server, {"status": "x" * 470 + " https://example.org/" + "p" * 200}).status == 200
    assert _post(server, {"status": "hi", "visibility": "everyone"}).status == 422
    assert len(server.statuses) == 1


def test_an_idempotency_key_returns_the_first_status_of_that_account(server):
    first = _post(server, {"status": "hello"}, key="delivery-1").json
    again = _post(server, {"status": "hello again"}, key="delivery-1").json
    other_account = _post(server, {"status": "hello"}, key="delivery-1", token=OTHER).json

    assert again == first
    assert other_account["id"] != first["id"]
    assert set(server.statuses) == {first["id"], other_account["id"]}


def test_deletes_only_its_own_existing_statuses(server):
    status = _post(server, {"status": "to retract"}).json
    url = f"{server.url}/api/v1/statuses/{status['id']}"

    assert http("DELETE", url, token=OTHER).json == {"error": "Record not found"}
    assert http("DELETE", url, token="nope").status == 401
    deleted = http("DELETE", url, token=TOKEN)
    assert deleted.status == 200
    assert (deleted.json["id"], deleted.json["text"]) == (status["id"], "to retract")
    assert server.statuses == {}
    gone = http("DELETE", url, token=TOKEN)
    assert (gone.status, gone.json) == (404, {"error": "Record not found"})
    assert http("DELETE", f"{server.url}/api/v1/statuses/123", token=TOKEN).status == 404
    assert http("GET", f"{server.url}/api/v1/timelines/home", token=TOKEN).status == 404


def test_fail_next_answers_the_next_requests_with_the_status_and_records_them(server):
    server.fail_next(2)
    server.fail_next(1, status=429)

    answers = [_post(server, {"status": "retry me"}, key="k").status for _ in range(4)]

    assert answers == [503, 503, 429, 200]
    assert len(server.requests) == 4
    assert len(server.statuses) == 1


def test_verify_credentials_names_the_account_of_a_known_token_only(server):
    mine = http("GET", f"{server.url}/api/v1/accounts/verify_credentials", token=TOKEN)
    assert mine.status == 200
    assert mine.json["acct"] == server.accounts[TOKEN]["acct"]
    assert mine.json["url"] == f"{server.url}/@{mine.json['username']}"
    refused = http("GET", f"{server.url}/api/v1/accounts/verify_credentials", token="nope")
    assert (refused.status, refused.json) == (401, {"error": "The access token is invalid"})
