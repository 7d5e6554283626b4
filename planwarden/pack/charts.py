"""The pack's charts: RAG by section and the trend over previous months.

SVG for the PDF (sharp at any zoom), PNG for the DOCX (Word's safest format). Both
must be byte-identical for the same data: the SVG hash salt is fixed and no date is
written into either file. Each bar also carries hatching and its count, so the chart
reads in black and white.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence

import datetime as dt

from planwarden.pack.compute import Counts, SectionBlock

COLOURS = {"red": "#c0392b", "amber": "#f0a202", "green": "#2e8540", "blue": "#1d5fa8", "none": "#9e9e9e"}
HATCH = {"red": "", "amber": "", "green": "", "blue": "", "none": ""}
LABELS = {"red": "Red", "amber": "Amber", "green": "Green", "blue": "Blue", "none": "Not rated"}
ORDER = ("red", "amber", "green", "blue", "none")
_LOCK = threading.Lock()  # pyplot's state is global: one chart at a time
FONT = ["Noto Sans", "DejaVu Sans"]


def _setup() -> None:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update({"svg.hashsalt": "planwarden-pack", "svg.fonttype": "none",
                                "font.family": "sans-serif", "font.sans-serif": FONT, "font.size": 9,
                                "hatch.linewidth": 0.6, "hatch.color": "#ffffff"})


def _stacked(ax: object, labels: Sequence[str], counts: Sequence[Counts], horizontal: bool) -> None:
    """Stacked bars, one colour and hatch per RAG, each segment labelled with its count."""
    import numpy as np

    positions = np.arange(len(labels))
    left = np.zeros(len(labels))
    for rag in ORDER:
        values = np.array([getattr(c, rag) for c in counts], dtype=float)
        if not values.any():
            continue
        kwargs = {"color": COLOURS[rag], "hatch": HATCH[rag], "edgecolor": "#ffffff", "linewidth": 0.6,
                  "label": LABELS[rag]}
        bars = (ax.barh(positions, values, left=left, height=0.62, **kwargs) if horizontal  # type: ignore[attr-defined]
                else ax.bar(positions, values, bottom=left, width=0.62, **kwargs))  # type: ignore[attr-defined]
        ax.bar_label(bars, labels=[str(int(v)) if v else "" for v in values], label_type="center",  # type: ignore[attr-defined]
                     color="#000000" if rag == "amber" else "#ffffff", fontsize=8, fontweight="bold")
        left = left + values


def section_chart(sections: Sequence[SectionBlock], fmt: str) -> bytes:
    """Horizontal stacked bars: one bar per section, counts by RAG."""
    return section_charts(sections, (fmt,))[fmt]


def section_charts(sections: Sequence[SectionBlock], fmts: Sequence[str]) -> dict[str, bytes]:
    """The section chart drawn once, saved in each format (SVG for the PDF, PNG for Word)."""
    labels = [_wrap(s.label) for s in sections] or ["(no sections)"]
    counts = [s.counts for s in sections] or [Counts()]
    height = 1.2 + sum(0.42 + 0.16 * label.count("\n") for label in labels)
    return _draw(lambda ax: _section_axes(ax, labels, counts), (7.2, height), fmts, horizontal=True)


def _section_axes(ax: object, labels: list[str], counts: list[Counts]) -> None:
    _stacked(ax, labels, counts, horizontal=True)
    ax.set_yticks(range(len(labels)), labels)  # type: ignore[attr-defined]
    ax.invert_yaxis()  # type: ignore[attr-defined]
    ax.set_xlabel("Number of actions")  # type: ignore[attr-defined]


def trend_chart(trend: Sequence[tuple[dt.date, Counts]], fmt: str) -> bytes:
    """Stacked columns: the RAG position at each previous month end and at this pack."""
    return trend_charts(trend, (fmt,))[fmt]


def trend_charts(trend: Sequence[tuple[dt.date, Counts]], fmts: Sequence[str]) -> dict[str, bytes]:
    labels = [f"{d:%-d %b %Y}" for d, _ in trend]
    counts = [c for _, c in trend]
    return _draw(lambda ax: _trend_axes(ax, labels, counts), (7.2, 2.3), fmts)


def _trend_axes(ax: object, labels: list[str], counts: list[Counts]) -> None:
    _stacked(ax, labels, counts, horizontal=False)
    ax.set_xticks(range(len(labels)), labels)  # type: ignore[attr-defined]
    ax.set_ylabel("Number of actions")  # type: ignore[attr-defined]
    if len(labels) == 1:
        ax.set_xlim(-1.5, 1.5)  # type: ignore[attr-defined]


def _draw(fill: object, size: tuple[float, float], fmts: Sequence[str], horizontal: bool = False) -> dict[str, bytes]:
    with _LOCK:
        _setup()
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=size, dpi=150)
        try:
            fill(ax)  # type: ignore[operator]
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
            from matplotlib.ticker import MaxNLocator

            (ax.xaxis if horizontal else ax.yaxis).set_major_locator(MaxNLocator(integer=True))
            if ax.get_legend_handles_labels()[0]:
                ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=4, frameon=False, fontsize=8)
            fig.tight_layout()
            out = {}
            for fmt in fmts:
                buf = io.BytesIO()
                metadata = {"Date": None} if fmt == "svg" else {"Software": None}
                fig.savefig(buf, format=fmt, metadata=metadata, bbox_inches="tight")
                out[fmt] = buf.getvalue()
            return out
        finally:
            plt.close(fig)


def _wrap(label: str, width: int = 40) -> str:
    """Section names in full, on up to three lines (a cut label reads as nonsense)."""
    import textwrap

    lines = textwrap.wrap(label, width) or [""]
    if len(lines) > 3:
        lines = lines[:2] + [textwrap.shorten(" ".join(lines[2:]), width, placeholder=" …")]
    return "\n".join(lines)
