"""Login, logout, the account page, the header link and the admin, in Chinese."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from shebao.accounts.models import OrgUnit
from shebao.catalog.models import CatalogVersion

from .conftest import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.accounts.urls")]


def test_login_page_renders_in_chinese(client: Client, catalog: CatalogVersion) -> None:
    response = client.get(reverse("accounts:login"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-Hans"' in html
    assert "<title>登录 - 武汉市人力资源和社会保障局</title>" in html
    for text in ("用户名", "密码", "工作人员和网上办事用户", "12333", 'name="csrfmiddlewaretoken"'):
        assert text in html
    assert 'autocomplete="current-password"' in html
    assert "shebao/accounts/accounts.css" in html


def test_login_page_in_chinese_even_for_an_english_browser(client: Client, catalog: CatalogVersion) -> None:
    response = client.post(
        reverse("accounts:login"), {"username": "", "password": ""}, HTTP_ACCEPT_LANGUAGE="en",
    )
    html = response.content.decode()
    assert "请填写用户名。" in html and "请填写密码。" in html


def test_wrong_password_is_refused_in_chinese(client: Client, clerk: Any) -> None:
    response = client.post(reverse("accounts:login"), {"username": "clerk.test", "password": "wrong"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "用户名或密码不对" in html and 'role="alert"' in html
    assert "_auth_user_id" not in client.session


def test_login_shows_the_account_then_logout(client: Client, clerk: Any, org_units: dict[str, OrgUnit]) -> None:
    response = client.post(reverse("accounts:login"), {"username": "clerk.test", "password": PASSWORD})
    # Without ?next=, staff land on the workbench (settings.LOGIN_REDIRECT_URL dispatches by role).
    assert response.status_code == 302 and response["Location"] == reverse("web:home")
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "我的账户" in page and "测试受理员" in page and "窗口受理人员" in page
    assert "江岸社保处（区社保经办机构）" in page
    # The header's utility bar names the user and links to the account page.
    home = client.get(reverse("catalog:home")).content.decode()
    assert f'href="{reverse("accounts:profile")}"' in home and "测试受理员" in home

    assert client.get(reverse("accounts:logout")).status_code == 405  # logout is a POST
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 200 and "您已安全退出" in response.content.decode()
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_login_follows_next_and_refuses_foreign_hosts(client: Client, clerk: Any) -> None:
    url = reverse("accounts:login")
    response = client.post(url, {"username": "clerk.test", "password": PASSWORD, "next": "/items/"})
    assert response["Location"] == "/items/"
    client.logout()
    response = client.post(url, {"username": "clerk.test", "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == reverse("web:home")


def test_profile_requires_login_and_masks_the_id_number(client: Client, person: Any) -> None:
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login") + "?next=")
    client.force_login(person)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "办事个人" in page and "4201**********1234" in page and "420102198503151234" not in page


def test_header_offers_login_to_anonymous_readers(client: Client, catalog: CatalogVersion) -> None:
    html = client.get(reverse("catalog:item_list")).content.decode()
    assert f'href="{reverse("accounts:login")}?next=/items/"' in html and ">登录</a>" in html


@pytest.mark.urls("tests.accounts.urls_without_accounts")
def test_header_renders_without_the_accounts_urls(client: Client, catalog: CatalogVersion) -> None:
    response = client.get("/")
    assert response.status_code == 200 and ">登录</a>" not in response.content.decode()


def test_admin_lists_units_and_profiles(client: Client, org_units: dict[str, OrgUnit], person: Any) -> None:
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser(username="root", password=PASSWORD, email="")
    client.force_login(root)
    for name in ("orgunit", "staffprofile", "applicantprofile"):
        response = client.get(reverse(f"admin:accounts_{name}_changelist"))
        assert response.status_code == 200, name
    assert "江岸社保处" in client.get(reverse("admin:accounts_orgunit_changelist")).content.decode()
    unit = org_units["district-01"]
    page = client.get(reverse("admin:accounts_orgunit_change", args=[unit.pk])).content.decode()
    assert 'name="code"' not in page  # the code is read-only once created
    assert client.get(reverse("admin:auth_user_change", args=[person.pk])).status_code == 200
