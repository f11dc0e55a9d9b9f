"""Shared fixtures. The bundled edition is imported once per test database."""

from __future__ import annotations

import pytest

from shebao.catalog.models import CatalogVersion
from shebao.catalog.services import catalog_ensure_loaded


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        catalog_ensure_loaded()


@pytest.fixture
def catalog(db) -> CatalogVersion:
    """The published version 1. Re-imported if a transactional test flushed the tables."""
    return catalog_ensure_loaded()
