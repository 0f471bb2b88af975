"""Helpers of the object-storage tests: sample trees, uploads, digests of local and remote trees."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_data"
RECIPE = REPO / "recipes" / "detection.yaml"
# ~50 ms a copy on 320x240: a run of a few seconds, long enough to be killed half-way
SLOW_RECIPE = """version: 1
seed: 0
copies: 2
pipeline:
  - PiecewiseAffine: {p: 1.0}
  - ElasticTransform: {p: 1.0}
"""


def upload_tree(fs, local: Path, remote: str) -> None:
    files = sorted(p for p in local.rglob("*") if p.is_file())
    fs.put([str(p) for p in files], [f"{remote}/{p.relative_to(local).as_posix()}" for p in files])


def local_tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def remote_tree(fs, prefix: str) -> dict[str, str]:
    """{relpath: sha256} of every object below ``prefix`` (a path in ``fs``)."""
    fs.invalidate_cache()
    start = len(prefix.strip("/")) + 1
    return {key.strip("/")[start:]: hashlib.sha256(fs.cat_file(key)).hexdigest() for key in fs.find(prefix)}


def outputs(tree: dict[str, str]) -> dict[str, str]:
    """What must match a local run byte for byte: every output file and the per-output reports
    (run.jsonl and inputs.jsonl name the source, which differs between the two runs)."""
    kept = {".augcli/provenance.jsonl", ".augcli/report.jsonl"}
    return {k: v for k, v in tree.items() if not k.startswith(".augcli/") or k in kept}


def reference_run(tmp_path: Path, source: Path = SAMPLE, recipe: Path = RECIPE, **options) -> dict[str, str]:
    """The tree of a plain local run (what a URL run must match)."""
    from augcli.engine.runner import expand

    out = tmp_path / "reference"
    shutil.rmtree(out, ignore_errors=True)
    expand(source, recipe, out, **options)
    return local_tree(out)


def replicated_sample(target: Path, times: int) -> Path:
    """sample_data with every image ``times`` times (renamed), for a run long enough to kill."""
    data = json.loads((SAMPLE / "annotations" / "instances_default.json").read_text("utf-8"))
    images, annotations = [], []
    for k in range(times):
        ids = {}
        for image in data["images"]:
            ids[image["id"]] = len(images) + 1
            name = f"r{k}_{image['file_name']}"
            images.append({**image, "id": ids[image["id"]], "file_name": name})
            (target / "images").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(SAMPLE / "images" / image["file_name"], target / "images" / name)
        for ann in data["annotations"]:
            annotations.append({**ann, "id": len(annotations) + 1, "image_id": ids[ann["image_id"]]})
    (target / "annotations").mkdir(parents=True, exist_ok=True)
    payload = {**data, "images": images, "annotations": annotations}
    (target / "annotations" / "instances_default.json").write_text(json.dumps(payload), "utf-8")
    return target


def stored_meta(fs, prefix: str) -> dict[str, bytes]:
    """The bookkeeping files of the remote OUT ``prefix`` as a resume reads them back: whole
    objects under ``.augcli/``, and the append files joined from their newest generation of
    segments (``.augcli/segments/<file>/<gen>-<start>-<end>``, contiguous from byte 0)."""
    fs.invalidate_cache()
    base = prefix.strip("/") + "/.augcli/"
    files: dict[str, bytes] = {}
    segments: dict[str, list[tuple[int, int, int, str]]] = {}
    for key in fs.find(prefix):
        rel = key.strip("/")[len(base) :]
        if not key.strip("/").startswith(base):
            continue
        if rel.startswith("segments/"):
            file, name = rel[len("segments/") :].rsplit("/", 1)
            gen, start, end = map(int, name.split("-"))
            segments.setdefault(file, []).append((gen, start, end, key))
        elif rel != "lock":
            files[rel] = fs.cat_file(key)
    for file, found in segments.items():
        if file in files:
            continue
        newest = max(gen for gen, *_ in found)
        chain = sorted(s for s in found if s[0] == newest)
        assert [s[1] for s in chain] == [0] + [s[2] for s in chain[:-1]], f"{file}: segments not contiguous"
        files[file] = b"".join(fs.cat_file(s[3]) for s in chain)
    return files


def interrupt_after(count: int):
    """An ``on_result`` callback that raises KeyboardInterrupt (Ctrl-C) at the ``count``-th result."""
    seen: list[int] = []

    def callback(result, task) -> None:
        seen.append(task.index)
        if len(seen) == count:
            raise KeyboardInterrupt

    return callback
