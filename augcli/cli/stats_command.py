"""``augcli stats``: class balance, box sizes and more, per split, from labels only."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from augcli.engine.stats import (
    SIZE_BUCKETS,
    STATS_SCHEMA_VERSION,
    DatasetStats,
    SplitStats,
    compare,
    dataset_stats,
    ratio,
)
from augcli.formats.registry import open_reader


def read_stats(
    source: str | Path,
    fmt: str = "auto",
    images: str | Path | None = None,
    cache_dir: str | Path | None = None,
) -> tuple[DatasetStats, list[str]]:
    """The dataset's statistics and the reader's warnings; ``source`` and ``images`` may be URLs
    (read through their mirrors in ``cache_dir``, and named by URL)."""
    from augcli.engine.remote_run import public_messages
    from augcli.storage.mirror import local_input, public_text

    with public_messages():
        local = local_input(source, cache_dir)
        folder = local_input(images, cache_dir, what="images folder") if images is not None else None
        reader = open_reader(local, fmt=fmt, images=folder)
        stats = dataset_stats(reader, str(source))
    return stats, [public_text(str(note)) for note in getattr(reader, "notes", [])]


def stats_json(stats: DatasetStats, other: DatasetStats | None) -> dict:
    if other is None:
        return stats.to_dict()
    return {
        "schema_version": STATS_SCHEMA_VERSION,
        "source": stats.to_dict(),
        "other": other.to_dict(),
        "comparison": compare(stats, other),
    }


def print_stats(stats: DatasetStats, other: DatasetStats | None, console: Console) -> None:
    splits = sorted(set(stats.splits) | set(other.splits if other else ()))
    for name in splits:
        before = stats.splits.get(name, SplitStats())
        after = other.splits.get(name, SplitStats()) if other else None
        console.print(_class_table(name, before, after))
        for label, split in (("", before), (" (other)", after)):
            if split is not None:
                console.print(_details(split, label), highlight=False)
    if stats.problems:
        console.print(
            f"{stats.problems} item(s) of {escape(stats.source)} could not be indexed "
            "(`augcli validate` lists them)",
            highlight=False,
        )


def _class_table(name: str, before: SplitStats, after: SplitStats | None) -> Table:
    title = f"split {name}: {before.images} images, {before.instance_total} instances"
    if after is not None:
        title += f" -> {after.images} images, {after.instance_total} instances"
    table = Table(title=escape(title), title_justify="left")
    table.add_column("class")
    for column in ("instances", "images", "crowd"):
        table.add_column(column, justify="right")
    if after is not None:
        for column in ("instances (other)", "images (other)", "ratio"):
            table.add_column(column, justify="right")
    classes = sorted(set(before.instances) | set(after.instances if after else ()))
    for cls in classes:
        row = [escape(cls), str(before.instances[cls]), str(before.images_with[cls]), str(before.crowd[cls])]
        if after is not None:
            value = ratio(before.instances[cls], after.instances[cls])
            row += [
                str(after.instances[cls]),
                str(after.images_with[cls]),
                "-" if value is None else f"{value:.2f}x",
            ]
        table.add_row(*row)
    return table


def _details(split: SplitStats, label: str) -> str:
    mean = split.instance_total / split.images if split.images else 0.0
    sizes = ", ".join(f"{b} {split.sizes[b]}" for b in SIZE_BUCKETS)
    parts = [
        f"instances per image{label}: mean {mean:.2f}, max {max(split.per_image, default=0)}",
        f"box sizes{label} (COCO buckets by box area): {sizes}",
    ]
    if split.keypoints:
        visibility = ", ".join(f"v={v}: {c}" for v, c in sorted(split.keypoints.items()))
        parts.append(f"keypoints{label}: {visibility}")
    if split.skipped:
        parts.append(f"images whose labels could not be read{label}: {split.skipped}")
    return "\n".join(parts)
