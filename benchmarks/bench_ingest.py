"""Benchmark: collect 1,000 reply messages from a folder into SQLite.

    .venv/bin/python -m benchmarks.bench_ingest [--messages N]

Target: >= 100 messages/s. The messages are the realistic replies in
tests/data/replies (Outlook desktop and iOS, Gmail, Apple Mail, HTML-only, cp1252,
digest replies, auto-replies, bounces, strangers, DMARC failures, …) each given a fresh
Message-ID, so every one is decided, recorded in its own transaction (with the
confirmation rendered and queued when applied) and moved out of the inbox.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "data" / "replies"
_MID = re.compile(rb"^(Message-I[Dd]:\s*)<[^>]+>", re.M | re.I)


def messages(n: int) -> list[bytes]:
    seeds = [p.read_bytes() for p in sorted(FIXTURES.glob("*.eml"))]
    out = []
    for i in range(n):
        raw = seeds[i % len(seeds)]
        out.append(_MID.sub(rb"\g<1><bench-%d@example.org>" % i, raw, count=1))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="planwarden-bench-ingest-"))
    os.environ["PLANWARDEN_CONFIG"] = str(REPO / "config" / "examples" / "jtai" / "planwarden.toml")
    os.environ["PLANWARDEN_DATABASE_URL"] = f"sqlite:///{work / 'planwarden.db'}"
    os.environ["PLANWARDEN_HOME"] = str(work)

    from planwarden.core.config import load_config
    from planwarden.core.db import session_factory
    from planwarden.mail.outbox_folder import FolderMailbox
    from planwarden.replies.collect import collect

    sys.path.insert(0, str(REPO / "tests"))  # the seeded plan is a test fixture, not shipped code
    from replies_seed import seed

    import datetime as dt

    import planwarden.replies.placing as placing

    # The same 15 replies are replayed ~70 times each with fresh Message-IDs; in a real
    # mailbox they would be repeats ("ignored: repeat"). Measure the full path instead.
    placing.REPEAT_WINDOW = dt.timedelta(0)
    config = load_config()
    sessions = session_factory(config.database_url)
    with sessions.begin() as s:
        seed(s, config)
    inbox = work / "inbox"
    inbox.mkdir()
    for i, raw in enumerate(messages(args.messages)):
        path = inbox / f"{i:06d}.eml"
        path.write_bytes(raw)
        os.utime(path, (1_000_000 + i, 1_000_000 + i))
    started = time.perf_counter()
    report = collect(sessions, config, FolderMailbox(inbox), limit=args.messages)
    elapsed = time.perf_counter() - started
    rate = len(report.results) / elapsed if elapsed else 0.0
    result = {"messages": len(report.results), "seconds": round(elapsed, 2), "per_second": round(rate, 1),
              "outcomes": dict(Counter(r.outcome for r in report.results)), "error": report.error,
              "target_per_second": 100, "ok": rate >= 100 and len(report.results) == args.messages}
    print(json.dumps(result, indent=2))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
