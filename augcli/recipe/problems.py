"""Collecting recipe problems with their YAML path and line, and name suggestions."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from augcli.core.plain_yaml import YamlDocument, YamlPath, format_path


class Problems:
    """Every problem found in one recipe, each as ``path (line N): message``."""

    def __init__(self, doc: YamlDocument | None = None):
        self.doc = doc
        self.items: list[str] = list(doc.problems) if doc is not None else []

    def where(self, path: YamlPath) -> str:
        name = format_path(path) or "recipe"
        line = self.doc.line(path) if self.doc is not None else None
        return f"{name} (line {line})" if line else name

    def add(self, path: YamlPath, message: str) -> None:
        self.items.append(f"{self.where(path)}: {message}")

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)


def suggestion(name: object, options: Iterable[str]) -> str:
    """``"; did you mean 'rotate'?"`` for a close option, else ``""``."""
    if not isinstance(name, str):
        return ""
    options = list(options)
    lowered = {o.lower(): o for o in options}
    if name.lower() in lowered:
        return f"; did you mean {lowered[name.lower()]!r}?"
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return f"; did you mean {lowered[close[0]]!r}?" if close else ""


def type_name(value: object) -> str:
    """How a YAML value reads to a person: 'a list', 'a mapping', 'the string "x"'."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the string {value!r}"
    return f"the number {value!r}" if isinstance(value, (int, float)) else repr(value)


def strip_param_name(message: str, name: str | None) -> str:
    """``rotate must be ...`` -> ``must be ...``: the path already names the parameter."""
    for verb in ("must ", "may "):
        if name and message.startswith(f"{name} {verb}"):
            return message[len(name) + 1 :]
    return message
