"""The document's pattern of a plain string and the service's check agree about every character."""

from __future__ import annotations

import re
import sys
import unicodedata

import pytest

from backchannel.core.errors import ValidationFailed
from backchannel.core.validation import F, Obj, Str


def accepted(spec: Str, value: str) -> bool:
    try:
        Obj("T", {"s": F(spec)}).validate({"s": value})
    except ValidationFailed:
        return False
    return True


_PRIVATE_USE_ENDS = {0xEFFFF, 0xF0000, 0xFFFFD, 0xFFFFE, 0x100000, 0x10FFFD, 0x10FFFF}


def _codepoints():
    """The Basic Multilingual Plane, and above it every format character, the ends of the private-use
    planes and a sample of the rest (all of them would take half a minute)."""
    for cp in range(sys.maxunicode + 1):
        if 0xD800 <= cp <= 0xDFFF:
            continue  # a lone surrogate cannot be matched or validated as text
        if cp <= 0xFFFF or cp % 89 == 0 or cp in _PRIVATE_USE_ENDS or unicodedata.category(chr(cp)) == "Cf":
            yield cp


@pytest.mark.parametrize("multiline", [False, True])
def test_every_character_is_refused_by_the_pattern_exactly_when_the_service_refuses_it(multiline):
    spec = Str(min_len=1, max_len=10, multiline=multiline)
    pattern = re.compile(spec.schema()["pattern"])
    disagree = [
        hex(cp)
        for cp in _codepoints()
        for value in (f"a{chr(cp)}b",)
        if bool(pattern.fullmatch(value)) != accepted(spec, value)
    ]
    assert not disagree, disagree[:20]


@pytest.mark.parametrize(
    ("min_len", "value", "ok"),
    [
        (1, " x ", True),  # stripped
        (1, "\n x\t", True),  # leading and trailing white space goes, even where it is not allowed inside
        (1, "   ", False),  # blank
        (1, "", False),
        (0, "", True),
        (0, "  ", True),
        (3, " ab ", False),  # two characters once stripped
        (3, " a b ", True),
        (1, "a\u0006b", False),  # a control character
        (1, "\u202egnp.exe", False),  # a bidi override
        (1, "\U0001f469\u200d\U0001f4bb", True),  # a joiner in an emoji sequence
        (1, "a\U000f0001", False),  # private use, above the Basic Multilingual Plane
        (1, "a\U000e0041", False),  # a tag character
    ],
)
def test_white_space_and_length_are_read_as_the_service_reads_them(min_len, value, ok):
    spec = Str(min_len=min_len, max_len=20)
    assert accepted(spec, value) is ok
    assert bool(re.fullmatch(spec.schema()["pattern"], value)) is ok


def test_a_field_with_a_pattern_of_its_own_keeps_it_and_free_text_has_none():
    assert Str(pattern=r"[0-9]{6}").schema()["pattern"] == "^[0-9]{6}$"
    assert "pattern" not in Str(controls=True).schema()
