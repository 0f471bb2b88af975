"""Contracts every registered transform keeps, parametrized over the whole registry."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
from contract_samples import (
    context_for,
    empty_sample,
    fire,
    label_snapshot,
    labelled_sample,
    parse_example,
)

from augcli.transforms.base import KINDS, TARGETS, Op
from augcli.transforms.catalog import load_all

REGISTRY = load_all()
NAMES = sorted(name for name, cls in REGISTRY.items() if cls.kind != "container")
PIXEL_NAMES = [name for name in NAMES if REGISTRY[name].kind == "pixel"]


def firing(name: str, **overrides):
    """The transform built from its YAML example, forced to fire."""
    _, config = parse_example(REGISTRY[name])
    return REGISTRY[name](**{**config, **overrides, "p": 1.0})


def image_and_labels(sample) -> tuple:
    return (sample.image.dtype.str, sample.image.shape, sample.image.tobytes(), label_snapshot(sample))


def test_registry_holds_the_issue_catalogue():
    expected = {
        "RandomBrightnessContrast",
        "ColorJitter",
        "HueSaturationValue",
        "RGBShift",
        "RandomGamma",
        "ToGray",
        "CLAHE",
        "Sharpen",
        "Blur",
        "GaussianBlur",
        "MotionBlur",
        "GaussNoise",
        "ImageCompression",
        "CoarseDropout",
    }
    assert expected <= set(REGISTRY)


@pytest.mark.parametrize("name", NAMES)
def test_declaration_is_complete(name):
    cls = REGISTRY[name]
    assert cls.name == name
    assert cls.kind in KINDS
    assert cls.targets and set(cls.targets) <= set(TARGETS)
    assert 0.0 <= cls.default_p <= 1.0
    assert cls.summary(), f"{name} needs a docstring whose first line is a summary"
    assert cls.example.strip(), f"{name} needs a YAML example"
    assert isinstance(cls.deviations, str)


def required_params(name: str) -> list[str]:
    """Parameters without a usable default (declared with default None, not nullable)."""
    return [p.name for p in REGISTRY[name].all_params() if p.default is None and not p.nullable]


@pytest.mark.parametrize("name", NAMES)
def test_every_param_is_documented_and_its_default_validates(name):
    names = [p.name for p in REGISTRY[name].all_params()]
    assert len(names) == len(set(names)), f"{name} declares a parameter twice"
    required = required_params(name)
    for param in REGISTRY[name].all_params():
        assert param.doc.strip(), f"{name}.{param.name} has no doc"
        if param.name not in required:
            param.validate(param.default)
    _, config = parse_example(REGISTRY[name])
    assert set(required) <= set(config), f"{name}: the example must set required {required}"


@pytest.mark.parametrize("name", NAMES)
def test_constructs_with_defaults(name):
    # Required parameters (no default) come from the example; everything else is defaulted.
    _, config = parse_example(REGISTRY[name])
    transform = REGISTRY[name](**{key: config[key] for key in required_params(name)})
    assert transform.p == REGISTRY[name].default_p
    assert name in repr(transform)


@pytest.mark.parametrize("name", NAMES)
def test_example_parses_constructs_and_runs(name):
    example_name, config = parse_example(REGISTRY[name])
    assert example_name == name
    REGISTRY[name](**config)
    sample = labelled_sample()
    op = fire(firing(name), sample)
    assert isinstance(op, Op)
    out = op.apply(sample)
    assert out.image.dtype == sample.image.dtype
    # a multi-image op may add its partners' instances (copies of the sample here)
    assert len(out.instances) <= len(sample.instances) * (1 + len(getattr(op, "partners", ())))


@pytest.mark.parametrize("name", NAMES)
def test_p_zero_never_fires(name):
    _, config = parse_example(REGISTRY[name])
    transform = REGISTRY[name](**{**config, "p": 0.0})
    sample = labelled_sample()
    assert all(fire(transform, sample, seed) is None for seed in range(20))


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_gives_identical_op_and_output(name):
    sample = labelled_sample()
    first, second = fire(firing(name), sample, seed=5), fire(firing(name), sample, seed=5)
    assert first.record() == second.record()
    assert image_and_labels(first.apply(sample)) == image_and_labels(second.apply(sample))


@pytest.mark.parametrize("name", NAMES)
def test_op_pickles_and_reapplies_identically(name):
    sample = labelled_sample()
    op = fire(firing(name), sample, seed=3)
    clone = pickle.loads(pickle.dumps(op))
    assert type(clone) is type(op)
    assert clone.record() == op.record()
    assert image_and_labels(clone.apply(sample)) == image_and_labels(op.apply(sample))


@pytest.mark.parametrize("name", NAMES)
def test_record_is_json_with_the_op_name(name):
    op = fire(firing(name), labelled_sample())
    record = op.record()
    assert isinstance(record.get("op"), str) and record["op"]
    json.dumps(record)


@pytest.mark.parametrize("name", NAMES)
def test_apply_does_not_mutate_its_input(name):
    sample = labelled_sample()
    before = image_and_labels(sample)
    fire(firing(name), sample, seed=1).apply(sample)
    assert image_and_labels(sample) == before


@pytest.mark.parametrize("num_keypoints", [None, 3])
@pytest.mark.parametrize("name", NAMES)
def test_empty_instances_work(name, num_keypoints):
    sample = empty_sample(num_keypoints)
    op = fire(firing(name), sample, seed=2)
    assert op is not None
    out = op.apply(sample)
    assert len(out.instances) == 0
    assert out.image.ndim == sample.image.ndim
    if num_keypoints is not None:
        assert out.instances.keypoints.shape == (0, num_keypoints, 3)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name", PIXEL_NAMES)
def test_pixel_ops_leave_every_label_byte_equal(name, seed):
    sample = labelled_sample()
    labels, meta = label_snapshot(sample), repr(sample.meta)
    for transform in (firing(name), REGISTRY[name](p=1.0)):
        op = fire(transform, sample, seed)
        out = op.apply(sample)
        assert op.kind == "pixel"
        assert label_snapshot(out) == labels
        assert repr(out.meta) == meta
        assert out.image.shape[:2] == sample.image.shape[:2]


def test_context_reports_the_canvas():
    sample = labelled_sample(height=30, width=50)
    ctx = context_for(sample)
    assert (ctx.width, ctx.height) == (50, 30)
    assert ctx.sample() is sample


def test_a_seed_change_changes_random_draws():
    # Guards the determinism test above against an rng that is ignored.
    transform = firing("GaussNoise")
    sample = labelled_sample()
    outputs = {fire(transform, sample, seed).apply(sample).image.tobytes() for seed in range(3)}
    assert len(outputs) == 3
    assert not np.array_equal(fire(transform, sample, 0).apply(sample).image, sample.image)
