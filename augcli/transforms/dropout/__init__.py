"""Dropout and occlusion transforms: pixels are removed and every label learns what it lost.

Its modules register CoarseDropout, Erasing, XYMasking,
GridDropout, PixelDropout, MaskDropout, ConstrainedCoarseDropout and
PatchGaussian. Label updates live in ``geometry.occlusion``.
"""
