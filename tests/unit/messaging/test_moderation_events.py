"""The domain events of moderation: a post or note hidden, shown again, held and approved; reports,
actions and mutes announced without their free text; a code of conduct accepted. Pure, no AWS."""

from __future__ import annotations

from tests.unit.messaging.test_domain_events import SECRET_BODY, derive, membership, note, post, types

HIDDEN = {
    "moderationState": "hidden",
    "moderationReason": "harassment",
    "moderatedAt": "2030-05-18T10:00:00Z",
}


def test_a_post_hidden_and_shown_again():
    (hidden,) = derive(post(), post(**HIDDEN))
    assert hidden.detail_type == "PostHidden"
    assert "text" not in hidden.detail and "harassment" not in str(hidden.detail)
    assert hidden.resources == ["event/ev1", "session/s1", "post/p1"]
    (shown,) = derive(post(**HIDDEN), post())
    assert shown.detail_type == "PostUnhidden" and shown.detail["text"] == "Great talk #LAWW"
    assert derive(post(**HIDDEN), post(**HIDDEN, text="x")) == []
    assert types(derive(post(**HIDDEN), None)) == ["PostDeleted"]


def test_a_held_post_makes_no_event_until_it_is_approved():
    held = {"moderationState": "held", "moderationReason": "waiting", "moderatedAt": "2030-05-18T10:00:00Z"}
    assert derive(None, post(**held)) == []
    (created,) = derive(post(**held), post(seq="01NEW"))
    assert created.detail_type == "PostCreated" and created.detail["seq"] == "01NEW"
    assert types(derive(post(**held), post(**HIDDEN))) == ["PostHidden"]


def test_a_content_warning_travels_with_a_new_post():
    (created,) = derive(None, post(contentWarning="spoilers"))
    assert created.detail["contentWarning"] == "spoilers"


def test_a_shared_note_hidden_and_shown_again_carries_no_content():
    (hidden,) = derive(note("public"), note("public", version=2, **HIDDEN))
    assert hidden.detail_type == "NoteHidden"
    assert SECRET_BODY not in str(hidden.detail) and "harassment" not in str(hidden.detail)
    (shown,) = derive(note("public", **HIDDEN), note("public", version=3))
    assert shown.detail_type == "NoteUnhidden" and shown.detail["visibility"] == "public"
    assert derive(note("public", **HIDDEN), note("public", version=3, body="edited", **HIDDEN)) == []


def test_reports_actions_and_mutes_are_announced_without_their_words():
    report = {
        "type": "Report",
        "pk": "REPORTED#ev1#p1",
        "sk": "REPORT#bob-id",
        "eventId": "ev1",
        "itemType": "post",
        "itemId": "p1",
        "reporterId": "bob-id",
        "reason": "harassment",
        "comment": "she keeps at it",
        "reportedAt": "2030-05-18T10:00:00Z",
    }
    (filed,) = derive(None, report)
    assert filed.detail_type == "ContentReported" and filed.detail["itemId"] == "p1"
    assert "she keeps at it" not in str(filed.detail) and "bob-id" not in str(filed.detail)
    assert derive(report, {**report}) == []  # touched, not filed again
    entry = {
        "type": "AuditEntry",
        "pk": "AUDIT#ev1",
        "sk": "E1",
        "id": "E1",
        "eventId": "ev1",
        "actorId": "olga-id",
        "action": "post.hidden",
        "itemType": "post",
        "itemId": "p1",
        "memberId": "alice-id",
        "reason": "harassment of the speaker",
        "at": "2030-05-18T10:01:00Z",
    }
    (taken,) = derive(None, entry)
    assert taken.detail_type == "ModerationActionTaken" and taken.detail["action"] == "post.hidden"
    assert "speaker" not in str(taken.detail)
    assert taken.resources == ["event/ev1", "member/alice-id"]
    mute = {
        "type": "Mute",
        "pk": "EVENT#ev1",
        "sk": "MUTE#alice-id",
        "eventId": "ev1",
        "memberId": "alice-id",
    }
    mute |= {"reason": "flooding", "by": "olga-id", "at": "2030-05-18T10:02:00Z"}
    assert types(derive(None, mute)) == ["MemberMuted"]
    assert "flooding" not in str(derive(None, mute)[0].detail)
    assert types(derive(mute, None)) == ["MemberUnmuted"]


def test_joining_records_the_accepted_code_of_conduct():
    accepted = {"conductUrl": "https://example.org/coc", "conductAcceptedAt": "2030-01-02T00:00:00Z"}
    found = derive(None, membership("attendee", **accepted))
    assert types(found) == ["MemberJoinedEvent", "CodeOfConductAccepted"]
    assert found[1].detail["url"] == "https://example.org/coc"
    assert types(
        derive(membership("attendee", **accepted), membership("attendee", "organiser", **accepted))
    ) == ["OrganiserAdded"]
