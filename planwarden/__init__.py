"""planwarden: keeps multi-agency safeguarding improvement plans moving."""

__version__ = "0.1.0"
