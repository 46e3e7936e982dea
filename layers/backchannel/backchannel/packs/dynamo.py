"""DynamoDB access for packs (the main table). Every transition of ``service`` is one conditional
write here; a failed condition answers False (someone else moved first) and the caller re-reads.

| item | pk | sk | gsi1pk | gsi1sk | gsi2pk | gsi2sk |
|---|---|---|---|---|---|---|
| pack of a session or event | PACK#<packId> | PACK | PACKS#EVENT#<eventId> | <kind>#<targetId> | | |
| personal pack | PACK#<packId> | PACK | PACKS#PERSONAL#<eventId> | <memberId> | MEMBER#<memberId>#PACKS | <eventId> |
| target claim (one pack per target) | PACKTARGET#<kind>#<targetId>[#<memberId>] | TARGET | | | | |

Access patterns: a pack by id (GetItem); a target's pack (GetItem of the claim, then of the pack); an
event's session and event packs, one session's pack (Query gsi1, ``begins_with``); an event's personal
packs (Query gsi1); a member's packs (Query gsi2). The stream router sees these items too; their types
have no rule in ``domain_events.RULES``, so they make no domain events.
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError

from backchannel.core.dynamo import cursor as cursors
from backchannel.core.dynamo.conditions import Transaction, get_item, update_if
from backchannel.core.dynamo.convert import to_item, to_model
from backchannel.core.dynamo.paging import page
from backchannel.core.dynamo.table import Item, bind, plain
from backchannel.core.model import Page
from backchannel.packs.model import Artifact, Pack, Target

_GSI1_KEYS = ("pk", "sk", "gsi1pk", "gsi1sk")
_GSI2_KEYS = ("pk", "sk", "gsi2pk", "gsi2sk")


class PackItem(Item, discriminator="Pack"):
    id = UnicodeAttribute()
    kind = UnicodeAttribute()
    target_id = UnicodeAttribute(attr_name="targetId")
    event_id = UnicodeAttribute(attr_name="eventId")
    member_id = UnicodeAttribute(null=True, attr_name="memberId")
    status = UnicodeAttribute()
    version = NumberAttribute()
    dirty = BooleanAttribute(default=False)
    # A change that took something away came during the build: its result must not be served.
    tainted = BooleanAttribute(default=False)
    ready_version = NumberAttribute(null=True, attr_name="readyVersion")
    bucket = UnicodeAttribute(null=True)
    artifacts = MapAttribute(null=True)  # format -> {contentType, key, size, sha256}
    progress = MapAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    requested_by = UnicodeAttribute(null=True, attr_name="requestedBy")
    heartbeat_at = UnicodeAttribute(null=True, attr_name="heartbeatAt")
    created_at = UnicodeAttribute(attr_name="createdAt")
    updated_at = UnicodeAttribute(attr_name="updatedAt")


class PackTargetItem(Item, discriminator="PackTarget"):
    pack_id = UnicodeAttribute(attr_name="packId")


def _pk(pack_id: str) -> str:
    return f"PACK#{pack_id}"


def _target_pk(target: Target) -> str:
    return f"PACKTARGET#{target.key}"


def event_index(event_id: str) -> str:
    return f"PACKS#EVENT#{event_id}"


def personal_index(event_id: str) -> str:
    return f"PACKS#PERSONAL#{event_id}"


def member_index(member_id: str) -> str:
    return f"MEMBER#{member_id}#PACKS"


def _pack(item: PackItem) -> Pack:
    artifacts = {fmt: Artifact.from_record(fmt, a) for fmt, a in (plain(item.artifacts) or {}).items()}
    target = Target(item.kind, item.target_id, item.event_id, item.member_id)
    return to_model(Pack, item, target=target, artifacts=artifacts)


def _artifacts(artifacts: dict[str, Artifact]) -> dict:
    return {fmt: a.to_record() for fmt, a in artifacts.items()}


def _item(pack: Pack) -> PackItem:
    """A new pack's item: not dirty, nothing built yet."""
    t = pack.target
    personal = t.kind == "personal"
    return to_item(
        PackItem,
        pack,
        pk=_pk(pack.id),
        sk="PACK",
        gsi1pk=personal_index(t.event_id) if personal else event_index(t.event_id),
        gsi1sk=t.member_id if personal else f"{t.kind}#{t.target_id}",
        gsi2pk=member_index(t.member_id) if personal and t.member_id else None,
        gsi2sk=t.event_id if personal else None,
        kind=t.kind,
        target_id=t.target_id,
        event_id=t.event_id,
        member_id=t.member_id,
        dirty=False,
        tainted=False,
        artifacts=_artifacts(pack.artifacts) or None,
    )


def _key(pack_id: str) -> PackItem:
    return PackItem(pk=_pk(pack_id), sk="PACK")


class DynamoPacksRepo:
    """The production :class:`backchannel.packs.store.PacksRepo`."""

    def __init__(self) -> None:
        bind()

    def _update(self, pack_id: str, actions: list, condition) -> bool:
        return update_if(_key(pack_id), actions=actions, condition=condition)

    # -- reads -------------------------------------------------------------------------------------

    def get(self, pack_id: str) -> Pack | None:
        item = get_item(PackItem, _pk(pack_id), "PACK", consistent_read=True)
        return _pack(item) if item else None

    def get_by_target(self, target: Target) -> Pack | None:
        claim = get_item(PackTargetItem, _target_pk(target), "TARGET", consistent_read=True)
        return self.get(claim.pack_id) if claim else None

    def _all(self, index, pk: str, *conditions) -> list[Pack]:
        return [_pack(i) for i in index.query(pk, *conditions) if isinstance(i, PackItem)]

    def packs_of_event(self, event_id: str) -> list[Pack]:
        return self._all(PackItem.gsi1, event_index(event_id)) + self._all(
            PackItem.gsi1, personal_index(event_id)
        )

    def packs_of_session(self, event_id: str, session_id: str) -> list[Pack]:
        return self._all(PackItem.gsi1, event_index(event_id), PackItem.gsi1sk == f"session#{session_id}")

    def _paged(self, index, name: str, pk: str, keys, limit: int, cursor: str | None, condition=None):
        start = cursors.decode_key(cursor, names=keys, partition=(name, pk))
        result = index.query(pk, condition, limit=limit + 1, page_size=limit + 1, last_evaluated_key=start)
        items, next_cursor = page(list(result), limit, keys)
        return Page([_pack(i) for i in items if isinstance(i, PackItem)], next_cursor)

    def list_event(self, event_id: str, limit: int, cursor: str | None) -> Page[Pack]:
        """The event's own pack and its sessions' packs."""
        return self._paged(PackItem.gsi1, "gsi1pk", event_index(event_id), _GSI1_KEYS, limit, cursor)

    def list_session(self, event_id: str, session_id: str, limit: int, cursor: str | None) -> Page[Pack]:
        return self._paged(
            PackItem.gsi1,
            "gsi1pk",
            event_index(event_id),
            _GSI1_KEYS,
            limit,
            cursor,
            PackItem.gsi1sk == f"session#{session_id}",
        )

    def list_member(self, member_id: str, limit: int, cursor: str | None) -> Page[Pack]:
        return self._paged(PackItem.gsi2, "gsi2pk", member_index(member_id), _GSI2_KEYS, limit, cursor)

    # -- transitions -------------------------------------------------------------------------------

    def create(self, pack: Pack) -> bool:
        try:
            with Transaction() as tx:
                tx.save(
                    PackTargetItem(pk=_target_pk(pack.target), sk="TARGET", pack_id=pack.id),
                    condition=PackTargetItem.pk.does_not_exist(),
                )
                tx.save(_item(pack), condition=PackItem.pk.does_not_exist())
            return True
        except TransactWriteError:
            return False

    def mark_dirty(self, pack_id: str, version: int, *, withdraw: bool, now: str) -> bool:
        actions = [PackItem.dirty.set(True), PackItem.updated_at.set(now)]
        if withdraw:
            actions += [
                PackItem.tainted.set(True),
                PackItem.ready_version.remove(),
                PackItem.artifacts.remove(),
            ]
        return self._update(pack_id, actions, (PackItem.status == "building") & (PackItem.version == version))

    def withdraw(self, pack_id: str, version: int, *, now: str) -> bool:
        actions = [PackItem.ready_version.remove(), PackItem.artifacts.remove(), PackItem.updated_at.set(now)]
        return self._update(pack_id, actions, (PackItem.status == "queued") & (PackItem.version == version))

    def requeue(self, pack_id: str, version: int, status: str, *, withdraw: bool, now: str) -> bool:
        actions = [
            PackItem.version.set(version + 1),
            PackItem.status.set("queued"),
            PackItem.dirty.set(False),
            PackItem.reason.remove(),
            PackItem.progress.remove(),
            PackItem.updated_at.set(now),
        ]
        if withdraw:
            actions += [PackItem.ready_version.remove(), PackItem.artifacts.remove()]
        return self._update(pack_id, actions, (PackItem.status == status) & (PackItem.version == version))

    def start(self, pack_id: str, version: int, *, now: str, stale_before: str) -> Pack | None:
        item = _key(pack_id)
        may_start = PackItem.status.is_in("queued", "failed") | (
            (PackItem.status == "building") & (PackItem.heartbeat_at < stale_before)
        )
        started = update_if(
            item,
            actions=[
                PackItem.status.set("building"),
                PackItem.dirty.set(False),
                PackItem.tainted.set(False),
                PackItem.heartbeat_at.set(now),
                PackItem.progress.remove(),
                PackItem.reason.remove(),
                PackItem.updated_at.set(now),
            ],
            condition=(PackItem.version == version) & may_start,
        )
        return _pack(item) if started else None

    def report_progress(self, pack_id: str, version: int, progress: dict, *, now: str) -> bool:
        actions = [
            PackItem.progress.set(progress),
            PackItem.heartbeat_at.set(now),
            PackItem.updated_at.set(now),
        ]
        return self._update(pack_id, actions, (PackItem.status == "building") & (PackItem.version == version))

    def finish(
        self, pack_id: str, version: int, artifacts: dict[str, Artifact], bucket: str, *, now: str
    ) -> str:
        """``ready``; ``requeued`` (requests came during the build: version + 1 is queued in the same
        write); or ``lost`` (the build is no longer this worker's)."""
        for _ in range(3):
            current = self.get(pack_id)
            if current is None or current.status != "building" or current.version != version:
                return "lost"
            item = PackItem.get(_pk(pack_id), "PACK", consistent_read=True)
            dirty, tainted = bool(item.dirty), bool(item.tainted)
            served = [
                PackItem.ready_version.set(version),
                PackItem.artifacts.set(_artifacts(artifacts)),
                PackItem.bucket.set(bucket),
            ]
            actions = [
                PackItem.progress.remove(),
                PackItem.heartbeat_at.set(now),
                PackItem.updated_at.set(now),
            ]
            if not dirty:
                actions += [PackItem.status.set("ready"), *served]
            else:
                actions += [
                    PackItem.status.set("queued"),
                    PackItem.version.set(version + 1),
                    PackItem.dirty.set(False),
                    PackItem.tainted.set(False),
                ]
                if not tainted:
                    actions += served
            condition = (
                (PackItem.status == "building")
                & (PackItem.version == version)
                & (PackItem.dirty == dirty)
                & (PackItem.tainted == tainted)
            )
            if self._update(pack_id, actions, condition):
                return "requeued" if dirty else "ready"
        return "lost"

    def fail(self, pack_id: str, version: int, reason: str, *, now: str) -> bool:
        actions = [
            PackItem.status.set("failed"),
            PackItem.reason.set(reason),
            PackItem.progress.remove(),
            PackItem.updated_at.set(now),
        ]
        return self._update(pack_id, actions, PackItem.version == version)
