"""Sessions, CSRF tokens, the login rate limit and secure headers.

Sessions live in a signed cookie (itsdangerous) that expires after ``SESSION_HOURS``;
the signing key comes from ``PLANWARDEN_WEB_SECRET`` (a random one per process when
unset: sessions then end when the console restarts). Each session carries its own CSRF
token; every form posts it back and a write without it is refused (403).
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
import threading
import time
from collections import defaultdict, deque
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

SECRET_ENV = "PLANWARDEN_WEB_SECRET"
COOKIE = "planwarden_session"
SESSION_HOURS = 8
SAID_MAX_AGE_S = 3600  # what a write's answer page says, signed in its address, for an hour
LOGIN_ATTEMPTS, LOGIN_WINDOW_S = 5, 300
IP_FACTOR = 4  # one office behind one address: 20 failures from it before it waits
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'")

log = logging.getLogger(__name__)


def secret_key() -> str:
    key = os.environ.get(SECRET_ENV)
    if key:
        return key
    log.warning("%s is not set: sessions end when the console restarts", SECRET_ENV)
    return secrets.token_urlsafe(32)


class Sessions:
    """Signed, expiring session cookies holding the user id and the CSRF token."""

    def __init__(self, secret: str, max_age_s: int = SESSION_HOURS * 3600) -> None:
        self._s = URLSafeTimedSerializer(secret, salt="planwarden-session")
        self._said = URLSafeTimedSerializer(secret, salt="planwarden-said")
        self.max_age_s = max_age_s

    def read(self, cookie: str | None) -> dict[str, Any]:
        if not cookie:
            return {}
        try:
            data = self._s.loads(cookie, max_age=self.max_age_s)
        except BadSignature:  # includes SignatureExpired
            return {}
        return data if isinstance(data, dict) else {}

    def write(self, data: dict[str, Any]) -> str:
        return self._s.dumps(data)

    def say(self, message: dict[str, Any]) -> str:
        """What a write's answer page says (done, error, field), signed: a link made
        elsewhere cannot put its own words in the console's green or red banner."""
        return self._said.dumps(message)

    def heard(self, token: str | None) -> dict[str, Any]:
        if not token:
            return {}
        try:
            data = self._said.loads(token, max_age=SAID_MAX_AGE_S)
        except BadSignature:
            return {}
        if not isinstance(data, dict):
            return {}
        return {k: ({str(a): str(b) for a, b in v.items()} if isinstance(v, dict) else str(v)) for k, v in data.items()}


def new_session(user_id: int | None, version: int = 0) -> dict[str, Any]:
    """``v``: the user's session version when it was made; logging out raises the version,
    so a copy of the cookie kept from before (a shared PC, a stolen cookie) stops working."""
    return {"uid": user_id, "csrf": secrets.token_urlsafe(24), "v": version}


def csrf_ok(session: dict[str, Any], sent: str | None) -> bool:
    expected = session.get("csrf")
    return bool(expected and sent and hmac.compare_digest(str(expected), str(sent)))


class LoginLimiter:
    """At most LOGIN_ATTEMPTS failed logins per email (four times as many per address) in LOGIN_WINDOW_S seconds."""

    def __init__(self, attempts: int = LOGIN_ATTEMPTS, window_s: float = LOGIN_WINDOW_S) -> None:
        self.attempts, self.window_s = attempts, window_s
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures[key]
        while q and q[0] < now - self.window_s:
            q.popleft()
        return q

    def blocked(self, *keys: str) -> bool:
        now = time.monotonic()
        with self._lock:
            return any(len(self._recent(k, now)) >= self.attempts * (IP_FACTOR if k.startswith("ip:") else 1)
                       for k in keys)

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for k in keys:
                self._recent(k, now).append(now)

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for k in keys:
                self._failures.pop(k, None)


def secure_headers(https: bool) -> dict[str, str]:
    headers = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
               "Referrer-Policy": "same-origin", "Cross-Origin-Opener-Policy": "same-origin",
               "Permissions-Policy": "camera=(), microphone=(), geolocation=()"}
    if https:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers
