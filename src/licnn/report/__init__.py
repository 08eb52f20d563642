"""The report's outputs: provenance and result files, tables, claims, figures.

Here (layer on top of the experiments): :mod:`licnn.report.records` (provenance records
and stable result files, re-exported here: ``from licnn.report import save_results``),
:mod:`licnn.report.tables`, :mod:`licnn.report.headline`, :mod:`licnn.report.claims`,
:mod:`licnn.report.plots`, :mod:`licnn.report.figures`, :mod:`licnn.report.blur_figures`
and :mod:`licnn.report.bench_figures`.
"""

from licnn.report.records import (
    SIGNIFICANT_DIGITS,
    VERSIONED,
    format_provenance,
    library_versions,
    print_provenance,
    project_root,
    provenance,
    results_path,
    save_results,
    to_jsonable,
)

__all__ = [
    "SIGNIFICANT_DIGITS",
    "VERSIONED",
    "format_provenance",
    "library_versions",
    "print_provenance",
    "project_root",
    "provenance",
    "results_path",
    "save_results",
    "to_jsonable",
]
