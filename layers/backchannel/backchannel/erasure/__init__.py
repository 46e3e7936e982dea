"""Erasure (``DELETE /me``): a member and everything of theirs leave every table, bucket and the user
pool, in resumable steps a worker checkpoints (see :mod:`backchannel.erasure.rules`)."""
