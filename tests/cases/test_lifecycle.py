"""The case lifecycle through the services: 一次性告知, 受理, steps, 办结, and the rules around them."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from shebao.cases import services
from shebao.cases.models import Case, CaseResult, CaseStatus, NoticeKind, Rectification, StepStatus
from shebao.cases.selectors import case_track, visible_cases, work_queue
from shebao.cases.services import MaterialCheck
from shebao.core.audit import audit_verify
from shebao.core.errors import Conflict, PermissionDenied, ValidationFailed
from shebao.workdays import get_calendar

from . import personas, registry_data
from .conftest import World

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _counter_case(world: World, code: str = "SBZX00001", *, complete: bool = False, data: bool = True,
                  **extra: object) -> Case:
    fields: dict[str, object] = {
        "applicant_type": "unit", "applicant_name": "武汉某某科技有限公司",
        "applicant_credit_code": personas.credit_code(),
    }
    fields.update(extra)
    case = services.case_submit(item_code=code, channel="counter", org_unit=world.offices.district_ja,
                                submitted_by=world.clerk, **fields)  # type: ignore[arg-type]
    if data:  # what the window enters for the registry (受理 needs it: strict is the default)
        registry_data.prepare(case, world.clerk)
    if complete:
        _receive_all(world, case)
    return case


def _receive_all(world: World, case: Case, *, except_positions: tuple[int, ...] = ()) -> None:
    checks = {
        row.material_id: MaterialCheck(original=True, copy=True)
        for row in case.materials.all() if row.position not in except_positions
    }
    services.case_check_materials(case=case, actor=world.clerk, checks=checks)


def _run_all_steps(world: World, case: Case) -> None:
    for _ in range(20):
        case.refresh_from_db()
        step = case.steps.filter(status=StepStatus.ACTIVE).first()
        if step is None:
            return
        actor = world.by_role(step.role or "window_clerk")  # applicant/outside steps: the office records them
        if step.kind == "await":
            services.case_record_event(case=case, actor=actor, event=step.event, note="已收到")
        else:
            services.case_step_complete(case=case, actor=actor, outcome="pass", note="审核通过")
    raise AssertionError("flow did not finish")


def test_incomplete_then_one_notice_then_supplement_accept_and_complete(world: World) -> None:
    case = _counter_case(world)
    assert case.status == CaseStatus.SUBMITTED and case.number is None
    assert case.materials.count() == 4 and case.item.version.number == 1
    _receive_all(world, case, except_positions=(3, 4))

    notice = services.case_notify_incomplete(case=case, actor=world.clerk, note="请补齐后再来")
    case.refresh_from_db()
    assert case.status == CaseStatus.INCOMPLETE
    assert notice.kind == NoticeKind.INCOMPLETE
    assert [m["position"] for m in notice.content["missing"]] == [3, 4]
    assert re.fullmatch(r"TJA-告-\d{8}-\d{4}", notice.number)

    # Issuing it again returns the same notice; a list with anything new is refused.
    assert services.case_notify_incomplete(case=case, actor=world.clerk).pk == notice.pk
    first_row = case.materials.get(position=1)
    services.case_check_materials(case=case, actor=world.clerk,
                                  checks={first_row.material_id: MaterialCheck(original=False, copy=False)})
    with pytest.raises(Conflict, match="一次性告知"):
        services.case_notify_incomplete(case=case, actor=world.clerk)
    assert case.notices.filter(kind=NoticeKind.INCOMPLETE).count() == 1

    case.refresh_from_db()
    services.case_supplement(case=case, actor=world.clerk, checks={
        row.material_id: MaterialCheck(original=True, copy=True) for row in case.materials.all()})
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED

    acceptance = services.case_accept(case=case, actor=world.clerk)
    case.refresh_from_db()
    today = timezone.localdate()
    assert case.status == CaseStatus.ACCEPTED
    assert case.number is not None and re.fullmatch(rf"TJA{today:%Y%m%d}\d{{4}}", case.number)
    assert acceptance.content["case_number"] == case.number
    assert case.legal_due is not None and case.legal_due > today  # 5个工作日
    # 即时办结: the same working day (the next one when the window works on a rest day).
    assert case.promised_due == get_calendar().next_working_day(today, inclusive=True)
    assert case.steps.filter(status=StepStatus.ACTIVE).count() == 1

    _run_all_steps(world, case)
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED and case.result == CaseResult.GRANTED
    assert case.notices.filter(kind=NoticeKind.RESULT).count() == 1
    actions = list(case.events.values_list("action", flat=True))
    assert actions[:5] == ["submitted", "registry_data_set", "materials_checked", "incomplete_notified",
                           "materials_checked"]
    assert actions[-1] == "completed" and "accepted" in actions
    count, breaks = audit_verify()
    assert breaks == [] and count >= len(actions)


def test_accept_is_refused_while_materials_are_missing(world: World) -> None:
    case = _counter_case(world)
    with pytest.raises(ValidationFailed, match="材料不齐全") as excinfo:
        services.case_accept(case=case, actor=world.clerk)
    assert excinfo.value.field == "materials"
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED and case.number is None


def test_refusal_names_reasons_and_remedies(world: World) -> None:
    case = _counter_case(world)
    with pytest.raises(ValidationFailed):
        services.case_refuse(case=case, actor=world.clerk, reasons="  ")
    notice = services.case_refuse(case=case, actor=world.clerk, reasons="不属于本机构受理范围")
    case.refresh_from_db()
    assert case.status == CaseStatus.REFUSED and case.closed_at is not None
    assert "行政复议" in notice.content["remedies"] and "行政诉讼" in notice.content["remedies"]
    with pytest.raises(Conflict):
        services.case_accept(case=case, actor=world.clerk)


def test_two_clerks_acting_at_once_one_wins(world: World) -> None:
    case = _counter_case(world, complete=True)
    stale = Case.objects.get(pk=case.pk)
    case.refresh_from_db()
    services.case_accept(case=case, actor=world.clerk)
    with pytest.raises(Conflict, match=r"已被他人处理|不能受理"):
        services.case_accept(case=stale, actor=world.reviewer)
    assert Case.objects.get(pk=case.pk).notices.filter(kind=NoticeKind.ACCEPTANCE).count() == 1


def test_idempotent_submission(world: World) -> None:
    first = _counter_case(world, idempotency_key="window-7-0001")
    again = _counter_case(world, idempotency_key="window-7-0001")
    assert first.pk == again.pk
    assert Case.objects.filter(idempotency_key="window-7-0001").count() == 1


def test_another_district_cannot_act_and_sees_nothing(world: World) -> None:
    case = _counter_case(world, complete=True)
    with pytest.raises(PermissionDenied):
        services.case_accept(case=case, actor=world.clerk_jh)
    assert not visible_cases(world.clerk_jh).filter(pk=case.pk).exists()
    assert visible_cases(world.clerk).filter(pk=case.pk).exists()
    assert visible_cases(world.supervisor).filter(pk=case.pk).exists()
    assert not visible_cases(world.person).filter(pk=case.pk).exists()
    assert work_queue(user=world.clerk).filter(pk=case.pk).exists()


def test_bad_identifiers_and_fields_are_named(world: World) -> None:
    before = Case.objects.count()
    with pytest.raises(ValidationFailed) as bad_code:
        _counter_case(world, applicant_credit_code="91420102MA4K3B7Q00")
    assert bad_code.value.field in {"credit_code", "applicant_credit_code"}
    with pytest.raises(ValidationFailed) as bad_id:
        _counter_case(world, "SBZX00023", applicant_type="person", applicant_name="李四",
                      applicant_credit_code="", applicant_id_number="420102199003071230")
    assert bad_id.value.field in {"id_number", "applicant_id_number"}
    with pytest.raises(ValidationFailed) as no_name:
        _counter_case(world, applicant_name=" ")
    assert no_name.value.field == "applicant_name"
    assert Case.objects.count() == before


def test_online_only_for_online_items_and_only_for_applicants(world: World) -> None:
    with pytest.raises(ValidationFailed, match="不支持网上办理"):
        services.case_submit(item_code="SBZX00001", channel="online", org_unit=world.offices.district_ja,
                             submitted_by=world.unit, applicant_type="unit", applicant_name="某公司",
                             applicant_credit_code=personas.credit_code())
    with pytest.raises(PermissionDenied):
        services.case_submit(item_code="SBZX00010", channel="online", org_unit=world.offices.district_ja,
                             submitted_by=world.clerk, applicant_type="unit", applicant_name="某公司",
                             applicant_credit_code=personas.credit_code())
    case = services.case_submit(item_code="SBZX00010", channel="online", org_unit=world.offices.district_ja,
                                submitted_by=world.unit, applicant_type="unit", applicant_name="武汉某某科技有限公司",
                                applicant_credit_code=personas.credit_code())
    assert case.applicant_user == world.unit
    assert visible_cases(world.unit).filter(pk=case.pk).exists()


def test_withdraw_and_rating_rules(world: World) -> None:
    case = services.case_submit(item_code="SBZX00010", channel="online", org_unit=world.offices.district_ja,
                                submitted_by=world.unit, applicant_type="unit", applicant_name="武汉某某科技有限公司",
                                applicant_credit_code=personas.credit_code())
    other = services.case_submit(item_code="SBZX00010", channel="online", org_unit=world.offices.district_ja,
                                 submitted_by=world.unit, applicant_type="unit", applicant_name="武汉某某科技有限公司",
                                 applicant_credit_code=personas.credit_code(), idempotency_key="second")
    services.case_withdraw(case=other, actor=world.unit, reason="填错了")
    assert Case.objects.get(pk=other.pk).status == CaseStatus.WITHDRAWN
    registry_data.prepare(case, world.unit)  # the online applicant enters the change with the application

    _receive_all(world, case)
    case.refresh_from_db()
    services.case_accept(case=case, actor=world.clerk)
    _run_all_steps(world, case)
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    with pytest.raises(PermissionDenied):
        services.case_rate(case=case, actor=world.clerk, score=5)
    with pytest.raises(ValidationFailed, match="差评"):
        services.case_rate(case=case, actor=world.unit, score=2)
    rating = services.case_rate(case=case, actor=world.unit, score=2, comment="窗口等待时间太长")
    task = Rectification.objects.get(rating=rating)
    assert task.org_unit == world.offices.district_ja and task.status == "open"
    with pytest.raises(Conflict):
        services.case_rate(case=case, actor=world.unit, score=5)


def test_suspension_moves_the_due_dates_by_the_days_paused(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    case = _counter_case(world, "SBZX00024", complete=True)  # 法定 20 / 承诺 15 个工作日
    monday = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)
    monkeypatch.setattr(timezone, "now", lambda: monday)
    services.case_accept(case=case, actor=world.clerk)
    case.refresh_from_db()
    promised_before = case.promised_due
    assert promised_before == date(2026, 11, 23)
    services.case_suspend(case=case, actor=world.reviewer, reason="等待司法机关结论")
    case.refresh_from_db()
    assert case.status == CaseStatus.SUSPENDED
    with pytest.raises(Conflict):
        services.case_step_complete(case=case, actor=world.reviewer, outcome="pass")
    monkeypatch.setattr(timezone, "now", lambda: monday + timedelta(days=7))  # resumed the next Monday
    services.case_resume(case=case, actor=world.reviewer, reason="已收到结论")
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED
    assert case.promised_due == date(2026, 11, 30)  # five working days later
    assert case.suspended_days == [["2026-11-02", "2026-11-09"]]


def test_online_application_without_notice_for_5_working_days_counts_as_accepted(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    submitted = datetime(2026, 9, 29, 9, 0, tzinfo=SHANGHAI)  # the day before National Day
    monkeypatch.setattr(timezone, "now", lambda: submitted)
    case = services.case_submit(item_code="SBZX00010", channel="online", org_unit=world.offices.district_ja,
                                submitted_by=world.unit, applicant_type="unit", applicant_name="武汉某某科技有限公司",
                                applicant_credit_code=personas.credit_code())
    # Working days after 09-29: 09-30, 10-08, 10-09, 10-10 (make-up Saturday), 10-12.
    assert services.cases_deem_accepted(today=date(2026, 10, 12)) == []
    later = datetime(2026, 10, 13, 9, 0, tzinfo=SHANGHAI)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert [c.pk for c in services.cases_deem_accepted(today=date(2026, 10, 13))] == [case.pk]
    case.refresh_from_db()
    assert case.status in {CaseStatus.ACCEPTED, CaseStatus.COMPLETED} and case.deemed_accepted
    assert case.number is not None and case.number.startswith("TJA20260929")
    assert services.cases_deem_accepted(today=date(2026, 10, 14)) == []  # idempotent
    # Accepted by law without its registry data (strict): 办结 waits for the data, then changes the registry.
    assert case.status == CaseStatus.ACCEPTED
    with pytest.raises(Conflict, match="业务数据"):
        _run_all_steps(world, case)
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED
    registry_data.prepare(case, world.clerk)
    _run_all_steps(world, case)
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED and case.result == CaseResult.GRANTED


def test_progress_lookup_needs_number_and_id_tail(world: World) -> None:
    case = _counter_case(world, complete=True)
    services.case_accept(case=case, actor=world.clerk)
    case.refresh_from_db()
    assert case.number is not None
    assert case_track(number=case.number, id_tail=case.applicant_credit_code[-6:]).pk == case.pk
    with pytest.raises(Exception, match="未找到"):
        case_track(number=case.number, id_tail="000000")


def test_extension_moves_both_limits_with_a_reason(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    case = _counter_case(world, "SBZX00024", complete=True)
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI))
    services.case_accept(case=case, actor=world.clerk)
    case.refresh_from_db()
    assert (case.legal_due, case.promised_due) == (date(2026, 11, 30), date(2026, 11, 23))
    with pytest.raises(ValidationFailed, match="理由"):
        services.case_extend(case=case, actor=world.reviewer, working_days=5, reason=" ")
    with pytest.raises(PermissionDenied):
        services.case_extend(case=case, actor=world.clerk, working_days=5, reason="需补充调查")
    services.case_extend(case=case, actor=world.reviewer, working_days=5, reason="需补充调查")
    case.refresh_from_db()
    assert (case.legal_due, case.promised_due) == (date(2026, 12, 7), date(2026, 11, 30))
    assert case.events.filter(action="extended").count() == 1
    assert audit_verify()[1] == []


def test_without_registry_data_the_case_completes_and_says_the_registry_was_not_changed(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SHEBAO_REGISTRY_EFFECTS = "when_data"  # the migration mode, not the default
    case = _counter_case(world, complete=True, data=False)
    services.case_accept(case=case, actor=world.clerk)
    _run_all_steps(world, case)
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    skipped = case.events.filter(action="registry_skipped")
    assert skipped.count() == 1 and "登记簿不作变更" in skipped.get().detail["note"]


def test_strict_registry_mode_refuses_acceptance_without_data(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SHEBAO_REGISTRY_EFFECTS = "strict"
    case = _counter_case(world, complete=True, data=False)
    with pytest.raises(Conflict, match="业务数据"):
        services.case_accept(case=case, actor=world.clerk)
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED and case.number is None
