"""planwarden preview-emails --out DIR [NAME...] [--json]"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from planwarden.cli.common import Json, UserError, print_json, warn


def register(app: typer.Typer) -> None:
    app.command("preview-emails")(preview_emails)


def preview_emails(out: Annotated[Path, typer.Option("--out", metavar="DIR", help="Where to write the previews.")],
                   names: Annotated[list[str] | None, typer.Argument(
                       help="Only these templates (default: all).")] = None,
                   json: Json = False) -> None:
    """Render every email template with sample data into DIR (name.subject.txt, name.txt, name.html)."""
    from planwarden.mail.emails import preview

    try:
        result = preview(out, names or None)
    except OSError as exc:
        raise UserError(f"cannot write to {out}: {exc.strerror}") from None
    if json:
        print_json(result)
        return
    for name in result["rendered"]:
        print(f"{out / name}.html  (.txt, .subject.txt)")
    for name in result["missing_samples"]:
        warn(f"no sample registered for template {name!r}")
