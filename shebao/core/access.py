"""Who may open which page and call which API operation: the one table of role gates.

Every page (``config.urls``) and every API operation (``/api/v1/``) declares one ``Policy`` from
this module, and the same object enforces it:

* pages: ``@page(POLICY)`` — anonymous users are sent to the login page, signed-in users
  without one of the policy's roles get a 403 page saying who the page is for;
* API operations: ``auth=api_auth(POLICY)`` — bearer token or session; no credentials → 401,
  a role outside the policy → 403 ``{"error": "role_forbidden"}``, before anything about the
  requested object is looked up (a role that may never act learns nothing about the object).

Services use the same role sets (``POLICY.roles``) for their own checks, so the gate and the
service cannot drift apart. What a gate cannot know — which office holds the case, whose turn
it is, whose case it is — stays in services and selectors (403 ``forbidden`` / 404).

``tests/security/test_permission_matrix.py`` walks the URL configuration and the API, fails
on any page or operation without a policy, and checks every declared policy against a user of
every role and an anonymous visitor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from ninja.errors import HttpError
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie

from shebao.accounts.models import APPLICANT_ROLES, Role
from shebao.accounts.selectors import user_roles

from .errors import PermissionDenied

View = Callable[..., HttpResponseBase]
POLICY_ATTR = "shebao_policy"

ALL_ROLES: frozenset[str] = frozenset(Role.values)
APPLICANTS_ROLES: frozenset[str] = frozenset(str(r) for r in APPLICANT_ROLES)
STAFF_ROLES: frozenset[str] = ALL_ROLES - APPLICANTS_ROLES


class RoleForbidden(PermissionDenied):
    """The caller's roles may never do this (the gate), as opposed to ``forbidden``: not on this object."""

    code = "role_forbidden"


class CsrfFailed(PermissionDenied):
    code = "csrf_failed"


@dataclass(frozen=True)
class Policy:
    """A role gate. ``roles`` None: any signed-in user (or anyone, when ``signed_in`` is False)."""

    key: str
    roles: frozenset[str] | None
    refusal: str
    signed_in: bool = True

    def allows(self, user: Any) -> bool:
        if not self.signed_in:
            return True
        if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", True):
            return False
        return self.roles is None or bool(user_roles(user) & self.roles)

    def require(self, user: Any) -> None:
        """Raise ``RoleForbidden`` (403) unless the user passes the gate."""
        if not self.allows(user):
            raise RoleForbidden(self.refusal)


def _roles(*roles: str | Iterable[str]) -> frozenset[str]:
    out: set[str] = set()
    for role in roles:
        out |= {role} if isinstance(role, str) else {str(r) for r in role}
    return frozenset(out)


# --------------------------------------------------------------------------- the table

PUBLIC = Policy("public", None, "", signed_in=False)
# Any signed-in user: what they then see is filtered by object-level rules (own case, own office).
SIGNED_IN = Policy("signed_in", None, "请先登录")
STAFF = Policy("staff", STAFF_ROLES, "经办工作台仅供工作人员使用。办事单位和个人请进入“我的办事”。")
APPLICANTS = Policy("applicants", APPLICANTS_ROLES,
                    "“我的办事”供办事单位、个人和代办人使用。工作人员请进入经办工作台。")

# Cases (shebao.cases.services uses these role sets too).
_WINDOW = _roles(Role.WINDOW_CLERK, Role.REVIEWER, Role.ADMIN)
_INTERNAL = _roles(Role.FINANCE, Role.CITY_REVIEWER, Role.REVIEWER, Role.ADMIN)
# Every staff role a flow step can name (shebao.catalog.flows), and admin.
_STEP = _roles(Role.WINDOW_CLERK, Role.REVIEWER, Role.CITY_REVIEWER, Role.FINANCE, Role.BUREAU_APPROVER, Role.ADMIN)
CASE_WINDOW = Policy("case_window", _WINDOW, "只有窗口受理人员和审核人员可以办理收件、补正、受理和不予受理")
CASE_INTERNAL = Policy("case_internal", _INTERNAL, "您没有权限发起内部事项")
CASE_SUBMIT = Policy("case_submit", APPLICANTS_ROLES | _WINDOW | _INTERNAL, "您没有权限提交办件")
CASE_WINDOW_OR_APPLICANT = Policy("case_window_or_applicant", _WINDOW | APPLICANTS_ROLES,
                                  "只有申请人或受理窗口可以补正或撤回办件")
CASE_STEP = Policy("case_step", _STEP, "您没有权限办理办件环节")
CASE_CLOCK = Policy("case_clock", _roles(Role.REVIEWER, Role.BUREAU_APPROVER, Role.CITY_REVIEWER, Role.ADMIN),
                    "只有审核、复核和审批人员可以中止、恢复或延长办件")
CASE_RATE = Policy("case_rate", APPLICANTS_ROLES, "只有申请人本人可以评价")
CASE_DATA = Policy("case_data", _STEP | APPLICANTS_ROLES, "您没有权限登记办件业务数据")

# Registries.
REGISTRY_PAYABLES = Policy("registry_payables", _roles(Role.FINANCE, Role.CITY_REVIEWER, Role.ADMIN),
                           "仅财务或市级中心人员可以生成应付帐")
REGISTRY_BENEFITS = Policy("registry_benefits", _roles(Role.CITY_REVIEWER, Role.REVIEWER, Role.ADMIN),
                           "您没有权限暂停待遇")
REGISTRY_STAFF = Policy("registry_staff", STAFF_ROLES, "登记簿仅限经办机构工作人员查询。")

# Supervision.
SUPERVISION_READERS = Policy("supervision_readers", _roles(Role.SUPERVISOR, Role.ADMIN),
                             "督办统计仅供督办人员和系统管理员查看。")
SUPERVISION_ISSUERS = Policy("supervision_issuers", _roles(Role.SUPERVISOR), "只有督办人员可以签发督办单")
SUPERVISION_ORDERS = Policy("supervision_orders", STAFF_ROLES, "督办单仅供督办人员和被督办机构的工作人员查看。")

# Guide change control (shebao.changes.permissions reads these).
CHANGE_READERS = Policy("change_readers", _roles(Role.CATALOG_EDITOR, Role.POLICY_OFFICE, Role.ADMIN,
                                                 Role.SUPERVISOR), "您没有权限使用指南变更管理。")
CHANGE_PROPOSERS = Policy("change_proposers", _roles(Role.CATALOG_EDITOR, Role.ADMIN),
                          "只有清单编辑可以起草或修订指南变更提案")
CHANGE_ACTORS = Policy("change_actors", _roles(Role.CATALOG_EDITOR, Role.POLICY_OFFICE, Role.ADMIN),
                       "您没有权限处理指南变更提案")

# Accounts: two-step verification (TOTP) is for staff accounts.
ACCOUNT_OTP = Policy("account_otp", STAFF_ROLES, "两步验证（动态验证码）供工作人员账户使用。")

# Personal data: who read whose full record (shebao.privacy).
ACCESS_LOG_READERS = Policy("access_log_readers", _roles(Role.SUPERVISOR, Role.ADMIN),
                            "个人信息查阅记录仅供督办人员和系统管理员查看。")

# Django's admin site: superusers (role admin) whose account is marked staff.
ADMIN_SITE = Policy("admin_site", _roles(Role.ADMIN), "管理后台仅供系统管理员使用")


# --------------------------------------------------------------------------- pages


def page(policy: Policy, *, template: str = "403.html") -> Callable[[View], View]:
    """Declare and enforce a page's policy. The refusal page carries ``denied_by_policy`` so tests
    (and templates) can tell the gate from an object-level refusal."""

    def decorator(view: View) -> View:
        if not policy.signed_in:
            setattr(view, POLICY_ATTR, policy)
            return view

        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not getattr(request.user, "is_authenticated", False):
                return redirect_to_login(request.get_full_path())
            if not policy.allows(request.user):
                return forbidden(request, policy.refusal, template=template, policy=policy)
            return view(request, *args, **kwargs)

        setattr(wrapped, POLICY_ATTR, policy)
        return wrapped

    return decorator


def forbidden(request: HttpRequest, message: str, *, template: str = "403.html",
              policy: Policy | None = None) -> HttpResponse:
    return render(request, template, {"message": message, "title": "无权访问", "denied_by_policy": policy.key if policy else ""},
                  status=403)


def policy_of(view: Any) -> Policy | None:
    """The policy a view (or an API operation's auth callback) declares, or None."""
    found = getattr(view, POLICY_ATTR, None)
    return found if isinstance(found, Policy) else None


# --------------------------------------------------------------------------- API


class _PolicyBearer(HttpBearer):
    """``Authorization: Bearer sb_…``, then the policy."""

    def __init__(self, policy: Policy) -> None:
        super().__init__()
        setattr(self, POLICY_ATTR, policy)
        self.policy = policy

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from .tokens import token_user

        user = token_user(request, token)
        if user is not None:
            self.policy.require(user)
        return user


class _PolicySession(APIKeyCookie):
    """The web session (same cookie as django-ninja's ``django_auth``), then the policy."""

    param_name: str = "sessionid"

    def __init__(self, policy: Policy) -> None:
        from django.conf import settings

        self.param_name = settings.SESSION_COOKIE_NAME
        super().__init__()
        setattr(self, POLICY_ATTR, policy)
        self.policy = policy

    def _get_key(self, request: HttpRequest) -> str | None:
        # Without a session cookie there is no session to protect: the caller is anonymous (401),
        # not a CSRF failure. With one, Django's CSRF check applies, and its refusal reads like ours.
        if self.param_name not in request.COOKIES:
            return None
        try:
            return super()._get_key(request)
        except HttpError:
            raise CsrfFailed("CSRF 校验失败：使用登录会话调用接口时须带 X-CSRFToken 头") from None

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if request.user.is_authenticated:
            self.policy.require(request.user)
            return request.user
        return None


class _Public:
    """An operation anyone may call. Truthy so django-ninja treats the request as let in; no
    ``openapi_security_schema``, so the schema lists no security for it."""

    def __init__(self) -> None:
        setattr(self, POLICY_ATTR, PUBLIC)
        self.policy = PUBLIC

    def __call__(self, request: HttpRequest) -> bool:
        return True


def api_auth(policy: Policy) -> list[Any]:
    """The ``auth=`` of an API operation under ``policy``."""
    if not policy.signed_in:
        return [_Public()]
    return [_PolicyBearer(policy), _PolicySession(policy)]


def operation_policy(auth_callbacks: Iterable[Any]) -> Policy | None:
    """The policy of a django-ninja operation (all its auth callbacks must agree)."""
    found = {policy_of(cb) for cb in auth_callbacks}
    if len(found) != 1:
        return None
    return found.pop()


def registered_policies() -> dict[str, Policy]:
    """Every policy in this module, by key."""
    return {p.key: p for p in globals().values() if isinstance(p, Policy)}


class _Undeclared:
    """A router's default ``auth``: an operation that declares no policy is refused to everyone
    (fail closed), and the permission-matrix test names it."""

    def __call__(self, request: HttpRequest) -> bool:
        raise RoleForbidden("该接口未声明访问策略")


UNDECLARED = _Undeclared()
