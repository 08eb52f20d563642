"""The claim table's verdicts follow the rules in the claims file, from the results files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from licnn.errors import DataError
from licnn.report.claims import claims_table, judge, render_template

CLAIM = """
datasets:
  some-set: {name: some images in words, short: some images}
claims:
  - id: c
    claim: blurring lowers accuracy
    source: seed Fig. 1
    seed_showed: a falling curve
    test: accuracy blurred
    data: [some-set]
    chapter: 06_blur_experiments
    measure: accuracy
    value: {mean: blurred.accuracy, ci: blurred.ci, n: blurred.n}
    reference: {path: original.accuracy, label: unblurred}
    verdict: {rule: below, then: reproduced, otherwise: not reproduced, why: the rule}
"""


def _write(tmp_path: Path, blurred: float, ci: list[float]) -> tuple[Path, Path]:
    claims = tmp_path / "claims.yml"
    claims.write_text(CLAIM)
    results = tmp_path / "results"
    results.mkdir()
    data = {"original": {"accuracy": 0.8}, "blurred": {"accuracy": blurred, "ci": ci, "n": 9}}
    (results / "06_blur_experiments.json").write_text(json.dumps(data))
    return claims, results


def test_rule_decides_from_the_interval(tmp_path: Path) -> None:
    claims, results = _write(tmp_path, 0.7, [0.65, 0.75])
    (judged,) = judge(claims, results)
    assert judged.verdict == "reproduced" and judged.n == 9
    assert judged.number == "0.700 [0.650, 0.750]; unblurred 0.800"
    assert "some images (`some-set`), n = 9" in claims_table(claims, results)


def test_interval_reaching_the_reference_is_not_reproduced(tmp_path: Path) -> None:
    claims, results = _write(tmp_path, 0.78, [0.7, 0.85])
    assert judge(claims, results)[0].verdict == "not reproduced"


def test_missing_results_file_leaves_the_claim_out(tmp_path: Path) -> None:
    claims = tmp_path / "claims.yml"
    claims.write_text(CLAIM)
    assert judge(claims, tmp_path) == []


def test_unknown_verdict_is_an_error(tmp_path: Path) -> None:
    claims, results = _write(tmp_path, 0.7, [0.65, 0.75])
    claims.write_text(CLAIM.replace("then: reproduced", "then: maybe"))
    with pytest.raises(DataError, match="verdicts among"):
        judge(claims, results)


def test_template_numbers_come_from_results(tmp_path: Path) -> None:
    claims, results = _write(tmp_path, 0.7, [0.65, 0.75])
    text = render_template(
        "n [[06_blur_experiments:blurred.n]], low [[06_blur_experiments:blurred.ci.0|.2f]]\n"
        "[[claims:holds]]",
        claims,
        results,
    )
    assert text.startswith("n 9, low 0.65\n- **blurring lowers accuracy**")
    with pytest.raises(DataError, match="no 'blurred.nope'"):
        render_template("[[06_blur_experiments:blurred.nope]]", claims, results)


def test_lookup_follows_keys_that_hold_dots():
    from licnn.report.claims import lookup

    data = {"sources": {"licnn": {"q0.3": {"object_r10": {"n": 5}}}}, "a": [{"b": 1}]}
    assert lookup(data, "sources.licnn.q0.3.object_r10.n") == 5
    assert lookup(data, "a.0.b") == 1
    with pytest.raises(DataError, match="no key 'q0'"):
        lookup(data, "sources.licnn.q0.4.object_r10")
