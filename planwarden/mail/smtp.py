"""SMTP transport (smtplib): one connection per batch, STARTTLS or implicit TLS.

How replies from the server become outcomes (``Delivery.outcome``):

- connection refused / timeout / TLS or login failure before the first message →
  ``TransportUnavailable``: nothing was attempted, every message stays queued;
- 5xx for the sender, the data, or every recipient → ``failed`` (permanent);
- 5xx for some recipients while others were accepted → ``sent`` with ``refused``;
- 4xx → ``retry``;
- 421 or a dropped connection mid-batch → the message is tried once more on a fresh
  connection; if that cannot be had, it and the rest of the batch → ``retry``.

Credentials come from the environment variables named in the settings, never the file.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Callable, Sequence

from planwarden.core.config import SmtpSettings
from planwarden.mail.credentials import login, source
from planwarden.mail.transport import Delivery, OutgoingMail, TransportUnavailable

OnResult = Callable[[int, Delivery], None]
_NETWORK = (OSError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError)


class _Reconnect(Exception):
    """The connection dropped (or the server said 421) while sending this message."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def _text(code: int, message: bytes | str) -> str:
    msg = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {msg}".strip()


class SmtpTransport:
    name = "smtp"

    def __init__(self, settings: SmtpSettings, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.settings = settings
        self.ssl_context = ssl_context

    # ------------------------------------------------------------------ connection

    def _credentials(self) -> tuple[str, str] | None:
        s = self.settings
        if not (s.username_env or s.username_block):
            return None
        return login(s, "smtp", TransportUnavailable)

    def connect(self) -> smtplib.SMTP:
        """An open, authenticated connection, or ``TransportUnavailable`` saying why not."""
        s = self.settings
        where = f"{s.host}:{s.port}"
        context = self.ssl_context or ssl.create_default_context()
        creds = self._credentials()
        try:
            if s.security == "ssl":
                conn: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
            else:
                conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            conn.ehlo()
            if s.security == "starttls":
                conn.starttls(context=context)
                conn.ehlo()
            if creds:
                conn.login(*creds)
        except smtplib.SMTPAuthenticationError as exc:
            raise TransportUnavailable(f"SMTP login to {where} refused ({exc.smtp_code}): check the credentials in "
                                       f"{source(s.username_env, s.username_block)} / "
                                       f"{source(s.password_env, s.password_block)}") from None
        except smtplib.SMTPNotSupportedError:
            raise TransportUnavailable(f"SMTP server {where} does not offer STARTTLS") from None
        except ssl.SSLError as exc:
            raise TransportUnavailable(f"TLS with {where} failed: {exc.reason or exc}") from None
        except smtplib.SMTPResponseException as exc:
            raise TransportUnavailable(f"SMTP server {where} said {_text(exc.smtp_code, exc.smtp_error)}") from None
        except _NETWORK as exc:
            reason = (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)) or type(exc).__name__
            raise TransportUnavailable(f"cannot reach SMTP server {where}: {reason}") from None
        return conn

    # ------------------------------------------------------------------ sending

    def send(self, batch: Sequence[OutgoingMail], on_result: OnResult | None = None) -> list[Delivery]:
        if not batch:
            return []
        conn: smtplib.SMTP | None = self.connect()
        reconnected = False
        results: list[Delivery] = []
        try:
            for mail in batch:
                delivery: Delivery | None = None
                while delivery is None:
                    if conn is None:
                        delivery = Delivery("retry", "SMTP connection lost and could not be re-opened")
                        break
                    try:
                        delivery = self._send_one(conn, mail)
                    except _Reconnect as lost:
                        _close(conn)
                        conn = None
                        if reconnected:
                            delivery = Delivery("retry", f"SMTP connection lost again: {lost.detail}")
                            break
                        reconnected = True
                        try:
                            conn = self.connect()
                        except TransportUnavailable as exc:
                            delivery = Delivery("retry", f"{lost.detail}; reconnect failed: {exc}")
                results.append(delivery)
                if on_result:
                    on_result(mail.outbox_id, delivery)
        finally:
            if conn is not None:
                _quit(conn)
        return results

    def _send_one(self, conn: smtplib.SMTP, mail: OutgoingMail) -> Delivery:
        if not mail.recipients:
            return Delivery("failed", "no recipients")
        try:
            refused = conn.sendmail(mail.sender, list(mail.recipients), mail.raw)
        except smtplib.SMTPRecipientsRefused as exc:  # nobody accepted
            if conn.sock is None:  # 421 at RCPT: smtplib closed the connection
                raise _Reconnect(_refusals(exc.recipients)) from None
            texts = {addr: _text(code, msg) for addr, (code, msg) in exc.recipients.items()}
            transient = any(400 <= code < 500 for code, _ in exc.recipients.values())
            return Delivery("retry" if transient else "failed", "; ".join(f"{a}: {t}" for a, t in texts.items()),
                            refused={} if transient else texts)
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            detail = _text(exc.smtp_code, exc.smtp_error)
            if exc.smtp_code == 421 or conn.sock is None:
                raise _Reconnect(detail) from None
            return Delivery("failed" if 500 <= exc.smtp_code < 600 else "retry", detail)
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code == 421 or conn.sock is None:
                raise _Reconnect(_text(exc.smtp_code, exc.smtp_error)) from None
            return Delivery("failed" if exc.smtp_code >= 500 else "retry", _text(exc.smtp_code, exc.smtp_error))
        except smtplib.SMTPServerDisconnected as exc:
            raise _Reconnect(f"connection lost: {exc or type(exc).__name__}") from None
        except smtplib.SMTPException as exc:  # e.g. the server lacks an extension the message needs
            return Delivery("failed", f"{type(exc).__name__}: {exc}")
        except (OSError, socket.timeout) as exc:
            raise _Reconnect(f"connection lost: {type(exc).__name__}") from None
        if refused:
            return Delivery("sent", "accepted for some recipients",
                            refused={addr: _text(code, msg) for addr, (code, msg) in refused.items()})
        return Delivery("sent")


def _refusals(recipients: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(_text(code, msg) for code, msg in recipients.values())


def _close(conn: smtplib.SMTP) -> None:
    try:
        conn.close()
    except OSError:
        pass


def _quit(conn: smtplib.SMTP) -> None:
    try:
        conn.quit()
    except (smtplib.SMTPException, OSError):
        _close(conn)
