"""planwarden config-reference"""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    app.command("config-reference")(config_reference)


def config_reference() -> None:
    """Print the configuration reference (Markdown)."""
    from planwarden.core.configref import render_reference

    print(render_reference())
