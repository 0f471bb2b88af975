"""``--resume`` notices every changed input, of every format, even with size and mtime kept."""

from __future__ import annotations

import os
import signal

import pytest
from format_trees import TREES, first_image
from reliability_helpers import RECIPE, install_crash_point, run_forked, tree_digest

import augcli
from augcli.core.errors import UsageError

RECIPE_FLIP = {**RECIPE, "pipeline": [{"HorizontalFlip": {"p": 1.0}}]}


def _killed(source, out) -> None:
    def run():
        install_crash_point("after-image-rename", 1)
        augcli.expand(source, RECIPE_FLIP, out, workers=1)

    assert run_forked(run) == -signal.SIGKILL


def _same_size_edit(path) -> None:
    """Change one byte, keep the size, put the mtime back as it was. Text files stay valid:
    the first non-zero digit after the middle changes (``1`` <-> ``2``), or without one a letter's
    case; binary files get one bit flipped."""
    info = os.stat(path)
    data = bytearray(path.read_bytes())
    if path.suffix == ".png":
        data[len(data) // 2] ^= 0x01
    else:
        order = [*range(len(data) // 2, len(data)), *range(len(data))]
        at = next((i for i in order if chr(data[i]) in "123456789"), None)
        if at is not None:
            data[at] = ord("2") if data[at] == ord("1") else ord("1")
        else:
            at = next(i for i in order if chr(data[i]).isalpha())
            data[at] = ord(chr(data[at]).swapcase())
    path.write_bytes(bytes(data))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert os.stat(path).st_mtime_ns == info.st_mtime_ns and os.stat(path).st_size == info.st_size


@pytest.mark.parametrize("fmt", sorted(TREES))
def test_an_untouched_dataset_resumes(tmp_path, fmt):
    source, _ = TREES[fmt](tmp_path / "data")
    out = tmp_path / "out"
    _killed(source, out)
    augcli.expand(source, RECIPE_FLIP, out, workers=1, resume=True)
    reference = tmp_path / "reference"
    augcli.expand(source, RECIPE_FLIP, reference, workers=1)
    assert tree_digest(out, skip=_meta) == tree_digest(reference, skip=_meta)


@pytest.mark.parametrize("fmt", sorted(TREES))
def test_changed_image_bytes_with_size_and_mtime_kept_are_noticed(tmp_path, fmt):
    source, _ = TREES[fmt](tmp_path / "data")
    out = tmp_path / "out"
    _killed(source, out)
    image = first_image(tmp_path / "data")
    _same_size_edit(image)
    with pytest.raises(UsageError, match="input files changed") as caught:
        augcli.expand(source, RECIPE_FLIP, out, workers=1, resume=True)
    assert image.name in str(caught.value)


@pytest.mark.parametrize("fmt", sorted(TREES))
def test_every_changed_label_file_is_noticed(tmp_path, fmt):
    _, files = TREES[fmt](tmp_path / "probe")
    for number, name in enumerate(files):
        source, _ = TREES[fmt](tmp_path / f"data{number}")
        out = tmp_path / f"out{number}"
        _killed(source, out)
        _same_size_edit(tmp_path / f"data{number}" / name)
        with pytest.raises(UsageError, match="input files changed|different annotation_file") as caught:
            augcli.expand(source, RECIPE_FLIP, out, workers=1, resume=True)
        assert "annotation_file" in str(caught.value) or os.path.basename(name) in str(caught.value), name


def _meta(path) -> bool:
    return ".augcli" in path.parts
