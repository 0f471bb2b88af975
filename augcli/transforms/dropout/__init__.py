"""Dropout and occlusion transforms: pixels are removed and every label learns what it lost.

Importing the package registers CoarseDropout, Erasing, XYMasking,
GridDropout, PixelDropout, MaskDropout, ConstrainedCoarseDropout and
PatchGaussian. Label updates live in ``geometry.occlusion``.
"""

from augcli.transforms.dropout.coarse import (
    CoarseDropout,
    CoarseDropoutOp,
    Erasing,
    ErasingOp,
    XYMasking,
    XYMaskingOp,
)
from augcli.transforms.dropout.constrained import ConstrainedCoarseDropout, ConstrainedCoarseDropoutOp
from augcli.transforms.dropout.fill import FILL_MODES, fill_holes
from augcli.transforms.dropout.grid import GridDropout, GridDropoutOp
from augcli.transforms.dropout.holes import HoleDropoutOp
from augcli.transforms.dropout.mask_dropout import MaskDropout, MaskDropoutOp
from augcli.transforms.dropout.patch_gaussian import PatchGaussian, PatchGaussianOp
from augcli.transforms.dropout.pixel_dropout import PixelDropout, PixelDropoutOp

__all__ = [
    "CoarseDropout",
    "CoarseDropoutOp",
    "ConstrainedCoarseDropout",
    "ConstrainedCoarseDropoutOp",
    "Erasing",
    "ErasingOp",
    "FILL_MODES",
    "GridDropout",
    "GridDropoutOp",
    "HoleDropoutOp",
    "MaskDropout",
    "MaskDropoutOp",
    "PatchGaussian",
    "PatchGaussianOp",
    "PixelDropout",
    "PixelDropoutOp",
    "XYMasking",
    "XYMaskingOp",
    "fill_holes",
]
