"""Decompression bombs are refused from the header: fast, and without the memory decoding takes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from fixture_kit import png_bomb
from reliability_helpers import REPO, encode, pixels

from augcli.core.errors import ImageReadError
from augcli.formats.images import MAX_PIXELS_ENV, decode_image

PROBE = textwrap.dedent("""
    import resource, sys, time
    from pathlib import Path
    from augcli.core.errors import ImageReadError
    from augcli.formats.images import decode_image
    path = Path(sys.argv[1])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    try:
        decode_image(path, expected_size=None if sys.argv[2] == "-" else (12000, 12000))
        outcome = "decoded"
    except ImageReadError as err:
        outcome = "refused: " + err.message
    seconds = time.perf_counter() - started
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    print(outcome, file=sys.stderr)
    print(grown // 1024, seconds)
""")


def _probe(path, labels: str, env: dict | None = None) -> tuple[int, float, str]:
    import os

    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(path), labels],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=dict(os.environ, **(env or {})),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    megabytes, seconds = done.stdout.split()
    return int(megabytes), float(seconds), done.stderr.strip()


@pytest.fixture(scope="module")
def bomb(tmp_path_factory):
    path = tmp_path_factory.mktemp("bomb") / "bomb.png"
    path.write_bytes(png_bomb(12000, 12000))  # 144 megapixels of zeros in ~140 KB
    return path


@pytest.mark.parametrize("labels", ["-", "12000x12000"])
def test_a_bomb_is_refused_fast_with_bounded_memory(bomb, labels):
    assert bomb.stat().st_size < 1 << 20
    grown_mb, seconds, outcome = _probe(bomb, labels)
    assert outcome.startswith("refused") and "refused before decoding" in outcome
    assert grown_mb < 30, f"refusing the bomb took {grown_mb} MB"  # decoding needs 144 MB
    assert seconds < 1.0


def test_the_pixel_limit_can_be_raised_and_lowered(tmp_path, monkeypatch):
    path = tmp_path / "small.png"
    path.write_bytes(encode(pixels(40, 32, 0), "PNG"))
    assert decode_image(path)[0].shape == (32, 40, 3)
    monkeypatch.setenv(MAX_PIXELS_ENV, "1000")
    with pytest.raises(ImageReadError, match=MAX_PIXELS_ENV):
        decode_image(path)
    monkeypatch.setenv(MAX_PIXELS_ENV, "1280")
    assert decode_image(path)[0].shape == (32, 40, 3)


def test_a_header_disagreeing_with_the_labels_is_refused_before_decoding(bomb):
    with pytest.raises(ImageReadError, match="labels say 40x32"):
        decode_image(bomb, expected_size=(40, 32))
