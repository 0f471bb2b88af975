"""Bytes a remote OUT sends for its bookkeeping (``.augcli/``) against what it finally holds.

Run: python benchmarks/bench_meta_upload.py [--images 192] [--round-seconds 0.2] [--workers 2]

One shard (``--num-shards 1``: it keeps its journal and parts, as every shard does for
``augcli merge``) of a generated COCO dataset into ``memory://``, with upload rounds every
``--round-seconds`` (the default 5 s made short, so a short run has as many rounds as a long
one). Every object written is counted. The journal and the part files go up as segments of
their new lines (each byte once) and once whole before the manifest, so the ratio ``sent /
held`` stays near 2 however many rounds there are (1.87x at ``--images 400``); re-sending them
whole each round, as before, made it grow with the number of rounds (9.6x and 18.5x in two
runs of ``--images 400`` on a loaded 2-core machine). Byte counts, not timings: only the number
of rounds depends on the machine's load.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import make_dataset  # noqa: E402

RECIPE = {
    "version": 1,
    "seed": 0,
    "copies": 2,
    "pipeline": [{"HorizontalFlip": {"p": 0.5}}, {"Affine": {"rotate": [-15, 15], "p": 0.7}}],
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--images", type=int, default=192)
    parser.add_argument("--round-seconds", type=float, default=0.2)
    parser.add_argument("--workers", type=int, default=2)
    options = parser.parse_args()

    import fsspec

    from augcli.engine.runner import expand
    from augcli.engine.shards import Shard
    from augcli.storage import remote_out

    remote_out.ROUND_SECONDS = options.round_seconds
    fs = fsspec.filesystem("memory")
    sent = {"meta": 0, "meta_objects": 0, "outputs": 0}
    cls = type(fs)
    pipe_file, put_file = cls.pipe_file, cls.put_file

    def count(path: str, size: int) -> None:
        if "/.augcli/" in path:
            sent["meta"] += size
            sent["meta_objects"] += 1
        else:
            sent["outputs"] += size

    def counted_pipe(self, path, value, **kwargs):
        count(path, len(value))
        return pipe_file(self, path, value, **kwargs)

    def counted_put(self, lpath, rpath, **kwargs):
        count(rpath, Path(lpath).stat().st_size)
        return put_file(self, lpath, rpath, **kwargs)

    cls.pipe_file, cls.put_file = counted_pipe, counted_put
    with tempfile.TemporaryDirectory() as folder:
        source = make_dataset(Path(folder) / "data", count=options.images, size=(320, 240))
        expand(
            source,
            RECIPE,
            "memory:///bench/out",
            workers=options.workers,
            shard=Shard(0, 1),
            cache_dir=Path(folder) / "cache",
        )
    held = sum(fs.size(key) for key in fs.find("/bench/out") if "/.augcli/" in key)
    print(f"images {options.images}, rounds every {options.round_seconds:g} s, workers {options.workers}")
    print(f".augcli/ sent  {sent['meta']:>12,} bytes in {sent['meta_objects']} objects")
    print(f".augcli/ held  {held:>12,} bytes at the end   (sent / held {sent['meta'] / held:.2f}x)")
    print(f"outputs sent   {sent['outputs']:>12,} bytes")


if __name__ == "__main__":
    main()
