"""One rule for a token, on every route: the Authorization header carries it with or without
``Bearer `` (as API Gateway's JWT authorizer reads it), and a token that is not valid is refused with
401, on public routes too (the gateway refuses it on protected ones); no header means anonymous."""

from __future__ import annotations

import re

import pytest

from backchannel.core.auth import bearer_token
from local.jwt_authorizer import Unauthorized, token_from_header

HEADERS = [
    "Bearer x.y.z",
    "bearer x.y.z",
    "BEARER  x.y.z ",
    "x.y.z",
    " x.y.z",
    "Bearer",
    "Bearer ",
    "Basic x",
]


@pytest.mark.parametrize("value", HEADERS)
def test_the_functions_read_a_token_as_the_gateway_reads_it(value):
    assert bearer_token({"authorization": value}) == token_from_header(value)


@pytest.mark.parametrize("value", [None, "", "   "])
def test_no_token_is_anonymous_for_the_functions_and_a_401_for_the_gateway(value):
    assert bearer_token({"authorization": value} if value is not None else {}) is None
    with pytest.raises(Unauthorized):
        token_from_header(value)


def test_an_invalid_token_is_refused_on_every_public_route(api):
    public = [r for r in api.routes.routes if not r.auth_required and r.path != "$default"]
    assert len({r.function.logical_id for r in public}) >= 6  # events, capture, questions, feeds ...
    for route in public:
        path = re.sub(r"\{(\w+)\+?\}", "01J0000000000000000000NONE", route.path)
        for header in ("Bearer x.y.z", "x.y.z"):
            r = api.request(route.method, path, headers={"authorization": header})
            assert r.status == 401, (route.route_key, header, r)
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json["title"] == "Unauthorized"


def test_a_bare_token_counts_on_public_and_protected_routes(api, make_event, olga):
    private = make_event(visibility="private", hashtag="bareword")
    path = f"/events/{private['id']}"
    assert api.get(path).status == 404  # anonymous: not revealed
    assert api.get(path, headers={"authorization": olga.token}).status == 200  # public route, bare
    assert api.get(path, as_=olga).status == 200  # public route, "Bearer "
    me = api.get("/me", headers={"authorization": olga.token})  # protected route, bare
    assert (me.status, me.json["id"]) == (200, olga.sub)
    assert api.get("/events", headers={"authorization": ""}).status == 200  # a blank header: anonymous
