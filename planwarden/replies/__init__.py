"""Owners' email replies to reminders, turned into progress updates.

``message`` reads raw bytes (never raises), ``clean`` trims quoted history and
signatures, ``extract`` finds refs, RAG and requested dates, ``rules`` is the policy
table, ``ingest`` stores the outcome in one transaction, ``collect`` drives a mailbox.
"""
