"""One error hierarchy for augcli.

Dataset-level errors stop a run before anything is written; item-level errors
skip one image or one annotation and are reported with where they happened.
Every error renders as one line: ``str(err)`` names the file, image and
annotation when known, with control characters, line breaks and lone
surrogates escaped (``one_line``), so no name can forge another line.
"""

from __future__ import annotations

import re

# C0/C1 controls, DEL, Unicode line/paragraph separators, and lone surrogates (undecodable bytes of
# file names, kept by surrogateescape): none may reach a terminal or a log raw
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def one_line(text: object) -> str:
    """``text`` with every character that could break or fake a line escaped (``\\n``, ``\\x1b``...)."""
    return _UNPRINTABLE.sub(_escape, str(text))


def _escape(match: re.Match) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


class AugcliError(Exception):
    """Base class of every error augcli raises on purpose."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        image: object = None,
        annotation: object = None,
        where: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.file = file
        self.image = image
        self.annotation = annotation
        self.where = where

    def location(self) -> str:
        parts = []
        if self.file:
            parts.append(str(self.file))
        if self.where:
            parts.append(self.where)
        if self.image is not None:
            parts.append(f"image {self.image}")
        if self.annotation is not None:
            parts.append(f"annotation {self.annotation}")
        return ", ".join(parts)

    def __str__(self) -> str:
        loc = self.location()
        return one_line(f"{loc}: {self.message}" if loc else self.message)

    def to_record(self) -> dict:
        return {
            "error": type(self).__name__,
            "message": self.message,
            "file": self.file,
            "image": self.image,
            "annotation": self.annotation,
            "where": self.where,
        }


class UsageError(AugcliError):
    """Bad command-line arguments or output folder problems."""

    exit_code = 2


class RecipeError(AugcliError):
    """The recipe is invalid. ``problems`` holds every problem found."""

    exit_code = 3

    def __init__(self, message: str, *, problems: list[str] | None = None, **kw):
        super().__init__(message, **kw)
        self.problems = problems or [message]


class DatasetError(AugcliError):
    """The dataset cannot be read as a whole (unparseable, wrong layout)."""

    exit_code = 4


class ItemError(AugcliError):
    """One image or annotation is unusable; the run skips it and reports it.

    ``raw`` holds the input entry as read when it is left out of the output's
    label files, so ``report.jsonl`` keeps it (nothing is lost)."""

    exit_code = 5
    raw: object = None

    def to_record(self) -> dict:
        record = super().to_record()
        if self.raw is not None:
            record["raw"] = self.raw
        return record


class ImageReadError(ItemError):
    """An image file is missing, unreadable or inconsistent with its labels."""


class AnnotationError(ItemError):
    """One annotation is invalid (bad polygon, RLE, keypoints...)."""


class TransformError(AugcliError):
    """A transform cannot be applied to a sample (item level)."""

    exit_code = 5


class OutputError(AugcliError):
    """Writing the output failed (disk full, permissions)."""

    exit_code = 6
