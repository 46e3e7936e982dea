"""Collect: hashtag sources on open networks (Mastodon, Bluesky) whose public posts become posts."""
