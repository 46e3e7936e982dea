"""Items of hashtag sources.

| item | pk | sk |
|---|---|---|
| source | EVENT#<eventId> | SOURCE#<sourceId> |

Collected posts are ordinary post items (``capture/items.py``) whose id is derived from the event, the
network and the upstream id (:func:`backchannel.collect.rules.post_id`): the post's conditional put
is the dedupe, across sources and re-polls.
"""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute

from backchannel.core.dynamo.table import Item


class SourceItem(Item, discriminator="CollectSource"):
    id = UnicodeAttribute()
    event_id = UnicodeAttribute(attr_name="eventId")
    network = UnicodeAttribute()
    instance = UnicodeAttribute()
    created_by = UnicodeAttribute(attr_name="createdBy")
    created_at = UnicodeAttribute(attr_name="createdAt")
    hashtags = ListAttribute(of=UnicodeAttribute, default=list)
    identifier = UnicodeAttribute(null=True)
    sealed = UnicodeAttribute(null=True)
    cursors = MapAttribute(default=dict)
    last_polled_at = UnicodeAttribute(null=True, attr_name="lastPolledAt")
    last_error = UnicodeAttribute(null=True, attr_name="lastError")
    posts_collected = NumberAttribute(default=0, attr_name="postsCollected")
    backoff_until = UnicodeAttribute(null=True, attr_name="backoffUntil")
