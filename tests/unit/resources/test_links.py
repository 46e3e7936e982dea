"""Resources: when two shared URLs are the same thing, and which of them are papers."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backchannel.resources.links import Resource, classify, find_dois, normalise_url, resources_in

# --------------------------------------------------------------------------------------------------
# normalise_url
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        # scheme and host case; http and https stay apart
        ("HTTPS://Example.ORG/Path", "https://example.org/Path"),
        ("HtTp://EXAMPLE.org/", "http://example.org/"),
        ("http://x.org/a", "http://x.org/a"),
        # Unicode hosts become punycode (IDNA 2008: ß is kept, not mapped to ss)
        ("https://Bücher.example/", "https://xn--bcher-kva.example/"),
        ("https://faß.de/", "https://xn--fa-hia.de/"),
        ("https://학습.kr/", "https://xn--ru4bx45a.kr/"),
        ("https://xn--bcher-kva.example/", "https://xn--bcher-kva.example/"),
        ("https://x。org/", "https://x.org/"),  # ideographic full stop separates labels
        ("https://x.org./a", "https://x.org/a"),  # the root label
        # default ports
        ("https://x.org:443/a", "https://x.org/a"),
        ("http://x.org:80/a", "http://x.org/a"),
        ("https://x.org:80/a", "https://x.org:80/a"),
        ("http://x.org:443/a", "http://x.org:443/a"),
        ("https://x.org:8443/a", "https://x.org:8443/a"),
        ("https://x.org:0443/a", "https://x.org/a"),
        ("https://[2001:DB8::1]:443/a", "https://[2001:db8::1]/a"),
        ("https://192.168.0.1:8080/", "https://192.168.0.1:8080/"),
        # credentials are never republished
        ("https://user:secret@x.org/a", "https://x.org/a"),
        # fragments
        ("https://x.org/a#section-2", "https://x.org/a"),
        ("https://x.org/#", "https://x.org/"),
        # tracking parameters, the rest kept in order
        ("https://x.org/a?utm_source=m&utm_medium=s&UTM_Campaign=c", "https://x.org/a"),
        ("https://x.org/a?z=1&utm_source=m&a=2", "https://x.org/a?z=1&a=2"),
        (
            "https://x.org/?fbclid=1&gclid=2&dclid=3&msclkid=4&mc_cid=5&mc_eid=6&igshid=7&_hsenc=8&_hsmi=9"
            "&ref_src=10&yclid=11&twclid=12&gbraid=13&wbraid=14&_gl=15&mkt_tok=16&ttclid=17&li_fat_id=18&keep=1",
            "https://x.org/?keep=1",
        ),
        ("https://x.org/a?utm%5Fsource=x&b=1", "https://x.org/a?b=1"),  # compared decoded
        ("https://x.org/a?ref=main", "https://x.org/a?ref=main"),  # "ref" is too generic to drop
        ("https://x.org/a?b=2&a=1", "https://x.org/a?b=2&a=1"),  # order matters to some servers
        ("https://x.org/a?a=1&&b=2&", "https://x.org/a?a=1&b=2"),
        ("https://x.org/a?", "https://x.org/a"),
        ("https://x.org/a?utm_source=x", "https://x.org/a"),
        ("https://x.org/a?q=a+b&r=", "https://x.org/a?q=a+b&r="),
        # "si" only where it is a share id
        ("https://www.youtube.com/watch?v=abc&si=XYZ", "https://www.youtube.com/watch?v=abc"),
        ("https://youtu.be/abc?si=XYZ&t=42", "https://youtu.be/abc?t=42"),
        ("https://open.spotify.com/track/1?si=XYZ", "https://open.spotify.com/track/1"),
        ("https://x.org/search?si=unit", "https://x.org/search?si=unit"),
        ("https://notyoutube.com/?si=1", "https://notyoutube.com/?si=1"),
        # trailing slash
        ("https://x.org/a/", "https://x.org/a"),
        ("https://x.org/a//", "https://x.org/a"),
        ("https://x.org/", "https://x.org/"),
        ("https://x.org", "https://x.org/"),
        ("https://x.org/a/?b=1", "https://x.org/a?b=1"),
        # percent-encoding and dot segments
        ("https://x.org/%7euser/%41b", "https://x.org/~user/Ab"),
        ("https://x.org/a%2fb", "https://x.org/a%2Fb"),  # an encoded "/" is not a "/"
        ("https://x.org/caf%c3%a9", "https://x.org/caf%C3%A9"),
        ("https://x.org/café", "https://x.org/caf%C3%A9"),  # an IRI and its URI are one resource
        ("https://x.org/a b", "https://x.org/a%20b"),
        ("https://x.org/100%", "https://x.org/100%25"),
        ("https://x.org/%zz", "https://x.org/%25zz"),
        ("https://x.org/a/./b/../c", "https://x.org/a/c"),
        ("https://x.org/%2E%2E/a", "https://x.org/a"),
        ("https://x.org/../../a", "https://x.org/a"),
        ("https://x.org/a?q=%e2%82%ac&r=%7e", "https://x.org/a?q=%E2%82%AC&r=~"),
        (
            "https://en.wikipedia.org/wiki/Learning_(disambiguation)",
            "https://en.wikipedia.org/wiki/Learning_(disambiguation)",
        ),
        ("  https://x.org/a  ", "https://x.org/a"),
    ],
)
def test_normalise_url(url, normal):
    assert normalise_url(url) == normal
    assert normalise_url(normal) == normal


@pytest.mark.parametrize(
    "url",
    [
        "ftp://x.org/a",
        "mailto:bob@x.org",
        "javascript:alert(1)",
        "x.org/a",
        "//x.org/a",
        "https://",
        "https:///a",
        "https://user@/a",
        "https://x.org:99999/",
        "https://x.org:port/",
        "https://[::1/",
        "https://a..b/",
        "https://exa mple.org/",
        "https://-x.org/",
        "https://x.org/\ud800",
        "https://" + "a" * 64 + ".org/",
        "https://" + "a." * 127 + "org/",
    ],
)
def test_normalise_url_refuses(url):
    with pytest.raises(ValueError):  # noqa: PT011 -- the contract is a plain ValueError
        normalise_url(url)


_label = st.from_regex(r"[a-zA-Z0-9]([a-zA-Z0-9\-]{0,10}[a-zA-Z0-9])?", fullmatch=True) | st.sampled_from(
    ["Bücher", "학습", "faß", "ΣΟΦΙΑ", "xn--bcher-kva", "WWW"]
)
_piece = st.lists(
    st.sampled_from(
        [*"aZ09-._~!$&'()*+,;=:@%/ éß学[]", "%2f", "%7E", "%41", "%zz", "..", ".", "%2E", "%C3%A9"]
    ),
    max_size=12,
).map("".join)
_param = st.tuples(
    st.sampled_from(["a", "B", "utm_source", "UTM_x", "fbclid", "si", "q", "", "utm%5Fx"]), st.none() | _piece
).map(lambda kv: kv[0] if kv[1] is None else f"{kv[0]}={kv[1]}")


@st.composite
def urls(draw) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https"]))
    userinfo = draw(st.sampled_from(["", "user@", "u:p@"]))
    host = ".".join(draw(st.lists(_label, min_size=1, max_size=4)))
    host = draw(st.sampled_from([host, "youtube.com", "youtu.be", "[2001:DB8::1]", "127.0.0.1"]))
    port = draw(st.sampled_from(["", ":80", ":443", ":8080", ":0443"]))
    path = "".join("/" + draw(_piece) for _ in range(draw(st.integers(0, 4))))
    path += draw(st.sampled_from(["", "/", "//"]))
    query = draw(st.sampled_from(["", "?"])) or ("?" + "&".join(draw(st.lists(_param, max_size=5))))
    fragment = draw(st.sampled_from(["", "#", "#frag", "#a?b"]))
    return f"{scheme}://{userinfo}{host}{port}{path}{query}{fragment}"


@given(urls())
def test_normalise_url_is_idempotent(url):
    try:
        normal = normalise_url(url)
    except ValueError:
        return
    assert normalise_url(normal) == normal
    assert normal.isascii()
    parts = urlsplit(normal)
    assert parts.scheme in ("http", "https")
    assert not parts.fragment
    assert "utm_" not in parts.query.lower()
    assert parts.path == "/" or not parts.path.endswith("/")


@given(st.text())
def test_normalise_url_raises_only_value_error(text):
    for candidate in (text, "https://" + text):
        try:
            normal = normalise_url(candidate)
        except ValueError:
            continue
        assert normalise_url(normal) == normal


# --------------------------------------------------------------------------------------------------
# DOIs
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "dois"),
    [
        ("https://doi.org/10.1000/xyz123", ["10.1000/xyz123"]),
        ("http://dx.doi.org/10.1000/XYZ123", ["10.1000/xyz123"]),  # DOIs are case-insensitive
        ("https://www.doi.org/10.1000/abc.", ["10.1000/abc"]),
        ("https://doi.org/10.1000%2Fabc%3C1%3E", ["10.1000/abc<1>"]),  # URL-decoded
        ("https://doi.org/doi:10.1000/abc", ["10.1000/abc"]),
        ("see 10.1145/3290605.3300233.", ["10.1145/3290605.3300233"]),
        ("doi:10.1000/ABC, and DOI: 10.1000/def;", ["10.1000/abc", "10.1000/def"]),
        ("(10.1000/abc)", ["10.1000/abc"]),
        ("10.1016/0002-9343(79)90000-4", ["10.1016/0002-9343(79)90000-4"]),  # balanced brackets stay
        (
            "10.1002/(SICI)1097-4636(199707)35:1<1::AID-JBM1>3.0.CO;2-6",
            ["10.1002/(sici)1097-4636(199707)35:1"],
        ),
        ("10.1000.10/abc 10.12345678/x", ["10.1000.10/abc", "10.12345678/x"]),
        ("10.1000/abc https://doi.org/10.1000/ABC 10.1000/Abc", ["10.1000/abc"]),
        ("https://doi.org/10.1/x 10.123/x", []),  # registrants have at least four digits
        ("10.1000/", []),
        ("x10.1000/abc v2.10.1000/abc", []),
        ("https://journals.plos.org/plosone/article?id=10.1371/journal.pone.0001", []),  # another site's page
        ("https://x.org/10.1000/abc", []),
        ("https://doi.org/", []),
        ("", []),
    ],
)
def test_find_dois(text, dois):
    assert find_dois(text) == dois


@given(st.text())
def test_find_dois_never_raises(text):
    for doi in find_dois(text):
        assert doi.startswith("10.")
        assert doi == doi.lower()


# --------------------------------------------------------------------------------------------------
# classify and resources_in
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "resource"),
    [
        ("https://x.org/a/?utm_source=t#top", Resource("https://x.org/a", "link", None)),
        ("https://doi.org/10.1000/XYZ", Resource("https://doi.org/10.1000/xyz", "paper", "10.1000/xyz")),
        ("http://dx.doi.org/10.1000/xyz/", Resource("https://doi.org/10.1000/xyz", "paper", "10.1000/xyz")),
        (
            "HTTPS://DOI.ORG/10.1000/xyz#page=3",
            Resource("https://doi.org/10.1000/xyz", "paper", "10.1000/xyz"),
        ),
        (
            "https://doi.org/10.1000/a%23b%3Fc",
            Resource("https://doi.org/10.1000/a%23b%3Fc", "paper", "10.1000/a#b?c"),
        ),
        ("https://doi.org/", Resource("https://doi.org/", "link", None)),
        ("https://doi.org/about", Resource("https://doi.org/about", "link", None)),
    ],
)
def test_classify(url, resource):
    assert classify(url) == resource
    assert classify(resource.url) == resource  # a stored resource classifies as itself


def test_classify_refuses_what_cannot_be_normalised():
    with pytest.raises(ValueError, match="http"):
        classify("ftp://x.org/a")


def test_resources_in_a_post_are_normalised_deduplicated_and_in_order():
    text = (
        "Slides: https://Example.org/talk/?utm_source=mastodon (mirror https://example.org/talk#p2). "
        "Paper: doi:10.1145/3290605.3300233, also https://doi.org/10.1145/3290605.3300233. "
        "More at www.example.org/more and http://example.org/talk, https://x.org:99999/bad."
    )
    assert resources_in(text) == [
        Resource("https://example.org/talk", "link"),
        Resource("https://doi.org/10.1145/3290605.3300233", "paper", "10.1145/3290605.3300233"),
        Resource("https://www.example.org/more", "link"),
        Resource("http://example.org/talk", "link"),  # http and https are different origins
    ]


def test_resources_in_a_markdown_note():
    note = """# Notes

- [the paper](https://doi.org/10.1000/ABC) and its [code](https://github.com/x/y/)
- <https://github.com/x/y>
- see 10.1000/abc again
"""
    assert resources_in(note) == [
        Resource("https://doi.org/10.1000/abc", "paper", "10.1000/abc"),
        Resource("https://github.com/x/y", "link"),
    ]


@pytest.mark.parametrize(
    ("text", "resources"),
    [
        ("10.1000/a\ud800 https://x.org/\udc00 https://x.org:99999/", []),  # unusable, not fatal
        ("https://x.org/a\x00b", [Resource("https://x.org/a", "link")]),
        ("10.1000/a/../b", [Resource("https://doi.org/10.1000/b", "paper", "10.1000/b")]),
    ],
)
def test_resources_in_skips_what_cannot_be_a_resource(text, resources):
    assert resources_in(text) == resources


@given(st.text(st.characters(codec=None)))
def test_resources_in_never_raises_and_is_unique(text):
    resources = resources_in(text)
    assert len({r.url for r in resources}) == len(resources)
    for resource in resources:
        assert normalise_url(resource.url) == resource.url
        assert classify(resource.url) == resource
        assert (resource.kind == "paper") == (resource.doi is not None)
