"""Markdown tables from plain values: :func:`format_table`, the one formatter of every table,
and :func:`interval_text`, the one way an estimate with its interval is written.

It sits at the package level, below the layers, because both the experiments (which build the
rows of their tables) and the report use it; :mod:`licnn.report.tables` re-exports it. Plain
strings from plain values (no pandas, no IPython): the notebooks show the text with
``IPython.display.Markdown``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def format_table(header: Sequence[str], rows: Sequence[Sequence[Any]], digits: int = 3) -> str:
    """A Markdown table (floats rounded to ``digits``); show it with ``IPython.display.Markdown``."""

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.{digits}f}"
        return str(value).replace("|", "/")

    # A bare "|" in a header would end its cell and break the table: escape it.
    lines = ["| " + " | ".join(str(h).replace("|", "\\|") for h in header) + " |"]
    lines.append("|" + "|".join([":---"] + ["---:"] * (len(header) - 1)) + "|")
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"row {row!r} has {len(row)} cells for {len(header)} columns")
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return "\n".join(lines)


def interval_text(summary: Mapping[str, float], value: str = "mean", digits: int = 3) -> str:
    """``0.512 [0.470, 0.553]``: ``summary[value]`` and its interval ``summary["low"]`` to
    ``summary["high"]`` (as :func:`licnn.metrics.stats.mean_ci` gives them), ``digits``
    decimals each."""
    try:
        parts = [summary[value], summary["low"], summary["high"]]
    except KeyError as exc:
        raise ValueError(
            f"an interval summary needs {value!r}, 'low' and 'high'; no {exc}"
        ) from None
    mean, low, high = (f"{float(v):.{digits}f}" for v in parts)
    return f"{mean} [{low}, {high}]"
