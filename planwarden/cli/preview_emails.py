"""planwarden preview-emails --out DIR [--json]"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from planwarden.cli.common import UserError, add_json, command, print_json


def register(sub: Any) -> None:
    p = command(sub, "preview-emails", handle,
                "render every email template with sample data into DIR (name.subject.txt, name.txt, name.html)")
    p.add_argument("--out", type=Path, required=True, metavar="DIR")
    p.add_argument("names", nargs="*", help="only these templates (default: all)")
    add_json(p)


def handle(args: argparse.Namespace) -> int:
    from planwarden.mail.emails import preview

    try:
        result = preview(args.out, args.names or None)
    except OSError as exc:
        raise UserError(f"cannot write to {args.out}: {exc.strerror}") from None
    if args.json:
        print_json(result)
    else:
        for name in result["rendered"]:
            print(f"{args.out / name}.html  (.txt, .subject.txt)")
        for name in result["missing_samples"]:
            print(f"warning: no sample registered for template {name!r}", file=sys.stderr)
    return 0
