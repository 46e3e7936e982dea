"""The network client of a source, over the outbound guard with this function's settings."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from backchannel.collect.model import Source
from backchannel.collect.networks import Bluesky, Http, Mastodon
from backchannel.collect.rules import BLUESKY_PUBLIC, Network
from backchannel.core.config import get_config


def http(send: Callable[..., Any] | None = None) -> Http:
    from backchannel.circulation.transports import outbound

    cfg = get_config()
    return Http(send or outbound.send, allow=cfg.outbound_allow_list, timeout_s=cfg.outbound_timeout_s)


def client_for(source: Source, *, open_sealed: Callable[[Source], str], via: Http | None = None) -> Network:
    via = via or http()
    if source.network == "mastodon":
        return Mastodon(source.instance, via)
    credentials = (source.identifier, open_sealed(source)) if source.sealed and source.identifier else None
    return Bluesky(source.instance, via, credentials)


def recheckers(sources: Iterable[Source], via: Http | None = None) -> Callable[[str], Network | None]:
    """Who re-checks a network's posts: Mastodon asks each status's own instance (its ``ref``);
    Bluesky asks the event's Bluesky service (getPosts needs no account), the public AppView else."""
    via = via or http()
    service = next((s.instance for s in sources if s.network == "bluesky" and not s.sealed), BLUESKY_PUBLIC)

    def network_for(network: str) -> Network | None:
        if network == "mastodon":
            return Mastodon("https://unused.invalid", via)
        if network == "bluesky":
            return Bluesky(service, via)
        return None

    return network_for
