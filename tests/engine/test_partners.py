"""Partners of multi-image transforms: drawn reproducibly, from the same split, never the image itself."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import augcli
from augcli.core.errors import ImageReadError, ItemError, RecipeError
from augcli.core.sample import Categories, Instances, Sample
from augcli.engine.partners import PartnerPool, PartnerSource, check_partners
from augcli.formats.base import ImageLabels
from augcli.recipe import recipe_from_dict

MOSAIC_RECIPE = {
    "version": 1,
    "seed": 11,
    "copies": 2,
    "pipeline": [
        {"HorizontalFlip": {"p": 0.5}},
        {"Mosaic": {"grid": [2, 2], "output_size": [200, 240], "p": 0.8}},
    ],
}


class FakeReader:
    """Keys with a split each and one label class each; ``broken`` keys fail to load."""

    def __init__(self, splits: dict[str, str | None], classes: dict[str, int] | None = None, broken=()):
        self._splits = splits
        self._classes = classes or {k: 1 for k in splits}
        self.broken = set(broken)
        self.categories = Categories([])
        self.loads = Counter()

    def keys(self):
        return list(self._splits)

    def split_of(self, key):
        return self._splits[key]

    def labels(self, key):
        return ImageLabels.from_lists([self._classes[key]], [[1, 1, 5, 5]])

    def load(self, key):
        self.loads[key] += 1
        if key in self.broken:
            raise ImageReadError("cannot decode", file=f"{key}.jpg")
        inst = Instances(labels=[self._classes[key]], boxes=[[1, 1, 5, 5]])
        return Sample(image=np.zeros((8, 8, 3), np.uint8), instances=inst, meta={"key": key})


def draws(pool: PartnerPool, key: str, count: int, seeds=range(200)) -> list[list[str]]:
    return [pool.choose(key, np.random.default_rng(s), count, {key}) for s in seeds]


def test_partners_come_from_the_same_split_without_repeats_or_self():
    splits = {f"t{i}": "train" for i in range(6)} | {f"v{i}": "val" for i in range(4)}
    pool = PartnerPool.from_reader(FakeReader(splits))
    for key in splits:
        for chosen in draws(pool, key, 3):
            assert key not in chosen
            assert len(set(chosen)) == 3
            assert {splits[k] for k in chosen} == {splits[key]}


def test_the_draw_is_a_function_of_the_rng_and_ignores_key_order():
    splits = {f"k{i}": None for i in range(9)}
    forward = PartnerPool.from_reader(FakeReader(splits))
    backward = PartnerPool.from_reader(FakeReader(dict(reversed(list(splits.items())))))
    assert draws(forward, "k3", 3, range(20)) == draws(backward, "k3", 3, range(20))
    assert len({tuple(d) for d in draws(forward, "k3", 3, range(20))}) > 5


def test_a_small_split_draws_with_replacement_and_a_single_image_partners_itself():
    pool = PartnerPool.from_reader(FakeReader({"a": "s", "b": "s", "c": "s", "solo": "t"}))
    chosen = draws(pool, "a", 3, range(50))
    assert all(set(c) <= {"b", "c"} for c in chosen)
    assert any(len(set(c)) < 3 for c in chosen)
    assert draws(pool, "solo", 2, range(3)) == [["solo", "solo"]] * 3


def test_check_partners_warns_about_small_splits_and_refuses_one_image():
    recipe = recipe_from_dict(MOSAIC_RECIPE)
    pool, notes = check_partners(recipe, FakeReader({"a": "train", "b": "train", "c": "val", "d": "val"}))
    assert pool is not None
    assert len(notes) == 2 and all("with replacement" in n for n in notes)
    with pytest.raises(RecipeError, match="1 image"):
        check_partners(recipe, FakeReader({"only": None}))
    plain = recipe_from_dict({"version": 1, "pipeline": [{"HorizontalFlip": {}}]})
    assert check_partners(plain, FakeReader({"only": None})) == (None, [])


def test_class_weighting_favours_images_of_rare_classes():
    splits = {f"k{i}": None for i in range(10)}
    classes = {k: (7 if k == "k9" else 1) for k in splits}
    spec = recipe_from_dict({**MOSAIC_RECIPE, "partners": {"weighting": "class"}}).partners
    weighted = PartnerPool.from_reader(FakeReader(splits, classes), spec)
    uniform = PartnerPool.from_reader(FakeReader(splits, classes))
    reader = FakeReader(splits, classes)
    assert PartnerPool.from_reader(reader, spec).weights and not reader.loads  # no pixels decoded
    rare = sum(c == ["k9"] for c in draws(weighted, "k0", 1, range(400)))
    plain = sum(c == ["k9"] for c in draws(uniform, "k0", 1, range(400)))
    # k9 weighs 10 against 10/9 for the others: about half of the draws instead of a ninth
    assert rare > 150 and plain < 80


def test_a_classes_filter_keeps_only_images_holding_them():
    splits = {f"k{i}": None for i in range(8)}
    classes = {k: (3 if i % 2 else 1) for i, k in enumerate(splits)}
    spec = recipe_from_dict({**MOSAIC_RECIPE, "partners": {"classes": [3]}}).partners
    pool = PartnerPool.from_reader(FakeReader(splits, classes), spec)
    assert {k for d in draws(pool, "k0", 2) for k in d} == {"k1", "k3", "k5", "k7"}


def test_partners_are_cached_per_worker():
    reader = FakeReader({f"k{i}": None for i in range(5)})
    source = PartnerSource(PartnerPool.from_reader(reader), reader, seed=0)
    for copy in range(6):
        got = source.drawer("k0", copy)(np.random.default_rng(copy), 3)
        assert [s.meta["key"] for s in got] == draws(source.pool, "k0", 3, [copy])[0]
    assert set(reader.loads) <= {"k1", "k2", "k3", "k4"} and max(reader.loads.values()) == 1


def test_a_partner_that_cannot_load_names_itself():
    reader = FakeReader({"k0": None, "k1": None}, broken={"k1"})
    source = PartnerSource(PartnerPool.from_reader(reader), reader, seed=0)
    with pytest.raises(ItemError, match="partner image k1"):
        source.drawer("k0", 1)(np.random.default_rng(0), 1)


@pytest.mark.parametrize(
    "section, text",
    [
        ({"partners": {"weighting": "rare"}}, "weighting"),
        ({"partners": {"classes": []}}, "classes"),
        ({"partners": {"from": "all"}}, "unknown key"),
        ({"partner_pipeline": [{"Mosaic": {}}]}, "cannot run on a partner"),
    ],
)
def test_recipe_validation_of_partner_settings(section, text):
    with pytest.raises(RecipeError) as err:
        recipe_from_dict({**MOSAIC_RECIPE, **section})
    assert any(text in p for p in err.value.problems)


def tree_digest(root: Path) -> dict[str, str]:
    skip = {"report.jsonl", "run.jsonl"}
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name not in skip
    }


def provenance(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / ".augcli" / "provenance.jsonl").read_text().splitlines()]


def test_mosaic_output_is_identical_for_one_and_two_workers_and_lists_partners(sample_dataset, tmp_path):
    one = augcli.expand(sample_dataset, MOSAIC_RECIPE, tmp_path / "w1", workers=1)
    two = augcli.expand(sample_dataset, MOSAIC_RECIPE, tmp_path / "w2", workers=2)
    assert not one.skipped and one.images_out == two.images_out
    assert tree_digest(tmp_path / "w1") == tree_digest(tmp_path / "w2")
    rows = [r for r in provenance(tmp_path / "w1") if r.get("partners")]
    assert rows, "the recipe must have drawn partners"
    for row in rows:
        assert row["key"] not in row["partners"] and len(set(row["partners"])) == len(row["partners"])
        mosaic = [op for op in row["ops"] if op["op"] == "Mosaic"]
        assert [k for op in mosaic for k in op["partners"]] == row["partners"]


def test_mosaic_output_is_identical_after_an_interrupted_run_is_resumed(sample_dataset, tmp_path):
    augcli.expand(sample_dataset, MOSAIC_RECIPE, tmp_path / "whole", workers=1)

    def interrupt(result, task, seen=[]):  # noqa: B006 (a counter shared by the calls of one run)
        seen.append(result)
        if len(seen) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        augcli.expand(sample_dataset, MOSAIC_RECIPE, tmp_path / "cut", workers=1, on_result=interrupt)
    augcli.expand(sample_dataset, MOSAIC_RECIPE, tmp_path / "cut", workers=2, resume=True)
    assert tree_digest(tmp_path / "whole") == tree_digest(tmp_path / "cut")


def yolo_two_splits(root: Path) -> Path:
    """A YOLO detection dataset with 5 train and 4 val images, each a coloured square."""
    for split, count in (("train", 5), ("val", 4)):
        (root / "images" / split).mkdir(parents=True)
        (root / "labels" / split).mkdir(parents=True)
        for i in range(count):
            pixels = np.full((48, 64, 3), 40 * i + (0 if split == "train" else 20), np.uint8)
            pixels[10:30, 12:40] = (200, 30, 30)
            Image.fromarray(pixels).save(root / "images" / split / f"{split}{i}.png")
            (root / "labels" / split / f"{split}{i}.txt").write_text("0 0.406 0.417 0.4375 0.417\n")
    (root / "data.yaml").write_text("path: .\ntrain: images/train\nval: images/val\nnames: ['thing']\n")
    return root


def test_partners_never_cross_splits(tmp_path):
    data = yolo_two_splits(tmp_path / "data")
    recipe = {**MOSAIC_RECIPE, "copies": 3, "pipeline": [{"Mosaic": {"grid": [2, 2], "p": 1.0}}]}
    report = augcli.expand(data, recipe, tmp_path / "out", workers=1, splits="train,val")
    assert not report.skipped
    rows = provenance(tmp_path / "out")
    assert len(rows) == 9 * 3
    for row in rows:
        split = "train" if "train" in Path(row["key"]).name else "val"
        assert row["partners"] and all(split in Path(k).name for k in row["partners"])
        assert row["key"] not in row["partners"] and len(set(row["partners"])) == 3


def test_a_partner_that_fails_to_load_costs_only_its_outputs(sample_dataset, tmp_path):
    victim = sorted((sample_dataset / "images").iterdir())[0]
    victim.write_bytes(b"not an image")
    report = augcli.expand(sample_dataset, MOSAIC_RECIPE, tmp_path / "out", workers=1)
    partner_failures = [s for s in report.skipped if "partner image" in s["message"]]
    assert partner_failures and all(victim.name in s["message"] for s in partner_failures)
    lost = {(s["image"], s["where"]) for s in partner_failures}
    written = {(r["key"], f"copy {r['copy']}") for r in provenance(tmp_path / "out")}
    assert not lost & written
    # the victim's own task fails; of the others, only the outputs that drew it are lost
    others = report.images_in - 1
    assert report.images_out == others * (1 + MOSAIC_RECIPE["copies"]) - len(lost)


ALL_FOUR = {
    "version": 1,
    "seed": 5,
    "copies": 2,
    "partner_pipeline": [{"HorizontalFlip": {"p": 0.5}}],
    "pipeline": [
        {"Affine": {"rotate": [-10, 10], "p": 0.7}},
        {
            "OneOf": {
                "p": 1.0,
                "transforms": [
                    {"Mosaic": {"grid": [2, 2]}},
                    {"MixUp": {}},
                    {"CutMix": {}},
                    {"CopyPaste": {"scale_range": [0.5, 1.5]}},
                ],
            }
        },
        {"SomeOf": {"n": 1, "transforms": [{"CutMix": {"p": 1.0}}, {"GaussNoise": {"p": 1.0}}]}},
    ],
}


def test_every_mixing_transform_inside_containers_after_other_ops_is_deterministic(sample_dataset, tmp_path):
    one = augcli.expand(sample_dataset, ALL_FOUR, tmp_path / "w1", workers=1)
    two = augcli.expand(sample_dataset, ALL_FOUR, tmp_path / "w2", workers=2)
    assert not one.skipped, one.skipped
    assert tree_digest(tmp_path / "w1") == tree_digest(tmp_path / "w2")
    fired = {op["op"] for row in provenance(tmp_path / "w1") for op in row["ops"]}
    assert {"Mosaic", "MixUp", "CutMix", "CopyPaste"} & fired
    assert one.images_out == two.images_out


def test_the_partner_pipeline_runs_on_every_partner():
    reader = FakeReader({f"k{i}": None for i in range(3)})
    recipe = recipe_from_dict(
        {**MOSAIC_RECIPE, "partner_pipeline": [{"PadIfNeeded": {"min_height": 20, "min_width": 30}}]}
    )
    source = PartnerSource(
        PartnerPool.from_reader(reader), reader, seed=0, partner_pipeline=recipe.partner_pipeline
    )
    partners = source.drawer("k0", 1)(np.random.default_rng(0), 2)
    assert [p.image.shape[:2] for p in partners] == [(20, 30), (20, 30)]
    assert reader.load("k1").image.shape[:2] == (8, 8)  # the cached original is untouched


def one_image_dataset(sample_dataset: Path) -> Path:
    (path,) = sorted((sample_dataset / "annotations").glob("*.json"))
    doc = json.loads(path.read_text())
    first = doc["images"][0]
    doc["images"] = [first]
    doc["annotations"] = [a for a in doc["annotations"] if a["image_id"] == first["id"]]
    path.write_text(json.dumps(doc))
    return sample_dataset


def test_a_one_image_dataset_is_refused_before_the_run_and_by_validate(sample_dataset, tmp_path):
    from typer.testing import CliRunner

    from augcli.cli.app import app

    data = one_image_dataset(sample_dataset)
    with pytest.raises(RecipeError, match="partner images"):
        augcli.expand(data, MOSAIC_RECIPE, tmp_path / "out", workers=1)
    assert not (tmp_path / "out").exists()
    recipe = tmp_path / "mosaic.json"
    recipe.write_text(json.dumps(MOSAIC_RECIPE))
    result = CliRunner().invoke(app, ["validate", str(recipe), "--dataset", str(data)])
    assert result.exit_code == 3 and "partner images" in result.output


def test_preview_captions_name_the_partners(sample_dataset, tmp_path, monkeypatch):
    import augcli.cli.preview as preview
    from augcli.cli.preview_command import make_preview

    seen = {}
    real = preview.render_grid

    def capture(rows, categories, titles=None, **kw):
        seen["titles"] = titles
        return real(rows, categories, titles=titles, **kw)

    monkeypatch.setattr(preview, "render_grid", capture)
    recipe = tmp_path / "mosaic.json"
    recipe.write_text(json.dumps({**MOSAIC_RECIPE, "pipeline": [{"Mosaic": {"p": 1.0}}]}))
    out = make_preview(sample_dataset, recipe, tmp_path / "preview.png", n=2, versions=2)
    assert out.is_file()
    captions = [t for row in seen["titles"] for t in row[1:]]
    assert len(captions) == 4 and all("Mosaic; partners: " in t for t in captions)


def test_class_weighting_follows_a_class_aware_copies_plan():
    from augcli.core.sample import Category

    splits = {f"k{i}": None for i in range(10)}
    reader = FakeReader(splits, {k: (7 if k == "k9" else 1) for k in splits})
    reader.categories = Categories([Category(1, "common"), Category(7, "rare")])
    recipe = recipe_from_dict(
        {
            **MOSAIC_RECIPE,
            "copies": {"mode": "per_class", "classes": {"rare": 6}, "default": 2},
            "partners": {"weighting": "class"},
        }
    )
    pool, _ = check_partners(recipe, reader)
    assert pool.weights == {k: (6.0 if k == "k9" else 2.0) for k in splits}
    rare = sum(c == ["k9"] for c in draws(pool, "k0", 1, range(400)))
    assert 0.2 < rare / 400 < 0.35  # 6 / (6 + 8 * 2) = 0.27
