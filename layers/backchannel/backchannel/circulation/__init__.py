"""Circulation: members' networks (follows, blocks), their channels, and the delivery of published
packs to them (fan-out, deliveries, retraction)."""
