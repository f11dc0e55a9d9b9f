"""The hard flow patterns end to end (cases issue, part 5), driven through the services and the
scheduler with the clock set where the pattern needs it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from shebao.accounts.models import OrgLevel, OrgUnit, Role
from shebao.cases import services
from shebao.cases.models import Batch, Case, CaseResult, CaseStatus, StepStatus
from shebao.cases.scheduler import tick
from shebao.cases.selectors import visible_cases
from shebao.cases.services import MaterialCheck
from shebao.core.errors import ValidationFailed

from . import personas, registry_data
from .conftest import World

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


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


def _submit(world: World, code: str, unit: OrgUnit, by: object, **fields: object) -> Case:
    defaults: dict[str, object] = {"applicant_type": "person", "applicant_name": "陈明",
                                   "applicant_id_number": personas.id_number()}
    defaults.update(fields)
    case = services.case_submit(item_code=code, channel="counter", org_unit=unit, submitted_by=by,  # type: ignore[arg-type]
                                **defaults)  # type: ignore[arg-type]
    services.case_check_materials(case=case, actor=by, checks={  # type: ignore[arg-type]
        row.material_id: MaterialCheck(original=True, copy=True) for row in case.materials.all()})
    registry_data.prepare(case, by)
    services.case_accept(case=case, actor=by)  # type: ignore[arg-type]
    case.refresh_from_db()
    return case


def _active(case: Case):  # type: ignore[no-untyped-def]
    case.refresh_from_db()
    return case.steps.get(status=StepStatus.ACTIVE)


def _pass(case: Case, actor: object, note: str = "同意") -> None:
    case.refresh_from_db()
    services.case_step_complete(case=case, actor=actor, outcome="pass", note=note)  # type: ignore[arg-type]


def test_assess_then_confirm_arrival_is_a_linked_pair(world: World, clock: Clock) -> None:
    code = personas.credit_code()
    unit_fields = {"applicant_type": "unit", "applicant_name": "武汉某某科技有限公司", "applicant_id_number": "",
                   "applicant_credit_code": code}
    with pytest.raises(ValidationFailed, match="须先办结 SBZX00020-1"):
        services.case_submit(item_code="SBZX00020-2", channel="counter", org_unit=world.offices.district_ja,
                             submitted_by=world.clerk, **unit_fields)  # type: ignore[arg-type]
    assess = _submit(world, "SBZX00020-1", world.offices.district_ja, world.clerk, **unit_fields)
    _pass(assess, world.clerk, "已开具核定表和补缴明细表")
    assess.refresh_from_db()
    assert assess.status == CaseStatus.COMPLETED and assess.result == CaseResult.GRANTED
    confirm = _submit(world, "SBZX00020-2", world.offices.district_ja, world.clerk, **unit_fields)
    assert confirm.related_case == assess
    _pass(confirm, world.clerk, "已到账")
    confirm.refresh_from_db()
    assert confirm.status == CaseStatus.COMPLETED
    # The same assessment cannot be confirmed twice.
    with pytest.raises(ValidationFailed):
        services.case_submit(item_code="SBZX00020-2", channel="counter", org_unit=world.offices.district_ja,
                             submitted_by=world.clerk, **unit_fields)  # type: ignore[arg-type]


def test_bank_payment_is_confirmed_automatically_the_next_day(world: World, clock: Clock) -> None:
    clock.set(2026, 11, 16)
    case = _submit(world, "SBZX00032", world.offices.street_ja, world.street_clerk)
    _pass(case, world.street_clerk, "已开具补、退单")
    pay = _active(case)
    assert pay.event == "payment_made" and pay.due == date(2026, 11, 20)  # 每月20日前
    clock.set(2026, 11, 18, 15)
    case.refresh_from_db()
    services.case_record_event(case=case, actor=world.street_clerk, event="payment_made", note="银行已收款")
    confirm = _active(case)
    assert confirm.auto and confirm.due == date(2026, 11, 19)
    assert tick(now=clock.set(2026, 11, 18, 23)).auto_steps == []
    report = tick(now=clock.set(2026, 11, 19, 1))
    assert report.auto_steps == [f"{case.reference}:confirm"]
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    assert tick(now=clock.set(2026, 11, 19, 2)).auto_steps == []  # idempotent


def test_transfer_between_two_offices_with_letters(world: World, clock: Clock) -> None:
    jh_reviewer = personas.staff("reviewer.jh", Role.REVIEWER, world.offices.district_jh)
    person = personas.id_number("42010619800101002")
    # The person asks the sending office (江岸) for the 参保缴费凭证 ...
    out_case = _submit(world, "SBZX00040", world.offices.district_ja, world.clerk, applicant_id_number=person)
    _pass(out_case, world.clerk, "已出具凭证")
    assert _active(out_case).event == "letter_received"
    # ... and applies to transfer in at the receiving office (江汉).
    clock.set(2026, 11, 3)
    in_case = _submit(world, "SBZX00041", world.offices.district_jh, world.clerk_jh, applicant_id_number=person)
    _pass(in_case, jh_reviewer, "审核通过")
    letter = _active(in_case)
    assert letter.kind == "letter" and letter.due == date(2026, 11, 24)  # 15 working days from 受理 (11-03)
    clock.set(2026, 11, 10)
    _pass(in_case, world.clerk_jh, "已发出联系函")
    # The letter reaches the sending office's case, whose 15-working-day stage starts from it.
    handle_out = _active(out_case)
    assert handle_out.key == "handle" and handle_out.due == date(2026, 12, 1)
    out_case.refresh_from_db()
    assert out_case.event_dates["letter_received"] == "2026-11-10"
    clock.set(2026, 11, 20)
    _pass(out_case, world.clerk, "关系和资金已转出")
    out_case.refresh_from_db()
    assert out_case.status == CaseStatus.COMPLETED
    handle_in = _active(in_case)
    assert handle_in.key == "handle" and handle_in.due == date(2026, 12, 11)  # 15 wd from funds (11-20)
    _pass(in_case, world.clerk_jh, "已办结转入")
    in_case.refresh_from_db()
    assert in_case.status == CaseStatus.COMPLETED
    # Each office sees its own side only.
    assert set(visible_cases(world.clerk).filter(pk__in=[in_case.pk, out_case.pk])) == {out_case}
    assert set(visible_cases(world.clerk_jh).filter(pk__in=[in_case.pk, out_case.pk])) == {in_case}


def test_district_review_monthly_batch_city_recheck_and_payable(world: World, clock: Clock) -> None:
    clock.set(2026, 11, 10)
    case = _submit(world, "YBZX00008", world.offices.district_ja, world.clerk,
                   applicant_type="unit", applicant_name="武汉某某科技有限公司", applicant_id_number="",
                   applicant_credit_code=personas.credit_code())
    _pass(case, world.reviewer, "初审通过")
    batch_step = _active(case)
    assert batch_step.kind == "batch" and batch_step.due == date(2026, 11, 20)
    assert tick(now=clock.set(2026, 11, 19, 22)).batches == []
    report = tick(now=clock.set(2026, 11, 20, 1))
    assert report.batches == [f"TJA-20261120-{batch_step.key}"]
    assert tick(now=clock.set(2026, 11, 20, 2)).batches == []  # no second batch
    assert Batch.objects.count() == 1
    recheck = _active(case)
    assert recheck.level == "city" and recheck.due == date(2026, 12, 11)  # 15 wd from the batch
    assert visible_cases(world.city_reviewer).filter(pk=case.pk).exists()
    _pass(case, world.city_reviewer, "复核通过")
    payable = _active(case)
    assert payable.role == Role.FINANCE
    _pass(case, world.finance, "已生成应付帐")
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED


def test_injury_determination_with_investigation_and_suspension(world: World, clock: Clock) -> None:
    clock.set(2026, 3, 2)
    case = _submit(world, "GSC00001", world.offices.district_ja, world.clerk)
    _pass(case, world.reviewer, "材料齐全，初审通过")
    assert _active(case).kind == "investigate"
    clock.set(2026, 3, 10)
    case.refresh_from_db()
    services.case_suspend(case=case, actor=world.approver, reason="等待人民法院生效判决")
    clock.set(2026, 4, 9)  # 30 days later
    case.refresh_from_db()
    services.case_resume(case=case, actor=world.approver, reason="已收到判决书")
    _pass(case, world.approver, "调查完毕")
    decide = _active(case)
    # 60 days from 受理 (03-02) would end 05-01, a holiday (→ 05-06). The 30 days of 中止
    # (03-10..04-08) do not count: 60 + 30 days end 05-31, a Sunday, so the decision is due 06-01.
    assert services.deadline(services.parse_rule("60日"), date(2026, 3, 2)).date == date(2026, 5, 6)
    assert decide.due == date(2026, 6, 1)
    clock.set(2026, 5, 20)
    _pass(case, world.approver, "认定为工伤")
    deliver = _active(case)
    assert deliver.due == date(2026, 6, 9)  # 20 days from the decision (05-20)
    _pass(case, world.approver, "已送达")
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED


def test_street_first_review_then_district_by_the_20th(world: World, clock: Clock) -> None:
    street_reviewer = personas.staff("reviewer.street", Role.REVIEWER, world.offices.street_ja)
    clock.set(2026, 11, 23)  # after the 20th: next month's batch
    case = _submit(world, "SBZX00069", world.offices.street_ja, world.street_clerk,
                   applicant_id_number=personas.id_number("42010219600307123"))  # 66: may draw the pension
    _pass(case, street_reviewer, "初审通过")
    batch = _active(case)
    # A fixed cut-off day stays put even on a Sunday (docs/workdays.md); the batch goes out that day.
    assert batch.due == date(2026, 12, 20)
    assert tick(now=clock.set(2026, 12, 19, 23)).batches == []
    tick(now=clock.set(2026, 12, 20, 1))
    recheck = _active(case)
    assert recheck.org_unit == world.offices.district_ja
    assert visible_cases(world.reviewer).filter(pk=case.pk).exists()
    _pass(case, world.reviewer, "复审通过")
    _pass(case, world.clerk, "已打印核定表")
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED


@pytest.mark.parametrize(("hour", "minute", "due"), [(15, 59, date(2026, 11, 27)), (16, 0, date(2026, 11, 30))])
def test_emergency_card_before_and_after_1600(world: World, clock: Clock, hour: int, minute: int, due: date) -> None:
    card_hall, _ = OrgUnit.objects.get_or_create(key="t-city-card", defaults={
        "name": "武汉市社会保障卡服务大厅", "level": OrgLevel.CITY, "code": "TKA"})
    clerk = personas.staff("clerk.card", Role.WINDOW_CLERK, card_hall)
    clock.set(2026, 11, 27, hour, minute)  # a Friday
    case = _submit(world, "XXZX00003", card_hall, clerk)
    assert case.promised_due == due


def test_internal_batch_item_without_applicant(world: World, clock: Clock) -> None:
    unemployment, _ = OrgUnit.objects.get_or_create(key="t-city-unemployment", defaults={
        "name": "武汉市失业保险管理办公室", "level": OrgLevel.CITY, "code": "TSY"})
    reviewer = personas.staff("reviewer.unemployment", Role.REVIEWER, unemployment)
    finance = personas.staff("finance.unemployment", Role.FINANCE, unemployment)
    clock.set(2026, 11, 25)
    case = services.case_submit(item_code="SYB00005", channel="internal", org_unit=unemployment,
                                submitted_by=reviewer, applicant_type="person", applicant_name="2026年11月失业保险金")
    services.case_check_materials(case=case, actor=reviewer, checks={
        row.material_id: MaterialCheck(original=True) for row in case.materials.all()})
    registry_data.prepare(case, reviewer)  # the month paid, with one unemployment benefit running
    services.case_accept(case=case, actor=reviewer)
    _pass(case, reviewer, "支付核定完毕")
    assert _active(case).event == "month_closed"
    assert tick(now=clock.set(2026, 11, 30, 23)).auto_steps == []
    tick(now=clock.set(2026, 12, 1, 1))
    pay = _active(case)
    assert pay.role == Role.FINANCE and pay.due == date(2026, 12, 3)  # 3 wd after the close (11-30)
    _pass(case, finance, "银行已发放")
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED and case.applicant_id_number == ""


def test_tick_recomputes_warning_levels(world: World, clock: Clock, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SHEBAO_WARNING_YELLOW_WORKING_DAYS = 2
    clock.set(2026, 11, 2)
    case = _submit(world, "SBZX00024", world.offices.district_ja, world.clerk,
                   applicant_type="unit", applicant_name="武汉某某科技有限公司", applicant_id_number="",
                   applicant_credit_code=personas.credit_code())
    assert case.promised_due == date(2026, 11, 23)
    assert tick(now=clock.set(2026, 11, 18)).warnings == []
    assert tick(now=clock.set(2026, 11, 19)).warnings == [f"{case.reference}=yellow"]  # 2 working days left
    assert tick(now=clock.set(2026, 11, 19, 12)).warnings == []  # unchanged: nothing written
    assert tick(now=clock.set(2026, 11, 24)).warnings == [f"{case.reference}=red"]
    case.refresh_from_db()
    assert case.warning == "red"


def test_online_self_service_step_is_done_by_the_next_tick(world: World, clock: Clock) -> None:
    """网上办事大厅自助办理 is an automatic step with no time limit of its own: the first tick after
    受理 finishes it and the case is 办结. Without the item's registry data (strict mode) it stays
    open, and the tick goes on with the other cases."""
    def online_case() -> Case:
        case = services.case_submit(item_code="SBZX00010", channel="online", org_unit=world.offices.district_ja,
                                    submitted_by=world.unit, applicant_type="unit",
                                    applicant_name="武汉某某科技有限公司", applicant_credit_code=personas.credit_code())
        services.case_check_materials(case=case, actor=world.clerk, checks={
            row.material_id: MaterialCheck(original=True, copy=True) for row in case.materials.all()})
        return case

    clock.set(2026, 11, 16, 10)
    ready = online_case()
    registry_data.prepare(ready, world.clerk)
    services.case_accept(case=ready, actor=world.clerk)
    waiting = online_case()
    registry_data.prepare(waiting, world.clerk)
    services.case_accept(case=waiting, actor=world.clerk)
    waiting.refresh_from_db()
    step = _active(ready)
    assert (step.key, step.auto, step.due) == ("online", True, None)
    # The second case's registry data is withdrawn behind its back: its 办结 is refused.
    from shebao.registry.models import CaseData

    CaseData.objects.filter(case=waiting).delete()
    report = tick(now=clock.set(2026, 11, 16, 10, 5))
    assert report.auto_steps == [f"{Case.objects.get(pk=ready.pk).reference}:online"]
    ready.refresh_from_db()
    assert ready.status == CaseStatus.COMPLETED and ready.result == CaseResult.GRANTED
    assert _active(waiting).key == "online" and waiting.status == CaseStatus.ACCEPTED
    assert tick(now=clock.set(2026, 11, 16, 10, 10)).auto_steps == []  # idempotent; the other still waits
