"""torchvision v2's magnitude tables and AutoAugment's learned policies.

A magnitude space maps an op to ``(magnitudes, signed)``: ``magnitudes`` is
``linspace(low, high, bins)`` (or None for ops without a magnitude), and a
signed magnitude is negated with probability 1/2. ``to_step`` turns an op
and its magnitude into the frozen step torchvision's ``_apply_image_or_video
_transform`` would run: enhance factors are ``1 + m``, translations whole
pixels (``int(m)``), shears are factors (torchvision passes ``atan(m)`` in
degrees, the same matrix), solarize thresholds on the 8-bit scale.
"""

from __future__ import annotations

import numpy as np

from augcli.transforms.policies.steps import PixelStep, WarpStep

SPACES = ("autoaugment", "randaugment", "wide", "augmix", "augmix_all")
RANDAUGMENT_OPS = (
    "Identity",
    "ShearX",
    "ShearY",
    "TranslateX",
    "TranslateY",
    "Rotate",
    "Brightness",
    "Color",
    "Contrast",
    "Sharpness",
    "Posterize",
    "Solarize",
    "AutoContrast",
    "Equalize",
)
AUGMIX_OPS = (
    "AutoContrast",
    "Equalize",
    "Posterize",
    "Rotate",
    "Solarize",
    "ShearX",
    "ShearY",
    "TranslateX",
    "TranslateY",
)
AUGMIX_ALL_OPS = (*AUGMIX_OPS, "Color", "Contrast", "Brightness", "Sharpness")
GEOMETRIC_OPS = ("ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate")
ENHANCE_OPS = ("Brightness", "Color", "Contrast", "Sharpness")


def space(family: str, bins: int, width: int, height: int) -> dict[str, tuple[np.ndarray | None, bool]]:
    """torchvision's ``_AUGMENTATION_SPACE`` of a policy family for a W x H image."""
    wide = family == "wide"
    augmix = family.startswith("augmix")
    shear = 0.99 if wide else 0.3
    if wide:
        tx, ty = 32.0, 32.0
    elif augmix:
        tx, ty = width / 3.0, height / 3.0
    else:
        tx, ty = 150.0 / 331.0 * width, 150.0 / 331.0 * height
    enhance = 0.99 if wide else 0.9
    top_bits, bit_span = (4, 4) if augmix else (8, 6 if wide else 4)
    out: dict[str, tuple[np.ndarray | None, bool]] = {
        "ShearX": (np.linspace(0.0, shear, bins), True),
        "ShearY": (np.linspace(0.0, shear, bins), True),
        "TranslateX": (np.linspace(0.0, tx, bins), True),
        "TranslateY": (np.linspace(0.0, ty, bins), True),
        "Rotate": (np.linspace(0.0, 135.0 if wide else 30.0, bins), True),
        "Posterize": (top_bits - np.round(np.arange(bins) / ((bins - 1) / bit_span)), False),
        "Solarize": (np.linspace(1.0, 0.0, bins), False),
        "AutoContrast": (None, False),
        "Equalize": (None, False),
    }
    if not augmix or family == "augmix_all":
        out.update({name: (np.linspace(0.0, enhance, bins), True) for name in ENHANCE_OPS})
    if family in ("randaugment", "wide"):
        out["Identity"] = (None, False)
    if family == "autoaugment":
        out["Invert"] = (None, False)
    return out


def to_step(op: str, magnitude: float) -> PixelStep | WarpStep:
    """The step torchvision runs for ``op`` at ``magnitude`` (already signed)."""
    if op in ("ShearX", "ShearY", "Rotate"):
        return WarpStep(op, float(magnitude))
    if op in ("TranslateX", "TranslateY"):
        return WarpStep(op, float(int(magnitude)))
    if op in ENHANCE_OPS:
        return PixelStep(op, 1.0 + float(magnitude))
    if op == "Posterize":
        return PixelStep(op, float(int(magnitude)))
    if op == "Solarize":
        return PixelStep(op, 255.0 * float(magnitude))
    return PixelStep(op)


# AutoAugment (Cubuk et al. 2019) as torchvision lists it: (op, probability, magnitude bin or None).
AUTOAUGMENT_POLICIES: dict[str, tuple] = {
    "imagenet": (
        (("Posterize", 0.4, 8), ("Rotate", 0.6, 9)),
        (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
        (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
        (("Posterize", 0.6, 7), ("Posterize", 0.6, 6)),
        (("Equalize", 0.4, None), ("Solarize", 0.2, 4)),
        (("Equalize", 0.4, None), ("Rotate", 0.8, 8)),
        (("Solarize", 0.6, 3), ("Equalize", 0.6, None)),
        (("Posterize", 0.8, 5), ("Equalize", 1.0, None)),
        (("Rotate", 0.2, 3), ("Solarize", 0.6, 8)),
        (("Equalize", 0.6, None), ("Posterize", 0.4, 6)),
        (("Rotate", 0.8, 8), ("Color", 0.4, 0)),
        (("Rotate", 0.4, 9), ("Equalize", 0.6, None)),
        (("Equalize", 0.0, None), ("Equalize", 0.8, None)),
        (("Invert", 0.6, None), ("Equalize", 1.0, None)),
        (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
        (("Rotate", 0.8, 8), ("Color", 1.0, 2)),
        (("Color", 0.8, 8), ("Solarize", 0.8, 7)),
        (("Sharpness", 0.4, 7), ("Invert", 0.6, None)),
        (("ShearX", 0.6, 5), ("Equalize", 1.0, None)),
        (("Color", 0.4, 0), ("Equalize", 0.6, None)),
        (("Equalize", 0.4, None), ("Solarize", 0.2, 4)),
        (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
        (("Invert", 0.6, None), ("Equalize", 1.0, None)),
        (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
        (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
    ),
    "cifar10": (
        (("Invert", 0.1, None), ("Contrast", 0.2, 6)),
        (("Rotate", 0.7, 2), ("TranslateX", 0.3, 9)),
        (("Sharpness", 0.8, 1), ("Sharpness", 0.9, 3)),
        (("ShearY", 0.5, 8), ("TranslateY", 0.7, 9)),
        (("AutoContrast", 0.5, None), ("Equalize", 0.9, None)),
        (("ShearY", 0.2, 7), ("Posterize", 0.3, 7)),
        (("Color", 0.4, 3), ("Brightness", 0.6, 7)),
        (("Sharpness", 0.3, 9), ("Brightness", 0.7, 9)),
        (("Equalize", 0.6, None), ("Equalize", 0.5, None)),
        (("Contrast", 0.6, 7), ("Sharpness", 0.6, 5)),
        (("Color", 0.7, 7), ("TranslateX", 0.5, 8)),
        (("Equalize", 0.3, None), ("AutoContrast", 0.4, None)),
        (("TranslateY", 0.4, 3), ("Sharpness", 0.2, 6)),
        (("Brightness", 0.9, 6), ("Color", 0.2, 8)),
        (("Solarize", 0.5, 2), ("Invert", 0.0, None)),
        (("Equalize", 0.2, None), ("AutoContrast", 0.6, None)),
        (("Equalize", 0.2, None), ("Equalize", 0.6, None)),
        (("Color", 0.9, 9), ("Equalize", 0.6, None)),
        (("AutoContrast", 0.8, None), ("Solarize", 0.2, 8)),
        (("Brightness", 0.1, 3), ("Color", 0.7, 0)),
        (("Solarize", 0.4, 5), ("AutoContrast", 0.9, None)),
        (("TranslateY", 0.9, 9), ("TranslateY", 0.7, 9)),
        (("AutoContrast", 0.9, None), ("Solarize", 0.8, 3)),
        (("Equalize", 0.8, None), ("Invert", 0.1, None)),
        (("TranslateY", 0.7, 9), ("AutoContrast", 0.9, None)),
    ),
    "svhn": (
        (("ShearX", 0.9, 4), ("Invert", 0.2, None)),
        (("ShearY", 0.9, 8), ("Invert", 0.7, None)),
        (("Equalize", 0.6, None), ("Solarize", 0.6, 6)),
        (("Invert", 0.9, None), ("Equalize", 0.6, None)),
        (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
        (("ShearX", 0.9, 4), ("AutoContrast", 0.8, None)),
        (("ShearY", 0.9, 8), ("Invert", 0.4, None)),
        (("ShearY", 0.9, 5), ("Solarize", 0.2, 6)),
        (("Invert", 0.9, None), ("AutoContrast", 0.8, None)),
        (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
        (("ShearX", 0.9, 4), ("Solarize", 0.3, 3)),
        (("ShearY", 0.8, 8), ("Invert", 0.7, None)),
        (("Equalize", 0.9, None), ("TranslateY", 0.6, 6)),
        (("Invert", 0.9, None), ("Equalize", 0.6, None)),
        (("Contrast", 0.3, 3), ("Rotate", 0.8, 4)),
        (("Invert", 0.8, None), ("TranslateY", 0.0, 2)),
        (("ShearY", 0.7, 6), ("Solarize", 0.4, 8)),
        (("Invert", 0.6, None), ("Rotate", 0.8, 4)),
        (("ShearY", 0.3, 7), ("TranslateX", 0.9, 3)),
        (("ShearX", 0.1, 6), ("Invert", 0.6, None)),
        (("Solarize", 0.7, 2), ("TranslateY", 0.6, 7)),
        (("ShearY", 0.8, 4), ("Invert", 0.8, None)),
        (("ShearX", 0.7, 9), ("TranslateY", 0.8, 3)),
        (("ShearY", 0.8, 5), ("AutoContrast", 0.7, None)),
        (("ShearX", 0.7, 2), ("Invert", 0.1, None)),
    ),
}
