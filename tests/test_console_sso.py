"""Single sign-on over OpenID Connect, against a real local provider (oidc-provider-mock).

The console redirects to the provider, the provider (its form posted as a person would)
redirects back with a code, the console exchanges it, checks the ID token and logs in the
account with that email; an unknown email gets no session.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from servers import free_port

EXAMPLE = Path(__file__).resolve().parents[1] / "config" / "examples" / "jtai" / "planwarden.toml"


@pytest.fixture
def console_with_sso(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    oidc = pytest.importorskip("oidc_provider_mock")
    import uvicorn

    from planwarden.core.config import load_config
    from planwarden.core.db import session_scope
    from planwarden.web.accounts import add_user
    from planwarden.web.app import create_app
    from planwarden.web.sso import SsoSettings

    monkeypatch.setenv("PLANWARDEN_CONFIG", str(EXAMPLE))
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", sqlite_url)
    config = load_config()
    with session_scope(config.database_url) as s:
        add_user(s, "rachel@example.org", "Rachel Hughes", "secretary", None)  # single sign-on only
    with oidc.run_server_in_thread() as provider:
        issuer = f"http://localhost:{provider.server_port}"
        app = create_app(config, secret="test", sso=SsoSettings(f"{issuer}/.well-known/openid-configuration",
                                                                "planwarden-console", "not-a-real-secret"))
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(10)


def _sign_in(console: str, email: str) -> tuple[httpx.Client, httpx.Response]:
    client = httpx.Client(base_url=console)
    assert "Sign in with Microsoft" in client.get("/login").text
    to_provider = client.get("/login/sso")
    assert to_provider.status_code == 302
    authorize = to_provider.headers["location"]
    assert "nonce=" in authorize and "state=" in authorize
    back = httpx.post(authorize, data={"sub": email})  # the provider's form, as the person fills it in
    assert back.status_code == 302, back.text[:500]
    return client, client.get(back.headers["location"])


def test_single_sign_on_logs_in_the_account_with_that_email(console_with_sso: str) -> None:
    client, done = _sign_in(console_with_sso, "rachel@example.org")
    with contextlib.closing(client):
        assert done.status_code == 303 and done.headers["location"] == "/"
        me = client.get("/api/me").json()
        assert (me["email"], me["role"]) == ("rachel@example.org", "secretary")


def test_single_sign_on_refuses_an_email_without_an_account(console_with_sso: str) -> None:
    client, done = _sign_in(console_with_sso, "stranger@example.org")
    with contextlib.closing(client):
        assert done.status_code == 403 and "no console account for stranger@example.org" in done.text
        assert client.get("/api/me").status_code == 401


def test_a_forged_callback_is_refused(console_with_sso: str) -> None:
    with httpx.Client(base_url=console_with_sso) as client:
        client.get("/login/sso")
        forged = client.get("/login/sso/callback", params={"code": "stolen", "state": "guessed"})
        assert forged.status_code == 401 and re.search("did not complete", forged.text)
        assert client.get("/api/me").status_code == 401
