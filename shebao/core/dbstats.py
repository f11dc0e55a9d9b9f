"""Planner statistics for SQLite, which keeps none unless asked.

Without ``sqlite_stat1`` SQLite's planner prefers an equality on any index to a range on a better
one: a clerk's name search (``org_unit_id IN (…) AND applicant_key BETWEEN …``) then walked every
case of the office through the office index instead of the few matching names (7–10 ms against
0.1–0.4 ms on 20,000 cases, more on a city's million; docs/performance.md, "HTTP reads").
``analysis_limit`` bounds the work per index (SQLite samples that many rows), so this takes
milliseconds even on a large database. PostgreSQL's autovacuum keeps its own statistics.
"""

from __future__ import annotations

from django.db import connection

ANALYSIS_LIMIT = 1000


def db_statistics_refresh() -> bool:
    """Refresh the query planner's statistics on SQLite (``shebao serve`` at start, ``shebao tick``).
    Returns whether anything was done."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
        cursor.execute("ANALYZE")
    return True
