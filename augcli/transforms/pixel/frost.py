"""A procedural frost texture for ImageNet-C's frost corruption.

The paper overlays crops of six frost photographs, which augcli cannot
ship. This synthesises a look-alike: a cloudy plasma haze of ice, with
feathery dendrites (random-walk stems whose side branches leave at about
60 degrees, as ice crystals grow) piled up in plasma-shaped patches, tinted
a cold blue-white. Its mean brightness (~0.45) is close to the photos'.
"""

from __future__ import annotations

import cv2
import numpy as np

from augcli.transforms.pixel.support import plasma, seeded

TINT = np.array([0.86, 0.93, 1.0], np.float32)  # RGB: cold blue-white
STEM_SEGMENTS = 8
BRANCH_ANGLE = np.pi / 3


def frost_texture(height: int, width: int, scale: float, seed: int) -> np.ndarray:
    """(height, width, 3) float32 RGB frost in [0, 1]; ``scale`` sizes the crystals."""
    rng = seeded(seed)
    haze = plasma(height, width, 2.5, rng)
    patches = plasma(height, width, 1.0, rng)
    crystals = np.zeros((height, width), np.float32)
    step = max(1.5, 2.5 * scale)
    count = int(height * width / (120.0 * scale * scale)) + 1
    starts = np.stack([rng.uniform(0, width, count), rng.uniform(0, height, count)], axis=1)
    # Keep stems where the patch field is high: ice grows in clusters.
    keep = patches[
        starts[:, 1].astype(int).clip(0, height - 1), starts[:, 0].astype(int).clip(0, width - 1)
    ] > rng.uniform(0.2, 0.6, count)
    stems = _stems(starts[keep], step, rng)
    for brightness, lines in stems:
        cv2.polylines(crystals, lines, False, float(brightness), 1, lineType=cv2.LINE_AA)
    crystals = cv2.GaussianBlur(crystals, (0, 0), max(0.5, 0.6 * scale))
    frost = 0.3 + 0.35 * haze + crystals
    np.clip(frost, 0.0, 1.0, out=frost)
    return frost[..., None] * TINT


def _stems(starts: np.ndarray, step: float, rng: np.random.Generator):
    """Groups of (brightness, polylines) of random-walk stems with side branches."""
    groups = []
    for level in (0.12, 0.2, 0.3):
        chosen = starts[rng.random(len(starts)) < 1 / 3]
        if not len(chosen):
            continue
        heading = rng.uniform(0, 2 * np.pi, len(chosen))
        turns = rng.normal(0, 0.25, (len(chosen), STEM_SEGMENTS)).cumsum(axis=1) + heading[:, None]
        moves = np.stack([np.cos(turns), np.sin(turns)], axis=2) * step
        points = np.concatenate([chosen[:, None, :], chosen[:, None, :] + moves.cumsum(axis=1)], axis=1)
        lines = [p.astype(np.int32) for p in points]
        # A side branch from every other joint, alternating sides, shorter towards the tip.
        for j in range(1, STEM_SEGMENTS, 2):
            side = BRANCH_ANGLE if j % 4 == 1 else -BRANCH_ANGLE
            length = step * 2.0 * (1 - j / STEM_SEGMENTS)
            ends = points[:, j] + length * np.stack(
                [np.cos(turns[:, j] + side), np.sin(turns[:, j] + side)], axis=1
            )
            lines.extend(np.stack([points[:, j], ends], axis=1).astype(np.int32))
        groups.append((level, lines))
    return groups
