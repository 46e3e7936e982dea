"""What one collection cycle costs per source, counted (not timed): the HTTP calls the fake network
receives and the DynamoDB calls the collect worker makes (botocore's ``_make_api_call``, while the
worker's handler runs). The README's "Measured" section quotes these numbers."""

from __future__ import annotations

import collections

import botocore.client

from local.lambdas import running
from tests.integration.collect.conftest import cycle, publish, source


def test_a_cycle_costs_one_call_per_hashtag_and_a_few_dynamodb_calls(
    api, olga, event, session, fakes, monkeypatch
):
    src = source(api, olga, event, fakes)
    cycle(api, event, src)  # warm: clients made, cursors set
    calls: collections.Counter[str] = collections.Counter()
    make = botocore.client.BaseClient._make_api_call

    def counted(self, operation, params):
        if getattr(running, "function", None) == "CollectWorkerFunction":
            calls[operation] += 1
        return make(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counted)

    fakes.networks.mastodon.requests.clear()
    cycle(api, event, src)  # nothing new: the event's and the session's hashtags asked once each
    assert len(fakes.networks.mastodon.requests) == 2
    assert dict(calls) == {"GetItem": 2, "Query": 1, "UpdateItem": 1}

    calls.clear()
    publish(fakes, "one #WOL")
    publish(fakes, "two #LAWW26", "grace")
    fakes.networks.mastodon.requests.clear()
    cycle(api, event, src)  # two new posts: a claim lookup and a conditional put each
    assert len(fakes.networks.mastodon.requests) == 2
    assert dict(calls) == {"GetItem": 2, "Query": 1, "BatchGetItem": 2, "PutItem": 2, "UpdateItem": 1}
