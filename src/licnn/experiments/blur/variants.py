"""One image of the blur experiment: its saliency map, the seed code's mask and the variants."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from PIL import Image

from licnn.core.attention import LICNN
from licnn.core.config import LICNNConfig
from licnn.data.datasets import Record
from licnn.experiments.blur.statistics import ERASED
from licnn.imaging.blur import RADII, blur_variants, erase_background, salient_mask
from licnn.imaging.images import load_image
from licnn.models import LoadedModel

#: Saliency maps are the sum of this many top classes' attention maps (the seed's top-5).
TOP_K = 5


# --- one image: map, mask and variants ----------------------------------------------------


def image_variants(
    crop: Image.Image,
    mask: ArrayLike,
    radii: Sequence[int] = RADII,
    erase_fill: tuple[int, int, int] = (0, 0, 0),
) -> dict[str, Image.Image]:
    """Every variant of :func:`variant_names` for a crop and its mask (erase: black background)."""
    variants = blur_variants(crop, mask, radii)
    variants[ERASED] = erase_background(crop, mask, erase_fill)
    return variants


@dataclass
class Example:
    """One image of the experiment: its crop, saliency map, mask and variants."""

    record: Record
    crop: Image.Image
    saliency: NDArray[np.float32]
    mask: NDArray[np.bool_]
    classes: list[int]
    variants: dict[str, Image.Image]


def make_example(
    model: LoadedModel,
    record: Record,
    config: LICNNConfig | None = None,
    radii: Sequence[int] = RADII,
) -> Example:
    """Crop, top-5 saliency map, mask and variants of one image (for figures)."""
    crop = model.crop(load_image(record.path))
    explainer = LICNN(model, config, batch_size=TOP_K)
    result = explainer.explain(model.normalise(crop)[None].to(model.device), top_k=TOP_K)
    saliency = result.saliency[0].float().cpu().numpy()
    mask = salient_mask(saliency)
    return Example(
        record,
        crop,
        saliency,
        mask,
        result.classes[0].tolist(),
        image_variants(crop, mask, radii),
    )


def mask_shares(
    model: LoadedModel,
    records: Sequence[Record],
    config: LICNNConfig | None = None,
    batch_size: int = 8,
) -> NDArray[np.float64]:
    """Share of each crop inside the salient mask of its top-5 saliency map (nothing cached).

    For comparing LICNN settings cheaply: the mask alone, without blurring or classifying.
    """
    x = torch.stack([model.preprocess(load_image(r.path)) for r in records]).to(model.device)
    saliency = LICNN(model, config, batch_size=batch_size).saliency(x, top_k=TOP_K)
    return np.array([salient_mask(s).mean() for s in saliency.float().cpu().numpy()])
