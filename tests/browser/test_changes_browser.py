"""Guide change control in a real browser: an editor drafts a change (materials item by item, the
promised limit, a flow step), the policy office returns it, the editor revises, the policy office
approves, the publisher publishes it effective tomorrow; then the public changelog says "将于…生效",
the version page shows the diff field by field and the materials row by row, the guide warns of
the coming change, and the Atom feed lists the version.

Screenshots go to ``artifacts/screenshots/`` (changes-*.png).
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CODE = "SBZX00012"


@pytest.fixture
def site(live_server: Any) -> dict[str, Any]:
    """Catalog and personas, committed so the live server thread sees them."""
    from shebao.accounts.models import OrgLevel, OrgUnit, Role
    from shebao.catalog.services import catalog_ensure_loaded
    from tests.cases import personas

    catalog_ensure_loaded()
    insurance, _ = OrgUnit.objects.get_or_create(
        key="city-insurance", defaults={"name": "武汉市社会保险中心", "level": OrgLevel.CITY, "code": "SBZX"})
    policy, _ = OrgUnit.objects.get_or_create(
        key="bureau-policy", defaults={"name": "市人社局政策法规处", "level": OrgLevel.BUREAU, "code": "ZCFG"})
    personas.staff("editor.catalog", Role.CATALOG_EDITOR, insurance)
    personas.staff("policy.office", Role.POLICY_OFFICE, policy)
    return {"url": str(live_server.url), "password": personas.PASSWORD}


def _login(page: Any, site: dict[str, Any], username: str) -> None:
    page.context.clear_cookies()
    page.goto(site["url"] + "/accounts/login/?next=/changes/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(site["password"])
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/changes/$"))


def test_propose_review_publish_then_public_diff_and_changelog(
    chromium: Any, site: dict[str, Any], screenshots: Path
) -> None:
    from django.utils import timezone
    from playwright.sync_api import expect

    tomorrow = timezone.localdate() + timedelta(days=1)
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        # The editor drafts: one material removed, one added, the promised limit, a flow step.
        _login(page, site, "editor.catalog")
        page.get_by_role("link", name="起草变更提案").click()
        page.locator("#code-change").select_option(CODE)
        page.locator("form.kind-card", has=page.locator("#code-change")).get_by_role("button", name="下一步").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("修改事项")
        page.get_by_label("承诺时限").fill("2个工作日")
        page.locator("#id_m-1-DELETE").check()
        rows = page.locator("table.materials-edit tbody tr")
        blank = rows.count() - 2  # the first of the two empty rows
        page.locator(f"#id_m-{blank}-text").fill("单位经办人身份证原件")
        page.locator(f"#id_m-{blank}-original_count").fill("1")
        steps = page.get_by_label("运行流程")
        steps.fill(steps.input_value() + "\n办结后短信告知单位经办人")
        page.get_by_label("变更理由").fill("精简申报材料，压缩承诺时限")
        page.get_by_label("拟生效日期").fill(tomorrow.isoformat())
        page.get_by_role("button", name="保存为草稿").click()
        page.wait_for_url(re.compile(r"/changes/\d+/$"))
        proposal_url = page.url
        expect(page.locator(".status")).to_have_text("草稿")
        materials = page.locator("#diff-SBZX00012-materials")
        expect(materials.locator(".row-tag--delete")).to_have_count(1)
        expect(materials.locator(".row-tag--insert")).to_have_count(1)
        expect(materials.locator("ins")).to_contain_text("单位经办人身份证原件")
        page.get_by_role("button", name="提交政策法规处审核").click()
        expect(page.locator(".status")).to_have_text("待审核")

        # The policy office returns it with a comment.
        _login(page, site, "policy.office")
        page.goto(proposal_url)
        page.get_by_label(re.compile("审核意见")).fill("请写明短信告知的时限")
        page.get_by_role("button", name="退回修改").click()
        expect(page.locator(".status")).to_have_text("退回修改")
        expect(page.locator(".review-comment")).to_contain_text("请写明短信告知的时限")
        page.screenshot(path=str(screenshots / "changes-01-returned.png"), full_page=True)

        # The editor revises and resubmits.
        _login(page, site, "editor.catalog")
        page.goto(proposal_url)
        page.get_by_role("link", name="修改提案内容").click()
        expect(page.locator(".review-comment")).to_contain_text("请写明短信告知的时限")
        steps = page.get_by_label("运行流程")
        steps.fill(steps.input_value().replace("办结后短信告知单位经办人", "办结后1个工作日内短信告知单位经办人"))
        page.get_by_role("button", name="保存修改").click()
        expect(page.locator("#diff-SBZX00012-flow_steps ins")).to_contain_text("1个工作日内")
        page.get_by_role("button", name="提交政策法规处审核").click()
        # Publishing is not offered before approval.
        expect(page.get_by_role("button", name="发布", exact=True)).to_have_count(0)

        # Approved by the policy office, published by 市社保中心.
        _login(page, site, "policy.office")
        page.goto(proposal_url)
        page.get_by_role("button", name="审核通过").click()
        expect(page.locator(".status")).to_have_text("审核通过，待发布")
        _login(page, site, "editor.catalog")
        page.goto(proposal_url)
        page.get_by_role("button", name="发布", exact=True).click()
        expect(page.locator(".flash--success")).to_contain_text("已发布为第 2 版")
        expect(page.locator(".timeline-item")).to_have_count(7)
        page.screenshot(path=str(screenshots / "changes-02-published.png"), full_page=True)

        # The public changelog: version 2 takes effect tomorrow; version 1 is in force.
        page.context.clear_cookies()
        page.goto(site["url"] + "/changelog/")
        expect(page.get_by_role("heading", name="办事指南变更公告")).to_be_visible()
        entry = page.locator("#v2")
        expect(entry.locator(".vstate")).to_have_text(f"将于{tomorrow.year}年{tomorrow.month}月{tomorrow.day}日生效")
        expect(entry).to_contain_text("精简申报材料，压缩承诺时限")
        expect(entry).to_contain_text("申报材料、承诺时限、运行流程")
        expect(page.locator("#v1 .vstate")).to_have_text("现行版本")
        page.screenshot(path=str(screenshots / "changes-03-changelog.png"), full_page=True)

        # The diff view: field by field, materials and flow steps row by row.
        entry.get_by_role("link", name="查看逐项差异").click()
        page.wait_for_url(re.compile(r"/versions/2/#diff-SBZX00012$"))
        expect(page.get_by_role("heading", name="与第 1 版相比")).to_be_visible()
        limit = page.locator("#diff-SBZX00012-promised_limit")
        expect(limit.locator("del")).to_contain_text("3")
        expect(limit.locator("ins")).to_contain_text("2")
        flow = page.locator("#diff-SBZX00012-flow_steps")
        expect(flow.locator(".row-tag--insert")).to_have_count(1)
        expect(flow.locator(".diff-row--insert")).to_contain_text("办结后1个工作日内短信告知单位经办人")
        page.screenshot(path=str(screenshots / "changes-04-version-diff.png"), full_page=True)

        # The guide in force warns of the coming change and links to the new version.
        page.goto(site["url"] + f"/items/{CODE}/")
        expect(page.locator(".guide-version")).to_contain_text("第 1 版指南")
        notice = page.locator(".guide-version-alert")
        expect(notice).to_contain_text("第 2 版")
        notice.get_by_role("link", name="查看新版指南").click()
        expect(page.locator(".guide-version")).to_contain_text("第 2 版指南")
        expect(page.locator(".summary-limits")).to_contain_text("2个工作日")
        page.screenshot(path=str(screenshots / "changes-05-next-guide.png"), full_page=False)

        # The Atom feed lists version 2.
        feed = page.request.get(site["url"] + "/changelog/feed.atom")
        assert feed.ok and "application/atom+xml" in feed.headers["content-type"]
        assert "第 2 版" in feed.text() and "精简申报材料" in feed.text()
    finally:
        context.close()
