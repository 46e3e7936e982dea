"""Markup for each record, shared by the HTML and EPUB renderers: XHTML-compatible (well-formed XML
and valid HTML5), every user-supplied string through ``sanitize``."""

from __future__ import annotations

from backchannel.packs.render import sanitize as s

GROUP_TITLES = {
    "summary": "Summary",
    "notes": "Shared notes",
    "posts": "Top posts and threads",
    "questions": "Questions",
    "resources": "Resources, most shared first",
    "readingList": "Reading list",
}
PERSONAL_TITLES = {**GROUP_TITLES, "notes": "Your notes"}

CSS = """
:root { color-scheme: light; }
body { font-family: Georgia, "Times New Roman", serif; line-height: 1.5; max-width: 46em;
  margin: 0 auto; padding: 1em; color: #111; background: #fff; }
h1, h2, h3, h4 { font-family: Helvetica, Arial, sans-serif; line-height: 1.2; }
header p, .meta { color: #444; font-size: 0.9em; }
section.pack-section { border-top: 2px solid #333; margin-top: 2em; }
article { border-left: 3px solid #ccc; padding-left: 0.8em; margin: 1em 0; }
ol.replies { list-style: none; padding-left: 1em; }
pre, code { font-family: "DejaVu Sans Mono", monospace; font-size: 0.9em; white-space: pre-wrap; }
a { color: #0645ad; overflow-wrap: anywhere; }
blockquote { margin-left: 1em; padding-left: 0.8em; border-left: 2px solid #999; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  section.pack-section { break-before: page; border: 0; }
  article, li { break-inside: avoid; }
  a { color: #000; }
  a[href^="http"]::after { content: " <" attr(href) ">"; font-size: 0.8em; color: #333; }
}
""".strip()


def title_page(meta: dict) -> str:
    event = meta["event"]
    lines = [f"<h1>{s.text(meta['title'])}</h1>"]
    lines.append(
        f'<p class="meta">{s.text(event["name"])} (#{s.text(event["hashtag"])}), '
        f"{s.text(event['startsOn'])} to {s.text(event['endsOn'])}. "
        f"{s.text(meta['kind'].capitalize())} pack, version {int(meta['version'])}, "
        f"generated {s.text(meta['generatedAt'])}.</p>"
    )
    if event.get("description"):
        lines.append(f"<p>{s.text(event['description'])}</p>")
    return "\n".join(lines)


def section_head(section: dict) -> str:
    out = [f"<h2>{s.text(section['title'])}</h2>"]
    if section.get("type") == "session":
        speakers = ", ".join(s.text(sp["name"]) for sp in section.get("speakers") or [])
        where = " · ".join(s.text(x) for x in (section.get("room"), section.get("track")) if x)
        meta = " · ".join(x for x in (s.text(section["startsAt"]), where, speakers) if x)
        out.append(f'<p class="meta">{meta}</p>')
        if section.get("abstract"):
            out.append(f"<p>{s.text(section['abstract'])}</p>")
    return "\n".join(out)


def group_open(group: str, personal: bool = False) -> str:
    title = (PERSONAL_TITLES if personal else GROUP_TITLES)[group]
    tag = "ol" if group in ("posts", "questions", "resources", "readingList") else "div"
    return f'<h3>{s.text(title)}</h3>\n<{tag} class="{group}">'


def group_close(group: str) -> str:
    return "</ol>" if group in ("posts", "questions", "resources", "readingList") else "</div>"


def _post(post: dict) -> str:
    links = "".join(f"<li>{s.link(u)}</li>" for u in post.get("links") or [])
    return (
        f"<p><strong>{s.text(post['author']['displayName'])}</strong> "
        f'<span class="meta">{s.text(post["createdAt"])}</span></p>'
        f"{warning(post)}<p>{s.text(post['text'])}</p>" + (f'<ul class="links">{links}</ul>' if links else "")
    )


def warning(data: dict) -> str:
    """A post's or note's content warning, said before its content."""
    cw = data.get("contentWarning")
    return f'<p class="cw"><strong>Content warning: {s.text(cw)}</strong></p>' if cw else ""


_last: list = [None, None, ""]  # (group, data, markup): HTML and EPUB render each record once between them


def item(group: str, data: dict) -> str:
    """The markup of one record (remembered for the next renderer fed the same record)."""
    if _last[0] == group and _last[1] is data:
        return _last[2]
    markup = _item(group, data)
    _last[:] = [group, data, markup]
    return markup


def _item(group: str, data: dict) -> str:
    if group == "summary":
        return f'<div class="summary">{s.markdown(data["body"])}</div>'
    if group == "notes":
        title = f"<h4>{s.text(data['title'])}</h4>" if data.get("title") else ""
        return (
            f'<article>{title}<p class="meta">by {s.text(data["author"]["displayName"])}</p>'
            f"{warning(data)}{s.markdown(data['body'])}</article>"
        )
    if group == "posts":
        replies = "".join(f"<li>{_post(r)}</li>" for r in data.get("replies") or [])
        more = f'<p class="meta">{int(data["replyCount"])} replies</p>' if data.get("replyCount") else ""
        return (
            f"<li><article>{_post(data)}{more}"
            + (f'<ol class="replies">{replies}</ol>' if replies else "")
            + "</article></li>"
        )
    if group == "questions":
        asker = data["asker"]["displayName"] if data.get("asker") else "Anonymous"
        state = "answered" if data["answered"] else "not answered"
        return (
            f'<li><p>{s.text(data["text"])}</p><p class="meta">asked by {s.text(asker)} · '
            f"{int(data['votes'])} votes · {state}</p></li>"
        )
    if group == "resources":
        kind = "paper" if data.get("doi") else data.get("kind") or "link"
        return f'<li>{s.link(data["url"])} <span class="meta">({s.text(kind)}, shared by {int(data["shares"])})</span></li>'
    if group == "readingList":
        return f"<li>{s.text(data['citation'].split(' Available at ')[0])} {s.link(data['url'])}</li>"
    raise ValueError(group)


def contributors(names: list[dict]) -> str:
    if not names:
        return "<h2>Contributors</h2>\n<p>No contributors.</p>"
    items = "".join(f"<li>{s.text(n['displayName'])}</li>" for n in names)
    return f'<h2>Contributors</h2>\n<ul class="contributors">{items}</ul>'
