"""Experiments of the report (the layered layout; see COMMON layout)."""
