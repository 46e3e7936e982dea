"""Hashtags, mentions and links as the server extracts them, and which texts it accepts."""

from __future__ import annotations

import time
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backchannel.capture.text import (
    TextProblem,
    clean_text,
    extract_hashtags,
    extract_links,
    extract_mentions,
    link_spans,
)

# --------------------------------------------------------------------------------------------------
# hashtags
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        # the examples
        ("Heute #Lernen mit #학습 und #café", ["Lernen", "학습", "café"]),
        ("#cafe\u0301 is #café", ["café"]),  # NFC: the same tag, counted once
        ("#Lernen #lernen #LERNEN", ["Lernen"]),  # first spelling wins
        ("#Straße #STRASSE", ["Straße"]),  # casefold, not lower
        ("great session #Lernen.", ["Lernen"]),  # trailing punctuation is not part of a tag
        ("#Lernen, #KI! #ML? (#DL) «#EdTech»", ["Lernen", "KI", "ML", "DL", "EdTech"]),
        # what a tag is made of
        ("#x_1 #_ #snake_case", ["x_1", "_", "snake_case"]),
        ("#2024 #1 #\uff11\uff12", []),  # digits only: a number, not a tag
        ("#1st #web3", ["1st", "web3"]),
        ("#हिन्दी", ["हिन्दी"]),  # combining vowel signs (M*) belong to the tag
        ("#می\u200cخواهم", ["می\u200cخواهم"]),  # noqa: RUF001 -- Persian: ZWNJ inside a word
        ("#\u200cabc", []),  # but not at the start
        ("#学习 #ラーニング #Обучение #مدرسة", ["学习", "ラーニング", "Обучение", "مدرسة"]),
        ("#tag-with-dash", ["tag"]),
        ("#tag#other", ["tag"]),  # the second "#" follows a word character
        ("##double", ["double"]),
        ("# heading", []),
        ("#", []),
        ("", []),
        # what is not a tag
        ("a#b", []),
        ("C#", []),
        ("&#39; &#x27;", []),  # HTML entities
        ("https://x.org/p#sec and www.x.org/#top", []),  # URL fragments
        ("path/#notatag", []),
        ("#" + "a" * 100, ["a" * 100]),
        ("#" + "a" * 101, []),  # too long to be a tag: not cut short either
        ("#ok #" + "b" * 101 + " #fine", ["ok", "fine"]),
    ],
)
def test_hashtags(text, tags):
    assert extract_hashtags(text) == tags


@given(st.text())
def test_hashtag_extraction_never_raises_and_tags_appear_in_the_text(text):
    tags = extract_hashtags(text)
    normal = unicodedata.normalize("NFC", text)
    for tag in tags:
        assert "#" + tag in normal
        assert 0 < len(tag) <= 100
    assert len({unicodedata.normalize("NFC", t.casefold()) for t in tags}) == len(tags)


@given(
    st.lists(st.sampled_from(["#", "a", "1", "_", " ", "&", "/", "é", "\u0301", "\u200c", "학", "."])).map(
        "".join
    )
)
def test_hashtags_from_tag_like_noise_appear_in_the_text(text):
    for tag in extract_hashtags(text):
        assert "#" + tag in unicodedata.normalize("NFC", text)
        assert not tag.isdigit()


# --------------------------------------------------------------------------------------------------
# mentions
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "mentions"),
    [
        ("thanks @alice and @bob_2!", ["alice", "bob_2"]),
        ("@Alice @alice @ALICE", ["Alice"]),
        ("cc @bob@mastodon.social.", ["bob@mastodon.social"]),
        ("@Bob@Mastodon.Social @bob@mastodon.social", ["Bob@Mastodon.Social"]),
        ("@bob @bob@hci.social", ["bob", "bob@hci.social"]),  # different accounts
        ("@eve@sub.example.co.uk, hi", ["eve@sub.example.co.uk"]),
        (".@alice said", ["alice"]),
        ("(@alice)", ["alice"]),
        ("@a", []),  # handles are 2 to 30 characters
        ("@" + "a" * 30, ["a" * 30]),
        ("@" + "a" * 31, []),
        ("@alice@", ["alice"]),
        ("@alice@localhost", ["alice"]),  # not a domain: still mentions alice
        ("@alicé", []),
        # emails and URLs are not mentions
        ("mail bob@example.org", []),
        ("first.last@example.org", []),
        ("@@alice", []),
        ("https://mastodon.social/@carol", []),
        ("https://x.org/profile?u=@dave", []),
        ("https://x.org/~@dave/x", []),
        ("?user=@dave", []),
        ("", []),
    ],
)
def test_mentions(text, mentions):
    assert extract_mentions(text) == mentions


@given(st.text())
def test_mention_extraction_never_raises(text):
    for mention in extract_mentions(text):
        assert "@" + mention in text


# --------------------------------------------------------------------------------------------------
# links
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("see https://x.org/a.", ["https://x.org/a"]),
        (
            "see https://x.org/a, https://y.org/b; http://z.org/c: ok",
            ["https://x.org/a", "https://y.org/b", "http://z.org/c"],
        ),
        ("wow https://x.org/a! really https://x.org/b?", ["https://x.org/a", "https://x.org/b"]),
        (
            "'https://x.org/a' \"https://x.org/b\" “https://x.org/c”",
            ["https://x.org/a", "https://x.org/b", "https://x.org/c"],
        ),
        ("https://x.org/a... https://x.org/b…", ["https://x.org/a", "https://x.org/b"]),
        ("見て https://x.org/a。", ["https://x.org/a"]),
        # brackets: kept when balanced inside the URL
        (
            "https://en.wikipedia.org/wiki/Learning_(disambiguation)",
            ["https://en.wikipedia.org/wiki/Learning_(disambiguation)"],
        ),
        (
            "(see https://en.wikipedia.org/wiki/Learning_(disambiguation))",
            ["https://en.wikipedia.org/wiki/Learning_(disambiguation)"],
        ),
        ("(see https://x.org/a)", ["https://x.org/a"]),
        ("(see https://x.org/a).", ["https://x.org/a"]),
        ("[https://x.org/a]", ["https://x.org/a"]),
        ("{https://x.org/a}", ["https://x.org/a"]),
        ("https://x.org/a[1]", ["https://x.org/a[1]"]),
        # Markdown
        ("[title](https://x.org/md)", ["https://x.org/md"]),
        ("[title](https://x.org/a_(b))", ["https://x.org/a_(b)"]),
        ('[title](https://x.org/md "Title")', ["https://x.org/md"]),
        ("[https://a.org](https://b.org)", ["https://a.org", "https://b.org"]),
        ("<https://x.org/auto>", ["https://x.org/auto"]),
        ("**https://x.org/bold**", ["https://x.org/bold"]),
        ("`https://x.org/code`", ["https://x.org/code"]),
        # www links
        ("visit www.example.org/p.", ["https://www.example.org/p"]),
        ("WWW.Example.org", ["https://WWW.Example.org"]),
        ("www.example", []),
        ("www.", []),
        ("foo.www.example.org", []),
        ("bob@www.example.org", []),
        # what is kept inside a URL
        ("https://x.org/a,b;c:d!e?f=1&g=2#frag", ["https://x.org/a,b;c:d!e?f=1&g=2#frag"]),
        (
            "https://de.wikipedia.org/wiki/Lernen_für_Anfänger",
            ["https://de.wikipedia.org/wiki/Lernen_für_Anfänger"],
        ),
        ("HTTPS://X.ORG/A", ["HTTPS://X.ORG/A"]),
        ("https://[2001:db8::1]:8443/x", ["https://[2001:db8::1]:8443/x"]),
        # not links
        ("https://", []),
        ("https:// x.org", []),
        ("ftp://x.org mailto:bob@x.org", []),
        ("xhttps://x.org", []),
        # order and duplicates
        (
            "https://b.org https://a.org https://b.org www.a.org https://www.a.org",
            ["https://b.org", "https://a.org", "https://www.a.org"],
        ),
    ],
)
def test_links(text, links):
    assert extract_links(text) == links


def test_link_spans_say_where_the_link_sits():
    text = "(see https://x.org/a)."
    [span] = link_spans(text)
    assert text[span.start : span.end] == span.url == "https://x.org/a"


@given(st.text())
def test_link_extraction_never_raises(text):
    for link in extract_links(text):
        assert link.lower().startswith(("http://", "https://"))


@given(
    st.lists(
        st.sampled_from(["https://", "www.", "x.org", "(", ")", "[", "]", "](", ".", " ", "a", "#", "@"])
    ).map("".join)
)
def test_links_from_url_like_noise_are_substrings_of_the_text(text):
    for span in link_spans(text):
        written = (
            span.url.removeprefix("https://")
            if text[span.start : span.start + 4].lower() == "www."
            else span.url
        )
        assert text[span.start : span.end] == written
        assert not written.endswith((".", ",", "!", "?"))


# --------------------------------------------------------------------------------------------------
# linear time, on the 64 KiB note bodies the extractors also read
# --------------------------------------------------------------------------------------------------

SIZE = 64 * 1024

PATHOLOGICAL = {
    "open brackets": "(" * SIZE,
    "url of close brackets": "https://x.org/" + ")" * SIZE,
    "url of open brackets": "https://x.org/" + "(" * SIZE,
    "markdown link chain": "[a](https://x.org" * (SIZE // 17),
    "link text chain": "https://a.org](" * (SIZE // 15),
    "schemes": "https://" * (SIZE // 8),
    "www": "www." * (SIZE // 4),
    "hashes": "#" * SIZE,
    "glued hashes": "#a" * (SIZE // 2),
    "long tag": "#" + "a" * SIZE,
    "marks": "#a" + "\u0301" * SIZE,
    "ats": "@" * SIZE,
    "handle chain": "@ab" * (SIZE // 3),
    "fediverse chain": "@ab@" + "a." * (SIZE // 2),
    "long domain label": "@ab@" + "a" * SIZE,
    "emails": "a@b." * (SIZE // 4),
    "trailing punctuation": "https://x.org/" + ".,;:!?" * (SIZE // 6) + "a",
    "dois": "10.1234/" * (SIZE // 8),
    "doi prefixes": "10." + "1234." * (SIZE // 5),
}


@pytest.mark.parametrize("text", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_extraction_is_fast_on_pathological_input(text):
    from backchannel.resources.links import find_dois, resources_in

    started = time.perf_counter()
    extract_hashtags(text)
    extract_mentions(text)
    extract_links(text)
    find_dois(text)
    resources_in(text)
    assert time.perf_counter() - started < 1.0


# --------------------------------------------------------------------------------------------------
# clean text
# --------------------------------------------------------------------------------------------------


def problem(text, max_chars=500, multiline=False) -> str:
    with pytest.raises(TextProblem) as err:
        clean_text(text, max_chars=max_chars, multiline=multiline)
    assert isinstance(err.value, ValueError)
    return err.value.message


@pytest.mark.parametrize(
    ("text", "multiline", "clean"),
    [
        ("  hello  ", False, "hello"),
        ("cafe\u0301", False, "café"),
        ("\n\tpadded\r\n", False, "padded"),  # whitespace around is stripped, even line breaks
        ("a\r\nb\rc\nd", True, "a\nb\nc\nd"),
        ("a\tb", True, "a\tb"),
        ("line\u2028sep", True, "line\u2028sep"),
        ("학습 #Lernen", False, "학습 #Lernen"),
        (b"caf\xc3\xa9", False, "café"),
        ("\U0001fae8", False, "\U0001fae8"),  # an emoji newer than some Unicode tables is not blank
        ("\ue000", False, "\ue000"),  # private use: visible to whoever has the font
    ],
)
def test_clean_text_accepts(text, multiline, clean):
    assert clean_text(text, max_chars=500, multiline=multiline) == clean


def test_length_is_counted_in_characters_after_nfc():
    assert clean_text("e\u0301" * 500, max_chars=500, multiline=False) == "é" * 500
    assert clean_text("학" * 500, max_chars=500, multiline=False) == "학" * 500  # 1500 bytes
    assert clean_text("a\r\n" * 249 + "a", max_chars=499, multiline=True).count("\n") == 249
    assert problem("a" * 501) == "must be at most 500 characters (it has 501)"


@pytest.mark.parametrize(
    ("text", "multiline", "message"),
    [
        ("", False, "must not be empty"),
        ("   \n\t ", True, "must not be empty"),
        ("\u200b\u200d\ufeff", False, "must not be empty"),
        ("\u00a0\u3000", False, "must not be empty"),
        ("a\nb", False, "must not contain line breaks (U+000A at position 1)"),
        ("a\r\nb", False, "must not contain line breaks (U+000A at position 1)"),  # after \r\n -> \n
        ("a\tb", False, "must not contain tabs (U+0009 at position 1)"),
        ("a\x00b", True, "must not contain control characters (U+0000 at position 1)"),
        ("a\x1bb", True, "must not contain control characters (U+001B at position 1)"),
        ("a\x7fb", True, "must not contain control characters (U+007F at position 1)"),
        ("a\x85b", True, "must not contain control characters (U+0085 at position 1)"),
        ("a\u2028b", False, "must not contain line breaks (U+2028 at position 1)"),
        ("a\u2029b", False, "must not contain line breaks (U+2029 at position 1)"),
        ("a\ud800b", True, "must not contain unpaired surrogates (U+D800 at position 1)"),
        ("a\udfffb", False, "must not contain unpaired surrogates (U+DFFF at position 1)"),
        ("a\ufffeb", True, "must not contain noncharacters (U+FFFE at position 1)"),
        ("a\uffffb", True, "must not contain noncharacters (U+FFFF at position 1)"),
        ("a\ufdd0b", True, "must not contain noncharacters (U+FDD0 at position 1)"),
        ("a\U0010ffffb", True, "must not contain noncharacters (U+10FFFF at position 1)"),
        (b"caf\xe9", False, "is not valid UTF-8 (at byte 3)"),
        (b"\xed\xa0\x80", False, "is not valid UTF-8 (at byte 0)"),  # an encoded surrogate
        (42, False, "must be a string"),
        (None, False, "must be a string"),
    ],
)
def test_clean_text_refuses(text, multiline, message):
    assert problem(text, multiline=multiline) == message


@given(st.text(), st.booleans())
def test_clean_text_either_refuses_clearly_or_returns_bounded_nfc_text(text, multiline):
    try:
        clean = clean_text(text, max_chars=50, multiline=multiline)
    except TextProblem as err:
        message = err.message
        assert message
        return
    assert clean == unicodedata.normalize("NFC", clean) == clean.strip()
    assert 0 < len(clean) <= 50
    assert "\r" not in clean
    assert clean_text(clean, max_chars=50, multiline=multiline) == clean


@settings(max_examples=50)
@given(st.text(st.characters(codec="utf-8"), min_size=1))
def test_clean_text_of_bytes_matches_clean_text_of_str(text):
    def outcome(value):
        try:
            return clean_text(value, max_chars=100, multiline=True)
        except TextProblem as err:
            return ("refused", err.message)

    assert outcome(text.encode("utf-8")) == outcome(text)
