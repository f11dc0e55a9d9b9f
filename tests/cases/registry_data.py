"""What the window enters for the cases the case-engine tests walk.

With ``SHEBAO_REGISTRY_EFFECTS=strict`` (the default) 受理 needs the item's business data and 办结
applies the item's effect to the registries, so a test case needs what a real one has: its
applicant on file in the registries (and whatever the item's preconditions name: an employee, a
flexible-worker account, a lost card, an injury determination …) and the item's data, set through
the same service as the workbench form and the API (``casedata.case_data_set``).

``prepare(case, actor)`` does both for the item codes the engine tests use; an unknown code fails
loudly so a new test says what it needs.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from shebao.accounts.models import OrgLevel, OrgUnit
from shebao.cases.models import Case
from shebao.core.identifiers import id_number_birth_date, id_number_check_char
from shebao.registry import services
from shebao.registry.casedata import case_data_set
from shebao.registry.models import (
    BenefitKind,
    Employer,
    FilingKind,
    Person,
)

FIVE = ["pension", "medical", "unemployment", "injury", "maternity"]
_seq = itertools.count(1)


def new_id(born: str = "19800101") -> str:
    n = next(_seq)
    body = f"420102{born}{(n // 10) % 100:02d}{n % 10}"
    return body + id_number_check_char(body)


def _office() -> OrgUnit | None:
    return OrgUnit.objects.filter(level=OrgLevel.DISTRICT).first()


def employer_of(case: Case) -> Employer:
    """The applicant unit on file (registered now if it is not)."""
    code = case.applicant_credit_code
    found = services.employer_existing(credit_code=code)
    if found is not None:
        return found
    return services.employer_register(actor="test", case=None, credit_code=code, fields={
        "name": case.applicant_name or "武汉某某科技有限公司", "unit_type": "企业", "economic_type": "有限责任公司",
        "insurance_types": FIVE, "district": "江岸", "office": _office(), "online_credit": True,
        "founded_on": date(2010, 1, 1)}, registered_on=date(2010, 1, 20))


def person_of(case: Case, *, name: str = "") -> Person:
    """The applicant person on file (registered now if they are not)."""
    number = case.applicant_id_number
    found = services.person_existing(id_number=number)
    if found is not None:
        return found
    return services.person_register(actor="test", case=None, fields={
        "id_number": number, "name": name or case.applicant_name or "陈明",
        "sex": "M" if int(number[16]) % 2 else "F", "birth_date": id_number_birth_date(number)})


def new_person(name: str = "职工", born: str = "19800101") -> Person:
    number = new_id(born)
    return services.person_register(actor="test", case=None, fields={
        "id_number": number, "name": name, "sex": "M" if int(number[16]) % 2 else "F",
        "birth_date": id_number_birth_date(number)})


def employ(person: Person, employer: Employer, start: date = date(2015, 1, 1)) -> None:
    for insurance_type in employer.insurance_types:
        services.relationship_start(actor="test", case=None, person=person, insurance_type=insurance_type,
                                    kind="employer", employer=employer, start_on=start, monthly_wage=Decimal("6000"))


_phones = itertools.count(10000000)


def _registration(case: Case) -> dict[str, Any]:
    return {"name": case.applicant_name, "founded_on": (timezone.localdate() - timedelta(days=10)).isoformat()}


def _general_change(case: Case) -> dict[str, Any]:
    employer_of(case)
    return {"changes": {"contact_phone": f"027-{next(_phones)}"}}


def _wages(case: Case) -> dict[str, Any]:
    worker = new_person("缴费职工")
    employ(worker, employer_of(case))
    return {"year": timezone.localdate().year, "wages": [{"id_number": worker.id_number, "monthly_wage": "6500"}]}


def _backpay(case: Case) -> dict[str, Any]:
    worker = new_person("补缴职工", born="19700101")
    employ(worker, employer_of(case), start=date(1996, 1, 1))
    return {"person": {"id_number": worker.id_number}, "period_from": "1993-01", "period_to": "1995-12",
            "amount": "3600", "hired_on": "1992-05-01"}


def _assess(case: Case) -> dict[str, Any]:
    employer_of(case)
    return {"period_from": "2026-09", "period_to": "2026-10", "amount": "4200"}


def _confirm(case: Case) -> dict[str, Any]:
    employer_of(case)
    return {"paid_on": timezone.localdate().isoformat(), "receipt_number": f"PJ{next(_seq):06d}"}


def _flexible_bill(case: Case) -> dict[str, Any]:
    services.flexible_enrol(actor="test", case=None, person=person_of(case), grade=60, start_on=date(2020, 1, 1),
                            types=["pension", "medical"])
    return {"period_from": "2026-08", "period_to": "2026-10", "amount": "2400"}


def _transfer_out(case: Case) -> dict[str, Any]:
    person = person_of(case)
    employ(person, employer_of_new(), start=date(2012, 1, 1))
    return {"counterpart": "江汉社保处", "funds": "15000"}


def employer_of_new() -> Employer:
    code = _credit_code()
    return services.employer_register(actor="test", case=None, credit_code=code, fields={
        "name": "武汉原单位有限公司", "unit_type": "企业", "insurance_types": FIVE, "district": "江岸",
        "office": _office(), "founded_on": date(2005, 1, 1)}, registered_on=date(2005, 1, 20))


def _credit_code() -> str:
    from shebao.core.identifiers import credit_code_check_char, org_code_check_char

    org = f"MC{next(_seq):06d}"
    first17 = "91420102" + org + org_code_check_char(org)
    return first17 + credit_code_check_char(first17)


def _transfer_in(case: Case) -> dict[str, Any]:
    person_of(case)
    return {"from_region": "江汉区", "months": 48, "funds": "15000", "condition": 3}


def _injury_claim(case: Case) -> dict[str, Any]:
    person = person_of(case) if case.applicant_id_number else new_person("受伤职工")
    employer = employer_of(case) if case.applicant_credit_code else employer_of_new()
    employ(person, employer, start=date(2018, 1, 1))
    services.filing_create(actor="test", case=None, kind=FilingKind.INJURY_DETERMINATION, person=person,
                           employer=employer, outcome="认定工伤", valid_from=date(2026, 10, 20),
                           detail={"fatal": False, "decision_number": "武人社工伤认字〔2026〕001号"})
    return {"person": {"id_number": person.id_number}, "amount": "3800"}


def _injury_determination(case: Case) -> dict[str, Any]:
    person = person_of(case)
    employ(person, employer_of_new(), start=date(2018, 1, 1))
    injured = (timezone.localdate() - timedelta(days=5)).isoformat()
    return {"person": {"id_number": person.id_number}, "injury_date": injured, "category": "工作时间工作场所内",
            "decision": "injury", "decision_number": "武人社工伤认字〔2026〕001号"}


def _resident_pension(case: Case) -> dict[str, Any]:
    person = person_of(case)
    services.relationship_start(actor="test", case=None, person=person, insurance_type="resident_pension",
                                kind="resident", start_on=date(2012, 1, 1))
    return {"monthly_amount": "320", "bank_account": "6228480012345678"}


def _emergency_card(case: Case) -> dict[str, Any]:
    person = person_of(case)
    card = services.card_issue(actor="test", case=None, person=person)
    services.card_report_lost(actor="test", case=None, card=card, channel="counter")
    return {"group": "inpatient", "proof": "住院证明"}


def _unemployment_payment(case: Case) -> dict[str, Any]:
    person = new_person("失业人员")
    month = timezone.localdate().replace(day=1)
    services.decision_create(actor="test", case=None, kind=BenefitKind.UNEMPLOYMENT, person=person,
                             monthly_amount=Decimal("1500"), start_month=month, months_total=12)
    return {"month": f"{month:%Y-%m}"}


def _flexible_enrolment(case: Case) -> dict[str, Any]:
    # A first enrolment: the person is registered by the case itself, from these details.
    return {"person": {"id_number": case.applicant_id_number, "name": case.applicant_name}}


DATA: dict[str, Callable[[Case], dict[str, Any]]] = {
    "SBZX00029": _flexible_enrolment,
    "SBZX00001": _registration,
    "SBZX00010": _general_change,
    "SBZX00016": _wages,
    "SBZX00024": _backpay,
    "SBZX00020-1": _assess,
    "SBZX00020-2": _confirm,
    "SBZX00032": _flexible_bill,
    "SBZX00040": _transfer_out,
    "SBZX00041": _transfer_in,
    "YBZX00008": _injury_claim,
    "GSC00001": _injury_determination,
    "SBZX00069": _resident_pension,
    "XXZX00003": _emergency_card,
    "SYB00005": _unemployment_payment,
}


def prepare(case: Case, actor: Any) -> dict[str, Any]:
    """Put the case's applicant (and what the item needs) on file and set the item's data."""
    maker = DATA.get(case.item.code)
    if maker is None:
        raise KeyError(f"tests/cases/registry_data.py: no registry data for {case.item.code}")
    data = maker(case)
    case_data_set(case=case, actor=actor, data=data)
    case.refresh_from_db()
    return data
