"""What a task is run with and what it gives back: the plain data the engine passes around.

Kept apart from ``engine.worker`` (which runs tasks, and so imports the recipe,
the geometry and the codecs) so that reading results back (``engine.journal``,
``engine.parts``, ``engine.assemble``: all ``augcli merge`` does) imports none of that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from augcli.formats.base import ItemRecord


@dataclass
class WorkContext:
    reader: Any
    recipe: Any
    writer: Any
    seed: int
    dry_run: bool = False
    debug: bool = False
    partners: Any = None  # engine.partners.PartnerSource when the recipe combines images
    parts: Any = None  # engine.parts.PartNames: results go to part files (None: sent whole, a dry run)


@dataclass
class TaskResult:
    index: int
    key: str
    records: list[ItemRecord] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)
    # per category id (as a string, so journal round trips keep it): instances written / dropped by reason
    classes_out: dict[str, int] = field(default_factory=dict)
    dropped_by_class: dict[str, dict[str, int]] = field(default_factory=dict)
    provenance: list[dict] = field(default_factory=list)
    error: dict | None = None  # set when the item was skipped
    warnings: list[dict] = field(default_factory=list)  # library warnings (engine.library_warnings)
    fatal: bool = False  # the output cannot be written at all (disk full...): stop the run
    # the written rows' provenance.jsonl lines when a part held them (made from ``provenance``)
    provenance_lines: bytes | None = field(default=None, compare=False)
