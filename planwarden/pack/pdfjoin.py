"""Tagged PDFs laid out in pieces (volumes.py), joined into one tagged PDF.

Joining pages is easy; a screen reader needs more. Each piece Typst writes has its own
structure tree, and the joined file must have exactly one, in reading order:

- the front's and then each body's top-level elements become the kids of one Document
  element, so the tree reads cover, contents, then the chapters in order;
- each piece numbers its pages' ``/StructParents`` (and its annotations' ``/StructParent``)
  from 0: they are shifted past the pieces before it, and its parent tree's entries
  with them, so every marked-content id still finds its element;
- table header cells have ids (``/IDTree``) that data cells name in ``/Headers``; each
  piece numbers its tables from 1, so its ids get the piece's own letter, everywhere;
- the bookmarks are rebuilt from the pieces' own, nested by heading level (a body that
  continues a chapter adds its sections under the chapter's bookmark);
- the front's contents entries are links Typst pointed at its own first page; each is
  pointed at its heading;
- the running heads (page N of M) are laid over each page as an artifact, which a
  screen reader skips, as Typst marks them in a whole document.
"""

from __future__ import annotations

import ctypes
import io
import re
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, Pdf

RUNNING = Name("/PWRunning")  # the running heads' form on each page


@dataclass(frozen=True)
class Heading:
    """A heading's bookmark: where it landed in the bodies' pages."""

    level: int
    title: str
    page: int  # index among all the bodies' pages
    x: Decimal
    y: Decimal
    closed: bool


@dataclass
class Piece:
    """What a piece adds to the joined tree, kept until the front is known."""

    kids: list[Any]
    parents: list[tuple[int, Any]]
    ids: list[tuple[str, Any]]


@dataclass
class Joiner:
    """Bodies are noted (their headings' places) and added (their pages and structure
    copied in) as they are laid out; ``finish`` puts the front before them, lays the
    running heads over every page and writes the file."""

    pdf: Pdf = field(default_factory=pikepdf.new)
    headings: list[Heading] = field(default_factory=list)
    pieces: list[Piece] = field(default_factory=list)
    roles: dict[str, Any] = field(default_factory=dict)
    next_key: int = 0
    noted_pages: int = 0
    version: str = "1.7"  # the front's (Typst's) PDF version, kept

    @property
    def body_pages(self) -> int:
        """The bodies' pages noted so far."""
        return self.noted_pages

    def note(self, data: bytes, headings: list[tuple[int, str]]) -> None:
        """Where a body's ``headings`` (level, title: those it bookmarks, in order) landed,
        from its bookmarks; quick, so the front can be laid out while it is copied in."""
        with Pdf.open(io.BytesIO(data)) as part:
            marks = bookmarks(part)
            if [_words(m.title) for m in marks] != [_words(title) for _, title in headings]:
                raise ValueError("a piece's bookmarks are not its headings")
            self.headings += [Heading(level, m.title, self.noted_pages + m.page, m.x, m.y, level == 1)
                              for (level, _), m in zip(headings, marks)]
            self.noted_pages += len(part.pages)

    def add_body(self, data: bytes) -> None:
        """Append a body's pages and structure (the bodies in the order they were noted)."""
        with Pdf.open(io.BytesIO(with_piece_ids(data, len(self.pieces) + 1))) as part:
            first = len(self.pdf.pages)
            self.pdf.pages.extend(part.pages)
            self.pieces.append(self._structure(part, list(self.pdf.pages)[first:]))

    def finish(self, front: bytes, running: bytes) -> bytes:
        """The joined document: front, bodies, one structure tree, bookmarks, running heads."""
        with Pdf.open(io.BytesIO(with_piece_ids(front, 0))) as part:
            count, self.version = len(part.pages), part.pdf_version
            for index, page in enumerate(part.pages):
                self.pdf.pages.insert(index, page)
            self.pieces.insert(0, self._structure(part, list(self.pdf.pages)[:count]))
            self._catalog(part)
        self._point_contents(count)
        self._tree()
        self._outline(count)
        with Pdf.open(io.BytesIO(running)) as heads:
            self._overlay(heads)
        out = io.BytesIO()
        self.pdf.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate,
                      min_version=self.version)
        self.pieces.clear()  # their handles into the document, so the thread below holds the last one
        let_go(self.pdf)
        self.pdf = pikepdf.new()
        return out.getvalue()

    # ------------------------------------------------------------------ structure

    def _structure(self, part: Pdf, pages: list[pikepdf.Page]) -> Piece:
        """Copy a piece's structure tree in, shifted past the pieces before it."""
        offset = self.next_key
        root = self.pdf.copy_foreign(part.Root.StructTreeRoot)
        for page in pages:
            if "/StructParents" in page.obj:
                page.obj.StructParents = int(page.obj.StructParents) + offset
            for annot in page.obj.get("/Annots", Array()):
                if "/StructParent" in annot:
                    annot.StructParent = int(annot.StructParent) + offset
        parents = [(int(key) + offset, value) for key, value in tree_entries(root.ParentTree, "/Nums")]
        self.next_key = max([offset + int(root.get("/ParentTreeNextKey", 0))] + [k + 1 for k, _ in parents])
        self.roles.update(dict(root.get("/RoleMap", Dictionary()).items()))
        document = root.K[0] if isinstance(root.K, Array) else root.K
        kids = list(document.K) if isinstance(document.K, Array) else [document.K]
        return Piece(kids, parents, name_tree_entries(root))

    def _tree(self) -> None:
        """One structure tree: one Document element whose kids are the pieces' in order."""
        pdf = self.pdf
        root = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot))
        document = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, P=root))
        kids = [kid for piece in self.pieces for kid in piece.kids]
        for kid in kids:
            kid.P = document
        document.K = Array(kids)
        parents = sorted((pair for piece in self.pieces for pair in piece.parents), key=lambda p: p[0])
        ids = sorted((pair for piece in self.pieces for pair in piece.ids), key=lambda p: p[0])
        if len({name for name, _ in ids}) != len(ids):
            raise ValueError("two pieces gave a table cell the same id")
        root.K = document
        root.ParentTree = pdf.make_indirect(Dictionary(Nums=Array([x for k, v in parents for x in (k, v)])))
        root.ParentTreeNextKey = self.next_key
        root.IDTree = pdf.make_indirect(Dictionary(Names=Array([x for k, v in ids for x in (pikepdf.String(k), v)])))
        root.RoleMap = Dictionary(self.roles)
        pdf.Root.StructTreeRoot = root

    def _catalog(self, front: Pdf) -> None:
        """The front's document-level settings: language, tagging, title shown, metadata."""
        for key in ("/Lang", "/ViewerPreferences", "/Metadata"):
            if key in front.Root:
                value = front.Root[key]
                self.pdf.Root[key] = self.pdf.copy_foreign(value if value.is_indirect else front.make_indirect(value))
        self.pdf.Root.MarkInfo = Dictionary(Marked=True)  # no /Suspects: typeset.without_suspects says why
        self.pdf.trailer.Info = self.pdf.copy_foreign(front.make_indirect(front.trailer.Info))

    # ------------------------------------------------------------------ navigation

    def _point_contents(self, front_pages: int) -> None:
        """The front's link annotations are its contents entries, in order: point each at
        its heading (the entries are the headings of levels 1 and 2, in order)."""
        targets = [h for h in self.headings if h.level <= 2]
        links = [annot for page in list(self.pdf.pages)[:front_pages] for annot in page.obj.get("/Annots", Array())
                 if annot.get("/Subtype") == Name.Link]
        if len(links) != len(targets):
            raise ValueError(f"the contents have {len(links)} links for {len(targets)} headings")
        for link, heading in zip(links, targets):
            link.Dest = self._destination(front_pages, heading)
            if "/A" in link:  # an action would win over /Dest
                del link.A

    def _destination(self, front_pages: int, heading: Heading) -> Array:
        page = self.pdf.pages[front_pages + heading.page]
        return Array([page.obj, Name.XYZ, heading.x, heading.y, 0])

    def _outline(self, front_pages: int) -> None:
        """The bookmarks, nested by level: each heading under the last one above it."""
        with self.pdf.open_outline() as outline:
            outline.root.clear()
            stack: list[tuple[int, pikepdf.OutlineItem]] = []
            for heading in self.headings:
                item = pikepdf.OutlineItem(heading.title, destination=self._destination(front_pages, heading))
                item.is_closed = heading.closed
                while stack and stack[-1][0] >= heading.level:
                    stack.pop()
                (stack[-1][1].children if stack else outline.root).append(item)
                stack.append((heading.level, item))

    def _overlay(self, heads: Pdf) -> None:
        """Each page gets its running heads, drawn last and marked as an artifact."""
        for index, page in enumerate(self.pdf.pages):
            if index == 0 or index >= len(heads.pages):
                continue  # the cover has none
            form = self.pdf.copy_foreign(heads.pages[index].as_form_xobject())
            page.add_resource(form, Name.XObject, RUNNING)
            page.contents_add(self.pdf.make_stream(b"q\n"), prepend=True)
            page.contents_add(self.pdf.make_stream(b"\nQ /Artifact BMC q %s Do Q EMC\n" % str(RUNNING).encode()))


def let_go(pdf: Pdf) -> None:
    """Free a joined document in a thread of its own: qpdf takes ~0.5 s to take 250,000
    objects apart (2,000 actions), without the GIL, and nothing needs to wait for it."""
    threading.Thread(target=_free, args=(pdf,), name="pdfjoin-free", daemon=True).start()


def _free(pdf: Pdf) -> None:
    pdf.close()
    del pdf  # the thread's arguments go when it ends: the document is freed here, not in the caller
    give_back()


def give_back() -> None:
    """Hand freed memory back to the system: glibc keeps what the joined document used
    (~200 MB for 2,000 actions) for reuse, and a scheduler's worker would hold it between
    packs. Elsewhere (no glibc) there is nothing to do."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _words(text: str) -> str:
    return " ".join(text.split())


def bookmarks(pdf: Pdf) -> list[Heading]:
    """A piece's bookmarks, depth first, with their level and place."""
    pages = {page.objgen: index for index, page in enumerate(pdf.pages)}
    found: list[Heading] = []

    def walk(items: list[pikepdf.OutlineItem], level: int) -> None:
        for item in items:
            dest = item.destination
            if isinstance(dest, Array) and len(dest) >= 4:
                found.append(Heading(level, str(item.title), pages[dest[0].objgen], dest[2], dest[3], item.is_closed))
            walk(item.children, level + 1)

    with pdf.open_outline() as outline:  # its nesting is the piece's own, not the document's
        walk(outline.root, 1)
    return found


def tree_entries(node: Any, leaves: str) -> list[tuple[Any, Any]]:
    """A number or name tree's entries (``leaves``: "/Nums" or "/Names"), flattened
    from the node and any ``/Kids`` under it."""
    flat = node.get(leaves, Array())
    entries = [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]
    for kid in node.get("/Kids", Array()):
        entries += tree_entries(kid, leaves)
    return entries


def name_tree_entries(root: Any) -> list[tuple[str, Any]]:
    """The id tree's entries (ids already given their piece's letter by ``with_piece_ids``)."""
    return [(str(name), element) for name, element in tree_entries(root.get("/IDTree", Dictionary()), "/Names")]


# Typst names a table's header cells "U<table>x<column>y<row>", numbering its tables from
# 1 in each piece, so two pieces' ids collide. The ids are written in three places, all
# plain text in the uncompressed structure objects: an element's /ID, the /Headers array
# of a cell, and the id tree's /Names array (after "[" or an object reference).
TYPST_ID = re.compile(rb"\(U(\d+x\d+y\d+)\)")
ID_PLACES = (b"/ID", b"[", b")", b" R")  # what comes right before an id Typst wrote
LETTERS = b"ABCDEFGHIJKLMNOPQRSTVWXYZabcdefghijklmnopqrstuvwxyz"  # one per piece; not U


def with_piece_ids(data: bytes, piece: int) -> bytes:
    """The piece's ids with its own first letter instead of Typst's "U": the same length,
    so the file's cross-reference offsets stay right. The join checks the ids are unique."""
    letter = LETTERS[piece:piece + 1]
    if not letter:
        raise ValueError(f"a pack can be laid out in at most {len(LETTERS)} pieces")

    def renamed(m: re.Match[bytes]) -> bytes:
        before = data[max(0, m.start() - 3):m.start()]
        return b"(" + letter + m.group(1) + b")" if before.endswith(ID_PLACES) else m.group(0)

    return TYPST_ID.sub(renamed, data)
