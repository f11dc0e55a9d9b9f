"""Case handling in a real browser.

1. A clerk receives a case at the window with one material missing → 一次性告知 (printed in one
   click) → the applicant brings it → 受理 → 办结.
2. An applicant applies online with an upload, follows progress by 办件编号 + the last six
   characters of the ID number, and rates the service.

Screenshots go to ``artifacts/screenshots/`` (cases-*.png).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 256


@pytest.fixture
def site(live_server: Any, settings: Any, tmp_path: Path) -> dict[str, Any]:
    """Catalog, role groups and personas, committed so the live server thread sees them."""
    from shebao.accounts.services import role_groups_ensure
    from shebao.catalog.services import catalog_ensure_loaded
    from tests.cases import personas

    settings.MEDIA_ROOT = tmp_path / "uploads"
    catalog_ensure_loaded()
    role_groups_ensure(actor="test")
    offices = personas.offices()
    # The unit of the wage declaration and one employee are on file in the registries.
    from shebao.registry import services as registry_services
    from tests.cases import registry_data

    credit = personas.credit_code()
    unit = registry_services.employer_register(actor="test", case=None, credit_code=credit, fields={
        "name": "武汉某某科技有限公司", "unit_type": "企业", "insurance_types": registry_data.FIVE, "district": "江岸"})
    employee = registry_data.new_person("李四")
    registry_data.employ(employee, unit)
    return {
        "employee_id": employee.id_number,
        "url": str(live_server.url),
        "offices": offices,
        "clerk": personas.staff("clerk.ja", "window_clerk", offices.district_ja),
        "street_clerk": personas.staff("clerk.street", "window_clerk", offices.street_ja),
        "person": personas.applicant("zhang.san", kind="person"),
        "password": personas.PASSWORD,
        "credit_code": credit,
        "id_number": personas.id_number(),
    }


def _login(page: Any, site: dict[str, Any], username: str) -> None:
    page.goto(site["url"] + "/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(site["password"])
    page.get_by_role("button", name="登录").click()


def test_clerk_one_notice_supplement_accept_complete(chromium: Any, site: dict[str, Any], screenshots: Path) -> None:
    from playwright.sync_api import expect

    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        _login(page, site, "clerk.ja")
        expect(page).to_have_url(re.compile(r"/work/$"))
        expect(page.get_by_role("heading", name="今日工作")).to_be_visible()

        # 窗口收件 by keyboard-friendly form fields.
        page.get_by_role("link", name="窗口收件").first.click()
        page.get_by_label("申请事项（事项编码）").fill("SBZX00016")
        page.get_by_role("radio", name="单位").check()
        page.locator("#id_applicant_name").fill("武汉某某科技有限公司")
        page.get_by_label("统一社会信用代码").fill(site["credit_code"])
        # The chosen item's data form can be drawn at intake (no JavaScript needed); left empty here.
        page.get_by_role("button", name="填写业务数据").click()
        expect(page.locator("#rd-intake-title")).to_contain_text("SBZX00016")
        expect(page.locator("#id_applicant_name")).to_have_value("武汉某某科技有限公司")
        page.screenshot(path=str(screenshots / "cases-00-intake-data-form.png"), full_page=True)
        page.get_by_role("button", name="登记并核对材料").click()
        expect(page.locator(".status")).to_have_text("待受理")
        expect(page.locator(".checklist-table tbody tr")).to_have_count(4)

        # Three of four materials at the window; the fourth is missing.
        originals = page.get_by_role("checkbox", name=re.compile("收到原件"))
        for index in range(3):
            originals.nth(index).check()
        page.screenshot(path=str(screenshots / "cases-01-checklist.png"), full_page=True)
        page.get_by_role("button", name="受理", exact=True).click()
        expect(page.locator("#form-error")).to_contain_text("材料不齐全")
        expect(page.locator(".status")).to_have_text("待受理")

        page.get_by_role("button", name="出具一次性告知书").click()
        expect(page.locator(".status")).to_have_text("待补正（已一次性告知）")
        callout = page.locator(".callout")
        expect(callout).to_contain_text("一次性告知书")
        number = re.search(r"TJA-告-\d{8}-\d{4}", callout.inner_text())
        assert number, callout.inner_text()
        page.screenshot(path=str(screenshots / "cases-02-incomplete-notice.png"), full_page=True)

        # Printing is one click: the print page opens (and calls the print dialog).
        with page.expect_popup() as popup:
            callout.get_by_role("link", name=re.compile("^打印")).click()
        sheet = popup.value
        sheet.wait_for_load_state()
        expect(sheet.locator("h1")).to_have_text("申报材料补正一次性告知书")
        expect(sheet.locator(".body")).to_contain_text("第三十二条")
        expect(sheet.locator(".body li")).to_have_count(1)
        sheet.screenshot(path=str(screenshots / "cases-03-notice-print.png"), full_page=True)
        pdf = sheet.request.get(sheet.url.split("?")[0] + "pdf/")
        assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body()[:5] == b"%PDF-"
        sheet.close()

        # The applicant brings the missing material: 补正, then 受理.
        page.get_by_role("checkbox", name=re.compile("收到原件")).nth(3).check()
        page.get_by_role("button", name="登记补正材料").click()
        expect(page.locator(".status")).to_have_text("待受理")

        # 受理 needs the declaration's registry data: the form generated from the item's schema.
        expect(page.locator("#rd-accept-note")).to_contain_text("须先登记业务数据")
        page.get_by_label("年度").fill("2026")
        page.locator("#rd-wages-0-id_number").fill("420102199003071231")
        page.get_by_role("button", name="保存业务数据并核验").click()
        expect(page.locator(".rd-errors")).to_contain_text("公民身份号码")
        page.screenshot(path=str(screenshots / "cases-04a-registry-data-error.png"), full_page=True)
        page.locator("#rd-wages-0-id_number").fill(site["employee_id"])
        page.locator("#rd-wages-0-monthly_wage").fill("6800")
        page.get_by_role("button", name="保存业务数据并核验").click()
        expect(page.locator(".flash-success")).to_contain_text("业务数据已保存")
        expect(page.locator(".finding--ok")).to_be_visible()
        page.screenshot(path=str(screenshots / "cases-04b-registry-data-saved.png"), full_page=True)
        page.get_by_role("button", name="受理", exact=True).click()
        expect(page.locator(".status")).to_have_text("办理中")
        expect(page.locator(".case-ref-big")).to_have_text(re.compile(r"^TJA\d{12}$"))
        expect(page.locator(".callout")).to_contain_text("受理通知书")
        page.screenshot(path=str(screenshots / "cases-04-accepted.png"), full_page=True)

        page.get_by_role("button", name=re.compile("^通过")).click()
        expect(page.locator(".status")).to_have_text("已办结")
        expect(page.locator(".rd-changes")).to_contain_text("6800")  # what the case changed in the registry
        expect(page.locator(".notice-list li")).to_have_count(3)
        expect(page.locator(".timeline")).to_contain_text("办结")
        page.screenshot(path=str(screenshots / "cases-05-completed.png"), full_page=True)

        page.get_by_role("navigation", name="工作台导航").get_by_role("link", name="今日工作").click()
        expect(page.locator(".empty-title")).to_contain_text("目前没有在办件")
    finally:
        context.close()


def test_applicant_applies_online_follows_and_rates(chromium: Any, site: dict[str, Any], screenshots: Path,
                                                    tmp_path: Path) -> None:
    from playwright.sync_api import expect

    from shebao.cases import services
    from shebao.cases.models import Case, StepStatus
    from tests.cases import registry_data

    scan = tmp_path / "申请表.png"
    scan.write_bytes(PNG)
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        _login(page, site, "zhang.san")
        expect(page).to_have_url(re.compile(r"/my/$"))
        page.get_by_role("link", name="在线申请").first.click()
        page.get_by_label("事项名称或编码").fill("灵活就业")
        page.get_by_role("button", name="查找").click()
        page.get_by_role("link", name="申请 灵活就业人员社会保险新参保或续保", exact=True).click()
        page.get_by_label("受理机构").select_option(label="江岸某街道政务服务中心")
        page.locator("input[type=file]").first.set_input_files(str(scan))
        page.screenshot(path=str(screenshots / "cases-06-apply-online.png"), full_page=True)
        page.get_by_role("button", name="提交申请").click()
        expect(page.locator(".status")).to_have_text("待受理")
        expect(page.locator(".m-files").first).to_contain_text("申请表.png")
        expect(page.locator(".next-step")).to_contain_text("窗口工作人员将核对您的材料")
        page.screenshot(path=str(screenshots / "cases-07-my-case-submitted.png"), full_page=True)

        # The street window checks, accepts and completes it (the clerk's screens are test 1).
        case = Case.objects.get(channel="online")
        checks = {row.material_id: services.MaterialCheck(original=True, copy=True) for row in case.materials.all()}
        services.case_check_materials(case=case, actor=site["street_clerk"], checks=checks)
        registry_data.prepare(case, site["street_clerk"])  # the window enters the enrolment data
        services.case_accept(case=case, actor=site["street_clerk"])
        while (step := case.steps.filter(status=StepStatus.ACTIVE).first()) is not None:
            case.refresh_from_db()
            services.case_step_complete(case=case, actor=site["street_clerk"], outcome="pass", note=step.name)
        case.refresh_from_db()

        # Anyone with the number and the ID tail can follow it, without logging in.
        anonymous = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        lookup = anonymous.new_page()
        lookup.goto(site["url"] + "/track/")
        lookup.get_by_label("办件编号").fill(case.number)
        lookup.get_by_label("证件号码后六位").fill("000000")
        lookup.get_by_role("button", name="查询").click()
        expect(lookup.locator("#form-error")).to_contain_text("未找到该办件")
        lookup.get_by_label("证件号码后六位").fill(site["id_number"][-6:])
        lookup.get_by_role("button", name="查询").click()
        expect(lookup.locator(".status")).to_have_text("已办结")
        expect(lookup.locator(".progress")).to_contain_text("办结")
        lookup.screenshot(path=str(screenshots / "cases-08-track.png"), full_page=True)
        anonymous.close()

        page.get_by_role("navigation", name="网上办事导航").get_by_role("link", name="我的办件").click()
        page.get_by_role("link", name=re.compile("^评价")).click()
        page.get_by_role("radio", name=re.compile("5 分")).check()
        page.get_by_label(re.compile("意见和建议")).fill("窗口办理很快")
        page.get_by_role("button", name="提交评价").click()
        expect(page.locator(".flash")).to_contain_text("感谢您的评价")
        expect(page.get_by_role("heading", name="我的评价")).to_be_visible()
        page.screenshot(path=str(screenshots / "cases-09-rated.png"), full_page=True)
    finally:
        context.close()
