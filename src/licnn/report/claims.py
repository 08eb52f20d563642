"""The claim-by-claim verdicts of the report, judged from the results files.

``book/claims.yml`` lists every claim the chapters test: the claim and where the seed (or the
original paper) makes it, what it showed, our test, where our number and its 95% interval are
in ``book/results/NN_name.json``, and the verdict, either given with its reason or decided by
a rule on the interval. :func:`judge` reads both and returns one :class:`Judged` per claim;
:func:`claims_table` writes the front page's table and :func:`claims_list` the closing
chapter's lists. Changing a claim or a verdict rule means editing the YAML file only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from licnn.errors import DataError

VERDICTS = ("reproduced", "partly", "not reproduced", "not testable here")
RULES = ("above", "below", "contains")
HEADER = (
    "Claim (source): what it showed",
    "Our test (EfficientNet-Lite0; data, n)",
    "Our number [95% interval]",
    "Verdict (rule)",
    "Ch.",
)


@dataclass(frozen=True)
class Judged:
    """One claim with our number and its verdict."""

    id: str
    claim: str
    source: str
    seed_showed: str
    test: str
    data: str
    chapter: str
    number: str
    n: int | None
    verdict: str
    why: str
    exploratory: bool


def lookup(data: Any, path: str) -> Any:
    """The value at dotted ``path`` in ``data``.

    Keys may hold spaces and hyphens, and dots too (``q0.3``): where a part is not a key,
    it is joined with the parts after it, the shortest join that is a key winning.
    """
    node = data
    parts = path.split(".")
    i = 0
    while i < len(parts):
        part = parts[i]
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
            i += 1
            continue
        if not isinstance(node, dict):
            raise DataError(f"results have no {path!r} (no key {part!r}): fix book/claims.yml")
        for j in range(i + 1, len(parts) + 1):
            key = ".".join(parts[i:j])
            if key in node:
                node = node[key]
                i = j
                break
        else:
            raise DataError(f"results have no {path!r} (no key {part!r}): fix book/claims.yml")
    return node


def load_claims(path: str | Path) -> dict[str, Any]:
    """The claims file, checked: known verdicts and rules, unique ids."""
    spec = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    claims = spec.get("claims") or []
    seen: set[str] = set()
    for claim in claims:
        ident = claim.get("id", "?")
        if ident in seen:
            raise DataError(f"{path}: claim id {ident!r} appears twice")
        seen.add(ident)
        verdict = claim.get("verdict") or {}
        named = [verdict.get(k) for k in ("given", "then", "otherwise") if k in verdict]
        if not named or any(v not in VERDICTS for v in named):
            raise DataError(f"{path}: claim {ident!r} needs verdicts among {list(VERDICTS)}")
        if "rule" in verdict and verdict["rule"] not in RULES:
            raise DataError(f"{path}: claim {ident!r} has rule {verdict['rule']!r}; use {RULES}")
        if "rule" in verdict and "reference" not in claim:
            raise DataError(f"{path}: claim {ident!r} has a rule but no reference")
    return spec


def _results(folder: Path, name: str, cache: dict[str, Any]) -> Any:
    if name not in cache:
        path = folder / f"{name}.json"
        cache[name] = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    return cache[name]


def _reference(claim: dict[str, Any], results: Any) -> tuple[float, str]:
    ref = claim["reference"]
    if isinstance(ref, int | float):
        return float(ref), f"{ref:g}"
    value = float(lookup(results, ref["path"])) * float(ref.get("times", 1.0))
    return value, ref.get("label", "reference")


def _interval(value: dict[str, Any], results: Any) -> tuple[float, float, float] | None:
    if "mean" not in value:
        return None
    mean = float(lookup(results, value["mean"]))
    if "ci" in value:
        low, high = (float(x) for x in lookup(results, value["ci"]))
    else:
        low, high = float(lookup(results, value["low"])), float(lookup(results, value["high"]))
    return mean, low, high


def _decide(rule: str, low: float, high: float, ref: float) -> bool:
    if rule == "above":
        return low > ref
    if rule == "below":
        return high < ref
    return low <= ref <= high


def judge_claim(claim: dict[str, Any], results: Any, names: dict[str, str]) -> Judged:
    """Our number and the verdict of one claim, from the chapter's results (already read)."""
    value = claim.get("value") or {}
    verdict = claim["verdict"]
    data = "; ".join(f"{names.get(s, s)} (`{s}`)" for s in claim.get("data", []))
    n: int | None = None
    if "n" in value:
        n = int(lookup(results, value["n"]))
    interval = _interval(value, results)
    if interval is not None:
        mean, low, high = interval
        spec = value.get("format", ".3f")
        number = f"{mean:{spec}} [{low:{spec}}, {high:{spec}}]"
        if isinstance(claim.get("reference"), dict):
            ref, label = _reference(claim, results)
            number += f"; {label} {ref:{spec.lstrip('+')}}"
    elif "count" in value:
        count = lookup(results, value["count"])
        count = len(count) if isinstance(count, list) else int(count)
        if "of" in value:
            of = int(lookup(results, value["of"]))
            number, n = f"{count} of {of}", of
        else:
            number = f"{count} ({claim['measure']})"
    else:
        number = "—"
    if "given" in verdict:
        decided = verdict["given"]
    else:
        if interval is None:
            raise DataError(f"claim {claim['id']!r}: a rule needs a mean and an interval")
        ref, _ = _reference(claim, results)
        ok = _decide(verdict["rule"], interval[1], interval[2], ref)
        decided = verdict["then"] if ok else verdict["otherwise"]
    return Judged(
        id=claim["id"],
        claim=claim["claim"],
        source=claim["source"],
        seed_showed=claim["seed_showed"],
        test=claim["test"],
        data=data,
        chapter=claim["chapter"],
        number=number,
        n=n,
        verdict=decided,
        why=verdict.get("why", ""),
        exploratory=bool(claim.get("exploratory", False)),
    )


def dataset_names(claims_file: str | Path, kind: str = "name") -> dict[str, str]:
    """The datasets' names in words (``kind`` "name") or short (``kind`` "short"), by slug."""
    spec = yaml.safe_load(Path(claims_file).read_text(encoding="utf-8")) or {}
    return {slug: entry[kind] for slug, entry in (spec.get("datasets") or {}).items()}


def judge(claims_file: str | Path, results_dir: str | Path) -> list[Judged]:
    """Every claim whose chapter has a results file, judged (claims of missing ones left out)."""
    spec = load_claims(claims_file)
    names = dataset_names(claims_file, "short")
    folder = Path(results_dir)
    cache: dict[str, Any] = {}
    judged = []
    for claim in spec.get("claims") or []:
        results = _results(folder, (claim.get("value") or {}).get("file", claim["chapter"]), cache)
        if results is not None:
            judged.append(judge_claim(claim, results, names))
    return judged


def _link(chapter: str) -> str:
    return f"[{int(chapter[:2])}]({chapter}.ipynb)"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def claims_table(claims_file: str | Path, results_dir: str | Path) -> str:
    """The claim-by-claim table as Markdown (with a note that it is generated)."""
    lines = [
        # The module's old name (an alias now), so that the committed book/*.md stay as they are.
        "<!-- Generated by scripts/build_book.py from book/claims.yml and book/results/*.json "
        "(licnn.report.claims); do not edit. -->",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
    ]
    for j in judge(claims_file, results_dir):
        n = f", n = {j.n}" if j.n is not None else ""
        mark = " (exploratory)" if j.exploratory else ""
        row = (
            f"**{j.claim}** ({j.source}): {j.seed_showed}",
            f"{j.test}; {j.data}{n}{mark}",
            j.number,
            f"**{j.verdict}** ({j.why})" if j.why else f"**{j.verdict}**",
            _link(j.chapter),
        )
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    return "\n".join(lines) + "\n"


def claims_list(judged: list[Judged], verdicts: tuple[str, ...]) -> str:
    """A Markdown bullet list of the claims with one of ``verdicts``, with our numbers."""
    items = []
    for j in judged:
        if j.verdict not in verdicts:
            continue
        n = f", n = {j.n}" if j.n is not None else ""
        why = f" ({j.why})" if j.why else ""
        items.append(
            f"- **{j.claim}** ({j.source}; chapter {int(j.chapter[:2])}). "
            f"Our number: {j.number}{n}. Verdict: *{j.verdict}*{why}."
        )
    return "\n".join(items) if items else "- none"


#: ``[[NN_name:dotted.path]]`` or ``[[NN_name:dotted.path|format]]`` (a number from a results
#: file), ``[[claims:LIST]]`` (a list of judged claims, LIST one of :data:`LISTS`).
PLACEHOLDER = re.compile(r"\[\[([a-z0-9_]+):([^\]|]+)(?:\|([^\]]+))?\]\]")
LISTS = {
    "holds": ("reproduced",),
    "partly": ("partly",),
    "fails": ("not reproduced",),
    "untested": ("not testable here",),
}


def render_template(text: str, claims_file: str | Path, results_dir: str | Path) -> str:
    """``text`` with each placeholder (:data:`PLACEHOLDER`) replaced from the results.

    A placeholder whose file or path is missing is an error: the page must not print a
    number that no results file holds.
    """
    folder = Path(results_dir)
    cache: dict[str, Any] = {}
    judged = judge(claims_file, results_dir)

    def fill(match: re.Match[str]) -> str:
        source, path, spec = match.group(1), match.group(2).strip(), match.group(3)
        if source == "claims":
            if path == "exploratory":
                return (
                    "\n".join(
                        f"- {j.claim} (chapter {int(j.chapter[:2])}): {j.test}."
                        for j in judged
                        if j.exploratory
                    )
                    or "- none"
                )
            if path not in LISTS:
                raise DataError(f"unknown claim list {path!r}; use {sorted(LISTS)} or exploratory")
            return claims_list(judged, LISTS[path])
        results = _results(folder, source, cache)
        if results is None:
            raise DataError(f"the page needs book/results/{source}.json, which is missing")
        value = lookup(results, path)
        if isinstance(value, list):
            value = len(value)
        return format(value, spec) if spec else str(value)

    return PLACEHOLDER.sub(fill, text)
