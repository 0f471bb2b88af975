"""The run report: what went in, what came out, what was dropped or skipped."""

from __future__ import annotations

import json
from collections import Counter
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
    skipped: list[dict] = field(default_factory=list)  # items skipped, with where and why
    warnings: list[str] = field(default_factory=list)  # dataset oddities, what a conversion drops
    seconds: float = 0.0
    workers: int = 1
    seed: int = 0
    copies: int = 0
    dry_run: bool = False

    def add_dropped(self, counts: dict[str, int]) -> None:
        total = Counter(self.dropped)
        total.update(counts)
        self.dropped = dict(sorted(total.items()))

    def to_dict(self) -> dict:
        data = {"schema_version": REPORT_SCHEMA_VERSION, **asdict(self)}
        data["outputs_per_second"] = self.rate()
        data["seconds"] = round(self.seconds, 3)
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
