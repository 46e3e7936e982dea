"""A stream record's images read without boto3 come out as boto3's TypeDeserializer would give them
(numbers as int or float)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from backchannel.messaging import stream

ITEM = {
    "pk": "POST#1",
    "votes": 3,
    "score": Decimal("1.5"),
    "answered": True,
    "inReplyTo": None,
    "hashtags": ["keynote", "ai"],
    "speakers": [{"name": "Jane", "talks": 2}],
    "roles": {"organiser", "attendee"},
    "shards": {1, 2, 4},
}


def test_images_match_boto3():
    raw = {k: TypeSerializer().serialize(v) for k, v in ITEM.items()}
    boto3_view = {k: TypeDeserializer().deserialize(v) for k, v in raw.items()}
    expected = {**boto3_view, "votes": 3, "score": 1.5, "shards": {1, 2, 4}}
    got = stream.image(raw)
    assert got == expected
    assert type(got["votes"]) is int and type(got["score"]) is float
    assert stream.images({"dynamodb": {"NewImage": raw}}) == (None, expected)


def test_an_unknown_attribute_type_is_refused():
    with pytest.raises(TypeError):
        stream.image({"x": {"Q": "?"}})
