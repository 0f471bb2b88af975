"""Upper bounds that keep a hostile recipe or dataset from exhausting memory before any work.

Each is far above what real recipes and public datasets use; going past one
is a recipe error (exit 3) or a dataset error (exit 4), found before anything
is written.
"""

MAX_COPIES = 10_000  # augmented copies of one image
MAX_CLASSES = 1 << 16  # categories of one dataset (LVIS has 1,203; Objects365 365)
MAX_KEYPOINTS = 1024  # keypoints of one category or annotation (COCO-WholeBody has 133)
