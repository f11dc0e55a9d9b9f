"""Optional TOTP second step for staff (django-otp's TOTP device).

* Any staff member may enrol a TOTP app at /accounts/otp/setup/ (otpauth URI and a QR code).
* A staff member with a confirmed device must enter a code after the password before anything
  else (``OTPRequiredMiddleware`` sends them to /accounts/otp/verify/).
* Roles in ``SHEBAO_OTP_REQUIRED_ROLES`` must enrol before they can work.

The secret of an enrolment in progress lives in the session, not the database: a device row is
written only once the user has proved, with a code, that their app holds the secret.
"""

from __future__ import annotations

import secrets
from base64 import b32encode
from binascii import unhexlify
from collections.abc import Callable
from typing import Any

import segno
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.http import urlencode
from django_otp import login as otp_login
from django_otp import user_has_device, verify_token
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from shebao.core.audit import audit_record
from shebao.core.errors import Conflict, ValidationFailed

from .selectors import is_staff_user, user_roles

PENDING_KEY = "shebao_otp_pending_key"
ALLOWED_PREFIXES = ("/accounts/otp/", "/accounts/logout", "/static/", "/healthz")
DEVICE_NAME = "身份验证器"


def otp_required_for(user: Any) -> bool:
    """Whether the user's role obliges them to use a TOTP second step."""
    required = set(getattr(settings, "SHEBAO_OTP_REQUIRED_ROLES", []) or [])
    return bool(required & set(user_roles(user)))


def otp_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).first()


def otp_state(user: Any) -> str:
    """"" (nothing to do), "verify" (enter a code) or "enrol" (the role requires a device)."""
    if not getattr(user, "is_authenticated", False) or not is_staff_user(user):
        return ""
    if getattr(user, "is_verified", lambda: False)():
        return ""
    if user_has_device(user, confirmed=True):
        return "verify"
    if otp_required_for(user):
        return "enrol"
    return ""


class OTPRequiredMiddleware:
    """After the password, staff with a device (or a role that requires one) finish the TOTP step
    before any other page; the session API answers 403 ``otp_required``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(ALLOWED_PREFIXES):
            state = otp_state(getattr(request, "user", None))
            if state:
                if request.path.startswith("/api/"):
                    return JsonResponse({"error": "otp_required", "message": "请先在网页上完成两步验证（动态验证码）"},
                                        status=403, json_dumps_params={"ensure_ascii": False})
                target = "/accounts/otp/verify/" if state == "verify" else "/accounts/otp/setup/"
                return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


# --------------------------------------------------------------------------- enrolment


def pending_device(request: HttpRequest) -> TOTPDevice:
    """An unsaved device with the secret of the enrolment in progress (made on first view)."""
    key = request.session.get(PENDING_KEY)
    if not isinstance(key, str) or len(key) != 40:
        key = secrets.token_hex(20)  # 160 bits, as RFC 4226 recommends
        request.session[PENDING_KEY] = key
    return TOTPDevice(user=request.user, key=key, name=DEVICE_NAME, confirmed=False)


def qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code (segno: pure Python, no network, no Pillow)."""
    return str(segno.make(uri, error="m").svg_inline(scale=5, dark="#1b2430", light="#ffffff"))


def b32_secret(device: TOTPDevice) -> str:
    """The secret as typed into an app by hand, in groups of four."""
    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


def _code(token: str) -> str:
    code = "".join(ch for ch in (token or "") if not ch.isspace())
    if not (code.isdigit() and len(code) == 6):
        raise ValidationFailed("请输入验证器应用显示的 6 位数字动态码", field="otp_token")
    return code


def otp_enrol_confirm(*, request: HttpRequest, token: str) -> TOTPDevice:
    """Check a code against the pending secret; on success store the device and mark this session
    verified. One transaction, audited."""
    user: Any = request.user
    code = _code(token)
    pending = pending_device(request)
    if otp_device(user) is not None:
        raise Conflict("您已绑定身份验证器；如需更换，请先解除绑定", field="otp_token")
    totp = TOTP(unhexlify(pending.key.encode()), pending.step, pending.t0, pending.digits, pending.drift)
    if not totp.verify(int(code), tolerance=pending.tolerance):
        raise ValidationFailed("动态码不正确，请核对手机时间后输入当前显示的 6 位数字", field="otp_token")
    with transaction.atomic():
        pending.confirmed = True
        pending.last_t = totp.t()
        pending.save()
        audit_record(actor=user.get_username(), action="account.otp_enrolled", object_type="user",
                     object_id=user.get_username(), payload={"device": pending.persistent_id})
    del request.session[PENDING_KEY]
    otp_login(request, pending)
    return pending


def otp_verify(*, request: HttpRequest, token: str) -> TOTPDevice:
    """The second login step: a code from the user's confirmed device. django-otp throttles
    repeated failures on the device itself (exponential back-off)."""
    user: Any = request.user
    code = _code(token)
    device = otp_device(user)
    if device is None:
        raise ValidationFailed("您尚未绑定身份验证器", field="otp_token")
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        raise ValidationFailed("动态码错误次数过多，请稍候再试", field="otp_token")
    verified = verify_token(user, device.persistent_id, code)
    if verified is None:
        raise ValidationFailed("动态码不正确，请输入验证器应用当前显示的 6 位数字", field="otp_token")
    otp_login(request, verified)
    return verified


def otp_remove(*, request: HttpRequest, token: str) -> None:
    """Unbind the device (a current code is required). Refused when the role requires TOTP."""
    user: Any = request.user
    if otp_required_for(user):
        raise Conflict("您的岗位要求使用两步验证，不能解除绑定；更换手机请联系系统管理员", field="otp_token")
    device = otp_device(user)
    if device is None:
        raise ValidationFailed("您尚未绑定身份验证器", field="otp_token")
    if verify_token(user, device.persistent_id, _code(token)) is None:
        raise ValidationFailed("动态码不正确，未解除绑定", field="otp_token")
    with transaction.atomic():
        persistent_id = device.persistent_id
        device.delete()
        audit_record(actor=user.get_username(), action="account.otp_removed", object_type="user",
                     object_id=user.get_username(), payload={"device": persistent_id})
