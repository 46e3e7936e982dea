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
}


def test_the_matrix_covers_every_route_in_the_template(api):
    routes = {(r.method, r.path) for r in api.routes.routes}
    covered = {(m, p.replace("{private}", "{eventId}").replace("{public}", "{eventId}")) for m, p in MATRIX}
    covered = {
        (m, p.replace("{private_session}", "{sessionId}").replace("{public_session}", "{sessionId}"))
        for m, p in covered
    }
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
    callers = {"anonymous": None, "member": member, "other_organiser": other, "organiser": organiser}
    path = template.format(**ids)

    for actor, expected in zip(ACTORS, MATRIX[(method, template)], strict=True):
        event = private if "{private" in template else public
        if template.endswith("/attendance") and method == "DELETE" and callers[actor]:
            api.post(path, as_=callers[actor])  # leave what you joined
        r = api.request(
            method, path, as_=callers[actor], json_body=_body(method, template, event, helper, actor)
        )
        assert r.status == expected, f"{method} {template} as {actor}: {r}"
        if method == "DELETE" and template.startswith("/sessions") and r.status == 204:
            break  # it is gone now
