"""DynamoDB access for hashtag sources (the key table is in ``collect/items.py``)."""

from __future__ import annotations

from backchannel.collect.items import SourceItem
from backchannel.collect.model import Source
from backchannel.core.dynamo.conditions import get_item, save_new, update_if
from backchannel.core.dynamo.convert import to_item, to_model
from backchannel.core.dynamo.table import bind
from backchannel.core.errors import Conflict

MAX_SOURCES = 20  # per event: a list read in one page


def _key(event_id: str, source_id: str) -> tuple[str, str]:
    return f"EVENT#{event_id}", f"SOURCE#{source_id}"


def to_source(item: SourceItem) -> Source:
    return to_model(Source, item)


class DynamoSourcesRepo:
    """Sources of an event, in its partition."""

    def __init__(self) -> None:
        bind()

    def create(self, source: Source) -> None:
        pk, sk = _key(source.event_id, source.id)
        if not save_new(to_item(SourceItem, source, pk=pk, sk=sk)):
            raise Conflict(f"source {source.id} exists", field="id")

    def get(self, event_id: str, source_id: str) -> Source | None:
        item = get_item(SourceItem, *_key(event_id, source_id.upper()), consistent_read=True)
        return to_source(item) if item else None

    def list(self, event_id: str) -> list[Source]:
        found = SourceItem.query(
            f"EVENT#{event_id}",
            SourceItem.sk.startswith("SOURCE#"),
            limit=MAX_SOURCES,
            page_size=MAX_SOURCES,
        )
        return [to_source(i) for i in found if isinstance(i, SourceItem)]

    def delete(self, source: Source) -> None:
        SourceItem(*_key(source.event_id, source.id)).delete()

    def record(self, source: Source, collected: int) -> bool:
        """Store a cycle's outcome (cursors, status, back-off) and add ``collected`` to the count; False
        if the source was deleted meanwhile."""
        item = SourceItem(*_key(source.event_id, source.id))
        actions = [
            SourceItem.cursors.set(source.cursors),
            SourceItem.last_polled_at.set(source.last_polled_at),
            SourceItem.posts_collected.add(collected),
        ]
        for attribute, value in (
            (SourceItem.last_error, source.last_error),
            (SourceItem.backoff_until, source.backoff_until),
        ):
            actions.append(attribute.set(value) if value is not None else attribute.remove())
        return update_if(item, actions, SourceItem.pk.exists())
