"""The domain events derived from table changes (``backchannel.messaging.domain_events``): pure, no
AWS."""

from __future__ import annotations

import json

import pytest

from backchannel.messaging import domain_events as de

AT = "2030-05-18T09:00:00.000Z"
SECRET_BODY = "my private thoughts about the speaker"
SECRET_TITLE = "diary of a grumpy attendee"


def derive(old, new, record_id="rec-1"):
    return de.derive(old, new, record_id=record_id, at=AT)


def types(events):
    return [e.detail_type for e in events]


def event_item(**kw):
    item = {
        "pk": "EVENT#ev1",
        "sk": "EVENT",
        "type": "Event",
        "gsi1pk": "PUBLIC#EVENTS",
        "gsi1sk": "2030-05-20#ev1",
        "id": "ev1",
        "name": "LAWW",
        "hashtag": "LAWW",
        "startsOn": "2030-05-18",
        "endsOn": "2030-05-20",
        "timezone": "Europe/London",
        "visibility": "public",
        "createdBy": "olga-id",
        "createdAt": "2030-01-01T00:00:00Z",
        "updatedAt": "2030-01-01T00:00:00Z",
        "version": 1,
    }
    item.update(kw)
    return item


def session_item(**kw):
    item = {
        "pk": "SESSION#s1",
        "sk": "SESSION",
        "type": "Session",
        "gsi1pk": "EVENT#ev1#SESSIONS",
        "gsi1sk": "2030-05-18T09:00:00Z#s1",
        "id": "s1",
        "eventId": "ev1",
        "title": "Opening keynote",
        "speakers": [{"name": "Jane Hart", "link": "https://example.org/jane"}],
        "startsAt": "2030-05-18T09:00:00+00:00",
        "endsAt": "2030-05-18T09:45:00+00:00",
        "createdAt": "2030-01-01T00:00:00Z",
        "updatedAt": "2030-01-01T00:00:00Z",
        "version": 1,
    }
    item.update(kw)
    return item


def membership(*roles, **kw):
    item = {
        "pk": "EVENT#ev1",
        "sk": "MEMBER#m1",
        "type": "Membership",
        "eventId": "ev1",
        "memberId": "m1",
        "since": "2030-01-02T00:00:00Z",
    }
    if roles:
        item["roles"] = set(roles)
    item.update(kw)
    return item


def post(**kw):
    item = {
        "pk": "POST#p1",
        "sk": "POST",
        "type": "Post",
        "id": "p1",
        "eventId": "ev1",
        "sessionId": "s1",
        "authorId": "alice-id",
        "text": "Great talk #LAWW",
        "hashtags": {"laww"},
        "mentions": [],
        "links": [],
        "createdAt": "2030-05-18T09:10:00Z",
    }
    item.update(kw)
    return item


def note(visibility="private", **kw):
    item = {
        "pk": "NOTE#n1",
        "sk": "NOTE",
        "type": "Note",
        "id": "n1",
        "sessionId": "s1",
        "eventId": "ev1",
        "authorId": "alice-id",
        "title": SECRET_TITLE,
        "body": SECRET_BODY,
        "visibility": visibility,
        "shareInPacks": False,
        "version": 1,
        "updatedAt": "2030-05-18T09:30:00Z",
    }
    item.update(kw)
    return item


def summary(status="draft", version=1, **kw):
    item = {
        "pk": "SESSION#s1",
        "sk": f"SUMMARY#{version:04d}",
        "type": "Summary",
        "sessionId": "s1",
        "eventId": "ev1",
        "version": version,
        "status": status,
        "body": "What we learnt",
    }
    if status == "published":
        item["publishedAt"] = "2030-05-18T11:00:00Z"
    item.update(kw)
    return item


# -- the envelope ------------------------------------------------------------------------------------


def test_every_event_has_the_versioned_envelope_and_plain_json_detail():
    (event,) = derive(None, event_item())
    assert event.source == "backchannel"
    assert event.detail["schemaVersion"] == 1
    assert event.detail["occurredAt"] == AT
    assert event.detail["domainEventId"] == event.id
    assert event.resources == ["event/ev1"]
    assert json.loads(json.dumps(event.detail)) == event.detail


def test_event_ids_are_the_same_on_redelivery_and_differ_between_records():
    first = derive(None, session_item(), record_id="rec-1")
    again = derive(None, session_item(), record_id="rec-1")
    other = derive(None, session_item(), record_id="rec-2")
    assert [e.id for e in first] == [e.id for e in again]
    assert first[0].id != other[0].id


def test_event_ids_are_unique_within_one_record():
    events = derive(membership(), membership("attendee", "organiser"))
    assert types(events) == ["MemberJoinedEvent", "OrganiserAdded"]
    assert len({e.id for e in events}) == 2


def test_table_attributes_never_reach_an_event():
    for derived in (derive(None, event_item()), derive(None, session_item()), derive(None, post())):
        for name in ("pk", "sk", "gsi1pk", "gsi1sk", "type"):
            assert name not in derived[0].detail


def test_every_item_type_of_the_table_has_a_rule():
    from backchannel.core.dynamo.table import Item

    assert set(Item.type._class_map.values()) <= set(de.RULES)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (None, None),
        (None, {"type": "Spaceship", "id": "x"}),
        (None, {"id": "no type"}),
        (None, {"type": "Claim", "pk": "EVENTTAG#laww", "sk": "EVENTTAG", "ownerId": "ev1"}),
        ({"type": "Claim", "pk": "HANDLE#ann", "sk": "HANDLE", "ownerId": "m1"}, None),
    ],
)
def test_claims_and_unknown_items_make_no_events(old, new):
    assert derive(old, new) == []


# -- events (conferences) -----------------------------------------------------------------------------


def test_a_new_event_is_created_with_its_public_fields():
    (event,) = derive(None, event_item(description="Networked"))
    assert event.detail_type == "EventCreated"
    assert event.detail["id"] == "ev1"
    assert event.detail["hashtag"] == "LAWW"
    assert event.detail["description"] == "Networked"
    assert event.detail["version"] == 1


def test_an_event_change_names_the_changed_fields():
    old = event_item()
    new = event_item(name="LAWW 2030", timezone="UTC", updatedAt="2030-02-01T00:00:00Z", version=2)
    (event,) = derive(old, new)
    assert event.detail_type == "EventChanged"
    assert event.detail["changed"] == ["name", "timezone"]
    assert event.detail["name"] == "LAWW 2030"
    assert event.detail["version"] == 2


def test_an_event_change_of_internal_attributes_only_makes_no_event():
    old = event_item()
    new = event_item(gsi1pk=None, gsi1sk=None, updatedAt="2030-02-01T00:00:00Z", version=2)
    assert derive(old, new) == []


def test_a_field_that_appears_is_a_change():
    (event,) = derive(event_item(), event_item(description="Now with a description"))
    assert event.detail["changed"] == ["description"]


# -- sessions ----------------------------------------------------------------------------------------


def test_sessions_are_created_changed_and_deleted():
    (created,) = derive(None, session_item())
    assert created.detail_type == "SessionCreated"
    assert created.detail["eventId"] == "ev1"
    assert created.detail["speakers"] == [{"name": "Jane Hart", "link": "https://example.org/jane"}]
    assert created.resources == ["event/ev1", "session/s1"]

    (changed,) = derive(session_item(), session_item(room="Room 2", version=2))
    assert changed.detail_type == "SessionChanged"
    assert changed.detail["changed"] == ["room"]
    assert changed.detail["room"] == "Room 2"

    (deleted,) = derive(session_item(version=3), None)
    assert deleted.detail_type == "SessionDeleted"
    assert {k: v for k, v in deleted.detail.items() if k not in ("domainEventId", "occurredAt")} == {
        "schemaVersion": 1,
        "id": "s1",
        "eventId": "ev1",
        "version": 3,
    }


def test_a_session_touched_without_change_makes_no_event():
    assert derive(session_item(), session_item(updatedAt="2030-03-01T00:00:00Z", version=2)) == []


# -- memberships and members -------------------------------------------------------------------------


def test_joining_an_event_is_gaining_the_attendee_role():
    (joined,) = derive(None, membership("attendee"))
    assert joined.detail_type == "MemberJoinedEvent"
    assert joined.detail["eventId"] == "ev1"
    assert joined.detail["memberId"] == "m1"
    assert joined.detail["roles"] == ["attendee"]
    assert joined.resources == ["event/ev1", "member/m1"]


def test_an_organiser_who_joins_as_attendee_joins():
    assert types(derive(membership("organiser"), membership("organiser", "attendee"))) == [
        "MemberJoinedEvent"
    ]


def test_leaving_is_losing_the_attendee_role_and_the_empty_membership_then_goes_quietly():
    # DynamoDB drops an emptied set: the attribute disappears, then the item is deleted.
    (left,) = derive(membership("attendee"), membership())
    assert left.detail_type == "MemberLeftEvent"
    assert left.detail["roles"] == []
    assert derive(membership(), None) == []


def test_removing_a_membership_with_roles_leaves():
    assert types(derive(membership("attendee", "organiser"), None)) == ["MemberLeftEvent", "OrganiserRemoved"]


def test_becoming_an_organiser():
    (added,) = derive(membership("attendee"), membership("attendee", "organiser"))
    assert added.detail_type == "OrganiserAdded"
    assert added.detail["roles"] == ["attendee", "organiser"]


def test_membership_unchanged_roles_make_no_event():
    assert derive(membership("attendee"), membership("attendee", since="2030-02-02T00:00:00Z")) == []


def test_a_new_member_carries_no_personal_fields_beyond_id_and_display_name():
    member = {
        "pk": "MEMBER#m1",
        "sk": "PROFILE",
        "type": "Member",
        "id": "m1",
        "displayName": "Ann",
        "handle": "ann",
        "bio": "I live at 1 Secret Lane",
        "links": [{"title": "home", "url": "https://ann.example"}],
        "createdAt": "2030-01-01T00:00:00Z",
        "updatedAt": "2030-01-01T00:00:00Z",
    }
    (created,) = derive(None, member)
    assert created.detail_type == "MemberCreated"
    assert {
        k: v for k, v in created.detail.items() if k not in ("schemaVersion", "domainEventId", "occurredAt")
    } == {
        "memberId": "m1",
        "displayName": "Ann",
    }
    assert derive(member, {**member, "bio": "changed"}) == []


# -- posts -------------------------------------------------------------------------------------------


def test_a_new_post_is_created_with_its_text_and_tags():
    (created,) = derive(None, post())
    assert created.detail_type == "PostCreated"
    assert created.detail["text"] == "Great talk #LAWW"
    assert created.detail["hashtags"] == ["laww"]
    assert created.resources == ["event/ev1", "session/s1", "post/p1"]


def test_a_post_without_a_session_names_only_its_event():
    (created,) = derive(None, post(sessionId=None))
    assert created.resources == ["event/ev1", "post/p1"]


def test_a_post_is_deleted_by_its_flag_or_by_removal_once():
    (flagged,) = derive(post(), post(deleted=True))
    assert flagged.detail_type == "PostDeleted"
    assert "text" not in flagged.detail
    (removed,) = derive(post(), None)
    assert removed.detail_type == "PostDeleted"
    assert derive(post(deleted=True), None) == []  # already announced when it was flagged


# -- notes -------------------------------------------------------------------------------------------


def test_a_note_shared_with_attendees_is_announced_without_its_content():
    (shared,) = derive(note("private"), note("attendees", version=2))
    assert shared.detail_type == "NoteShared"
    assert shared.detail["visibility"] == "attendees"
    assert shared.detail["id"] == "n1"
    assert shared.detail["version"] == 2
    assert "body" not in shared.detail
    assert "title" not in shared.detail
    assert shared.resources == ["event/ev1", "session/s1", "note/n1"]


def test_a_note_created_public_is_shared():
    assert types(derive(None, note("public"))) == ["NoteShared"]


def test_a_shared_note_that_changes_says_what_changed():
    (changed,) = derive(note("attendees"), note("attendees", body="edited", version=2))
    assert changed.detail_type == "NoteChanged"
    assert changed.detail["changed"] == ["body"]
    assert "edited" not in json.dumps(changed.detail)
    (widened,) = derive(note("attendees"), note("public", shareInPacks=True))
    assert widened.detail["changed"] == ["shareInPacks", "visibility"]


def test_a_shared_note_saved_without_change_makes_no_event():
    assert derive(note("public"), note("public", version=2, updatedAt="2030-05-18T10:00:00Z")) == []


@pytest.mark.parametrize(
    "after",
    [note("private", version=2), note("attendees", deleted=True), None],
    ids=["made private", "deleted", "removed"],
)
def test_a_shared_note_that_stops_being_shared_is_withdrawn_with_ids_only(after):
    (withdrawn,) = derive(note("attendees"), after)
    assert withdrawn.detail_type == "NoteWithdrawn"
    assert {k for k in withdrawn.detail if k not in ("schemaVersion", "domainEventId", "occurredAt")} == {
        "id",
        "sessionId",
        "eventId",
        "authorId",
    }
    assert withdrawn.detail["id"] == "n1"
    assert withdrawn.detail["sessionId"] == "s1"


# Every change a private note can go through, and changes into and out of private.
PRIVATE_TRANSITIONS = [
    (None, note("private")),
    (note("private"), note("private", body="more private thoughts", version=2)),
    (note("private"), note("private", shareInPacks=True)),
    (note("private"), note("private", deleted=True)),
    (note("private"), None),
    (note("private", deleted=True), None),
]
ANY_TRANSITION_OF_A_PRIVATE_TEXT = [
    *PRIVATE_TRANSITIONS,
    (note("private"), note("attendees")),
    (note("attendees"), note("private")),
    (note("public"), note("public", body=SECRET_BODY + "!")),
    (note("public"), None),
]


@pytest.mark.parametrize(("old", "new"), PRIVATE_TRANSITIONS)
def test_a_note_private_before_and_after_makes_no_event_at_all(old, new):
    assert derive(old, new) == []


@pytest.mark.parametrize(("old", "new"), ANY_TRANSITION_OF_A_PRIVATE_TEXT)
def test_note_content_appears_in_no_event(old, new):
    text = json.dumps([(e.detail_type, e.detail, e.resources) for e in derive(old, new)])
    assert SECRET_BODY not in text
    assert SECRET_TITLE not in text
    assert "private thoughts" not in text


# -- summaries ---------------------------------------------------------------------------------------


def test_a_draft_summary_makes_no_event():
    assert derive(None, summary("draft")) == []
    assert derive(summary("draft"), summary("draft", body="better")) == []


def test_publishing_a_summary():
    (published,) = derive(summary("draft"), summary("published"))
    assert published.detail_type == "SummaryPublished"
    assert published.detail["sessionId"] == "s1"
    assert published.detail["version"] == 1
    assert published.detail["publishedAt"] == "2030-05-18T11:00:00Z"
    assert "body" not in published.detail
    assert published.resources == ["event/ev1", "session/s1"]


def test_a_new_published_version_is_published_again_but_a_touch_is_not():
    assert types(derive(None, summary("published", version=2))) == ["SummaryPublished"]
    assert types(derive(summary("published", 1), summary("published", 2))) == ["SummaryPublished"]
    assert derive(summary("published"), summary("published", publishedAt="2030-05-18T12:00:00Z")) == []
    assert derive(summary("published"), None) == []


# ---------------------------------------------------------------------------------------------------
# questions
# ---------------------------------------------------------------------------------------------------


def _question(**kw):
    item = {
        "type": "Question",
        "id": "Q1",
        "eventId": "E1",
        "sessionId": "S1",
        "askerId": "member-secret",
        "askerName": "Alice",
        "text": "Why networks?",
        "anonymous": False,
        "status": "approved",
        "answered": False,
        "votes": 0,
        "createdAt": "2030-01-01T00:00:00Z",
    }
    item.update(kw)
    return item


def _types(events_):
    return [e.detail_type for e in events_]


def test_an_approved_question_is_asked_and_never_carries_the_askers_id():
    found = de.derive(None, _question(), record_id="r1", at="t")
    assert _types(found) == ["QuestionAsked"]
    assert found[0].detail["askerName"] == "Alice"
    assert "member-secret" not in json.dumps(found[0].detail)
    anonymous = de.derive(None, _question(anonymous=True), record_id="r2", at="t")
    assert "askerName" not in anonymous[0].detail
    assert "Alice" not in json.dumps(anonymous[0].detail)


def test_pending_questions_are_news_only_once_approved():
    assert de.derive(None, _question(status="pending"), record_id="r", at="t") == []
    approved = de.derive(_question(status="pending"), _question(), record_id="r", at="t")
    assert _types(approved) == ["QuestionAsked"]


def test_votes_answers_and_hiding():
    assert _types(de.derive(_question(), _question(votes=1), record_id="r", at="t")) == ["QuestionVoted"]
    assert _types(de.derive(_question(), _question(answered=True), record_id="r", at="t")) == [
        "QuestionAnswered"
    ]
    assert _types(de.derive(_question(), _question(status="hidden"), record_id="r", at="t")) == [
        "QuestionHidden"
    ]
    assert (
        de.derive(_question(status="hidden"), _question(status="hidden", votes=3), record_id="r", at="t")
        == []
    )
    vote = {"type": "Vote", "pk": "QUESTION#Q1", "sk": "VOTE#m"}
    assert de.derive(None, vote, record_id="r", at="t") == []


def test_withdrawing_pack_consent_is_an_event():
    before = {"type": "Member", "id": "m1", "displayName": "Ann", "packConsent": True}
    after = {**before, "packConsent": False}
    found = de.derive(before, after, record_id="r", at="t")
    assert [(e.detail_type, e.detail["packConsent"]) for e in found] == [("MemberConsentChanged", False)]
    assert de.derive(before, {**before, "bio": "x"}, record_id="r", at="t") == []
