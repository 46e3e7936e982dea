"""Markdown (CommonMark): plain text escaped, users' Markdown kept with raw HTML made literal."""

from __future__ import annotations

from backchannel.packs.render import fragments as f
from backchannel.packs.render import sanitize as s
from backchannel.packs.render.base import StreamingRenderer


def _link(url: str) -> str:
    safe = s.href(url)
    return f"<{safe}>" if safe and not any(c in safe for c in "<> ") else s.md_escape(url)


class MarkdownRenderer(StreamingRenderer):
    def begin(self, meta: dict) -> None:
        event = meta["event"]
        self.write(
            f"# {s.md_escape(meta['title'])}\n\n"
            f"{s.md_escape(event['name'])} (#{s.md_escape(event['hashtag'])}), "
            f"{event['startsOn']} to {event['endsOn']}. {meta['kind'].capitalize()} pack, "
            f"version {int(meta['version'])}, generated {meta['generatedAt']}.\n\n"
        )
        if event.get("description"):
            self.write(s.md_escape(event["description"]) + "\n\n")

    def open_section(self, section: dict) -> None:
        self.write(f"## {s.md_escape(section['title'])}\n\n")
        if section.get("type") == "session":
            speakers = ", ".join(sp["name"] for sp in section.get("speakers") or [])
            parts = [section["startsAt"], section.get("room"), section.get("track"), speakers]
            self.write(s.md_escape(" · ".join(p for p in parts if p)) + "\n\n")
            if section.get("abstract"):
                self.write(s.md_escape(section["abstract"]) + "\n\n")

    def open_group(self, group: str) -> None:
        titles = f.PERSONAL_TITLES if self.personal else f.GROUP_TITLES
        self.write(f"### {titles[group]}\n\n")

    def _post(self, post: dict, indent: str) -> str:
        text = s.md_escape(post["text"]).replace("\n", "\n" + indent + "  ")
        if post.get("contentWarning"):
            text = f"**Content warning: {s.md_escape(post['contentWarning'])}** {text}"
        line = f"{indent}- **{s.md_escape(post['author']['displayName'])}** ({post['createdAt']}): {text}\n"
        for url in post.get("links") or []:
            line += f"{indent}  - {_link(url)}\n"
        return line

    def item(self, group: str, data: dict) -> None:
        if group == "summary":
            self.write(s.md_body(data["body"]).strip() + "\n\n")
        elif group == "notes":
            title = f"#### {s.md_escape(data['title'])}\n\n" if data.get("title") else ""
            by = s.md_escape(data["author"]["displayName"])
            cw = data.get("contentWarning")
            warned = f"**Content warning: {s.md_escape(cw)}**\n\n" if cw else ""
            self.write(f"{title}*by {by}*\n\n{warned}{s.md_body(data['body']).strip()}\n\n---\n\n")
        elif group == "posts":
            out = self._post(data, "")
            if data.get("replyCount"):
                out += f"  - *{int(data['replyCount'])} replies*\n"
            for reply in data.get("replies") or []:
                out += self._post(reply, "  ")
            self.write(out)
        elif group == "questions":
            asker = data["asker"]["displayName"] if data.get("asker") else "Anonymous"
            state = "answered" if data["answered"] else "not answered"
            self.write(
                f"- {s.md_escape(data['text'])} — asked by {s.md_escape(asker)}, "
                f"{int(data['votes'])} votes, {state}\n"
            )
        elif group == "resources":
            kind = "paper" if data.get("doi") else data.get("kind") or "link"
            self.write(f"- {_link(data['url'])} ({s.md_escape(kind)}, shared by {int(data['shares'])})\n")
        elif group == "readingList":
            self.write(f"- {s.md_escape('doi:' + data['doi'])}. {_link(data['url'])}\n")

    def close_group(self, group: str) -> None:
        if group in ("posts", "questions", "resources", "readingList"):
            self.write("\n")

    def end(self, tail: dict) -> None:
        self.write("## Contributors\n\n")
        names = tail["contributors"]
        self.write("".join(f"- {s.md_escape(n['displayName'])}\n" for n in names) or "No contributors.\n")
