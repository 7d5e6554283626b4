"""Email templates: render a Jinja2 triplet, and sample contexts for `preview-emails`.

Every email planwarden sends is ``templates/emails/<name>.subject.txt``, ``<name>.txt``
and ``<name>.html`` on the shared layouts ``base.txt`` / ``base.html`` (table-based,
inline styles, no external CSS or images, 640 px wide: what Outlook on a desktop and
on a phone both render well). HTML is autoescaped — stored text is data.

Adding an email: write the triplet, then register a sample so ``planwarden
preview-emails`` renders it::

    from planwarden.mail.emails import sample

    @sample("confirmation")
    def _confirmation() -> dict: return {...}

and add the module that holds it to ``SAMPLE_MODULES`` (imported only by the preview).
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import planwarden

TEMPLATES = planwarden.TEMPLATES / "emails"
LAYOUTS = {"base"}

#: name -> a function returning a sample context for that template.
SAMPLES: dict[str, Callable[[], dict[str, Any]]] = {}
#: Modules that register samples with ``@sample``; imported by ``load_samples``.
SAMPLE_MODULES: list[str] = ["planwarden.reminders.samples", "planwarden.calendar.samples", "planwarden.replies.samples", "planwarden.pack.samples"]


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def sample(name: str) -> Callable[[Callable[[], dict[str, Any]]], Callable[[], dict[str, Any]]]:
    """Register a sample context for template ``name``."""
    def register(fn: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
        SAMPLES[name] = fn
        return fn
    return register


def load_samples() -> dict[str, Callable[[], dict[str, Any]]]:
    """Every registered sample (importing the modules that register them)."""
    for module in SAMPLE_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    return dict(SAMPLES)


def template_names(folder: Path = TEMPLATES) -> list[str]:
    """Names of the complete triplets in the templates folder (layouts excluded)."""
    names = {p.name.removesuffix(".subject.txt") for p in folder.glob("*.subject.txt")}
    return sorted(n for n in names - LAYOUTS if (folder / f"{n}.txt").exists() and (folder / f"{n}.html").exists())


def _date(value: dt.date | None, fmt: str = "%-d %B %Y") -> str:
    return value.strftime(fmt) if value else ""


def _day(value: dt.date | None) -> str:
    """'Wed 14 Dec 2022': short enough for a phone, unambiguous for British readers."""
    return value.strftime("%a %-d %b %Y") if value else ""


def _wrap(value: str, width: int = 72, indent: str = "") -> str:
    """Plain-text paragraphs wrapped at ``width`` (long lines read badly on phones and in
    quotes). Greedy word wrap: several times faster than textwrap, which matters when
    thousands of digests are rendered in one run."""
    out: list[str] = []
    for paragraph in str(value).split("\n"):
        words = paragraph.split()
        if not words:
            out.append(indent.rstrip())
            continue
        line = indent + words[0]
        for word in words[1:]:
            if len(line) + 1 + len(word) > width:
                out.append(line)
                line = indent + word
            else:
                line += " " + word
        out.append(line)
    return "\n".join(out)


@lru_cache(maxsize=4)
def environment(folder: Path = TEMPLATES) -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        auto_reload=False)  # no stat() per render: thousands of digests per run
    env.filters["date"] = _date
    env.filters["day"] = _day
    env.filters["wrap"] = _wrap
    return env


def render(name: str, context: dict[str, Any], folder: Path = TEMPLATES) -> RenderedEmail:
    """Render ``name``'s triplet. The subject is folded onto one line."""
    env = environment(folder)
    subject = " ".join(env.get_template(f"{name}.subject.txt").render(context).split())
    text = env.get_template(f"{name}.txt").render(context)
    html = env.get_template(f"{name}.html").render(context)
    return RenderedEmail(subject, _tidy_text(text), html)


_BLANKS = re.compile(r"\n{3,}")


def _tidy_text(text: str) -> str:
    """At most one blank line in a row, no trailing spaces: reads well in any client.

    Trailing spaces come off line by line: a regex ``[ \t]+$`` takes minutes over a reply
    quoted back with a run of 100,000 spaces inside a line.
    """
    text = "\n".join(line.rstrip(" \t") for line in text.split("\n"))
    return _BLANKS.sub("\n\n", text).strip() + "\n"


def preview(out: Path, names: list[str] | None = None) -> dict[str, Any]:
    """Render every template with its sample into ``out``: name.subject.txt/.txt/.html.

    Returns {"rendered": [...], "missing_samples": [...]}: a template nobody registered
    a sample for is reported, not skipped silently. A sample whose context has a
    ``"template"`` key renders that template (several samples of one email).
    """
    samples = load_samples()
    out.mkdir(parents=True, exist_ok=True)
    wanted = names or sorted(set(samples) | set(template_names()))
    rendered, missing = [], []
    for name in wanted:
        if name not in samples:
            missing.append(name)
            continue
        context = samples[name]()
        email = render(str(context.pop("template", name)), context)  # a sample may show a variant
        (out / f"{name}.subject.txt").write_text(email.subject + "\n", encoding="utf-8")
        (out / f"{name}.txt").write_text(email.text, encoding="utf-8")
        (out / f"{name}.html").write_text(email.html, encoding="utf-8")
        rendered.append(name)
    return {"out": str(out), "rendered": rendered, "missing_samples": missing}
