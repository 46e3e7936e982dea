"""The declarative validator: what a client is told, and the JSON Schema it documents."""

from __future__ import annotations

import datetime as dt

import pytest

from backchannel.conference import schemas
from backchannel.core.errors import ValidationFailed
from backchannel.core.validation import Arr, Bytes, DateTime, F, Obj, Str, Text, Url


def errors_of(schema, value, **kw):
    with pytest.raises(ValidationFailed) as err:
        schema.validate(value, **kw)
    return {e.field: e.message for e in err.value.errors}


def test_every_problem_is_reported_with_its_field():
    errs = errors_of(schemas.EVENT_CREATE, {"name": "", "hashtag": "#x", "startsOn": "2030-02-30", "x": 1})
    assert set(errs) == {"name", "hashtag", "startsOn", "endsOn", "timezone", "x"}
    assert errs["x"] == "is not a known field"
    assert errs["endsOn"] == "is required"


def test_strings_are_trimmed_and_counted_in_characters_not_bytes():
    spec = Obj("T", {"s": F(Str(max_len=3))})
    assert spec.validate({"s": "  학습é  "}) == {"s": "학습é"}
    assert "s" in errors_of(spec, {"s": "학습éé"})


def test_control_characters_are_refused_but_newlines_allowed_in_multiline_text():
    single = Obj("T", {"s": F(Str())})
    multi = Obj("T", {"s": F(Str(multiline=True))})
    assert "s" in errors_of(single, {"s": "a\nb"})
    assert multi.validate({"s": "a\nb"}) == {"s": "a\nb"}
    assert "s" in errors_of(multi, {"s": "a\x00b"})


def test_byte_limits_for_markdown():
    spec = Obj("T", {"body": F(Bytes(max_bytes=4, multiline=True))})
    assert spec.validate({"body": "abcd"}) == {"body": "abcd"}
    assert "body" in errors_of(spec, {"body": "ééé"})  # 6 bytes


def test_timestamps_need_an_offset():
    spec = Obj("T", {"t": F(DateTime())})
    assert spec.validate({"t": "2030-05-18T09:00:00Z"})["t"] == dt.datetime(2030, 5, 18, 9, tzinfo=dt.UTC)
    assert "offset" in errors_of(spec, {"t": "2030-05-18T09:00:00"})["t"]
    assert "t" in errors_of(spec, {"t": "2030-05-18"})
    assert "t" in errors_of(spec, {"t": 1234})


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "ftp://x.org", "https://", "http://a b.org", "//x.org", 5]
)
def test_urls(url):
    assert "u" in errors_of(Obj("T", {"u": F(Url())}), {"u": url})


def test_nested_paths_and_array_limits():
    spec = Obj("T", {"xs": F(Arr(Obj("I", {"n": F(Str(min_len=1), required=True)}), max_items=2))})
    assert set(errors_of(spec, {"xs": [{"n": "a"}, {}]})) == {"xs[1].n"}
    assert set(errors_of(spec, {"xs": [{"n": "a"}] * 3})) == {"xs"}


def test_partial_validation_for_patch():
    assert schemas.EVENT_UPDATE.validate({"name": "new"}, partial=True) == {"name": "new"}
    assert "body" in errors_of(schemas.EVENT_UPDATE, {}, partial=True)
    assert "hashtag" in errors_of(schemas.EVENT_UPDATE, {"hashtag": None}, partial=True)


def test_defaults_apply_on_create_only():
    data = schemas.EVENT_CREATE.validate(
        {"name": "n", "hashtag": "h", "startsOn": "2030-01-01", "endsOn": "2030-01-01", "timezone": "UTC"}
    )
    assert data["visibility"] == "public"


def test_json_schema_is_generated_from_the_same_definition():
    schema = schemas.EVENT_CREATE.schema()
    assert schema["required"] == ["name", "hashtag", "startsOn", "endsOn", "timezone"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["hashtag"]["pattern"] == "^[A-Za-z0-9_]{1,50}$"
    assert schema["properties"]["startsOn"] == {
        "type": "string",
        "format": "date",
        "description": "first day, YYYY-MM-DD",
    }


@pytest.mark.parametrize(
    "bad",
    ["\u202egnp.exe", "admin\u200b", "\u2066x\u2069", "\ufeffname", "\u200eleft", "tag\U000e0041"],
)
def test_invisible_format_characters_are_refused_in_names(bad):
    # bidi overrides and isolates, zero-width spaces, byte-order marks, tags: they disguise a name
    spec = Obj("T", {"s": F(Str()), "bio": F(Str(multiline=True)), "u": F(Url())})
    errors = refusals(spec, {"s": bad, "bio": bad, "u": f"https://example.org/{bad}"})
    assert {e.field for e in errors} == {"s", "bio", "u"}
    assert f"(U+{ord(next(c for c in bad if not c.isascii())):04X})" in errors[0].message


def test_joiners_stay_for_scripts_and_emoji_and_free_text_is_the_domains():
    spec = Obj("T", {"s": F(Str())})
    for good in ("\U0001f469\u200d\U0001f4bb Ada", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"):
        assert spec.validate({"s": good}) == {"s": good}
    assert Obj("T", {"t": F(Text())}).validate({"t": "a\u2067b\u2069"}) == {"t": "a\u2067b\u2069"}


def refusals(spec, value):
    with pytest.raises(ValidationFailed) as err:
        spec.validate(value)
    return err.value.errors
