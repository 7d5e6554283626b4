"""planwarden check [--no-mailbox] [--json]"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from planwarden.cli.common import Json, load, print_json

if TYPE_CHECKING:
    from planwarden.core.config import Config


def register(app: typer.Typer) -> None:
    app.command("check")(check)


def check(no_mailbox: Annotated[bool, typer.Option("--no-mailbox", help="Do not try the mailbox.")] = False,
          json: Json = False) -> int:
    """Validate the config, load its Prefect Secret blocks, and reach the database and the
    mailbox (fail fast, say why)."""
    from planwarden.core.db import engine_for, redact_url

    config = load()
    engine_for(config.database_url)
    result: dict[str, Any] = {"config": str(config.source or "(defaults)"),
                              "database": redact_url(config.database_url), "plans": [p.key for p in config.plans]}
    blocks = _load_secret_blocks(config)
    if blocks:
        result["secrets"] = blocks
    if not no_mailbox:
        result["mailbox"] = _try_mailbox(config)
    result["unresolved_owners"] = _unresolved(config)
    if json:
        print_json(result)
    else:
        for key, value in result.items():
            if key != "unresolved_owners":
                print(f"{key:<9} {value}")
        _print_unresolved(result["unresolved_owners"])
    return 0 if result.get("mailbox", "ok") == "ok" else 3


def _load_secret_blocks(config: Config) -> str:
    """The credentials kept in Prefect Secret blocks, loaded as a flow run would (a missing
    block stops here with the key and the block's name; a value is never printed)."""
    from planwarden.orchestration.secrets import secret_blocks

    named = secret_blocks(config)
    if not named:
        return ""
    from planwarden.orchestration.secrets import load_secret_blocks

    load_secret_blocks(config)
    return f"{len(named)} Prefect Secret block(s) loaded: {', '.join(sorted({b for _, b in named}))}"


def _try_mailbox(config: Config) -> str:
    try:
        from planwarden.mail.factory import mailbox_for
    except ImportError:
        return "not checked (no mailbox support installed)"
    try:
        mailbox = mailbox_for(config)
        next(iter(mailbox.fetch(limit=1)), None)
    except Exception as exc:  # noqa: BLE001 - any failure here is reported to the operator
        from planwarden.core.log import redact
        return f"unreachable: {redact(str(exc))[:200]}"
    return "ok"


def _unresolved(config: Any) -> dict[str, list[dict[str, object]]]:
    """Owner texts in each plan's actions that the directory does not resolve (reminders go to the secretary)."""
    from planwarden.core.db import session_scope
    from planwarden.plan.directory import Directory
    from planwarden.importing.people import unresolved

    directory = Directory(config.directory)
    with session_scope(config.database_url) as session:
        return {plan.key: unresolved(session, plan.key, directory) for plan in config.plans}


def _print_unresolved(found: dict[str, list[dict[str, object]]]) -> None:
    for plan, rows in found.items():
        if not rows:
            continue
        print(f"\nPlan {plan!r}: {len(rows)} owner texts not in the directory "
              "(draft entries with: planwarden directory suggest --plan KEY --out FILE)")
        for row in rows:
            print(f"  {row['ref']!s:<8} {'; '.join(map(str, row['unresolved']))}")
