"""``augcli stats --plot``: a PNG of the expected size that follows the data (no pixel snapshot)."""

from __future__ import annotations

import numpy as np
import pytest
from class_data import make_imbalanced_coco
from PIL import Image

from augcli.engine.stats import dataset_stats
from augcli.formats.registry import open_reader

pytest.importorskip("matplotlib", reason="--plot needs the optional plot extra (matplotlib)")

from augcli.engine.stats_plot import figure_size, write_plot  # noqa: E402


def pixels(path) -> np.ndarray:
    with Image.open(path) as image:
        image.load()
        return np.asarray(image.convert("RGB"))


def test_plot_decodes_has_the_expected_size_and_follows_the_data(tmp_path):
    first = dataset_stats(open_reader(make_imbalanced_coco(tmp_path / "a", images=30, seed=1)))
    second = dataset_stats(
        open_reader(make_imbalanced_coco(tmp_path / "b", images=30, rare_images=9, seed=1))
    )
    a = pixels(write_plot(first, tmp_path / "a.png"))
    again = pixels(write_plot(first, tmp_path / "again.png"))
    b = pixels(write_plot(second, tmp_path / "b.png"))
    width, height = figure_size(len(first.splits))
    assert a.shape == (height, width, 3) == b.shape
    assert (a != 255).any(), "something is drawn"
    np.testing.assert_array_equal(a, again)  # same data, same picture
    assert (a != b).any(), "other data, other picture"


def test_compare_plot_and_cli(tmp_path):
    source = make_imbalanced_coco(tmp_path / "a", images=20, seed=3)
    other = make_imbalanced_coco(tmp_path / "b", images=40, seed=4)
    before, after = dataset_stats(open_reader(source)), dataset_stats(open_reader(other))
    alone = pixels(write_plot(before, tmp_path / "alone.png"))
    paired = pixels(write_plot(before, tmp_path / "paired.png", after))
    assert paired.shape == alone.shape and (paired != alone).any()

    from typer.testing import CliRunner

    from augcli.cli.app import app

    out = tmp_path / "cli" / "stats.png"
    result = CliRunner().invoke(app, ["stats", str(source), "--compare", str(other), "--plot", str(out)])
    assert result.exit_code == 0, result.output
    np.testing.assert_array_equal(pixels(out), paired)
