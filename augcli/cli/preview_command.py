"""``augcli preview``: a few samples through the recipe, drawn into one picture."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from augcli.core.errors import DatasetError, UsageError
from augcli.engine.partners import check_partners, partner_source
from augcli.engine.remote_run import public_messages
from augcli.engine.runner import resolve_recipe
from augcli.engine.seeds import task_rng
from augcli.formats.atomic import atomic_write_bytes
from augcli.formats.registry import open_reader
from augcli.formats.splits import split_of
from augcli.storage.mirror import local_input

# What an --out suffix writes; a folder gets DEFAULT_NAME inside it.
PICTURE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}
DEFAULT_NAME = "preview.png"


def preview_path(out: Path | str) -> tuple[Path, str]:
    """The file to write and its Pillow format: ``DIR/`` or an existing folder gets preview.png."""
    text = str(out)
    path = Path(out)
    if text.endswith(("/", "\\")) or path.is_dir():
        return path / DEFAULT_NAME, "PNG"
    fmt = PICTURE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UsageError(
            f"--out {text}: a preview is written as .png or .jpg (or into a folder given as DIR/), "
            f"not {path.suffix or 'a file without a suffix'}"
        )
    return path, fmt


def choose_keys(keys: list[str], wanted: list[str], n: int, seed: int, source: str | Path) -> list[str]:
    """``wanted`` images by key or file name, else ``n`` keys spread over the dataset (fixed by seed)."""
    if wanted:
        by_name = {Path(k).name: k for k in keys}
        missing = [w for w in wanted if w not in keys and w not in by_name]
        if missing:
            raise UsageError(f"--image {missing[0]}: no such image in {source} (give its file name or key)")
        return [w if w in keys else by_name[w] for w in wanted]
    chosen = np.random.default_rng(seed).choice(len(keys), size=min(n, len(keys)), replace=False)
    return [keys[int(i)] for i in sorted(chosen)]


@public_messages()  # a URL SOURCE is read through its mirror: messages name the URL
def make_preview(
    source: str | Path,
    recipe_path: Path,
    out: Path | str,
    *,
    n: int = 6,
    versions: int | None = None,
    seed: int | None = None,
    images: str | Path | None = None,
    fmt: str = "auto",
    keys: list[str] | None = None,
    names: bool = True,
    cache_dir: str | Path | None = None,
) -> Path:
    """Write the picture to ``out``; ``source`` and ``images`` may be URLs (mirrored in ``cache_dir``)."""
    from augcli.cli.preview import render_grid
    from augcli.cli.preview_cell import GridStyle

    path, picture_format = preview_path(out)
    recipe = resolve_recipe(recipe_path)
    seed = recipe.seed if seed is None else seed
    versions = versions if versions is not None else max(1, recipe.copies)
    folder = local_input(images, cache_dir, what="images folder") if images is not None else None
    reader = open_reader(local_input(source, cache_dir), fmt=fmt, images=folder)
    available = reader.keys()
    if not available:
        raise DatasetError("no readable images to preview", file=str(source))
    pool, _ = check_partners(recipe, reader)
    source_of_partners = partner_source(pool, reader, recipe, seed, None)
    rows, titles = [], []
    for key in choose_keys(available, list(keys or []), n, seed, source):
        sample = reader.load(key)
        row, captions = [sample], [f"{Path(key).name} (original)"]
        for copy in range(1, versions + 1):
            partners = source_of_partners
            new_draw = (lambda: partners.drawer(key, copy)) if partners is not None else None  # noqa: B023
            run, _, draw = recipe.augment(
                sample,
                task_rng(seed, split_of(reader, key), key, copy),
                categories=reader.categories,
                new_draw=new_draw,
            )
            row.append(run.sample)
            caption = ", ".join(op["op"] for op in run.ops) if run.ops else "(no op fired)"
            if draw is not None and draw.keys:
                caption += "; partners: " + ", ".join(Path(k).name for k in draw.keys)
            captions.append(f"aug {copy}: {caption}")
        rows.append(row)
        titles.append(captions)
    grid = render_grid(rows, reader.categories, titles=titles, style=GridStyle(names=names))
    buffer = io.BytesIO()
    grid.save(buffer, format=picture_format, **({"quality": 92} if picture_format == "JPEG" else {}))
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, buffer.getvalue())
    return path
