"""PynamoDB models of the main table (single-table design) and their lazy binding to configuration.

Key design (see the access-pattern table in the README):

| item | pk | sk | gsi1pk | gsi1sk |
|---|---|---|---|---|
| event | EVENT#<id> | EVENT | PUBLIC#EVENTS (public only) | <endsOn>#<id> |
| event hashtag claim | EVENTTAG#<lower tag> | EVENTTAG | | |
| membership (roles) | EVENT#<id> | MEMBER#<memberId> | MEMBER#<memberId>#EVENTS | <eventId> |
| session | SESSION#<id> | SESSION | EVENT#<eventId>#SESSIONS | <startsAt UTC>#<id> |
| session hashtag claim | EVENT#<id> | SESSIONTAG#<lower tag> | | |
| member | MEMBER#<id> | PROFILE | | |
| handle claim | HANDLE#<lower handle> | HANDLE | | |
| post | POST#<id> | POST | EVENT#<eventId>#POSTS#<shard>, <seq> | gsi2: SESSION#<sessionId>#POSTS#<shard>, <seq> |
| note | NOTE#<id> | NOTE | SESSION#<sessionId>#NOTES#<visibility>[#<authorId> if private], <id> | gsi2: MEMBER#<authorId>#NOTES, <id> |
| star | MEMBER#<memberId> | STAR#<eventId>#<sessionId> | | |
| summary draft | SESSION#<id> | SUMMARY#DRAFT | | |
| summary version | SESSION#<id> | SUMMARY#V#<000001> | | |

``shard`` spreads a hot event's posts over the event's ``feedShards`` index partitions (one partition
takes about 1,000 writes a second); readers query every shard and merge. ``seq`` is a ULID assigned
when the server receives a post, so feeds are in arrival order even when an
offline client sends posts it wrote hours ago with ids of its own.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from backchannel.config import get_config, on_reset


class Gsi1(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class Item(Model):
    """Every item of the main table; ``type`` tells which model a raw item is."""

    class Meta:
        table_name: str | None = None  # bound from configuration on first use, see bind()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    type = DiscriminatorAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi1 = Gsi1()
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi2 = Gsi2()

    @classmethod
    def _get_connection(cls):
        # Every model of the table shares Item's connection, so a cold start creates one botocore
        # client, not one per model class (each costs tens of milliseconds).
        return Model._get_connection.__func__(Item)


class EventItem(Item, discriminator="Event"):
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    hashtag = UnicodeAttribute()
    starts_on = UnicodeAttribute(attr_name="startsOn")
    ends_on = UnicodeAttribute(attr_name="endsOn")
    timezone = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    visibility = UnicodeAttribute()
    code_of_conduct_url = UnicodeAttribute(null=True, attr_name="codeOfConductUrl")
    created_by = UnicodeAttribute(attr_name="createdBy")
    created_at = UnicodeAttribute(attr_name="createdAt")
    updated_at = UnicodeAttribute(attr_name="updatedAt")
    version = NumberAttribute(default=1)
    feed_shards = NumberAttribute(null=True, attr_name="feedShards")


class ClaimItem(Item, discriminator="Claim"):
    """A uniqueness claim (event hashtag, session hashtag, handle): written in the same transaction."""

    owner_id = UnicodeAttribute(attr_name="ownerId")


class MembershipItem(Item, discriminator="Membership"):
    event_id = UnicodeAttribute(attr_name="eventId")
    member_id = UnicodeAttribute(attr_name="memberId")
    roles = UnicodeSetAttribute()
    since = UnicodeAttribute()


class Speaker(MapAttribute):
    name = UnicodeAttribute()
    link = UnicodeAttribute(null=True)


class SessionItem(Item, discriminator="Session"):
    id = UnicodeAttribute()
    event_id = UnicodeAttribute(attr_name="eventId")
    title = UnicodeAttribute()
    abstract = UnicodeAttribute(null=True)
    speakers = ListAttribute(of=Speaker, default=list)
    room = UnicodeAttribute(null=True)
    track = UnicodeAttribute(null=True)
    starts_at = UnicodeAttribute(attr_name="startsAt")
    ends_at = UnicodeAttribute(attr_name="endsAt")
    hashtag = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(attr_name="createdAt")
    updated_at = UnicodeAttribute(attr_name="updatedAt")
    version = NumberAttribute(default=1)


class Link(MapAttribute):
    title = UnicodeAttribute()
    url = UnicodeAttribute()


class MemberItem(Item, discriminator="Member"):
    id = UnicodeAttribute()
    display_name = UnicodeAttribute(attr_name="displayName")
    handle = UnicodeAttribute(null=True)
    bio = UnicodeAttribute(null=True)
    links = ListAttribute(of=Link, default=list)
    pack_consent = BooleanAttribute(null=True, attr_name="packConsent")
    created_at = UnicodeAttribute(attr_name="createdAt")
    updated_at = UnicodeAttribute(attr_name="updatedAt")


class StarItem(Item, discriminator="Star"):
    """A member's star on a session (pk MEMBER#<memberId>, sk STAR#<eventId>#<sessionId>)."""

    member_id = UnicodeAttribute(attr_name="memberId")
    event_id = UnicodeAttribute(attr_name="eventId")
    session_id = UnicodeAttribute(attr_name="sessionId")
    starred_at = UnicodeAttribute(attr_name="starredAt")


class PostItem(Item, discriminator="Post"):
    id = UnicodeAttribute()
    event_id = UnicodeAttribute(attr_name="eventId")
    session_id = UnicodeAttribute(null=True, attr_name="sessionId")
    author_id = UnicodeAttribute(attr_name="authorId")
    author_name = UnicodeAttribute(attr_name="authorName")
    text = UnicodeAttribute()
    hashtags = ListAttribute(of=UnicodeAttribute, default=list)
    mentions = ListAttribute(of=UnicodeAttribute, default=list)
    links = ListAttribute(of=UnicodeAttribute, default=list)
    in_reply_to = UnicodeAttribute(null=True, attr_name="inReplyTo")
    created_at = UnicodeAttribute(attr_name="createdAt")
    seq = UnicodeAttribute()


class NoteItem(Item, discriminator="Note"):
    id = UnicodeAttribute()
    event_id = UnicodeAttribute(attr_name="eventId")
    session_id = UnicodeAttribute(attr_name="sessionId")
    author_id = UnicodeAttribute(attr_name="authorId")
    author_name = UnicodeAttribute(attr_name="authorName")
    title = UnicodeAttribute(null=True)
    body = UnicodeAttribute()
    visibility = UnicodeAttribute()
    share_in_packs = BooleanAttribute(attr_name="shareInPacks")
    version = NumberAttribute()
    created_at = UnicodeAttribute(attr_name="createdAt")
    updated_at = UnicodeAttribute(attr_name="updatedAt")


class SummaryItem(Item, discriminator="Summary"):
    session_id = UnicodeAttribute(attr_name="sessionId")
    event_id = UnicodeAttribute(attr_name="eventId")
    version = NumberAttribute()
    status = UnicodeAttribute()
    body = UnicodeAttribute()
    author_id = UnicodeAttribute(attr_name="authorId")
    updated_at = UnicodeAttribute(attr_name="updatedAt")
    published_at = UnicodeAttribute(null=True, attr_name="publishedAt")


class TableBinding:
    """The models of one table, pointed lazily at the configured table with timeouts well inside API
    Gateway's 29 s. Models of a table share its root's Meta and (through the root's
    ``_get_connection``) its one connection, so binding the root binds them all."""

    def __init__(self, root: type[Model], setting: str) -> None:
        self.root = root
        self.setting = setting
        self.bound: str | None = None
        on_reset(self.unbind)

    def bind(self) -> None:
        cfg = get_config()
        name = cfg.require(self.setting)
        if self.bound == name:
            return
        meta = self.root.Meta
        meta.table_name = name
        meta.region = cfg.region
        meta.connect_timeout_seconds = cfg.ddb_connect_timeout_s
        meta.read_timeout_seconds = cfg.ddb_read_timeout_s
        meta.max_retry_attempts = cfg.ddb_max_retries
        self.root._connection = None
        self.bound = name

    def unbind(self) -> None:
        self.bound = None
        self.root._connection = None


_binding = TableBinding(Item, "data_table_name")
bind = _binding.bind
