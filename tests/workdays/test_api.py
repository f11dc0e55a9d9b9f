"""``GET /api/v1/deadline``: the due date and the provisional flag through the API."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_due_date_across_national_day_2026(client: Client) -> None:
    body = client.get("/api/v1/deadline", {"from": "2026-09-30", "rule": "5 个工作日"}).json()
    # 10-01..10-07 are holidays; 10-10 (Saturday) is a make-up working day.
    assert body["date"] == "2026-10-13"
    assert body["kind"] == "working_days" and body["count"] == 5
    assert body["provisional"] is False and body["due_moment"].startswith("2026-10-13T23:59:59")


def test_a_year_without_official_holidays_is_provisional(client: Client) -> None:
    body = client.get("/api/v1/deadline", {"from": "2027-09-30", "rule": "5个工作日"}).json()
    assert body["provisional"] is True and body["provisional_years"] == [2027]
    assert "2027" in body["provisional_note"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-13-01", "rule": "5个工作日"}, "from"),
        ({"from": "2026-09-30"}, "rule"),
        ({"from": "1990-01-01", "rule": "5个工作日"}, "date"),
        ({"from": "2026-01-01", "rule": "随便"}, "rule"),
    ],
)
def test_bad_input_is_a_422_naming_the_parameter(client: Client, params: dict[str, str], field: str) -> None:
    response = client.get("/api/v1/deadline", params)
    assert response.status_code == 422
    body = response.json()
    assert body.get("field") == field or body["detail"][0]["field"] == field
