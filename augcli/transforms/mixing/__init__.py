"""Multi-image transforms: the primary image combined with partner images the engine draws.

Importing the package registers Mosaic, MixUp, CutMix and CopyPaste. Partners
arrive through ``SampleContext.draw`` (``engine.partners``); every placement
is one matrix warp through ``geometry.apply``, and labels covered by pasted
pixels are updated by ``geometry.occlusion``.
"""

from augcli.transforms.mixing.copy_paste import CopyPaste, CopyPasteOp
from augcli.transforms.mixing.cutmix import CutMix, CutMixOp
from augcli.transforms.mixing.mixup import MixUp, MixUpOp
from augcli.transforms.mixing.mosaic import Mosaic, MosaicOp

__all__ = ["CopyPaste", "CopyPasteOp", "CutMix", "CutMixOp", "MixUp", "MixUpOp", "Mosaic", "MosaicOp"]
