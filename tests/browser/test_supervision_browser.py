"""督办 in a real browser: a supervisor opens the dashboard, filters by period and office, drills
down to the cases behind a number, downloads an export, looks at warnings and findings, and
issues a 督办单. Screenshots go to ``artifacts/screenshots/supervision-*.png``.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def supervision_url(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    from shebao.accounts.services import role_groups_ensure
    from shebao.cases import services
    from shebao.cases.scheduler import tick
    from shebao.catalog.services import catalog_ensure_loaded
    from shebao.supervision.services import supervision_tick
    from tests.cases import personas
    from tests.cases.conftest import World
    from tests.supervision.conftest import TODAY, Clock, build_known_set

    catalog_ensure_loaded()  # committed, so the live server thread sees it
    role_groups_ensure(actor="test")
    monkeypatch.setattr(services, "check_case_preconditions", lambda *, case, deemed=False: None)
    monkeypatch.setattr(services, "apply_case_effect", lambda *, case: None)
    o = personas.offices()
    from shebao.accounts.models import Role

    world = World(
        offices=o,
        clerk=personas.staff("clerk.ja", Role.WINDOW_CLERK, o.district_ja),
        reviewer=personas.staff("reviewer.ja", Role.REVIEWER, o.district_ja),
        clerk_jh=personas.staff("clerk.jh", Role.WINDOW_CLERK, o.district_jh),
        street_clerk=personas.staff("clerk.street", Role.WINDOW_CLERK, o.street_ja),
        city_reviewer=personas.staff("city.injury", Role.CITY_REVIEWER, o.city_injury),
        finance=personas.staff("finance.city", Role.FINANCE, o.city_injury),
        approver=personas.staff("approver.pension", Role.BUREAU_APPROVER, o.bureau_pension),
        supervisor=personas.staff("supervisor", Role.SUPERVISOR, o.bureau_pension),
        person=personas.applicant("zhang.san", kind="person"),
        unit=personas.applicant("unit.demo", kind="unit"),
    )
    clock = Clock(monkeypatch)
    build_known_set(world, clock)
    tick(now=clock.set(2026, 10, 20, 6))
    supervision_tick(today=TODAY)
    clock.set(2026, 10, 20, 10)  # the live server sees the same day
    return str(live_server.url)


def test_dashboard_filter_drill_down_and_export(chromium: Any, supervision_url: str, screenshots: Path) -> None:
    from openpyxl import load_workbook
    from playwright.sync_api import expect

    from tests.cases.personas import PASSWORD

    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(supervision_url + "/accounts/login/?next=/supervision/")
        page.fill("input[name=username]", "supervisor")
        page.fill("input[name=password]", PASSWORD)
        page.locator("form button[type=submit]").first.click()
        page.wait_for_url(re.compile(r"/supervision/$"))
        expect(page.locator("h1")).to_have_text("督办总览")
        expect(page.locator(".sv-period")).to_contain_text("2026年10月1日")  # this month by default
        page.screenshot(path=str(screenshots / "supervision-01-dashboard-this-month.png"), full_page=False)

        # Filter: September, then 江岸社保处 (with its street window).
        page.fill("#f-from", "2026-09-01")
        page.fill("#f-to", "2026-09-30")
        page.get_by_role("button", name="查询").click()
        page.wait_for_url(re.compile(r"from=2026-09-01"))
        kpis = page.locator(".sv-kpi")
        expect(kpis.nth(0)).to_contain_text("14")
        expect(kpis.nth(3)).to_contain_text("11")
        expect(page.locator(".sv-gauges")).to_contain_text("72.7%")
        page.screenshot(path=str(screenshots / "supervision-02-dashboard-september.png"), full_page=True)
        page.select_option("#f-office", label="江岸社保处")
        page.get_by_role("button", name="查询").click()
        page.wait_for_url(re.compile(r"office=t-district-ja"))
        expect(kpis.nth(0)).to_contain_text("12")
        expect(page.locator(".sv-period")).to_contain_text("江岸社保处（含下属窗口）")

        # Drill down: the late completions behind the gauge, then the summary table by office.
        page.get_by_role("link", name=re.compile(r"超时 3 件")).first.click()
        expect(page.locator("h1")).to_contain_text("超承诺时限办结办件")
        expect(page.locator("#table-cases tbody tr")).to_have_count(3)
        page.screenshot(path=str(screenshots / "supervision-03-drill-down.png"), full_page=True)
        page.go_back()
        page.get_by_role("link", name="按承办人").click()
        expect(page.locator("#table-summary")).to_contain_text("（系统/未分配）")

        # Download the summary table as Excel.
        with page.expect_download() as download_info:
            page.locator("#table-summary .sv-dl-xlsx").click()
        download = download_info.value
        assert download.suggested_filename.endswith(".xlsx")
        sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active
        rows = [[c.value for c in row] for row in sheet.iter_rows()]
        assert rows[2][0] == "承办人" and next(r for r in rows if r[0] == "合计")[2] == 12

        # Warnings and findings.
        page.get_by_role("link", name="超期预警").click()
        expect(page.locator("#table-warnings tbody tr")).to_have_count(2)  # a7 (red), a8 (yellow)
        page.screenshot(path=str(screenshots / "supervision-04-warnings.png"), full_page=False)
        page.goto(supervision_url + "/supervision/findings/?from=2026-08-01&to=2026-10-31")
        expect(page.locator("#table-findings tbody tr")).to_have_count(8)
        page.screenshot(path=str(screenshots / "supervision-05-findings.png"), full_page=True)

        # Issue a 督办单 from a finding.
        page.locator("#table-findings tbody tr", has_text="超过法定时限").first.get_by_role("link", name="发督办单").click()
        expect(page.locator("h1")).to_have_text("签发督办单")
        page.fill("#o-days", "3")
        page.get_by_role("button", name="签发").click()
        expect(page.locator(".sv-flash")).to_contain_text("须于2026年10月23日前回复")
        page.screenshot(path=str(screenshots / "supervision-06-order.png"), full_page=False)

        pdf = page.request.get(supervision_url + "/supervision/report/?month=2026-09")
        assert pdf.ok and pdf.body().startswith(b"%PDF")
    finally:
        context.close()
