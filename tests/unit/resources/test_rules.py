"""The pure rules of resources: what a source contributes, and reconciling a ledger with it."""

from __future__ import annotations

import pytest

from backchannel.capture.model import Note, Post, Summary
from backchannel.resources import rules as resources
from backchannel.resources.model import Contribution, Source, resource_id

EVENT, SESSION = "01JCDEFGHJKMNPQRSTVWXYZ012", "01JCDEFGHJKMNPQRSTVWXYZ345"


def post(text: str, *, session_id: str | None = SESSION, author: str = "alice") -> Post:
    return Post(
        id="P1",
        event_id=EVENT,
        author_id=author,
        author_name=author,
        text=text,
        created_at="2030-01-01T00:00:00Z",
        seq="S1",
        session_id=session_id,
    )


def note(body: str, visibility: str, *, title: str | None = None) -> Note:
    return Note(
        id="N1",
        event_id=EVENT,
        session_id=SESSION,
        author_id="alice",
        author_name="Alice",
        body=body,
        visibility=visibility,
        share_in_packs=True,
        version=1,
        created_at="2030-01-01T00:00:00Z",
        updated_at="2030-01-01T00:00:00Z",
        title=title,
    )


def summary(body: str, status: str = "published") -> Summary:
    return Summary(
        session_id=SESSION,
        event_id=EVENT,
        version=1,
        status=status,
        body=body,
        author_id="olga",
        updated_at="2030-01-01T00:00:00Z",
    )


class FakeLedger:
    """The ledger's contract in memory: shares per (scope, url) are distinct members with a record."""

    def __init__(self) -> None:
        self.records: dict[str, set[Contribution]] = {}
        self.writes = 0

    def recorded(self, source: Source) -> frozenset[Contribution]:
        return frozenset(self.records.get(source.key, set()))

    def add(self, source: Source, c: Contribution) -> None:
        self.writes += 1
        self.records.setdefault(source.key, set()).add(c)

    def remove(self, source: Source, c: Contribution) -> None:
        self.writes += 1
        self.records.get(source.key, set()).discard(c)

    def shares(self, scope: str) -> dict[str, int]:
        members: dict[str, set[str]] = {}
        for recorded in self.records.values():
            for c in recorded:
                if c.scope == scope:
                    members.setdefault(c.url, set()).add(c.member_id)
        return {url: len(m) for url, m in members.items()}


# -- what a source contributes ----------------------------------------------------------------------


def test_a_post_counts_for_its_session_and_its_event():
    found = resources.post_contributions(post("read https://Example.org/a/?utm_source=x#top"))
    assert {(c.scope, c.url, c.kind, c.member_id) for c in found} == {
        (f"session/{SESSION}", "https://example.org/a", "link", "alice"),
        (f"event/{EVENT}", "https://example.org/a", "link", "alice"),
    }


def test_a_post_without_a_session_counts_for_its_event_only():
    found = resources.post_contributions(post("https://example.org/a", session_id=None))
    assert {c.scope for c in found} == {f"event/{EVENT}"}


def test_variants_of_one_url_are_one_contribution():
    text = "https://example.org/a https://EXAMPLE.org:443/a/ https://example.org/a?fbclid=1#x"
    assert len(resources.post_contributions(post(text, session_id=None))) == 1


def test_dois_are_papers():
    found = resources.post_contributions(post("doi:10.1000/ABC.1 and https://doi.org/10.1000/abc.1"))
    assert {(c.url, c.kind, c.doi) for c in found} == {
        ("https://doi.org/10.1000/abc.1", "paper", "10.1000/abc.1")
    }


def test_gone_sources_contribute_nothing():
    assert resources.post_contributions(None) == frozenset()
    assert resources.note_contributions(None) == frozenset()
    assert resources.summary_contributions(None) == frozenset()


@pytest.mark.parametrize("visibility", ["attendees", "public"])
def test_shared_notes_contribute_title_and_body(visibility):
    found = resources.note_contributions(
        note("https://example.org/b", visibility, title="https://example.org/t")
    )
    assert {c.url for c in found} == {"https://example.org/b", "https://example.org/t"}


def test_private_notes_contribute_nothing():
    assert resources.note_contributions(note("https://example.org/b", "private")) == frozenset()


def test_a_summary_counts_as_its_authors_once_published():
    found = resources.summary_contributions(summary("see https://example.org/s"))
    assert {c.member_id for c in found} == {"olga"}
    assert (
        resources.summary_contributions(summary("see https://example.org/s", status="draft")) == frozenset()
    )


def test_resource_ids_are_stable_and_url_safe():
    rid = resource_id("https://example.org/a")
    assert rid == resource_id("https://example.org/a")
    assert rid.isalnum() and len(rid) == 32


# -- which source an event is about ---------------------------------------------------------------------


def test_sources_of_events():
    assert resources.source_of("PostCreated", {"id": "P1"}) == Source("post", "P1")
    assert resources.source_of("NoteWithdrawn", {"id": "N1"}) == Source("note", "N1")
    assert resources.source_of("SummaryPublished", {"sessionId": SESSION}) == Source("summary", SESSION)
    assert resources.source_of("SessionCreated", {"id": "S"}) is None


@pytest.mark.parametrize("detail", [{}, {"id": ""}, {"id": 7}, {"id": "a#b"}, {"id": "x" * 65}])
def test_an_event_without_a_usable_id_is_refused(detail):
    with pytest.raises(ValueError, match="usable id"):
        resources.source_of("PostCreated", detail)


# -- reconciling -------------------------------------------------------------------------------------


def test_reconcile_adds_then_replaces_then_removes():
    ledger, src = FakeLedger(), Source("note", "N1")
    state = {"note": note("https://example.org/a https://example.org/b", "public")}
    current = lambda: resources.note_contributions(state["note"])  # noqa: E731

    resources.reconcile(src, current, ledger)
    assert ledger.shares(f"session/{SESSION}") == {"https://example.org/a": 1, "https://example.org/b": 1}

    state["note"] = note("https://example.org/b https://example.org/c", "public")
    outcome = resources.reconcile(src, current, ledger)
    assert (outcome.added, outcome.removed) == (2, 2)  # a out, c in, for the session and the event
    assert ledger.shares(f"event/{EVENT}") == {"https://example.org/b": 1, "https://example.org/c": 1}

    state["note"] = note("https://example.org/b", "private")
    resources.reconcile(src, current, ledger)
    assert ledger.shares(f"event/{EVENT}") == {}


def test_reconciling_again_writes_nothing():
    ledger, src = FakeLedger(), Source("post", "P1")
    current = lambda: resources.post_contributions(post("https://example.org/a"))  # noqa: E731
    resources.reconcile(src, current, ledger)
    writes = ledger.writes
    outcome = resources.reconcile(src, current, ledger)
    assert (outcome.added, outcome.removed, ledger.writes) == (0, 0, writes)


def test_a_change_during_reconciling_is_caught_by_the_second_read():
    ledger, src = FakeLedger(), Source("note", "N1")
    states = iter([note("https://example.org/a", "public"), note("https://example.org/a", "private")])
    last: list[Note] = []

    def current():
        last[:] = [next(states, last[0] if last else None)]
        return resources.note_contributions(last[0])

    outcome = resources.reconcile(src, current, ledger)
    assert outcome.passes == 2
    assert ledger.shares(f"session/{SESSION}") == {}


def test_a_source_that_never_settles_is_left_for_a_retry():
    flip = iter(range(100))
    current = lambda: resources.post_contributions(post(f"https://example.org/{next(flip)}"))  # noqa: E731
    with pytest.raises(resources.Unsettled):
        resources.reconcile(Source("post", "P1"), current, FakeLedger(), max_passes=3)


def test_distinct_members_are_counted_across_sources():
    ledger = FakeLedger()
    for pid, author in (("P1", "alice"), ("P2", "alice"), ("P3", "bob")):
        p = post("https://example.org/a", author=author)
        resources.reconcile(Source("post", pid), lambda p=p: resources.post_contributions(p), ledger)
    assert ledger.shares(f"session/{SESSION}") == {"https://example.org/a": 2}


@pytest.mark.parametrize("item_type", ["Resource", "ResourceSharer", "ResourceShare"])
def test_the_stream_router_makes_no_domain_events_of_resource_items(item_type):
    from backchannel.messaging.domain_events import derive

    item = {"pk": "RES#event/E1#abc", "sk": "RESOURCE", "type": item_type, "url": "https://example.org/a"}
    for old, new in ((None, item), (item, {**item, "shares": 2}), (item, None)):
        assert derive(old, new, record_id="r1", at="2030-01-01T00:00:00Z") == []
