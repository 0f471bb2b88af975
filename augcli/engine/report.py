"""The run report: what went in, what came out, what was dropped or skipped."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

# Bumped when a key of the --json summary changes meaning or goes away.
REPORT_SCHEMA_VERSION = 1


@dataclass
class RunReport:
    source: str
    out: str
    images_in: int = 0
    images_out: int = 0
    images_this_run: int = 0  # outputs made by this run (after --resume, not the earlier ones)
    annotations_in: int = 0
    annotations_out: int = 0
    dropped: dict[str, int] = field(default_factory=dict)  # instances dropped, by reason
    raster_path: int = 0  # instances on a fold of a warp, labelled from warped rasters
    copies_short_of_min_ops: int = 0  # copies that kept fewer ops than min_ops after every draw
    # per split, in the dataset's order: augmented, images_in, images_out (, annotations_out)
    splits: dict[str, dict] = field(default_factory=dict)
    skipped: list[dict] = field(default_factory=list)  # items skipped, with where and why
    warnings: list[str] = field(default_factory=list)  # dataset oddities, what a conversion drops
    library_warnings: list[dict] = field(default_factory=list)  # numpy/Pillow/... (engine.library_warnings)
    seconds: float = 0.0
    workers: int = 1
    seed: int = 0
    copies: int | None = 0  # None when a copies: block planned them per image
    dry_run: bool = False
    # class name -> {"in": instances read, "out": instances written, "dropped": {reason: n}}
    classes: dict[str, dict] = field(default_factory=dict)
    # a copies: block's plan: split -> class -> {"instances", "copies", "expected"} (see engine.class_plan)
    class_plan: dict[str, dict] | None = None
    # a --num-shards run: {"index", "count", "tasks": this shard's tasks, "of": the whole plan's}
    shard: dict | None = None

    def add_dropped(self, counts: dict[str, int]) -> None:
        total = Counter(self.dropped)
        total.update(counts)
        self.dropped = dict(sorted(total.items()))

    def add_classes(self, names: dict[str, str], out: dict[str, int], dropped: dict[str, dict]) -> None:
        """Count one task's instances written and dropped (keyed by category id, ``names`` maps them)."""
        for label, count in out.items():
            self._class(names.get(label, label))["out"] += int(count)
        for reason, counts in dropped.items():
            for label, count in counts.items():
                row = self._class(names.get(label, label))["dropped"]
                row[reason] = row.get(reason, 0) + int(count)

    def count_classes_in(self, per_image: Iterable[Counter]) -> None:
        for counts in per_image:
            for name, count in counts.items():
                self._class(name)["in"] += count

    def _class(self, name: str) -> dict:
        return self.classes.setdefault(name, {"in": 0, "out": 0, "dropped": {}})

    def to_dict(self) -> dict:
        data = {"schema_version": REPORT_SCHEMA_VERSION, **asdict(self)}
        data["outputs_per_second"] = self.rate()
        data["seconds"] = round(self.seconds, 3)
        data["classes"] = dict(sorted(self.classes.items()))
        return data

    def rate(self) -> float | None:
        """Output images per second made by this run."""
        return round(self.images_this_run / self.seconds, 2) if self.seconds else None

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)


def write_jsonl(path: Path, rows: list[dict]) -> None:
    from augcli.formats.atomic import atomic_write_bytes

    text = "".join(json.dumps(r, sort_keys=True, default=str) + "\n" for r in rows)
    atomic_write_bytes(path, text.encode("utf-8"))
