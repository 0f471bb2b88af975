"""``augcli preview``: a few samples through the recipe, drawn into one PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from augcli.core.errors import DatasetError
from augcli.engine.partners import check_partners, partner_source
from augcli.engine.runner import resolve_recipe
from augcli.engine.seeds import task_rng
from augcli.formats.atomic import atomic_write_bytes
from augcli.formats.registry import open_reader


def make_preview(
    source: Path,
    recipe_path: Path,
    out: Path,
    *,
    n: int = 6,
    versions: int = 4,
    seed: int | None = None,
    images: Path | None = None,
    fmt: str = "auto",
) -> Path:
    import io

    from augcli.cli.preview import render_grid

    recipe = resolve_recipe(recipe_path)
    seed = recipe.seed if seed is None else seed
    reader = open_reader(Path(source), fmt=fmt, images=images)
    keys = reader.keys()
    if not keys:
        raise DatasetError("no readable images to preview", file=str(source))
    # The same keys for the same seed, spread over the dataset.
    pool, _ = check_partners(recipe, reader)
    source_of_partners = partner_source(pool, reader, recipe, seed, None)
    chosen = sorted(np.random.default_rng(seed).choice(len(keys), size=min(n, len(keys)), replace=False))
    rows, titles = [], []
    for index in chosen:
        key = keys[int(index)]
        sample = reader.load(key)
        row, names = [sample], [f"{Path(key).name} (original)"]
        for copy in range(1, versions + 1):
            draw = source_of_partners.drawer(key, copy) if source_of_partners is not None else None
            run = recipe.pipeline.run(
                sample,
                task_rng(seed, key, copy),
                categories=reader.categories,
                policy=recipe.policy,
                draw=draw,
            )
            row.append(run.sample)
            caption = ", ".join(op["op"] for op in run.ops) if run.ops else "(no op fired)"
            if draw is not None and draw.keys:
                caption += "; partners: " + ", ".join(Path(k).name for k in draw.keys)
            names.append(f"aug {copy}: {caption}")
        rows.append(row)
        titles.append(names)
    grid = render_grid(rows, reader.categories, titles=titles)
    buffer = io.BytesIO()
    grid.save(buffer, format="PNG")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out, buffer.getvalue())
    return out
