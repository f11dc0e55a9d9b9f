"""Fixtures from the case and registry tests: personas per role (``world``) and the registry
helpers on a fixed clock (``reg``)."""

from tests.cases.conftest import world  # noqa: F401  (re-exported fixture)
from tests.registry.conftest import clock, reg  # noqa: F401  (re-exported fixtures)
