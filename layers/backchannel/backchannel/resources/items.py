"""PynamoDB models of resources (links and papers shared in a session or an event), in the main table.

| item | pk | sk | gsi1pk | gsi1sk |
|---|---|---|---|---|
| resource of a scope | RES#<scope>#<resourceId> | RESOURCE | RES#<scope>#RANKED#<0..7: crc32(resourceId) % 8> | <9999999999 - shares, 10 digits>#<resourceId> |
| sharer (member marker) | RES#<scope>#<resourceId> | SHARER#<memberId> | | |
| share (one source's contribution) | RESSRC#<source> | RES#<scope>#<resourceId>#<memberId> | | |

``scope`` is ``session/<id>`` or ``event/<id>``; ``source`` is ``post#<id>``, ``note#<id>`` or
``summary#<sessionId>``; ``resourceId`` is a hash of the normalised URL. A share exists for each
(source, scope, resource, member) the source contributes now; a sharer counts a member's shares of one
resource in one scope (``sources``) and exists while that count is positive; a resource's ``shares`` is
the number of its sharers. All three change together, in one transaction (``resources/dynamo.py``).

The stream router sees these items too; their types have no rule in ``domain_events.RULES``, so they
produce no domain events.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from backchannel.core.dynamo.table import Item


class ResourceItem(Item, discriminator="Resource"):
    scope = UnicodeAttribute()
    resource_id = UnicodeAttribute(attr_name="id")
    url = UnicodeAttribute()
    kind = UnicodeAttribute()
    doi = UnicodeAttribute(null=True)
    shares = NumberAttribute()


class ResourceSharerItem(Item, discriminator="ResourceSharer"):
    scope = UnicodeAttribute()
    resource_id = UnicodeAttribute(attr_name="resourceId")
    member_id = UnicodeAttribute(attr_name="memberId")
    sources = NumberAttribute()


class ResourceShareItem(Item, discriminator="ResourceShare"):
    source = UnicodeAttribute()
    scope = UnicodeAttribute()
    resource_id = UnicodeAttribute(attr_name="resourceId")
    url = UnicodeAttribute()
    kind = UnicodeAttribute()
    doi = UnicodeAttribute(null=True)
    member_id = UnicodeAttribute(attr_name="memberId")
