"""The four pack renderers on a hand-made record stream: escaping, sanitising the nasty cases, the
JSON schema's shape, well-formed EPUB chapters. Pure: no stores, no AWS."""

from __future__ import annotations

import io
import json
import re
import xml.dom.minidom
import zipfile

import pytest

from backchannel.packs.render import sanitize
from backchannel.packs.render.to_epub import EpubRenderer
from backchannel.packs.render.to_html import HtmlRenderer
from backchannel.packs.render.to_json import JsonRenderer
from backchannel.packs.render.to_markdown import MarkdownRenderer

NASTY = [
    "<script>document.title='pwned'</script>",
    "[click](javascript:alert(1))",
    '<img src="https://evil.example/x.png" onerror="alert(1)">',
    '<svg onload="alert(1)"><circle r="1"/></svg>',
    "<style>body{background:url(https://evil.example/bg)}</style>",
    '<iframe src="https://evil.example/"></iframe>',
    '<a href="data:text/html,<script>alert(1)</script>">data</a>',
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<p style="background:url(https://evil.example/css)">styled</p>',
    "![img](https://evil.example/tracker.png)",
]
NASTY_BODY = "# Heading\n\nSome **bold** text and [a link](https://example.org/ok).\n\n" + "\n\n".join(NASTY)


def records(body: str = NASTY_BODY, post_text: str = "<b>hi</b> & <script>x()</script>") -> list[tuple]:
    author = {"id": "m1", "displayName": "Ada <Lovelace>"}
    post = {
        "id": "p1",
        "author": author,
        "text": post_text,
        "links": ["javascript:alert(1)", "https://ok.example/a?b=1&c=2"],
        "createdAt": "2026-01-01T10:00:00.000Z",
    }
    return [
        ("begin", {"schemaVersion": 1, "id": "pk1", "version": 2, "kind": "session", "title": "T <&> \"q\"",
                   "audience": "public", "generatedAt": "2026-01-02T00:00:00.000Z", "memberId": None,
                   "event": {"id": "e1", "name": "Ev", "hashtag": "EV", "startsOn": "2026-01-01", "endsOn": "2026-01-02",
                             "timezone": "UTC", "description": "desc <i>"}}),
        ("section", {"type": "session", "id": "s1", "title": "Talk <1>", "abstract": "abs", "speakers": [{"name": "S", "link": None}],
                     "room": "R", "track": None, "startsAt": "2026-01-01T09:00:00+00:00", "endsAt": "2026-01-01T10:00:00+00:00"}),
        ("item", "summary", {"version": 1, "body": body, "publishedAt": "2026-01-01T11:00:00.000Z"}),
        ("item", "notes", {"id": "n1", "author": author, "title": "Note <t>", "body": body, "visibility": "public", "updatedAt": "x"}),
        ("item", "posts", {**post, "replyCount": 1, "replies": [{**post, "id": "p2"}]}),
        ("item", "questions", {"id": "q1", "text": "Why <this>?", "asker": None, "votes": 3, "answered": True}),
        ("item", "resources", {"url": "https://doi.org/10.1000/xyz", "kind": "paper", "doi": "10.1000/xyz", "shares": 2}),
        ("item", "readingList", {"doi": "10.1000/xyz", "url": "https://doi.org/10.1000/xyz", "shares": 2, "citation": "doi:10.1000/xyz. Available at https://doi.org/10.1000/xyz"}),
        ("section", {"type": "event", "id": "e1", "title": "Across Ev"}),
        ("end", {"contributors": [{"displayName": "Ada <Lovelace>"}]}),
    ]  # fmt: skip


def render(cls, recs=None) -> bytes:
    out = io.BytesIO()
    r = cls(out)
    for rec in recs or records():
        r.feed(rec)
    return out.getvalue()


def assert_inert(markup: str) -> None:
    """No active element, and no tag with a handler, a style, a script or data URL, or a fetch."""
    lowered = markup.lower()
    for element in ("<script", "<svg", "<iframe", "<img", "<object", "<embed", "<link", "<math"):
        assert element not in lowered, (element, markup)
    assert "<style" not in lowered.split("</head>")[-1], markup
    for tag in re.findall(r"<[^>]*>", lowered):
        for bad in ("javascript:", "data:", "style=", " on", "src=", "evil.example"):
            assert bad not in tag, (bad, tag)


@pytest.mark.parametrize("nasty", NASTY)
def test_each_nasty_markdown_case_is_inert(nasty):
    assert_inert(sanitize.markdown(nasty))


def test_markdown_keeps_ordinary_formatting_and_safe_links():
    out = sanitize.markdown(
        "## Head\n\n**b** [x](https://example.org/?a=1&b=2) line<br>\n\n- one\n- two\n\n---"
    )
    assert "<h4>Head</h4>" in out and "<strong>b</strong>" in out and "<hr />" in out
    assert 'href="https://example.org/?a=1&amp;b=2"' in out and 'rel="noopener noreferrer nofollow"' in out
    assert "&lt;br&gt;" in out  # raw HTML stays text
    xml.dom.minidom.parseString(f"<div>{out}</div>")  # noqa: S318 - our own output: well-formed XML


def test_markdown_escaping_of_plain_text():
    assert sanitize.md_escape("# not a heading") == "\\# not a heading"
    assert sanitize.md_escape("a-b 1. c *d* [e](f)") == "a-b 1. c \\*d\\* \\[e\\](f)"
    assert sanitize.md_escape("x\n- item\n1. one") == "x  \n\\- item  \n\\1. one"


def test_plain_text_is_escaped_and_links_only_http():
    assert sanitize.text("<b>&</b>") == "&lt;b&gt;&amp;&lt;/b&gt;"
    assert sanitize.link("javascript:alert(1)") == "javascript:alert(1)"  # text, not a link
    assert sanitize.href("JavaScript:alert(1)") is None and sanitize.href("data:text/html,x") is None
    assert sanitize.href("https://ok.example/") == "https://ok.example/"


def test_html_is_self_contained_and_inert():
    html = render(HtmlRenderer).decode()
    assert html.startswith("<!DOCTYPE html>")
    assert "default-src 'none'; style-src 'unsafe-inline'" in html
    assert "@media print" in html
    body = html.split("</style>", 1)[1]
    assert_inert(body)
    assert "&lt;script&gt;x()&lt;/script&gt;" in body  # the plain-text post, escaped
    assert "Ada &lt;Lovelace&gt;" in body and "asked by Anonymous" in body and "3 votes" in body
    assert 'href="https://ok.example/a?b=1&amp;c=2"' in body
    assert "http://" not in html


def test_markdown_output_escapes_plain_text_and_makes_raw_html_literal():
    md = render(MarkdownRenderer).decode()
    assert '# T \\<&\\> "q"' in md
    for element in ("<script", "<iframe", "<svg", "<img", "<style"):
        assert not re.search(r"(?<!\\)" + element, md), element
    assert "](javascript:" not in md.lower() and "](data:" not in md.lower()
    assert "&lt;script>" in md  # the note's raw HTML, literal
    assert "\\<b\\>hi\\</b\\>" in md  # the plain post, escaped
    assert "- doi:10.1000/xyz. <https://doi.org/10.1000/xyz>" in md
    assert md.rstrip().endswith("- Ada \\<Lovelace\\>")


def test_json_is_versioned_and_complete():
    doc = json.loads(render(JsonRenderer))
    assert doc["schemaVersion"] == 1 and doc["kind"] == "session" and doc["version"] == 2
    first, second = doc["sections"]
    assert first["summary"]["body"] == NASTY_BODY
    assert [len(first[g]) for g in ("notes", "posts", "questions", "resources", "readingList")] == [
        1,
        1,
        1,
        1,
        1,
    ]
    assert first["posts"][0]["replies"][0]["id"] == "p2"
    assert second["type"] == "event" and second["summary"] is None and second["posts"] == []
    assert doc["contributors"] == [{"displayName": "Ada <Lovelace>"}]


def test_json_of_an_empty_pack():
    recs = records()
    doc = json.loads(render(JsonRenderer, [recs[0], ("end", {"contributors": []})]))
    assert doc["sections"] == [] and doc["contributors"] == []


def test_epub_layout_and_well_formed_chapters():
    data = render(EpubRenderer)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        first = z.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert z.read("mimetype") == b"application/epub+zip"
        assert data[30:38] == b"mimetype"
        names = z.namelist()
        assert {"META-INF/container.xml", "EPUB/package.opf", "EPUB/nav.xhtml"} <= set(names)
        chapters = [n for n in names if n.endswith(".xhtml")]
        assert len(chapters) == 5  # title, two sections, contributors, nav
        for name in [*chapters, "EPUB/package.opf", "META-INF/container.xml"]:
            text = z.read(name).decode()
            xml.dom.minidom.parseString(text)  # noqa: S318 - our own output: well-formed XML
            if name.endswith(".xhtml"):
                assert_inert(text.split("</head>")[-1])
        assert "dcterms:modified" in z.read("EPUB/package.opf").decode()


class _Pipe(io.RawIOBase):
    """A write-only, unseekable stream like an S3 multipart upload."""

    def __init__(self) -> None:
        self.buf = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self.buf += b
        return len(b)


def test_epub_on_an_unseekable_stream_keeps_mimetype_first_and_plain():
    from backchannel.packs.compile import _Counting

    pipe = _Pipe()
    out = _Counting(pipe)
    r = EpubRenderer(out)
    for rec in records():
        r.feed(rec)
    data = bytes(pipe.buf)
    assert data[30:38] == b"mimetype" and data[38:58] == b"application/epub+zip"
    assert int.from_bytes(data[6:8], "little") & 0x08 == 0  # no data descriptor on mimetype
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
