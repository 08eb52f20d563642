"""licnn.tables: the Markdown table and the written form of an estimate with its interval."""

from __future__ import annotations

import pytest

from licnn.tables import format_table, interval_text


def test_interval_text_rounds_each_part() -> None:
    summary = {"mean": 0.51249, "low": 0.4696, "high": 0.5531, "n": 10}
    assert interval_text(summary) == "0.512 [0.470, 0.553]"
    assert interval_text(summary, digits=1) == "0.5 [0.5, 0.6]"
    assert interval_text({"accuracy": -0.25, "low": -0.5, "high": 0.0}, "accuracy") == (
        "-0.250 [-0.500, 0.000]"
    )


def test_interval_text_names_what_is_missing() -> None:
    with pytest.raises(ValueError, match="'high'"):
        interval_text({"mean": 0.5, "low": 0.4})


def test_format_table_rounds_floats_and_checks_rows() -> None:
    assert format_table(["a", "b|c"], [["x", 0.12345]]).splitlines() == [
        "| a | b\\|c |",
        "|:---|---:|",
        "| x | 0.123 |",
    ]
    with pytest.raises(ValueError, match="2 columns"):
        format_table(["a", "b"], [["x"]])
