"""Questions per session through the real handler on moto: asking, ordering, anonymity, pre-moderation,
moderation, votes (idempotent, exact under parallel voters) and bad input."""

from __future__ import annotations

import os
import threading

import pytest

from backchannel.core.ids import new_ulid
from tests.integration.conftest import pages
from tests.support.races import Rendezvous, in_parallel, serialised_dynamodb


def ask(api, session, who, text="Why networks?", **extra):
    return api.post(f"/sessions/{session['id']}/questions", {"text": text, **extra}, as_=who)


def listed(api, session, who=None, sort="top", limit=2):
    """Every page of the list, as (text, votes) pairs."""
    path = f"/sessions/{session['id']}/questions"
    return [
        (q["text"], q["votes"]) for items in pages(api, path, limit=limit, as_=who, sort=sort) for q in items
    ]


def vote(api, question_id, who):
    return api.post(f"/questions/{question_id}/votes", as_=who)


def pre_moderate(api, session, who, on=True):
    r = api.request(
        "PUT", f"/sessions/{session['id']}/questions/settings", json_body={"preModeration": on}, as_=who
    )
    assert r.status == 200, r
    return r


def test_ask_and_read_back(api, session, alice):
    r = ask(api, session, alice, "  What is a PLN?  ")
    assert r.status == 201, r
    q = r.json
    assert r.headers["location"] == f"/questions/{q['id']}"
    assert q["text"] == "What is a PLN?"
    assert (q["status"], q["votes"], q["answered"], q["anonymous"]) == ("approved", 0, False, False)
    assert q["asker"] == {"id": alice.sub, "displayName": "alice"}
    got = api.get(f"/questions/{q['id']}")
    assert got.status == 200
    assert got.json["asker"]["id"] == alice.sub and got.json["voted"] is False


def test_top_and_new_orders_with_paging(api, session, alice, bob):
    ids = [ask(api, session, alice, f"q{i}").json["id"] for i in range(4)]
    carol = api.user("carol")
    for voter in (alice, bob, carol):
        assert vote(api, ids[1], voter).status == 201
    for voter in (alice, bob):
        assert vote(api, ids[3], voter).status == 201
    assert vote(api, ids[0], carol).status == 201

    assert listed(api, session, sort="new") == [("q3", 2), ("q2", 0), ("q1", 3), ("q0", 1)]
    assert listed(api, session, sort="top") == [("q1", 3), ("q3", 2), ("q0", 1), ("q2", 0)]
    assert listed(api, session) == listed(api, session, sort="top")  # top is the default
    ask(api, session, bob, "q4")  # ties: newest first
    assert listed(api, session, bob)[-2:] == [("q4", 0), ("q2", 0)]


def test_anonymous_questions_hide_the_asker_from_everyone_but_organisers(api, session, olga, alice, bob):
    r = ask(api, session, alice, "Can I ask this?", anonymous=True)
    assert r.status == 201
    assert r.json["asker"]["id"] == alice.sub  # the asker sees their own name
    qid = r.json["id"]
    for who in (None, bob):
        assert api.get(f"/questions/{qid}", as_=who).json["asker"] is None
        items = api.get(f"/sessions/{session['id']}/questions", as_=who).json["items"]
        assert items[0]["asker"] is None
        assert alice.sub not in api.get(f"/questions/{qid}", as_=who).body.decode()
    assert api.get(f"/questions/{qid}", as_=olga).json["asker"]["id"] == alice.sub
    items = api.get(f"/sessions/{session['id']}/questions", as_=olga).json["items"]
    assert items[0]["asker"]["id"] == alice.sub


def test_pre_moderation_keeps_questions_from_others_until_approved(api, session, olga, alice, bob):
    assert api.get(f"/sessions/{session['id']}/questions/settings").json["preModeration"] is False
    pre_moderate(api, session, olga)
    assert api.get(f"/sessions/{session['id']}/questions/settings").json["preModeration"] is True
    r = ask(api, session, alice, "Pending?")
    assert r.status == 201 and r.json["status"] == "pending"
    qid = r.json["id"]

    assert listed(api, session) == []
    assert listed(api, session, bob) == []
    assert api.get(f"/questions/{qid}", as_=bob).status == 404
    assert vote(api, qid, bob).status == 404  # bob can't see it
    assert listed(api, session, alice) == [("Pending?", 0)]  # the asker sees their own
    assert vote(api, qid, alice).status == 409  # visible to her, but not open for votes
    assert listed(api, session, olga, sort="new") == [("Pending?", 0)]

    r = api.patch(f"/questions/{qid}", {"status": "approved"}, as_=olga)
    assert r.status == 200 and r.json["status"] == "approved"
    assert listed(api, session) == [("Pending?", 0)]
    assert vote(api, qid, bob).status == 201


def test_hide_and_answer(api, session, olga, alice, bob):
    keep = ask(api, session, alice, "Keep").json["id"]
    gone = ask(api, session, bob, "Spam").json["id"]
    assert vote(api, gone, alice).status == 201

    assert api.patch(f"/questions/{gone}", {"status": "hidden"}, as_=bob).status == 403
    r = api.patch(f"/questions/{gone}", {"status": "hidden"}, as_=olga)
    assert r.status == 200 and r.json["status"] == "hidden" and r.json["votes"] == 1
    assert listed(api, session) == [("Keep", 0)]
    assert api.get(f"/questions/{gone}", as_=bob).status == 404  # even its asker
    assert vote(api, gone, bob).status == 404
    assert api.delete(f"/questions/{gone}/votes", as_=alice).status == 404
    assert vote(api, gone, olga).status == 409
    assert sorted(listed(api, session, olga)) == [("Keep", 0), ("Spam", 1)]

    r = api.patch(f"/questions/{keep}", {"answered": True}, as_=olga)
    assert r.status == 200 and r.json["answered"] is True and r.json["answeredAt"]
    assert api.get(f"/questions/{keep}").json["answered"] is True
    r = api.patch(f"/questions/{keep}", {"answered": False}, as_=olga)
    assert r.json["answered"] is False and r.json["answeredAt"] is None
    assert api.patch(f"/questions/{gone}", {"status": "approved"}, as_=olga).json["votes"] == 1
    assert listed(api, session) == [("Spam", 1), ("Keep", 0)]


def test_votes_are_idempotent_and_can_be_withdrawn(api, session, alice, bob):
    qid = ask(api, session, alice).json["id"]
    first = vote(api, qid, bob)
    assert first.status == 201 and first.json["votes"] == 1 and first.json["voted"] is True
    again = vote(api, qid, bob)
    assert again.status == 200 and again.json["votes"] == 1
    assert api.get(f"/questions/{qid}", as_=bob).json["voted"] is True
    assert api.get(f"/questions/{qid}", as_=alice).json["voted"] is False

    assert api.delete(f"/questions/{qid}/votes", as_=bob).status == 204
    assert api.delete(f"/questions/{qid}/votes", as_=bob).status == 204
    assert api.delete(f"/questions/{qid}/votes", as_=alice).status == 204  # never voted: nothing changes
    got = api.get(f"/questions/{qid}", as_=bob).json
    assert (got["votes"], got["voted"]) == (0, False)
    assert vote(api, qid, bob).status == 201
    assert api.get(f"/questions/{qid}").json["votes"] == 1


def test_idempotency_key_replays_a_vote(api, session, alice, bob):
    qid = ask(api, session, alice).json["id"]
    headers = {"Idempotency-Key": "vote-1"}
    first = api.post(f"/questions/{qid}/votes", as_=bob, headers=headers)
    second = api.post(f"/questions/{qid}/votes", as_=bob, headers=headers)
    assert (first.status, second.status) == (201, 201)
    assert api.get(f"/questions/{qid}").json["votes"] == 1


@pytest.fixture
def atomic_requests(monkeypatch):
    serialised_dynamodb(monkeypatch)


@pytest.fixture
def read_together(monkeypatch, atomic_requests):
    """``read_together(n)``: the questions API's repository, with the first ``n`` strongly consistent
    reads of a question (the count a vote's write is conditioned on) waiting for each other, so that
    ``n`` parallel votes all read the same count before any of them writes."""
    from backchannel.questions.dynamo import DynamoQuestionsRepo
    from functions.questions_api import app as questions_api

    def arm(n: int) -> None:
        rendezvous = Rendezvous(n)

        class ReadThenWait(DynamoQuestionsRepo):
            def get_question(self, question_id, *, consistent=False):
                found = super().get_question(question_id, consistent=consistent)
                if consistent:
                    rendezvous.point()
                return found

        monkeypatch.setattr(questions_api, "asked", ReadThenWait)

    return arm


def _run_parallel(calls):
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    environ = dict(os.environ)  # the in-process client swaps the environment per call

    def run(i, call):
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    os.environ.clear()
    os.environ.update(environ)
    return results


def test_parallel_voters_are_counted_exactly(api, session, alice, atomic_requests):
    popular = ask(api, session, alice, "popular").json["id"]
    runner_up = ask(api, session, alice, "runner-up").json["id"]
    ask(api, session, alice, "quiet")
    voters = [api.user(f"voter{i}") for i in range(20)]
    calls = [lambda v=v: vote(api, popular, v) for v in voters]
    calls += [lambda v=v: vote(api, runner_up, v) for v in voters[:7]]

    results = _run_parallel(calls)

    assert [r.status for r in results] == [201] * 27, results
    assert api.get(f"/questions/{popular}").json["votes"] == 20
    assert api.get(f"/questions/{runner_up}").json["votes"] == 7
    assert listed(api, session) == [("popular", 20), ("runner-up", 7), ("quiet", 0)]


def test_parallel_double_votes_by_one_member_count_once(api, session, alice, bob, atomic_requests):
    qid = ask(api, session, alice).json["id"]
    results = _run_parallel([lambda: vote(api, qid, bob) for _ in range(8)])
    assert sorted(r.status for r in results) == [200] * 7 + [201]
    assert api.get(f"/questions/{qid}").json["votes"] == 1
    results = _run_parallel([lambda: api.delete(f"/questions/{qid}/votes", as_=bob) for _ in range(8)])
    assert {r.status for r in results} == {204}
    assert api.get(f"/questions/{qid}").json["votes"] == 0


def test_two_members_voting_on_the_same_count_are_both_counted(api, session, alice, bob, read_together):
    """Both votes read ``votes = 0`` before either writes: the second write's condition on the count
    fails, and it counts again from the new one."""
    qid = ask(api, session, alice).json["id"]
    carol = api.user("carol")
    read_together(2)
    results = in_parallel(lambda: vote(api, qid, bob), lambda: vote(api, qid, carol))
    assert [r.status for r in results] == [201, 201], results
    assert api.get(f"/questions/{qid}").json["votes"] == 2
    assert listed(api, session) == [("Why networks?", 2)]


def test_one_member_voting_twice_at_once_is_counted_once(api, session, alice, bob, read_together):
    """Both of bob's requests read ``votes = 0`` before either writes: the vote item can be made once,
    so the second changes nothing and answers 200; withdrawing twice at once takes it away once."""
    qid = ask(api, session, alice).json["id"]
    read_together(2)
    results = in_parallel(lambda: vote(api, qid, bob), lambda: vote(api, qid, bob))
    assert sorted(r.status for r in results) == [200, 201], results
    assert api.get(f"/questions/{qid}").json["votes"] == 1
    read_together(2)
    results = in_parallel(*[lambda: api.delete(f"/questions/{qid}/votes", as_=bob)] * 2)
    assert [r.status for r in results] == [204, 204], results
    assert api.get(f"/questions/{qid}").json["votes"] == 0
    assert vote(api, qid, bob).status == 201  # and he can vote again
    assert api.get(f"/questions/{qid}").json["votes"] == 1


def test_replaying_a_client_id(api, session, alice, bob):
    qid = new_ulid()
    assert ask(api, session, alice, "offline", id=qid).status == 201
    replay = ask(api, session, alice, "offline", id=qid)
    assert replay.status == 200 and replay.json["id"] == qid
    assert ask(api, session, alice, "other words", id=qid).status == 409
    other = ask(api, session, bob, "offline", id=qid)  # not his: the same 404 as a hidden question's
    assert (other.status, other.json["errors"][0]["field"]) == (404, "id")
    assert len(listed(api, session)) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "x" * 301}, "text"),
        ({}, "text"),
        ({"text": "ok", "anonymous": "yes"}, "anonymous"),
        ({"text": "ok", "colour": "red"}, "colour"),
        ({"text": "ok", "id": "not-a-ulid"}, "id"),
    ],
)
def test_bad_questions_are_refused_with_the_field_at_fault(api, session, alice, body, field):
    r = api.post(f"/sessions/{session['id']}/questions", body, as_=alice)
    assert r.status == 422, r
    assert field in [e["field"] for e in r.json["errors"]]
    assert listed(api, session) == []


def test_a_question_of_300_characters_is_fine(api, session, alice):
    assert ask(api, session, alice, "é" * 300).status == 201


def test_unknown_things_are_404(api, session, olga, alice):
    unknown = new_ulid()
    assert ask(api, {"id": unknown}, alice).status == 404
    assert api.get(f"/sessions/{unknown}/questions").status == 404
    assert api.get(f"/questions/{unknown}").status == 404
    assert vote(api, unknown, alice).status == 404
    assert api.delete(f"/questions/{unknown}/votes", as_=alice).status == 404
    assert api.patch(f"/questions/{unknown}", {"answered": True}, as_=olga).status == 404


def test_bad_sort_cursor_and_moderation_input(api, session, olga, alice):
    qid = ask(api, session, alice).json["id"]
    base = f"/sessions/{session['id']}/questions"
    assert api.get(base, query={"sort": "hot"}).status == 422
    assert api.get(base, query={"cursor": "nonsense"}).status == 400
    assert api.patch(f"/questions/{qid}", {"status": "pending"}, as_=olga).status == 422
    assert api.patch(f"/questions/{qid}", {}, as_=olga).status == 422
    # authorised before validated: a member learns nothing from validation messages
    assert api.patch(f"/questions/{qid}", {"status": "bogus"}, as_=alice).status == 403
    r = api.request("PUT", f"{base}/settings", json_body={"preModeration": "yes"}, as_=olga)
    assert r.status == 422
    r = api.request("PUT", f"{base}/settings", json_body={"preModeration": True}, as_=alice)
    assert r.status == 403


def test_private_event_questions_are_for_its_members(api, make_event, make_session, olga, alice):
    private = make_event(hashtag="secret", visibility="private")
    session = make_session(private)
    assert ask(api, session, alice).status == 404
    r = ask(api, session, olga, "inside")
    assert r.status == 201
    assert api.get(f"/questions/{r.json['id']}", as_=alice).status == 404
    assert api.get(f"/sessions/{session['id']}/questions").status == 404
    assert listed(api, session, olga) == [("inside", 0)]


def test_the_ranking_is_spread_over_shards_and_read_back_exactly(api, aws, session, alice, bob):
    """A vote moves its question in the ranking index (two writes): the approved ranking is spread over
    8 keys by question, so a keynote's votes stay far below 1,000 writes a second on any key; the pages
    merged from the shards are still exactly the order of votes, then newest first."""
    import boto3

    from tests.support.limits import rate_limits

    rate_limits(api.stack, "questions=20/1m")  # one member asking 12 in a row: above a person's limit
    carol = api.user("carol")
    ids = [ask(api, session, alice, f"q{n}").json["id"] for n in range(12)]
    for n, question_id in enumerate(ids):
        for voter in (alice, bob, carol)[: n % 4]:
            assert vote(api, question_id, voter).status == 201
    expected = [(f"q{n}", n % 4) for n in sorted(range(12), key=lambda n: (n % 4, ids[n]), reverse=True)]
    assert listed(api, session, limit=5) == expected
    assert listed(api, session, limit=1) == expected

    table = boto3.resource("dynamodb", region_name="us-east-1").Table(aws.physical_id("DataTable"))
    keys = {table.get_item(Key={"pk": f"QUESTION#{q}", "sk": "QUESTION"})["Item"]["gsi1pk"] for q in ids}
    assert len(keys) > 1 and all(k.startswith(f"SESSION#{session['id']}#QUESTIONS#TOP#") for k in keys)
