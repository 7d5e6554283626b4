"""Deliver 5,000 digests (~10 KB multipart text+HTML each) to aiosmtpd on loopback, in its own process.

Measures the whole path: claim in SQLite, one SMTP connection per batch of 200, and a
committed outcome per message. Target: at least 300 messages/s (issue 16). Run with
``.venv/bin/python -m benchmarks.bench_delivery`` (``PW_BENCH_DIGESTS`` changes the count).
"""

from __future__ import annotations

import os
import resource
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

N = int(os.environ.get("PW_BENCH_DIGESTS", "5000"))
TARGET = 300


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Counter:
    """Counts what the server accepted, in shared memory (the server runs in its own process)."""

    def __init__(self, count: Any, size: Any) -> None:
        self.count, self.bytes = count, size

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.count.get_lock():
            self.count.value += 1
        with self.bytes.get_lock():
            self.bytes.value += len(envelope.original_content or b"")
        return "250 OK"


def _serve(port: int, count: Any, size: Any, ready: Any, stop: Any) -> None:
    """aiosmtpd in a process of its own, as a real mail server would be: the sender's
    throughput is then not shared with the server inside one interpreter."""
    from aiosmtpd.controller import Controller

    controller = Controller(_Counter(count, size), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


def _digest(i: int) -> tuple[str, str]:
    rows = "".join(f"<tr><td>{i % 9}.{k}a</td><td>Develop and embed guidance on recording the voice of the child "
                   f"in assessments ({k}).</td><td>28 February 2023</td><td>AMBER</td></tr>" for k in range(36))
    text = "\n".join(f"{i % 9}.{k}a  Develop and embed guidance on recording the voice of the child ({k}). "
                     f"Due 28 February 2023, AMBER." for k in range(36))
    return text, f"<html><body><table>{rows}</table></body></html>"


def main() -> dict[str, Any]:
    import multiprocessing

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
        ctx = multiprocessing.get_context("spawn")
        count, size, ready, stop = ctx.Value("q", 0), ctx.Value("q", 0), ctx.Event(), ctx.Event()
        port = _free_port()
        server = ctx.Process(target=_serve, args=(port, count, size, ready, stop), daemon=True)
        server.start()
        ready.wait(30)
        try:
            start = time.perf_counter()
            stats = deliver_pending(session_factory(url), SmtpTransport(SmtpSettings(host="127.0.0.1", port=port)),
                                    batch_size=200)
            elapsed = time.perf_counter() - start
        finally:
            stop.set()
            server.join(30)
            forget(url)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"messages": stats.sent, "received": count.value, "seconds": round(elapsed, 2),
              "messages_per_s": round(stats.sent / elapsed, 1), "avg_kb": round(size.value / max(count.value, 1) / 1024, 1),
              "peak_rss_mb": round(rss_mb, 1), "target_per_s": TARGET}
    print(f"bench_delivery: {result['messages']} digests (~{result['avg_kb']} KB) in {result['seconds']} s = "
          f"{result['messages_per_s']} msg/s (target >= {TARGET}), peak RSS {result['peak_rss_mb']} MB", flush=True)
    return result


if __name__ == "__main__":
    main()
