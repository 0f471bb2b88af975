"""Each image's categories with their counts, in first-seen order, for every image at once."""

from __future__ import annotations

import numpy as np


def first_seen_counts(image: np.ndarray, category: np.ndarray) -> dict[int, list[tuple[int, int]]]:
    """Image index -> (category, count) of its rows in the order each category first appears;
    rows run image by image, in input order within one (``AnnotationIndex.category_counts``)."""
    found: dict[int, list[tuple[int, int]]] = {}
    if not len(image):
        return found
    low, high = int(category.min()), int(category.max())
    if high - low < 1 << 20:  # ids in a small range (the usual case): no sort to number them
        categories, codes, width = None, category - low, high - low + 1
    else:
        categories, codes = np.unique(category, return_inverse=True)
        width = len(categories)
    pairs = image.astype(np.int64) * width + codes
    by_pair = np.argsort(pairs, kind="stable")  # one sort: a pair's first row comes first
    ordered = pairs[by_pair]
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
    counts = np.diff(np.append(starts, len(ordered)))
    seen = np.argsort(by_pair[starts], kind="stable")  # rows run image by image: so do the pairs
    unique, counts = ordered[starts][seen], counts[seen]
    image_of = (unique // width).tolist()
    category_of = (unique % width + low if categories is None else categories[unique % width]).tolist()
    for index, value, count in zip(image_of, category_of, counts.tolist()):
        found.setdefault(index, []).append((value, count))
    return found
