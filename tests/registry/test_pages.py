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
