"""Peak memory of this process and every process it starts, summed while they run.

``ru_maxrss`` counts one process: a build that lays out a pack in worker processes
would look small by it. This samples the resident set of the whole process tree
(Linux /proc) ten times a second and keeps the highest total.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from types import TracebackType

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def tree_rss_kb(root: int) -> int:
    """Resident kilobytes of ``root`` and all its descendants, now."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            pages = int((entry / "statm").read_text().split()[1])
        except OSError:  # the process ended while we looked
            continue
        parents[int(entry.name)] = int(stat[stat.rindex(")") + 2:].split()[1])
        rss[int(entry.name)] = pages * PAGE_KB
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total


class PeakTreeMemory:
    """``with PeakTreeMemory() as peak: ...`` then ``peak.mb``."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, tree_rss_kb(os.getpid()))
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakTreeMemory:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_kb = max(self.peak_kb, tree_rss_kb(os.getpid()))

    @property
    def mb(self) -> int:
        return self.peak_kb // 1024
