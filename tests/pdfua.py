"""Reading a PDF's structure tree back, and the PDF/UA-1 checks a machine can make.

A test helper (the pack tests run it on every pack they build): the structure a screen
reader walks, in reading order, with each element's type, alt text and nesting. The
checks are the machine-checkable part of PDF/UA-1 (ISO 14289-1) that matter for a board
pack: marked and tagged, language and title, the title shown, every figure with alt
text, tables with header cells (their ids unique, and named rightly by the data cells),
headings that do not skip a level, and every page's content in the tree (tab order by
structure).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HEADING = re.compile(r"^H([1-6])$")


@dataclass(frozen=True)
class Element:
    kind: str  # the standard type after the role map: H1, P, Table, TH, Figure, ...
    depth: int
    alt: str
    page: int | None  # index of the page it is on, when the element says


def elements(path: Path) -> list[Element]:
    """Every structure element in reading order (depth first)."""
    import pikepdf

    with pikepdf.open(path) as pdf:
        root = pdf.Root.get("/StructTreeRoot")
        if root is None:
            return []
        roles = {str(k): str(v) for k, v in root.get("/RoleMap", {}).items()}
        pages = {p.objgen: i for i, p in enumerate(pdf.pages)}
        return list(_walk(root.get("/K"), 0, roles, pages))


def _walk(node: Any, depth: int, roles: dict[str, str], pages: dict[Any, int]) -> Iterator[Element]:
    import pikepdf

    if isinstance(node, pikepdf.Array):
        for kid in node:
            yield from _walk(kid, depth, roles, pages)
        return
    if not isinstance(node, pikepdf.Dictionary) or "/S" not in node:
        return  # a marked-content id or an object reference: content, not structure
    kind = str(node.S)
    while kind in roles and roles[kind] != kind:
        kind = roles[kind]
    page = node.get("/Pg")
    yield Element(kind.lstrip("/"), depth, str(node.get("/Alt", "")),
                  pages.get(page.objgen) if page is not None else None)
    yield from _walk(node.get("/K"), depth + 1, roles, pages)


def problems(path: Path) -> list[str]:
    """What fails the checks; an empty list passes."""
    import pikepdf

    found: list[str] = []
    with pikepdf.open(path) as pdf:
        root = pdf.Root
        if not bool(root.get("/MarkInfo", {}).get("/Marked", False)):
            found.append("not marked as tagged (MarkInfo /Marked)")
        if "/StructTreeRoot" not in root:
            found.append("no structure tree")
        if not str(root.get("/Lang", "")).strip():
            found.append("no document language (/Lang)")
        if not bool(root.get("/ViewerPreferences", {}).get("/DisplayDocTitle", False)):
            found.append("the title is not shown in the window (DisplayDocTitle)")
        with pdf.open_metadata() as xmp:
            if not str(xmp.get("dc:title", "")).strip():
                found.append("no title in the XMP metadata")
            if str(xmp.get("pdfuaid:part", "")) != "1":
                found.append("no PDF/UA identification (pdfuaid:part = 1)")
        for index, page in enumerate(pdf.pages):
            if "/StructParents" not in page.obj and page.obj.get("/Contents") is not None:
                found.append(f"page {index + 1}: its content is not in the structure tree")
            if str(page.obj.get("/Tabs", "")) != "/S":
                found.append(f"page {index + 1}: tab order does not follow the structure (/Tabs /S)")
        found += _cell_ids(root.get("/StructTreeRoot"))
    tree = elements(path)
    found += [f"figure without alt text (element {i})" for i, e in enumerate(tree)
              if e.kind == "Figure" and not e.alt.strip()]
    found += _tables(tree) + _headings(tree)
    return found


def _cell_ids(root: Any) -> list[str]:
    """Header cell ids unique, and every id a data cell names as its header is one."""
    import pikepdf

    if root is None:
        return []
    names: list[str] = []
    todo = [root.get("/IDTree")]
    while todo:
        node = todo.pop()
        if isinstance(node, pikepdf.Dictionary):
            listed = node.get("/Names", pikepdf.Array())
            names += [str(listed[i]) for i in range(0, len(listed), 2)]
            todo += list(node.get("/Kids", pikepdf.Array()))
    known, found = set(names), []
    if len(known) != len(names):
        found.append(f"{len(names) - len(known)} header cell ids are used twice")
    todo = [root.get("/K")]
    while todo:
        node = todo.pop()
        if isinstance(node, pikepdf.Array):
            todo += list(node)
        elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
            attributes = node.get("/A")
            for a in attributes if isinstance(attributes, pikepdf.Array) else [attributes]:
                if isinstance(a, pikepdf.Dictionary):
                    found += [f"a cell names a header cell that is not there ({h})"
                              for h in a.get("/Headers", pikepdf.Array()) if str(h) not in known]
            todo.append(node.get("/K"))
    return found


def _tables(tree: list[Element]) -> list[str]:
    out = []
    for i, e in enumerate(tree):
        if e.kind != "Table":
            continue
        inside = []
        for later in tree[i + 1:]:
            if later.depth <= e.depth:
                break
            inside.append(later.kind)
        if "TH" not in inside:
            out.append(f"table without header cells (element {i})")
    return out


def _headings(tree: list[Element]) -> list[str]:
    out, level = [], 0
    for i, e in enumerate(tree):
        m = HEADING.match(e.kind)
        if m:
            now = int(m.group(1))
            if now > level + 1:
                out.append(f"heading H{now} after H{level} skips a level (element {i})")
            level = now
    return out
