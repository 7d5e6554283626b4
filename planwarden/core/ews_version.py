"""``mail.ews.version``: checked when the config is read, turned into exchangelib's Version
only when EWS is used (so reading the config never imports exchangelib)."""

from __future__ import annotations

import re
from typing import Any

NAMES = ("Exchange2010", "Exchange2010_SP1", "Exchange2010_SP2", "Exchange2013", "Exchange2013_SP1",
         "Exchange2016", "Exchange2019")
_BUILD = re.compile(r"^(\d{1,2})\.(\d{1,2})(?:\.(\d{1,5})(?:\.(\d{1,5}))?)?$")


def parse_version(text: str) -> tuple[int, ...] | str:
    """A product name from ``NAMES`` or a dotted build (``15.1.2507.6``); ValueError otherwise."""
    if text in NAMES:
        return text
    match = _BUILD.match(text.strip())
    if not match:
        raise ValueError(f"not an Exchange version: {text!r} (use one of {', '.join(NAMES)}, "
                         "or a build number such as 15.1.2507.6)")
    return tuple(int(part) for part in match.groups() if part is not None)


def exchangelib_version(text: str | None) -> Any:
    """The exchangelib ``Version`` for a checked setting; None lets exchangelib ask the server."""
    if text is None:
        return None
    from exchangelib import Build, Version

    parsed = parse_version(text)
    if isinstance(parsed, str):
        from exchangelib import version as versions

        return Version(build=getattr(versions, parsed.upper().replace("EXCHANGE", "EXCHANGE_")))
    return Version(build=Build(*parsed))
