"""An export's zip: ``export.json`` (every section, machine-readable), ``export.md`` (the same for
people) and ``packs/<packId>/pack.md`` / ``pack.json`` of each personal pack's served version. Pure."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from backchannel.exports.contents import SECTIONS

FORMAT = 1  # of export.json
TITLES = {
    "profile": "Profile",
    "memberships": "Events you attend or organise",
    "stars": "Starred sessions",
    "posts": "Posts",
    "notes": "Notes",
    "questions": "Questions",
    "summaries": "Session summaries you wrote",
    "votes": "Votes",
    "follows": "Whom and what you follow",
    "followCounts": "Follow counts",
    "blocks": "Members you blocked",
    "channels": "Channels (no secrets: those stay sealed)",
    "inbox": "Inbox",
    "packs": "Your personal packs (their files are under packs/)",
}
# the text of an item, shown as a quoted block under its heading line
BODIES = ("text", "body", "bio")


def document(member_id: str, generated_at: str, sections: dict[str, list[dict]]) -> dict[str, Any]:
    return {"format": FORMAT, "memberId": member_id, "generatedAt": generated_at, **sections}


def markdown(doc: dict[str, Any]) -> str:
    lines = [
        "# Your Backchannel data",
        "",
        f"Exported {doc['generatedAt']} for member `{doc['memberId']}`. The same data is in `export.json`.",
    ]
    for name in SECTIONS:
        rows = doc.get(name) or []
        lines += ["", f"## {TITLES[name]} ({len(rows)})"]
        for row in rows:
            lines += ["", *_entry(row)]
    return "\n".join(lines) + "\n"


def _entry(row: dict[str, Any]) -> list[str]:
    facts = [f"{k}: {_inline(v)}" for k, v in row.items() if k not in BODIES and v not in (None, "", [], {})]
    out = [f"- {'; '.join(facts)}"]
    for key in BODIES:
        if row.get(key):
            out += ["", *(f"  > {line}" for line in str(row[key]).splitlines())]
    return out


def _inline(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def zipped(doc: dict[str, Any], pack_files: dict[str, bytes]) -> bytes:
    """The zip: ``pack_files`` maps a path inside it (``packs/<id>/pack.md``) to its bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("export.json", json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True))
        z.writestr("export.md", markdown(doc))
        for path, body in sorted(pack_files.items()):
            z.writestr(path, body)
    return out.getvalue()
