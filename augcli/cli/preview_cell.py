"""One preview cell: a sample drawn with its labels on top.

Boxes carry a category-name tag; polygons and masks are translucent fills
with outlines; crowd regions are hatched; keypoints are dots (filled =
visible v=2, hollow = occluded v=1, v=0 not drawn) coloured by body side, so
a mirroring op that forgot to swap left/right shows at a glance.
"""

from __future__ import annotations

import colorsys
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from pycocotools import mask as mask_utils

from augcli.core.sample import Categories, Sample

# 20 mutually distinct colours (Trubetskoy's list); later categories get golden-ratio hues.
_PALETTE = [
    (230, 25, 75),
    (60, 180, 75),
    (255, 225, 25),
    (0, 130, 200),
    (245, 130, 48),
    (145, 30, 180),
    (70, 240, 240),
    (240, 50, 230),
    (210, 245, 60),
    (250, 190, 212),
    (0, 128, 128),
    (220, 190, 255),
    (170, 110, 40),
    (255, 250, 200),
    (128, 0, 0),
    (170, 255, 195),
    (128, 128, 0),
    (255, 215, 180),
    (0, 0, 128),
    (128, 128, 128),
]
LEFT_COLOUR = (64, 160, 255)  # keypoints on the subject's left side
RIGHT_COLOUR = (255, 140, 30)  # ... and on its right side
CENTRE_COLOUR = (245, 245, 245)  # unpaired keypoints (nose, neck)
UNKNOWN_COLOUR = (160, 160, 160)  # a label id missing from the category list
_OUTLINE = (15, 15, 18)
_LEFT_NAME = re.compile(r"(^|[_\-. ])(left|l)([_\-. ]|$)|^left(?=[A-Z_])", re.IGNORECASE)
_RIGHT_NAME = re.compile(r"(^|[_\-. ])(right|r)([_\-. ]|$)|^right(?=[A-Z_])", re.IGNORECASE)


@dataclass(frozen=True)
class GridStyle:
    cell_height: int = 240  # every image is scaled to this height
    max_cell_aspect: float = 2.5  # very wide images are scaled down further to this width/height
    pad: int = 12
    title_lines: int = 2  # wrapped title lines above each cell (plus one info line)
    fill_alpha: float = 0.35
    background: tuple = (26, 28, 33)
    text: tuple = (232, 234, 238)
    muted: tuple = (150, 156, 168)
    names: bool = True  # category-name tags on boxes (off for dense scenes)


def category_colors(categories: Categories) -> dict[int, tuple[int, int, int]]:
    """A stable, distinct colour per category id (by position in the category list)."""
    colours = {}
    for index, category in enumerate(categories.items):
        if index < len(_PALETTE):
            colours[category.id] = _PALETTE[index]
        else:
            r, g, b = colorsys.hsv_to_rgb((index * 0.618034) % 1.0, 0.75, 0.95)
            colours[category.id] = (int(r * 255), int(g * 255), int(b * 255))
    return colours


def keypoint_side_colours(names: Sequence[str], count: int) -> list[tuple[int, int, int]]:
    """Colour of each keypoint column: left, right or centre, read from its name."""
    out = []
    for j in range(count):
        name = names[j] if j < len(names) else ""
        out.append(
            LEFT_COLOUR
            if _LEFT_NAME.search(name)
            else RIGHT_COLOUR
            if _RIGHT_NAME.search(name)
            else CENTRE_COLOUR
        )
    return out


def cell_size(width: int, height: int, style: GridStyle = GridStyle()) -> tuple[int, int]:
    """The drawn size of a width x height image: common height, width capped by the aspect limit."""
    scale = min(style.cell_height / height, style.cell_height * style.max_cell_aspect / width)
    return max(1, round(width * scale)), max(1, round(height * scale))


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled font at a size (no download); the bitmap default on old Pillow."""
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow < 10.1 or no FreeType
        return ImageFont.load_default()


# ---------------------------------------------------------------- one cell


def to_display_rgb(image: np.ndarray) -> np.ndarray:
    """Any supported image (gray, RGB, RGBA, uint16, float) as (H, W, 3) uint8."""
    arr = np.asarray(image)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim == 3:
        arr = arr[..., :3] if arr.shape[2] >= 3 else arr[..., 0]
    if arr.dtype != np.uint8:
        arr = arr.astype(np.float64)
        peak = float(arr.max()) if arr.size else 0.0
        if peak > 255:
            arr = arr * (255.0 / peak)  # uint16 and friends: fit the range for display
        elif peak <= 1.0 and np.issubdtype(image.dtype, np.floating):
            arr = arr * 255.0
        arr = np.clip(np.round(arr), 0, 255).astype(np.uint8)
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    return np.ascontiguousarray(arr)


def _rle_to_mask(rle: dict, size: tuple[int, int]) -> np.ndarray:
    h, w = rle["size"]
    if isinstance(rle.get("counts"), list):  # uncompressed: convert first
        rle = mask_utils.frPyObjects(rle, h, w)
    full = Image.fromarray(mask_utils.decode(rle).astype(np.uint8) * 255)
    return np.asarray(full.resize(size, Image.Resampling.NEAREST)) > 0


def _polygon_to_mask(rings: list, scale: float, size: tuple[int, int]) -> np.ndarray:
    canvas = Image.new("L", size, 0)
    draw = ImageDraw.Draw(canvas)
    for ring in rings:
        pts = np.asarray(ring, dtype=np.float64).reshape(-1, 2) * scale
        if len(pts) >= 3:
            draw.polygon([tuple(p) for p in pts], fill=255)
    return np.asarray(canvas) > 0


def _inner_border(mask: np.ndarray, width: int = 2) -> np.ndarray:
    core = mask.copy()
    for _ in range(width):
        shrunk = core.copy()
        shrunk[1:, :] &= core[:-1, :]
        shrunk[:-1, :] &= core[1:, :]
        shrunk[:, 1:] &= core[:, :-1]
        shrunk[:, :-1] &= core[:, 1:]
        core = shrunk
    return mask & ~core


def _blend(pixels: np.ndarray, where: np.ndarray, colour, alpha: float) -> None:
    pixels[where] = pixels[where] * (1.0 - alpha) + np.asarray(colour, dtype=np.float64) * alpha


def _text_colour(background) -> tuple[int, int, int]:
    luminance = 0.299 * background[0] + 0.587 * background[1] + 0.114 * background[2]
    return (20, 20, 20) if luminance > 150 else (250, 250, 250)


def _tag(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, colour, fnt, bounds) -> None:
    """A filled label tag above the point (inside the box when there is no room above)."""
    left, top, right, bottom = draw.textbbox((0, 0), text, font=fnt)
    tw, th = right - left + 6, bottom - top + 4
    x = min(max(0, xy[0]), max(0, bounds[0] - tw))
    y = xy[1] - th if xy[1] - th >= 0 else min(xy[1], max(0, bounds[1] - th))
    draw.rectangle([x, y, x + tw - 1, y + th - 1], fill=colour)
    draw.text((x + 3 - left, y + 2 - top), text, fill=_text_colour(colour), font=fnt)


def draw_cell(
    sample: Sample,
    categories: Categories,
    colours: dict[int, tuple[int, int, int]],
    style: GridStyle = GridStyle(),
) -> Image.Image:
    """The sample's image scaled to the cell size with every label drawn on it."""
    rgb = to_display_rgb(sample.image)
    h, w = rgb.shape[:2]
    size = cell_size(w, h, style)
    scale = size[0] / w
    base = Image.fromarray(rgb)
    if size != (w, h):
        base = base.resize(size, Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.BICUBIC)
    pixels = np.asarray(base, dtype=np.float64).copy()
    inst = sample.instances
    crowd = np.asarray(inst.crowd, dtype=bool)
    by_id = categories.by_id()

    if sample.semantic is not None:  # class 0 is background, the ignore index stays undrawn
        sem = np.asarray(
            Image.fromarray(np.asarray(sample.semantic).astype(np.int32)).resize(
                size, Image.Resampling.NEAREST
            )
        )
        for value in np.unique(sem):
            if value != 0 and value != sample.ignore_index:
                _blend(
                    pixels,
                    sem == value,
                    colours.get(int(value), _PALETTE[int(value) % len(_PALETTE)]),
                    style.fill_alpha,
                )

    yy, xx = np.mgrid[0 : size[1], 0 : size[0]]
    hatch = ((xx + yy) // 3) % 3 == 0
    outlines = []
    for i in range(len(inst)):
        colour = colours.get(int(inst.labels[i]), UNKNOWN_COLOUR)
        polygon, rle = inst.polygons[i], inst.masks[i]
        if polygon:
            region = _polygon_to_mask(polygon, scale, size)
        elif rle is not None:
            region = _rle_to_mask(rle, size)
        else:
            continue
        if crowd[i]:  # crowd: stripes of full colour over a faint tint
            _blend(pixels, region & ~hatch, colour, style.fill_alpha * 0.5)
            _blend(pixels, region & hatch, colour, 0.85)
        else:
            _blend(pixels, region, colour, style.fill_alpha)
        if polygon:
            outlines.append((polygon, colour))
        else:
            pixels[_inner_border(region)] = colour

    image = Image.fromarray(np.clip(np.round(pixels), 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    line = max(1, round(style.cell_height / 120))
    for polygon, colour in outlines:
        for ring in polygon:
            pts = [tuple(p) for p in np.asarray(ring, dtype=np.float64).reshape(-1, 2) * scale]
            if len(pts) >= 2:
                draw.line(pts + [pts[0]], fill=colour, width=line, joint="curve")

    for i in range(len(inst)):
        colour = colours.get(int(inst.labels[i]), UNKNOWN_COLOUR)
        x0, y0, x1, y1 = inst.boxes[i] * scale
        if x1 > x0 and y1 > y0:
            draw.rectangle(
                [x0, y0, max(x0, x1 - 1), max(y0, y1 - 1)], outline=colour, width=1 if crowd[i] else line
            )
    _draw_keypoints(draw, inst, by_id, colours, scale, style)

    tag_font = font(max(12, style.cell_height // 20))  # Aileron hints poorly below 12 px
    for i in range(len(inst) if style.names else 0):
        label = int(inst.labels[i])
        name = by_id[label].name if label in by_id else f"id {label}"
        x0, y0, x1, y1 = inst.boxes[i] * scale
        if x1 <= x0 or y1 <= y0:
            continue  # no box to hang the tag on
        _tag(
            draw,
            (x0, y0),
            name + (" (crowd)" if crowd[i] else ""),
            colours.get(label, UNKNOWN_COLOUR),
            tag_font,
            size,
        )
    return image


def _draw_keypoints(draw, inst, by_id, colours, scale: float, style: GridStyle) -> None:
    if inst.keypoints is None:
        return
    radius = max(2.5, style.cell_height / 64)
    width = max(1, round(style.cell_height / 120))
    ring = max(1, round(radius / 2))  # leaves a visible hole in the middle
    for i in range(len(inst)):
        count = int(inst.kp_count[i]) if inst.kp_count is not None else inst.keypoints.shape[1]
        if count == 0:
            continue
        category = by_id.get(int(inst.labels[i]))
        names = category.keypoints if category else ()
        sides = keypoint_side_colours(names, count)
        kps = inst.keypoints[i, :count]
        shown = kps[:, 2] > 0
        xy = kps[:, :2] * scale
        for a, b in category.skeleton if category else ():
            a, b = a - 1, b - 1  # COCO skeletons are 1-based
            if 0 <= a < count and 0 <= b < count and shown[a] and shown[b]:
                limb = sides[a] if sides[a] == sides[b] else colours.get(int(inst.labels[i]), UNKNOWN_COLOUR)
                ends = [tuple(xy[a]), tuple(xy[b])]
                draw.line(ends, fill=_OUTLINE, width=width + 2)
                draw.line(ends, fill=limb, width=width)
        for j in np.flatnonzero(shown):
            x, y = xy[j]
            dot = [x - radius, y - radius, x + radius, y + radius]
            if kps[j, 2] >= 2:
                draw.ellipse(dot, fill=sides[j], outline=_OUTLINE, width=1)
            else:
                draw.ellipse([dot[0] - 1, dot[1] - 1, dot[2] + 1, dot[3] + 1], outline=_OUTLINE, width=1)
                draw.ellipse(dot, outline=sides[j], width=ring)


# ---------------------------------------------------------------- the grid
