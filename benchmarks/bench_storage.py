"""A run from and to S3 (moto's server on 127.0.0.1) against the same run on local disk.

Run: python benchmarks/bench_storage.py [--images 120] [--rounds 3] [--workers 2]

Needs ``pip install -e ".[dev]"`` (moto, s3fs). Each run is the command line
(``python -m augcli expand ...``) on one generated JPEG COCO dataset, rounds
interleaved, medians compared:

  local    SOURCE and OUT on local disk
  s3-out   SOURCE local, OUT s3://  (staging + uploader; the manifest last)
  s3-both  SOURCE s3:// (a fresh mirror each round: every object downloaded) and OUT s3://
  s3-warm  SOURCE s3:// with the mirror of the round before (nothing downloaded), OUT s3://

moto is a single-threaded Python server sharing the machine's cores, so the
ratios are an upper bound of the overhead: a real store serves in parallel.
Each remote tree is checked byte for byte against the local run.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import make_dataset  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
RECIPE = """version: 1
seed: 0
copies: 2
pipeline:
  - HorizontalFlip: {p: 0.5}
  - Affine: {rotate: [-15, 15], scale: [0.9, 1.1], p: 0.7}
  - RandomBrightnessContrast: {p: 0.5}
"""


def run(env: dict, *args: object) -> float:
    started = time.perf_counter()
    command = [sys.executable, "-m", "augcli", "expand", *map(str, args), "-q"]
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def local_digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file() and ".augcli" not in p.parts
    }


def remote_digest(fs, prefix: str) -> dict[str, str]:
    fs.invalidate_cache()
    return {
        key[len(prefix) + 1 :]: hashlib.sha256(fs.cat_file(key)).hexdigest()
        for key in fs.find(prefix)
        if "/.augcli/" not in key
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--images", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    options = parser.parse_args()

    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": f"http://{host}:{port}",
    }
    os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    import s3fs

    fs = s3fs.S3FileSystem()
    fs.mkdir("bench")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        make_dataset(work / "data", count=options.images)
        (work / "recipe.yaml").write_text(RECIPE)
        files = [p for p in (work / "data").rglob("*") if p.is_file()]
        fs.put(
            [str(p) for p in files], [f"bench/data/{p.relative_to(work / 'data').as_posix()}" for p in files]
        )
        common = ["-r", work / "recipe.yaml", "--workers", options.workers, "--overwrite"]
        times: dict[str, list[float]] = {"local": [], "s3-out": [], "s3-both": [], "s3-warm": []}
        for _ in range(options.rounds):
            times["local"].append(run(env, work / "data", "-o", work / "out", *common))
            times["s3-out"].append(
                run(env, work / "data", "-o", "s3://bench/out", *common, "--cache-dir", work / "c")
            )
            shutil.rmtree(work / "cold", ignore_errors=True)
            cold = ["--cache-dir", work / "cold"]
            times["s3-both"].append(run(env, "s3://bench/data", "-o", "s3://bench/out", *common, *cold))
            warm = ["--cache-dir", work / "cold"]
            times["s3-warm"].append(run(env, "s3://bench/data", "-o", "s3://bench/out", *common, *warm))
        same = remote_digest(fs, "bench/out") == local_digest(work / "out")
    server.stop()
    base = statistics.median(times["local"])
    print(f"{options.images} images x 2 copies, {options.workers} workers, {options.rounds} rounds (medians)")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:8s} {median:7.2f} s   {base / median:5.2f}x local")
    print(f"remote tree identical to the local one: {same}")


if __name__ == "__main__":
    main()
