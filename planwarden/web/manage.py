"""The console's management writes: mapping an owner text to people, sending a stored pack,
and the admin's users page. Each runs a domain function and records an audit entry in
the same transaction, like every other write (``routes``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from planwarden.core import clock
from planwarden.core.config import Config
from planwarden.plan.directory import Directory
from planwarden.plan.owners import MappingError, map_owner_text
from planwarden.pack.models import PackSnapshot
from planwarden.web import accounts, audit
from planwarden.web.context import READ, WRITE, Ctx, Forbidden, NotFound, console_text, page
from planwarden.web.models import User


def register(app: FastAPI) -> None:
    for fn in (_mapping, _send, _users):
        fn(app)


# ---------------------------------------------------------------- owner texts

def _mapping(app: FastAPI) -> None:
    @app.post("/people/map")
    def map_owner(c: Ctx = WRITE) -> Response:
        plan_key = str(c.form.get("plan") or "")
        actor = c.write(plan_key)
        people = c.form.get("people") or []
        people = [str(p) for p in (people if isinstance(people, list) else [people])]
        try:
            with c.db() as s:
                result = map_owner_text(s, Directory(c.config.directory), plan_key, str(c.form.get("owner_text") or ""),
                                        people, actor=actor)
                audit.record(s, actor, "map-owner", plan_key=plan_key, target=result["owner_text"], detail=result)
        except MappingError as exc:
            return c.back("/people", error=str(exc))
        refs = ", ".join(result["actions"]) or "no action changed"
        return c.back("/people", done=f"{result['owner_text']!r} now means {', '.join(result['people'])} ({refs})")


# ---------------------------------------------------------------- sending a stored pack

def stored_pack(s: Session, config: Config, snapshot: PackSnapshot) -> tuple[Any, str | None]:
    """The stored snapshot as a ``BuiltPack`` for ``deliver.send``: its own files, and the data
    read again at its recorded cut-off (the store replays history, so it is what was built);
    and, for a meeting's pack, the meeting occurrence's key, the one the scheduled run sends
    under, so that a pack sent from here is not sent again by the schedule (nor the reverse)."""
    from planwarden.pack import build as pack_build
    from planwarden.pack import schedule
    from planwarden.pack.compute import month_end_before

    meeting = None
    if snapshot.meeting_id and snapshot.meeting_date:
        found = schedule.board_meetings(config, config.plan(snapshot.plan_key), snapshot.meeting_date,
                                        snapshot.meeting_date)
        meeting = next((o for o in found if o.meeting.id == snapshot.meeting_id), None)
    request = pack_build.PackRequest(snapshot.plan_key, snapshot.as_of, snapshot.cutoff, meeting,
                                     month_end_before(snapshot.as_of), None)
    data = pack_build.prepare(s, config, request, public=snapshot.files.get("edition") == "public")
    files = snapshot.files
    for kind in ("pdf", "docx"):
        if not Path(files.get(kind, "")).is_file():
            raise NotFound(f"the {kind.upper()} of this pack is no longer where it was stored: build it again")
    annex = Path(files["annex"]) if files.get("annex") and Path(files["annex"]).is_file() else None
    built = pack_build.BuiltPack(snapshot, data, Path(files["pdf"]), Path(files["docx"]), new=False, annex=annex)
    return built, (schedule.DuePack(meeting, snapshot.as_of).dedupe_key if meeting else None)


def _send(app: FastAPI) -> None:
    @app.post("/packs/{pack_id}/send")
    def send(pack_id: int, c: Ctx = WRITE) -> Response:
        from planwarden.pack import deliver
        from planwarden.pack.state import PackError

        plan_key, actor = c.write_to(PackSnapshot, pack_id, "pack")
        try:
            with c.db() as s:
                snapshot = s.get(PackSnapshot, pack_id, with_for_update=True)
                if snapshot.files.get("edition") == "public":
                    return c.back("/packs", error="This is the public edition: send the board's own pack.")
                built, occurrence = stored_pack(s, c.config, snapshot)
                sent = deliver.send(s, c.config, built, occurrence)
                audit.record(s, actor, "pack-send", plan_key=plan_key, target=str(pack_id),
                             detail={"sha256": snapshot.sha256, "to": list(sent.to), "queued": sent.queued})
        except PackError as exc:
            return c.back("/packs", error=str(exc))
        if not sent.queued:
            return c.back("/packs", done=f"Pack {pack_id} had already been sent: nothing sent again")
        from planwarden.mail.factory import deliver_queued

        deliver_queued(c.config)
        return c.back("/packs", done=f"Pack {pack_id} sent to {', '.join(sent.to)}")


# ---------------------------------------------------------------- users (admins)

def _users_view(c: Ctx, status: int = 200, **extra: Any) -> Response:
    """The users page; after a refused add, with the error and what was typed (``kept``)."""
    with c.db() as s:
        rows = [accounts.user_json(u) for u in s.scalars(select(User).order_by(User.email))]
    return page(c, "users.html", status, rows=rows, roles=accounts.ROLES, all_plans=[p.key for p in c.config.plans],
                **{"kept": {}, **extra})


def _user_field(message: str) -> str:
    """The add-a-user field a refused add is about (its id, for the error summary)."""
    for words, field in (("password", "user-password"), ("role", "user-role"), ("email", "user-email"),
                         ("already a user", "user-email")):
        if words in message:
            return field
    return ""


def _admin(c: Ctx) -> str:
    if c.user.role != "admin":
        raise Forbidden("only an admin can manage users")
    return c.actor


def _users(app: FastAPI) -> None:
    @app.get("/users", response_class=HTMLResponse)
    def users_page(c: Ctx = READ) -> Response:
        _admin(c)
        return _users_view(c)

    @app.get("/api/users")
    def users_api(c: Ctx = READ) -> Response:
        _admin(c)
        with c.db() as s:
            return JSONResponse([accounts.user_json(u) for u in s.scalars(select(User).order_by(User.email))])

    @app.post("/users")
    def add(c: Ctx = WRITE) -> Response:
        actor = _admin(c)
        plans = c.form.get("plans") or []
        plans = [str(p) for p in (plans if isinstance(plans, list) else [plans])]
        unknown = sorted(set(plans) - {p.key for p in c.config.plans})
        if unknown:
            return c.back("/users", error=f"no plan {', '.join(unknown)}")
        try:
            with c.db() as s:
                user = accounts.add_user(s, str(c.form.get("email") or ""), str(c.form.get("name") or ""),
                                         str(c.form.get("role") or ""), str(c.form.get("password") or "") or None,
                                         plans)
                audit.record(s, actor, "user-add", target=user.email,
                             detail={"role": user.role, "plans": plans})
        except accounts.AccountError as exc:  # shown again with what was typed (not the password)
            kept = {"email": str(c.form.get("email") or ""), "name": str(c.form.get("name") or ""),
                    "role": str(c.form.get("role") or ""), "plans": plans}
            return _users_view(c, 400, error=console_text(str(exc)), error_field=_user_field(str(exc)), kept=kept)
        return c.back("/users", done=f"{user.email} added as {user.role}")

    @app.post("/users/{user_id}/disable")
    def disable(user_id: int, c: Ctx = WRITE) -> Response:
        actor = _admin(c)
        if user_id == c.user.id:
            return c.back("/users", error="You cannot disable your own account.")
        with c.db() as s:
            user = s.get(User, user_id, with_for_update=True)
            if user is None:
                raise NotFound(f"no user {user_id}")
            if user.disabled_at is None:
                user.disabled_at = clock.now()
                audit.record(s, actor, "user-disable", target=user.email)
            email = user.email
        return c.back("/users", done=f"{email} can no longer log in")
