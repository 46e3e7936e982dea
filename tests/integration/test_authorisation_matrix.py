"""Every route against every kind of caller: anonymous, a member, an organiser of another event, and the
event's own organiser. Write routes use a public event (so a member sees it and is refused with 403);
read routes use a private one (so outsiders get 404, as if it did not exist)."""

from __future__ import annotations

import pytest

from tests.integration.conftest import future_event, session_body

ACTORS = ("anonymous", "member", "other_organiser", "organiser")

# route -> expected status for each actor, in ACTORS order
MATRIX = {
    ("POST", "/events"): (401, 403, 201, 201),
    ("GET", "/events"): (200, 200, 200, 200),
    ("GET", "/events/{private}"): (404, 404, 404, 200),
    ("PATCH", "/events/{public}"): (401, 403, 403, 200),
    ("POST", "/events/{public}/organisers"): (401, 403, 403, 201),
    ("POST", "/events/{public}/sessions"): (401, 403, 403, 201),
    ("POST", "/events/{private}/schedule-imports"): (401, 404, 404, 201),
    ("POST", "/events/{public}/schedule-imports"): (401, 403, 403, 201),
    ("GET", "/events/{private}/schedule-imports/{schedule_import}"): (401, 404, 404, 200),
    ("GET", "/events/{private}/sessions"): (404, 404, 404, 200),
    ("GET", "/sessions/{private_session}"): (404, 404, 404, 200),
    ("PATCH", "/sessions/{public_session}"): (401, 403, 403, 200),
    ("DELETE", "/sessions/{public_session}"): (401, 403, 403, 204),
    ("GET", "/me"): (401, 200, 200, 200),
    ("PATCH", "/me"): (401, 200, 200, 200),
    ("GET", "/me/events"): (401, 200, 200, 200),
    ("POST", "/events/{public}/attendance"): (401, 201, 201, 201),
    ("DELETE", "/events/{public}/attendance"): (401, 204, 204, 204),
    ("POST", "/events/{private}/attendance"): (401, 404, 404, 201),
    ("POST", "/sessions/{private_session}/star"): (401, 404, 404, 201),
    ("DELETE", "/sessions/{private_session}/star"): (401, 404, 404, 204),
    ("POST", "/events/{public}/posts"): (401, 201, 201, 201),
    ("GET", "/events/{private}/posts"): (404, 404, 404, 200),
    ("GET", "/sessions/{private_session}/posts"): (404, 404, 404, 200),
    ("DELETE", "/posts/{post}"): (401, 403, 403, 204),
    ("POST", "/sessions/{public_session}/notes"): (401, 201, 201, 201),
    ("GET", "/notes/{attendees_note}"): (404, 404, 404, 200),
    ("PUT", "/notes/{public_note}"): (401, 403, 403, 200),
    ("DELETE", "/notes/{public_note}"): (401, 403, 403, 204),
    ("GET", "/sessions/{private_session}/notes"): (404, 404, 404, 200),
    ("GET", "/me/notes"): (401, 200, 200, 200),
    ("PUT", "/sessions/{public_session}/summary"): (401, 403, 403, 200),
    ("GET", "/sessions/{private_session}/summary"): (404, 404, 404, 200),
    ("GET", "/sessions/{private_session}/summary/versions"): (404, 404, 404, 200),
    ("POST", "/sessions/{public_session}/questions"): (401, 201, 201, 201),
    ("GET", "/sessions/{private_session}/questions"): (404, 404, 404, 200),
    ("GET", "/sessions/{private_session}/questions/settings"): (404, 404, 404, 200),
    ("PUT", "/sessions/{public_session}/questions/settings"): (401, 403, 403, 200),
    ("GET", "/questions/{private_question}"): (404, 404, 404, 200),
    ("PATCH", "/questions/{public_question}"): (401, 403, 403, 200),
    ("POST", "/questions/{public_question}/votes"): (401, 201, 201, 201),
    ("DELETE", "/questions/{public_question}/votes"): (401, 204, 204, 204),
    ("GET", "/sessions/{private_session}/resources"): (404, 404, 404, 200),
    ("GET", "/events/{private}/resources"): (404, 404, 404, 200),
    # Feeds are for feed readers: anonymous only, so a private event's are not found even for its
    # organiser (the token is ignored); public ones are served to everybody.
    ("GET", "/events/{private}/feed.atom"): (404, 404, 404, 404),
    ("GET", "/sessions/{private_session}/feed.atom"): (404, 404, 404, 404),
    ("GET", "/events/{private}/schedule.ics"): (404, 404, 404, 404),
    ("GET", "/events/{public}/feed.atom"): (200, 200, 200, 200),
    ("GET", "/sessions/{public_session}/feed.atom"): (200, 200, 200, 200),
    ("GET", "/events/{public}/schedule.ics"): (200, 200, 200, 200),
    ("POST", "/sessions/{public_session}/packs"): (401, 403, 403, 202),
    ("POST", "/events/{public}/packs"): (401, 403, 403, 202),
    ("POST", "/me/packs"): (401, 403, 403, 202),  # personal packs: attendees and organisers of the event
    ("GET", "/me/packs"): (401, 200, 200, 200),
    ("GET", "/sessions/{private_session}/packs"): (404, 404, 404, 200),
    ("GET", "/events/{private}/packs"): (404, 404, 404, 200),
    ("GET", "/packs/{private_pack}"): (404, 404, 404, 200),
    ("GET", "/packs/{private_pack}/download"): (404, 404, 404, 409),  # not built yet: no worker here
    ("POST", "/packs/{private_pack}/publish"): (401, 404, 404, 409),  # not built yet: nothing to publish
    ("GET", "/packs/{private_pack}/deliveries"): (401, 404, 404, 200),
    ("GET", "/packs/{private_pack}/publication-preview"): (401, 404, 404, 200),
    # nothing published yet: the publisher too is told there is no such publication
    ("DELETE", "/packs/{private_pack}/publications/{version}"): (401, 404, 404, 404),
    # the network: every caller acts on their own follows, blocks, channels and inbox
    ("POST", "/me/follows"): (401, 201, 201, 201),
    ("GET", "/me/follows"): (401, 200, 200, 200),
    ("DELETE", "/me/follows/{follow}"): (401, 204, 204, 204),
    ("GET", "/members/{helper_handle}"): (200, 200, 200, 200),
    ("POST", "/me/blocks"): (401, 201, 201, 201),
    ("GET", "/me/blocks"): (401, 200, 200, 200),
    ("DELETE", "/me/blocks/{helper_member}"): (401, 204, 204, 204),
    ("POST", "/me/channels"): (401, 201, 201, 201),
    ("GET", "/me/channels"): (401, 200, 200, 200),
    ("DELETE", "/me/channels/{helper_channel}"): (401, 404, 404, 404),  # the helper's: not theirs
    ("POST", "/me/channels/{helper_channel}/verification"): (401, 404, 404, 404),
    ("GET", "/me/inbox"): (401, 200, 200, 200),
    ("GET", "/me/inbox/{entry}/download"): (401, 404, 404, 404),
    # capabilities: whoever holds the token (a feed reader, a mail's link) and nobody else
    ("GET", "/feeds/inbox/{helper_feed}"): (200, 200, 200, 200),
    ("GET", "/feeds/inbox/{helper_feed}/{entry}"): (404, 404, 404, 404),
    ("GET", "/circulated/{unknown_token}"): (404, 404, 404, 404),
    ("GET", "/unsubscribe/{unknown_token}"): (200, 200, 200, 200),  # a page with a button
    ("POST", "/unsubscribe/{unknown_token}"): (404, 404, 404, 404),
    # moderation: members report what they see; everything else is the event's organisers'
    ("GET", "/posts/{post}"): (200, 200, 200, 200),
    ("POST", "/events/{public}/reports"): (401, 201, 201, 201),
    ("GET", "/events/{private}/reports"): (401, 404, 404, 200),
    ("DELETE", "/events/{public}/reports/{reported}"): (401, 403, 403, 204),
    ("GET", "/events/{private}/held-posts"): (401, 404, 404, 200),
    ("PUT", "/posts/{post}/moderation"): (401, 403, 403, 200),
    ("PUT", "/notes/{public_note}/moderation"): (401, 403, 403, 200),
    ("PUT", "/questions/{public_question}/moderation"): (401, 403, 403, 200),
    ("PUT", "/events/{public}/mutes/{helper_member}"): (401, 403, 403, 200),
    ("DELETE", "/events/{public}/mutes/{helper_member}"): (401, 403, 403, 204),
    ("GET", "/events/{private}/mutes"): (401, 404, 404, 200),
    ("DELETE", "/events/{private}/members/{helper_member}"): (401, 404, 404, 204),
    ("GET", "/events/{private}/moderation-log"): (401, 404, 404, 200),
    ("GET", "/me/moderation"): (401, 200, 200, 200),
    # collection: an event's hashtag sources are its organisers'
    ("POST", "/events/{public}/sources"): (401, 403, 403, 201),
    ("GET", "/events/{private}/sources"): (401, 404, 404, 200),
    ("POST", "/events/{public}/sources/{source}/sync"): (401, 403, 403, 202),
    ("DELETE", "/events/{public}/sources/{source}"): (401, 403, 403, 204),
    # erasure: each caller erases their own account; its progress is read by its unguessable id
    ("DELETE", "/me"): (401, 202, 202, 202),
    ("GET", "/erasures/{erasure}"): (200, 200, 200, 200),
    # export: each caller exports their own things; an export is read by its member only (the
    # helper's here: 404 for everyone else)
    ("POST", "/me/export"): (401, 202, 202, 202),
    ("GET", "/me/exports/{export}"): (401, 404, 404, 404),
}
PLACEHOLDERS = {
    "{private}": "{eventId}",
    "{public}": "{eventId}",
    "{private_session}": "{sessionId}",
    "{public_session}": "{sessionId}",
    "{post}": "{postId}",
    "{attendees_note}": "{noteId}",
    "{public_note}": "{noteId}",
    "{private_question}": "{questionId}",
    "{public_question}": "{questionId}",
    "{private_pack}": "{packId}",
    "{version}": "{version}",
    "{follow}": "{followId}",
    "{helper_handle}": "{handle}",
    "{helper_member}": "{memberId}",
    "{helper_channel}": "{channelId}",
    "{entry}": "{entryId}",
    "{helper_feed}": "{token}",
    "{unknown_token}": "{token}",
    "{schedule_import}": "{importId}",
    "{reported}": "{itemId}",
    "{source}": "{sourceId}",
    "{erasure}": "{erasureId}",
    "{export}": "{exportId}",
}


def test_the_matrix_covers_every_route_in_the_template(api):
    routes = {(r.method, r.path) for r in api.routes.routes}
    covered = set()
    for method, path in MATRIX:
        for placeholder, parameter in PLACEHOLDERS.items():
            path = path.replace(placeholder, parameter)
        covered.add((method, path))
    assert routes <= covered, f"add these routes to the matrix: {sorted(routes - covered)}"


def _schedule(event: dict) -> dict:
    """A dry run of an iCalendar import of one session on the event's first day."""
    day = event["startsOn"].replace("-", "")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VEVENT", "UID:u1", f"DTSTART:{day}T100000Z"]
    lines += [f"DTEND:{day}T110000Z", "SUMMARY:Imported", "END:VEVENT", "END:VCALENDAR", ""]
    return {"content": "\r\n".join(lines), "dryRun": True}


def _body(method: str, path: str, event: dict, helper, actor: str) -> dict | None:
    if path.endswith("/moderation") and method == "PUT":
        return {"hidden": True, "reason": "off-topic"}
    if path.endswith("/reports") and method == "POST":
        return {"type": "post", "id": "{post}", "reason": "spam"}
    if "/mutes/" in path and method == "PUT":
        return {"reason": "flooding"}
    if path.endswith("/sources") and method == "POST":
        return {"type": "bluesky"}  # the public Bluesky search: no instance to check
    if path.endswith("/schedule-imports"):
        return _schedule(event)
    if path == "/events":
        return future_event(hashtag=f"by_{actor}")
    if path.endswith("/organisers"):
        return {"memberId": helper.sub}
    if path.endswith("/sessions"):
        return session_body(event, hashtag=None)
    if method == "PATCH" and path.startswith("/events"):
        return {"description": "changed"}
    if method == "PATCH" and path.startswith("/sessions"):
        return {"title": "changed"}
    if method == "PATCH" and path == "/me":
        return {"bio": "changed"}
    if path.endswith("/posts"):
        return {"text": f"hello from {actor}"}
    if path.endswith("/notes"):
        return {"body": "notes", "visibility": "public"}
    if method == "PUT" and path.startswith("/notes"):
        return {"body": "changed", "visibility": "public"}
    if path.endswith("/summary"):
        return {"body": "summary", "status": "published"}
    if path == "/me/packs" and method == "POST":
        return {"eventId": event["id"]}
    if path.endswith("/questions"):
        return {"text": f"question from {actor}"}
    if path == "/me/follows" and method == "POST":
        return {"type": "event", "id": event["id"]}
    if path == "/me/blocks" and method == "POST":
        return {"memberId": helper.sub}
    if path == "/me/channels" and method == "POST":
        return {"type": "feed"}
    if path.endswith("/verification"):
        return {"code": "123456"}
    if path.endswith("/questions/settings"):
        return {"preModeration": False}
    if method == "PATCH" and path.startswith("/questions"):
        return {"answered": True}
    return None


def _fill_post(body: dict | None, ids: dict) -> dict | None:
    return {k: ids["post"] if v == "{post}" else v for k, v in body.items()} if body else body


@pytest.mark.parametrize(("method", "template"), list(MATRIX))
def test_authorisation(api, method, template):
    organiser = api.user("organiser", organiser=True)
    other = api.user("other", organiser=True)
    member = api.user("member")
    helper = api.user("helper")
    api.get("/me", as_=helper)
    public = api.post("/events", future_event(hashtag="pub"), as_=organiser).json
    private = api.post("/events", future_event(hashtag="prv", visibility="private"), as_=organiser).json
    api.post("/events", future_event(hashtag="oth"), as_=other)
    ids = {
        "public": public["id"],
        "private": private["id"],
        "public_session": api.post(
            f"/events/{public['id']}/sessions", session_body(public), as_=organiser
        ).json["id"],
        "private_session": api.post(
            f"/events/{private['id']}/sessions", session_body(private), as_=organiser
        ).json["id"],
    }
    session_path = f"/sessions/{ids['public_session']}/notes"
    ids["post"] = api.post(f"/events/{public['id']}/posts", {"text": "by helper"}, as_=helper).json["id"]
    ids["public_note"] = api.post(session_path, {"body": "n", "visibility": "public"}, as_=organiser).json[
        "id"
    ]
    ids["attendees_note"] = api.post(
        session_path, {"body": "n", "visibility": "attendees"}, as_=organiser
    ).json["id"]
    ids["public_question"] = api.post(
        f"/sessions/{ids['public_session']}/questions", {"text": "q"}, as_=helper
    ).json["id"]
    ids["private_question"] = api.post(
        f"/sessions/{ids['private_session']}/questions", {"text": "q"}, as_=organiser
    ).json["id"]
    summary = {"body": "s", "status": "published"}
    api.request("PUT", f"/sessions/{ids['private_session']}/summary", json_body=summary, as_=organiser)
    ids["private_pack"] = api.post(f"/sessions/{ids['private_session']}/packs", as_=organiser).json["id"]
    api.patch("/me", {"handle": "helper1"}, as_=helper)
    ids["helper_handle"] = "helper1"
    ids["helper_member"] = helper.sub
    ids["follow"] = f"event-{public['id']}"
    ids["helper_channel"] = api.post(
        "/me/channels", {"type": "email", "address": "h@example.org"}, as_=helper
    ).json["id"]
    feed_url = api.post("/me/channels", {"type": "feed"}, as_=helper).json["feedUrl"]
    ids["helper_feed"] = feed_url.rsplit("/", 1)[-1]
    ids["entry"] = "01NOSUCHENTRY"
    ids["version"] = "1"
    ids["unknown_token"] = "no-such-token"
    if "{schedule_import}" in template:
        done = api.post(f"/events/{private['id']}/schedule-imports", _schedule(private), as_=organiser)
        ids["schedule_import"] = done.json["id"]
    ids["reported"] = ids["post"]
    if "{source}" in template:
        done = api.post(f"/events/{public['id']}/sources", {"type": "bluesky"}, as_=organiser)
        ids["source"] = done.json["id"]
    if "{export}" in template:
        ids["export"] = api.post("/me/export", as_=helper).json["id"]
    if "{erasure}" in template:  # the helper's account, erased after everything above used it
        ids["erasure"] = api.delete("/me", as_=helper).json["id"]
    callers = {"anonymous": None, "member": member, "other_organiser": other, "organiser": organiser}
    path = template.format(**ids)
    if "/reports/" in template:  # an open report to dismiss
        report = {"type": "post", "id": ids["post"], "reason": "spam"}
        assert api.post(f"/events/{public['id']}/reports", report, as_=member).status == 201
    if "/mutes/" in template and method == "DELETE":  # a mute to lift
        mute = {"reason": "flooding"}
        api.request("PUT", f"/events/{public['id']}/mutes/{helper.sub}", json_body=mute, as_=organiser)
    if "/members/" in template:  # an attendee to remove
        api.post(f"/events/{private['id']}/attendance", {"memberId": helper.sub}, as_=organiser)

    for actor, expected in zip(ACTORS, MATRIX[(method, template)], strict=True):
        event = private if "{private" in template else public
        if template.endswith("/attendance") and method == "DELETE" and callers[actor]:
            api.post(path, as_=callers[actor])  # leave what you joined
        if template.startswith("/me/follows/") and method == "DELETE" and callers[actor]:
            api.post("/me/follows", {"type": "event", "id": public["id"]}, as_=callers[actor])
        if template.startswith("/me/blocks/") and method == "DELETE" and callers[actor]:
            api.post("/me/blocks", {"memberId": helper.sub}, as_=callers[actor])
        r = api.request(
            method,
            path,
            as_=callers[actor],
            json_body=_fill_post(_body(method, template, event, helper, actor), ids),
            headers={"If-Match": api.get(path).headers["etag"]}  # a public note: its current ETag
            if method == "PUT" and template == "/notes/{public_note}"
            else None,
        )
        assert r.status == expected, f"{method} {template} as {actor}: {r}"
        if (
            method == "DELETE"
            and r.status == 204
            and not template.endswith(("/attendance", "/votes", "/star"))
            and not template.startswith(("/me/follows/", "/me/blocks/"))
        ):
            break  # it is gone now
