"""User text to safe markup: Markdown through markdown-it-py (CommonMark, raw HTML off), then nh3
with a tight allow-list, then re-serialised as XHTML (well-formed XML, so EPUB chapters can hold it;
also valid HTML5). Plain text is escaped. Nothing user-supplied can carry script, styles, SVG, frames,
event handlers or a link other than http, https or mailto."""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser
from xml.sax.saxutils import escape, quoteattr

import nh3

TAGS = {
    "p", "br", "hr", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "h3", "h4", "h5", "h6", "del", "s", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
SCHEMES = {"http", "https", "mailto"}
VOID = {"br", "hr"}
REL = "noopener noreferrer nofollow"
_HEADING = {"h1": "h3", "h2": "h4", "h3": "h5", "h4": "h6", "h5": "h6", "h6": "h6"}
_HEADING_TAG = re.compile(r"<(/?)(h[1-6])>")


@functools.cache
def _markdown():
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    return md.enable("table").enable("strikethrough")


def clean_html(html: str) -> str:
    """nh3 with the allow-list: everything else is dropped (script/style contents included)."""
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=SCHEMES,
        link_rel=REL,
        strip_comments=True,
        clean_content_tags={"script", "style", "svg", "math", "iframe", "object", "template", "noscript"},
    )


class _Xhtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []

    def handle_starttag(self, tag, attrs):
        rendered = "".join(f" {k}={quoteattr(v or '')}" for k, v in attrs if k.isalpha())
        self.out.append(f"<{tag}{rendered}{' /' if tag in VOID else ''}>")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.out.append(f"</{tag}>")

    def handle_endtag(self, tag):
        if tag not in VOID:
            self.out.append(f"</{tag}>")

    def handle_data(self, data):
        self.out.append(escape(data))


def to_xhtml(html: str) -> str:
    """Sanitised HTML5 re-serialised as XHTML: void elements self-closed, text and attributes escaped."""
    parser = _Xhtml()
    parser.feed(html)
    parser.close()
    return "".join(parser.out)


def markdown(text: str) -> str:
    """User Markdown as safe XHTML; its headings are demoted below the pack's own (h3 and lower)."""
    html = _markdown().render(text or "")
    html = _HEADING_TAG.sub(lambda m: f"<{m.group(1)}{_HEADING[m.group(2)]}>", html)
    return to_xhtml(clean_html(html))


def text(value: str | None) -> str:
    """Plain text, escaped, its line breaks kept."""
    return escape(value or "").replace("\n", "<br />")


def href(url: str | None) -> str | None:
    """A URL fit for a link, or None (only http, https and mailto)."""
    if not url:
        return None
    scheme = url.split(":", 1)[0].strip().lower()
    if scheme not in SCHEMES or any(c in url for c in '\x00\n\r\t"<> '):
        return None
    return url


def link(url: str | None, label: str | None = None) -> str:
    safe = href(url)
    if safe is None:
        return text(label or url)
    return f'<a href={quoteattr(safe)} rel="{REL}">{text(label or url)}</a>'


# --- Markdown output (the .md format) ---------------------------------------------------------------

_MD_SPECIAL = "\\`*_[]<>|~"
_MD_LINE_START = re.compile(r"^(\s*)([#>+=-]|\d+[.)])", re.MULTILINE)


def md_escape(value: str | None) -> str:
    """Plain text for Markdown: characters that could start inline markup backslash-escaped
    everywhere, and block markers (headings, lists, quotes) at the start of a line."""
    out = "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in value or "")
    out = _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), out)
    return out.replace("\n", "  \n")


def md_body(value: str | None) -> str:
    """A user's Markdown kept as Markdown, but with raw HTML made literal (``<`` escaped) so that a
    renderer with HTML on cannot run it; ``javascript:``-style autolinks become text the same way."""
    return _BAD_DESTINATION.sub("](#", (value or "").replace("<", "&lt;"))


_BAD_DESTINATION = re.compile(r"\]\(\s*<?\s*(?:javascript|vbscript|data|file)\s*:", re.IGNORECASE)
