"""Accounts (issue #9 item 5): Argon2, lockout (django-axes), session and CSRF cookies, security
headers and CSP, password rules in Chinese, and the optional TOTP second step for staff."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP, totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from config import settings as config_settings
from shebao.accounts.models import Role
from shebao.accounts.otp import PENDING_KEY
from shebao.core.audit import audit_verify
from shebao.core.models import AuditEvent
from tests.cases import personas
from tests.cases.personas import PASSWORD

LOGIN = "/accounts/login/"


@dataclass
class People:
    clerk: User
    reviewer: User
    supervisor: User
    finance: User
    person: User


@pytest.fixture
def world(catalog: Any) -> People:
    """One account per role these tests need (personas from tests/cases)."""
    o = personas.offices()
    return People(
        clerk=personas.staff("clerk.ja", Role.WINDOW_CLERK, o.district_ja),
        reviewer=personas.staff("reviewer.ja", Role.REVIEWER, o.district_ja),
        supervisor=personas.staff("supervisor", Role.SUPERVISOR, o.bureau_pension),
        finance=personas.staff("finance.city", Role.FINANCE, o.city_injury),
        person=personas.applicant("zhang.san", kind="person"),
    )
ROOT = Path(__file__).resolve().parents[2]


def _login(client: Client, username: str, password: str, ip: str = "10.1.1.1") -> Any:
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


# --------------------------------------------------------------------------- hashing


def test_new_passwords_are_hashed_with_argon2id(settings: Any) -> None:
    settings.PASSWORD_HASHERS = config_settings.PASSWORD_HASHERS
    assert config_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert make_password("shebao-demo-2017").startswith("argon2$argon2id$")


@pytest.mark.django_db
def test_an_older_pbkdf2_hash_is_upgraded_to_argon2_at_login(settings: Any, client: Client) -> None:
    settings.PASSWORD_HASHERS = config_settings.PASSWORD_HASHERS
    user = User.objects.create(username="old.clerk", password=make_password(PASSWORD, hasher="pbkdf2_sha256"))
    assert user.password.startswith("pbkdf2_sha256$")
    assert _login(client, "old.clerk", PASSWORD).status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")


# --------------------------------------------------------------------------- lockout


def test_five_wrong_passwords_lock_the_username_from_that_address(client: Client, world: People) -> None:
    name = world.clerk.username
    for attempt in range(1, 5):
        response = _login(client, name, "wrong-password-1")
        assert response.status_code == 200 and "用户名或密码不对" in response.content.decode(), attempt
    locked = _login(client, name, "wrong-password-1")
    page = locked.content.decode()
    assert locked.status_code == 429 and "登录已暂时锁定" in page and "连续输错 5 次" in page and "30 分钟" in page
    # Locked means locked: the right password is refused too, and nothing is signed in.
    right = _login(client, name, PASSWORD)
    assert right.status_code == 429 and "_auth_user_id" not in client.session
    # A forged X-Forwarded-For does not make the same client look like another one.
    forged = client.post(LOGIN, {"username": name, "password": PASSWORD}, REMOTE_ADDR="10.1.1.1",
                         HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert forged.status_code == 429
    event = AuditEvent.objects.filter(action="account.locked_out", object_id=name).get()
    assert event.payload["ip"] == "10.1.1.1" and event.payload["failures"] == 5
    assert AuditEvent.objects.filter(action="account.login_refused_while_locked", object_id=name).count() == 2
    assert audit_verify()[1] == []

    # The same username from another address (a different window PC) is not locked …
    other = Client()
    assert _login(other, name, PASSWORD, ip="10.1.1.2").status_code == 302
    # … and an administrator can lift the lock early (axes_reset, or the admin's access attempts).
    axes_reset(username=name)
    assert _login(Client(), name, PASSWORD).status_code == 302


def test_a_successful_login_resets_the_failure_count(client: Client, world: People) -> None:
    name = world.reviewer.username
    for _ in range(4):
        _login(client, name, "wrong-password-1")
    assert _login(client, name, PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username=name, failures_since_start__gt=0).exists()
    fresh = Client()
    for _ in range(4):
        assert _login(fresh, name, "wrong-password-1").status_code == 200  # counting starts again


# --------------------------------------------------------------------------- sessions, cookies, headers


def test_session_cookie_is_httponly_samesite_and_ends_with_the_browser_or_after_idle_time(
        client: Client, world: People) -> None:
    response = _login(client, world.clerk.username, PASSWORD)
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert not cookie["expires"] and not cookie["max-age"]  # a session cookie: gone when the browser closes
    assert not cookie["secure"]  # plain-HTTP development; SHEBAO_HTTPS=1 sets it (next test)
    csrf = client.get(LOGIN).cookies.get("csrftoken") or client.cookies["csrftoken"]
    assert csrf["httponly"] and csrf["samesite"] == "Lax"

    key = client.session.session_key
    before = Session.objects.get(session_key=key).expire_date
    assert (before - timezone.now()).total_seconds() == pytest.approx(30 * 60, abs=5)
    # Idle for more than 30 minutes: the session has expired and the clerk must sign in again.
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timezone.timedelta(seconds=1))
    assert client.get("/work/").status_code == 302


def test_every_request_renews_the_idle_timeout(client: Client, world: People) -> None:
    client.force_login(world.clerk)
    key = client.session.session_key
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + timezone.timedelta(minutes=1))
    assert client.get("/work/").status_code == 200
    left = (Session.objects.get(session_key=key).expire_date - timezone.now()).total_seconds()
    assert left > 29 * 60


def _settings_in(env: dict[str, str], *names: str) -> list[str]:
    code = ("import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); django.setup();"
            "from django.conf import settings as s; print('|'.join(repr(getattr(s, n, None)) for n in "
            f"{list(names)!r}))")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SHEBAO_HTTPS")}
    out = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True,
                         cwd=ROOT, check=True)
    return out.stdout.strip().split("|")


def test_secure_cookie_flags_and_hsts_come_with_shebao_https() -> None:
    names = ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS", "SECURE_PROXY_SSL_HEADER")
    assert _settings_in({}, *names) == ["False", "False", "0", "None"]
    assert _settings_in({"SHEBAO_HTTPS": "1"}, *names) == [
        "True", "True", "31536000", "('HTTP_X_FORWARDED_PROTO', 'https')"]


@pytest.mark.django_db
def test_security_headers_on_every_page(client: Client, catalog: Any) -> None:
    for path in ("/", "/items/", LOGIN, "/track/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        csp = response["Content-Security-Policy"]
        for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'",
                          "frame-ancestors 'none'", "form-action 'self'", "base-uri 'self'"):
            assert directive in csp, (path, directive)
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle=\"", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+=\"", re.I), "inline event handler"),
    (re.compile(r"\bhx-on", re.I), "hx-on (evaluated script)"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_no_template_needs_unsafe_inline() -> None:
    """The CSP allows no inline script or style; a template that used one would break silently."""
    found = []
    for template in sorted((ROOT / "shebao").rglob("templates/**/*.html")):
        text = template.read_text(encoding="utf-8")
        for pattern, what in INLINE:
            if pattern.search(text):
                found.append(f"{template.relative_to(ROOT)}: {what}")
    assert found == []
    base = (ROOT / "shebao/core/templates/base.html").read_text(encoding="utf-8")
    assert '"includeIndicatorStyles":false' in base  # htmx would otherwise inject a <style>


# --------------------------------------------------------------------------- password rules


@pytest.mark.parametrize(("password", "message"), [
    ("a1b2c3", "密码太短：至少需要 10 个字符"),
    ("abcdefghijkl", "密码须同时包含字母和数字"),
    ("1234567890123", "密码只包含数字"),
    ("password123", "太常见"),
])
def test_password_rules_refuse_with_chinese_messages(password: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_password(password)
    assert any(message in m for m in caught.value.messages), caught.value.messages


def test_a_good_password_passes() -> None:
    validate_password("Wuhan-shebao-2017")


# --------------------------------------------------------------------------- TOTP


def _code(client: Client, *, drift: int = 0) -> str:
    key = bytes.fromhex(client.session[PENDING_KEY])
    return f"{totp(key, drift=drift):06d}"


def _device_code(device: TOTPDevice, *, step_offset: int = 0) -> str:
    """The code the app shows ``step_offset`` steps from now (the device accepts one step of
    drift; the current step's code was used at enrolment and cannot be replayed)."""
    generator = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    generator.time = time.time() + step_offset * device.step
    return f"{generator.token():06d}"


def test_staff_enrol_a_totp_app_and_then_need_a_code_after_the_password(client: Client, world: People) -> None:
    client.force_login(world.clerk)
    page = client.get("/accounts/otp/setup/")
    html = page.content.decode()
    assert page.status_code == 200 and "otpauth://totp/" in html and "<svg" in html and "issuer=" in html
    wrong = client.post("/accounts/otp/setup/", {"otp_token": "000000" if _code(client) != "000000" else "111111"})
    assert wrong.status_code == 422 and "动态码不正确" in wrong.content.decode()
    assert not TOTPDevice.objects.exists()
    bad = client.post("/accounts/otp/setup/", {"otp_token": "12ab"})
    assert bad.status_code == 422 and "6 位数字" in bad.content.decode()

    done = client.post("/accounts/otp/setup/", {"otp_token": _code(client), "next": "/work/"})
    assert done.status_code == 302 and done["Location"] == "/work/"
    device = TOTPDevice.objects.get(user=world.clerk, confirmed=True)
    assert AuditEvent.objects.filter(action="account.otp_enrolled", object_id=world.clerk.username).exists()
    assert client.get("/work/").status_code == 200  # this session is verified

    # A new login: the password alone does not open the workbench or the API.
    second = Client()
    second.force_login(world.clerk)
    response = second.get("/work/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/otp/verify/?next=")
    api = second.get("/api/v1/cases")
    assert api.status_code == 403 and api.json()["error"] == "otp_required"
    assert second.post("/accounts/otp/verify/", {"otp_token": "99999x"}).status_code == 422
    device.refresh_from_db()
    ok = second.post("/accounts/otp/verify/", {"otp_token": _device_code(device, step_offset=1), "next": "/work/"})
    assert ok.status_code == 302 and ok["Location"] == "/work/"
    assert second.get("/work/").status_code == 200


def test_a_used_code_cannot_be_replayed(client: Client, world: People) -> None:
    client.force_login(world.reviewer)
    client.get("/accounts/otp/setup/")
    code = _code(client)
    client.post("/accounts/otp/setup/", {"otp_token": code})
    replay = Client()
    replay.force_login(world.reviewer)
    assert replay.post("/accounts/otp/verify/", {"otp_token": code}).status_code == 422


def test_roles_listed_in_the_setting_must_enrol(settings: Any, client: Client, world: People) -> None:
    settings.SHEBAO_OTP_REQUIRED_ROLES = [Role.SUPERVISOR]
    client.force_login(world.supervisor)
    response = client.get("/supervision/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/otp/setup/")
    assert "岗位要求" in client.get("/accounts/otp/setup/").content.decode()
    client.force_login(world.clerk)  # a role not listed works without
    assert client.get("/work/").status_code == 200
    client.force_login(world.person)  # applicants never
    assert client.get("/my/").status_code == 200


def test_unbinding_needs_a_code_and_is_refused_when_the_role_requires_it(settings: Any, client: Client,
                                                                           world: People) -> None:
    client.force_login(world.finance)
    client.get("/accounts/otp/setup/")
    client.post("/accounts/otp/setup/", {"otp_token": _code(client)})
    device = TOTPDevice.objects.get(user=world.finance)
    assert client.post("/accounts/otp/remove/", {"otp_token": "000001"}).status_code == 422
    settings.SHEBAO_OTP_REQUIRED_ROLES = [Role.FINANCE]
    refused = client.post("/accounts/otp/remove/", {"otp_token": _device_code(device, step_offset=1)})
    assert refused.status_code == 409 and TOTPDevice.objects.filter(pk=device.pk).exists()
    settings.SHEBAO_OTP_REQUIRED_ROLES = []
    device.refresh_from_db()
    # An older code (before the one used at enrolment) is refused; so would be any code for a
    # moment after a failure (django-otp's throttle), which the test waits out by resetting it.
    assert client.post("/accounts/otp/remove/", {"otp_token": _device_code(device, step_offset=-1)}).status_code == 422
    device.refresh_from_db()
    device.throttle_reset()
    removed = client.post("/accounts/otp/remove/", {"otp_token": _device_code(device, step_offset=1)})
    assert removed.status_code == 302 and not TOTPDevice.objects.exists()
    assert AuditEvent.objects.filter(action="account.otp_removed", object_id=world.finance.username).exists()


def test_applicants_have_no_totp_pages(client: Client, world: People) -> None:
    client.force_login(world.person)
    assert client.get("/accounts/otp/setup/").status_code == 403
