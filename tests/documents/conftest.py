"""The personas of tests/cases, for notices of real cases."""

from tests.cases.conftest import world  # noqa: F401  (re-exported fixture)
