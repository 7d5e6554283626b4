"""The console's pages, writes and JSON twins. Each calls the domain function the CLI calls."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select

from planwarden.calendar.governance import upcoming
from planwarden.core import clock
from planwarden.plan import corrections, decisions
from planwarden.plan.directory import Directory
from planwarden.plan.models import Action, ActionOwner, FlowRun, OutboxMessage, Person, Plan, ProgressUpdate
from planwarden.pack.deliver import DOCX, PDF
from planwarden.pack.models import PackSnapshot
from planwarden.plan.queries import actions_json
from planwarden.replies import quarantine
from planwarden.replies.models import InboundMessage
from planwarden.web import accounts, audit, manage, views
from planwarden.web.models import User
from planwarden.web.context import READ, WRITE, Ctx, Forbidden, NotFound, console_text, download, page, user_by_email
from planwarden.web.login import login_error as _login_error
from planwarden.web.login import set_cookie as _set_cookie
from planwarden.web.security import COOKIE, csrf_ok, new_session


def register(app: FastAPI) -> None:
    for fn in (_auth, _plans, _actions, _quarantine, _requests, _packs, _people, _outbox, _calendar, _audit):
        fn(app)
    manage.register(app)


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


# ---------------------------------------------------------------- login

def _auth(app: FastAPI) -> None:
    @app.get("/login", response_class=HTMLResponse)
    def login_page(request: Request, next: str = "/") -> Response:
        data = request.app.state.cookies.read(request.cookies.get(COOKIE))
        if not data.get("csrf"):
            data = new_session(None)
        response = request.app.state.templates.TemplateResponse(
            request, "login.html", {"user": None, "csrf": data["csrf"], "next": _safe_next(next), "error": "",
                       "sso": request.app.state.sso})
        _set_cookie(request, response, data)
        return response

    @app.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form()
        data = request.app.state.cookies.read(request.cookies.get(COOKIE))
        email, password = str(form.get("email") or "").strip().lower(), str(form.get("password") or "")
        nxt = _safe_next(str(form.get("next") or "/"))
        if not csrf_ok(data, str(form.get("csrf_token") or "")):
            return _login_error(request, data, nxt, "The form had expired: please try again.", 403)
        limiter, keys = request.app.state.limiter, (f"ip:{request.client.host if request.client else '-'}",
                                                    f"email:{email}")
        if limiter.blocked(*keys):
            return _login_error(request, data, nxt, "Too many failed attempts: wait five minutes and try again.", 429,
                                email=email)
        user = await run_in_threadpool(_authenticate, request, email, password)  # argon2 takes a while
        if user is None:
            limiter.failed(*keys)
            return _login_error(request, data, nxt, "The email address or the password is not right.", 401,
                                email=email, field="password")
        limiter.succeeded(*keys)
        response = RedirectResponse(nxt, status_code=303)
        _set_cookie(request, response, new_session(user.id, user.session_version))  # a fresh session: no fixation
        return response

    @app.post("/logout")
    def logout(c: Ctx = WRITE) -> Response:
        with c.db() as s:  # every session of this user ends, on every device (security.new_session)
            user = s.get(User, c.user.id)
            if user is not None:
                user.session_version += 1
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response


def _authenticate(request: Request, email: str, password: str) -> Any:
    s = request.app.state.sessions()
    try:
        user = accounts.authenticate(s, email, password)
        if user is not None:
            audit.record(s, f"{user.name} <{user.email}>", "login")
        s.commit()
        return user
    finally:
        s.close()


# ---------------------------------------------------------------- dashboard and plan

def _plans(app: FastAPI) -> None:
    @app.get("/", response_class=HTMLResponse)
    def dashboard(c: Ctx = READ) -> Response:
        with c.db() as s:
            boards = [views.dashboard(s, c.config, key) for key in c.plans()]
        return page(c, "dashboard.html", boards=boards)

    @app.get("/api/dashboard")
    def dashboard_json(c: Ctx = READ) -> Response:
        with c.db() as s:
            return JSONResponse([views.dashboard(s, c.config, key).as_json() for key in c.plans()])

    @app.get("/plans/{plan_key}", response_class=HTMLResponse)
    def plan_page(plan_key: str, c: Ctx = READ, section: str = "", owner: str = "", rag: str = "",
                  overdue: str = "", sort: str = "ref", desc: str = "", page_no: int = Query(1, alias="page")) -> Response:
        c.see(plan_key)
        f = views.Filters(section, owner, rag, overdue == "1", sort if sort in views.SORTS else "ref", desc == "1")
        with c.db() as s:
            today = clock.today(c.config.plan(plan_key).timezone)
            rows = views.plan_rows(s, plan_key, today)
            title = s.scalar(select(Plan.title).where(Plan.key == plan_key)) or plan_key
        sections = sorted({r.section for r in rows if r.section}, key=lambda t: [int(x) if x.isdigit() else 0
                                                                                  for x in t.split(".")[:1]])
        kept = views.sort_rows([r for r in rows if f.keep(r)], f.sort, f.desc)
        pages = max(1, -(-len(kept) // views.PAGE_SIZE))
        page_no = min(max(page_no, 1), pages)
        shown = kept[(page_no - 1) * views.PAGE_SIZE: page_no * views.PAGE_SIZE]
        query = {"section": f.section, "owner": f.owner, "rag": f.rag, "overdue": "1" if f.overdue else "",
                 "sort": f.sort, "desc": "1" if f.desc else ""}
        partial = bool(c.request.headers.get("hx-request"))  # htmx: the rows, and the count for the live region
        template = "plan_rows.html" if partial else "plan.html"
        return page(c, template, plan=plan_key, title=title, rows=shown, matched=len(kept), total=len(rows), f=f,
                    sections=sections, sorts=views.SORTS, page_no=page_no, pages=pages, query=query,
                    scale=rows[0].scale if rows else "rag",
                    first=(page_no - 1) * views.PAGE_SIZE + 1, partial=partial)

    @app.get("/api/plans/{plan_key}/actions")
    def actions_api(plan_key: str, c: Ctx = READ) -> Response:
        c.see(plan_key)
        with c.db() as s:
            return JSONResponse(actions_json(s, plan_key))


# ---------------------------------------------------------------- one action, corrections

def _actions(app: FastAPI) -> None:
    @app.get("/plans/{plan_key}/actions/{ref}", response_class=HTMLResponse)
    def action_page(plan_key: str, ref: str, c: Ctx = READ) -> Response:
        c.see(plan_key)
        return _action_view(c, plan_key, ref)

    @app.get("/api/plans/{plan_key}/actions/{ref}/history")
    def history_api(plan_key: str, ref: str, c: Ctx = READ) -> Response:
        c.see(plan_key)
        with c.db() as s:
            try:
                return JSONResponse(corrections.history(s, plan_key, ref))
            except corrections.CorrectionError as exc:
                raise NotFound(str(exc)) from None

    @app.post("/plans/{plan_key}/actions/{ref}/edit")
    def edit(plan_key: str, ref: str, c: Ctx = WRITE) -> Response:
        actor = c.write(plan_key)
        here = f"/plans/{quote(plan_key)}/actions/{quote(ref)}"
        changes = {k: c.form.get(k, "") for k in corrections.EDITABLE if k in c.form}
        try:
            with c.db() as s:
                done = corrections.edit(s, Directory(c.config.directory), plan_key, ref, changes, actor=actor,
                                        reason=str(c.form.get("reason") or ""))
                audit.record(s, actor, "edit-action", plan_key=plan_key, target=ref, detail=done)
        except corrections.CorrectionError as exc:  # shown again with what was typed, not lost in a redirect
            return _action_view(c, plan_key, ref, status=400, error=console_text(str(exc)),
                                error_field=_edit_field(str(exc)), kept={k: str(v) for k, v in c.form.items()})
        return c.back(here, done=f"Changed: {', '.join(done['changed']) or 'nothing'}")

    @app.post("/updates/{update_id}/withdraw")
    def withdraw(update_id: int, c: Ctx = WRITE) -> Response:
        with c.db() as s:
            found = s.execute(select(Plan.key, Action.ref).join(Action, Action.plan_id == Plan.id)
                              .join(ProgressUpdate, ProgressUpdate.action_id == Action.id)
                              .where(ProgressUpdate.id == update_id)).first()
        if found is None:
            raise NotFound(f"no update {update_id}")
        plan_key, ref = found
        actor = c.write(plan_key)
        here = f"/plans/{quote(plan_key)}/actions/{quote(ref)}"
        try:
            with c.db() as s:
                result = corrections.withdraw(s, update_id, str(c.form.get("reason") or ""), actor=actor)
                audit.record(s, actor, "withdraw-update", plan_key=plan_key, target=ref, detail=result)
        except corrections.CorrectionError as exc:
            return c.back(here, error=str(exc), field="" if c.form.get("reason") else f"reason-{update_id}")
        return c.back(here, done=f"Update {update_id} withdrawn; the rating is now {result['rag'] or 'not rated'}")

    @app.get("/messages/{inbound_id}", response_class=HTMLResponse)
    def original(inbound_id: int, c: Ctx = READ) -> Response:
        with c.db() as s:
            row = s.get(InboundMessage, inbound_id)
            if row is None:
                raise NotFound(f"no stored message {inbound_id}")
            if row.plan_key:
                c.see(row.plan_key)
            elif not (c.user.role == "admin" or not c.user.plans):
                raise Forbidden("this message was not placed in any plan: only an admin can read it")
            raw = row.raw.decode("utf-8", errors="replace")
            meta = {"id": row.id, "sender": row.sender, "subject": row.subject, "received_at": row.received_at,
                    "reason": row.reason, "outcome": row.outcome, "resolution": row.resolution}
        return page(c, "message.html", m=meta, raw=raw)


def _action_view(c: Ctx, plan_key: str, ref: str, status: int = 200, **extra: Any) -> Response:
    """The action page; after a refused correction, with the error and the values typed (``kept``)."""
    with c.db() as s:
        try:
            h = corrections.history(s, plan_key, ref)
        except corrections.CorrectionError as exc:
            raise NotFound(console_text(str(exc))) from None
        originals = dict(s.execute(select(InboundMessage.message_id, InboundMessage.id).where(
            InboundMessage.message_id.in_([u["message_id"] for u in h["updates"] if u["message_id"]]))).all())
    return page(c, "action.html", status, plan=plan_key, a=h, timeline=_timeline(h, originals),
                may_edit=accounts.may_write(c.user, plan_key), **{"kept": {}, **extra})


def _edit_field(message: str) -> str:
    """The correction form's field a refused correction is about (its id, for the error summary)."""
    for words, field in (("reason", "edit-reason"), ("due date", "due"), ("rating", "edit-rag"), ("Blue", "edit-rag"),
                         ("text", "text")):
        if words in message:
            return field
    return ""


def _timeline(h: dict[str, Any], originals: dict[str, int]) -> list[dict[str, Any]]:
    """Updates and changes in one list, newest first; each says its source and who."""
    items: list[dict[str, Any]] = []
    for u in h["updates"]:
        items.append({"kind": "update", "at": u["recorded_at"], "u": u,
                      "original": originals.get(u["message_id"] or "")})
    for ch in h["changes"]:
        if ch["field"] != "update":
            items.append({"kind": "change", "at": ch["at"], "c": ch})
    return sorted(items, key=lambda i: i["at"], reverse=True)


# ---------------------------------------------------------------- quarantine

def _visible_waiting(c: Ctx, s: Any) -> list[quarantine.Waiting]:
    plans = set(c.plans())
    unrestricted = c.user.role == "admin" or not c.user.plans
    return [w for w in quarantine.waiting(s) if (w.row.plan_key in plans) or (not w.row.plan_key and unrestricted)]


def _quarantine(app: FastAPI) -> None:
    @app.get("/quarantine", response_class=HTMLResponse)
    def quarantine_page(c: Ctx = READ) -> Response:
        with c.db() as s:
            rows = [w.as_json() for w in _visible_waiting(c, s)]
        return page(c, "quarantine.html", rows=rows)

    @app.get("/api/quarantine")
    def quarantine_api(c: Ctx = READ) -> Response:
        with c.db() as s:
            return JSONResponse([w.as_json() for w in _visible_waiting(c, s)])

    def _held(c: Ctx, inbound_id: int) -> str:
        with c.db() as s:
            w = next((w for w in _visible_waiting(c, s) if w.row.id == inbound_id), None)
            if w is None:
                _already_decided(c, s.get(InboundMessage, inbound_id))
        if w is None:
            raise NotFound(f"no quarantined reply {inbound_id} waiting for you")
        return w.row.plan_key or ""

    @app.post("/quarantine/{inbound_id}/apply")
    def apply(inbound_id: int, c: Ctx = WRITE) -> Response:
        plan_key = _held(c, inbound_id) or str(c.form.get("plan") or "")
        actor = c.write(plan_key or None)
        refs = c.form.get("refs") or ""
        kept = {"refs": " ".join(refs) if isinstance(refs, list) else str(refs), "rag": str(c.form.get("rag") or "")}
        refs = [r.strip() for r in (refs if isinstance(refs, list) else str(refs).replace(",", " ").split()) if r.strip()]
        rag = str(c.form.get("rag") or "") or None
        if not refs:
            return c.back("/quarantine", error="Name at least one action to apply the reply to.",
                          field=f"refs-{inbound_id}", kept=kept)
        try:
            with c.db() as s:
                result = quarantine.apply(s, c.config, inbound_id, refs, rag=rag, plan_key=plan_key or None,
                                          actor=actor)
                audit.record(s, actor, "quarantine-apply", plan_key=plan_key, target=str(inbound_id), detail=result)
        except quarantine.QuarantineError as exc:
            return c.back("/quarantine", error=str(exc), field=f"refs-{inbound_id}", kept=kept)
        return c.back("/quarantine", done=f"Reply {inbound_id}: {result['resolution']}")

    @app.post("/quarantine/{inbound_id}/discard")
    def discard(inbound_id: int, c: Ctx = WRITE) -> Response:
        plan_key = _held(c, inbound_id)
        actor = c.write(plan_key or None)
        try:
            with c.db() as s:
                result = quarantine.discard(s, inbound_id, str(c.form.get("reason") or ""), actor=actor)
                audit.record(s, actor, "quarantine-discard", plan_key=plan_key, target=str(inbound_id), detail=result)
        except quarantine.QuarantineError as exc:
            return c.back("/quarantine", error=str(exc), field=f"discard-{inbound_id}")
        return c.back("/quarantine", done=f"Reply {inbound_id}: {result['resolution']}")


class AlreadyDone(Exception):
    """A write pressed again (a double click, a reload, the back button): the page it
    returns to says what was done the first time, instead of "page not found"."""

    def __init__(self, to: str, said: str) -> None:
        super().__init__(said)
        self.to, self.said = to, said


def _already_decided(c: Ctx, row: InboundMessage | None) -> None:
    """Raise AlreadyDone for a held reply this user may see that was applied or discarded."""
    if row is None or row.outcome != "quarantined" or row.resolved_at is None:
        return
    if row.plan_key in c.plans() or (not row.plan_key and (c.user.role == "admin" or not c.user.plans)):
        c.write(row.plan_key or None)
        raise AlreadyDone("/quarantine", f"Reply {row.id} had already been dealt with: {row.resolution}")


# ---------------------------------------------------------------- requested new dates

def _requests(app: FastAPI) -> None:
    def visible(c: Ctx) -> list[decisions.Request]:
        with c.db() as s:
            return [r for key in c.plans() for r in decisions.pending(s, key)]

    @app.get("/requests", response_class=HTMLResponse)
    def requests_page(c: Ctx = READ) -> Response:
        return page(c, "requests.html", rows=visible(c))

    @app.get("/api/requests")
    def requests_api(c: Ctx = READ) -> Response:
        return JSONResponse([r.as_json() for r in visible(c)])

    @app.post("/requests/{request_id}/{decision}")
    def decide(request_id: int, decision: str, c: Ctx = WRITE) -> Response:
        found = next((r for r in visible(c) if r.id == request_id), None)
        if found is None and decision in ("approve", "reject"):
            _request_decided(c, request_id)
        if found is None or decision not in ("approve", "reject"):
            raise NotFound(f"no requested new date {request_id} waiting for you")
        actor = c.write(found.plan)
        reason = str(c.form.get("reason") or "").strip()
        if decision == "reject" and not reason:
            return c.back("/requests", error="Give the board's reason for rejecting it: it is shown in the next pack.",
                          field=f"reject-{request_id}")
        try:
            with c.db() as s:
                result = (decisions.approve(s, request_id, by=actor) if decision == "approve"
                          else decisions.reject(s, request_id, by=actor, reason=reason))
                audit.record(s, actor, f"request-{decision}", plan_key=found.plan, target=found.ref,
                             detail={**result.as_json(), "reason": reason})
        except decisions.DecisionError as exc:
            return c.back("/requests", error=str(exc))
        verb = "approved" if decision == "approve" else "rejected"
        return c.back("/requests", done=f"{found.plan} {found.ref}: new date {found.requested_due} {verb}")


def _request_decided(c: Ctx, request_id: int) -> None:
    """Raise AlreadyDone for a requested date this user may see that the board has decided."""
    with c.db() as s:
        update = s.get(ProgressUpdate, request_id)
        if update is None or update.requested_due is None or update.decision not in (decisions.APPROVED,
                                                                                     decisions.REJECTED):
            return
        plan_key, ref = update.action.plan.key, update.action.ref
        said = "approved" if update.decision == decisions.APPROVED else "rejected"
    if plan_key in c.plans():
        c.write(plan_key)
        raise AlreadyDone("/requests", f"The new date asked for {plan_key} {ref} had already been {said}")


# ---------------------------------------------------------------- packs

def _pack_json(p: PackSnapshot) -> dict[str, Any]:
    return {"id": p.id, "plan": p.plan_key, "as_of": p.as_of.isoformat(), "month": p.month,
            "meeting_id": p.meeting_id or None, "meeting_date": p.meeting_date.isoformat() if p.meeting_date else None,
            "sha256": p.sha256, "counts": p.counts, "created_at": p.created_at.isoformat(),
            "sent_at": p.sent_at.isoformat() if p.sent_at else None, "files": sorted(p.files),
            "downloads": [k for k in ("pdf", "docx") if k in p.files], "public": p.files.get("edition") == "public"}


def _packs(app: FastAPI) -> None:
    def visible(c: Ctx) -> list[dict[str, Any]]:
        with c.db() as s:
            rows = s.scalars(select(PackSnapshot).where(PackSnapshot.plan_key.in_(c.plans()))
                             .order_by(PackSnapshot.as_of.desc(), PackSnapshot.id.desc()))
            return [_pack_json(p) for p in rows]

    @app.get("/packs", response_class=HTMLResponse)
    def packs_page(c: Ctx = READ) -> Response:
        return page(c, "packs.html", rows=visible(c),
                    this_month=clock.today().strftime("%Y-%m"))

    @app.get("/api/packs")
    def packs_api(c: Ctx = READ) -> Response:
        return JSONResponse(visible(c))

    @app.get("/packs/{pack_id}.{kind}")
    def pack_file(pack_id: int, kind: str, c: Ctx = READ) -> Response:
        with c.db() as s:
            p = s.get(PackSnapshot, pack_id)
            if p is None or kind not in ("pdf", "docx") or kind not in (p.files or {}):
                raise NotFound(f"no pack {pack_id}.{kind}")
            c.see(p.plan_key)
            path, name = Path(p.files[kind]), f"{p.plan_key}-board-pack-{p.as_of.isoformat()}.{kind}"
        media = "/".join(PDF if kind == "pdf" else DOCX)
        return download(path, media, name)

    @app.post("/packs/build")
    def build(c: Ctx = WRITE) -> Response:
        from planwarden.pack import build as pack_build
        from planwarden.pack import deliver
        from planwarden.pack.state import PackError

        plan_key = str(c.form.get("plan") or "")
        actor = c.write(plan_key)
        send = c.form.get("send") == "1"
        try:
            as_of = min(pack_build.parse_month(str(c.form.get("month") or "")), clock.today())
            with c.db() as s:
                built = pack_build.build(s, c.config, pack_build.request_for(s, c.config, plan_key, as_of))
                sent = deliver.send(s, c.config, built) if send else None
                audit.record(s, actor, "pack-build" + ("-send" if send else ""), plan_key=plan_key,
                             target=built.snapshot.month, detail={"sha256": built.snapshot.sha256,
                                                                  "sent_to": list(sent.to) if sent else []})
        except PackError as exc:
            month = "month" in str(exc) or "after today" in str(exc)
            return c.back("/packs", error=str(exc), field="pack-month" if month else "",
                          kept={"plan": plan_key, "month": str(c.form.get("month") or "")})
        if sent is not None:
            from planwarden.mail.factory import deliver_queued
            deliver_queued(c.config)
        said = f"Pack for {plan_key} as of {as_of.isoformat()} built" + (
            f" and sent to {', '.join(sent.to)}" if sent and sent.queued else
            " (already sent earlier)" if sent else "")
        return c.back("/packs", done=said)


# ---------------------------------------------------------------- people, outbox, runs, calendar, audit

def _people(app: FastAPI) -> None:
    @app.get("/people", response_class=HTMLResponse)
    def people_page(c: Ctx = READ) -> Response:
        return page(c, "people.html", **_people_data(c))

    @app.get("/api/people")
    def people_api(c: Ctx = READ) -> Response:
        data = _people_data(c)
        return JSONResponse({"people": data["people"], "unresolved": data["unresolved"]}, )


def _people_data(c: Ctx) -> dict[str, Any]:
    plans = c.plans()
    with c.db() as s:
        owns: dict[str, list[str]] = {}
        for key, plan, ref in s.execute(select(Person.key, Plan.key, Action.ref).join(ActionOwner.person)
                                        .join(ActionOwner.action).join(Action.plan)
                                        .where(Plan.key.in_(plans), Action.deleted_at.is_(None))
                                        .order_by(Plan.key, Action.position)):
            owns.setdefault(key, []).append(f"{plan} {ref}")
        stored = {p.key: p for p in s.scalars(select(Person))}
        unresolved = [{"plan": plan, "ref": ref, "owner_text": text} for plan, ref, text in s.execute(
            select(Plan.key, Action.ref, Action.owner_text).join(Action.plan)
            .where(Plan.key.in_(plans), Action.deleted_at.is_(None), ~Action.owners.any())
            .order_by(Plan.key, Action.position))]
    people = []
    for p in c.config.directory.people:
        row = stored.get(p.id)
        people.append({"id": p.id, "name": p.name, "email": p.email, "deputies": p.deputies,
                       "owns": owns.get(p.id, []),
                       "away_until": row.away_until.isoformat() if row and row.away_until else None,
                       "failing": row.failing_reason if row and row.failing_since else None})
    roles = [{"name": r.name, "holders": r.holders} for r in c.config.directory.roles]
    groups = [{"name": g.name, "chair": g.chair, "members": g.members} for g in c.config.directory.groups]
    texts: dict[tuple[str, str], list[str]] = {}
    for u in unresolved:
        if u["owner_text"]:
            texts.setdefault((u["plan"], u["owner_text"]), []).append(u["ref"])
    to_map = [{"plan": plan, "owner_text": text, "refs": refs} for (plan, text), refs in texts.items()]
    return {"people": people, "roles": roles, "groups": groups, "unresolved": unresolved, "to_map": to_map}


def _outbox(app: FastAPI) -> None:
    def data(c: Ctx) -> dict[str, Any]:
        plans = [*c.plans(), ""] if (c.user.role == "admin" or not c.user.plans) else c.plans()
        with c.db() as s:
            mail = [{"id": m.id, "plan": m.plan_key, "kind": m.kind, "to": m.to, "subject": m.subject,
                     "state": m.state, "attempts": m.attempts, "error": m.last_error,
                     "created_at": m.created_at.isoformat(), "sent_at": m.sent_at.isoformat() if m.sent_at else None}
                    for m in s.scalars(select(OutboxMessage).where(OutboxMessage.plan_key.in_(plans))
                                       .order_by(OutboxMessage.id.desc()).limit(200))]
            runs = [{"plan": r.plan_key, "job": r.job, "started_at": r.started_at.isoformat(), "outcome": r.outcome}
                    for r in s.scalars(select(FlowRun).where(FlowRun.plan_key.in_(plans))
                                       .order_by(FlowRun.started_at.desc()).limit(50))]
        return {"mail": mail, "runs": runs}

    @app.get("/outbox", response_class=HTMLResponse)
    def outbox_page(c: Ctx = READ) -> Response:
        return page(c, "outbox.html", **data(c))

    @app.get("/api/outbox")
    def outbox_api(c: Ctx = READ) -> Response:
        return JSONResponse(data(c))

    @app.post("/outbox/{outbox_id}/retry")
    def retry(outbox_id: int, c: Ctx = WRITE) -> Response:
        from planwarden.mail.outbox import RequeueError, requeue

        plan_key, actor = c.write_to(OutboxMessage, outbox_id, "message")
        try:
            with c.db() as s:
                requeue(s, outbox_id)
                audit.record(s, actor, "outbox-retry", plan_key=plan_key, target=str(outbox_id))
        except RequeueError as exc:
            return c.back("/outbox", error=str(exc))
        return c.back("/outbox", done=f"Message {outbox_id} will be tried again on the next delivery")


def _calendar(app: FastAPI) -> None:
    def data(c: Ctx) -> list[dict[str, Any]]:
        today = clock.today()
        seen: dict[tuple[str, str], dict[str, Any]] = {}
        for key in c.plans() or [None]:
            tz = c.config.plan(key).timezone if key else "Europe/London"
            for o in upcoming(c.config.governance, tz, today, today + dt.timedelta(days=365), plan_key=key):
                seen.setdefault((o.meeting.id, o.day.isoformat()), {
                    "meeting": o.meeting.title, "date": o.day.isoformat(), "board": o.meeting.board,
                    "location": o.meeting.location, "moved": o.moved, "attendees": o.meeting.attendees})
        return sorted(seen.values(), key=lambda m: (m["date"], m["meeting"]))

    @app.get("/calendar", response_class=HTMLResponse)
    def calendar_page(c: Ctx = READ) -> Response:
        return page(c, "calendar.html", meetings=data(c))

    @app.get("/api/calendar")
    def calendar_api(c: Ctx = READ) -> Response:
        return JSONResponse(data(c))


def _audit(app: FastAPI) -> None:
    def admin(c: Ctx) -> None:
        if c.user.role != "admin":
            raise Forbidden("only an admin can read the audit log")

    @app.get("/audit", response_class=HTMLResponse)
    def audit_page(c: Ctx = READ) -> Response:
        admin(c)
        with c.db() as s:
            return page(c, "audit.html", rows=audit.recent(s))

    @app.get("/api/audit")
    def audit_api(c: Ctx = READ) -> Response:
        admin(c)
        with c.db() as s:
            return JSONResponse(audit.recent(s))

    @app.get("/api/me")
    def me(c: Ctx = READ) -> Response:
        with c.db() as s:
            user = user_by_email(s, c.user.email)
            return JSONResponse(accounts.user_json(user) if user else {})
