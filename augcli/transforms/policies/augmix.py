"""AugMix (Hendrycks et al. 2020): chains of ops mixed with Dirichlet weights, blended by a Beta weight.

``out = (1 - m) * x + m * sum_i w_i * chain_i(x)`` with ``w ~ Dirichlet(alpha,
..., alpha)`` over ``mixture_width`` chains and ``m ~ Beta(alpha, alpha)``;
each chain applies ``chain_depth`` ops (1-3 at random when -1), each drawn
uniformly, at a magnitude bin drawn below ``severity`` (torchvision's rule).

A mix of differently warped chains has no single geometry, so with labels
the chains use pixel ops only (``geometry: none``). ``geometry: shared``
draws one warp (shear, translate or rotate), applies it to the image and to
every label first, then mixes colour-only chains of the warped image.
``geometry: chains`` is the original (warps inside the chains) and is only
valid for datasets without spatial labels: the recipe check refuses it
otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from augcli.core.errors import TransformError
from augcli.core.policy import DEFAULT_POLICY, LabelPolicy
from augcli.core.sample import Instances, Sample
from augcli.transforms.base import Transform, register
from augcli.transforms.params import Param, ParamError
from augcli.transforms.pixel.imageops import join_alpha, max_value, split_alpha, to_dtype
from augcli.transforms.policies import tables
from augcli.transforms.policies.steps import PolicyOp, WarpStep, step_record
from augcli.transforms.policies.torchvision_policies import draw_step, policy_params


@dataclass(frozen=True, kw_only=True)
class AugMixOp(PolicyOp):
    """``steps``: the shared warp (if any); then the chains are mixed into the image."""

    name: ClassVar[str] = "AugMix"
    chains: tuple = ()
    weights: tuple = ()
    mix: float = 0.0

    def apply(self, sample: Sample, policy: LabelPolicy = DEFAULT_POLICY) -> Sample:
        warped = super().apply(sample, policy)
        image = warped.image
        geometric = any(isinstance(step, WarpStep) for chain in self.chains for step in chain)
        if geometric and (len(warped.instances) or warped.semantic is not None):
            raise TransformError(
                "AugMix with geometry: chains cannot carry labels; use geometry: shared or none"
            )
        maxv = max_value(image)
        colour, alpha = split_alpha(image)
        mixed = np.zeros(colour.shape, np.float32)
        bare = Sample(image=image, instances=Instances.empty())
        settings = self.settings()
        for weight, chain in zip(self.weights, self.chains):
            out = bare
            for step in chain:
                out = step.apply(out, settings, policy)
            mixed += np.float32(weight) * split_alpha(out.image)[0].astype(np.float32)
        blended = (1.0 - self.mix) * colour.astype(np.float32) + np.float32(self.mix) * mixed
        return warped.replace(image=join_alpha(to_dtype(blended, image.dtype, maxv), alpha))

    def record(self) -> dict:
        out = super().record()
        out["chains"] = [[step_record(s) for s in chain] for chain in self.chains]
        out["weights"] = [float(w) for w in self.weights]
        out["mix"] = float(self.mix)
        return out


@register
class AugMix(Transform):
    """AugMix: width op chains mixed by Dirichlet weights, blended with the image by a Beta weight."""

    kind = "geometric"
    default_p = 1.0
    params = (
        Param("severity", "int", 3, "ops use magnitude bins 0 .. severity - 1 of 10", low=1, high=10),
        Param("mixture_width", "int", 3, "how many chains are mixed", low=1),
        Param("chain_depth", "int", -1, "ops per chain; -1 draws 1 to 3 per chain", low=-1),
        Param("alpha", "float", 1.0, "Dirichlet and Beta parameter", low=1e-3),
        Param("all_ops", "bool", True, "also use Color, Contrast, Brightness and Sharpness"),
        Param(
            "geometry",
            "choice",
            "none",
            "none: colour-only chains; shared: one warp for the image and labels, colour-only "
            "chains; chains: warps inside the chains (image-only datasets)",
            choices=("none", "shared", "chains"),
        ),
        Param("ops", "list", None, "restrict the chains to these ops", nullable=True),
        *policy_params(interpolation=1),
    )
    example = "- AugMix: {severity: 3, mixture_width: 3, geometry: shared, p: 1.0}"
    deviations = (
        "geometry (none by default: a mix of warped chains has no geometry for labels) and ops "
        "are additions; torchvision's and the reference's chains warp, which here is geometry: "
        "chains, valid only for datasets without spatial labels. Magnitudes are torchvision's "
        "bins below severity (the reference draws a continuous level). The mix is rounded "
        "(torchvision truncates)."
    )

    def check(self) -> None:
        if self.chain_depth == 0:
            raise ParamError("chain_depth must be -1 (1 to 3 at random) or >= 1, got 0", "chain_depth")
        known = tuple(tables.space("augmix_all" if self.all_ops else "augmix", 10, 1, 1))
        if self.geometry != "chains":
            known = tuple(op for op in known if op not in tables.GEOMETRIC_OPS)
        if self.ops is None:
            self.chain_ops = known
        else:
            bad = [op for op in self.ops if op not in known]
            if bad or not self.ops:
                raise ParamError(
                    f"ops must be a non-empty list of {', '.join(known)}; got {self.ops!r}", "ops"
                )
            self.chain_ops = tuple(self.ops)
        if self.geometry == "chains":
            # per instance: the recipe check then refuses spatial labels for this configuration only
            self.targets = ("image",)  # type: ignore[misc]

    def make_op(self, rng, ctx):
        space = tables.space("augmix_all" if self.all_ops else "augmix", 10, ctx.width, ctx.height)
        mix = float(rng.beta(self.alpha, self.alpha))
        weights = tuple(float(w) for w in rng.dirichlet([self.alpha] * self.mixture_width))
        chains = []
        for _ in range(self.mixture_width):
            depth = self.chain_depth if self.chain_depth > 0 else int(rng.integers(1, 4))
            chain = []
            for _ in range(depth):
                op = self.chain_ops[int(rng.integers(len(self.chain_ops)))]
                chain.append(draw_step(rng, space, op, int(rng.integers(self.severity))))
            chains.append(tuple(chain))
        shared = ()
        if self.geometry == "shared":
            op = tables.GEOMETRIC_OPS[int(rng.integers(len(tables.GEOMETRIC_OPS)))]
            shared = (draw_step(rng, space, op, int(rng.integers(self.severity))),)
        return AugMixOp(
            steps=shared,
            chains=tuple(chains),
            weights=weights,
            mix=mix,
            interpolation=self.interpolation,
            fill=self.fill,
            fill_mask=self.fill_mask,
        )
