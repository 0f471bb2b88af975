"""Geometric transforms: each declares one warp and every label follows it.

Importing this package registers HorizontalFlip, VerticalFlip, Transpose,
RandomRotate90, Rotate, Affine, ShiftScaleRotate, Perspective, RandomCrop,
CenterCrop, RandomResizedCrop, RandomSizedBBoxSafeCrop, Resize,
LongestMaxSize, SmallestMaxSize, PadIfNeeded, ElasticTransform and
GridDistortion in ``augcli.transforms.base.REGISTRY``.
"""
from augcli.transforms.geometric import (affine, crops, distortion, flips, pad,  # noqa: F401
                                         perspective, resize)
