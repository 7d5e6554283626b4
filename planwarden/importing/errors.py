"""Errors an importer raises for documents it cannot read as a plan."""


class ImportFormatError(ValueError):
    """The document is not a plan we can read; the message names the file and why."""
