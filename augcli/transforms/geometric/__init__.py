"""Geometric transforms: each declares one warp and every label follows it.

Its modules register HorizontalFlip, VerticalFlip, Transpose,
RandomRotate90, D4, Rotate, SafeRotate, Affine, ShiftScaleRotate, Perspective,
RandomScale, RandomCrop, CenterCrop, Crop, RandomCropFromBorders,
RandomResizedCrop, RandomSizedBBoxSafeCrop, BBoxSafeRandomCrop,
AtLeastOneBBoxRandomCrop, RandomCropNearBBox, CropNonEmptyMaskIfExists,
RandomIoUCrop, RandomZoomOut, CropAndPad, Pad, LetterBox, Resize,
LongestMaxSize, SmallestMaxSize, PadIfNeeded, ElasticTransform,
GridDistortion, OpticalDistortion, ThinPlateSpline, PiecewiseAffine,
GridElasticDeform and RandomGridShuffle in ``augcli.transforms.base.REGISTRY``.
"""
