"""Pages, exports (CSV, XLSX), the monthly PDF and the API, on the known set."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess

import pytest
from django.test import Client
from openpyxl import load_workbook

from shebao.supervision.models import Finding, SupervisionOrder

from .conftest import Known

pytestmark = pytest.mark.django_db
SEPT = "from=2026-09-01&to=2026-09-30"


@pytest.fixture
def supervisor(client: Client, known: Known) -> Client:
    client.force_login(known.world.supervisor)
    return client


def test_only_supervisors_and_admins_read_the_dashboard(client: Client, known: Known) -> None:
    assert client.get("/supervision/").status_code == 302  # to the login page
    client.force_login(known.world.clerk)
    response = client.get("/supervision/")
    assert response.status_code == 403 and "仅供督办人员" in response.content.decode()
    assert client.get(f"/supervision/export/summary.csv?{SEPT}").status_code == 403
    assert client.get("/api/v1/supervision/summary").status_code == 403


def test_dashboard_figures_charts_tables_and_drill_down(supervisor: Client, known: Known) -> None:
    page = supervisor.get(f"/supervision/?{SEPT}").content.decode()
    assert '<span class="sv-kpi-label">收件</span><span class="sv-kpi-value">14</span>' in page
    assert "72.7%" in page and "90.9%" in page  # the two on-time rates
    assert page.count("<svg class=\"chart") >= 6 + 3  # six charts and three gauges
    assert page.count('class="sv-table"') >= 7  # every chart has its table, and the summary table
    assert "cdn" not in page.lower() and "https://" not in page
    assert "/supervision/cases/?" in page
    by_item = supervisor.get(f"/supervision/?{SEPT}&dim=item").content.decode()
    assert "调整单位参保期间的基本养老保险缴费工资" in by_item
    by_officer = supervisor.get(f"/supervision/?{SEPT}&dim=officer").content.decode()
    assert "（系统/未分配）" in by_officer
    office = known.world.offices.district_ja
    listed = supervisor.get(f"/supervision/cases/?{SEPT}&metric=late_promised&dim=office&key={office.pk}")
    body = listed.content.decode()
    assert listed.status_code == 200 and "超承诺时限办结办件" in body and "江岸社保处" in body
    assert known.get("a4").reference in body and known.get("b2").reference not in body
    bad = supervisor.get("/supervision/?from=2026-09-30&to=2026-09-01")
    assert bad.status_code == 200 and "结束日期不能早于开始日期" in bad.content.decode()


def test_warning_and_findings_pages(supervisor: Client, known: Known) -> None:
    warnings = supervisor.get("/supervision/warnings/").content.decode()
    assert known.get("a7").reference in warnings and known.get("a8").reference in warnings
    red_only = supervisor.get("/supervision/warnings/?level=red").content.decode()
    assert known.get("a8").reference not in red_only.split('id="table-warnings"')[1]
    findings = supervisor.get(f"/supervision/findings/?{SEPT}&kind=second_notice").content.decode()
    assert "重复一次性告知" in findings and known.get("a6").reference in findings


def test_csv_and_xlsx_exports(supervisor: Client, known: Known) -> None:
    response = supervisor.get(f"/supervision/export/summary.csv?{SEPT}&dim=office")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][0].startswith("督办统计表（按机构）（2026-09-01至2026-09-30）")
    assert rows[1][:6] == ["经办机构", "层级", "收件", "受理", "不予受理", "办结"]
    total = next(r for r in rows if r and r[0] == "合计")
    assert total[2:8] == ["14", "13", "1", "11", "72.7%", "90.9%"]

    response = supervisor.get(f"/supervision/export/summary.xlsx?{SEPT}&dim=item")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    header = values[2]
    assert header[:3] == ["服务事项", "业务编号", "收件"]
    total = next(v for v in values if v[0] == "合计")
    assert total[2] == 14 and total[6] == pytest.approx(0.727)
    for table in ("ontime", "handling", "ratings", "trend", "warning_offices", "finding_kinds", "findings", "warnings"):
        for fmt in ("csv", "xlsx"):
            assert supervisor.get(f"/supervision/export/{table}.{fmt}?{SEPT}").status_code == 200, (table, fmt)
    cases = supervisor.get(f"/supervision/export/cases.csv?{SEPT}&metric=completed").content.decode("utf-8")
    assert len(list(csv.reader(io.StringIO(cases[1:])))) == 2 + 11  # caption, header, 11 cases
    assert supervisor.get(f"/supervision/export/nothing.csv?{SEPT}").status_code == 404


def test_monthly_report_pdf_in_chinese(supervisor: Client, known: Known, tmp_path: object) -> None:
    response = supervisor.get("/supervision/report/?month=2026-09")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) is not installed")
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=response.content, capture_output=True,
                          check=True).stdout.decode()
    assert "社会保险经办服务督办月报（2026年9月）" in text
    assert "本月全市共收件14件，受理13件，不予受理1件，办结11件" in text.replace("\n", "").replace(" ", "")
    assert "江岸社保处" in text and "重复一次性告知1个" in text.replace(" ", "")
    assert supervisor.get("/supervision/report/?month=2026-13").status_code == 422


def test_order_pages_issue_reply_close(client: Client, known: Known) -> None:
    w = known.world
    finding = Finding.objects.get(case=known.cases["a7"], kind="over_legal")
    client.force_login(w.supervisor)
    form = client.get(f"/supervision/orders/new/?finding={finding.pk}").content.decode()
    assert "超过法定时限" in form and "江岸社保处" in form
    response = client.post("/supervision/orders/new/", {"finding": finding.pk, "subject": "超过法定时限",
                                                        "demand": "请立即办结并说明原因", "reply_days": "3"})
    order = SupervisionOrder.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/supervision/orders/{order.number}/")
    assert order.case_id == known.cases["a7"].pk and order.finding == finding
    client.force_login(w.clerk_jh)
    assert client.get(f"/supervision/orders/{order.number}/").status_code == 404
    client.force_login(w.clerk)
    assert order.number in client.get("/supervision/orders/").content.decode()
    page = client.get(f"/supervision/orders/{order.number}/").content.decode()
    assert "提交回复" in page and "办结销号" not in page
    client.post(f"/supervision/orders/{order.number}/act/", {"action": "reply", "reply": "已办结"})
    client.force_login(w.supervisor)
    client.post(f"/supervision/orders/{order.number}/act/", {"action": "close", "note": "同意销号"})
    order.refresh_from_db()
    assert order.status == "closed"
    assert client.get("/supervision/export/orders.xlsx").status_code == 200


def test_api(supervisor: Client, known: Known) -> None:
    data = supervisor.get("/api/v1/supervision/summary?from=2026-09-01&to=2026-09-30&dim=office").json()
    assert data["totals"]["received"] == 14 and data["totals"]["p90_handling_working_days"] == 18
    assert data["totals"]["ratings"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    cases = supervisor.get("/api/v1/supervision/cases?from=2026-09-01&to=2026-09-30&metric=late_promised").json()
    assert cases["count"] == 3
    trend = supervisor.get("/api/v1/supervision/trend?from=2026-09-01&to=2026-09-30").json()
    assert trend["grain"] == "day" and len(trend["points"]) == 30
    findings = supervisor.get("/api/v1/supervision/findings?from=2026-08-01&to=2026-10-31").json()
    assert findings["count"] == 8
    created = supervisor.post("/api/v1/supervision/orders", {
        "office": "t-district-jh", "subject": "窗口服务", "demand": "请整改", "reply_days": 5},
        content_type="application/json")
    assert created.status_code == 201 and created.json()["level_label"] == "一般督办"
    assert supervisor.get("/api/v1/supervision/summary?dim=nobody").status_code == 422


def test_api_lists_read_one_page(supervisor: Client, known: Known) -> None:
    """The list endpoints cut the page in the database: the statements do not depend on how many
    rows the list has (a page that ends the list spares the COUNT), and a page holds only its rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for order_no in range(3):
        supervisor.post("/api/v1/supervision/orders", {
            "office": "t-district-jh", "subject": f"窗口服务{order_no}", "demand": "请整改", "reply_days": 5},
            content_type="application/json")
    for url, total in (("/api/v1/supervision/findings?from=2026-08-01&to=2026-10-31", 8),
                       ("/api/v1/supervision/cases?from=2026-09-01&to=2026-09-30&metric=received", 14),
                       ("/api/v1/supervision/orders?", 3)):
        supervisor.get(f"{url}&limit=1")  # the catch-up's first pass
        with CaptureQueriesContext(connection) as one:
            page = supervisor.get(f"{url}&limit=1").json()
        assert page["count"] == total and len(page["items"]) == 1, url
        with CaptureQueriesContext(connection) as every:
            page = supervisor.get(f"{url}&limit=100").json()
        assert page["count"] == total and len(page["items"]) == total, url
        # The same statements for the whole list as for one row, less the COUNT: a short page is
        # the end of the list and counts itself (core.paging).
        assert len(every) == len(one) - 1, url
        assert sum("COUNT(" in q["sql"].upper() for q in every.captured_queries) < sum(
            "COUNT(" in q["sql"].upper() for q in one.captured_queries), url
        assert any("LIMIT 1" in q["sql"] for q in one.captured_queries), url
