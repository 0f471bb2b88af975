"""A task's result as JSON values and back: what part lines and journal lines hold.

``normalize`` gives a value as it reads back from JSON, so a fresh result and
one read back on resume are identical. A record's ``RawPayload`` values (bytes
a writer serialised in the worker) travel as text, or as offsets into a part
line's raw section (``engine.parts``).
"""

from __future__ import annotations

import json
from typing import Any

from augcli.engine.results import TaskResult
from augcli.formats.base import ItemRecord, RawPayload


def normalize(value: Any) -> Any:
    """``value`` as it reads back from JSON, so fresh and resumed results are identical.

    Numpy values become Python numbers and lists, tuples become lists, bytes
    (ASCII RLE counts) become text: exactly what the JSON writers emit anyway.
    """
    return json.loads(json.dumps(value, default=json_default))


def json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)  # paths and anything else: as the reports print them


def written_rows(provenance: list[dict]) -> list[dict]:
    """The provenance rows of written outputs (a skipped output is reported, not logged)."""
    return [row for row in provenance if "skipped" not in row]


def provenance_lines(rows: list[dict]) -> bytes:
    """``rows`` as the lines of ``provenance.jsonl`` (ASCII: no raw control character)."""
    return "".join(json.dumps(row, sort_keys=True, default=str) + "\n" for row in rows).encode("utf-8")


def normalize_result(result: TaskResult) -> TaskResult:
    """The result with every field passed through ``normalize``."""
    return result_from_dict(normalize(result_to_dict(result)))


def result_to_dict(result: TaskResult, raw: bytearray | None = None) -> dict:
    """``result`` as JSON values. A record's ``RawPayload`` values go under its ``"raw"``:
    as text (a whole result in the journal) or, given ``raw``, appended to it and named
    by ``[offset, length]`` in the concatenation (a part line's raw section, ``engine.parts``).
    There the written outputs' provenance lines go too, made here (in the worker) from the rows
    as they read back, so the parent copies them instead of serialising each row again."""
    data = {
        "index": result.index,
        "key": result.key,
        "records": [_record_to_dict(r, raw) for r in result.records],
        "dropped": result.dropped,
        "classes_out": result.classes_out,
        "dropped_by_class": result.dropped_by_class,
        "provenance": result.provenance,
        "error": result.error,
        "warnings": result.warnings,
    }
    rows = written_rows(result.provenance) if raw is not None else []
    if raw is not None and rows:
        lines = provenance_lines(normalize(rows))
        data["provenance_lines"] = [len(raw), len(lines)]
        raw += lines.replace(b"\n", _LINE_END)  # a part line holds no newline
    return data


_LINE_END = b"\x1f"  # ends a provenance line in a raw section (the lines are ASCII JSON: no raw \x1f)


def _record_to_dict(record: ItemRecord, raw: bytearray | None) -> dict:
    entry: dict = {"key": record.key, "copy": record.copy}
    payload = record.payload
    kept = {name: value for name, value in payload.items() if not isinstance(value, RawPayload)}
    entry["payload"] = kept
    if len(kept) == len(payload):
        return entry
    serialised: dict = {}
    for name, value in payload.items():
        if not isinstance(value, RawPayload):
            continue
        if raw is None:
            serialised[name] = value.decode("utf-8")
        else:
            serialised[name] = [len(raw), len(value)]
            raw += value
    entry["raw"] = serialised
    return entry


def result_from_dict(data: dict, raw: bytes | memoryview = b"") -> TaskResult:
    """The inverse of ``result_to_dict``; ``raw`` is the raw section its offsets point into."""
    where = data.get("provenance_lines")
    lines = None if where is None else bytes(raw[where[0] : where[0] + where[1]]).replace(_LINE_END, b"\n")
    return TaskResult(
        index=int(data["index"]),
        key=str(data["key"]),
        records=[_record_from_dict(r, raw) for r in data.get("records") or []],
        dropped=dict(data.get("dropped") or {}),
        classes_out=dict(data.get("classes_out") or {}),
        dropped_by_class={k: dict(v) for k, v in (data.get("dropped_by_class") or {}).items()},
        provenance=list(data.get("provenance") or []),
        error=data.get("error"),
        warnings=list(data.get("warnings") or []),
        provenance_lines=lines,
    )


def _record_from_dict(entry: dict, raw: bytes | memoryview) -> ItemRecord:
    payload = entry["payload"]
    for name, value in (entry.get("raw") or {}).items():
        if isinstance(value, str):
            payload[name] = RawPayload(value.encode("utf-8"))
        else:
            offset, length = value
            payload[name] = RawPayload(raw[offset : offset + length])
    return ItemRecord(key=entry["key"], copy=int(entry["copy"]), payload=payload)
