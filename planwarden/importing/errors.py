"""Errors an importer raises for documents it cannot read as a plan."""

import re


class ImportFormatError(ValueError):
    """The document is not a plan we can read; the message names the file and why."""


def scrub(exc: BaseException) -> str:
    """A library's message without its in-memory object names ("'<_io.BytesIO object at 0x7f…>'")."""
    return re.sub(r"'?<_io\.BytesIO object at 0x[0-9a-f]+>'?", "the file", str(exc)).strip()
