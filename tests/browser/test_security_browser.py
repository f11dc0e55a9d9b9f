"""The security pages in a real browser, with the Content-Security-Policy on.

* No page of the main journeys reports a CSP violation (chromium logs "Refused to …" on the
  console for each), and HTMX's live search still works under the policy.
* A clerk binds an authenticator (QR code rendered), signs in again and passes the second step.
* The lockout page after five wrong passwords; the supervisors' access log.

Screenshots go to ``artifacts/screenshots/`` (security-*.png).
"""

from __future__ import annotations

import base64
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server: Any) -> dict[str, Any]:
    from shebao.accounts.models import Role
    from shebao.accounts.services import role_groups_ensure
    from shebao.catalog.services import catalog_ensure_loaded
    from tests.cases import personas

    catalog_ensure_loaded()
    role_groups_ensure(actor="test")
    offices = personas.offices()
    return {
        "url": str(live_server.url), "password": personas.PASSWORD,
        "clerk": personas.staff("clerk.sec", Role.WINDOW_CLERK, offices.district_ja),
        "supervisor": personas.staff("supervisor.sec", Role.SUPERVISOR, offices.bureau_pension),
    }


def _watch(page: Any) -> list[str]:
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    return refused


def _login(page: Any, site: dict[str, Any], username: str, password: str | None = None) -> None:
    page.goto(site["url"] + "/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password or site["password"])
    page.get_by_role("button", name="登录").click()


def test_pages_run_under_the_csp_without_violations(chromium: Any, site: dict[str, Any], screenshots: Path) -> None:
    from playwright.sync_api import expect

    context = chromium.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page = context.new_page()
    refused = _watch(page)
    try:
        for path in ("/", "/items/", "/items/SBZX00001/", "/offices/", "/track/", "/accounts/login/"):
            page.goto(site["url"] + path)
            page.wait_for_load_state("networkidle")
        # HTMX live search still swaps results in (no inline script, no eval needed).
        page.goto(site["url"] + "/items/")
        page.locator("#list-q").fill("dwcb")
        expect(page.locator("#results")).to_contain_text("单位职工社会保险新参保及续保")
        _login(page, site, "clerk.sec")
        expect(page).to_have_url(re.compile(r"/work/$"))
        for path in ("/work/cases/", "/work/new/", "/registry/", "/accounts/profile/"):
            page.goto(site["url"] + path)
            page.wait_for_load_state("networkidle")
        assert refused == []
    finally:
        context.close()


def test_clerk_binds_an_authenticator_and_then_needs_a_code(chromium: Any, site: dict[str, Any],
                                                          screenshots: Path) -> None:
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from playwright.sync_api import expect

    context = chromium.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    refused = _watch(page)
    try:
        _login(page, site, "clerk.sec")
        page.goto(site["url"] + "/accounts/profile/")
        page.get_by_role("link", name="绑定身份验证器").click()
        expect(page.get_by_role("heading", name="绑定身份验证器")).to_be_visible()
        expect(page.locator(".otp-qr svg")).to_be_visible()
        page.screenshot(path=str(screenshots / "security-01-otp-setup.png"), full_page=True)
        secret = page.locator(".otp-secret").inner_text().replace(" ", "")
        key = base64.b32decode(secret + "=" * (-len(secret) % 8))
        page.get_by_label("动态码").fill("000000" if TOTP(key).token() != 0 else "111111")
        page.get_by_role("button", name="完成绑定").click()
        expect(page.locator(".alert-error")).to_contain_text("动态码不正确")
        page.get_by_label("动态码").fill(f"{TOTP(key).token():06d}")
        page.get_by_role("button", name="完成绑定").click()
        expect(page).to_have_url(re.compile(r"/work/$"))
        assert TOTPDevice.objects.filter(user=site["clerk"], confirmed=True).exists()

        page.goto(site["url"] + "/accounts/profile/")
        page.get_by_role("button", name="退出登录").click()
        _login(page, site, "clerk.sec")
        expect(page).to_have_url(re.compile(r"/accounts/otp/verify/"))
        page.screenshot(path=str(screenshots / "security-02-otp-verify.png"), full_page=True)
        generator = TOTP(key)
        generator.time += 30  # the current step's code was used at enrolment
        page.get_by_label("动态码").fill(f"{generator.token():06d}")
        page.get_by_role("button", name="验证并进入").click()
        expect(page).to_have_url(re.compile(r"/work/$"))
        assert refused == []
    finally:
        context.close()


def test_lockout_page_and_access_log(chromium: Any, site: dict[str, Any], screenshots: Path) -> None:
    from playwright.sync_api import expect

    context = chromium.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page = context.new_page()
    try:
        for _ in range(5):
            _login(page, site, "clerk.sec", "wrong-password-9")
        expect(page.get_by_role("heading", name="登录已暂时锁定")).to_be_visible()
        page.screenshot(path=str(screenshots / "security-03-locked-out.png"), full_page=True)

        from shebao.registry import services

        person = services.person_register(actor="test", case=None, fields={
            "id_number": "420102198503151234", "name": "陈明", "sex": "M",
            "birth_date": date(1985, 3, 15)})
        other = chromium.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
        viewer = other.new_page()
        _login(viewer, site, "supervisor.sec")
        viewer.goto(site["url"] + f"/registry/persons/{person.ssn}/")
        expect(viewer.get_by_text("4201**********1234")).to_be_visible()
        viewer.goto(site["url"] + "/supervision/")
        viewer.get_by_role("link", name="查阅记录").click()
        expect(viewer.get_by_role("heading", name="个人信息查阅记录")).to_be_visible()
        expect(viewer.locator("tbody")).to_contain_text("supervisor.sec")
        viewer.screenshot(path=str(screenshots / "security-04-access-log.png"), full_page=True)
        other.close()
    finally:
        context.close()
