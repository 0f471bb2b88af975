"""The options several commands share: declared once as typer ``Annotated`` types (a
command writes ``debug: shared.Debug = False``, its default beside the parameter), the
help texts, and their small conversions."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

KEEP_INVALID_HELP = (
    "Write invalid or unusable label entries back as read (default: left out of the label "
    "files and kept, raw, in OUT/.augcli/report.jsonl)."
)
YOLO_TASK_HELP = (
    "YOLO output labels: detect, segment, pose or auto (pose when every category has "
    "keypoints, else segment when there are polygons or masks, else detect)."
)
FORMAT_HELP = "Input format: auto (detect), coco, voc, masks or yolo."
MASKS_HELP = "Mask-folder datasets: the folder of masks (label maps)."
MASK_PATTERN_HELP = "Mask-folder datasets: the mask file-name suffix after the image's stem (_L, _seg...)."
PALETTE_HELP = (
    "Mask-folder datasets: class names and colours (dataset_meta.json, class_dict.csv, "
    "label_colors.txt, config.json, or a YAML/JSON mapping name: [r, g, b])."
)
TO_HELP = "Output format: same (as the input), coco, voc, masks or yolo (a conversion)."
URL_SOURCE_HELP = (
    "Dataset: a COCO JSON, a data.yaml, or a COCO/VOC/YOLO/mask folder; "
    "or an fsspec URL of one (s3://, gs://, memory://, file://)."
)
NUM_SHARDS_HELP = (
    "Split the run into N shards and run only one (default: SLURM_ARRAY_TASK_COUNT); "
    "join the shards' outputs with augcli merge."
)
SHARD_INDEX_HELP = (
    "The shard to run, 0 to N-1 (default: SLURM_ARRAY_TASK_ID minus SLURM_ARRAY_TASK_MIN, "
    "else JOB_COMPLETION_INDEX of a Kubernetes Indexed Job)."
)
URL_IMAGES_HELP = "Folder (or URL) that image file_names resolve against."
INPUT_CACHE_HELP = "Folder for mirrors of remote inputs (default: $AUGCLI_CACHE, else ~/.cache/augcli)."
CACHE_HELP = (
    "Folder for mirrors of remote inputs and the staging of a remote OUT "
    "(default: $AUGCLI_CACHE, else ~/.cache/augcli)."
)
EXECUTOR_HELP = (
    "Where images are processed: local (worker processes on this machine) or ray "
    "(a Ray cluster; pip install 'augcli[ray]'). The output is the same."
)
ADDRESS_HELP = (
    "With --executor ray: the cluster, auto, host:port or ray://host:10001 "
    "(default: RAY_ADDRESS, else a local cluster of --workers CPUs)."
)

Source = Annotated[str, typer.Argument(metavar="SOURCE", help=URL_SOURCE_HELP)]
RecipeFile = Annotated[Path, typer.Option("--recipe", "-r", help="YAML recipe of augmentations.")]
Format = Annotated[str, typer.Option("--format", help=FORMAT_HELP)]
Images = Annotated[str | None, typer.Option("--images", help=URL_IMAGES_HELP)]
Masks = Annotated[Path | None, typer.Option("--masks", help=MASKS_HELP)]
MaskPattern = Annotated[str | None, typer.Option("--mask-pattern", help=MASK_PATTERN_HELP)]
Palette = Annotated[Path | None, typer.Option("--palette", help=PALETTE_HELP)]
Seed = Annotated[int | None, typer.Option("--seed", help="Random seed (overrides the recipe).")]
Workers = Annotated[int | None, typer.Option("--workers", help="Worker processes (default: CPU count).")]
YoloTask = Annotated[str | None, typer.Option("--yolo-task", help=YOLO_TASK_HELP)]
KeepInvalid = Annotated[bool, typer.Option("--keep-invalid", help=KEEP_INVALID_HELP)]
NumShards = Annotated[int | None, typer.Option("--num-shards", help=NUM_SHARDS_HELP)]
ShardIndex = Annotated[int | None, typer.Option("--shard-index", help=SHARD_INDEX_HELP)]
Overwrite = Annotated[bool, typer.Option("--overwrite", help="Replace a previous augcli output in OUT.")]
# --cache-dir of the commands that write an OUT (its staging too), and of those that only read
OutputCache = Annotated[Path | None, typer.Option("--cache-dir", help=CACHE_HELP)]
InputCache = Annotated[Path | None, typer.Option("--cache-dir", help=INPUT_CACHE_HELP)]
Strict = Annotated[bool, typer.Option("--strict", help="Exit 5 when any item was skipped.")]
SummaryJson = Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object on stdout.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
Debug = Annotated[bool, typer.Option("--debug", help="Show tracebacks.")]


def mask_options(masks: Path | None, mask_pattern: str | None, palette: Path | None) -> dict:
    return {"masks": masks, "mask_pattern": mask_pattern, "palette": palette}


def shard_of(num_shards: int | None, shard_index: int | None):
    from augcli.engine.shards import resolve_shard

    return resolve_shard(num_shards, shard_index, os.environ)
