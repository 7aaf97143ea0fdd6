"""Charts of the weekly report as PNG images (matplotlib, Agg backend, no pyplot global state).

Chinese labels need a CJK font. When the machine has one (Noto Sans CJK, WenQuanYi, Source Han
…: any installed font whose character map holds the glyphs), the charts are labelled in Chinese;
otherwise in English, so a chart never shows empty boxes (tofu). The tables of the email carry
the Chinese names in any case: mail clients render HTML text with the reader's own fonts.
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from functools import lru_cache
from typing import Optional

PREFERRED = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
             "Droid Sans Fallback", "AR PL UMing CN", "Microsoft YaHei", "SimHei", "PingFang SC")
PROBE = "村乡县调解纠纷"
COLOURS = ("#1f5fa8", "#4c9a5b", "#d08c2e", "#b8453a", "#7a5aa6")


@lru_cache(maxsize=1)
def cjk_font() -> Optional[str]:
    """The family name of an installed font that covers Chinese, or None."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    def covers(path: str) -> bool:
        try:
            charmap = FT2Font(path).get_charmap()
        except (OSError, RuntimeError, ValueError):
            return False
        return all(ord(ch) in charmap for ch in PROBE)

    manager = font_manager.fontManager
    entries = sorted(manager.ttflist,
                     key=lambda f: (PREFERRED.index(f.name) if f.name in PREFERRED else len(PREFERRED), f.name))
    for entry in entries:
        if covers(entry.fname):
            return entry.name
    # matplotlib's font list is cached: a font installed after the cache was built is not in it yet
    known = {entry.fname for entry in manager.ttflist}
    for path in sorted(font_manager.findSystemFonts()):
        if path not in known and covers(path):
            manager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name()
    return None


def _figure(height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", bbox_inches="tight", facecolor="white")
    return out.getvalue()


def _font_kwargs(font: Optional[str]) -> dict:
    return {"fontfamily": font} if font else {}


def _legend(ax, font: Optional[str], columns: int) -> None:
    """A legend under the plot, where it never covers a bar."""
    prop = {"size": 8, **({"family": font} if font else {})}
    ax.legend(prop=prop, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=columns, frameon=False)


def horizontal_bars(title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]],
                    font: Optional[str]) -> bytes:
    """Grouped horizontal bars (e.g. this week and the previous one per dispute type)."""
    rows = max(len(labels), 1)
    fig = _figure(1.2 + 0.38 * rows * max(len(series), 1) ** 0.5)
    ax = fig.add_subplot(1, 1, 1)
    height = 0.8 / max(len(series), 1)
    positions = list(range(len(labels)))
    for i, (name, values) in enumerate(series):
        ax.barh([p + i * height for p in positions], values, height=height, label=name,
                color=COLOURS[i % len(COLOURS)])
        for p, v in zip(positions, values, strict=True):
            if v:
                ax.text(v, p + i * height, f" {v:g}", va="center", fontsize=8)
    ax.set_yticks([p + height * (len(series) - 1) / 2 for p in positions])
    ax.set_yticklabels(labels, **_font_kwargs(font))
    ax.invert_yaxis()
    ax.set_title(title, **_font_kwargs(font))
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.margins(x=0.12)
    if len(series) > 1:
        _legend(ax, font, len(series))
    return _png(fig)


def stacked_bars(title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]],
                 font: Optional[str]) -> bytes:
    """Stacked horizontal bars (e.g. conclusions per committee level, split by outcome)."""
    fig = _figure(1.4 + 0.5 * max(len(labels), 1))
    ax = fig.add_subplot(1, 1, 1)
    left = [0.0] * len(labels)
    for i, (name, values) in enumerate(series):
        ax.barh(range(len(labels)), values, left=left, label=name, color=COLOURS[i % len(COLOURS)])
        left = [a + b for a, b in zip(left, values, strict=True)]
    for p, total in enumerate(left):
        ax.text(total, p, f" {total:g}", va="center", fontsize=8)
    ax.set_yticks(list(range(len(labels))))
    ax.set_yticklabels(labels, **_font_kwargs(font))
    ax.invert_yaxis()
    ax.set_title(title, **_font_kwargs(font))
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.margins(x=0.12)
    _legend(ax, font, len(series))
    return _png(fig)
