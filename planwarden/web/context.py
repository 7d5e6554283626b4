"""What every console page shares: who is asking (``Ctx``), the CSRF-checked form of a
write, rendering, redirects and downloads. Kept apart from ``app`` (which wires the
routes in) so that the routes import it without an import cycle."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlalchemy.orm import Session

from planwarden.core.config import Config
from planwarden.web import accounts
from planwarden.web.models import User
from planwarden.web.security import COOKIE, csrf_ok


class NeedLogin(Exception):
    pass


class Forbidden(Exception):
    pass


class NotFound(Exception):
    pass


class FormExpired(Forbidden):
    """A write whose CSRF token is missing or not this session's: a tab opened before the
    user logged in again, or a forged form. Its own page says what to do."""


#: the id of the field a failed write names (``back(field=...)``): the error summary links to it
FIELD_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,60}")
#: the command line's hints in the domain's messages ("(--reason)", "(planwarden requests lists them)")
CLI_HINT = re.compile(r"\s*\((?:--[a-z-]+|planwarden [^)]*|see: planwarden [^)]*)\)")


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

    def write_to(self, model: type[Any], row_id: int, what: str) -> tuple[str, str]:
        """A write to one stored row: (its plan's key, the actor), after the checks of
        ``write``; NotFound when there is no such row."""
        with self.db() as s:
            row = s.get(model, row_id)
            plan_key = (row.plan_key or "") if row is not None else None
        if plan_key is None:
            raise NotFound(f"no {what} {row_id}")
        return plan_key, self.write(plan_key or None)

    def back(self, to: str, done: str = "", error: str = "", field: str = "",
             kept: dict[str, str] | None = None) -> RedirectResponse:
        return back(self.request, to, done, error, field, kept)

    @property
    def actor(self) -> str:
        return f"{self.user.name} <{self.user.email}>"


def load_user(request: Request) -> tuple[User, dict[str, Any]]:
    data = request.app.state.cookies.read(request.cookies.get(COOKIE))
    if not data.get("uid"):
        raise NeedLogin()
    s = request.app.state.sessions()
    try:
        user = s.get(User, int(data["uid"]))
        if user is None or user.disabled_at is not None or data.get("v", 0) != user.session_version:
            raise NeedLogin()
        s.expunge(user)
    finally:
        s.close()
    return user, data


def ctx(request: Request) -> Ctx:
    """A reading request: a logged-in user."""
    user, data = load_user(request)
    return Ctx(request, user, data, request.app.state.sessions, request.app.state.config)


async def post_ctx(request: Request) -> Ctx:
    """A writing request: a logged-in user and the form, whose CSRF token must match the session's."""
    user, data = load_user(request)
    form = await request.form()
    values = {k: (form.getlist(k) if len(form.getlist(k)) > 1 else form.get(k)) for k in form.keys()}
    if not csrf_ok(data, str(values.get("csrf_token") or request.headers.get("x-csrf-token") or "")):
        raise FormExpired("The form was from an earlier session, or had no security token, so nothing was "
                          "changed. Go back, reload the page and try again.")
    return Ctx(request, user, data, request.app.state.sessions, request.app.state.config, values)


READ = Depends(ctx)
WRITE = Depends(post_ctx)


def page(c: Ctx, name: str, status: int = 200, **values: Any) -> HTMLResponse:
    templates: Jinja2Templates = c.request.app.state.templates
    said = c.request.app.state.cookies.heard(c.request.query_params.get("said"))
    field = said.get("field", "")
    base = {"user": c.user, "csrf": c.session.get("csrf", ""), "plans": c.plans(),
            "may_write": accounts.may_write(c.user), "done": said.get("done", ""),
            "error": said.get("error", ""), "error_field": field if FIELD_ID.fullmatch(field) else "",
            "kept": said.get("kept") or {},
            "path": c.request.url.path}
    return templates.TemplateResponse(c.request, name, {**base, **values}, status_code=status)


def back(request: Request, to: str, done: str = "", error: str = "", field: str = "",
         kept: dict[str, str] | None = None) -> RedirectResponse:
    """After a write: back to a page, with what happened (or what went wrong, the id of the
    field it is about, for the GOV.UK error summary's link, and what was typed, ``kept``)
    to say, signed (``said``)."""
    message: dict[str, Any] = {k: v for k, v in (("done", done), ("error", console_text(error)),
                                                 ("field", field if error else "")) if v}
    if error and kept:
        message["kept"] = kept
    query = urlencode({"said": request.app.state.cookies.say(message)}) if message else ""
    return RedirectResponse(to + ("?" + query if query else ""), status_code=303)


def console_text(message: str) -> str:
    """A domain error as the console says it: without the command line's flags and hints,
    starting with a capital ("--month must look like" -> "The month must look like")."""
    text = re.sub(r"--([a-z]+)", r"the \1", CLI_HINT.sub("", message)).strip()
    return text[:1].upper() + text[1:]


def download(path: Path, media_type: str, filename: str) -> FileResponse:
    if not path.is_file():
        raise NotFound("the file of this pack is no longer where it was stored")
    return FileResponse(path, media_type=media_type, filename=filename)


def user_by_email(s: Session, email: str) -> User | None:
    return s.scalar(select(User).where(User.email == email.strip().lower()))
