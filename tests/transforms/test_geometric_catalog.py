"""The geometric catalogue of issue 4 (warps): D4, SafeRotate, RandomScale,
OpticalDistortion, ThinPlateSpline, PiecewiseAffine, GridElasticDeform and
RandomGridShuffle, each against an independent oracle or a property.

Pixel/label alignment of every one of them is covered by test_alignment.py,
which iterates the registry; these tests pin down what each warp *is*.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from augcli.core.sample import Instances, Sample
from augcli.geometry import rle
from augcli.geometry.apply import apply_warp
from augcli.geometry.piecewise import PiecewiseWarp
from augcli.geometry.polygons import polygon_area
from augcli.recipe.pipeline import Pipeline
from augcli.transforms.base import REGISTRY, SampleContext
from augcli.transforms.catalog import load_all
from augcli.transforms.geometric.flips import D4_ELEMENTS, D4Op
from augcli.transforms.geometric.grid_shuffle import grid_tiles
from augcli.transforms.geometric.lens import OpticalDistortionOp
from augcli.transforms.geometric.mesh import GridElasticDeformOp, PiecewiseAffineOp
from augcli.transforms.geometric.tps import ThinPlateSplineOp, evaluate_spline, fit_spline
from augcli.transforms.params import ParamError

load_all()  # registers every transform

W, H = 160, 120
NEW_WARPS = (
    "D4",
    "SafeRotate",
    "RandomScale",
    "OpticalDistortion",
    "ThinPlateSpline",
    "PiecewiseAffine",
    "GridElasticDeform",
    "RandomGridShuffle",
)


def sample_of(image: np.ndarray, **labels) -> Sample:
    return Sample(image=image, instances=Instances(**labels) if labels else Instances.empty())


def ctx_for(sample: Sample) -> SampleContext:
    return SampleContext(width=sample.width, height=sample.height, get_sample=lambda: sample)


def op_of(name: str, sample: Sample, seed: int = 0, **cfg):
    return REGISTRY[name](**cfg, p=1.0).make_op(np.random.default_rng(seed), ctx_for(sample))


def apply_h(mat: np.ndarray, pts) -> np.ndarray:
    pts = np.asarray(pts, float)
    out = np.c_[pts, np.ones(len(pts))] @ mat.T
    return out[:, :2] / out[:, 2:]


def ids(height: int = H, width: int = W) -> np.ndarray:
    return np.arange(height * width, dtype=np.int32).reshape(height, width)


def test_the_catalogue_is_registered_as_geometric():
    for name in NEW_WARPS:
        assert REGISTRY[name].kind == "geometric", name


# --- D4 -------------------------------------------------------------------------------------

NUMPY_D4 = {
    "e": lambda a: a,
    "r90": lambda a: np.rot90(a, 1),
    "r180": lambda a: np.rot90(a, 2),
    "r270": lambda a: np.rot90(a, 3),
    "v": np.flipud,
    "h": np.fliplr,
    "t": np.transpose,
    "hvt": lambda a: np.rot90(a.T, 2),
}


@pytest.mark.parametrize("element", D4_ELEMENTS)
def test_d4_elements_are_numpy_symmetries_and_mirrors_swap_sides(element):
    image = ids(7, 11)  # non-square: quarter turns swap the sides
    warp = D4Op(element=element).warp(11, 7)
    out = apply_warp(sample_of(image), warp).image
    assert np.array_equal(out, NUMPY_D4[element](image))
    assert warp.mirrors == (element in ("v", "h", "t", "hvt"))


def test_d4_draws_all_eight_elements():
    sample = sample_of(ids())
    assert {op_of("D4", sample, seed).element for seed in range(120)} == set(D4_ELEMENTS)


# --- SafeRotate -----------------------------------------------------------------------------


@pytest.mark.parametrize("angle", [0.0, 17.0, -35.0, 90.0, 133.0])
def test_safe_rotate_fits_the_whole_rotated_image_in_the_frame(angle):
    op = REGISTRY["SafeRotate"](limit=[angle, angle], p=1.0).make_op(
        np.random.default_rng(0), ctx_for(sample_of(ids()))
    )
    warp = op.warp(W, H)
    assert warp.out_size == (W, H)
    corners = apply_h(warp.matrix, [[0, 0], [W, 0], [W, H], [0, H]])
    assert (corners >= -1e-9).all() and (corners <= [W + 1e-9, H + 1e-9]).all()
    # the rotated image's bounding rectangle is exactly the frame: each side is touched
    np.testing.assert_allclose(corners.min(axis=0), [0, 0], atol=1e-9)
    np.testing.assert_allclose(corners.max(axis=0), [W, H], atol=1e-9)
    # the direction of the top edge is the rotation's (counter-clockwise on screen), up to the squeeze
    edge = corners[1] - corners[0]
    expected = np.array([np.cos(np.radians(angle)), -np.sin(np.radians(angle))])
    squeezed = expected * [
        W / (W * abs(expected[0]) + H * abs(expected[1])),
        H / (W * abs(expected[1]) + H * abs(expected[0])),
    ]
    np.testing.assert_allclose(edge / W, squeezed, atol=1e-9)
    assert not warp.mirrors


# --- RandomScale ----------------------------------------------------------------------------


def test_random_scale_resizes_the_canvas_and_the_labels():
    sample = sample_of(np.zeros((H, W, 3), np.uint8), labels=[1], boxes=[[10, 20, 50, 60]])
    factors = []
    for seed in range(30):
        op = op_of("RandomScale", sample, seed, scale_limit=[-0.5, 0.5])
        factors.append(op.out_width / W)
        out = op.apply(sample)
        assert out.image.shape[:2] == (op.out_height, op.out_width)
        sx, sy = op.out_width / W, op.out_height / H
        np.testing.assert_allclose(out.instances.boxes[0], [10 * sx, 20 * sy, 50 * sx, 60 * sy])
        assert abs(op.out_height - H * op.out_width / W) <= 1  # aspect kept
    assert min(factors) < 0.7 and max(factors) > 1.3 and 0.5 - 1e-2 <= min(factors)


# --- OpticalDistortion ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "mode, k", [("camera", 0.2), ("camera", -0.3), ("fisheye", 0.5), ("fisheye", -0.3), ("camera", 1.0)]
)
def test_optical_point_map_is_the_exact_inverse_of_the_sampling_grid(mode, k):
    warp = OpticalDistortionOp(k=k, mode=mode).warp(W, H)
    rows, cols = np.mgrid[0:H:7, 0:W:9]
    sampled = np.stack([warp.map_x[rows, cols], warp.map_y[rows, cols]], -1).reshape(-1, 2)
    centres = np.stack([cols + 0.5, rows + 0.5], -1).reshape(-1, 2)
    np.testing.assert_allclose(warp.point_map(sampled), centres, atol=2e-3)


def test_barrel_pulls_inwards_and_pincushion_pushes_outwards():
    centre = np.array([[W / 2, H / 2]])
    point = np.array([[W * 0.8, H * 0.7]])
    for k, closer in ((0.2, True), (-0.2, False)):
        radial = OpticalDistortionOp(k=k).warp(W, H).point_map
        np.testing.assert_allclose(radial(centre), centre)  # the centre stays
        moved = radial(point)
        assert (np.linalg.norm(moved - centre) < np.linalg.norm(point - centre)) == closer


def test_pincushion_sends_unseen_input_off_the_canvas_instead_of_dropping_it():
    radial = OpticalDistortionOp(k=-0.3, mode="fisheye").warp(W, H).point_map
    corners = radial(np.array([[0.0, 0.0], [W, H]]))
    assert np.isfinite(corners).all()
    assert (corners[0] < 0).all() and (corners[1] > [W, H]).all()


def test_fisheye_normalises_by_the_half_diagonal():
    warp = OpticalDistortionOp(k=0.3, mode="fisheye").warp(W, H)
    # the corner pixel centre sits at radius ~1: it samples (1 + k r^2) times as far out
    offset = np.array([0.5 - W / 2, 0.5 - H / 2])
    r2 = (offset**2).sum() / ((W / 2) ** 2 + (H / 2) ** 2)
    np.testing.assert_allclose(
        [warp.map_x[0, 0], warp.map_y[0, 0]], [W / 2, H / 2] + offset * (1 + 0.3 * r2), rtol=1e-5
    )


def test_optical_distortion_limits_its_coefficient():
    with pytest.raises(ParamError):
        REGISTRY["OpticalDistortion"](distort_limit=[-0.5, 0.1])


# --- ThinPlateSpline ------------------------------------------------------------------------


def test_spline_interpolates_its_points_and_reproduces_an_affine_map():
    rng = np.random.default_rng(4)
    controls = rng.uniform(0, 1, (9, 2))
    affine = np.array([[0.9, 0.2], [-0.1, 1.1]])
    values = controls @ affine.T + [0.05, -0.02]
    weights, coefficients = fit_spline(controls, values)
    np.testing.assert_allclose(weights, 0.0, atol=1e-9)  # no bending needed
    xs, ys = np.linspace(0, 1, 5), np.linspace(0, 1, 4)
    got = evaluate_spline(controls, weights, coefficients, xs, ys)
    grid = np.stack(np.meshgrid(xs, ys), -1)
    np.testing.assert_allclose(got, grid @ affine.T + [0.05, -0.02], atol=1e-9)
    bent = rng.uniform(0, 1, (9, 2))
    w2, a2 = fit_spline(controls, bent)
    for (x, y), value in zip(controls, bent):
        np.testing.assert_allclose(
            evaluate_spline(controls, w2, a2, np.array([x]), np.array([y]))[0, 0], value, atol=1e-9
        )


def test_tps_grid_passes_through_the_displaced_control_points():
    op = ThinPlateSplineOp(seed=5, scale=0.1, num_control_points=3)
    warp = op.warp(W, H)
    controls, sources = op.displaced_controls()
    # interior control point (0.5, 0.5) lies on the lattice; read the grid around it
    centre = np.flatnonzero(np.all(np.isclose(controls, 0.5), axis=1))[0]
    x, y = W / 2, H / 2  # between pixel centres 79.5 and 80.5
    got = np.array([warp.map_x[59:61, 79:81].mean(), warp.map_y[59:61, 79:81].mean()])
    # the mean of the four pixels around it, off by the spline's curvature there (< 0.15 px)
    np.testing.assert_allclose(got, sources[centre] * [W, H], atol=0.15)
    assert abs(x - got[0]) > 0.01 or abs(y - got[1]) > 0.01  # it did move


def test_tps_with_zero_scale_is_the_identity():
    warp = ThinPlateSplineOp(seed=1, scale=0.0, num_control_points=4).warp(W, H)
    np.testing.assert_allclose(warp.map_x, np.arange(W)[None, :] + 0.5 + np.zeros((H, 1)), atol=1e-3)
    np.testing.assert_allclose(warp.map_y, np.arange(H)[:, None] + 0.5 + np.zeros((1, W)), atol=1e-3)


# --- PiecewiseAffine and GridElasticDeform --------------------------------------------------


@settings(max_examples=25)
@given(seed=st.integers(0, 2**31), rows=st.integers(2, 6), cols=st.integers(2, 6), scale=st.floats(0.0, 0.04))
def test_piecewise_affine_point_map_inverts_the_grid_exactly(seed, rows, cols, scale):
    warp = PiecewiseAffineOp(seed=seed, rows=rows, cols=cols, scale=scale).warp(W, H)
    r, c = np.mgrid[0:H:5, 0:W:6]
    sampled = np.stack([warp.map_x[r, c], warp.map_y[r, c]], -1).reshape(-1, 2).astype(float)
    moved = warp.point_map(sampled)
    centres = np.stack([c + 0.5, r + 0.5], -1).reshape(-1, 2)
    # exact except where jittered triangles overlap (a fold has two valid answers)
    close = np.linalg.norm(moved - centres, axis=1) < 1e-3
    assert close.mean() > 0.97


def test_piecewise_affine_jitter_stays_on_the_image():
    op = PiecewiseAffineOp(seed=3, rows=4, cols=5, scale=0.2)
    sources = op.sources(W, H)
    assert (sources >= 0).all() and (sources <= [W, H]).all()
    assert np.std(sources - np.stack(np.meshgrid(np.linspace(0, W, 5), np.linspace(0, H, 4)), 2)) > 5


def test_grid_elastic_deform_moves_whole_pixels_and_keeps_the_canvas_covered():
    op = GridElasticDeformOp(seed=11, cells_x=4, cells_y=3, magnitude=6)
    sources = op.sources(W, H)
    grid = np.stack(np.meshgrid(np.linspace(0, W, 5), np.linspace(0, H, 4)), 2)
    shift = sources - grid
    np.testing.assert_allclose(shift, np.round(shift))
    assert np.abs(shift).max() <= 6 and np.abs(shift).max() > 0
    assert (shift[[0, -1], :, 1] == 0).all() and (shift[:, [0, -1], 0] == 0).all()
    warp = op.warp(W, H)
    assert warp.map_x.min() >= 0 and warp.map_x.max() <= W
    assert warp.map_y.min() >= 0 and warp.map_y.max() <= H


def test_grid_elastic_deform_needs_grid_and_magnitude():
    with pytest.raises(ParamError):
        REGISTRY["GridElasticDeform"](magnitude=5)
    with pytest.raises(ParamError):
        REGISTRY["GridElasticDeform"](num_grid_xy=[1, 4], magnitude=5)


# --- RandomGridShuffle ----------------------------------------------------------------------


def shuffled_reference(array: np.ndarray, tiles, order) -> np.ndarray:
    out = np.empty_like(array)
    for (x0, y0, x1, y1), target in zip(tiles, order):
        tx0, ty0 = tiles[target][:2]
        out[ty0 : ty0 + y1 - y0, tx0 : tx0 + x1 - x0] = array[y0:y1, x0:x1]
    return out


@pytest.mark.parametrize("grid, size", [([3, 3], (W, H)), ([2, 5], (W, H)), ([3, 4], (101, 77))])
def test_grid_shuffle_moves_tiles_and_every_label_with_them(grid, size):
    width, height = size
    image = ids(height, width)
    mask = np.zeros((height, width), bool)
    mask[height // 5 : height * 4 // 5, width // 6 : width * 5 // 6] = True  # crosses seams
    ring = np.array([[width * 0.1, height * 0.15], [width * 0.9, height * 0.2], [width * 0.5, height * 0.9]])
    kps = np.array([[[width * 0.3, height * 0.4, 2], [width * 0.77, height * 0.61, 2]]])
    sample = Sample(
        image=image,
        semantic=(image % 7).astype(np.uint8),
        instances=Instances(
            labels=[1, 2],
            boxes=[[0, 0, width, height]] * 2,
            polygons=[[ring], None],
            masks=[None, rle.encode(mask)],
            keypoints=np.concatenate([kps, np.zeros((1, 2, 3))]),
        ),
    )
    seen = set()
    for seed in range(6):
        op = op_of("RandomGridShuffle", sample, seed, grid=grid)
        warp = op.warp(width, height)
        assert isinstance(warp, PiecewiseWarp)
        tiles = grid_tiles(width, height, *grid)
        out = op.apply(sample)
        assert np.array_equal(out.image, shuffled_reference(image, tiles, op.order))
        assert np.array_equal(out.semantic, shuffled_reference(sample.semantic, tiles, op.order))
        assert np.array_equal(rle.decode(out.instances.masks[1]), shuffled_reference(mask, tiles, op.order))
        assert polygon_area(out.instances.polygons[0]) == pytest.approx(polygon_area([ring]))
        np.testing.assert_allclose(out.instances.visibility, 1.0)
        # a keypoint lands on the pixel that carried the pixel under it
        for (x, y, _), (nx, ny, v) in zip(kps[0], out.instances.keypoints[0]):
            assert v == 2
            assert out.image[int(ny), int(nx)] == image[int(y), int(x)]
        # tiles trade places only with tiles of the same size
        for k, target in enumerate(op.order):
            a, b = tiles[k], tiles[target]
            assert (a[2] - a[0], a[3] - a[1]) == (b[2] - b[0], b[3] - b[1])
        seen.add(op.order)
    assert len(seen) > 1


def test_grid_shuffle_runs_inside_a_pipeline_after_a_pending_matrix_warp():
    image = ids(H, W)
    sample = sample_of(
        image,
        labels=[1],
        boxes=[[10, 10, 40, 40]],
        polygons=[[np.array([[10.0, 10.0], [40.0, 10.0], [40.0, 40.0], [10.0, 40.0]])]],
    )
    pipeline = Pipeline(
        [REGISTRY["HorizontalFlip"](p=1.0), REGISTRY["RandomGridShuffle"](grid=[2, 2], p=1.0)]
    )
    result = pipeline.run(sample, np.random.default_rng(0))
    order = tuple(result.ops[1]["order"])
    expected = shuffled_reference(image[:, ::-1], grid_tiles(W, H, 2, 2), order)
    assert np.array_equal(result.sample.image, expected)
    assert polygon_area(result.sample.instances.polygons[0]) == pytest.approx(900.0)
