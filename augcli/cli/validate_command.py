"""``augcli validate``: a recipe's problems, and a dataset's against it, without touching pixels."""

from __future__ import annotations

from pathlib import Path

from augcli.recipe.recipe import Recipe, check_dataset, load_recipe


def check(
    recipe: Path,
    dataset: Path | None,
    images: Path | None,
    fmt: str,
    to: str,
    reader_options: dict | None = None,
) -> tuple[Recipe, list[str], list[str], list[str]]:
    """The loaded recipe, its problems against the dataset, the dataset's unreadable items, warnings."""
    from augcli.engine.partners import check_partners

    loaded = load_recipe(recipe)
    warnings = list(loaded.warnings())
    if dataset is None:
        return loaded, [], [], warnings
    from augcli.formats.convert.losses import upfront_warnings
    from augcli.formats.registry import SAME, check_output_format, open_reader

    check_output_format(to)
    reader = open_reader(dataset, fmt=fmt, images=images, **(reader_options or {}))
    problems = check_dataset(loaded, reader.categories, reader.targets())
    unreadable = [str(p) for p in reader.problems]
    warnings += list(getattr(reader, "notes", []))
    warnings += upfront_warnings(reader, to) if to != SAME else []
    warnings += check_partners(loaded, reader)[1]  # refuses a one-image dataset
    return loaded, problems, unreadable, warnings
