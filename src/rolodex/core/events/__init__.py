"""The change feed: an outbox of events written in the same transaction as each change."""
