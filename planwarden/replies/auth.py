"""Sender authentication as our own receiving server recorded it (RFC 8601).

Anyone can add an ``Authentication-Results`` header to a message before sending it, so
only a header whose authserv-id is one the operator named (``[mail] authserv_ids``) is
read; every other copy is ignored. Receiving servers prepend their header, so the first
trusted one is the newest. A ``dmarc=pass`` counts only for the From address's own
domain (``header.from``): a pass for ``evil.example`` says nothing about an owner at
``example.org``. Pure functions: no database, no network.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

_RESULT = re.compile(r"\s*(?P<method>[a-z0-9_-]+)\s*=\s*(?P<result>[a-z]+)(?P<props>.*)\Z", re.I | re.S)
_HEADER_FROM = re.compile(r"\bheader\.from\s*=\s*\"?(?P<domain>[^\s;\"]+)", re.I)


@dataclass(frozen=True)
class AuthVerdict:
    """What our server said about the From domain: ``trusted`` is False when it said nothing."""

    trusted: bool
    dmarc: str | None = None  # pass | fail | none | temperror | ... as written
    dmarc_domain: str | None = None
    authserv_id: str | None = None

    def passed_for(self, sender: str) -> bool:
        """dmarc=pass for the sender's own domain."""
        domain = sender.rsplit("@", 1)[-1].lower() if "@" in sender else ""
        return self.dmarc == "pass" and bool(domain) and self.dmarc_domain == domain


def _authserv_id(value: str) -> str:
    """The first word, without OpenDMARC's ``/jobid`` suffix (``AuthservIDWithJobID``); "" when there is none."""
    words = value.split(";", 1)[0].split()
    return words[0].split("/", 1)[0].lower() if words else ""


def _segments(value: str) -> list[str]:
    """The header split at ``;`` as RFC 8601 reads it: comments (nested) dropped, quoted strings kept whole.

    A quoted ``smtp.mailfrom="x;dmarc=pass header.from=example.org"@evil.example`` that our
    own server copies from the envelope is then one property of one result, never a result.
    """
    out, current, depth, quoted, escaped = [], [], 0, False, False
    for ch in value:
        if escaped:
            escaped = False
            if depth == 0:
                current.append(ch)
            continue
        if ch == "\\":
            escaped = True
            if depth == 0:
                current.append(ch)
            continue
        if quoted:
            quoted = ch != '"'
            current.append(ch)
        elif ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif depth:
            continue
        elif ch == '"':
            quoted = True
            current.append(ch)
        elif ch == ";":
            out.append("".join(current))
            current = []
        else:
            current.append(ch)
    out.append("".join(current))
    return out


EXCHANGE_ONLINE = "exchange-online"


def read(values: Sequence[str], authserv_ids: Collection[str]) -> AuthVerdict:
    """The newest ``Authentication-Results`` from one of ``authserv_ids`` (case-insensitive).

    Exchange Online writes its header with no authserv-id at all (it starts ``spf=…``);
    with ``exchange-online`` configured, the topmost header is read when it has none:
    Microsoft stamps its own above anything the sender wrote.
    """
    trusted = {a.strip().lower() for a in authserv_ids if a.strip()}
    for position, value in enumerate(values):
        server = _authserv_id(value)
        if position == 0 and "=" in server and EXCHANGE_ONLINE in trusted:
            server, value = EXCHANGE_ONLINE, f"{EXCHANGE_ONLINE}; {value}"
        if not server or server not in trusted:
            continue
        for segment in _segments(value)[1:]:
            m = _RESULT.match(segment)
            if m and m.group("method").lower() == "dmarc":
                found = _HEADER_FROM.search(m.group("props"))
                return AuthVerdict(True, m.group("result").lower(), found.group("domain").lower().rstrip(".")
                                   if found else None, server)
        return AuthVerdict(True, None, None, server)
    return AuthVerdict(False)


def problem(verdict: AuthVerdict, sender: str, *, required: bool) -> str | None:
    """A quarantine reason, or None when the sender's authentication is acceptable.

    A trusted fail (or a pass for another domain) always quarantines; with ``required``,
    anything short of a trusted pass for the sender's domain does too.
    """
    if verdict.trusted and verdict.dmarc is not None and not verdict.passed_for(sender):
        if verdict.dmarc == "pass":
            return (f"sender authentication failed: dmarc=pass is for {verdict.dmarc_domain or 'no domain'}, "
                    f"not the sender's domain")
        if verdict.dmarc in ("fail", "permerror") or required:
            return f"sender authentication failed: dmarc={verdict.dmarc}"
    if required and not verdict.passed_for(sender):
        return "sender not authenticated: no dmarc=pass from our receiving server for the sender's domain"
    return None
