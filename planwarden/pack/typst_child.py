"""Typst's compiles in a process of its own, kept warm and recycled when it grows.

Why a process: typst-py never evicts Typst's memoisation cache, so a compile keeps
everything it laid out (about 1.4 GB for the 2,000-action pack) for the life of the
process, and each later compile adds its own. In this child, that memory ends with the
child: the parent (``typeset.Worker``) replaces it once it holds more than a bound,
and keeps it otherwise, so a small pack built again reuses Typst's warm caches.

Protocol on stdin/stdout, one request at a time: an 8-byte big-endian length and a JSON
request; the answer is one status byte (0 ok, 1 Typst's error), an 8-byte length and
the PDF (or the diagnostic, UTF-8), then 8 bytes: the child's resident memory in KB.
This file imports nothing but typst (a lean, fast start: no planwarden, no matplotlib).
"""

import json
import struct
import sys
from typing import BinaryIO


def rss_kb() -> int:
    """Resident memory now (Linux): what the parent weighs against its bound."""
    with open("/proc/self/status", encoding="ascii") as status:
        return next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)


def answer(out: BinaryIO, status: int, body: bytes) -> None:
    out.write(bytes([status]) + struct.pack(">Q", len(body)) + body + struct.pack(">Q", rss_kb()))
    out.flush()


def main() -> int:
    import typst

    source, out = sys.stdin.buffer, sys.stdout.buffer
    while True:
        head = source.read(8)
        if len(head) < 8:  # the parent closed the pipe: done
            return 0
        request = json.loads(source.read(struct.unpack(">Q", head)[0]))
        try:
            pdf = typst.compile(request["template"], root=request["root"], sys_inputs=request["inputs"],
                                pdf_standards=request["standards"])
        except RuntimeError as exc:  # typst raises its diagnostics as one error
            answer(out, 1, str(exc).encode("utf-8"))
            continue
        answer(out, 0, bytes(pdf))


if __name__ == "__main__":
    sys.exit(main())
