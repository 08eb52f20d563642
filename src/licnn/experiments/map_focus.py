"""How focused LICNN's maps are, and how much the maps of one image differ between classes.

Two per-image measures, used to compare two settings of LICNN on the same images (the
softmax probability or the logit back-propagated, the seed's text or its code):

- **concentration**: the share of a map's positive mass held by its top ``top_fraction`` of
  pixels (:func:`licnn.metrics.top_mass_share`): ``top_fraction`` for a map spread evenly,
  1 for a map on that share of the image or less;
- **similarity to the top-1 map**: the mean Spearman rank correlation of the attention maps
  of classes 2..K with that of class 1. High values mean the K maps are nearly one map, so
  the maps say where the object is more than which class it is.

Maps come as tensors (on any device) or arrays; the measures are plain floats, one per
image, summarised with :func:`licnn.metrics.stats.mean_ci` (percentile bootstrap, 95%).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray

from licnn.core.attention import LICNNResult
from licnn.metrics.localisation import top_mass_share
from licnn.metrics.similarity import spearman_signed
from licnn.metrics.stats import mean_ci
from licnn.tables import interval_text

#: A per-image summary: mean, low, high and n (as :func:`licnn.metrics.stats.mean_ci` gives).
Summary = dict[str, float]


def _numpy(maps: torch.Tensor | ArrayLike) -> NDArray[np.float64]:
    """Maps as a float64 array (a tensor is detached and brought to the CPU first)."""
    if isinstance(maps, torch.Tensor):
        maps = maps.detach().cpu().numpy()
    return np.asarray(maps, dtype=np.float64)


def _attention(attention: torch.Tensor | ArrayLike) -> NDArray[np.float64]:
    """An ``N x K x H x W`` stack of attention maps, checked to have ``K >= 2`` classes."""
    values = _numpy(attention)
    if values.ndim != 4 or values.shape[1] < 2:
        raise ValueError(
            f"need attention maps N x K x H x W with K >= 2 classes, got shape {values.shape}"
        )
    return values


def concentration(maps: torch.Tensor | ArrayLike, top_fraction: float = 0.1) -> list[float]:
    """Per map of an ``N x H x W`` stack: the share of its positive mass in its top pixels."""
    values = _numpy(maps)
    if values.ndim != 3:
        raise ValueError(f"need maps N x H x W, got shape {values.shape}")
    return [top_mass_share(m, top_fraction) for m in values]


def mean_concentration(
    attention: torch.Tensor | ArrayLike, top_fraction: float = 0.1
) -> list[float]:
    """Per image of an ``N x K x H x W`` stack: the concentration of its K maps, averaged."""
    values = _attention(attention)
    return [float(np.mean(concentration(maps, top_fraction))) for maps in values]


def similarity_to_top1(attention: torch.Tensor | ArrayLike) -> list[float]:
    """Per image: the mean Spearman correlation of its maps 2..K with its map 1."""
    values = _attention(attention)
    return [
        float(np.mean([spearman_signed(maps[0], maps[k]) for k in range(1, maps.shape[0])]))
        for maps in values
    ]


def focus_measures(result: LICNNResult, top_fraction: float = 0.1) -> dict[str, list[float]]:
    """The chapter's four per-image measures of a :class:`LICNNResult` with K >= 2 classes.

    Keys (K is the number of classes per image): ``top-1 attention``, ``top-K attention
    (mean)`` and ``saliency`` (concentration), and ``top-K similarity to top-1``.
    """
    k = int(result.attention.shape[1])
    return {
        "top-1 attention": concentration(result.attention[:, 0], top_fraction),
        f"top-{k} attention (mean)": mean_concentration(result.attention, top_fraction),
        "saliency": concentration(result.saliency, top_fraction),
        f"top-{k} similarity to top-1": similarity_to_top1(result.attention),
    }


def pairwise_spearman(
    first: torch.Tensor | ArrayLike, second: torch.Tensor | ArrayLike
) -> list[float]:
    """Spearman correlation of each map with its partner: two stacks of the same shape
    (``N x H x W`` or ``N x K x H x W``, the class slots then paired slot by slot)."""
    a, b = _numpy(first), _numpy(second)
    if a.shape != b.shape or a.ndim not in (3, 4):
        raise ValueError(f"need two map stacks of one shape, got {a.shape} and {b.shape}")
    a, b = a.reshape(-1, *a.shape[-2:]), b.reshape(-1, *b.shape[-2:])
    return [spearman_signed(x, y) for x, y in zip(a, b, strict=True)]


def paired_summary(
    measures: Mapping[str, Mapping[str, Sequence[float]]], baseline: str, other: str
) -> dict[str, dict[str, Summary]]:
    """Mean and interval of each measure under each setting, and of the paired difference.

    ``measures[setting][measure]`` holds one value per image, the images in the same order
    under every setting. The difference, under the key ``"<other> - <baseline>"``, is taken
    image by image, so its interval is that of a paired comparison.
    """
    for name in (baseline, other):
        if name not in measures:
            raise ValueError(f"no measures for {name!r}; have {', '.join(measures)}")
    summary = {
        setting: {key: mean_ci(values) for key, values in per.items()}
        for setting, per in measures.items()
    }
    summary[f"{other} - {baseline}"] = {
        key: mean_ci(np.subtract(measures[other][key], measures[baseline][key]))
        for key in measures[baseline]
    }
    return summary


def variant_summary(
    saliency: Mapping[str, torch.Tensor | ArrayLike], reference: str, top_fraction: float = 0.1
) -> dict[str, dict[str, Summary]]:
    """For each variant's saliency maps (``N x H x W``, the same images in the same order):
    its Spearman correlation with the ``reference`` variant's maps and its concentration."""
    if reference not in saliency:
        raise ValueError(f"no maps for the reference {reference!r}; have {', '.join(saliency)}")
    return {
        name: {
            "spearman_with_reference": mean_ci(pairwise_spearman(maps, saliency[reference])),
            "concentration": mean_ci(concentration(maps, top_fraction)),
        }
        for name, maps in saliency.items()
    }


def format_summary(
    summary: Mapping[str, Mapping[str, Mapping[str, Any]]],
    first_column: str = "measure",
    width: int = 26,
) -> str:
    """A text table of :func:`paired_summary`: a row per measure, a column per setting."""
    settings = list(summary)
    measures = list(summary[settings[0]]) if settings else []
    lines = [f"{first_column:<{width}}" + "".join(f"{s:>{width}}" for s in settings)]
    for key in measures:
        cells = "".join(f"{interval_text(summary[s][key]):>{width}}" for s in settings)
        lines.append(f"{key:<{width}}" + cells)
    return "\n".join(lines)


def format_variants(
    summary: Mapping[str, Mapping[str, Mapping[str, Any]]],
    reference_label: str = "Spearman with reference",
    widths: tuple[int, int] = (22, 28),
) -> str:
    """A text table of :func:`variant_summary`: a row per variant, its two measures."""
    first, other = widths
    lines = [f"{'variant':<{first}}{reference_label:>{other}}{'concentration':>{other}}"]
    for name, entry in summary.items():
        rho = interval_text(entry["spearman_with_reference"])
        lines.append(
            f"{name:<{first}}{rho:>{other}}{interval_text(entry['concentration']):>{other}}"
        )
    return "\n".join(lines)
