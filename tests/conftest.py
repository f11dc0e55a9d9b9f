"""Shared fixtures. The bundled edition is imported once per test database."""

from __future__ import annotations

import pytest

from shebao.catalog.models import CatalogVersion
from shebao.catalog.services import catalog_ensure_loaded


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        catalog_ensure_loaded()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    """Tests create many accounts; production hashing (Argon2id, about 0.4 s each) would add minutes."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def catalog(db) -> CatalogVersion:
    """The published version 1. Re-imported if a transactional test flushed the tables."""
    return catalog_ensure_loaded()


@pytest.fixture(autouse=True)
def _fresh_cache():  # type: ignore[no-untyped-def]
    """Each test starts with an empty cache: rate limits count there, and the catalog API's
    responses live there (a test's rolled-back catalog must not answer for the next one)."""
    from django.core.cache import cache

    from shebao.catalog.published import published_cache_clear

    # The case engine's per-process cache of published catalog rows too: a test may edit a
    # published row in place (production never does) and roll it back.
    cache.clear()
    published_cache_clear()
    yield
    cache.clear()
    published_cache_clear()
