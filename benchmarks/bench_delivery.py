"""Deliver 1,000 digests (~10 KB multipart text+HTML each) to aiosmtpd on loopback.

Measures the whole path: claim in SQLite, one SMTP connection per batch of 200, and a
committed outcome per message. Target: at least 100 messages/s. Run with
``.venv/bin/python -m benchmarks.bench_delivery``.
"""

from __future__ import annotations

import resource
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

N = 1000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Counter:
    def __init__(self) -> None:
        self.count = 0
        self.bytes = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        self.bytes += len(envelope.original_content or b"")
        return "250 OK"


def _digest(i: int) -> tuple[str, str]:
    rows = "".join(f"<tr><td>{i % 9}.{k}a</td><td>Develop and embed guidance on recording the voice of the child "
                   f"in assessments ({k}).</td><td>28 February 2023</td><td>AMBER</td></tr>" for k in range(36))
    text = "\n".join(f"{i % 9}.{k}a  Develop and embed guidance on recording the voice of the child ({k}). "
                     f"Due 28 February 2023, AMBER." for k in range(36))
    return text, f"<html><body><table>{rows}</table></body></html>"


def main() -> dict[str, Any]:
    from aiosmtpd.controller import Controller

    from planwarden.core.config import SmtpSettings
    from planwarden.core.db import forget, session_factory, session_scope
    from planwarden.mail.compose import Draft
    from planwarden.mail.delivery import deliver_pending
    from planwarden.mail.outbox import enqueue
    from planwarden.mail.smtp import SmtpTransport

    with tempfile.TemporaryDirectory(prefix="pw-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        with session_scope(url) as session:
            for i in range(N):
                text, html = _digest(i)
                enqueue(session, Draft(sender="planwarden@example.org", to=[f"owner{i}@example.org"],
                                       cc=["secretary@example.org"] if i % 10 == 0 else [],
                                       subject=f"Your plan actions this week [planwarden jtai {i % 9}.1a]",
                                       text=text, html=html),
                        kind="reminder", dedupe_key=f"bench-{i}", plan_key="jtai")
        handler, port = _Counter(), _free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            start = time.perf_counter()
            stats = deliver_pending(session_factory(url), SmtpTransport(SmtpSettings(host="127.0.0.1", port=port)),
                                    batch_size=200)
            elapsed = time.perf_counter() - start
        finally:
            controller.stop()
            forget(url)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"messages": stats.sent, "received": handler.count, "seconds": round(elapsed, 2),
              "messages_per_s": round(stats.sent / elapsed, 1), "avg_kb": round(handler.bytes / max(handler.count, 1) / 1024, 1),
              "peak_rss_mb": round(rss_mb, 1), "target_per_s": 100}
    print(f"bench_delivery: {result['messages']} digests (~{result['avg_kb']} KB) in {result['seconds']} s = "
          f"{result['messages_per_s']} msg/s (target >= 100), peak RSS {result['peak_rss_mb']} MB", flush=True)
    return result


if __name__ == "__main__":
    main()
