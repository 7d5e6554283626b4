"""HTML-only replies turned into plain text, with the quoted history marked.

Clients that send HTML only (Outlook on the web and phones, some Gmail set-ups) put
the quoted reminder in recognisable containers: Gmail ``div.gmail_quote``, Apple Mail
``blockquote type=cite``, Outlook ``div#divRplyFwdMsg`` / ``div#appendonsend``,
Thunderbird ``div.moz-cite-prefix``. Each becomes one ``QUOTE_MARK`` line, where the
text cleaner cuts; everything else becomes paragraphs and ``- item`` lines.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag

QUOTE_MARK = "-----Original Message-----"
_BLOCK = {"p", "div", "br", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "section",
          "article", "header", "footer", "hr", "pre", "blockquote", "center", "dl", "dt", "dd", "address"}
_DROP = {"script", "style", "head", "title", "meta", "link", "noscript", "template", "svg", "object", "iframe"}
# Styles that hide an element from the person reading the mail: what they cannot see is
# not what they wrote (a hidden "RAG: Red" must not rate the action).
_HIDDEN_STYLE = re.compile(r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden|mso-hide\s*:\s*all"
                           r"|font-size\s*:\s*0(?:\.0*)?(?:px|pt|em|rem|%)?\s*(?:!important\s*)?(?:;|$)"
                           r"|opacity\s*:\s*0(?:\.0*)?\s*(?:!important\s*)?(?:;|$)"
                           r"|max-height\s*:\s*0(?:px)?\s*(?:!important\s*)?(?:;|$))", re.I)


def _is_quote(tag: Tag) -> bool:
    classes = tag.get("class") or []
    if isinstance(classes, str):
        classes = classes.split()
    ident = str(tag.get("id") or "")
    return (tag.name == "blockquote" or "gmail_quote" in classes or "moz-cite-prefix" in classes
            or "yahoo_quoted" in classes or ident in ("divRplyFwdMsg", "appendonsend", "mail-editor-reference-message-container"))


_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_CSS_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_SIMPLE_SELECTOR = re.compile(r"^(?:[a-z][\w-]*)?([.#][\w-]+)$", re.I)


def _hidden_selectors(soup: BeautifulSoup) -> frozenset[str]:
    """``.class`` and ``#id`` names a ``<style>`` block hides (``.x { display: none }``)."""
    found: set[str] = set()
    for style in soup.find_all("style"):
        css = _CSS_COMMENT.sub("", style.get_text())
        for selectors, body in _CSS_RULE.findall(css):
            if _HIDDEN_STYLE.search(body.strip()):
                found.update(m.group(1).lower() for sel in selectors.split(",")
                             if (m := _SIMPLE_SELECTOR.match(sel.strip())))
    return frozenset(found)


def _is_hidden(tag: Tag, hidden: frozenset[str]) -> bool:
    """Hidden by an attribute, its inline style, or a class or id a style block hides."""
    if tag.has_attr("hidden") or _HIDDEN_STYLE.search(_CSS_COMMENT.sub("", str(tag.get("style") or "")).strip()):
        return True
    if not hidden:
        return False
    classes = tag.get("class") or []
    names = {f".{c.lower()}" for c in (classes.split() if isinstance(classes, str) else classes)}
    return bool(names & hidden) or f"#{str(tag.get('id') or '').lower()}" in hidden


def html_to_text(markup: str) -> str:
    try:
        soup = BeautifulSoup(markup, "lxml")
    except Exception:  # noqa: BLE001 - unparseable HTML: strip tags by hand
        return re.sub(r"<[^>]+>", " ", markup)
    out: list[str] = []
    _emit(soup, out, hidden=_hidden_selectors(soup))
    text = "".join(out)
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _emit(node: Tag, out: list[str], depth: int = 0, hidden: frozenset[str] = frozenset()) -> None:
    if depth > 200:
        return
    for child in node.children:
        if isinstance(child, NavigableString):
            if type(child).__name__ in ("Comment", "Doctype", "Declaration", "ProcessingInstruction", "CData"):
                continue
            out.append(" ".join(str(child).split(" ")).replace("\n", " "))
            continue
        if not isinstance(child, Tag) or child.name in _DROP or _is_hidden(child, hidden):
            continue
        if _is_quote(child):
            out.append(f"\n\n{QUOTE_MARK}\n\n")
            continue
        block = child.name in _BLOCK
        if child.name == "li":
            out.append("\n- ")
        elif child.name in ("p", "div", "table", "tr", "h1", "h2", "h3", "blockquote", "pre"):
            out.append("\n\n" if child.name == "p" else "\n")
        elif child.name == "br":
            out.append("\n")
            continue
        elif child.name == "hr":
            out.append("\n\n")
            continue
        elif child.name in ("td", "th"):
            out.append(" ")
        _emit(child, out, depth + 1, hidden)
        if block:
            out.append("\n\n" if child.name == "p" else "\n")
