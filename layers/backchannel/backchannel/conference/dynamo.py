"""The DynamoDB store (PynamoDB). Uniqueness (hashtags, handles) is enforced by claim items written in
the same transaction as the thing that claims them; optimistic versions guard concurrent updates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from pynamodb.exceptions import TransactWriteError

from backchannel.conference.items import (
    PUBLIC_EVENTS,
    ClaimItem,
    EventItem,
    MemberItem,
    MembershipItem,
    MuteItem,
    SessionItem,
    StarItem,
    event_item,
    event_pk,
    event_tag,
    external_id_claim,
    handle_claim,
    member_events_pk,
    member_item,
    mute_item,
    session_index_pk,
    session_item,
    session_tag,
    to_event,
    to_member,
    to_membership,
    to_mute,
    to_session,
)
from backchannel.conference.model import Event, Member, Membership, Mute, Session
from backchannel.core import request_scope
from backchannel.core.dynamo import cursor as cursors
from backchannel.core.dynamo.conditions import (
    Transaction,
    delete_if,
    get_item,
    save_new,
    update_if,
)
from backchannel.core.dynamo.paging import GSI_KEYS, page
from backchannel.core.dynamo.table import Item, bind
from backchannel.core.errors import Conflict
from backchannel.core.model import Page


def mute_in(tx: Transaction, mute: Mute) -> MuteItem:
    item = mute_item(mute)
    tx.save(item)
    return item


def unmute_in(tx: Transaction, event_id: str, member_id: str) -> MuteItem:
    item = MuteItem(pk=event_pk(event_id), sk=f"MUTE#{member_id}")
    tx.delete(item, condition=MuteItem.pk.exists())
    return item


class DynamoConferenceRepo:
    """The production :class:`backchannel.conference.store.ConferenceRepo`."""

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
        item = get_item(EventItem, event_pk(event_id), "EVENT")
        return to_event(item) if item else None

    def create_event(self, event: Event, organiser: Membership) -> None:
        self._forget(("event", event.id), ("membership", event.id, organiser.member_id))
        try:
            with Transaction() as tx:
                tag = event_tag(event.hashtag, event.id)
                tx.save(tag, condition=ClaimItem.pk.does_not_exist())
                tx.save(event_item(event), condition=EventItem.pk.does_not_exist())
                tx.save(self._membership_item(organiser))
        except TransactWriteError as err:
            if tx.refused(err, tag):
                raise Conflict(
                    f"hashtag {event.hashtag} is already used by another event", field="hashtag"
                ) from None
            raise

    def update_event(self, before: Event, after: Event) -> None:
        self._forget(("event", after.id))
        try:
            with Transaction() as tx:
                item = event_item(after)
                tx.save(item, condition=EventItem.version == before.version)
                tag = event_tag(after.hashtag, after.id)
                if before.hashtag.lower() != after.hashtag.lower():
                    tx.save(tag, condition=ClaimItem.pk.does_not_exist())
                    tx.delete(event_tag(before.hashtag, before.id))
        except TransactWriteError as err:
            if tx.refused(err, tag):
                raise Conflict(
                    f"hashtag {after.hashtag} is already used by another event", field="hashtag"
                ) from None
            if tx.refused(err, item):
                raise Conflict("the event was changed meanwhile: read it again and retry") from None
            raise

    def list_public_events(self, ending_on_or_after: dt.date, limit: int, cursor: str | None) -> Page[Event]:
        start = cursors.decode_key(cursor, names=GSI_KEYS, partition=("gsi1pk", PUBLIC_EVENTS))
        result = EventItem.gsi1.query(
            PUBLIC_EVENTS,
            Item.gsi1sk >= ending_on_or_after.isoformat(),
            limit=limit + 1,
            page_size=limit + 1,
            last_evaluated_key=start,
        )
        items, next_cursor = page(list(result), limit, GSI_KEYS)
        return Page([to_event(i) for i in items if isinstance(i, EventItem)], next_cursor)

    def get_events(self, event_ids: list[str]) -> dict[str, Event]:
        keys = [(event_pk(e), "EVENT") for e in dict.fromkeys(event_ids)]
        return {i.id: to_event(i) for i in EventItem.batch_get(keys) if isinstance(i, EventItem)}

    # -- memberships -------------------------------------------------------------------------------

    @staticmethod
    def _membership_item(m: Membership) -> MembershipItem:
        return MembershipItem(
            pk=event_pk(m.event_id),
            sk=f"MEMBER#{m.member_id}",
            gsi1pk=member_events_pk(m.member_id),
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
        item = get_item(MembershipItem, event_pk(event_id), f"MEMBER#{member_id}")
        return to_membership(item) if item else None

    def add_role(
        self, event_id: str, member_id: str, role: str, since: str, *, conduct_url: str | None = None
    ) -> Membership:
        """``conduct_url``: the event's code of conduct, accepted by this join (recorded with the time)."""
        self._forget(("membership", event_id, member_id))
        item = MembershipItem(pk=event_pk(event_id), sk=f"MEMBER#{member_id}")
        accepted = (
            []
            if conduct_url is None
            else [
                MembershipItem.conduct_url.set(conduct_url),
                MembershipItem.conduct_accepted_at.set(since),
            ]
        )
        item.update(
            actions=[
                MembershipItem.roles.add({role}),
                MembershipItem.type.set(MembershipItem),
                MembershipItem.event_id.set(event_id),
                MembershipItem.member_id.set(member_id),
                MembershipItem.gsi1pk.set(member_events_pk(member_id)),
                MembershipItem.gsi1sk.set(event_id),
                MembershipItem.since.set(MembershipItem.since | since),
                *accepted,
            ]
        )
        return to_membership(item)

    # -- mutes (written by moderation.dynamo with their audit entry: mute_in, unmute_in) -----------

    def get_mute(self, event_id: str, member_id: str) -> Mute | None:
        item = get_item(MuteItem, event_pk(event_id), f"MUTE#{member_id}")
        return to_mute(item) if item else None

    def list_mutes(self, event_id: str, limit: int, cursor: str | None) -> Page[Mute]:
        pk = event_pk(event_id)
        start = cursors.decode_key(cursor, names=("pk", "sk"), partition=("pk", pk))
        result = MuteItem.query(
            pk,
            MuteItem.sk.startswith("MUTE#"),
            limit=limit + 1,
            page_size=limit + 1,
            last_evaluated_key=start,
        )
        items, next_cursor = page(list(result), limit, ("pk", "sk"))
        return Page([to_mute(i) for i in items if isinstance(i, MuteItem)], next_cursor)

    def remove_role(self, event_id: str, member_id: str, role: str) -> Membership | None:
        self._forget(("membership", event_id, member_id))
        item = MembershipItem(pk=event_pk(event_id), sk=f"MEMBER#{member_id}")
        if not update_if(item, [MembershipItem.roles.delete({role})], MembershipItem.pk.exists()):
            return None
        if not item.roles:
            # The last role is gone: remove the membership, unless a role was added meanwhile.
            delete_if(item, MembershipItem.roles.does_not_exist())
            return None
        return to_membership(item)

    def list_memberships(self, member_id: str, limit: int, cursor: str | None) -> Page[Membership]:
        pk = member_events_pk(member_id)
        start = cursors.decode_key(cursor, names=GSI_KEYS, partition=("gsi1pk", pk))
        result = MembershipItem.gsi1.query(pk, limit=limit + 1, page_size=limit + 1, last_evaluated_key=start)
        items, next_cursor = page(list(result), limit, GSI_KEYS)
        return Page([to_membership(i) for i in items if isinstance(i, MembershipItem)], next_cursor)

    # -- sessions ----------------------------------------------------------------------------------

    def get_session(self, session_id: str) -> Session | None:
        return self._remember(("session", session_id), lambda: self._read_session(session_id))

    @staticmethod
    def _read_session(session_id: str) -> Session | None:
        item = get_item(SessionItem, f"SESSION#{session_id}", "SESSION")
        return to_session(item) if item else None

    def create_session(self, session: Session) -> None:
        self._forget(("session", session.id))
        try:
            with Transaction() as tx:
                tx.save(session_item(session), condition=SessionItem.pk.does_not_exist())
                tag = session_tag(session.event_id, session.hashtag, session.id) if session.hashtag else None
                if tag:
                    tx.save(tag, condition=ClaimItem.pk.does_not_exist())
        except TransactWriteError as err:
            if tag and tx.refused(err, tag):
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
            with Transaction() as tx:
                item = session_item(after)
                tx.save(item, condition=SessionItem.version == before.version)
                tag = session_tag(after.event_id, new_tag, after.id) if new_tag else None
                if old_tag != new_tag:
                    if tag:
                        tx.save(tag, condition=ClaimItem.pk.does_not_exist())
                    if old_tag:
                        tx.delete(session_tag(before.event_id, old_tag, before.id))
        except TransactWriteError as err:
            if tag and tx.refused(err, tag):
                raise Conflict(
                    f"hashtag {after.hashtag} is already used by another session of this event",
                    field="hashtag",
                ) from None
            if tx.refused(err, item):
                raise Conflict("the session was changed meanwhile: read it again and retry") from None
            raise

    def delete_session(self, session: Session) -> None:
        self._forget(("session", session.id))
        with Transaction() as tx:
            tx.delete(session_item(session))
            if session.hashtag:
                tx.delete(session_tag(session.event_id, session.hashtag, session.id))
            if session.external_id:
                tx.delete(external_id_claim(session))

    def list_sessions(self, event_id: str, limit: int, cursor: str | None) -> Page[Session]:
        pk = session_index_pk(event_id)
        start = cursors.decode_key(cursor, names=GSI_KEYS, partition=("gsi1pk", pk))
        result = SessionItem.gsi1.query(pk, limit=limit + 1, page_size=limit + 1, last_evaluated_key=start)
        items, next_cursor = page(list(result), limit, GSI_KEYS)
        return Page([to_session(i) for i in items if isinstance(i, SessionItem)], next_cursor)

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
        item = get_item(MemberItem, f"MEMBER#{member_id}", "PROFILE")
        return to_member(item) if item else None

    def create_member_if_absent(self, member: Member) -> Member:
        self._forget(("member", member.id))
        if save_new(member_item(member)):
            return member
        existing = self.get_member(member.id)
        assert existing is not None
        return existing

    def update_member(self, before: Member, after: Member) -> None:
        self._forget(("member", after.id))
        old = (before.handle or "").lower()
        new = (after.handle or "").lower()
        try:
            with Transaction() as tx:
                item = member_item(after)
                tx.save(item, condition=MemberItem.updated_at == before.updated_at)
                claim = handle_claim(new, after.id) if new else None
                if old != new:
                    if claim:
                        tx.save(claim, condition=ClaimItem.pk.does_not_exist())
                    if old:
                        tx.delete(handle_claim(old, before.id))
        except TransactWriteError as err:
            if claim and tx.refused(err, claim):
                raise Conflict(f"handle {after.handle} is taken", field="handle") from None
            if tx.refused(err, item):
                raise Conflict("your profile was changed meanwhile: read it again and retry") from None
            raise

    # -- an event's members, for whoever reaches them (the fan-out, every fetch of a members-only pack)

    def members_of_event(self, event_id: str, member_ids: Iterable[str]) -> set[str]:
        """Those of ``member_ids`` who belong to the event (any role): BatchGetItem, 100 a call."""
        keys = [(f"EVENT#{event_id}", f"MEMBER#{m}") for m in member_ids]  # PynamoDB pages by 100
        return {
            i.member_id for i in MembershipItem.batch_get(keys) if isinstance(i, MembershipItem) and i.roles
        }

    def attendees(self, event_id: str) -> Iterator[str]:
        """Every member of the event (any role), paged by 1,000."""
        found = MembershipItem.query(
            f"EVENT#{event_id}", MembershipItem.sk.startswith("MEMBER#"), page_size=1000
        )
        for item in found:
            if isinstance(item, MembershipItem) and item.roles:
                yield item.member_id
