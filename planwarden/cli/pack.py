"""planwarden pack [--plan KEY] [--month YYYY-MM | --as-of YYYY-MM-DD] [--out DIR] [--send] [--json]

--month M builds the pack as of the last day of M (as of today for the current
month); --as-of D as of the end of day D; neither: as of today. The pack is stored
(data dir/packs/PLAN/YYYY-MM) whatever the options; --out also copies it to DIR.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from planwarden.cli.common import UserError, add_json, command, deliver_now, load, print_json


def register(sub: Any) -> None:
    p = command(sub, "pack", handle, "build the board pack (PDF and Word) for a month or a day; optionally send it")
    p.add_argument("--plan", default=None, help="plan key (default: the first configured plan)")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--month", default=None, metavar="YYYY-MM", help="as of the last day of this month")
    when.add_argument("--as-of", dest="as_of", default=None, metavar="YYYY-MM-DD", help="as of the end of this day")
    p.add_argument("--out", type=Path, default=None, metavar="DIR", help="also copy the PDF and DOCX here")
    p.add_argument("--send", action="store_true", help="email it to the secretary and the pack recipients")
    add_json(p)


def _as_of(args: argparse.Namespace, today: dt.date) -> dt.date:
    from planwarden.pack.build import parse_month
    from planwarden.pack.state import PackError

    try:
        if args.month:
            return min(parse_month(args.month), today)
        if args.as_of:
            return dt.date.fromisoformat(args.as_of)
    except PackError as exc:
        raise UserError(str(exc)) from None
    except ValueError:
        raise UserError(f"--as-of must be a date like 2022-12-14, not {args.as_of!r}") from None
    return today


def handle(args: argparse.Namespace) -> int:
    from planwarden.core import clock
    from planwarden.core.db import session_scope
    from planwarden.pack import build as pack_build
    from planwarden.pack import deliver
    from planwarden.pack.state import PackError

    config = load()
    plan_key = args.plan or (config.settings.plans[0].key if config.settings.plans else None)
    if not plan_key:
        raise UserError("no plan given and none configured: use --plan KEY")
    as_of = _as_of(args, clock.today(config.plan(plan_key).timezone))
    try:
        with session_scope(config.database_url) as session:
            request = pack_build.request_for(session, config, plan_key, as_of)
            built = pack_build.build(session, config, request)
            sent = deliver.send(session, config, built) if args.send else None
            result = built.as_json()
    except PackError as exc:
        raise UserError(str(exc)) from None
    if sent is not None:
        deliver_now(config)
    if args.out:
        pdf, docx = pack_build.export(built, args.out)
        result["out"] = {"pdf": str(pdf), "docx": str(docx)}
    if sent is not None:
        result["sent"] = {"to": list(sent.to), "queued": sent.queued, "attached": sent.attached}
    _print(result, args.json)
    return 0


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
