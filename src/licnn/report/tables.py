"""The Markdown tables of the report: one formatter, :func:`format_table`, for every table,
and :func:`interval_text` for an estimate with its interval.

The formatter lives in :mod:`licnn.tables` (below the layers, so that the experiments can use
it without importing the report); it is re-exported here, where the report's users find it.
"""

from __future__ import annotations

from licnn.tables import format_table as format_table
from licnn.tables import interval_text as interval_text
