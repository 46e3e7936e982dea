"""Following events and sessions live over the WebSocket API.

- :mod:`.rules`: who may subscribe to what, what a live message looks like, who is sent it (pure).
- :mod:`.connections`: connections and subscriptions in the connections table (PynamoDB).
- :mod:`.sender`: ``post_to_connection`` through the API's management endpoint.
- :mod:`.socket`: the WebSocket routes' edge (events in, responses out).
"""
