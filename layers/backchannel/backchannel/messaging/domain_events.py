"""Domain events: what a change of the main table means to the rest of the system.

Pure: no boto3 and no Lambda event shapes. :func:`derive` takes the item before and after one change
(plain dicts, already deserialised from DynamoDB JSON; ``None`` where there is no image) and returns the
domain events it stands for. The catalogue and the schema are in ``docs/domain-events.md``.

Every event's ``detail`` carries ``schemaVersion``, ``domainEventId`` and ``occurredAt`` beside the
entity's fields (``eventId`` is taken: it is the conference event's id, as everywhere in the API). The
id is derived from the stream record's id and the event's detail-type, so a redelivered record yields
the same ids and consumers deduplicate by ``domainEventId``.

Privacy: a note's content (title, body) never enters an event, and a note that is private before and
after a change yields no event at all. Events carry long-form content by reference (ids and versions);
consumers read the current state, which is authorised and reflects withdrawals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from backchannel.messaging import moderation_events
from backchannel.messaging.changes import (
    SHARED_VISIBILITIES,
    Change,
    DomainEvent,
    Item,
    Rule,
    as_json,
    changed_fields,
    deleted,
    public_fields,
    roles_of,
)


def derive(old: Item | None, new: Item | None, *, record_id: str, at: str) -> list[DomainEvent]:
    """The domain events of one change of the main table (none for unknown or internal items)."""
    change = Change(old, new, record_id, at)
    rule = RULES.get(item_type(old, new) or "")
    return rule(change) if rule is not None else []


def item_type(old: Item | None, new: Item | None) -> str | None:
    """The item's ``type`` attribute (from the new image, else the old one)."""
    for image in (new, old):
        if image is not None and image.get("type"):
            return str(image["type"])
    return None


EVENT_FIELDS = (
    "id",
    "name",
    "hashtag",
    "startsOn",
    "endsOn",
    "timezone",
    "description",
    "visibility",
    "codeOfConductUrl",
    "createdBy",
    "createdAt",
    "updatedAt",
    "version",
)


Resources = Callable[[Item], list[str]]  # what an event is about (EventBridge resources), from the item


def _entity_rule(entity: str, fields: tuple[str, ...], ids: tuple[str, ...], resources: Resources) -> Rule:
    """The rule of an entity announced as ``<entity>Created`` and ``<entity>Changed`` (its public
    ``fields``, and which of them changed: no event when none did) and ``<entity>Deleted`` (its ``ids``)."""

    def rule(c: Change) -> list[DomainEvent]:
        about = resources(c.current)
        if c.old is None and c.new is not None:
            return [c.event(f"{entity}Created", public_fields(c.new, fields), about)]
        if c.old is not None and c.new is not None:
            changed = changed_fields(c.old, c.new, fields)
            if not changed:
                return []
            return [c.event(f"{entity}Changed", {**public_fields(c.new, fields), "changed": changed}, about)]
        if c.old is not None:
            return [c.event(f"{entity}Deleted", public_fields(c.old, ids), about)]
        return []

    return rule


_event_rule = _entity_rule("Event", EVENT_FIELDS, ("id", "version"), lambda item: [f"event/{item.get('id')}"])


SESSION_FIELDS = (
    "id",
    "eventId",
    "title",
    "abstract",
    "speakers",
    "room",
    "track",
    "startsAt",
    "endsAt",
    "hashtag",
    "createdAt",
    "updatedAt",
    "version",
)


_session_rule = _entity_rule(
    "Session",
    SESSION_FIELDS,
    ("id", "eventId", "version"),
    lambda item: [f"event/{item.get('eventId')}", f"session/{item.get('id')}"],
)


# role -> (event when gained, event when lost)
ROLE_EVENTS = {
    "attendee": ("MemberJoinedEvent", "MemberLeftEvent"),
    "organiser": ("OrganiserAdded", "OrganiserRemoved"),
}


def _membership_rule(c: Change) -> list[DomainEvent]:
    before, after = roles_of(c.old), roles_of(c.new)
    current = c.current
    ids = {"eventId": current.get("eventId"), "memberId": current.get("memberId")}
    resources = [f"event/{ids['eventId']}", f"member/{ids['memberId']}"]
    events = []
    for role, (gained, lost) in ROLE_EVENTS.items():
        if role in after and role not in before:
            events.append(
                c.event(gained, {**ids, "roles": sorted(after), "since": current.get("since")}, resources)
            )
        elif role in before and role not in after:
            events.append(c.event(lost, {**ids, "roles": sorted(after)}, resources))
    accepted = (c.new or {}).get("conductAcceptedAt")
    if accepted and accepted != (c.old or {}).get("conductAcceptedAt"):
        fields = {**ids, "url": current.get("conductUrl"), "acceptedAt": accepted}
        events.append(c.event("CodeOfConductAccepted", fields, resources))
    return events


def _member_rule(c: Change) -> list[DomainEvent]:
    if c.old is None and c.new is not None:
        fields = {"memberId": c.new.get("id"), "displayName": c.new.get("displayName")}
        return [c.event("MemberCreated", fields, [f"member/{c.new.get('id')}"])]
    if c.old is not None and c.new is not None:
        before, after = c.old.get("packConsent") is not False, c.new.get("packConsent") is not False
        if before != after:  # packs holding their content must be rebuilt
            fields = {"memberId": c.new.get("id"), "packConsent": after}
            return [c.event("MemberConsentChanged", fields, [f"member/{c.new.get('id')}"])]
    return []


POST_FIELDS = (
    "id",
    "eventId",
    "sessionId",
    "authorId",
    "text",
    "hashtags",
    "mentions",
    "links",
    "contentWarning",
    "createdAt",
)


POST_IDS = ("id", "eventId", "sessionId", "authorId")


def _post_resources(item: Item) -> list[str]:
    resources = [f"event/{item.get('eventId')}"]
    if item.get("sessionId"):
        resources.append(f"session/{item['sessionId']}")
    return [*resources, f"post/{item.get('id')}"]


def _moderation(item: Item | None) -> str | None:
    """``hidden`` or ``held`` (out of sight: an organiser's moderation), None when in sight."""
    return (item or {}).get("moderationState") or None


def _post_rule(c: Change) -> list[DomainEvent]:
    """``PostCreated`` when a post comes into sight: written (unless held for approval) or approved;
    ``PostHidden`` / ``PostUnhidden`` when an organiser hides it or shows it again; ``PostDeleted``."""
    current = c.current
    before, after = _moderation(c.old), _moderation(c.new)
    if not deleted(c.new) and after is None and (c.old is None or before == "held"):
        # seq, the post's place in its feed, travels too: live ticks make feed cursors of it
        detail = {**public_fields(c.new, POST_FIELDS), "seq": c.new.get("seq")}
        return [c.event("PostCreated", detail, _post_resources(current))]
    if not deleted(c.old) and deleted(c.new):
        return [c.event("PostDeleted", public_fields(current, POST_IDS), _post_resources(current))]
    if c.old is None or deleted(c.new) or before == after:
        return []
    if after == "hidden":
        return [c.event("PostHidden", public_fields(current, POST_IDS), _post_resources(current))]
    detail = {**public_fields(c.new, POST_FIELDS), "seq": c.new.get("seq")}
    return [c.event("PostUnhidden", detail, _post_resources(current))]


NOTE_IDS = ("id", "sessionId", "eventId", "authorId")


NOTE_META = (*NOTE_IDS, "visibility", "shareInPacks", "version", "updatedAt")


NOTE_WATCHED = ("title", "body", "visibility", "shareInPacks")


def note_is_shared(item: Item | None) -> bool:
    """Whether anyone but its author may see the note (hidden by an organiser: no)."""
    return (
        not deleted(item) and (item or {}).get("visibility") in SHARED_VISIBILITIES and not _moderation(item)
    )


def _note_resources(item: Item) -> list[str]:
    return [f"event/{item.get('eventId')}", f"session/{item.get('sessionId')}", f"note/{item.get('id')}"]


def _note_rule(c: Change) -> list[DomainEvent]:
    before, after = note_is_shared(c.old), note_is_shared(c.new)
    if not before and not after:
        return []  # private (or gone) before and after: nothing about it leaves the table
    if c.old is not None and c.new is not None and _moderation(c.old) != _moderation(c.new):
        if before:  # an organiser hid it
            return [c.event("NoteHidden", public_fields(c.new, NOTE_IDS), _note_resources(c.new))]
        return [c.event("NoteUnhidden", public_fields(c.new, NOTE_META), _note_resources(c.new))]
    if after:
        assert c.new is not None
        meta = public_fields(c.new, NOTE_META)
        if not before:
            return [c.event("NoteShared", meta, _note_resources(c.new))]
        changed = changed_fields(c.old, c.new, NOTE_WATCHED)
        if not changed:
            return []
        return [c.event("NoteChanged", {**meta, "changed": changed}, _note_resources(c.new))]
    assert c.old is not None
    return [c.event("NoteWithdrawn", public_fields(c.old, NOTE_IDS), _note_resources(c.old))]


SUMMARY_FIELDS = ("sessionId", "eventId", "version", "publishedAt")


def _summary_rule(c: Change) -> list[DomainEvent]:
    new, old = c.new, c.old
    if new is None or new.get("status") != "published":
        return []
    if old is not None and old.get("status") == "published" and old.get("version") == new.get("version"):
        return []
    resources = [f"event/{new.get('eventId')}", f"session/{new.get('sessionId')}"]
    return [c.event("SummaryPublished", public_fields(new, SUMMARY_FIELDS), resources)]


def _nothing(_: Change) -> list[DomainEvent]:
    return []


PUBLICATION_FIELDS = (
    "packId",
    "version",
    "kind",
    "targetId",
    "eventId",
    "ownerId",
    "publishedBy",
    "publishedAt",
)


def _publication_rule(c: Change) -> list[DomainEvent]:
    """A publication inserted: ``PackPublished``. Its ``retractions`` counted up (something its edition
    may hold was taken away): ``PackRetracted``, once per withdrawal."""
    new = c.new
    if new is None:
        return []
    resources = [f"pack/{new.get('packId')}"]
    if c.old is None:
        return [c.event("PackPublished", public_fields(new, PUBLICATION_FIELDS), resources)]
    before, after = as_json(c.old.get("retractions")) or 0, as_json(new.get("retractions")) or 0
    if after <= before:
        return []
    fields = {
        "packId": new.get("packId"),
        "version": as_json(new.get("version")),
        "eventId": new.get("eventId"),
    }
    return [c.event("PackRetracted", fields, resources)]


def _channel_rule(c: Change) -> list[DomainEvent]:
    new = c.new
    if c.old is not None or new is None or new.get("status") != "pending":
        return []
    fields = {"channelId": new.get("id"), "memberId": new.get("memberId"), "type": new.get("channelType")}
    return [c.event("ChannelAdded", fields, [f"member/{new.get('memberId')}"])]


QUESTION_FIELDS = ("id", "eventId", "sessionId", "text", "votes", "answered", "createdAt")


def _question_view(item: Item) -> dict[str, Any]:
    fields = public_fields(item, QUESTION_FIELDS)
    if not item.get("anonymous") and item.get("askerName"):
        fields["askerName"] = item["askerName"]  # never the asker's member id
    return fields


def _question_rule(c: Change) -> list[DomainEvent]:
    old, new = c.old or {}, c.new or {}
    approved_before = old.get("status") == "approved"
    approved_now = new.get("status") == "approved"
    resources = [f"event/{c.current.get('eventId')}", f"session/{c.current.get('sessionId')}"]
    if approved_now and not approved_before:
        return [c.event("QuestionAsked", _question_view(new), resources)]
    if approved_before and not approved_now:
        ids = public_fields(c.current, ("id", "eventId", "sessionId"))
        return [c.event("QuestionHidden", ids, resources)]
    if not approved_now:
        return []
    found = []
    if old.get("votes") != new.get("votes"):
        found.append(
            c.event("QuestionVoted", public_fields(new, ("id", "eventId", "sessionId", "votes")), resources)
        )
    if new.get("answered") and not old.get("answered"):
        found.append(c.event("QuestionAnswered", _question_view(new), resources))
    return found


def _erasure_rule(c: Change) -> list[DomainEvent]:
    """An erasure recorded: ``MemberErasureRequested`` (its id only: the worker reads whom). Finished:
    ``MemberErased`` with the events whose packs held them, never the member."""
    new, old = c.new or {}, c.old or {}
    if c.old is None and new.get("status") == "erasing":
        return [c.event("MemberErasureRequested", {"erasureId": new.get("id")}, [])]
    if new.get("status") == "erased" and old.get("status") != "erased":
        fields = {"erasureId": new.get("id"), "eventIds": sorted(new.get("eventIds") or ())}
        return [c.event("MemberErased", fields, [f"event/{e}" for e in fields["eventIds"]])]
    return []


def _export_rule(c: Change) -> list[DomainEvent]:
    """An export recorded: ``ExportRequested`` (its id only: the worker reads whose). Its progress and
    end are the member's to poll, not news."""
    if c.old is None and (c.new or {}).get("status") == "building":
        return [c.event("ExportRequested", {"exportId": c.new.get("id")}, [])]
    return []


RULES: dict[str, Rule] = {
    "Event": _event_rule,
    "Session": _session_rule,
    "Membership": _membership_rule,
    "Member": _member_rule,
    "Claim": _nothing,
    "Post": _post_rule,
    "Note": _note_rule,
    "Summary": _summary_rule,
    "Question": _question_rule,
    "Vote": _nothing,  # the question's count change is the news
    "QuestionSettings": _nothing,
    # derived data and bookkeeping: their own workers announce what matters
    "Resource": _nothing,
    "ResourceShare": _nothing,
    "ResourceSharer": _nothing,
    "Star": _nothing,  # a member's bookmark: private
    "Pack": _nothing,  # a build's progress: PackRequested is put on the bus by whoever asks
    "PackTarget": _nothing,
    "Publication": _publication_rule,
    "Channel": _channel_rule,
    # a member's network and what reached them: private bookkeeping
    "Follow": _nothing,
    "FollowStats": _nothing,
    "Block": _nothing,
    "ChannelRoutes": _nothing,
    "Token": _nothing,
    "CodeMailCount": _nothing,  # verification mails sent per address and member per day
    "InboxEntry": _nothing,
    "DeliveryStats": _nothing,
    "Delivery": _nothing,
    "DigestEntry": _nothing,  # a pack held for a daily digest
    "ScheduleImport": _nothing,  # an import's record: its sessions' own changes are the news
    **moderation_events.RULES,
    "CollectSource": _nothing,  # a hashtag source and its cycles' status: the posts it stores are the news
    "Erasure": _erasure_rule,
    "Export": _export_rule,
}
