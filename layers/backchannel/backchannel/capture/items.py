"""Items of posts, notes and summaries.

| item | pk | sk | gsi1pk, gsi1sk | gsi2pk, gsi2sk |
|---|---|---|---|---|
| post | POST#<id> | POST | EVENT#<eventId>#POSTS#<shard>, <seq> | SESSION#<sessionId>#POSTS#<shard>, <seq> |
| note | NOTE#<id> | NOTE | SESSION#<sessionId>#NOTES#<visibility>[#<authorId> if private], <id> | MEMBER#<authorId>#NOTES, <id> |
| post, hidden or held | POST#<id> | POST | EVENT#<eventId>#POSTS#<shard>#<state>, <seq> | SESSION#<sessionId>#POSTS#<shard>#<state>, <seq> |
| note, hidden | NOTE#<id> | NOTE | SESSION#<sessionId>#NOTES#<visibility>[#<authorId>]#hidden, <id> | MEMBER#<authorId>#NOTES, <id> |
| summary draft | SESSION#<id> | SUMMARY#DRAFT | | |
| summary version | SESSION#<id> | SUMMARY#V#<000001> | | |

``shard`` spreads a hot event's posts over the event's ``feedShards`` index partitions (one partition
takes about 1,000 writes a second); readers query every shard and merge. ``seq`` is a ULID assigned
when the server receives a post, so feeds are in arrival order even when an offline client sends posts
it wrote hours ago with ids of its own.

A hidden or held item (``moderationState``) moves to index partitions of its own (the partition key
with ``#hidden`` or ``#held`` after it), so no feed, list, Atom feed or pack ever reads it; the
author still finds their notes under ``MEMBER#<authorId>#NOTES``.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)

from backchannel.core.dynamo.table import Item


class PostItem(Item, discriminator="Post"):
    id = UnicodeAttribute()
    event_id = UnicodeAttribute(attr_name="eventId")
    session_id = UnicodeAttribute(null=True, attr_name="sessionId")
    author_id = UnicodeAttribute(null=True, attr_name="authorId")  # None: a collected post (origin)
    author_name = UnicodeAttribute(attr_name="authorName")
    text = UnicodeAttribute()
    hashtags = ListAttribute(of=UnicodeAttribute, default=list)
    mentions = ListAttribute(of=UnicodeAttribute, default=list)
    links = ListAttribute(of=UnicodeAttribute, default=list)
    in_reply_to = UnicodeAttribute(null=True, attr_name="inReplyTo")
    created_at = UnicodeAttribute(attr_name="createdAt")
    seq = UnicodeAttribute()
    content_warning = UnicodeAttribute(null=True, attr_name="contentWarning")
    moderation_state = UnicodeAttribute(null=True, attr_name="moderationState")  # hidden | held
    moderation_reason = UnicodeAttribute(null=True, attr_name="moderationReason")
    moderated_at = UnicodeAttribute(null=True, attr_name="moderatedAt")
    origin = MapAttribute(null=True)  # a collected post's network, URL and upstream author


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
    content_warning = UnicodeAttribute(null=True, attr_name="contentWarning")
    moderation_state = UnicodeAttribute(null=True, attr_name="moderationState")  # hidden | held
    moderation_reason = UnicodeAttribute(null=True, attr_name="moderationReason")
    moderated_at = UnicodeAttribute(null=True, attr_name="moderatedAt")


class SummaryItem(Item, discriminator="Summary"):
    session_id = UnicodeAttribute(attr_name="sessionId")
    event_id = UnicodeAttribute(attr_name="eventId")
    version = NumberAttribute()
    status = UnicodeAttribute()
    body = UnicodeAttribute()
    author_id = UnicodeAttribute(attr_name="authorId")
    updated_at = UnicodeAttribute(attr_name="updatedAt")
    published_at = UnicodeAttribute(null=True, attr_name="publishedAt")
