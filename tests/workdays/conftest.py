"""Fixtures for the working-day tests.

``cal`` is chinesecalendar alone (no database); tests that touch the holiday table use
``db`` and get a freshly invalidated index so no test sees another's cached calendar.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shebao.workdays.calendar import WorkCalendar
from shebao.workdays.sources import invalidate_calendar, official_calendar


@pytest.fixture
def cal() -> WorkCalendar:
    return official_calendar()


@pytest.fixture(autouse=True)
def _fresh_calendar_cache() -> Iterator[None]:
    invalidate_calendar()
    yield
    invalidate_calendar()
