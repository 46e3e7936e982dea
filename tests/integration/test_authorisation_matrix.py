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
}


def test_the_matrix_covers_every_route_in_the_template(api):
    routes = {(r.method, r.path) for r in api.routes.routes}
    covered = set()
    for method, path in MATRIX:
        for placeholder, parameter in PLACEHOLDERS.items():
            path = path.replace(placeholder, parameter)
        covered.add((method, path))
    assert routes <= covered, f"add these routes to the matrix: {sorted(routes - covered)}"


def _body(method: str, path: str, event: dict, helper, actor: str) -> dict | None:
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
    if path.endswith("/questions/settings"):
        return {"preModeration": False}
    if method == "PATCH" and path.startswith("/questions"):
        return {"answered": True}
    return None


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
    callers = {"anonymous": None, "member": member, "other_organiser": other, "organiser": organiser}
    path = template.format(**ids)

    for actor, expected in zip(ACTORS, MATRIX[(method, template)], strict=True):
        event = private if "{private" in template else public
        if template.endswith("/attendance") and method == "DELETE" and callers[actor]:
            api.post(path, as_=callers[actor])  # leave what you joined
        r = api.request(
            method,
            path,
            as_=callers[actor],
            json_body=_body(method, template, event, helper, actor),
            headers={"If-Match": "*"} if method == "PUT" and template.startswith("/notes") else None,
        )
        assert r.status == expected, f"{method} {template} as {actor}: {r}"
        if (
            method == "DELETE"
            and r.status == 204
            and not template.endswith(("/attendance", "/votes", "/star"))
        ):
            break  # it is gone now
