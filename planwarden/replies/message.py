"""Raw reply bytes -> a ``ParsedMail``: headers, sender, ids, body text, attachments.

Replies arrive from every client there is (Outlook desktop and mobile, Gmail, Apple
Mail), in any charset and transfer encoding, and sometimes broken. ``parse`` never
raises: whatever cannot be read is recorded in ``flags`` and the rest is returned, so
the policy can still decide (usually: quarantine, with the original bytes kept).
"""

from __future__ import annotations

import codecs
import datetime as dt
import email
import email.message
import email.policy
import email.utils
import hashlib
import re
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.headerregistry import HeaderRegistry
from typing import Any

from planwarden.core.text import safe_text
from planwarden.replies.htmltext import html_to_text

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024  # one attachment kept as evidence up to this size
MAX_ATTACHMENTS_BYTES = 25 * 1024 * 1024  # all of one message's attachments together
MAX_BODY_CHARS = 200_000  # nobody writes a longer update; longer text is cut and flagged
CUT_FLAG = "body longer than the limit: cut"
BINARY_FLAG = "body is not text (over 5% control characters)"
_MSGID = re.compile(r"<[^<>\s]+>")
# Charsets that mail clients declare while actually writing Windows-1252 (Outlook).
_CP1252_ALIASES = {"us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1", "iso8859-1", "windows-1252", "cp1252"}


@dataclass
class DeliveryFailure:
    """One recipient of a delivery-status report (RFC 3464)."""

    recipient: str
    action: str  # failed | delayed | delivered | relayed | expanded
    status: str
    diagnostic: str


@dataclass
class AttachmentPart:
    filename: str
    content_type: str
    size: int
    sha256: str
    data: bytes | None  # None when over the size limit (the original message still holds it)
    note: str = ""


@dataclass
class ParsedMail:
    message_id: str
    synthetic_id: bool
    sha256: str
    subject: str = ""
    sender: str = ""  # the From addr-spec, lower case ("" when there is none or it is not strictly readable)
    sender_name: str = ""
    sender_problem: str | None = None  # why the sender cannot be trusted as read (quarantine reason)
    date: dt.datetime | None = None  # the message's own Date (aware), None when missing or unreadable
    receipt: bool = False  # a read receipt / disposition notification (RFC 8098)
    calendar_method: str = ""  # an iCalendar part's METHOD (REPLY: an attendee's accept/decline, RFC 6047)
    return_path: str | None = None  # None: no header; "": the null path "<>" (a bounce)
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    headers: dict[str, list[str]] = field(default_factory=dict)  # lower-case name -> values
    text: str = ""
    html_only: bool = False
    html_text: str = ""  # the HTML version as text when a plain one was read instead (what the owner saw)
    attachments: list[AttachmentPart] = field(default_factory=list)
    delivery_status: list[DeliveryFailure] | None = None  # set for multipart/report delivery-status
    reported_message_ids: list[str] = field(default_factory=list)  # the bounced message's Message-ID
    flags: list[str] = field(default_factory=list)

    def header(self, name: str) -> str:
        values = self.headers.get(name.lower())
        return values[0] if values else ""

    def all(self, name: str) -> list[str]:
        return self.headers.get(name.lower(), [])

    @property
    def parent_ids(self) -> list[str]:
        """Message-IDs this replies to, most specific first (In-Reply-To, then References newest first)."""
        seen: dict[str, None] = {}
        for mid in [*self.in_reply_to, *reversed(self.references)]:
            seen.setdefault(mid, None)
        return list(seen)


def is_bounce(mail: ParsedMail) -> bool:
    """A delivery report (RFC 3464), or a mailer-daemon's plain-text "undeliverable"."""
    if mail.delivery_status is not None:
        return True
    local = mail.sender.split("@", 1)[0]
    return local in ("mailer-daemon", "postmaster", "mail-daemon") and bool(re.search(
        r"undeliver|delivery (?:status|failure|has failed)|returned mail|failure notice|could not be delivered"
        r"|mail delivery (?:failed|subsystem)", mail.subject, re.I))


_BINARY = re.compile("[\x00-\x08\x0e-\x1f]")  # bytes no text holds: a body with many is binary data


def auto_submitted(headers: dict[str, list[str]]) -> list[str]:
    """Every Auto-Submitted keyword, lower case: a second header must not hide the first."""
    return [v.split(";")[0].strip().lower() for v in headers.get("auto-submitted", []) if v.strip()]


def synthetic_id(raw: bytes) -> str:
    return f"<{hashlib.sha256(raw).hexdigest()[:40]}@planwarden.synthetic>"


def normalise_message_id(value: str) -> str | None:
    """``<id@host>`` (the first one written), or None when the header holds no id."""
    found = _MSGID.search(value or "")
    if found:
        mid = found.group(0)
    else:
        bare = (value or "").strip().split()
        if not bare or "@" not in bare[0]:
            return None
        mid = f"<{bare[0].strip('<>')}>"
    if len(mid) > 900:  # the column holds 998; an absurd id is still unique by its hash
        mid = f"<{hashlib.sha256(mid.encode('utf-8', 'replace')).hexdigest()}@planwarden.long-id>"
    return mid


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Bytes in a declared charset; unknown or wrong charsets fall back without failing.

    ASCII or no charset: UTF-8 first (8-bit text sent undeclared is nearly always UTF-8),
    then Windows-1252. Latin-1 declared: Windows-1252, which Outlook actually writes.
    """
    name = (charset or "").strip().strip('"').lower()
    if name in ("", "us-ascii", "ascii"):
        candidates = ["utf-8", "cp1252", "latin-1"]
    elif name in _CP1252_ALIASES:
        candidates = ["cp1252", "latin-1"]
    else:
        candidates = [name, "utf-8", "cp1252", "latin-1"]
    for candidate in candidates:
        try:
            codecs.lookup(candidate)
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    return data.decode("utf-8", errors="replace")


def _header_text(value: Any) -> str:
    """A header as readable text: RFC 2047 words decoded, raw 8-bit bytes guessed (UTF-8, cp1252)."""
    if value is None:
        return ""
    try:
        if isinstance(value, str) and any("\udc80" <= ch <= "\udcff" for ch in value):
            return decode_bytes(value.encode("ascii", "surrogateescape"), "utf-8").strip()
        text = str(make_header(decode_header(str(value))))
    except Exception:  # noqa: BLE001 - any malformed encoded word: keep the raw text
        try:
            text = str(value)
        except Exception:  # noqa: BLE001
            return ""
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        text = decode_bytes(text.encode("utf-8", "surrogateescape"), "utf-8")
    return " ".join(text.split())


def _headers(msg: email.message.Message, flags: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    try:
        items = msg._headers  # raw (name, value) pairs: never re-parsed, never raises
    except AttributeError:
        return out
    for name, value in items:
        try:
            out.setdefault(safe_text(str(name)).strip().lower(), []).append(safe_text(_header_text(value)))
        except Exception:  # noqa: BLE001
            flags.append(f"unreadable header {name!r}")
    return out


def parse(raw: bytes) -> ParsedMail:
    """Parse one message. Never raises."""
    digest = hashlib.sha256(raw).hexdigest()
    mail = ParsedMail(message_id="", synthetic_id=True, sha256=digest)
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    except Exception as exc:  # noqa: BLE001 - the parser is lenient, but be certain
        mail.flags.append(f"not a readable email message ({type(exc).__name__})")
        mail.message_id = synthetic_id(raw)
        mail.text = safe_text(decode_bytes(raw[:MAX_BODY_CHARS], "utf-8"))
        return mail
    for defect in getattr(msg, "defects", [])[:5]:
        mail.flags.append(f"malformed: {type(defect).__name__}")
    mail.headers = _headers(msg, mail.flags)
    _read_envelope(mail, raw, _raw_values(msg, "from"), _raw_values(msg, "sender"))
    try:
        _read_body(mail, msg)
    except Exception as exc:  # noqa: BLE001 - keep going with what there is
        mail.flags.append(f"body could not be read ({type(exc).__name__})")
    if len(_BINARY.findall(mail.text[:MAX_BODY_CHARS])) * 20 > min(len(mail.text), MAX_BODY_CHARS) > 0:
        mail.flags.append(BINARY_FLAG)
    mail.text = safe_text(mail.text)
    if len(mail.text) > MAX_BODY_CHARS:
        mail.text = mail.text[:MAX_BODY_CHARS]
        mail.flags.append(CUT_FLAG)
    return mail


def _read_envelope(mail: ParsedMail, raw: bytes, msg_from: list[str], msg_sender: list[str]) -> None:
    mid = normalise_message_id(mail.header("message-id"))
    if mid:
        mail.message_id, mail.synthetic_id = mid, False
    else:
        mail.message_id = synthetic_id(raw)
        mail.flags.append("no Message-ID: a synthetic one was made from the message bytes")
    mail.subject = mail.header("subject")
    read_sender(mail, msg_from, msg_sender)
    mail.date = _date(mail.header("date"))
    if "return-path" in mail.headers:
        mail.return_path = mail.header("return-path").strip().strip("<>").strip().lower()
    mail.in_reply_to = _MSGID.findall(mail.header("in-reply-to"))
    mail.references = _MSGID.findall(" ".join(mail.all("references")))


# --------------------------------------------------------------------------- sender

_ADDRESS_LIKE = re.compile(r"[^\s<>\"'(),;:@]+@[^\s<>\"'(),;:@]+\.[^\s<>\"'(),;:@]+")
_ADDR_SPEC = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
_REGISTRY = HeaderRegistry()


def _raw_values(msg: email.message.Message, name: str) -> list[str]:
    """A header's values exactly as written (encoded words not yet decoded)."""
    try:
        return [str(v) for k, v in msg._headers if str(k).lower() == name]
    except Exception:  # noqa: BLE001
        return []


def unfold(value: str) -> str:
    """A header value as one line (RFC 5322 2.2.3): Outlook folds a long From before its ``<addr>``."""
    return re.sub(r"\r?\n(?=[ \t])", "", value)


def _mailboxes(value: str) -> tuple[list[tuple[str, str]], bool]:
    """[(display name, addr-spec)] read by the RFC 5322 parser, and whether it found a defect.

    Group syntax (``Owners: a@x;``) is a defect here: From and Sender hold mailboxes only.
    """
    try:
        header = _REGISTRY("From", unfold(value).encode("ascii", "surrogateescape").decode("utf-8", "replace"))
        found = [(a.display_name or "", a.addr_spec or "") for a in header.addresses]
        grouped = any(g.display_name is not None for g in header.groups)
    except Exception:  # noqa: BLE001 - unreadable: treated as a defect
        return [], True
    return found, grouped or any(not type(d).__name__.startswith("Obsolete") for d in header.defects)


def read_sender(mail: ParsedMail, from_values: list[str], sender_values: list[str]) -> None:
    """The one From mailbox, addr-spec only; anything ambiguous sets ``sender_problem``.

    Never an address out of a display name (decoded or not): a display name that shows an
    address other than the addr-spec, several From mailboxes, a Sender that differs, or a
    From the strict parser cannot read all leave the reply for the secretary.
    """
    if not from_values:
        mail.sender_problem = "sender: the message has no From header"
        return
    if len(from_values) > 1:
        mail.sender_problem = f"sender: the message has {len(from_values)} From headers"
        return
    boxes, defect = _mailboxes(from_values[0])
    boxes = [b for b in boxes if b[1]]
    if len(boxes) > 1:
        mail.sender_problem = "sender: the From header names several mailboxes (" + ", ".join(
            b[1].lower() for b in boxes[:4]) + ")"
        return
    if not boxes:
        mail.sender_problem = "sender: the message has no From address"
        return
    name, addr = boxes[0][0].strip(), boxes[0][1].strip().lower()
    mail.sender_name = safe_text(" ".join(_header_text(name).split()))
    shown = {a.lower().strip(".") for a in _ADDRESS_LIKE.findall(_header_text(from_values[0]))} - {addr}
    if defect or not _ADDR_SPEC.match(addr):
        mail.sender_problem = f"sender: the From header cannot be read strictly ({_header_text(from_values[0])[:120]!r})"
        return
    mail.sender = addr
    if shown:
        mail.sender_problem = (f"sender: the From display name shows {sorted(shown)[0]}, but the message is from "
                               f"{addr}")
        return
    _check_sender_header(mail, sender_values)


def _check_sender_header(mail: ParsedMail, sender_values: list[str]) -> None:
    if not sender_values:
        return
    boxes, _defect = _mailboxes(sender_values[0])
    addrs = {b[1].strip().lower() for b in boxes if b[1]}
    if len(sender_values) > 1:
        mail.sender_problem = f"sender: the message has {len(sender_values)} Sender headers"
    elif addrs != {mail.sender}:
        mail.sender_problem = (f"sender: the Sender header ({', '.join(sorted(addrs)) or 'unreadable'}) "
                               f"differs from From ({mail.sender})")


def _date(value: str) -> dt.datetime | None:
    try:
        when = email.utils.parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


# --------------------------------------------------------------------------- body


def _is_attachment(part: email.message.Message) -> bool:
    disposition = str(part.get("Content-Disposition", "") or "").split(";")[0].strip().lower()
    if disposition == "attachment":
        return True
    # A named text part is a file (Apple Mail sends an attached notes.txt "inline"): its words
    # are evidence, never the reply, so a rating written in it changes nothing.
    return part.get_content_maintype() not in ("text", "multipart", "message") or bool(part.get_filename())


DEEP_FLAG = "body could not be read (MIME parts nested over 20 deep)"


def _walk(part: email.message.Message, depth: int = 0, flags: list[str] | None = None) -> list[email.message.Message]:
    """Leaf parts in order, not descending into forwarded messages (they are attachments)."""
    if depth > 20:
        if flags is not None and DEEP_FLAG not in flags:
            flags.append(DEEP_FLAG)  # what lies deeper is not read: the reply is not read whole
        return []
    if part.is_multipart() and part.get_content_type() not in ("message/rfc822", "message/delivery-status"):
        leaves: list[email.message.Message] = []
        payload = part.get_payload()
        for sub in payload if isinstance(payload, list) else []:
            if isinstance(sub, email.message.Message):
                leaves.extend(_walk(sub, depth + 1, flags))
        return leaves
    return [part]


def _payload_bytes(part: email.message.Message) -> bytes:
    if part.get_content_type() == "message/rfc822" or part.get_content_maintype() == "multipart":
        return part.as_bytes() if hasattr(part, "as_bytes") else b""
    data = part.get_payload(decode=True)
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    return payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""


def _read_body(mail: ParsedMail, msg: email.message.Message) -> None:
    plain: list[str] = []
    html: list[str] = []
    kept = 0
    if msg.get_content_type() == "multipart/report":
        _read_report(mail, msg)
    mail.receipt = _is_receipt(msg)
    for part in _walk(msg, flags=mail.flags):
        ctype = part.get_content_type()
        if ctype in ("message/delivery-status", "text/rfc822-headers") and mail.delivery_status is not None:
            continue
        if ctype == "text/calendar":
            mail.calendar_method = mail.calendar_method or _calendar_method(part)
            kept = _attachment(mail, part, kept)
            continue
        if not _is_attachment(part) and ctype in ("text/plain", "text/html"):
            text = decode_bytes(_payload_bytes(part), part.get_content_charset())
            (plain if ctype == "text/plain" else html).append(text)
            continue
        if part is msg and ctype.startswith("text/"):
            plain.append(decode_bytes(_payload_bytes(part), part.get_content_charset()))
            continue
        kept = _attachment(mail, part, kept)
    if plain:
        mail.text = "\n\n".join(t for t in plain if t.strip()) or plain[0]
        if html:
            mail.html_text = safe_text("\n\n".join(html_to_text(h) for h in html))[:MAX_BODY_CHARS]
    elif html:
        mail.text, mail.html_only = "\n\n".join(html_to_text(h) for h in html), True
    mail.text = mail.text.replace("\r\n", "\n").replace("\r", "\n")


def _attachment(mail: ParsedMail, part: email.message.Message, kept: int) -> int:
    data = _payload_bytes(part)
    try:
        filename = _header_text(part.get_filename()) or ""
    except Exception:  # noqa: BLE001
        filename = ""
    if not filename and part.get_content_type() == "message/rfc822":
        filename = "forwarded-message.eml"
    filename = safe_text(re.sub(r"[\x00-\x1f/\\]+", "_", filename))[:255] or "attachment"
    size = len(data)
    keep = size <= MAX_ATTACHMENT_BYTES and kept + size <= MAX_ATTACHMENTS_BYTES
    note = "" if keep else (f"{size / 1_048_576:.1f} MB is over the {MAX_ATTACHMENT_BYTES // 1_048_576} MB "
                            "limit: not kept separately (the original message keeps it)")
    mail.attachments.append(AttachmentPart(filename, part.get_content_type(), size,
                                           hashlib.sha256(data).hexdigest(), data if keep else None, note))
    return kept + (size if keep else 0)


def _calendar_method(part: email.message.Message) -> str:
    """The iTIP method of a text/calendar part: its ``method`` parameter, else its METHOD line."""
    method = str(part.get_param("method") or "").strip()
    if not method:
        found = re.search(r"^METHOD:\s*([A-Za-z-]+)", decode_bytes(_payload_bytes(part), "utf-8"), re.M)
        method = found.group(1) if found else "unknown"
    return method.upper()[:40]


def _is_receipt(msg: email.message.Message) -> bool:
    """A read receipt (RFC 8098 MDN): a disposition-notification report, however nested."""
    return any(p.get_content_type() == "message/disposition-notification" for p in msg.walk()) or (
        msg.get_content_type() == "multipart/report"
        and str(msg.get_param("report-type") or "").lower() == "disposition-notification")


def _read_report(mail: ParsedMail, msg: email.message.Message) -> None:
    """RFC 3464: a multipart/report with a message/delivery-status part per recipient."""
    report_type = (msg.get_param("report-type") or "")
    if isinstance(report_type, tuple):
        report_type = report_type[2]
    if str(report_type).lower() != "delivery-status":
        return
    mail.delivery_status = []
    for part in _walk(msg):
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            _read_status_fields(mail, part)
        elif ctype in ("message/rfc822", "text/rfc822-headers"):
            mail.reported_message_ids += _MSGID.findall(_reported_message_id(part))


def _reported_message_id(part: email.message.Message) -> str:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], email.message.Message):
            return str(inner[0].get("Message-ID", "") or "")
        return ""
    text = decode_bytes(_payload_bytes(part), "utf-8")
    found = re.search(r"^Message-ID:\s*(<[^>]+>)", text, re.I | re.M)
    return found.group(1) if found else ""


def _read_status_fields(mail: ParsedMail, part: email.message.Message) -> None:
    payload = part.get_payload()
    blocks: list[dict[str, str]] = []
    if isinstance(payload, list):  # the parser splits the fields into blocks of headers
        for block in payload:
            if isinstance(block, email.message.Message):
                blocks.append({k.lower(): _header_text(v) for k, v in block.items()})
    else:
        text = decode_bytes(_payload_bytes(part), "utf-8")
        for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
            fields = dict((k.strip().lower(), v.strip()) for k, v in re.findall(r"^([\w-]+):(.*)$", chunk, re.M))
            blocks.append(fields)
    for fields in blocks:
        recipient = fields.get("final-recipient") or fields.get("original-recipient")
        if not recipient:
            continue
        address = recipient.split(";", 1)[-1].strip().strip("<>").lower()
        mail.delivery_status.append(DeliveryFailure(  # type: ignore[union-attr]
            address, (fields.get("action") or "").strip().lower(), fields.get("status", "").strip(),
            fields.get("diagnostic-code", "").strip()))
