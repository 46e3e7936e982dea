from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backchannel.core.dynamo import cursor
from backchannel.core.errors import BadRequest
from backchannel.core.ids import is_ulid, new_ulid, ulid_time_ms


def test_ulids_sort_by_creation_even_within_one_millisecond():
    ids = [new_ulid(now_ms=1_800_000_000_000) for _ in range(1000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 1000
    assert all(is_ulid(i) for i in ids)
    assert ulid_time_ms(ids[0]) == 1_800_000_000_000


@pytest.mark.parametrize(
    "bad", ["", "x" * 26, "01ARZ3NDEKTSV4RRFFQ69G5FAVX", "81ARZ3NDEKTSV4RRFFQ69G5FAV", None, 7]
)
def test_not_ulids(bad):
    assert not is_ulid(bad)


KEYS = ("pk", "sk", "gsi1pk", "gsi1sk")


@given(st.dictionaries(st.sampled_from(KEYS), st.text(min_size=1, max_size=50), min_size=4, max_size=4))
def test_cursors_round_trip(key):
    key["gsi1pk"] = "P"
    decoded = cursor.decode_key(cursor.encode(key), names=KEYS, partition=("gsi1pk", "P"))
    assert decoded == {k: {"S": v} for k, v in key.items()}


@given(st.text(max_size=80))
def test_any_string_is_either_a_cursor_of_this_list_or_a_400(text):
    with contextlib.suppress(BadRequest):  # anything else (TypeError, KeyError...) would be a 500
        assert cursor.decode_key(text, names=KEYS, partition=("gsi1pk", "P"))["gsi1pk"] == {"S": "P"}


def test_a_cursor_of_another_list_is_refused():
    other = cursor.encode({"pk": "a", "sk": "b", "gsi1pk": "OTHER", "gsi1sk": "c"})
    with pytest.raises(BadRequest):
        cursor.decode_key(other, names=KEYS, partition=("gsi1pk", "P"))
