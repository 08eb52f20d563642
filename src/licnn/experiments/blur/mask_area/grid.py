"""The design of the mask-area experiments: mask sources, area points and blur variants."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from licnn.imaging import masks as mk

#: Mask sources, in the order of the report's tables and legends.
SOURCES: tuple[str, ...] = ("licnn", "grad_cam", "disc", "shuffled", "blob", "boxes")

#: Legend labels of the sources.
SOURCE_LABELS: dict[str, str] = {
    "licnn": "LICNN saliency",
    "grad_cam": "Grad-CAM (predicted class)",
    "disc": "centred disc",
    "shuffled": "LICNN map of another image",
    "blob": "random blob",
    "boxes": "ground-truth boxes",
}

#: The area point of the seed threshold (its own area, per image).
SEED = "seed"


def area_label(q: float | str) -> str:
    """``'q0.3'`` for a share, ``'seed'`` for the seed threshold, ``'own'`` for the boxes."""
    return q if isinstance(q, str) else f"q{q:g}"


@dataclass(frozen=True)
class Grid:
    """Which masks are blurred at which radii: ``radii[source]`` and the area points."""

    areas: tuple[float, ...] = mk.AREAS
    radii: Mapping[str, tuple[int, ...]] = field(
        default_factory=lambda: {
            "licnn": (5, 10),
            "grad_cam": (10,),
            "disc": (5, 10),
            "shuffled": (10,),
            "blob": (10,),
            "boxes": (10,),
        }
    )

    def __post_init__(self) -> None:
        unknown = set(self.radii) - set(SOURCES)
        if unknown:
            raise ValueError(f"unknown mask sources {sorted(unknown)}; choose from {SOURCES}")
        for q in self.areas:
            if not 0 < q < 1:
                raise ValueError(f"mask areas must lie in (0, 1), got {q}")

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(s for s in SOURCES if s in self.radii)

    def points(self, source: str) -> tuple[str, ...]:
        """Area points of a source: every share and the seed's, or the boxes' own area."""
        if source == "boxes":
            return ("own",)
        return (*(area_label(q) for q in self.areas), SEED)

    def masks(self) -> tuple[tuple[str, str], ...]:
        """Every (source, area point) in order."""
        return tuple((s, a) for s in self.sources for a in self.points(s))

    def variants(self) -> tuple[tuple[str, str, str, int], ...]:
        """Every (source, area point, kind, radius); kind is ``background`` or ``object``."""
        return tuple(
            (s, a, kind, r)
            for s, a in self.masks()
            for r in self.radii[s]
            for kind in ("background", "object")
        )

    def as_dict(self) -> dict[str, Any]:
        return {"areas": list(self.areas), "radii": {k: list(v) for k, v in self.radii.items()}}


def variant_name(source: str, point: str, kind: str, radius: int) -> str:
    return f"{source}/{point}/{kind}_r{radius:g}"
