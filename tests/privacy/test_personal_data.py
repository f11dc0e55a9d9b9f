"""Personal data (issue #9 item 6): 身份证号 masked in lists, logs, exports and API list responses;
the full number on a single record only for the handling roles; every read of a person's full
record logged (who, whom, when) and shown to supervisors."""

from __future__ import annotations

import io
import json
import logging
from datetime import date
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from shebao.accounts.models import ApplicantProfile, Role
from shebao.cases import services as case_services
from shebao.core.models import AuditEvent
from shebao.privacy.log_filters import MaskIdNumbersFilter
from shebao.privacy.masking import id_for, mask_id_number, mask_id_numbers_in, may_see_full_id
from shebao.privacy.models import PersonalDataAccess
from shebao.registry import services as registry_services
from shebao.registry.models import Person
from shebao.supervision.facts import case_facts_refresh
from tests.cases import personas
from tests.registry.conftest import new_id

pytestmark = pytest.mark.django_db

FULL = "420102198503151234"


def test_the_mask_keeps_the_first_and_last_four() -> None:
    assert mask_id_number(FULL) == "4201**********1234"
    assert mask_id_number("42010219850315123X") == "4201**********123X"
    assert mask_id_number("420102850315123") == "4201*******5123"
    assert mask_id_number("") == "" and mask_id_number(None) == ""
    assert mask_id_numbers_in(f"Not Found: /registry/persons/{FULL}/ (id {FULL})") == (
        "Not Found: /registry/persons/4201**********1234/ (id 4201**********1234)")
    # Longer digit runs (a bank account, a 社保卡 number) are not mistaken for an ID number.
    assert mask_id_numbers_in("6222021234567890123456") == "6222021234567890123456"


class Reg:
    """What these tests need of the registry helpers: offices and registered persons."""

    def __init__(self) -> None:
        self.offices = personas.offices()

    def person(self, *, name: str, born: str = "19800101", sex: str = "M") -> Person:
        return registry_services.person_register(actor="test", case=None, fields={
            "id_number": new_id(born, sex=sex), "name": name, "sex": sex,
            "birth_date": date(int(born[:4]), int(born[4:6]), int(born[6:]))})


@pytest.fixture
def reg(catalog: Any) -> Reg:
    return Reg()


@pytest.fixture
def people(reg: Reg) -> dict[str, Any]:
    o = reg.offices
    return {
        "clerk": personas.staff("clerk.pd", Role.WINDOW_CLERK, o.district_ja),
        "supervisor": personas.staff("supervisor.pd", Role.SUPERVISOR, o.bureau_pension),
        "editor": personas.staff("editor.pd", Role.CATALOG_EDITOR, o.bureau_pension),
    }


def _client(user: Any) -> Client:
    client = Client(REMOTE_ADDR="10.2.3.4")
    client.force_login(user)
    return client


def test_which_roles_see_the_full_number() -> None:
    assert set(settings.SHEBAO_FULL_ID_ROLES) == {
        Role.WINDOW_CLERK, Role.REVIEWER, Role.CITY_REVIEWER, Role.FINANCE, Role.BUREAU_APPROVER}


def test_person_page_full_for_the_window_masked_for_others_and_every_read_logged(reg: Reg,
                                                                                people: dict[str, Any]) -> None:
    person = reg.person(name="王芳", sex="F", born="19850315")
    masked = mask_id_number(person.id_number)
    page = _client(people["clerk"]).get(f"/registry/persons/{person.ssn}/").content.decode()
    assert person.id_number in page
    for role in ("supervisor", "editor"):
        other = _client(people[role]).get(f"/registry/persons/{person.ssn}/").content.decode()
        assert person.id_number not in other and masked in other, role
    assert may_see_full_id(people["clerk"]) and not may_see_full_id(people["supervisor"])
    assert id_for(people["supervisor"], person.id_number) == masked

    reads = list(PersonalDataAccess.objects.order_by("at", "id"))
    assert [(r.username, r.full_id_shown) for r in reads] == [
        ("clerk.pd", True), ("supervisor.pd", False), ("editor.pd", False)]
    first = reads[0]
    assert (first.subject_kind, first.subject_key, first.subject_name, first.id_number_masked, first.channel,
            first.ip_address, first.path) == ("person", person.ssn, "王芳", masked, "web", "10.2.3.4",
                                              f"/registry/persons/{person.ssn}/")


def test_registry_search_lists_show_only_the_masked_number(reg: Reg, people: dict[str, Any]) -> None:
    a = reg.person(name="张伟")
    b = reg.person(name="张伟", born="19900101")
    listing = _client(people["clerk"]).get("/registry/", {"q": "张伟"}).content.decode()
    for person in (a, b):
        assert person.ssn in listing and mask_id_number(person.id_number) in listing
        assert person.id_number not in listing
    assert not PersonalDataAccess.objects.exists()  # a list is not a read of anyone's full record


def test_person_api_list_masked_detail_by_role_and_logged(reg: Reg, people: dict[str, Any]) -> None:
    person = reg.person(name="刘洋")
    clerk = _client(people["clerk"])
    listing = clerk.get("/api/v1/registry/persons", {"q": "刘洋"})
    assert listing.status_code == 200 and person.id_number not in listing.content.decode()
    assert listing.json()[0]["id_number_masked"] == mask_id_number(person.id_number)
    assert not PersonalDataAccess.objects.exists()

    detail = clerk.get(f"/api/v1/registry/persons/{person.ssn}")
    assert detail.status_code == 200 and detail.json()["id_number"] == person.id_number
    for_supervisor = _client(people["supervisor"]).get(f"/api/v1/registry/persons/{person.ssn}").json()
    assert for_supervisor["id_number"] == mask_id_number(person.id_number)
    assert person.id_number not in json.dumps(for_supervisor)
    reads = PersonalDataAccess.objects.order_by("id")
    assert [(r.username, r.channel, r.full_id_shown) for r in reads] == [
        ("clerk.pd", "api", True), ("supervisor.pd", "api", False)]


def _case_with_person(reg: Reg, people: dict[str, Any]) -> Any:
    return case_services.case_submit(
        item_code="SBZX00029", channel="counter", org_unit=reg.offices.district_ja, submitted_by=people["clerk"],
        applicant_type="person", applicant_name="赵敏", applicant_id_number=new_id("19880808", sex="F"),
        agent_name="钱进", agent_id_number=new_id("19700101"))


def test_case_page_shows_the_applicant_id_by_role_and_logs_the_read(reg: Reg, people: dict[str, Any]) -> None:
    case = _case_with_person(reg, people)
    url = f"/work/cases/{case.public_id}/"
    page = _client(people["clerk"]).get(url).content.decode()
    assert case.applicant_id_number in page and case.agent_id_number in page
    other = _client(people["supervisor"]).get(url).content.decode()
    assert case.applicant_id_number not in other and mask_id_number(case.applicant_id_number) in other
    assert case.agent_id_number not in other
    reads = PersonalDataAccess.objects.order_by("id")
    assert [(r.username, r.subject_kind, r.subject_key, r.subject_name) for r in reads] == [
        ("clerk.pd", "case", case.reference, "赵敏"), ("supervisor.pd", "case", case.reference, "赵敏")]


def test_queues_case_lists_api_lists_exports_and_audit_never_carry_a_full_number(
        reg: Reg, people: dict[str, Any]) -> None:
    case = _case_with_person(reg, people)
    number = case.applicant_id_number
    clerk = _client(people["clerk"])
    for url in ("/work/", "/work/cases/", "/work/cases/?q=赵敏", "/api/v1/cases"):
        response = clerk.get(url)
        assert response.status_code == 200 and number not in response.content.decode(), url
    case_facts_refresh(full=True)
    supervisor = _client(people["supervisor"])
    today = timezone.localdate()
    query = f"from={today.replace(day=1).isoformat()}&to={today.isoformat()}"
    csv_body = supervisor.get(f"/supervision/export/cases.csv?{query}").content.decode("utf-8-sig")
    assert case.reference in csv_body and number not in csv_body
    xlsx = supervisor.get(f"/supervision/export/cases.xlsx?{query}").content
    cells = [str(c) for row in load_workbook(io.BytesIO(xlsx)).active.iter_rows(values_only=True) for c in row]
    assert case.reference in cells and not any(number in c for c in cells)
    payloads = json.dumps([e.payload for e in AuditEvent.objects.all()], ensure_ascii=False)
    assert number not in payloads and case.agent_id_number not in payloads


def test_log_lines_are_masked(reg: Reg, people: dict[str, Any]) -> None:
    assert "mask_id_numbers" in settings.LOGGING["handlers"]["console"]["filters"]
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Not Found: %s",
                               (f"/registry/persons/{FULL}/",), None)
    assert MaskIdNumbersFilter().filter(record)
    assert record.getMessage() == "Not Found: /registry/persons/4201**********1234/"
    try:
        raise ValueError(f"bad {FULL}")
    except ValueError:
        import sys

        failing = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", None, sys.exc_info())
    MaskIdNumbersFilter().filter(failing)
    assert FULL not in (failing.exc_text or "") and "4201**********1234" in (failing.exc_text or "")


def test_supervisors_see_the_access_log_others_do_not(reg: Reg, people: dict[str, Any]) -> None:
    person = reg.person(name="孙丽")
    _client(people["clerk"]).get(f"/registry/persons/{person.ssn}/")
    supervisor = _client(people["supervisor"])
    page = supervisor.get("/supervision/access-log/")
    html = page.content.decode()
    assert page.status_code == 200 and "个人信息查阅记录" in html and "clerk.pd" in html and person.ssn in html
    assert mask_id_number(person.id_number) in html and person.id_number not in html
    assert 'href="/supervision/access-log/"' in supervisor.get("/supervision/").content.decode()  # in the nav
    filtered = supervisor.get("/supervision/access-log/", {"who": "nobody"}).content.decode()
    assert "没有符合条件的查阅记录" in filtered
    by_subject = supervisor.get("/supervision/access-log/", {"subject": person.ssn}).content.decode()
    assert "clerk.pd" in by_subject
    bad = supervisor.get("/supervision/access-log/", {"since": "2026-13-01"})
    assert bad.status_code == 422 and "起始日期" in bad.content.decode()
    assert _client(people["clerk"]).get("/supervision/access-log/").status_code == 403
    assert Client().get("/supervision/access-log/").status_code == 302


def test_admin_lists_mask_the_number_and_every_form_showing_it_is_logged(admin_client: Client,
                                                                        people: dict[str, Any]) -> None:
    """The admin shows an online account's 身份证号 in full only on its form (needed to set the
    account up); each opening of such a form is in the access log, channel 管理后台."""
    applicant = personas.applicant("li.pd", kind="person")
    profile = ApplicantProfile.objects.get(user=applicant)
    masked = mask_id_number(profile.id_number)
    listing = admin_client.get("/admin/accounts/applicantprofile/").content.decode()
    assert profile.id_number not in listing and masked in listing
    found = admin_client.get("/admin/accounts/applicantprofile/", {"q": profile.id_number}).content.decode()
    assert "li.pd" in found and masked in found  # found by the full number (the search box repeats it), shown masked
    partial = admin_client.get("/admin/accounts/applicantprofile/", {"q": profile.id_number[:6]}).content.decode()
    assert "li.pd" not in partial  # no browsing by the beginning of a number
    assert not PersonalDataAccess.objects.exists()

    for url in (f"/admin/accounts/applicantprofile/{profile.pk}/change/", f"/admin/auth/user/{applicant.pk}/change/"):
        form = admin_client.get(url)
        assert form.status_code == 200 and profile.id_number in form.content.decode()
    reads = list(PersonalDataAccess.objects.order_by("id"))
    assert [(r.channel, r.subject_kind, r.subject_key, r.subject_name, r.id_number_masked, r.full_id_shown)
            for r in reads] == [("admin", "account", "li.pd", "张三", masked, True)] * 2
    assert reads[1].path == f"/admin/auth/user/{applicant.pk}/change/"
    # A staff account has no number: opening it is not a read of anyone's personal data.
    assert admin_client.get(f"/admin/auth/user/{people['clerk'].pk}/change/").status_code == 200
    assert PersonalDataAccess.objects.count() == 2
