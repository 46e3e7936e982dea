"""Links as resources: one resource per thing people shared, however they happened to write its URL.

``normalise_url`` decides when two URLs are the same resource. It applies RFC 3986's
semantics-preserving normalisations (case of scheme and host, default ports, percent-encoding,
dot segments) plus a few that are not strictly safe but are right for people sharing links: the
fragment, tracking parameters, a trailing slash and any user:password part are dropped.

It keeps ``http`` and ``https`` apart. They are different origins: rewriting one to the other can
turn a working link into a broken one (a host without TLS, or one serving other content), and a
resource list that links somewhere the sharer did not is worse than one listed twice.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, unquote, unquote_plus, urlsplit

from backchannel.capture.text import URL_RUN, link_spans, strip_trailing_punctuation

__all__ = ["TRACKING_PARAMETERS", "Resource", "classify", "find_dois", "normalise_url", "resources_in"]

# Query parameters that say who sent the click, not what the page is. Keys are compared
# case-insensitively after percent-decoding; every key starting with "utm_" is dropped as well.
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid",  # Facebook
        "gclid",  # Google Ads
        "dclid",  # Google Display
        "gbraid",  # Google Ads (iOS)
        "wbraid",  # Google Ads (web to app)
        "_gl",  # Google Analytics cross-domain linker
        "msclkid",  # Microsoft Ads
        "mc_cid",  # Mailchimp campaign
        "mc_eid",  # Mailchimp recipient
        "igshid",  # Instagram share
        "_hsenc",  # HubSpot
        "_hsmi",  # HubSpot
        "mkt_tok",  # Marketo
        "ref_src",  # Twitter/X embeds
        "yclid",  # Yandex
        "twclid",  # Twitter/X Ads
        "ttclid",  # TikTok Ads
        "li_fat_id",  # LinkedIn Ads
    }
)
# "si" is a share id on these hosts (and their subdomains) but may mean anything elsewhere.
SHARE_ID_HOSTS = ("youtube.com", "youtu.be", "spotify.com", "spotify.link")

DOI_HOSTS = frozenset({"doi.org", "dx.doi.org", "www.doi.org"})

_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Characters that may stand unencoded in a URI (unreserved, reserved and "%"); anything else is
# percent-encoded as UTF-8, so an IRI and its URI form are the same resource.
_URI_CHARS = _UNRESERVED | frozenset(":/?#[]@!$&'()*+,;=%")
_HEX = frozenset("0123456789abcdefABCDEF")
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_ASCII_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_\-]{0,61}[a-z0-9_])?")


def _host(hostname: str) -> str:
    """Lower case and punycode, label by label, as UTS #46 does without its deviations.

    The stdlib ``idna`` codec implements IDNA 2003, which maps ``ß`` to ``ss`` and so sends
    ``faß.de`` to a different domain (``fass.de``). Encoding each label with the ``punycode`` codec
    after NFKC and lower-casing gives the IDNA 2008 answer for real-world names without a
    dependency; we do not check the IDNA 2008 disallowed code points, because we only compare and
    display hosts here and never resolve them.
    """
    if hostname.startswith("[") or ":" in hostname:  # IPv6 literal, brackets stripped by urlsplit
        return "[" + hostname.strip("[]").lower() + "]"
    labels = hostname.translate(_DOTS).rstrip(".").split(".")
    out = []
    for label in labels:
        label = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", label).lower())
        if not label.isascii():
            if not all(ch == "-" or unicodedata.category(ch)[0] in "LMN" for ch in label):
                raise ValueError(f"invalid host {hostname!r}")
            label = "xn--" + label.encode("punycode").decode("ascii")
        if not _ASCII_LABEL.fullmatch(label):
            raise ValueError(f"invalid host {hostname!r}")
        out.append(label)
    host = ".".join(out)
    if len(host) > 253:
        raise ValueError("host name too long")
    return host


def _component(text: str) -> str:
    """Percent-encoding in one canonical form: unreserved characters decoded, other escapes in
    upper-case hex, characters not allowed in a URI encoded as UTF-8, a stray ``%`` as ``%25``."""
    out = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "%" and i + 2 < n and text[i + 1] in _HEX and text[i + 2] in _HEX:
            byte = int(text[i + 1 : i + 3], 16)
            out.append(chr(byte) if chr(byte) in _UNRESERVED else f"%{byte:02X}")
            i += 3
            continue
        if ch == "%":
            out.append("%25")
        elif ch in _URI_CHARS:
            out.append(ch)
        else:
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8")))
        i += 1
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    segments = path.split("/")[1:]
    out: list[str] = []
    for segment in segments:
        if segment == "..":
            if out:
                out.pop()
        elif segment != ".":
            out.append(segment)
    if segments and segments[-1] in (".", ".."):
        out.append("")
    return "/" + "/".join(out)


def _is_tracking(key: str, host: str) -> bool:
    key = unquote_plus(key).lower()
    if key.startswith("utm_") or key in TRACKING_PARAMETERS:
        return True
    return key == "si" and any(host == h or host.endswith("." + h) for h in SHARE_ID_HOSTS)


def normalise_url(url: str) -> str:
    """The form of an http(s) URL under which it is stored and deduplicated; ``ValueError`` for
    anything else (other schemes, no host, a bad port or host). Idempotent."""
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            raise ValueError(f"not an http(s) URL: {url!r}")
        if not parts.hostname:
            raise ValueError(f"URL has no host: {url!r}")
        host = _host(parts.hostname)
        port = parts.port  # raises ValueError when not a number in range
        netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
        path = _remove_dot_segments(_component(parts.path or "/")).rstrip("/") or "/"
        pairs = [p for p in parts.query.split("&") if p and not _is_tracking(p.split("=", 1)[0], host)]
        query = "&".join(_component(p) for p in pairs)
    except UnicodeError as err:  # lone surrogates, labels punycode cannot take
        raise ValueError(f"not a valid URL: {url!r}") from err
    return f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")


# --------------------------------------------------------------------------------------------------
# DOIs and resources
# --------------------------------------------------------------------------------------------------

_DOI_PREFIX = r"10\.\d{4,9}(?:\.\d{1,9}){0,6}/"
_DOI = re.compile(_DOI_PREFIX + r".+", re.DOTALL)
# Bare DOIs: not glued to a word, a dot or a path ("https://x.org/10.1234/a" is that site's page).
_BARE_DOI = re.compile(r"(?<![\w.\-/])" + _DOI_PREFIX + URL_RUN)
# Characters a DOI keeps unencoded in its doi.org URL; the DOI Handbook asks for the rest (#, ?, %,
# brackets, quotes, spaces...) to be encoded.
_DOI_SAFE = "/:;()!$&'*+,=@~-._"


def _doi_of_link(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:  # an unbalanced IPv6 bracket, say: not a doi.org link
        return None
    if (parts.hostname or "").lower().rstrip(".") not in DOI_HOSTS:
        return None
    doi = unquote(parts.path).lstrip("/").rstrip("/")
    if doi[:4].lower() == "doi:":
        doi = doi[4:]
    return doi.lower() if _DOI.fullmatch(doi) else None


def _bare_dois(text: str, links: list) -> list[tuple[int, str]]:
    starts = [link.start for link in links]
    ends = [link.end for link in links]
    found = []
    j = 0
    for m in _BARE_DOI.finditer(text):
        while j < len(starts) and ends[j] <= m.start():
            j += 1
        if j < len(starts) and starts[j] <= m.start():
            continue  # inside a link
        doi = strip_trailing_punctuation(m.group())
        if _DOI.fullmatch(doi):
            found.append((m.start(), doi.lower()))
    return found


def find_dois(text: str) -> list[str]:
    """The DOIs in a text, from doi.org links and bare ``10.NNNN/…`` strings (``doi:`` prefix
    allowed), lower-cased because DOIs are case-insensitive, in order, each once."""
    links = link_spans(text)
    found = [(link.start, doi) for link in links if (doi := _doi_of_link(link.url))]
    found += _bare_dois(text, links)
    return list(dict.fromkeys(doi for _, doi in sorted(found)))


@dataclass(frozen=True)
class Resource:
    url: str  # normalised; for papers always https://doi.org/<doi>
    kind: Literal["link", "paper"]
    doi: str | None = None


def _paper(doi: str) -> Resource:
    try:
        url = normalise_url("https://doi.org/" + quote(doi, safe=_DOI_SAFE))
    except UnicodeError as err:  # a lone surrogate in the suffix
        raise ValueError(f"not a valid DOI: {doi!r}") from err
    # Read the DOI back from the URL, so that a stored resource classifies as itself even for a
    # suffix the URL cannot carry verbatim ("a/../b" reaches the resolver as "b").
    return Resource(url=url, kind="paper", doi=_doi_of_link(url) or doi)


def classify(url: str) -> Resource:
    """A link as a resource. doi.org links become papers under one canonical URL, whichever of the
    DOI resolver's hosts and schemes the sharer used. ``ValueError`` if the URL is not usable."""
    normal = normalise_url(url)
    doi = _doi_of_link(normal)
    return _paper(doi) if doi else Resource(url=normal, kind="link")


def resources_in(text: str) -> list[Resource]:
    """Every link and bare DOI in a text as resources, in order, each once by normalised URL.
    Links that cannot be normalised (a bad port, an impossible host) are left out, not fatal: one
    mistyped link must not refuse the whole post."""
    links = link_spans(text)
    found: list[tuple[int, Resource]] = []
    for link in links:
        try:
            found.append((link.start, classify(link.url)))
        except ValueError:
            continue
    for start, doi in _bare_dois(text, links):
        try:
            found.append((start, _paper(doi)))
        except ValueError:
            continue
    found.sort(key=lambda item: item[0])
    unique: dict[str, Resource] = {}
    for _, resource in found:
        unique.setdefault(resource.url, resource)
    return list(unique.values())
