"""``augcli validate``: a recipe's problems, and a dataset's against it, without touching pixels."""

from __future__ import annotations

from pathlib import Path

from augcli.recipe.recipe import Recipe, check_dataset, load_recipe


def check(
    recipe: Path,
    dataset: str | Path | None,
    images: str | Path | None,
    fmt: str,
    to: str,
    reader_options: dict | None = None,
    cache_dir: str | Path | None = None,
) -> tuple[Recipe, list[str], list[str], list[str]]:
    """The loaded recipe, its problems against the dataset, the dataset's unreadable items, warnings.

    ``dataset`` and ``images`` may be URLs: read through their mirrors in ``cache_dir``, named by URL."""
    from augcli.engine.partners import check_partners

    loaded = load_recipe(recipe)
    warnings = list(loaded.warnings())
    if dataset is None:
        return loaded, [], [], warnings
    from augcli.engine.remote_run import public_messages
    from augcli.formats.convert.losses import upfront_warnings
    from augcli.formats.registry import SAME, check_output_format, open_reader
    from augcli.storage.mirror import local_input, public_text

    check_output_format(to)
    with public_messages():
        local = local_input(dataset, cache_dir)
        folder = local_input(images, cache_dir, what="images folder") if images is not None else None
        reader = open_reader(local, fmt=fmt, images=folder, **(reader_options or {}))
        problems = check_dataset(loaded, reader.categories, reader.targets())
        unreadable = [str(p) for p in reader.problems]
        warnings += list(getattr(reader, "notes", []))
        warnings += upfront_warnings(reader, to) if to != SAME else []
        warnings += check_partners(loaded, reader)[1]  # refuses a one-image dataset
    return loaded, problems, [public_text(p) for p in unreadable], [public_text(str(w)) for w in warnings]
