"""Demo data for ``shebao serve --demo``. Credentials are listed in the README ("Demo accounts").

``demo_seed()`` runs after the catalog is loaded. It is idempotent: each step creates only
what is missing (a second run changes nothing and writes no audit event), and every change is
audited with the actor ``system:demo``. Passwords are set only when an account is created.

Identifiers are synthetic: built from a region code, a birth date and a sequence number with
the check characters computed, and belong to nobody we know of.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from .identifiers import credit_code_check_char, id_number_check_char, org_code_check_char

DEMO_ACTOR = "system:demo"
DEMO_PASSWORD = "shebao-demo-2017"
DEMO_ADMIN = ("admin", DEMO_PASSWORD)


def _synthetic_id_number(region: str, born: str, sequence: str) -> str:
    first17 = region + born + sequence
    return first17 + id_number_check_char(first17)


def _synthetic_credit_code(prefix: str, org_body: str) -> str:
    """``prefix`` = department, category and region (8 chars); ``org_body`` = 8 characters."""
    first17 = prefix + org_body + org_code_check_char(org_body)
    return first17 + credit_code_check_char(first17)


@dataclass(frozen=True)
class DemoStreet:
    key: str
    name: str
    district: str
    code: str


@dataclass(frozen=True)
class DemoStaff:
    username: str
    display_name: str
    unit_key: str
    roles: tuple[str, ...]
    superuser: bool = False


@dataclass(frozen=True)
class DemoApplicant:
    username: str
    role: str
    kind: str
    name: str
    id_number: str = ""
    credit_code: str = ""
    phone: str = ""


# Street windows are not in the document's directory; two for the demo (code = district code + serial).
DEMO_STREETS = (
    DemoStreet("street-ja-dazhi", "江岸区大智街道政务服务中心", "江岸", "JA01"),
    DemoStreet("street-wc-zhongnanlu", "武昌区中南路街道政务服务中心", "武昌", "WC01"),
)

DEMO_STAFF = (
    DemoStaff("admin", "系统管理员", "city-info", ("admin",), superuser=True),
    DemoStaff("clerk.jiangan", "王芳", "district-01", ("window_clerk",)),
    DemoStaff("reviewer.jiangan", "刘洋", "district-01", ("reviewer",)),
    DemoStaff("clerk.dazhi", "陈静", "street-ja-dazhi", ("window_clerk",)),
    DemoStaff("clerk.wuchang", "张磊", "district-05", ("window_clerk",)),
    DemoStaff("reviewer.wuchang", "林娟", "district-05", ("reviewer",)),
    DemoStaff("city.injury", "杨帆", "city-injury", ("city_reviewer",)),
    DemoStaff("city.medical", "赵敏", "city-medical", ("city_reviewer",)),
    DemoStaff("finance.city", "黄丽", "city-insurance-finance", ("finance",)),
    DemoStaff("approver.pension", "吴刚", "bureau-pension", ("bureau_approver",)),
    DemoStaff("approver.injury", "郑华", "bureau-injury", ("bureau_approver",)),
    DemoStaff("policy.office", "孙莉", "bureau-policy", ("policy_office",)),
    DemoStaff("editor.catalog", "何军", "city-insurance", ("catalog_editor",)),
    DemoStaff("supervisor.bureau", "胡斌", "bureau-discipline", ("supervisor",)),
)

DEMO_APPLICANTS = (
    DemoApplicant(
        "person.chenming", "applicant_person", "person", "陈明",
        id_number=_synthetic_id_number("420102", "19850315", "123"),
    ),
    DemoApplicant(
        "agent.zhoumin", "agent", "person", "周敏",
        id_number=_synthetic_id_number("420106", "19900708", "246"),
    ),
    DemoApplicant(
        "unit.shili", "applicant_unit", "unit", "武汉市示例科技有限公司",
        credit_code=_synthetic_credit_code("91420102", "MA4K0001"),
    ),
)


@transaction.atomic
def demo_seed() -> None:
    """Create the demo units and accounts that do not exist yet; running it twice changes nothing."""
    from shebao.accounts import selectors, services

    services.role_groups_ensure(actor=DEMO_ACTOR)
    services.org_units_sync(actor=DEMO_ACTOR)
    for street in DEMO_STREETS:
        parent = selectors.district_org_unit(street.district)
        if parent is None:
            raise RuntimeError(f"demo: no district unit for {street.district}; is the catalog loaded?")
        services.org_unit_ensure(
            actor=DEMO_ACTOR, key=street.key, name=street.name, level="street", code=street.code,
            parent=parent, district=street.district,
        )
    for staff in DEMO_STAFF:
        unit = selectors.org_unit_by_key(staff.unit_key)
        if unit is None:
            raise RuntimeError(f"demo: no unit {staff.unit_key}; is the catalog loaded?")
        services.staff_account_ensure(
            actor=DEMO_ACTOR, username=staff.username, password=DEMO_PASSWORD, display_name=staff.display_name,
            org_unit=unit, roles=staff.roles, superuser=staff.superuser,
        )
    for applicant in DEMO_APPLICANTS:
        services.applicant_account_ensure(
            actor=DEMO_ACTOR, username=applicant.username, password=DEMO_PASSWORD, role=applicant.role,
            kind=applicant.kind, name=applicant.name, id_number=applicant.id_number,
            credit_code=applicant.credit_code, phone=applicant.phone,
        )
