"""HTML fragments from Word/PDF extraction turned into plain text people can read.

Table cells in the seed documents carry bits of HTML (``<p>``, ``<b>``, ``<i>``,
``<ul><li>• …</li></ul>``, ``<a href>``, ``&amp;``). Reminders, packs and the command
line show plain text, so a cell becomes paragraphs separated by a blank line and
bullets as ``- item`` lines. The ``•`` typed inside ``<li>`` is dropped so a bullet is
never doubled. Text without markup only has its whitespace tidied, so the same text
always converts to the same result (re-imports compare texts).
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_BLOCKS = {"p", "div", "br", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol",
           "li", "section", "article", "header", "footer"}
_LEADING_BULLET = re.compile(r"^[\s•●○◦▪■◆‣∙·\-–*]+(?=\S)")


class _TextCollector(HTMLParser):
    """Collects blocks of text: ("p", text) for paragraphs, ("li", text) for list items."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str]] = []
        self._buffer: list[str] = []
        self._lists: list[list[int]] = []  # per open list: [counter or -1 for bullets]
        self._in_item = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self._flush()
        if tag in ("ul", "ol"):
            self._lists.append([0 if tag == "ol" else -1])
        elif tag == "li":
            self._in_item += 1
            if self._lists and self._lists[-1][0] >= 0:
                self._lists[-1][0] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self._flush()
        if tag in ("ul", "ol") and self._lists:
            self._lists.pop()
        elif tag == "li" and self._in_item:
            self._in_item -= 1

    def handle_data(self, data: str) -> None:
        self._buffer.append(data)

    def close(self) -> None:
        super().close()
        self._flush()

    def _flush(self) -> None:
        text = " ".join("".join(self._buffer).split())
        self._buffer = []
        if not text:
            return
        if self._in_item:
            counter = self._lists[-1][0] if self._lists else -1
            marker = f"{counter}." if counter > 0 else "-"
            self.blocks.append(("li", f"{marker} {_LEADING_BULLET.sub('', text)}"))
        else:
            self.blocks.append(("p", text))


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment: paragraphs split by a blank line, bullets as '- item' lines."""
    if not fragment or not fragment.strip():
        return ""
    if not _TAG.search(fragment):
        return tidy_paragraphs(html.unescape(fragment))
    collector = _TextCollector()
    collector.feed(fragment)
    collector.close()
    return join_blocks(collector.blocks)


def join_blocks(blocks: list[tuple[str, str]]) -> str:
    """List items on consecutive lines; everything else separated by a blank line."""
    out: list[str] = []
    previous = ""
    for kind, text in blocks:
        if out:
            out.append("\n" if kind == "li" and previous == "li" else "\n\n")
        out.append(text)
        previous = kind
    return "".join(out)


def tidy_paragraphs(text: str) -> str:
    """Collapse spaces within lines, keep single line breaks and at most one blank line."""
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*$")
_DATED_UPDATE = re.compile(r"^Update\s+(?:\d{1,2}[/.]\d{1,2}[/.]\d{2,4}|[A-Z][a-z]+\s+\d{4})", re.I)
_LIST_ITEM = re.compile(r"^(?:- |\d+\. )")


def join_fragments(fragments: list[str]) -> str:
    """Join the pieces of one table cell split over rows (page breaks, wrapped PDF rows).

    A piece that ends mid-sentence continues on the same line ("…available on 23" +
    "December 2022 …"); after a finished sentence the next piece is a new paragraph. A
    piece that is a list item stays in its list, and a dated "Update 15/05/2013 …" always
    starts a paragraph of its own.
    """
    out = ""
    for fragment in fragments:
        piece = fragment.strip()
        if not piece:
            continue
        out = piece if not out else out + _separator(out, piece) + piece
    return out


def _separator(before: str, after: str) -> str:
    if _LIST_ITEM.match(after):
        return "\n" if _LIST_ITEM.match(before.rsplit("\n", 1)[-1]) else "\n\n"
    if _DATED_UPDATE.match(after) or _SENTENCE_END.search(before):
        return "\n\n"
    return " "


def continues(before: str, after: str) -> bool:
    """True when ``after`` carries on the sentence ``before`` left unfinished."""
    return bool(before.strip()) and bool(after.strip()) and _separator(before.strip(), after.strip()) == " "


def ends_sentence(text: str) -> bool:
    """True when ``text`` ends a sentence, so what follows is not its continuation."""
    return bool(_SENTENCE_END.search(text.strip()))
