"""The console's FastAPI application: server-rendered pages, their JSON twins, the writes.

Every write is a POST form carrying the session's CSRF token; it runs the same domain
function the CLI runs (decisions, replies.quarantine, corrections, pack) and records an
audit entry in the same transaction. Pages render with autoescaping on: nothing from
mail is ever live HTML.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Depends, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlalchemy.orm import Session

from planwarden.core.config import Config
from planwarden.core.db import session_factory
from planwarden.web import accounts
from planwarden.web.models import User
from planwarden.web.sso import SsoSettings, from_env
from planwarden.web.security import COOKIE, LoginLimiter, Sessions, csrf_ok, secret_key, secure_headers

HERE = Path(__file__).parent
RAG_LABEL = {"red": "Red", "amber": "Amber", "green": "Green", None: "Not rated", "none": "Not rated"}


class NeedLogin(Exception):
    pass


class Forbidden(Exception):
    pass


class NotFound(Exception):
    pass


@dataclass
class Ctx:
    """One request: who is asking, their session, the posted form, and the way to the store."""

    request: Request
    user: User
    session: dict[str, Any]
    sessions: Callable[[], Session]
    config: Config
    form: dict[str, Any] = field(default_factory=dict)

    @contextlib.contextmanager
    def db(self) -> Iterator[Session]:
        s = self.sessions()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def plans(self) -> list[str]:
        return [p.key for p in self.config.plans if accounts.sees(self.user, p.key)]

    def see(self, plan_key: str) -> None:
        if plan_key not in [p.key for p in self.config.plans]:
            raise NotFound(f"no plan {plan_key}")
        if not accounts.sees(self.user, plan_key):
            raise Forbidden(f"you have not been given plan {plan_key}")

    def write(self, plan_key: str | None = None) -> str:
        """Refuse a write the user may not make; the actor name for history and audit."""
        if plan_key:
            self.see(plan_key)
        if not accounts.may_write(self.user, plan_key):
            raise Forbidden("your account can read but not change anything")
        return f"{self.user.name} <{self.user.email}>"

    @property
    def actor(self) -> str:
        return f"{self.user.name} <{self.user.email}>"


def create_app(config: Config, *, secret: str | None = None, https: bool = False,
               sso: SsoSettings | None = None) -> FastAPI:
    """The console; single sign-on when ``sso`` is given (default: from the environment)."""
    app = FastAPI(title="planwarden console", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.config = config
    secret = secret or secret_key()
    app.state.cookies = Sessions(secret)
    app.state.limiter = LoginLimiter()
    app.state.sessions = session_factory(config.database_url)
    app.state.https = https
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals.update(rag_label=RAG_LABEL, quote=quote)
    templates.env.filters["d"] = _long_date
    app.state.templates = templates
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Response:
        response = await call_next(request)
        for k, v in secure_headers(https).items():
            response.headers.setdefault(k, v)
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(NeedLogin)
    async def need_login(request: Request, exc: NeedLogin) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "log in first"}, status_code=401)
        return RedirectResponse("/login?" + urlencode({"next": request.url.path}), status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return _problem(request, 403, "You cannot do that", str(exc))

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return _problem(request, 404, "Page not found", str(exc))

    from planwarden.web import routes
    routes.register(app)
    app.state.sso = None
    sso = sso or from_env()
    if sso is not None:
        from planwarden.web.sso import register
        register(app, sso, secret, https)
    return app


def _problem(request: Request, status: int, title: str, detail: str) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": detail}, status_code=status)
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, "problem.html", {"title": title, "detail": detail, "user": None,
                                                                "csrf": ""}, status_code=status)


def _long_date(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    return f"{value.day} {value:%B %Y}"


def _load_user(request: Request) -> tuple[User, dict[str, Any]]:
    data = request.app.state.cookies.read(request.cookies.get(COOKIE))
    if not data.get("uid"):
        raise NeedLogin()
    s = request.app.state.sessions()
    try:
        user = s.get(User, int(data["uid"]))
        if user is None or user.disabled_at is not None:
            raise NeedLogin()
        s.expunge(user)
    finally:
        s.close()
    return user, data


def ctx(request: Request) -> Ctx:
    """A reading request: a logged-in user."""
    user, data = _load_user(request)
    return Ctx(request, user, data, request.app.state.sessions, request.app.state.config)


async def post_ctx(request: Request) -> Ctx:
    """A writing request: a logged-in user and the form, whose CSRF token must match the session's."""
    user, data = _load_user(request)
    form = await request.form()
    values = {k: (form.getlist(k) if len(form.getlist(k)) > 1 else form.get(k)) for k in form.keys()}
    if not csrf_ok(data, str(values.get("csrf_token") or request.headers.get("x-csrf-token") or "")):
        raise Forbidden("the form had no valid security token: reload the page and try again")
    return Ctx(request, user, data, request.app.state.sessions, request.app.state.config, values)


READ = Depends(ctx)
WRITE = Depends(post_ctx)


def page(c: Ctx, name: str, status: int = 200, **values: Any) -> HTMLResponse:
    templates: Jinja2Templates = c.request.app.state.templates
    base = {"user": c.user, "csrf": c.session.get("csrf", ""), "plans": c.plans(),
            "may_write": accounts.may_write(c.user), "done": c.request.query_params.get("done", ""),
            "path": c.request.url.path}
    return templates.TemplateResponse(c.request, name, {**base, **values}, status_code=status)


def back(to: str, done: str = "", error: str = "") -> RedirectResponse:
    """After a write: back to a page, with what happened (or what went wrong) to say."""
    query = urlencode({k: v for k, v in (("done", done), ("error", error)) if v})
    return RedirectResponse(to + ("?" + query if query else ""), status_code=303)


def download(path: Path, media_type: str, filename: str) -> FileResponse:
    if not path.is_file():
        raise NotFound("the file of this pack is no longer where it was stored")
    return FileResponse(path, media_type=media_type, filename=filename)


def user_by_email(s: Session, email: str) -> User | None:
    return s.scalar(select(User).where(User.email == email.strip().lower()))
