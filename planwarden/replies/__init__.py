"""Owners' email replies to reminders, turned into progress updates (GNU Mailman's shape).

``message`` reads raw bytes (never raises) with one strict reading of the sender;
``clean`` trims quoted history and signatures; ``extract`` finds refs, explicit ratings
and requested dates; ``auth`` reads our own server's Authentication-Results; ``facts``
gathers what the rules need from the store; ``rules`` only classify (pure); ``chain``
maps each verdict to its effect; ``effects`` act and return what they did; ``ingest``
records the outcome in one transaction; ``collect`` drives a mailbox.
"""
