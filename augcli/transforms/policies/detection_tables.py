"""Zoph et al. 2019 detection policies and the TPU reference's level -> parameter rules.

Each sub-policy is a tuple of (op, probability, level 0..10). ``LEVEL_RULES``
gives, per op, how a level becomes the op's parameter (``_MAX_LEVEL = 10``):
the constants are the reference's hyper-parameters (translate 250 px, box
translate 120 px, cutout 100 px, box cutout 50 px, box cutout fraction 0.75).
"""

from __future__ import annotations

MAX_LEVEL = 10.0
TRANSLATE_CONST = 250.0
TRANSLATE_BBOX_CONST = 120.0
CUTOUT_CONST = 100
CUTOUT_BBOX_CONST = 50
CUTOUT_MAX_PAD_FRACTION = 0.75
TPU_FILL = 128


def level_fraction(level: float) -> float:
    return level / MAX_LEVEL


def posterize_bits(level: float, tpu: bool) -> int:
    """TPU: int(L/10 * 4), 0 bits (black) at L <= 2; augcli: 4 more, the paper's 4..8 bits."""
    bits = int(level_fraction(level) * 4)
    return bits if tpu else bits + 4


def solarize_threshold(level: float, tpu: bool) -> int:
    """int(L/10 * 256); the reference's uint8 wraps 256 to 0 (L = 10 inverts everything)."""
    threshold = int(level_fraction(level) * 256)
    return threshold % 256 if tpu else threshold


def solarize_addition(level: float) -> int:
    return int(level_fraction(level) * 110)


def enhance_factor(level: float) -> float:
    return level_fraction(level) * 1.8 + 0.1


def rotate_degrees(level: float) -> float:
    return level_fraction(level) * 30.0


def shear_level(level: float) -> float:
    return level_fraction(level) * 0.3


def translate_pixels(level: float, inside_box: bool) -> float:
    return level_fraction(level) * (TRANSLATE_BBOX_CONST if inside_box else TRANSLATE_CONST)


def cutout_pad(level: float, inside_box: bool) -> int:
    return int(level_fraction(level) * (CUTOUT_BBOX_CONST if inside_box else CUTOUT_CONST))


def bbox_cutout_fraction(level: float) -> float:
    return level_fraction(level) * CUTOUT_MAX_PAD_FRACTION


COLOUR_OPS = (
    "AutoContrast",
    "Equalize",
    "Posterize",
    "Solarize",
    "SolarizeAdd",
    "Color",
    "Contrast",
    "Brightness",
    "Sharpness",
    "Cutout",
)
GEOMETRIC_OPS = ("Rotate_BBox", "TranslateX_BBox", "TranslateY_BBox", "ShearX_BBox", "ShearY_BBox")
BBOX_ONLY_OPS = (
    "Rotate_Only_BBoxes",
    "ShearX_Only_BBoxes",
    "ShearY_Only_BBoxes",
    "TranslateX_Only_BBoxes",
    "TranslateY_Only_BBoxes",
    "Flip_Only_BBoxes",
    "Solarize_Only_BBoxes",
    "Equalize_Only_BBoxes",
    "Cutout_Only_BBoxes",
)
OPS = (*COLOUR_OPS, "BBox_Cutout", *GEOMETRIC_OPS, *BBOX_ONLY_OPS)

_V0 = (
    (("TranslateX_BBox", 0.6, 4), ("Equalize", 0.8, 10)),
    (("TranslateY_Only_BBoxes", 0.2, 2), ("Cutout", 0.8, 8)),
    (("Sharpness", 0.0, 8), ("ShearX_BBox", 0.4, 0)),
    (("ShearY_BBox", 1.0, 2), ("TranslateY_Only_BBoxes", 0.6, 6)),
    (("Rotate_BBox", 0.6, 10), ("Color", 1.0, 6)),
)

POLICIES: dict[str, tuple] = {
    "v0": _V0,
    "v1": _V0
    + (
        (("Color", 0.0, 0), ("ShearX_Only_BBoxes", 0.8, 4)),
        (("ShearY_Only_BBoxes", 0.8, 2), ("Flip_Only_BBoxes", 0.0, 10)),
        (("Equalize", 0.6, 10), ("TranslateX_BBox", 0.2, 2)),
        (("Color", 1.0, 10), ("TranslateY_Only_BBoxes", 0.4, 6)),
        (("Rotate_BBox", 0.8, 10), ("Contrast", 0.0, 10)),
        (("Cutout", 0.2, 2), ("Brightness", 0.8, 10)),
        (("Color", 1.0, 6), ("Equalize", 1.0, 2)),
        (("Cutout_Only_BBoxes", 0.4, 6), ("TranslateY_Only_BBoxes", 0.8, 2)),
        (("Color", 0.2, 8), ("Rotate_BBox", 0.8, 10)),
        (("Sharpness", 0.4, 4), ("TranslateY_Only_BBoxes", 0.0, 4)),
        (("Sharpness", 1.0, 4), ("SolarizeAdd", 0.4, 4)),
        (("Rotate_BBox", 1.0, 8), ("Sharpness", 0.2, 8)),
        (("ShearY_BBox", 0.6, 10), ("Equalize_Only_BBoxes", 0.6, 8)),
        (("ShearX_BBox", 0.2, 6), ("TranslateY_Only_BBoxes", 0.2, 10)),
        (("SolarizeAdd", 0.6, 8), ("Brightness", 0.8, 10)),
    ),
    "v2": (
        (("Color", 0.0, 6), ("Cutout", 0.6, 8), ("Sharpness", 0.4, 8)),
        (("Rotate_BBox", 0.4, 8), ("Sharpness", 0.4, 2), ("Rotate_BBox", 0.8, 10)),
        (("TranslateY_BBox", 1.0, 8), ("AutoContrast", 0.8, 2)),
        (("AutoContrast", 0.4, 6), ("ShearX_BBox", 0.8, 8), ("Brightness", 0.0, 10)),
        (("SolarizeAdd", 0.2, 6), ("Contrast", 0.0, 10), ("AutoContrast", 0.6, 0)),
        (("Cutout", 0.2, 0), ("Solarize", 0.8, 8), ("Color", 1.0, 4)),
        (("TranslateY_BBox", 0.0, 4), ("Equalize", 0.6, 8), ("Solarize", 0.0, 10)),
        (("TranslateY_BBox", 0.2, 2), ("ShearY_BBox", 0.8, 8), ("Rotate_BBox", 0.8, 8)),
        (("Cutout", 0.8, 8), ("Brightness", 0.8, 8), ("Cutout", 0.2, 2)),
        (("Color", 0.8, 4), ("TranslateY_BBox", 1.0, 6), ("Rotate_BBox", 0.6, 6)),
        (("Rotate_BBox", 0.6, 10), ("BBox_Cutout", 1.0, 4), ("Cutout", 0.2, 8)),
        (("Rotate_BBox", 0.0, 0), ("Equalize", 0.6, 6), ("ShearY_BBox", 0.6, 8)),
        (("Brightness", 0.8, 8), ("AutoContrast", 0.4, 2), ("Brightness", 0.2, 2)),
        (("TranslateY_BBox", 0.4, 8), ("Solarize", 0.4, 6), ("SolarizeAdd", 0.2, 10)),
        (("Contrast", 1.0, 10), ("SolarizeAdd", 0.2, 8), ("Equalize", 0.2, 4)),
    ),
    "v3": (
        (("Posterize", 0.8, 2), ("TranslateX_BBox", 1.0, 8)),
        (("BBox_Cutout", 0.2, 10), ("Sharpness", 1.0, 8)),
        (("Rotate_BBox", 0.6, 8), ("Rotate_BBox", 0.8, 10)),
        (("Equalize", 0.8, 10), ("AutoContrast", 0.2, 10)),
        (("SolarizeAdd", 0.2, 2), ("TranslateY_BBox", 0.2, 8)),
        (("Sharpness", 0.0, 2), ("Color", 0.4, 8)),
        (("Equalize", 1.0, 8), ("TranslateY_BBox", 1.0, 8)),
        (("Posterize", 0.6, 2), ("Rotate_BBox", 0.0, 10)),
        (("AutoContrast", 0.6, 0), ("Rotate_BBox", 1.0, 6)),
        (("Equalize", 0.0, 4), ("Cutout", 0.8, 10)),
        (("Brightness", 1.0, 2), ("TranslateY_BBox", 1.0, 6)),
        (("Contrast", 0.0, 2), ("ShearY_BBox", 0.8, 0)),
        (("AutoContrast", 0.8, 10), ("Contrast", 0.2, 10)),
        (("Rotate_BBox", 1.0, 10), ("Cutout", 1.0, 10)),
        (("SolarizeAdd", 0.8, 6), ("Equalize", 0.8, 8)),
    ),
    "test": ((("TranslateX_BBox", 1.0, 4), ("Equalize", 1.0, 10)),),
}
