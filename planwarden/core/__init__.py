"""Core machinery every layer may use: clock, config, database, log, text matching."""
