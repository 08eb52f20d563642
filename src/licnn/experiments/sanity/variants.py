"""Protocol variants of the randomisation test's end point, each labelled.

The level a map's similarity keeps after every weight is randomised depends on choices the
test leaves open. :data:`VARIANTS` names the ones chapter 4 measures; :func:`run_variants`
runs each at one step (the end point) and gives, per variant, the summary of
:func:`licnn.experiments.sanity.baselines.end_point`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from licnn.core.config import LICNNConfig
from licnn.data import Record
from licnn.experiments.sanity.baselines import end_point, trained_other_image
from licnn.experiments.sanity.compute import DEFAULT_PROTOCOL, Protocol
from licnn.experiments.sanity.randomise import LayerGroup
from licnn.experiments.sanity.runner import item_name, original_maps, run_randomisation
from licnn.methods import get_method_class
from licnn.models import LoadedModel


@dataclass(frozen=True)
class Variant:
    """One way of running the test: a :class:`Protocol` and a LICNN configuration.

    ``licnn_only``: the variant changes LICNN alone (its configuration), so only the LICNN
    methods are run under it.
    """

    name: str
    label: str
    protocol: Protocol = DEFAULT_PROTOCOL
    config: LICNNConfig | None = None
    licnn_only: bool = False
    notes: dict[str, Any] = field(default_factory=dict)


#: The variants of chapter 4, the report's own protocol first.
VARIANTS = (
    Variant("report", "this report: batch norm reset, trained model's top-1 explained"),
    Variant(
        "batch_norm_kept",
        "batch norm keeps its trained statistics (as Adebayo et al.'s code)",
        Protocol(batch_norm="keep"),
    ),
    Variant(
        "randomised_target",
        "randomised model's own top-1 explained (as Adebayo et al.)",
        Protocol(target="randomised"),
    ),
    Variant(
        "seed_code",
        "LICNN with the seed code's settings",
        config=LICNNConfig.seed_code(),
        licnn_only=True,
    ),
    Variant(
        "last_gate_off",
        "intervention: LICNN's last layer not gated",
        config=LICNNConfig(gate_last=False),
        licnn_only=True,
    ),
    Variant(
        "replicate_padding",
        "intervention: randomised model pads by replicating the border",
        Protocol(intervention="replicate_padding"),
    ),
)


def variant(name: str) -> Variant:
    """The variant called ``name`` (see :data:`VARIANTS`)."""
    for v in VARIANTS:
        if v.name == name:
            return v
    raise ValueError(f"unknown variant {name!r}; known: {[v.name for v in VARIANTS]}")


def run_variants(
    model: LoadedModel,
    records: Sequence[Record],
    methods: Sequence[str],
    groups: Sequence[LayerGroup],
    names: Sequence[str],
    step: str | None = None,
    seed: int = 0,
    partners: int = 5,
    ig_steps: int = 16,
    progress: bool = True,
) -> dict[str, dict[str, Any]]:
    """``{variant: end_point summary}`` of the cascading test at ``step`` (default: the last group).

    Each variant runs its own pass over ``records``; the trained-vs-other baseline is the
    variant's own (a LICNN configuration changes the trained maps too).
    """
    step = step if step is not None else groups[-1][0]
    keys = [item_name(r) for r in records]
    out = {}
    for name in names:
        v = variant(name)
        chosen = [m for m in methods if not v.licnn_only or get_method_class(m).takes_config]
        if not chosen:
            continue
        result = run_randomisation(
            model, records, "cascading", chosen, [step], groups, seed=seed, config=v.config,
            ig_steps=ig_steps, progress=progress, protocol=v.protocol,
        )  # fmt: skip
        originals = original_maps(
            model, records, chosen, v.config, ig_steps, progress=progress
        )  # fmt: skip
        baseline = trained_other_image(originals, keys, chosen, partners)
        out[name] = end_point(result, step, baseline)
    return out


def run_seeds(
    model: LoadedModel,
    records: Sequence[Record],
    methods: Sequence[str],
    groups: Sequence[LayerGroup],
    seeds: Sequence[int],
    step: str | None = None,
    ig_steps: int = 16,
    progress: bool = True,
) -> dict[int, dict[str, Any]]:
    """``{seed: end_point summary}`` of the report's protocol with other re-initialisation seeds."""
    step = step if step is not None else groups[-1][0]
    out = {}
    for seed in seeds:
        result = run_randomisation(
            model, records, "cascading", methods, [step], groups, seed=seed,
            ig_steps=ig_steps, progress=progress,
        )  # fmt: skip
        out[int(seed)] = end_point(result, step)
    return out
