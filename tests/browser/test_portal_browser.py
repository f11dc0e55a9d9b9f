"""The public portal in a real browser: search in Chinese and by pinyin initials, open a
guide, switch to large type, print; and the same search with JavaScript switched off.

Screenshots go to ``artifacts/screenshots/``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def portal_url(live_server: Any) -> str:
    from shebao.catalog.services import catalog_ensure_loaded

    catalog_ensure_loaded()  # committed, so the live server thread sees it
    return str(live_server.url)


def test_search_open_guide_large_type_and_print(chromium: Any, portal_url: str, screenshots: Path) -> None:
    from playwright.sync_api import expect

    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        # Home: bureau, hotline, the search box first.
        page.goto(portal_url + "/")
        expect(page.locator(".brand-name")).to_have_text("武汉市人力资源和社会保障局")
        expect(page.locator(".hotline-number")).to_have_text("12333")
        expect(page.get_by_role("link", name=re.compile("个人办事")).first).to_be_visible()
        page.screenshot(path=str(screenshots / "01-home.png"), full_page=True)

        # Search in Chinese from the home page (a plain form submit).
        page.get_by_label("搜索服务事项").fill("养老")
        page.get_by_role("button", name="搜索").click()
        page.wait_for_url(re.compile(r"/items/\?q="))
        expect(page.locator(".results-count")).to_contain_text("找到")
        expect(page.locator("mark", has_text="养老").first).to_be_visible()
        count = page.locator(".item-card").count()
        assert count > 10
        page.screenshot(path=str(screenshots / "02-search-yanglao.png"), full_page=False)

        # Pinyin initials in the list's search box: HTMX swaps the results while typing.
        page.locator("#list-q").fill("dwcb")
        first = page.locator(".item-card .item-name a").first
        expect(first).to_have_text("调整单位参保期间的基本养老保险缴费工资")
        expect(page.locator(".item-card mark").first).to_have_text("单位参保")
        expect(page).to_have_url(re.compile(r"/items/\?q=dwcb$"))
        # Screen readers hear the new count from a status region, not the whole list.
        expect(page.locator("#results-status")).to_contain_text("找到")
        assert page.locator(".item-card").count() >= 29
        page.screenshot(path=str(screenshots / "03-search-dwcb.png"), full_page=False)

        # Open a guide: sections in order, materials as a checklist, numbered flow.
        page.goto(portal_url + "/items/YBZX00001/")
        expect(page.locator("h1")).to_have_text("居民医疗保险、大学生医疗保险市外就医、紧急抢救费用现金报销")
        # Keyboard: the first Tab lands on the skip link, which takes focus to the content.
        page.keyboard.press("Tab")
        expect(page.locator(".skip-link")).to_be_focused()
        expect(page.locator(".skip-link")).to_be_in_viewport()
        page.keyboard.press("Enter")
        expect(page.locator("main#main")).to_be_focused()
        headings = page.locator(".guide-section h2").all_inner_texts()
        assert [h.split()[-1] for h in headings][:6] == [
            "办事条件",
            "申报材料",
            "办理时限",
            "运行流程",
            "承办机构与咨询方式",
            "监督投诉",
        ]
        first_box = page.locator(".checklist input[type=checkbox]").first
        first_box.check()
        expect(first_box).to_be_checked()
        expect(page.locator(".limits-table")).to_contain_text("15个工作日")
        expect(page.locator(".contacts-table")).to_contain_text("027-59598555")
        expect(page.locator(".js-print")).to_be_visible()  # shown by the local script
        page.screenshot(path=str(screenshots / "04-guide-YBZX00001.png"), full_page=True)

        # Large type (适老化): a plain link that sets a cookie and comes back.
        normal_size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        page.get_by_role("link", name=re.compile("大字版")).click()
        page.wait_for_url(re.compile(r"/items/YBZX00001/$"))
        expect(page.locator("html")).to_have_class(re.compile("large-type"))
        large_size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert large_size >= normal_size * 1.25
        page.screenshot(path=str(screenshots / "05-guide-large-type.png"), full_page=False)
        page.get_by_role("link", name="标准字号").click()
        expect(page.locator("html")).not_to_have_class(re.compile("large-type"))

        # Print: no navigation, the header stays, A4.
        page.goto(portal_url + "/items/GSC00001/")
        page.emulate_media(media="print")
        expect(page.locator(".main-nav")).to_be_hidden()
        expect(page.locator(".guide-toc")).to_be_hidden()
        expect(page.locator(".brand-name")).to_be_visible()
        page.pdf(path=str(screenshots / "06-guide-GSC00001-print.pdf"), format="A4")
        page.screenshot(path=str(screenshots / "06-guide-GSC00001-print.png"), full_page=True)
    finally:
        context.close()


def test_everything_works_without_javascript(chromium: Any, portal_url: str, screenshots: Path) -> None:
    from playwright.sync_api import expect

    context = chromium.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(portal_url + "/items/")
        page.locator("#list-q").fill("dwcb")
        page.locator("#f-section").select_option("1")
        page.get_by_role("button", name="筛选").click()
        page.wait_for_url(re.compile(r"q=dwcb.*section=1|section=1.*q=dwcb"))
        expect(page.locator(".item-card .item-name a").first).to_have_text(
            "调整单位参保期间的基本养老保险缴费工资"
        )
        # Filters by 办理方式 and 办事对象 from the form.
        page.goto(portal_url + "/items/")
        page.locator("input[name=mode][value=online]").check()
        page.locator("input[name=applicant][value=unit]").check()
        page.get_by_role("button", name="筛选").click()
        expect(page.locator(".results-count")).to_contain_text("网上办")
        expect(page.locator(".item-card").first.locator(".tag-online")).to_be_visible()
        # The print button needs a script and stays hidden; the large-type link still works.
        page.goto(portal_url + "/items/SBZX00001/")
        expect(page.locator(".js-print")).to_be_hidden()
        page.get_by_role("link", name=re.compile("大字版")).click()
        expect(page.locator("html")).to_have_class(re.compile("large-type"))
        page.screenshot(path=str(screenshots / "07-no-js-large-type.png"), full_page=False)
        # A bad parameter explains itself.
        response = page.goto(portal_url + "/items/?mode=xyz")
        assert response is not None and response.status == 400
        expect(page.get_by_role("alert")).to_contain_text("办理类型“xyz”无效")
    finally:
        context.close()
