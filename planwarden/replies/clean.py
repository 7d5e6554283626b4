"""Trimming a reply to what the owner wrote this time.

What comes off, in this order: everything from the first quoted-history header
(Outlook ``From: … Sent: …`` blocks and ``-----Original Message-----``, Gmail and Apple
``On … wrote:``, forwarded-message banners), ``>`` quoted lines, phone footers ("Get
Outlook for iOS", "Sent from my iPhone"), protective markings ("OFFICIAL"), the
signature after ``-- ``, common email disclaimers, and a closing sign-off with the name
block under it. Neither quotequail nor mail-parser-reply knows the phone footers, so
these rules are our own; each is a named pattern so a new client's quirk is one line.
"""

from __future__ import annotations

import re

from planwarden.replies.htmltext import QUOTE_MARK

# A line that starts the quoted history: everything from it on is dropped.
_HISTORY_START = [
    re.compile(r"^-{2,}\s*(?:original message|message d'origine|ursprüngliche nachricht)\s*-{2,}\s*$", re.I),
    re.compile(r"^-{2,}\s*forwarded message\s*-{2,}\s*$", re.I),
    re.compile(r"^begin forwarded message:\s*$", re.I),
    re.compile(r"^_{10,}\s*$"),  # Outlook's rule above the From:/Sent: block
    re.compile(r"^(?:on|le|am)\s.{0,300}(?:wrote|a écrit|schrieb)\s*:\s*$", re.I | re.S),
    re.compile(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}.{0,200}<[^>]+@[^>]+>.{0,40}:\s*$"),  # "14/12/2022 09:00, X <x@y> :"
]
# Outlook's header block: "From:" followed within a few lines by "Sent:"/"Date:".
_FROM = re.compile(r"^\s*\*?(?:from|von|de)\s*\*?\s*:\s*\S", re.I)
_SENT = re.compile(r"^\s*\*?(?:sent|date|gesendet|envoyé|datum)\s*\*?\s*:\s*\S", re.I)
_TO_OR_SUBJECT = re.compile(r"^\s*\*?(?:to|subject|cc|an|betreff|à|objet)\s*\*?\s*:", re.I)
# Lines that are never part of an update.
_FOOTER = re.compile(
    r"^\s*(?:get outlook for (?:ios|android|mac|windows)\b.*|sent from (?:my |the )?(?:iphone|ipad|android|"
    r"samsung|galaxy|mobile|blackberry|outlook|mail for windows|yahoo mail|huawei|pixel|phone|smartphone)\b.*"
    r"|sent from outlook for (?:ios|android)\b.*|sent with proton mail.*|download outlook for (?:ios|android).*"
    r"|get outlook for ios<https?://[^>]*>)\s*$", re.I)
_MARKING = re.compile(r"^\s*(?:\[?\s*)?(?:official(?:[\s-]*sensitive)?|not protectively marked|unclassified|"
                      r"classification\s*:\s*official(?:[\s-]*sensitive)?)(?:\s*\]?)\s*$", re.I)
_SIG_DELIMITER = re.compile(r"^-- ?$")
_RULE_LINE = re.compile(r"^\s*[*_=~#\-]{3,}\s*$")
_DISCLAIMER = re.compile(
    r"^\s*(?:\**\s*)?(?:disclaimer\b|confidentiality (?:notice|statement|warning)|important\s*[:\-–]\s*this "
    r"|this (?:e-?mail|message|communication)(?: and any (?:files|attachments)[^.]{0,80}?)?"
    r"(?:\s*\([^)]*\))?(?:,[^.]{0,80}?)? (?:is|are|may be|contains?|and any)\b[^.]{0,120}?"
    r"(?:confidential|privileged|intended (?:solely|only)|monitored|recorded)"
    r"|the information (?:contained )?in this (?:e-?mail|message|communication)"
    r"|if you (?:are not the intended recipient|have received this (?:e-?mail|message|communication) in error)"
    r"|please consider the environment before printing|think before you print"
    r"|this (?:e-?mail|message) has been (?:scanned|checked|swept)"
    r"|(?:all )?(?:e-?mail|communications?) (?:sent to or from|traffic)[^.]{0,60}?(?:monitored|recorded)"
    r"|(?:the )?views (?:or opinions )?expressed in this (?:e-?mail|message)"
    r"|any views or opinions (?:presented|expressed) in this)", re.I)
_SIGN_OFF = re.compile(
    r"^\s*(?:kind(?:est)? regards|best regards|warm regards|regards|many thanks|thanks(?: again| very much)?|"
    r"thank you|best wishes|all the best|best|cheers|sincerely|yours sincerely|yours faithfully|"
    r"with thanks|speak soon|ta|thx|rgds|kr|br)[\s,.!]*$", re.I)
_GREETING = re.compile(r"^\s*(?:hi|hello|hey|dear|morning|good (?:morning|afternoon|evening))\b[^\n]{0,60}$", re.I)


def _history_start(lines: list[str]) -> int | None:
    """Index of the first line of quoted history, or None."""
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped == QUOTE_MARK:
            return i
        if any(p.match(stripped) for p in _HISTORY_START):
            return i
        # Gmail wraps long "On …, Name <addr> wrote:" lines over two or three lines.
        joined = " ".join(x.strip() for x in lines[i:i + 3])
        if re.match(r"^on\s", stripped, re.I) and re.search(r"\bwrote:\s*$", " ".join(x.strip() for x in lines[i:i + 2]), re.I):
            return i
        if re.match(r"^on\s", stripped, re.I) and re.match(r"^on\s.{0,300}\bwrote:\s*$", joined, re.I):
            return i
        if _FROM.match(line) and _outlook_block(lines, i):
            return i
    return None


def _outlook_block(lines: list[str], i: int) -> bool:
    following = [x for x in lines[i + 1:i + 6] if x.strip()]
    return any(_SENT.match(x) for x in following[:4]) or (
        len(following) >= 2 and all(_TO_OR_SUBJECT.match(x) or _SENT.match(x) for x in following[:2]))


def strip_history(text: str) -> str:
    """Drop quoted history. A reply written *under* the quote (bottom-posting) is kept."""
    lines = text.split("\n")
    start = _history_start(lines)
    if start is not None:
        above = "\n".join(lines[:start])
        if _has_words(_drop_quoted(above)):
            lines = lines[:start]
        else:  # nothing above the quote: the owner wrote below it, between or after quoted lines
            lines = [x for x in lines[start + 1:]]
            rest_start = _history_start(lines)
            if rest_start is not None:
                lines = lines[:rest_start]
    return _drop_quoted("\n".join(lines))


def _drop_quoted(text: str) -> str:
    return "\n".join(x for x in text.split("\n") if not x.lstrip().startswith(">"))


def _has_words(text: str) -> bool:
    return bool(re.search(r"\w", text))


def strip_footers(text: str) -> str:
    """Phone footers, protective markings, the ``-- `` signature, disclaimers, sign-off block."""
    # Matched on the stripped line: the same result, and a line of 40,000 spaces cannot make the
    # patterns' optional leading parts backtrack for minutes.
    lines = [x for x in text.split("\n") if not _FOOTER.match(x.strip()) and not _MARKING.match(x.strip())]
    for i, line in enumerate(lines):
        if _SIG_DELIMITER.match(line):
            lines = lines[:i]
            break
    for i, line in enumerate(lines):
        if _DISCLAIMER.match(line.strip()) and i > 0:
            lines = lines[:i]
            break
    while lines and (not lines[-1].strip() or _RULE_LINE.match(lines[-1])):
        lines.pop()
    return _strip_sign_off(lines)


def _strip_sign_off(lines: list[str]) -> str:
    """'Kind regards' followed only by a short name/title block ends the update."""
    for i in range(len(lines) - 1, -1, -1):
        if _SIGN_OFF.match(lines[i]):
            tail = [x for x in lines[i + 1:] if x.strip()]
            if len(tail) <= 8 and all(len(x.strip()) <= 80 for x in tail) and i > 0:
                return "\n".join(lines[:i])
            break
    # A name block with the sign-off on the same line as the last sentence is left as written.
    return "\n".join(lines)


def strip_greeting(text: str) -> str:
    lines = text.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    first = lines[0].strip() if lines else ""
    if (len(lines) > 1 and _GREETING.match(first)
            and (first.endswith((",", "!")) or len(first.split()) <= 3)):
        lines.pop(0)
    return "\n".join(lines)


def tidy(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").replace("\u200b", "")
    text = "\n".join(line.rstrip(" \t") for line in text.split("\n"))  # linear, whatever the run of spaces
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def clean_reply(text: str) -> str:
    """The owner's own words from a reply body (already decoded, HTML already text)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = strip_history(text)
    text = strip_footers(text)
    text = strip_greeting(tidy(text))
    return tidy(text)
