"""``augcli stats --plot``: per-split charts of a ``DatasetStats`` (and the one it is compared with).

matplotlib is the field's standard for static charts; it is an optional extra
(``pip install augcli[plot]``), imported only here and only when a plot is
asked for, with the headless Agg backend so no display is ever needed.
Each split gets one row: instances per class (bars, before/after side by
side when comparing), the box-size histogram, and instances per image.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from augcli.core.errors import UsageError
from augcli.engine.stats import SIZE_EDGES, DatasetStats, SplitStats
from augcli.formats.atomic import atomic_write_bytes

PLOT_DPI = 100
MAX_PER_IMAGE_BARS = 30
PANEL_INCHES = (5.0, 3.6)  # one panel; a figure is 3 panels wide and one row per split


def figure_size(splits: int) -> tuple[int, int]:
    """The PNG's (width, height) in pixels for a plot of ``splits`` splits."""
    return (round(3 * PANEL_INCHES[0] * PLOT_DPI), round(max(splits, 1) * PANEL_INCHES[1] * PLOT_DPI))


def write_plot(stats: DatasetStats, out: Path, other: DatasetStats | None = None) -> Path:
    """Draw ``stats`` (and ``other``, the compared dataset, as "after") into the PNG ``out``."""
    try:
        import matplotlib

        matplotlib.use("Agg", force=True)
        from matplotlib.figure import Figure
    except ImportError:
        raise UsageError("--plot needs matplotlib: pip install 'augcli[plot]'") from None
    splits = sorted(set(stats.splits) | set(other.splits if other else ()))
    width, height = figure_size(len(splits))
    figure = Figure(figsize=(width / PLOT_DPI, height / PLOT_DPI), dpi=PLOT_DPI, layout="constrained")
    axes = figure.subplots(max(len(splits), 1), 3, squeeze=False)
    series = [("before" if other else stats.source or "dataset", stats)]
    if other is not None:
        series.append(("after", other))
    for row, split in zip(axes, splits):
        parts = [(label, data.splits.get(split, SplitStats())) for label, data in series]
        _classes(row[0], split, parts)
        _sizes(row[1], split, parts)
        _per_image(row[2], split, parts)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=PLOT_DPI)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out, buffer.getvalue())
    return out


def _bars(ax, labels: list[str], parts: list[tuple[str, list[float]]]) -> None:
    positions = np.arange(len(labels))
    width = 0.8 / max(len(parts), 1)
    for i, (name, values) in enumerate(parts):
        ax.bar(positions + (i - (len(parts) - 1) / 2) * width, values, width, label=name)
    ax.set_xticks(positions, labels, rotation=60, ha="right", fontsize=7)
    if len(parts) > 1:
        ax.legend(fontsize=7)


def _classes(ax, split: str, parts: list[tuple[str, SplitStats]]) -> None:
    names = sorted({n for _, s in parts for n in s.instances})
    _bars(ax, names, [(label, [s.instances[n] for n in names]) for label, s in parts])
    ax.set_title(f"{split}: instances per class", fontsize=9)


def _sizes(ax, split: str, parts: list[tuple[str, SplitStats]]) -> None:
    edges = list(SIZE_EDGES)
    labels = [f"{a}-{b}" for a, b in zip(edges, edges[1:])] + [f">={edges[-1]}"]
    _bars(ax, labels, [(label, list(s.size_histogram)) for label, s in parts])
    ax.set_title(f"{split}: box size, sqrt(area) px", fontsize=9)


def _per_image(ax, split: str, parts: list[tuple[str, SplitStats]]) -> None:
    top = max((max(s.per_image, default=0) for _, s in parts), default=0)
    shown = min(top, MAX_PER_IMAGE_BARS)  # the last bar gathers every larger count
    labels = [str(c) for c in range(shown)] + [f">={shown}" if top > shown else str(shown)]

    def counts(split_stats: SplitStats) -> list[float]:
        values: list[float] = [split_stats.per_image[c] for c in range(shown)]
        return values + [sum(v for c, v in split_stats.per_image.items() if c >= shown)]

    _bars(ax, labels, [(label, counts(s)) for label, s in parts])
    ax.set_title(f"{split}: instances per image", fontsize=9)
