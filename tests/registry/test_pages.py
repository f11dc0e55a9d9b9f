"""Staff registry pages: search by code, ID, name and pinyin; the employer and person pages; staff only;
the forced password change page."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client, override_settings

from shebao.accounts.models import Role
from shebao.registry import services

from ..cases import personas
from .conftest import Reg

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(reg: Reg) -> Client:
    client = Client()
    client.force_login(personas.staff("clerk.pages", Role.WINDOW_CLERK, reg.offices.district_ja))
    return client


def test_search_by_code_id_name_and_pinyin(reg: Reg, staff_client: Client) -> None:
    employer = reg.employer(name="武汉光谷科技有限公司")
    person = reg.person(name="张伟")
    reg.employ(person, employer)
    assert staff_client.get("/registry/", {"q": employer.credit_code})["Location"] == f"/registry/employers/{employer.code}/"
    assert staff_client.get("/registry/", {"q": person.id_number.lower()})["Location"] == f"/registry/persons/{person.ssn}/"
    assert staff_client.get("/registry/", {"q": person.ssn}).status_code == 302
    by_name = staff_client.get("/registry/", {"q": "光谷"})
    assert by_name.status_code == 302  # one match: straight to the page
    other = reg.person(name="张伟")
    listing = staff_client.get("/registry/", {"q": "zw"})
    content = listing.content.decode()
    assert listing.status_code == 200 and person.ssn in content and other.ssn in content
    assert staff_client.get("/registry/", {"q": "whgg"})["Location"] == f"/registry/employers/{employer.code}/"


def test_employer_and_person_pages(reg: Reg, staff_client: Client) -> None:
    employer = reg.employer(name="武汉页面测试有限公司")
    person = reg.person(name="李娜", sex="F", born="19850101")
    reg.employ(person, employer)
    reg.run("XXZX00001", {}, person=person)
    page = staff_client.get(f"/registry/employers/{employer.code}/").content.decode()
    assert "武汉页面测试有限公司" in page and "李娜" in page and "参保缴费" in page and "字段变更记录" in page
    page = staff_client.get(f"/registry/persons/{person.ssn}/").content.decode()
    assert "社会保障卡" in page and "已发卡，待启用" in page and "新增制卡申领" in page and "武汉页面测试有限公司" in page
    assert staff_client.get("/registry/persons/1999999999/").status_code == 404
    assert "SBZX00001" in staff_client.get("/registry/items/").content.decode()


def test_pages_are_staff_only(reg: Reg) -> None:
    client = Client()
    assert client.get("/registry/")["Location"].startswith("/accounts/login/")
    client.force_login(personas.applicant("zhang.san.pages", kind="person"))
    assert client.get("/registry/").status_code == 403


@override_settings(MIDDLEWARE=[*settings.MIDDLEWARE, "shebao.registry.middleware.ForcePasswordChangeMiddleware"])
def test_forced_password_change_page(reg: Reg) -> None:
    employer = reg.employer(name="武汉首登有限公司")
    username, password = services.employer_account_issue(actor="test", case=None, employer=employer)
    assert password
    client = Client()
    client.post("/accounts/login/", {"username": username, "password": password})
    redirected = client.get("/my/")
    assert redirected.status_code == 302 and redirected["Location"].startswith("/registry/account/password/")
    page = client.get(redirected["Location"]).content.decode()
    assert "首次登录须先设置自己的密码" in page
    done = client.post("/registry/account/password/", {"old_password": password, "new_password1": "Shouden#2026x",
                                                      "new_password2": "Shouden#2026x", "next": "/my/"})
    assert done.status_code == 302 and done["Location"] == "/my/"
    assert client.get("/my/").status_code in {200, 302}
    assert not client.get("/registry/account/password/").content.decode().count("首次登录须先设置")


def test_employer_staff_list_is_paged_by_person_in_the_database(reg: Reg, staff_client: Client) -> None:
    """An employer may have tens of thousands of relationships: the page reads one page of persons
    (insured first, then leavers, each by name) with all of their relationships, never a cut list."""
    from datetime import date

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shebao.registry import selectors

    employer = reg.employer(name="武汉分页测试有限公司", types=["pension", "medical", "injury"])
    names = ["赵一", "钱二", "孙三", "李四", "周五"]
    people = {name: reg.person(name=name) for name in names}
    for person in people.values():
        reg.employ(person, employer)
    for rel in people["钱二"].relationships.all():  # 钱二 has left: listed after everyone insured
        services.relationship_stop(actor="test", case=None, relationship=rel, stop_on=date(2025, 6, 30),
                                   reason="解除劳动合同")

    seen: list[str] = []
    counts = []
    for number in (1, 2, 3):
        with CaptureQueriesContext(connection) as queries:
            page, rows = selectors.employer_employees_page(employer=employer, page=number, per_page=2)
        counts.append(len(queries))
        assert page.paginator.count == 5 and page.paginator.num_pages == 3
        for row in rows:  # every relationship of the person, never split across pages
            assert len(row.relationships) == 3
        seen += [row.person.name for row in rows]
    # (Name order is the database's collation: code points here, pinyin under zh_CN; both group alike.)
    assert sorted(seen[:4]) == sorted(n for n in names if n != "钱二") and seen[4] == "钱二"
    assert counts[0] == counts[1]  # a page costs the same statements wherever it is

    # Through the page: the pager counts persons, keeps the list's anchor, and a page past the end
    # shows the last one.
    for number in range(60):
        reg.employ(reg.person(name=f"王{number:02d}"), employer, types=["pension"])
    first = staff_client.get(f"/registry/employers/{employer.code}/").content.decode()
    assert "第 1 页 / 共 2 页（65 人）" in first and "page=2#h-emp" in first
    last = staff_client.get(f"/registry/employers/{employer.code}/", {"page": "99"}).content.decode()
    assert "第 2 页 / 共 2 页" in last and "钱二" in last and last.count('class="mono"><a href="/registry/persons/') == 15
