"""The charts sent with /stats: PNG pictures drawn with matplotlib, in the member's language.

Cases by category and state, the trend week by week, and either the ranking of the
areas below (a street, the district) or the leaders' activity (a community), as the
panels of one picture. Chinese labels are set in WenQuanYi Micro Hei, a TrueType CJK
font that comes with a pip package (paperang-p2-fonts-cjk; the font is Apache-2.0),
so no system font and no download is needed. Drawing takes a few hundred
milliseconds of CPU: callers run :func:`stats_chart` in a thread (asyncio.to_thread).
"""

from __future__ import annotations

import io
import threading
from functools import cache

import matplotlib

matplotlib.use("Agg")  # no display: pictures are drawn to memory

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, fontManager

from bot.documents.fonts import font_path
from bot.i18n import t
from bot.services.categories import Category
from bot.services.stats import Stats

STATES = ("new", "accepted", "in_progress", "resolved", "closed", "rejected")
COLOURS = {
    "new": "#e4572e",
    "accepted": "#f3a712",
    "in_progress": "#ffd166",
    "resolved": "#76b041",
    "closed": "#2e86ab",
    "rejected": "#9e9e9e",
}
MAX_BARS = 15  # bars of a ranking or of leaders; the rest are in the text and the export
DPI = 80
# matplotlib keeps global state (the font cache, the text layout cache): one drawing at a time.
_LOCK = threading.Lock()


@cache
def _font() -> FontProperties:
    path = font_path()
    fontManager.addfont(str(path))
    return FontProperties(fname=str(path))


def _short(text: str, limit: int = 12) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def draw_categories(ax: Axes, stats: Stats, lang: str) -> None:
    """Cases by category, each bar stacked by state."""
    font = _font()
    names = [t(lang, f"category.{c.value}") for c in Category]
    bottoms = [0] * len(names)
    for state in STATES:
        counts = [stats.states.get(c.value, {}).get(state, 0) for c in Category]
        if not any(counts):
            continue
        ax.bar(
            names,
            counts,
            bottom=bottoms,
            color=COLOURS[state],
            label=t(lang, f"status.{state}"),
        )
        bottoms = [b + n for b, n in zip(bottoms, counts, strict=True)]
    ax.set_title(t(lang, "stats.chart.by_category"), fontproperties=font)
    ax.set_ylabel(t(lang, "stats.chart.cases"), fontproperties=font)
    for label in ax.get_xticklabels():
        label.set_fontproperties(font)
    if any(bottoms):
        ax.set_ylim(0, max(bottoms) * 1.45)  # headroom for the legend above the bars
        ax.legend(prop=font, loc="upper left", ncols=3)
    else:
        _nothing(ax, lang)


def draw_trend(ax: Axes, stats: Stats, lang: str) -> None:
    """Cases reported and closed, week by week."""
    font = _font()
    weeks = [w[5:] for w, _, _ in stats.weekly]  # 'MM-DD' of each Monday
    ax.plot(
        weeks, [r for _, r, _ in stats.weekly], marker="o", label=t(lang, "stats.chart.reported")
    )
    ax.plot(weeks, [c for _, _, c in stats.weekly], marker="s", label=t(lang, "stats.chart.closed"))
    ax.set_title(t(lang, "stats.chart.trend"), fontproperties=font)
    ax.set_ylabel(t(lang, "stats.chart.cases"), fontproperties=font)
    if len(weeks) > 10:  # a year: every fourth week is labelled
        ax.set_xticks(range(0, len(weeks), 4), weeks[::4])
    ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    if weeks:
        ax.legend(prop=font, fontsize=8)
    else:
        _nothing(ax, lang)


def draw_ranking(ax: Axes, stats: Stats, lang: str) -> None:
    """The areas below by combined score, best at the top."""
    font = _font()
    ranked = [r for r in stats.ranking or [] if r.score is not None][:MAX_BARS]
    names = [_short(r.area.name) for r in reversed(ranked)]
    scores = [r.score or 0.0 for r in reversed(ranked)]
    ax.barh(names, scores, color="#2e86ab")
    for i, value in enumerate(scores):
        ax.text(value, i, f" {value:.1f}", va="center", fontsize=8)
    ax.set_xlim(0, 110)
    ax.set_title(t(lang, "stats.chart.ranking"), fontproperties=font)
    ax.set_xlabel(t(lang, "stats.chart.score"), fontproperties=font)
    for label in ax.get_yticklabels():
        label.set_fontproperties(font)
    if not ranked:
        _nothing(ax, lang)


def draw_leaders(ax: Axes, stats: Stats, lang: str) -> None:
    """The most active leaders of a community, by actions recorded."""
    font = _font()
    active = [a for a in stats.leaders or [] if a.total][:MAX_BARS]
    names = [_short(a.name, 8) for a in reversed(active)]
    ax.barh(names, [a.total for a in reversed(active)], color="#76b041")
    ax.set_title(t(lang, "stats.chart.leaders"), fontproperties=font)
    for label in ax.get_yticklabels():
        label.set_fontproperties(font)
    if not active:
        _nothing(ax, lang)


def _nothing(ax: Axes, lang: str) -> None:
    ax.text(
        0.5,
        0.5,
        t(lang, "stats.chart.nothing"),
        ha="center",
        va="center",
        transform=ax.transAxes,
        fontproperties=_font(),
        color="#777777",
    )


def stats_chart(stats: Stats, lang: str) -> bytes:
    """The picture for one /stats answer, as PNG bytes (call it in a thread)."""
    with _LOCK:
        figure = Figure(figsize=(9, 9), dpi=DPI)
        FigureCanvasAgg(figure)
        # fixed margins: a layout engine would cost more than the drawing itself
        figure.subplots_adjust(left=0.22, right=0.97, top=0.93, bottom=0.06, hspace=0.45)
        top, middle, bottom = figure.subplots(3, 1, height_ratios=[1, 1, 1.2])
        draw_categories(top, stats, lang)
        draw_trend(middle, stats, lang)
        if stats.ranking is not None:
            draw_ranking(bottom, stats, lang)
        else:
            draw_leaders(bottom, stats, lang)
        figure.suptitle(
            f"{stats.area.name}  {stats.period.first:%Y-%m-%d} ~ {stats.period.last:%Y-%m-%d}",
            fontproperties=_font(),
            fontsize=14,
        )
        out = io.BytesIO()
        figure.savefig(out, format="png")
        return out.getvalue()
