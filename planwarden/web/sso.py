"""Optional single sign-on with Microsoft Entra ID (any OpenID Connect provider), through authlib.

Turned on by three environment variables (the secret never in a file):
``PLANWARDEN_SSO_METADATA_URL`` (for Entra ID
``https://login.microsoftonline.com/TENANT/v2.0/.well-known/openid-configuration``),
``PLANWARDEN_SSO_CLIENT_ID`` and ``PLANWARDEN_SSO_CLIENT_SECRET``. Signing in maps the
ID token's email (or Entra's ``preferred_username``) to an existing console account: no
account is made on the fly, so roles and plans stay the admin's decision.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

ENV = ("PLANWARDEN_SSO_METADATA_URL", "PLANWARDEN_SSO_CLIENT_ID", "PLANWARDEN_SSO_CLIENT_SECRET")
STATE_COOKIE = "planwarden_sso"


@dataclass(frozen=True)
class SsoSettings:
    metadata_url: str
    client_id: str
    client_secret: str
    label: str = "Sign in with Microsoft"


def from_env() -> SsoSettings | None:
    values = [os.environ.get(k, "").strip() for k in ENV]
    return SsoSettings(*values) if all(values) else None


def register(app: FastAPI, settings: SsoSettings, secret: str, https: bool) -> None:
    from authlib.integrations.starlette_client import OAuth
    from starlette.middleware.sessions import SessionMiddleware

    # authlib keeps the state and nonce of a sign-in in a short-lived signed cookie of its own.
    app.add_middleware(SessionMiddleware, secret_key=secret, session_cookie=STATE_COOKIE, max_age=600,
                       same_site="lax", https_only=https)
    oauth = OAuth()
    oauth.register("entra", server_metadata_url=settings.metadata_url, client_id=settings.client_id,
                   client_secret=settings.client_secret, client_kwargs={"scope": "openid email profile"})
    app.state.sso = settings

    @app.get("/login/sso")
    async def sso_start(request: Request) -> Response:
        return await oauth.entra.authorize_redirect(request, str(request.url_for("sso_callback")))

    @app.get("/login/sso/callback", name="sso_callback")
    async def sso_callback(request: Request) -> Response:
        from authlib.integrations.base_client.errors import OAuthError
        from fastapi.concurrency import run_in_threadpool

        from planwarden.web.login import login_error as _login_error
        from planwarden.web.login import set_cookie as _set_cookie
        from planwarden.web.security import new_session

        try:
            token = await oauth.entra.authorize_access_token(request)
        except OAuthError as exc:
            return _login_error(request, {}, "/", f"Single sign-on did not complete: {exc.description or exc.error}",
                                401)
        email = _email(token.get("userinfo") or {})
        user = await run_in_threadpool(_account, request, email)
        if user is None:
            return _login_error(request, {}, "/", f"There is no console account for {email or 'this sign-in'}: "
                                "ask an admin to add one.", 403)
        response = RedirectResponse("/", status_code=303)
        _set_cookie(request, response, new_session(user.id, user.session_version))
        return response


def _email(claims: dict[str, Any]) -> str:
    for key in ("email", "preferred_username", "upn"):
        value = str(claims.get(key) or "").strip().lower()
        if "@" in value:
            return value
    return ""


def _account(request: Request, email: str) -> Any:
    from planwarden.web import audit
    from planwarden.web.models import User

    if not email:
        return None
    s = request.app.state.sessions()
    try:
        user = s.scalar(select(User).where(func.lower(User.email) == email, User.disabled_at.is_(None)))
        if user is not None:
            audit.record(s, f"{user.name} <{user.email}>", "login", detail={"via": "single sign-on"})
            s.commit()
            s.expunge(user)
        return user
    finally:
        s.close()
