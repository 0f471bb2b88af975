"""Names of augmented copies: beside their original, never on top of another file.

Copy ``k`` of ``dir/<stem><ext>`` is ``dir/<stem>__aug<k><ext>``
(``__aug<k>_dup<n>`` for the n-th COCO image entry sharing one file name).
That plain name is used unless

- it equals, ignoring case, a name the input already has in that folder
  (re-expanding an output whose names end in ``__aug1``), or the source
  has a sibling whose name differs from its own only in case, or
- it does not fit ``NAME_MAX`` bytes (with room for a label file beside it
  named ``<stem>.txt`` / ``.xml`` / ``.png``),

in which case it is ``dir/<stem, cut to fit>~<hash><tag><ext>``, the hash
being the first 8 hex digits of sha256 of ``(split, key, copy)`` (16 if even
that is taken). So a name depends only on (split, key, copy) and the
dataset's own names, never on workers or order, and no two outputs, nor an
output and an input, share a name, case-insensitively.
"""

from __future__ import annotations

import hashlib
import posixpath
import unicodedata
from collections import defaultdict
from collections.abc import Iterable

from augcli.formats.atomic import NAME_MAX

LABEL_EXT_BYTES = 4  # ".txt", ".xml", ".png": label files named after the image's stem


def fold(name: str) -> str:
    """What a case-insensitive (and Unicode-normalising) file system compares."""
    return unicodedata.normalize("NFC", name).casefold()


def copy_tag(copy: int, duplicate: int = 1) -> str:
    return f"__aug{copy}" if duplicate <= 1 else f"__aug{copy}_dup{duplicate}"


def split_name(relpath: str) -> tuple[str, str, str]:
    """(folder with its trailing separator, stem, extension) of a posix or Windows-style path."""
    cut = max(relpath.rfind("/"), relpath.rfind("\\")) + 1
    head, name = relpath[:cut], relpath[cut:]
    stem, ext = posixpath.splitext(name)
    if not stem:  # ".hidden": all stem
        stem, ext = name, ""
    return head, stem, ext


def _bytes(text: str) -> int:
    return len(text.encode("utf-8", "surrogateescape"))


def _cut(text: str, limit: int) -> str:
    return text.encode("utf-8", "surrogateescape")[: max(0, limit)].decode("utf-8", "ignore")


class CopyNames:
    """Copy names for one output tree whose inputs are ``relpaths`` (posix, relative to it).

    ``by_stem``: names are compared without their extension, for formats that
    keep a label file ``<stem>.txt`` beside each image (``a.jpg`` and
    ``a.png`` would share one).
    """

    def __init__(self, relpaths: Iterable[str], by_stem: bool = False):
        self._by_stem = by_stem
        self._variants: dict[str, set[str]] = defaultdict(set)
        self._twins: set[str] = set()
        self.add(relpaths)

    def add(self, relpaths: Iterable[str], other_split: bool = False) -> None:
        """More input names in the same folders; ``other_split``: names of another split's
        images written there, so a name both list is one image in two splits, whose copies
        must differ."""
        for relpath in relpaths:
            folded = self._fold(relpath)
            if other_split and relpath in self._variants.get(folded, ()):
                self._twins.add(folded)
            self._variants[folded].add(relpath)

    def _fold(self, relpath: str) -> str:
        relpath = relpath.replace("\\", "/")
        if self._by_stem:
            head, stem, _ = split_name(relpath)
            relpath = head + stem
        return fold(relpath)

    def _taken(self, relpath: str) -> bool:
        return self._fold(relpath) in self._variants

    def name(self, relpath: str, copy: int, salt: str, duplicate: int = 1, suffix: str = "") -> str:
        """The path of copy ``copy`` of the input ``relpath``; ``salt`` names the output
        (``split``, ``key``, ``copy``) and feeds the hash of a shortened name. A stem ending
        in the layout's ``suffix`` (Cityscapes ``_leftImg8bit``) keeps it last."""
        head, stem, ext = split_name(relpath)
        tag = copy_tag(copy, duplicate)
        if suffix and stem.endswith(suffix) and len(stem) > len(suffix):
            stem, ext = stem[: -len(suffix)], suffix + ext
        budget = NAME_MAX - max(0, LABEL_EXT_BYTES - _bytes(ext))
        plain = f"{stem}{tag}{ext}"
        folded = self._fold(relpath)
        case_twins = len(self._variants.get(folded, ())) > 1 or folded in self._twins
        if _bytes(plain) <= budget and not case_twins and not self._taken(head + plain):
            return head + plain
        digest = hashlib.sha256(salt.encode("utf-8", "surrogatepass")).hexdigest()
        for length in (8, 16, 64):
            mark = f"~{digest[:length]}{tag}{ext}"
            candidate = head + _cut(stem, budget - _bytes(mark)) + mark
            if not self._taken(candidate):
                return candidate
        raise AssertionError("sha256 collision")  # pragma: no cover


def same_marker(
    source: str, copy_name: str, other: str, suffix: str = "", other_suffix: str = ""
) -> str | None:
    """``other`` (a file paired with ``source``: its mask) with the copy marker that turned
    ``source`` into ``copy_name``, so the copies pair as their sources do; None when the
    copy's stem was cut to fit (then ``other`` needs a name of its own)."""
    _, stem, _ = split_name(source)
    _, copy_stem, _ = split_name(copy_name)
    stem, copy_stem = stem.removesuffix(suffix), copy_stem.removesuffix(suffix)
    if not copy_stem.startswith(stem):
        return None
    marker = copy_stem[len(stem) :]
    head, other_stem, other_ext = split_name(other)
    if other_suffix and other_stem.endswith(other_suffix):
        return f"{head}{other_stem[: -len(other_suffix)]}{marker}{other_suffix}{other_ext}"
    return f"{head}{other_stem}{marker}{other_ext}"


def copy_salt(split: str, key: str, copy: int) -> str:
    return f"{split}\x00{key}\x00{copy}"
