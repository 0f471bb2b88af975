"""Names and splits for writing one format's items in another format's layout.

Every reader can say, for a key, the image's path below its images folder
(``item_name``) and the split it belongs to (``split_of``); COCO readers
have no ``item_name``, so it is their ``file_name`` as read.

``OutputNames`` gives each key a unique output stem (``<stem>``,
``<stem>__2`` on a clash), computed once from the whole key list so every
worker agrees; copies are named by ``formats.naming`` against those names.
"""

from __future__ import annotations

import posixpath
from typing import Any

from augcli.formats.coco.layout import clean_file_name
from augcli.formats.naming import CopyNames, copy_salt, fold
from augcli.formats.splits import DEFAULT_SPLIT


def item_name(reader: Any, key: str) -> str:
    """Posix path of ``key``'s image below its images folder."""
    own = getattr(reader, "item_name", None)
    if own is not None:
        return own(key)
    if hasattr(reader, "clean_name"):  # COCO: the file_name as read
        return reader.clean_name(reader.image_index(key))
    return clean_file_name(key)


def split_of(reader: Any, key: str) -> str | None:
    """The split's folder name in a converted layout (None: the dataset names no split)."""
    own = getattr(reader, "split_of", None)
    return own(key) if own is not None else None


class OutputNames:
    """Unique, stable output names for a reader's keys."""

    def __init__(self, reader: Any, flatten: bool = False):
        self._reader = reader
        self._names: dict[str, str] = {}
        taken: set[str] = set()
        for key in reader.keys():
            name = item_name(reader, key)
            if flatten:
                name = posixpath.basename(name)
            stem, ext = posixpath.splitext(name)
            candidate, number = stem, 1
            while fold(candidate) in taken:
                number += 1
                candidate = f"{stem}__{number}"
            taken.add(fold(candidate))
            self._names[key] = candidate + ext
        self._copies = CopyNames(self._names.values(), by_stem=True)

    def name(self, key: str, copy: int = 0) -> str:
        """The output image name (``<stem>__aug<k><ext>`` for copy k)."""
        name = self._names[key]
        if copy == 0:
            return name
        salt = copy_salt(split_of(self._reader, key) or DEFAULT_SPLIT, key, copy)
        return self._copies.name(name, copy, salt)

    def stem(self, key: str, copy: int = 0) -> str:
        return posixpath.splitext(self.name(key, copy))[0]

    def name_in_split(self, key: str, copy: int, split: str | None) -> str:
        """``name`` below its split's folder (a leading ``<split>/`` is not repeated)."""
        name = self.name(key, copy)
        return name[len(split) + 1 :] if split and name.startswith(f"{split}/") else name
