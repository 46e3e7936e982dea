"""Backchannel's shared package, deployed as one Lambda layer.

Rooms: ``config`` and ``observability`` (wiring), ``domain`` (pure rules), ``data`` (the only code that
talks to DynamoDB), ``messaging`` (EventBridge, SQS, SES, HTTP out), ``http`` (the API edge).
"""
