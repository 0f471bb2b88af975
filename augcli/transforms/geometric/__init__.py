"""Geometric transforms: each declares one warp and every label follows it.

Importing this package registers HorizontalFlip, VerticalFlip, Transpose,
RandomRotate90, D4, Rotate, SafeRotate, Affine, ShiftScaleRotate, Perspective,
RandomScale, RandomCrop, CenterCrop, Crop, RandomCropFromBorders,
RandomResizedCrop, RandomSizedBBoxSafeCrop, BBoxSafeRandomCrop,
AtLeastOneBBoxRandomCrop, RandomCropNearBBox, CropNonEmptyMaskIfExists,
RandomIoUCrop, RandomZoomOut, CropAndPad, Pad, LetterBox, Resize,
LongestMaxSize, SmallestMaxSize, PadIfNeeded, ElasticTransform,
GridDistortion, OpticalDistortion, ThinPlateSpline, PiecewiseAffine,
GridElasticDeform and RandomGridShuffle in ``augcli.transforms.base.REGISTRY``.
"""

from augcli.transforms.geometric import (  # noqa: F401
    affine,
    crop_pad,
    crops,
    distortion,
    flips,
    grid_shuffle,
    label_crops,
    lens,
    mesh,
    pad,
    perspective,
    resize,
    rotate_scale,
    tps,
)
