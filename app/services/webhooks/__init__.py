"""Webhooks: subscriptions, the outbox, signed deliveries with retries, and their log.

- ``events``: the event types and ``emit``, which the services where an event happens call
  in their own transaction (the outbox: a message and one delivery per subscription).
- ``subscriptions``: create, change and remove a unit's subscriptions (``webhooks.manage``).
- ``urls``: which receiver URLs are allowed (http/https, no private targets unless allowed).
- ``signing``: the Standard Webhooks signature (webhook-id, webhook-timestamp,
  webhook-signature: HMAC-SHA256).
- ``deliveries``: the delivery log and redelivery.
- ``worker``: the sender (leased rows, retries with backoff, the overdue scan) and its thread.
"""
