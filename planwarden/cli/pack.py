"""planwarden pack [--plan KEY] [--month YYYY-MM | --as-of YYYY-MM-DD] [--out DIR] [--send] [--public] [--json]

--month M builds the pack as of the last day of M (as of today for the current
month); --as-of D as of the end of day D; neither: as of today. The pack is stored
(data dir/packs/PLAN/YYYY-MM) whatever the options; --out also copies it to DIR.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from planwarden.cli.common import Json, UserError, deliver_now, load, print_json, progress


def register(app: typer.Typer) -> None:
    app.command("pack")(pack)


def _as_of(month: str | None, as_of: str | None, today: dt.date) -> dt.date:
    from planwarden.pack.build import parse_month
    from planwarden.pack.state import PackError

    if month and as_of:
        raise UserError("give --month or --as-of, not both")
    try:
        if month:
            return min(parse_month(month), today)
        if as_of:
            return dt.date.fromisoformat(as_of)
    except PackError as exc:
        raise UserError(str(exc)) from None
    except ValueError:
        raise UserError(f"--as-of must be a date like 2022-12-14, not {as_of!r}") from None
    return today


def pack(plan: Annotated[str | None, typer.Option(
             "--plan", metavar="KEY", help="Plan key (default: the first configured plan).")] = None,
         month: Annotated[str | None, typer.Option(
             "--month", metavar="YYYY-MM", help="As of the last day of this month.")] = None,
         as_of: Annotated[str | None, typer.Option(
             "--as-of", metavar="YYYY-MM-DD", help="As of the end of this day.")] = None,
         out: Annotated[Path | None, typer.Option(
             "--out", metavar="DIR", help="Also copy the PDF and DOCX here.")] = None,
         send: Annotated[bool, typer.Option(
             "--send", help="Email it to the secretary and the pack recipients.")] = False,
         public: Annotated[bool, typer.Option(
             "--public", help="The version for publication: no names of people chased, no update authors, "
                              "no annex.")] = False,
         json: Json = False) -> None:
    """Build the board pack (PDF and Word) for a month or a day; optionally send it."""
    from planwarden.core import clock
    from planwarden.core.db import session_scope
    from planwarden.pack import build as pack_build
    from planwarden.pack import deliver
    from planwarden.pack.state import PackError

    config = load()
    plan_key = plan or (config.settings.plans[0].key if config.settings.plans else None)
    if not plan_key:
        raise UserError("no plan given and none configured: use --plan KEY")
    day = _as_of(month, as_of, clock.today(config.plan(plan_key).timezone))
    try:
        with progress(f"Building the board pack as of {day}"), session_scope(config.database_url) as session:
            request = pack_build.request_for(session, config, plan_key, day)
            built = pack_build.build(session, config, request, public=public)
            sent = deliver.send(session, config, built) if send else None
            result = built.as_json()
    except PackError as exc:
        raise UserError(str(exc)) from None
    if sent is not None:
        deliver_now(config)
    if out:
        pdf, docx = pack_build.export(built, out)
        result["out"] = {"pdf": str(pdf), "docx": str(docx)}
    if sent is not None:
        result["sent"] = {"to": list(sent.to), "queued": sent.queued, "attached": sent.attached}
    _print(result, json)


def _print(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(result)
        return
    c = result["counts"]
    print(f"Board pack for {result['plan']!r} as of {result['as_of']}: {c['total']} actions — {c['red']} red, "
          f"{c['amber']} amber, {c['green']} green, {c['none']} not rated.")
    print(f"  exceptions: {c['exceptions']}")
    out = result.get("out") or {"pdf": result["pdf"], "docx": result["docx"]}
    print(f"  PDF:  {out['pdf']}\n  Word: {out['docx']}")
    if not result["new"]:
        print("  (identical to the pack already stored for this date)")
    if "sent" in result:
        s = result["sent"]
        print(f"  sent to {', '.join(s['to'])}" + ("" if s["queued"] else " (already queued earlier)"))
