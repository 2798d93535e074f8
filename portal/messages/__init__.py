"""Telling people: a durable outbox written in the same transaction as the event that causes it,
and a worker that delivers each message at most once through the transport the settings choose."""
