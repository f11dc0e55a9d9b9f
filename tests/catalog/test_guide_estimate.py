"""The guide page's 办结日期测算: due dates on the official calendar, provisional flagged."""

from __future__ import annotations

import pytest
from django.test import Client

from shebao.catalog.models import CatalogVersion

pytestmark = pytest.mark.django_db


def test_estimate_across_national_day(client: Client, catalog: CatalogVersion) -> None:
    page = client.get("/items/SBZX00012/", {"accepted": "2026-09-30"}).content.decode()
    # 3 working days after 09-30: 10-08, 10-09, 10-10 (a make-up Saturday); 7 → 10-15.
    assert '承诺办结日期：<span class="due-date"><time datetime="2026-10-10">' in page
    assert '法定办结日期：<span class="due-date"><time datetime="2026-10-15">' in page
    assert "临时" not in page.split('id="g-estimate"')[1].split("</div>")[0]


def test_estimate_in_a_year_without_official_holidays_is_marked_provisional(
    client: Client, catalog: CatalogVersion
) -> None:
    page = client.get("/items/SBZX00012/", {"accepted": "2027-09-30"}).content.decode()
    block = page.split('id="g-estimate"')[1].split("</div>")[0]
    assert block.count("badge--provisional") == 2
    assert "2027年未载入官方节假日安排" in block


def test_bad_acceptance_date_is_a_clear_400(client: Client, catalog: CatalogVersion) -> None:
    response = client.get("/items/SBZX00012/", {"accepted": "2026-9-x"})
    assert response.status_code == 400
    assert "受理日期“2026-9-x”格式不对" in response.content.decode()
    out_of_range = client.get("/items/SBZX00012/", {"accepted": "1999-01-04"})
    assert out_of_range.status_code == 400 and "超出可计算的日历范围" in out_of_range.content.decode()


def test_staged_limits_are_not_estimated_on_the_guide(client: Client, catalog: CatalogVersion) -> None:
    # SBZX00041's stages wait for a letter and for funds; the guide shows no single date.
    page = client.get("/items/SBZX00041/").content.decode()
    assert 'id="g-estimate"' not in page
    immediate = client.get("/items/SBZX00001/").content.decode()
    assert "承诺办结日期" in immediate and "法定办结日期" in immediate
