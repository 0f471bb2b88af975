"""Recipes that must be refused (exit 3) before any dataset work: nothing can name Python code."""

from __future__ import annotations

from fixture_kit import Case, Fixture


def _recipe(text):
    """``text`` (or ``text(fx)``) becomes the recipe file of the case."""

    def build(fx: Fixture) -> None:
        path = fx.root.parent / "recipe.yaml"
        body = text(fx) if callable(text) else text
        path.write_bytes(body if isinstance(body, bytes) else body.encode())
        fx.recipe = path

    return build


PWNED = "pwned"  # a file a recipe would create if it could run code


_BOMB = (
    "version: 1\na: &a [x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(9)
    )
    + "pipeline: []\n"
)

CASES = [
    Case("recipe: unknown transform", "recipe", _recipe("version: 1\npipeline:\n  - Explode: {}\n")),
    Case(
        "recipe: parameter of the wrong type",
        "recipe",
        _recipe("version: 1\npipeline:\n  - HorizontalFlip: {p: high}\n"),
    ),
    Case(
        "recipe: value out of range", "recipe", _recipe("version: 1\npipeline:\n  - HorizontalFlip: {p: 3}\n")
    ),
    Case("recipe: unknown key", "recipe", _recipe("version: 1\ncopise: 3\npipeline: []\n")),
    Case("recipe: YAML anchors bomb", "recipe", _recipe(_BOMB)),
    Case("recipe: duplicate keys", "recipe", _recipe("version: 1\ncopies: 1\ncopies: 2\npipeline: []\n")),
    Case(
        "recipe: python/object/apply tag",
        "recipe",
        _recipe(
            lambda fx: (
                f"version: 1\npipeline: !!python/object/apply:os.system ['touch {fx.root.parent / PWNED}']\n"
            )
        ),
    ),
    Case(
        "recipe: python/name tag",
        "recipe",
        _recipe("version: 1\nseed: !!python/name:os.getpid\npipeline: []\n"),
    ),
    Case(
        "recipe: python/module tag", "recipe", _recipe("version: 1\nseed: !!python/module:os\npipeline: []\n")
    ),
    Case(
        "recipe: a transform named by its Python path",
        "recipe",
        _recipe("version: 1\npipeline:\n  - augcli.transforms.geometric.flips.HorizontalFlip: {}\n"),
    ),
    Case("recipe: binary tag", "recipe", _recipe("version: 1\nseed: !!binary aGVsbG8=\npipeline: []\n")),
    Case("recipe: a list at the top", "recipe", _recipe("- HorizontalFlip: {}\n")),
    Case("recipe: invalid YAML", "recipe", _recipe("version: 1\npipeline: [\n")),
    Case("recipe: not UTF-8", "recipe", _recipe(b"version: 1\npipeline: []\n# \xff\xfe\n")),
    Case(
        "recipe: nested 10000 deep",
        "recipe",
        _recipe("version: 1\npipeline: " + "[" * 10000 + "]" * 10000 + "\n"),
    ),
    Case(
        "recipe: larger than a recipe can be",
        "recipe",
        _recipe("version: 1\npipeline: []\n" + "#" * (2 << 20)),
    ),
    Case("recipe: empty file", "recipe", _recipe("")),
]
