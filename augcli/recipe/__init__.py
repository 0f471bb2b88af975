"""YAML recipe -> validated pipeline of transforms and containers."""

from augcli.recipe.compose import CONTAINERS, OneOf, Sequential, SomeOf
from augcli.recipe.pipeline import Pipeline, RunResult
from augcli.recipe.recipe import (
    Recipe,
    check_dataset,
    load_recipe,
    recipe_from_dict,
    recipe_from_text,
    validate_recipe_file,
)

__all__ = [
    "Recipe",
    "load_recipe",
    "recipe_from_dict",
    "recipe_from_text",
    "validate_recipe_file",
    "check_dataset",
    "Pipeline",
    "RunResult",
    "CONTAINERS",
    "Sequential",
    "OneOf",
    "SomeOf",
]
