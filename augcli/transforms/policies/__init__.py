"""Published augmentation policies, label-aware.

Its modules register RandAugment, TrivialAugmentWide,
AutoAugment, DetectionAutoAugment, InsideBoxes and AugMix. Each draws all
of its randomness in ``sample`` and returns one frozen ``PolicyOp`` whose
steps run in order (``steps.py``); geometric steps are matrix warps through
the geometry core, so every label follows the pixels.
"""
