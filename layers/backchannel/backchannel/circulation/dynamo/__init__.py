"""Circulation's storage in the main table, by aggregate. See ``items`` for the key design."""

from __future__ import annotations

from backchannel.circulation.dynamo.channels import ChannelsRepo
from backchannel.circulation.dynamo.deliveries import DeliveriesRepo
from backchannel.circulation.dynamo.digests import DigestsRepo
from backchannel.circulation.dynamo.network import NetworkRepo
from backchannel.circulation.dynamo.publications import PublicationsRepo


class DynamoCirculationRepo(NetworkRepo, ChannelsRepo, PublicationsRepo, DeliveriesRepo, DigestsRepo):
    """Follows, blocks, channels, inbox, publications, deliveries and digests in the main table."""


__all__ = ["DynamoCirculationRepo"]
