"""Employer items SBZX00001–00012 walked to 办结, and their refusals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from shebao.accounts.models import OrgUnit
from shebao.cases.models import NoticeKind
from shebao.core.errors import ValidationFailed
from shebao.registry.errors import RegistryRefused
from shebao.registry.models import Employer, EmployerStatus, FieldChange, OnlineAccount, Relationship

from .conftest import Reg, done, new_credit_code, new_org_code

pytestmark = pytest.mark.django_db

REGISTRATION = {"name": "武汉江城软件有限公司", "unit_type": "企业", "economic_type": "私营", "legal_rep_name": "李强",
                "founded_on": "2026-10-20", "industry_class": 2, "contact_name": "王敏", "contact_phone": "13800000000",
                "address": "江岸区解放大道1号"}


def test_registration_creates_employer_account_and_notice(reg: Reg) -> None:
    code = new_credit_code()
    case = reg.run("SBZX00001", REGISTRATION, credit_code=code, name="武汉江城软件有限公司")
    assert done(case)
    employer = Employer.objects.get(credit_code=code)
    assert employer.org_code == code[8:17] and employer.status == EmployerStatus.REGISTERED
    assert employer.insurance_types == ["pension", "medical", "unemployment", "injury", "maternity"]
    assert employer.industry_class == 2 and employer.injury_base_rate == Decimal("0.40")
    assert employer.district == "江岸" and employer.office == reg.district and employer.case == case
    assert employer.code.startswith("DW")
    # The online-hall account: credentials in the 办结通知书, password change forced at first login.
    notice = case.notices.get(kind=NoticeKind.RESULT)
    account = notice.content["online_account"]
    user = User.objects.get(username=account["username"])
    assert account["username"] == code and user.check_password(account["initial_password"])
    assert OnlineAccount.objects.get(user=user).must_change_password
    assert employer.account == user and notice.content["employer_code"] == employer.code
    assert FieldChange.objects.filter(model="employer", object_id=employer.code, field="*", case=case).exists()


def test_second_registration_of_the_same_code_is_refused_with_a_pointer(reg: Reg) -> None:
    code = new_credit_code()
    reg.run("SBZX00001", REGISTRATION, credit_code=code)
    first = Employer.objects.get(credit_code=code)
    case = reg.submit("SBZX00001", credit_code=code)
    findings = reg.data(case, REGISTRATION)
    assert findings[0].level == "block" and first.code in findings[0].message
    with pytest.raises(RegistryRefused) as refused:
        reg.accept(case)
    assert refused.value.extra["existing"]["code"] == first.code  # type: ignore[index]
    assert "《社会保险法》第五十七条" in refused.value.message
    assert Employer.objects.filter(credit_code=code).count() == 1


def test_non_credit_code_employer_and_the_embedded_org_code(reg: Reg) -> None:
    org = new_org_code()
    case = reg.run("SBZX00002", {**REGISTRATION, "org_code": org, "licence_number": "420100000123456"},
                   name="武汉老字号商店")
    assert done(case)
    employer = Employer.objects.get(org_code=org)
    assert employer.credit_code == "" and employer.licence_number == "420100000123456"
    # The same organisation code inside a credit code is the same unit.
    from shebao.core.identifiers import credit_code_check_char

    first17 = "91420102" + org
    with pytest.raises(RegistryRefused, match="已办理社会保险登记"):
        reg.run("SBZX00001", REGISTRATION, credit_code=first17 + credit_code_check_char(first17))
    # 非统一社会信用代码 items find the employer by the organisation code in the data.
    reg.run("SBZX00011", {"org_code": org, "changes": {"phone": "027-88886666"}}, name="武汉老字号商店")
    employer.refresh_from_db()
    assert employer.phone == "027-88886666"


def test_late_registration_is_a_warning_and_types_must_be_complete(reg: Reg) -> None:
    case = reg.submit("SBZX00001", credit_code=new_credit_code())
    findings = reg.data(case, {**REGISTRATION, "founded_on": "2026-08-01"})
    assert [f.level for f in findings] == ["warn"] and "逾期" in findings[0].message
    findings = reg.data(case, {**REGISTRATION, "insurance_types": ["pension", "medical"]})
    assert findings[0].level == "block" and "SBZX00009" in findings[0].rule


def test_industry_key_and_general_changes_keep_field_history(reg: Reg) -> None:
    employer = reg.employer()
    assert done(reg.run("SBZX00003", {"industry_class": 5}, employer=employer))
    employer.refresh_from_db()
    assert employer.industry_class == 5 and employer.injury_base_rate == Decimal("1.10")
    case = reg.run("SBZX00005", {"changes": {"name": "武汉新名称有限公司", "legal_rep_name": "赵六"},
                                 "changed_on": "2026-10-30"}, employer=employer)
    employer.refresh_from_db()
    assert employer.name == "武汉新名称有限公司"
    history = FieldChange.objects.filter(model="employer", object_id=employer.code, case=case)
    assert {(h.field, h.old, h.new) for h in history} >= {("name", "武汉测试科技有限公司", "武汉新名称有限公司"),
                                                         ("legal_rep_name", "", "赵六")}
    # A general field in a key-information item points to the right item.
    with pytest.raises(ValidationFailed, match="SBZX00010"):
        reg.data(reg.submit("SBZX00005", employer=employer), {"changes": {"phone": "123"}})
    reg.run("SBZX00010", {"changes": {"address": "江岸区新地址8号", "postcode": "430010"}}, employer=employer)
    employer.refresh_from_db()
    assert employer.address == "江岸区新地址8号" and employer.postcode == "430010"
    # Nothing to change is refused.
    with pytest.raises(RegistryRefused, match="无需变更"):
        reg.run("SBZX00010", {"changes": {"postcode": "430010"}}, employer=employer)


def test_deregistration_needs_every_employee_stopped(reg: Reg) -> None:
    employer = reg.employer()
    person = reg.person()
    reg.employ(person, employer)
    case = reg.submit("SBZX00007", employer=employer)
    reg.data(case, {"terminated_on": "2026-10-31"})
    with pytest.raises(RegistryRefused, match="1名职工在保"):
        reg.accept(case)
    employer.refresh_from_db()
    assert employer.status == EmployerStatus.REGISTERED
    reg.run("SBZX00014", {"persons": [{"id_number": person.id_number, "stopped_on": "2026-10-31"}]},
            employer=employer)
    assert done(reg.run("SBZX00007", {"terminated_on": "2026-10-31"}, employer=employer))
    employer.refresh_from_db()
    assert employer.status == EmployerStatus.CANCELLED and employer.terminated_on == date(2026, 10, 31)
    # A cancelled employer cannot enrol anyone.
    with pytest.raises(RegistryRefused, match="已注销"):
        reg.run("SBZX00013", {"persons": [{"id_number": person.id_number, "name": person.name,
                                           "hired_on": "2026-11-01"}]}, employer=employer)


def test_insurance_types_can_be_reduced_only_by_provincial_or_public_units(reg: Reg) -> None:
    employer = reg.employer()
    with pytest.raises(RegistryRefused, match="省直参保或机关事业单位"):
        reg.run("SBZX00009", {"remove": ["maternity"]}, employer=employer)
    public = reg.employer(name="武汉某事业单位", public_institution=True, types=["pension", "medical"])
    assert done(reg.run("SBZX00009", {"add": ["injury"], "remove": ["medical"]}, employer=public))
    public.refresh_from_db()
    assert public.insurance_types == ["pension", "injury"]


def test_whole_unit_move_to_the_receiving_district(reg: Reg) -> None:
    employer = reg.employer()
    hongshan = OrgUnit.objects.get(key="t-district-hs")
    person = reg.person()
    reg.employ(person, employer)
    assert done(reg.run("SBZX00012", {"tax_changed_on": "2026-10-15"}, employer=employer, unit=hongshan))
    employer.refresh_from_db()
    assert employer.district == "洪山" and employer.office == hongshan
    assert Relationship.objects.filter(employer=employer, status="active").count() == 5  # they follow the unit
    with pytest.raises(RegistryRefused, match="无需转移"):
        reg.run("SBZX00012", {"tax_changed_on": "2026-10-15"}, employer=employer, unit=hongshan)
