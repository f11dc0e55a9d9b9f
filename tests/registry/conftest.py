"""Fixtures for the registry tests: a fixed clock (Monday 2026-11-02 09:00), an admin who may act
on every step, synthetic valid identifiers, and ``reg``: helpers that submit a case, set its data,
accept it and walk it to completion through the case engine."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from shebao.accounts.models import OrgLevel, OrgUnit
from shebao.cases import services as case_services
from shebao.cases.models import Case, CaseStatus, StepStatus
from shebao.cases.services import MaterialCheck
from shebao.catalog.models import CatalogVersion
from shebao.core.identifiers import credit_code_check_char, id_number_check_char, org_code_check_char
from shebao.registry import services
from shebao.registry.casedata import case_data_set
from shebao.registry.models import Employer, Person, Relationship

from ..cases import personas

SH = ZoneInfo("Asia/Shanghai")
_seq = itertools.count(1)


def new_id(born: str = "19800101", *, sex: str = "M", region: str = "420102") -> str:
    """A fresh valid 身份证号 (GB 11643); the 17th digit is odd for men."""
    n = next(_seq)
    digit = (n * 2 + (1 if sex == "M" else 0)) % 10
    body = f"{region}{born}{(n // 5) % 100:02d}{digit}"
    return body + id_number_check_char(body)


def new_credit_code(region: str = "420102") -> str:
    n = next(_seq)
    org = f"MB{n:06d}"
    first17 = "91" + region + org + org_code_check_char(org)
    return first17 + credit_code_check_char(first17)


def new_org_code() -> str:
    n = next(_seq)
    body = f"7{n:07d}"
    return body + org_code_check_char(body)


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.moment = datetime(2026, 11, 2, 9, 0, tzinfo=SH)
        monkeypatch.setattr(timezone, "now", lambda: self.moment)

    def set(self, year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
        self.moment = datetime(year, month, day, hour, minute, tzinfo=SH)
        return self.moment


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    yield Clock(monkeypatch)


class Reg:
    """Drive cases through the engine and set up registry state directly for preconditions."""

    def __init__(self, admin: User, offices: personas.Office, street_reviewer: User) -> None:
        self.admin = admin
        self.offices = offices
        self.district = offices.district_ja
        self.street = offices.street_ja

    # ---------------------------------------------------------------- cases

    def submit(self, code: str, *, unit: OrgUnit | None = None, employer: Employer | None = None,
               person: Person | None = None, id_number: str = "", credit_code: str = "", name: str = "",
               channel: str = "counter", by: User | None = None) -> Case:
        if employer is not None:
            fields: dict[str, Any] = {"applicant_type": "unit", "applicant_name": employer.name,
                                      "applicant_credit_code": employer.credit_code}
        elif credit_code or (code in NON_USCC and not id_number and person is None):
            fields = {"applicant_type": "unit", "applicant_name": name or "武汉某某有限公司",
                      "applicant_credit_code": credit_code}
        elif code in INTERNAL:
            fields = {"applicant_type": "person", "applicant_name": name or "市失业办"}
        else:
            number = person.id_number if person is not None else (id_number or new_id())
            fields = {"applicant_type": "person", "applicant_name": name or (person.name if person else "陈明"),
                      "applicant_id_number": number}
        if code in INTERNAL:
            channel = "internal"
        case = case_services.case_submit(item_code=code, channel=channel, org_unit=unit or self.district,
                                         submitted_by=by or self.admin, **fields)
        if channel != "online":
            case_services.case_check_materials(case=case, actor=self.admin, checks={
                row.material_id: MaterialCheck(original=True, copy=True) for row in case.materials.all()})
        case.refresh_from_db()
        return case

    def data(self, case: Case, payload: dict[str, Any], by: User | None = None) -> list[Any]:
        _, findings = case_data_set(case=case, actor=by or self.admin, data=payload)
        return findings

    def accept(self, case: Case) -> Case:
        case.refresh_from_db()
        case_services.case_accept(case=case, actor=self.admin)
        case.refresh_from_db()
        return case

    def walk(self, case: Case, *, data_before_close: dict[str, Any] | None = None, max_steps: int = 12) -> Case:
        """Complete every step: await steps by recording their event, automatic ones as the scheduler
        would, the rest as the admin (who may act at every level)."""
        for _ in range(max_steps):
            case.refresh_from_db()
            if case.status != CaseStatus.ACCEPTED:
                return case
            step = case.steps.get(status=StepStatus.ACTIVE)
            remaining = case.steps.filter(status=StepStatus.PENDING).count()
            if data_before_close is not None and remaining == 0:
                self.data(case, data_before_close)
                data_before_close = None
            if step.kind == "await":
                case_services.case_record_event(case=case, actor=None, event=step.event)
            elif step.auto:
                case_services.system_step_complete(case=case, step_id=step.pk, note="系统")
            else:
                case_services.case_step_complete(case=case, actor=self.admin, outcome="pass", note="同意")
        case.refresh_from_db()
        return case

    def run(self, code: str, payload: dict[str, Any] | None = None, *, close_data: dict[str, Any] | None = None,
            **applicant: Any) -> Case:
        """Submit, set data, accept, walk to 办结. Returns the case (status completed if all went well)."""
        case = self.submit(code, **applicant)
        if payload is not None:
            self.data(case, payload)
        self.accept(case)
        return self.walk(case, data_before_close=close_data)

    # ---------------------------------------------------------------- direct registry set-up

    def employer(self, *, name: str = "武汉测试科技有限公司", online_credit: bool = True, types: list[str] | None = None,
                 registered_on: date | None = None, **fields: Any) -> Employer:
        values: dict[str, Any] = {"name": name, "unit_type": "企业", "founded_on": date(2020, 1, 1),
                                  "insurance_types": types or ["pension", "medical", "unemployment", "injury",
                                                               "maternity"],
                                  "district": "江岸", "office": self.district, "online_credit": online_credit}
        values.update(fields)
        return services.employer_register(actor="test", case=None, fields=values, credit_code=new_credit_code(),
                                          registered_on=registered_on or date(2020, 1, 15))

    def person(self, *, name: str = "张伟", born: str = "19800101", sex: str = "M", **fields: Any) -> Person:
        number = new_id(born, sex=sex)
        values: dict[str, Any] = {"id_number": number, "name": name, "sex": sex,
                                  "birth_date": date(int(born[:4]), int(born[4:6]), int(born[6:]))}
        values.update(fields)
        return services.person_register(actor="test", case=None, fields=values)

    def employ(self, person: Person, employer: Employer, start: date = date(2015, 1, 1),
               types: list[str] | None = None) -> list[Relationship]:
        return [services.relationship_start(actor="test", case=None, person=person, insurance_type=t, kind="employer",
                                            employer=employer, start_on=start, monthly_wage=Decimal("6000"))
                for t in (types or employer.insurance_types)]


NON_USCC = {"SBZX00002", "SBZX00004", "SBZX00006", "SBZX00008", "SBZX00011"}
INTERNAL = {"SBZX00049", "SYB00005", "SYB00008"}


@pytest.fixture
def reg(catalog: CatalogVersion, clock: Clock) -> Reg:
    offices = personas.offices()
    admin, _ = User.objects.get_or_create(username="admin.registry", defaults={"is_superuser": True, "is_staff": True})
    street_reviewer = personas.staff("reviewer.street", "reviewer", offices.street_ja)
    OrgUnit.objects.get_or_create(key="t-district-hs", defaults={
        "name": "洪山社保处", "level": OrgLevel.DISTRICT, "district": "洪山", "code": "THS"})
    return Reg(admin, offices, street_reviewer)


def done(case: Case) -> bool:
    case.refresh_from_db()
    return case.status == CaseStatus.COMPLETED and case.result == "granted"


def snapshot() -> dict[str, Any]:
    """Every registry table's rows as tuples: compare before and after a refusal."""
    from django.apps import apps

    state: dict[str, Any] = {}
    for model in apps.get_app_config("registry").get_models():
        if model.__name__ == "CaseData":
            continue
        state[model.__name__] = sorted(tuple(str(v) for v in row) for row in model.objects.values_list())
    return state


APPLIED: set[str] = set()


@pytest.fixture(autouse=True)
def _record_applied_effects(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remember every item whose effect was applied to completion in this session (test_zz_coverage)."""
    from shebao.cases import services as engine
    from shebao.registry import effects

    def recording(*, case: Case) -> None:
        effects.apply_case_effect(case=case)
        APPLIED.add(case.item.code)

    monkeypatch.setattr(engine, "apply_case_effect", recording)


@pytest.fixture(autouse=True)
def _registry_strict(settings):  # type: ignore[no-untyped-def]
    """The registry's own tests run the hooks strictly: data missing is a refusal."""
    settings.SHEBAO_REGISTRY_EFFECTS = "strict"
