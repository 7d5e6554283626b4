"""Typst's compile in a process of its own: ``python typst_child.py`` reads a request
(JSON on stdin), writes the PDF to stdout, or Typst's diagnostics to stderr and exits 1.

Why a process: typst-py never evicts Typst's memoisation cache, so a compile keeps
everything it laid out (about 1.4 GB for the 2,000-action pack) for the life of the
process, and a second compile adds its own on top. A scheduler's worker that builds
pack after pack would grow without end; in a child the memory ends with the compile.
This file imports nothing but typst (a lean, fast start: no planwarden, no matplotlib).
"""

import json
import sys


def main() -> int:
    import typst

    request = json.loads(sys.stdin.buffer.read())
    try:
        pdf = typst.compile(request["template"], root=request["root"], sys_inputs=request["inputs"],
                            pdf_standards=request["standards"])
    except RuntimeError as exc:  # typst raises its diagnostics as one error
        sys.stderr.write(str(exc))
        return 1
    sys.stdout.buffer.write(bytes(pdf))
    return 0


if __name__ == "__main__":
    sys.exit(main())
