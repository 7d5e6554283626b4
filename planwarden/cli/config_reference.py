"""planwarden config-reference"""

from __future__ import annotations

import argparse
from typing import Any

from planwarden.cli.common import command


def register(sub: Any) -> None:
    command(sub, "config-reference", reference, "print the configuration reference (Markdown)")


def reference(args: argparse.Namespace) -> int:
    from planwarden.core.configref import render_reference

    print(render_reference())
    return 0
