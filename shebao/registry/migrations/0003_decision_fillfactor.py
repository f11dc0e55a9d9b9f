"""PostgreSQL: leave half of each page of the benefit decisions free, so that the yearly uprating
and the 年审 runs, which change unindexed columns of up to every row, update in place (HOT updates:
no index entry is written). Without it a million-row uprating writes eight index entries per row.
SQLite: nothing to do."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def _fillfactor(value: int) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE registry_benefitdecision SET (fillfactor = {value})")

    return run


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_monthly_runs")]

    operations = [migrations.RunPython(_fillfactor(50), _fillfactor(100))]
