"""Backchannel's shared package, deployed as one Lambda layer, laid out by feature.

``core`` holds what every feature shares (config, errors, ids, auth, the HTTP edge, validation, the
DynamoDB toolkit); ``messaging`` the domain events, the stream reader and the bus. Each feature
(``conference``, ``capture``, ``questions``, ``resources``, ``live``, ``feeds``, ``packs``,
``circulation``) has the same rooms: ``model`` (records and their JSON), ``rules`` (pure),
``store`` (the ``<Feature>Repo`` protocol), ``items`` and ``dynamo`` (the only code that talks to
DynamoDB), ``schemas`` (request and response specs). See ``docs/architecture.md``.
"""
