"""The DynamoDB store (PynamoDB). Uniqueness (hashtags, handles) is enforced by claim items written in
the same transaction as the thing that claims them; optimistic versions guard concurrent updates."""

from __future__ import annotations

import datetime as dt

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from backchannel.conference.items import (
    ClaimItem,
    EventItem,
    MemberItem,
    MembershipItem,
    SessionItem,
    StarItem,
)
from backchannel.conference.items import Link as LinkAttr
from backchannel.conference.items import Speaker as SpeakerAttr
from backchannel.conference.model import Event, Link, Member, Membership, Session, Speaker
from backchannel.core import request_scope
from backchannel.core.dynamo import cursor as cursors
from backchannel.core.dynamo.conditions import condition_failed, connection, failed_conditions
from backchannel.core.dynamo.paging import GSI_KEYS, page
from backchannel.core.dynamo.table import Item, bind
from backchannel.core.errors import Conflict
from backchannel.core.model import Page

PUBLIC_EVENTS = "PUBLIC#EVENTS"


def _event_pk(event_id: str) -> str:
    return f"EVENT#{event_id}"


def _session_index_pk(event_id: str) -> str:
    return f"EVENT#{event_id}#SESSIONS"


def _member_events_pk(member_id: str) -> str:
    return f"MEMBER#{member_id}#EVENTS"


def _utc(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _event(item: EventItem) -> Event:
    return Event(
        id=item.id,
        name=item.name,
        hashtag=item.hashtag,
        starts_on=dt.date.fromisoformat(item.starts_on),
        ends_on=dt.date.fromisoformat(item.ends_on),
        timezone=item.timezone,
        visibility=item.visibility,
        description=item.description,
        code_of_conduct_url=item.code_of_conduct_url,
        created_by=item.created_by,
        created_at=item.created_at,
        updated_at=item.updated_at,
        version=int(item.version),
        feed_shards=int(item.feed_shards or 1),
    )


def _event_item(event: Event) -> EventItem:
    public = event.visibility == "public"
    return EventItem(
        pk=_event_pk(event.id),
        sk="EVENT",
        gsi1pk=PUBLIC_EVENTS if public else None,
        gsi1sk=f"{event.ends_on.isoformat()}#{event.id}" if public else None,
        id=event.id,
        name=event.name,
        hashtag=event.hashtag,
        starts_on=event.starts_on.isoformat(),
        ends_on=event.ends_on.isoformat(),
        timezone=event.timezone,
        visibility=event.visibility,
        description=event.description,
        code_of_conduct_url=event.code_of_conduct_url,
        created_by=event.created_by,
        created_at=event.created_at,
        updated_at=event.updated_at,
        version=event.version,
        feed_shards=event.feed_shards,
    )


def _event_tag(tag: str, event_id: str) -> ClaimItem:
    return ClaimItem(pk=f"EVENTTAG#{tag.lower()}", sk="EVENTTAG", owner_id=event_id)


def _session(item: SessionItem) -> Session:
    return Session(
        id=item.id,
        event_id=item.event_id,
        title=item.title,
        abstract=item.abstract,
        speakers=[Speaker(name=s.name, link=s.link) for s in item.speakers or []],
        room=item.room,
        track=item.track,
        starts_at=dt.datetime.fromisoformat(item.starts_at),
        ends_at=dt.datetime.fromisoformat(item.ends_at),
        hashtag=item.hashtag,
        created_at=item.created_at,
        updated_at=item.updated_at,
        version=int(item.version),
    )


def _session_item(session: Session) -> SessionItem:
    return SessionItem(
        pk=f"SESSION#{session.id}",
        sk="SESSION",
        gsi1pk=_session_index_pk(session.event_id),
        gsi1sk=f"{_utc(session.starts_at)}#{session.id}",
        id=session.id,
        event_id=session.event_id,
        title=session.title,
        abstract=session.abstract,
        speakers=[SpeakerAttr(name=s.name, link=s.link) for s in session.speakers],
        room=session.room,
        track=session.track,
        starts_at=session.starts_at.isoformat(),
        ends_at=session.ends_at.isoformat(),
        hashtag=session.hashtag,
        created_at=session.created_at,
        updated_at=session.updated_at,
        version=session.version,
    )


def _session_tag(event_id: str, tag: str, session_id: str) -> ClaimItem:
    return ClaimItem(pk=_event_pk(event_id), sk=f"SESSIONTAG#{tag.lower()}", owner_id=session_id)


def _membership(item: MembershipItem) -> Membership:
    return Membership(item.event_id, item.member_id, set(item.roles or ()), item.since)


def _member(item: MemberItem) -> Member:
    return Member(
        id=item.id,
        display_name=item.display_name,
        handle=item.handle,
        bio=item.bio,
        links=[Link(title=x.title, url=x.url) for x in item.links or []],
        pack_consent=item.pack_consent is not False,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def _member_item(member: Member) -> MemberItem:
    return MemberItem(
        pk=f"MEMBER#{member.id}",
        sk="PROFILE",
        id=member.id,
        display_name=member.display_name,
        handle=member.handle,
        bio=member.bio,
        links=[LinkAttr(title=x.title, url=x.url) for x in member.links],
        pack_consent=member.pack_consent,
        created_at=member.created_at,
        updated_at=member.updated_at,
    )


def _handle_claim(handle: str, member_id: str) -> ClaimItem:
    return ClaimItem(pk=f"HANDLE#{handle.lower()}", sk="HANDLE", owner_id=member_id)


class DynamoConferenceRepo:
    """The production :class:`backchannel.domain.store.Store`."""

    def __init__(self) -> None:
        bind()
        # reads of this request: the same event, membership, session or member is often needed by
        # several rules; writes below keep it current
        self._seen = request_scope.cache()

    def _forget(self, *keys: tuple) -> None:
        for key in keys:
            self._seen.pop(key, None)

    def _remember(self, key: tuple, read):
        if key not in self._seen:
            self._seen[key] = read()
        return self._seen[key]

    # -- events ------------------------------------------------------------------------------------

    def get_event(self, event_id: str) -> Event | None:
        return self._remember(("event", event_id), lambda: self._read_event(event_id))

    @staticmethod
    def _read_event(event_id: str) -> Event | None:
        try:
            return _event(EventItem.get(_event_pk(event_id), "EVENT"))
        except DoesNotExist:
            return None

    def create_event(self, event: Event, organiser: Membership) -> None:
        self._forget(("event", event.id), ("membership", event.id, organiser.member_id))
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.save(_event_tag(event.hashtag, event.id), condition=ClaimItem.pk.does_not_exist())
                tx.save(_event_item(event), condition=EventItem.pk.does_not_exist())
                tx.save(self._membership_item(organiser))
        except TransactWriteError as err:
            if 0 in failed_conditions(err):
                raise Conflict(
                    f"hashtag {event.hashtag} is already used by another event", field="hashtag"
                ) from None
            raise

    def update_event(self, before: Event, after: Event) -> None:
        self._forget(("event", after.id))
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.save(_event_item(after), condition=EventItem.version == before.version)
                if before.hashtag.lower() != after.hashtag.lower():
                    tx.save(_event_tag(after.hashtag, after.id), condition=ClaimItem.pk.does_not_exist())
                    tx.delete(_event_tag(before.hashtag, before.id))
        except TransactWriteError as err:
            failed = failed_conditions(err)
            if 1 in failed:
                raise Conflict(
                    f"hashtag {after.hashtag} is already used by another event", field="hashtag"
                ) from None
            if 0 in failed:
                raise Conflict("the event was changed meanwhile: read it again and retry") from None
            raise

    def list_public_events(self, ending_on_or_after: dt.date, limit: int, cursor: str | None) -> Page[Event]:
        start = cursors.decode(cursor, names=GSI_KEYS, partition=("gsi1pk", PUBLIC_EVENTS))
        result = EventItem.gsi1.query(
            PUBLIC_EVENTS,
            Item.gsi1sk >= ending_on_or_after.isoformat(),
            limit=limit + 1,
            page_size=limit + 1,
            last_evaluated_key=start,
        )
        items, next_cursor = page(list(result), limit, GSI_KEYS)
        return Page([_event(i) for i in items if isinstance(i, EventItem)], next_cursor)

    def get_events(self, event_ids: list[str]) -> dict[str, Event]:
        keys = [(_event_pk(e), "EVENT") for e in dict.fromkeys(event_ids)]
        return {i.id: _event(i) for i in EventItem.batch_get(keys) if isinstance(i, EventItem)}

    # -- memberships -------------------------------------------------------------------------------

    @staticmethod
    def _membership_item(m: Membership) -> MembershipItem:
        return MembershipItem(
            pk=_event_pk(m.event_id),
            sk=f"MEMBER#{m.member_id}",
            gsi1pk=_member_events_pk(m.member_id),
            gsi1sk=m.event_id,
            event_id=m.event_id,
            member_id=m.member_id,
            roles=set(m.roles),
            since=m.since,
        )

    def get_membership(self, event_id: str, member_id: str) -> Membership | None:
        return self._remember(
            ("membership", event_id, member_id), lambda: self._read_membership(event_id, member_id)
        )

    @staticmethod
    def _read_membership(event_id: str, member_id: str) -> Membership | None:
        try:
            return _membership(MembershipItem.get(_event_pk(event_id), f"MEMBER#{member_id}"))
        except DoesNotExist:
            return None

    def add_role(self, event_id: str, member_id: str, role: str, since: str) -> Membership:
        self._forget(("membership", event_id, member_id))
        item = MembershipItem(pk=_event_pk(event_id), sk=f"MEMBER#{member_id}")
        item.update(
            actions=[
                MembershipItem.roles.add({role}),
                MembershipItem.type.set(MembershipItem),
                MembershipItem.event_id.set(event_id),
                MembershipItem.member_id.set(member_id),
                MembershipItem.gsi1pk.set(_member_events_pk(member_id)),
                MembershipItem.gsi1sk.set(event_id),
                MembershipItem.since.set(MembershipItem.since | since),
            ]
        )
        return _membership(item)

    def remove_role(self, event_id: str, member_id: str, role: str) -> Membership | None:
        self._forget(("membership", event_id, member_id))
        item = MembershipItem(pk=_event_pk(event_id), sk=f"MEMBER#{member_id}")
        try:
            item.update(actions=[MembershipItem.roles.delete({role})], condition=MembershipItem.pk.exists())
        except UpdateError as err:
            if condition_failed(err):
                return None
            raise
        if not item.roles:
            # The last role is gone: remove the membership, unless a role was added meanwhile.
            try:
                item.delete(condition=MembershipItem.roles.does_not_exist())
            except Exception as err:
                if not condition_failed(err):
                    raise
            return None
        return _membership(item)

    def list_memberships(self, member_id: str, limit: int, cursor: str | None) -> Page[Membership]:
        pk = _member_events_pk(member_id)
        start = cursors.decode(cursor, names=GSI_KEYS, partition=("gsi1pk", pk))
        result = MembershipItem.gsi1.query(pk, limit=limit + 1, page_size=limit + 1, last_evaluated_key=start)
        items, next_cursor = page(list(result), limit, GSI_KEYS)
        return Page([_membership(i) for i in items if isinstance(i, MembershipItem)], next_cursor)

    # -- sessions ----------------------------------------------------------------------------------

    def get_session(self, session_id: str) -> Session | None:
        return self._remember(("session", session_id), lambda: self._read_session(session_id))

    @staticmethod
    def _read_session(session_id: str) -> Session | None:
        try:
            return _session(SessionItem.get(f"SESSION#{session_id}", "SESSION"))
        except DoesNotExist:
            return None

    def create_session(self, session: Session) -> None:
        self._forget(("session", session.id))
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.save(_session_item(session), condition=SessionItem.pk.does_not_exist())
                if session.hashtag:
                    tx.save(
                        _session_tag(session.event_id, session.hashtag, session.id),
                        condition=ClaimItem.pk.does_not_exist(),
                    )
        except TransactWriteError as err:
            if 1 in failed_conditions(err):
                raise Conflict(
                    f"hashtag {session.hashtag} is already used by another session of this event",
                    field="hashtag",
                ) from None
            raise

    def update_session(self, before: Session, after: Session) -> None:
        self._forget(("session", after.id))
        old_tag = (before.hashtag or "").lower()
        new_tag = (after.hashtag or "").lower()
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.save(_session_item(after), condition=SessionItem.version == before.version)
                if old_tag != new_tag:
                    if new_tag:
                        tx.save(
                            _session_tag(after.event_id, new_tag, after.id),
                            condition=ClaimItem.pk.does_not_exist(),
                        )
                    if old_tag:
                        tx.delete(_session_tag(before.event_id, old_tag, before.id))
        except TransactWriteError as err:
            failed = failed_conditions(err)
            if 1 in failed and new_tag:
                raise Conflict(
                    f"hashtag {after.hashtag} is already used by another session of this event",
                    field="hashtag",
                ) from None
            if 0 in failed:
                raise Conflict("the session was changed meanwhile: read it again and retry") from None
            raise

    def delete_session(self, session: Session) -> None:
        self._forget(("session", session.id))
        with TransactWrite(connection=connection()) as tx:
            tx.delete(_session_item(session))
            if session.hashtag:
                tx.delete(_session_tag(session.event_id, session.hashtag, session.id))

    def list_sessions(self, event_id: str, limit: int, cursor: str | None) -> Page[Session]:
        pk = _session_index_pk(event_id)
        start = cursors.decode(cursor, names=GSI_KEYS, partition=("gsi1pk", pk))
        result = SessionItem.gsi1.query(pk, limit=limit + 1, page_size=limit + 1, last_evaluated_key=start)
        items, next_cursor = page(list(result), limit, GSI_KEYS)
        return Page([_session(i) for i in items if isinstance(i, SessionItem)], next_cursor)

    # -- stars -------------------------------------------------------------------------------------

    def star_session(self, member_id: str, session: Session, at: str) -> None:
        StarItem(
            pk=f"MEMBER#{member_id}",
            sk=f"STAR#{session.event_id}#{session.id}",
            member_id=member_id,
            event_id=session.event_id,
            session_id=session.id,
            starred_at=at,
        ).save()

    def unstar_session(self, member_id: str, session: Session) -> None:
        StarItem(pk=f"MEMBER#{member_id}", sk=f"STAR#{session.event_id}#{session.id}").delete()

    def starred_sessions(self, member_id: str, event_id: str) -> set[str]:
        found = StarItem.query(f"MEMBER#{member_id}", StarItem.sk.startswith(f"STAR#{event_id}#"))
        return {i.session_id for i in found if isinstance(i, StarItem)}

    # -- members -----------------------------------------------------------------------------------

    def get_member(self, member_id: str) -> Member | None:
        return self._remember(("member", member_id), lambda: self._read_member(member_id))

    @staticmethod
    def _read_member(member_id: str) -> Member | None:
        try:
            return _member(MemberItem.get(f"MEMBER#{member_id}", "PROFILE"))
        except DoesNotExist:
            return None

    def create_member_if_absent(self, member: Member) -> Member:
        self._forget(("member", member.id))
        try:
            _member_item(member).save(condition=MemberItem.pk.does_not_exist())
            return member
        except PutError as err:
            if not condition_failed(err):
                raise
        existing = self.get_member(member.id)
        assert existing is not None
        return existing

    def update_member(self, before: Member, after: Member) -> None:
        self._forget(("member", after.id))
        old = (before.handle or "").lower()
        new = (after.handle or "").lower()
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.save(_member_item(after), condition=MemberItem.updated_at == before.updated_at)
                if old != new:
                    if new:
                        tx.save(_handle_claim(new, after.id), condition=ClaimItem.pk.does_not_exist())
                    if old:
                        tx.delete(_handle_claim(old, before.id))
        except TransactWriteError as err:
            failed = failed_conditions(err)
            if 1 in failed and new:
                raise Conflict(f"handle {after.handle} is taken", field="handle") from None
            if 0 in failed:
                raise Conflict("your profile was changed meanwhile: read it again and retry") from None
            raise
