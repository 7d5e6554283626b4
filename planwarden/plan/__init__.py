"""The plan domain: actions, owners, updates, decisions, dates, the directory; its store and queries."""
