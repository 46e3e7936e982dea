"""Constants of the packs pipeline. Its environment is read by :mod:`backchannel.core.config`, like every
setting:

| variable | what it is |
|---|---|
| ``PACKS_BUCKET_NAME`` | the private bucket of compiled packs (``PacksBucket``) |
| ``PACKS_QUEUE_ARN`` | the compile queue, target of the one-time end-of-session schedules |
| ``PACKS_SCHEDULE_GROUP`` | the EventBridge Scheduler group of those schedules |
| ``PACKS_SCHEDULER_ROLE_ARN`` | the role EventBridge Scheduler assumes to send to the queue |
| ``PACK_GRACE_PERIOD_MINUTES`` | how long after a session's end its pack is built automatically (30) |

The packs API reads none of these: the bucket of a pack's files is recorded on the pack itself, and
the constants below need no environment.
"""

from __future__ import annotations

# A presigned download URL lives this long (the redirect is followed at once).
DOWNLOAD_URL_TTL_S = 300
# The worker writes a build's progress at most this often.
PROGRESS_INTERVAL_S = 2.0
# Multipart uploads: every part but the last must be at least 5 MiB.
PART_SIZE = 8 * 1024 * 1024
# A build that has not reported for this long is taken to have died (its message came back).
STALE_BUILD_S = 900
