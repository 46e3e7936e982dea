"""Conference packs: the pipeline around the compiler (``backchannel.packs.compile``).

| module | room | what it holds |
|---|---|---|
| ``rules`` | domain | targets, who may request and read packs, the events that trigger rebuilds |
| ``service`` | domain | requesting a pack (coalescing), building one (the worker's side), triggers |
| ``data`` | data access | the ``Pack`` and ``PackTarget`` items and their conditional transitions |
| ``storage`` | messaging | S3: the multipart writer, presigned download URLs, removing superseded versions |
| ``scheduling`` | messaging | EventBridge Scheduler: one-time schedules at a session's end + grace |
| ``settings`` | config | the worker's settings (environment variables, read once, cached) |
"""
