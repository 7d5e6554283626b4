"""The console's FastAPI application: server-rendered pages, their JSON twins, the writes.

Every write is a POST form carrying the session's CSRF token; it runs the same domain
function the CLI runs (decisions, replies.quarantine, corrections, pack) and records an
audit entry in the same transaction. Pages render with autoescaping on: nothing from
mail is ever live HTML.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from planwarden.core.config import Config
from planwarden.core.db import session_factory
from planwarden.plan.rag import STYLES, display
from planwarden.web import routes
from planwarden.web.context import Forbidden, FormExpired, NeedLogin, NotFound, back, load_user
from planwarden.web.sso import SsoSettings, from_env
from planwarden.web.security import LoginLimiter, Sessions, secret_key, secure_headers

HERE = Path(__file__).parent
#: the names of plan.rag (one vocabulary), by stored or shown value; "none" for the not rated
RAG_LABEL = {**{k: v[0] for k, v in STYLES.items()}, "none": STYLES[None][0]}


def rag_css() -> str:
    """The rating badges' colours, from plan.rag's STYLES (text colours meet WCAG AA on them)."""
    return "".join(f".pw-rag--{key or 'none'} {{ background: {bg}; color: {fg}; }}\n"
                   for key, (_name, bg, fg) in STYLES.items())


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
    templates.env.globals.update(rag_label=RAG_LABEL, quote=quote, rag_shown=display)
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
        to = "/login?" + urlencode({"next": _after_login(request)})
        if request.headers.get("hx-request"):  # htmx would put the login page's nothing in the table
            return Response(status_code=401, headers={"HX-Redirect": to})
        return RedirectResponse(to, status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        if isinstance(exc, FormExpired):
            return await _problem(request, 403, "This form has expired", str(exc))
        return await _problem(request, 403, "You cannot do that", str(exc))

    @app.exception_handler(routes.AlreadyDone)
    async def already_done(request: Request, exc: routes.AlreadyDone) -> Response:
        return back(request, exc.to, done=exc.said)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """An address with no page (404), or a form's address opened as a page (405): a page, not JSON."""
        if request.url.path.startswith("/api/"):
            return await http_exception_handler(request, exc)
        if exc.status_code == 405:
            return await _problem(request, 405, "Page not found", "This address is where a form sends its answer; "
                                                            "it is not a page to open.")
        if exc.status_code == 404:
            return await _problem(request, 404, "Page not found", "There is no page at this address.")
        return await _problem(request, exc.status_code, "Something went wrong", str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def bad_address(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith("/api/"):
            return await request_validation_exception_handler(request, exc)
        return await _problem(request, 404, "Page not found", "There is no page at this address.")

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return await _problem(request, 404, "Page not found", str(exc))

    routes.register(app)

    @app.get("/rating.css", include_in_schema=False)
    def rating_css() -> Response:
        return Response(rag_css(), media_type="text/css", headers={"Cache-Control": "max-age=3600"})

    @app.get("/metrics", include_in_schema=False)
    def metrics_text() -> Response:
        """For Prometheus (docs/operations.md): counts and timestamps per plan, no names or addresses."""
        from planwarden.orchestration import metrics

        with app.state.sessions() as session:
            body = metrics.render(session, config)
        return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")
    app.state.sso = None
    sso = sso or from_env()
    if sso is not None:
        from planwarden.web.sso import register
        register(app, sso, secret, https)
    return app


def _after_login(request: Request) -> str:
    """Where to go once logged in again: the page asked for (its filters too); for a form
    sent after the session ended, the page the form was on (the form's own address only
    takes a POST), as the Referer names it when it is this console's."""
    if request.method == "GET":
        return request.url.path + (f"?{request.url.query}" if request.url.query else "")
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc == request.url.netloc and referer.path.startswith("/") and referer.path != "/login":
        query = urlencode([(k, v) for k, v in parse_qsl(referer.query) if k not in ("done", "error", "field")])
        return referer.path + (f"?{query}" if query else "")
    return "/"


async def _problem(request: Request, status: int, title: str, detail: str) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": detail}, status_code=status)
    user, csrf = await run_in_threadpool(_who, request)
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, "problem.html", {"title": title, "detail": detail, "user": user,
                                                                "csrf": csrf, "path": request.url.path},
                                      status_code=status)


def _who(request: Request) -> tuple[Any, str]:
    """The logged-in user and their CSRF token, for the problem page's header and navigation
    (a member refused a page can still move on or log out); (None, "") without a session."""
    try:
        user, data = load_user(request)
    except NeedLogin:
        return None, ""
    return user, str(data.get("csrf") or "")


def _long_date(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    return f"{value.day} {value:%B %Y}"


