"""Safe YAML for recipes and dataset files (data.yaml, classes.yaml): plain data only,
with the line of every key and item.

The loader subclasses ``yaml.SafeLoader`` but only composes nodes with it; the
conversion to Python values is ours, so we can remember where each mapping key
and sequence item sits, report duplicate keys, and allow nothing but plain
scalars, lists and mappings. Aliases are refused outright: a recipe is short
enough to write out, and refusing them makes "billion laughs" documents
impossible. Size and nesting depth are bounded. Problems raise ``error``
(``RecipeError`` for recipes, ``DatasetError`` for dataset files), and the
messages name ``what`` is being read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from augcli.core.errors import AugcliError, RecipeError

MAX_BYTES = 1 << 20  # a recipe is a few KB; anything near this is not a recipe
MAX_DEPTH = 64  # nesting of lists/mappings (PyYAML composes recursively)

YamlPath = tuple  # mapping keys and sequence indices from the root

_STD = "tag:yaml.org,2002:"
_PLAIN_SCALAR_TAGS = {_STD + t for t in ("null", "bool", "int", "float", "str")}
_MAP_TAG = _STD + "map"
_SEQ_TAG = _STD + "seq"


def format_path(path: YamlPath) -> str:
    """``("pipeline", 1, "Affine", "rotate")`` -> ``pipeline[1].Affine.rotate``."""
    text = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


@dataclass
class YamlDocument:
    """Plain data plus the 1-based line of every mapping key and sequence item."""

    data: Any
    lines: dict[YamlPath, int] = field(default_factory=dict)
    source: str = "<text>"
    problems: list[str] = field(default_factory=list)  # non-fatal (duplicate keys)

    def line(self, path: YamlPath) -> int | None:
        """Line of ``path`` or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


class RecipeLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases and deep nesting while composing."""

    def __init__(self, stream: str, error: type[AugcliError] = RecipeError, what: str = "recipe"):
        super().__init__(stream)
        self._depth = 0
        self.error, self.what = error, what

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(AliasEvent):
            event = self.peek_event()
            raise self.error(
                f"line {event.start_mark.line + 1}: YAML aliases (*{event.anchor}) are not "
                f"allowed in {self.what}s; write the value out in full"
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise self.error(
                    f"line {mark.line + 1}: the {self.what} is nested more than {MAX_DEPTH} levels deep"
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


# YAML 1.1 (PyYAML) reads 1e-3 as a string; recipes mean the number, as YAML 1.2 does.
RecipeLoader.add_implicit_resolver(
    _STD + "float", re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"), list("-+0123456789")
)


def load_yaml(
    text: str, source: str = "<text>", error: type[AugcliError] = RecipeError, what: str = "recipe"
) -> YamlDocument:
    """Parse one YAML document of plain data; raise ``error`` when that is impossible."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise error(f"the {what} is larger than {MAX_BYTES // 1024} KiB", file=source)
    loader = RecipeLoader(text, error, what)
    try:
        root = loader.get_single_node()
        if root is None:
            raise error(f"the {what} is empty", file=source)
        converter = _Converter(loader)
        data = converter.convert(root, ())
    except AugcliError as err:
        err.file = err.file or source
        raise
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = ", ".join(t for t in (err.context, err.problem) if t) or "unreadable YAML"
        raise error(f"{where}invalid YAML: {problem}", file=source) from None
    except yaml.YAMLError as err:
        raise error(f"invalid YAML: {err}", file=source) from None
    finally:
        loader.dispose()
    if converter.fatal:
        problems = converter.fatal + converter.problems
        if error is RecipeError:
            raise RecipeError(_summary(problems), problems=problems, file=source)
        raise error(_summary(problems), file=source)
    return YamlDocument(data=data, lines=converter.lines, source=source, problems=converter.problems)


def _summary(problems: list[str]) -> str:
    if len(problems) == 1:
        return problems[0]
    return f"{len(problems)} problems, the first: {problems[0]}"


def _tag_text(tag: str) -> str:
    return "!!" + tag[len(_STD) :] if tag.startswith(_STD) else tag


class _Converter:
    """Nodes -> plain Python values, remembering lines; collects problems."""

    def __init__(self, loader: RecipeLoader):
        self.loader = loader
        self.lines: dict[YamlPath, int] = {}
        self.problems: list[str] = []  # duplicate keys: the rest still validates
        self.fatal: list[str] = []  # forbidden tags: the value cannot be trusted

    def _where(self, path: YamlPath, node: Node) -> str:
        name = format_path(path)
        line = f"line {node.start_mark.line + 1}"
        return f"{name} ({line})" if name else line

    def convert(self, node: Node, path: YamlPath) -> Any:
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ_TAG:
                return self._forbidden(node, path)
            items = []
            for index, child in enumerate(node.value):
                child_path = path + (index,)
                self.lines[child_path] = child.start_mark.line + 1
                items.append(self.convert(child, child_path))
            return items
        if isinstance(node, MappingNode):
            if node.tag != _MAP_TAG:
                return self._forbidden(node, path)
            return self._mapping(node, path)
        return self._forbidden(node, path)

    def _mapping(self, node: MappingNode, path: YamlPath) -> dict:
        out: dict = {}
        first_line: dict = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.fatal.append(
                    f"{self._where(path, key_node)}: mapping keys must be plain names, not lists or mappings"
                )
                continue
            if key_node.tag == _STD + "merge":
                self.fatal.append(
                    f"{self._where(path, key_node)}: merge keys (<<) are not supported in {self.loader.what}s"
                )
                continue
            key = self._scalar(key_node, path)
            line = key_node.start_mark.line + 1
            child_path = path + (key,)
            try:
                duplicate = key in first_line
            except TypeError:  # an unhashable key cannot come from a scalar, but be safe
                duplicate = False
            if duplicate:
                self.problems.append(
                    f"{format_path(child_path)} (line {line}): duplicate key {key!r} "
                    f"(first given on line {first_line[key]})"
                )
                continue
            first_line[key] = line
            self.lines[child_path] = line
            out[key] = self.convert(value_node, child_path)
        return out

    def _scalar(self, node: ScalarNode, path: YamlPath) -> Any:
        if node.tag == _STD + "timestamp":
            return node.value  # a date-looking word is just text here
        if node.tag not in _PLAIN_SCALAR_TAGS:
            return self._forbidden(node, path)
        return self.loader.construct_object(node, deep=True)

    def _forbidden(self, node: Node, path: YamlPath) -> None:
        self.fatal.append(
            f"{self._where(path, node)}: the YAML tag {_tag_text(node.tag)} is "
            f"not allowed; a {self.loader.what} holds plain values, lists and mappings only"
        )
        return None
