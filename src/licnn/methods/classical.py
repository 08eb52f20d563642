"""Classical saliency without a network: OpenCV contrib's two static saliency detectors.

- ``spectral_residual`` (Hou & Zhang, CVPR 2007): what is left of the image's log-amplitude
  spectrum once its local average is removed, back in the image plane;
- ``fine_grained`` (Montabone & Soto, 2010): centre-surround differences of intensity at
  several scales, computed on an integral image.

They are the report's "unsupervised, no learning" baseline for salient-object detection:
a class-free map of the image alone, from a maintained library
(``opencv-contrib-python-headless``, ``cv2.saliency``). They are registered (so
:func:`licnn.methods.make_method` builds them and the benchmarks can score them) but are not
in :data:`licnn.methods.METHODS`, whose notebooks would otherwise change; their names are in
:data:`CLASSICAL_METHODS`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import cv2
import numpy as np
import torch

from licnn.methods.base import AttributionMethod
from licnn.methods.registry import register


def to_bgr_image(inputs: torch.Tensor, mean: Any, std: Any) -> list[np.ndarray]:
    """Normalised ``N x 3 x H x W`` model inputs back to 8-bit BGR images (OpenCV's order).

    The model's normalisation ``(x - mean) / std`` is undone, the values clipped to [0, 1]
    and rounded to 8 bits, the image the model saw before normalisation.
    """
    m = torch.as_tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
    s = torch.as_tensor(std, dtype=torch.float32).view(1, 3, 1, 1)
    rgb = (inputs.detach().float().cpu() * s + m).clamp(0.0, 1.0)
    values = (rgb * 255.0).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    return [np.ascontiguousarray(image[..., ::-1]) for image in values]


class _OpenCVSaliency(AttributionMethod):
    """A ``cv2.saliency`` static detector run on each image; the map at the input size."""

    class_free = True
    uses_model = False
    #: The ``cv2.saliency`` factory of the detector.
    factory: ClassVar[str] = ""

    def _attribute(self, inputs: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
        height, width = inputs.shape[-2:]
        maps = []
        for image in to_bgr_image(inputs, self.model.mean, self.model.std):
            detector = getattr(cv2.saliency, self.factory)()
            ok, saliency = detector.computeSaliency(image)
            if not ok:
                raise RuntimeError(f"cv2.saliency.{self.factory} failed on an image")
            saliency = np.asarray(saliency, dtype=np.float32)
            if saliency.shape != (height, width):
                saliency = cv2.resize(saliency, (width, height), interpolation=cv2.INTER_LINEAR)
            maps.append(torch.from_numpy(saliency))
        return torch.stack(maps).to(inputs.device)


@register
class SpectralResidual(_OpenCVSaliency):
    """Spectral residual saliency (Hou & Zhang 2007), OpenCV's implementation."""

    name = "spectral_residual"
    label = "Spectral residual"
    factory = "StaticSaliencySpectralResidual_create"


@register
class FineGrained(_OpenCVSaliency):
    """Fine-grained centre-surround saliency (Montabone & Soto 2010), OpenCV's implementation."""

    name = "fine_grained"
    label = "Fine-grained (OpenCV)"
    factory = "StaticSaliencyFineGrained_create"


#: The classical baselines, in the report's order; not part of :data:`licnn.methods.METHODS`.
CLASSICAL_METHODS = (SpectralResidual.name, FineGrained.name)
