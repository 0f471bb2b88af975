"""Multi-image transforms: the primary image combined with partner images the engine draws.

Its modules register Mosaic, MixUp, CutMix and CopyPaste. Partners
arrive through ``SampleContext.draw`` (``engine.partners``); every placement
is one matrix warp through ``geometry.apply``, and labels covered by pasted
pixels are updated by ``geometry.occlusion``.
"""
