"""Mail: the outbox (every email planwarden sends goes through it), transports, mailboxes.

Business code never sends mail directly: it calls ``outbox.enqueue`` inside the same
transaction that records why the mail is due, and a separate delivery step hands queued
mail to the configured transport.
"""
