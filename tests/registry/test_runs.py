"""The monthly runs of ``shebao tick`` (shebao/registry/runs.py): payables and payroll, 年审
suspension and resumption, the annual uprating. Each must change the registry once and a second
run must change nothing."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from shebao.cases.scheduler import tick
from shebao.core.models import AuditEvent
from shebao.registry import runs, services
from shebao.registry.models import (
    BenefitDecision,
    BenefitKind,
    Certification,
    DecisionStatus,
    FieldChange,
    Payable,
    PayableStatus,
    PaymentRun,
    UpratingPolicy,
)

from .conftest import SH, Clock, Reg

pytestmark = pytest.mark.django_db


def _pension(reg: Reg, amount: str = "3000", start: date = date(2020, 1, 1), **kw: object) -> BenefitDecision:
    person = reg.person(name=str(kw.pop("name", "退休人员")), born="19550101")
    return services.decision_create(actor="test", case=None, kind=str(kw.pop("kind", BenefitKind.PENSION)),
                                    person=person, monthly_amount=Decimal(amount), start_month=start,
                                    months_total=kw.pop("months_total", None))  # type: ignore[arg-type]


def _certify(decision: BenefitDecision, year: int) -> None:
    assert decision.person is not None
    Certification.objects.create(person=decision.person, decision=decision, kind=decision.kind, year=year,
                                 channel="app", certified_on=date(year, 6, 1))


def test_monthly_payables_once_per_month_and_paid_once(reg: Reg, clock: Clock) -> None:
    active = _pension(reg, "3000")
    later = _pension(reg, "2000", start=date(2027, 1, 1), name="次年起领")
    suspended = _pension(reg, "1000", name="暂停")
    BenefitDecision.objects.filter(pk=suspended.pk).update(status=DecisionStatus.SUSPENDED)
    unemployed = _pension(reg, "1500", kind=BenefitKind.UNEMPLOYMENT, months_total=1, name="失业")
    month = date(2026, 11, 1)
    first = runs.run_monthly_payables(month=month)
    assert first.changed == 2
    rows = {p.decision_id: p for p in Payable.objects.filter(period=month)}
    assert set(rows) == {active.pk, unemployed.pk} and later.pk not in rows
    assert rows[active.pk].amount == Decimal("3000") and rows[active.pk].number.startswith("YF")
    assert runs.run_monthly_payables(month=month).changed == 0  # idempotent
    # 失业保险金: one month entitled, so none next month.
    assert runs.run_monthly_payables(month=date(2026, 12, 1)).changed == 1
    # The payroll pays the pension, never the unemployment benefit (SYB00005 pays that), and once.
    paid = runs.run_monthly_payment(month=month)
    assert paid.changed == 1
    row = Payable.objects.get(pk=rows[active.pk].pk)
    assert row.status == PayableStatus.PAID and row.run is not None and row.run.total == Decimal("3000")
    assert Payable.objects.get(pk=rows[unemployed.pk].pk).status == PayableStatus.PENDING
    runs_before = PaymentRun.objects.count()
    assert runs.run_monthly_payment(month=month).changed == 0
    assert PaymentRun.objects.count() == runs_before
    assert AuditEvent.objects.filter(action="registry.run.monthly_payment").count() == 1


def test_a_payable_cannot_exist_twice_nor_be_paid_without_its_run(reg: Reg) -> None:
    decision = _pension(reg)
    runs.run_monthly_payables(month=date(2026, 11, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Payable.objects.create(number="YF9999999999", decision=decision, kind=decision.kind, person=decision.person,
                               period=date(2026, 11, 1), amount=Decimal("1"), created_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        Payable.objects.filter(decision=decision).update(status=PayableStatus.PAID)
    # One-off payables (no month) of the same decision are not monthly ones: any number may exist.
    for number in ("YF9999999990", "YF9999999991"):
        Payable.objects.create(number=number, decision=decision, kind=decision.kind, person=decision.person,
                               amount=Decimal("1"), created_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():  # numbers stay unique
        Payable.objects.create(number="YF9999999990", kind=decision.kind, amount=Decimal("1"),
                               created_at=timezone.now())


def test_the_payroll_changes_no_indexed_column(reg: Reg) -> None:
    """Paying writes status, paid_at and run; none of them may be in an index of the payables, or on
    PostgreSQL each of a million payments writes every index (docs/registry.md: HOT updates)."""
    from django.db import connection

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Payable._meta.db_table)
    indexed = {column for info in constraints.values() if info["index"] or info["unique"]
               for column in info["columns"]}
    assert {"decision_id", "period", "kind", "number"} <= indexed
    assert indexed.isdisjoint({"status", "paid_at", "run_id"}), indexed


def test_missed_certification_suspends_from_january_once(reg: Reg) -> None:
    certified = _pension(reg, name="已年审")
    _certify(certified, 2026)
    missed = _pension(reg, name="未年审")
    new = _pension(reg, start=date(2026, 5, 1), name="当年退休")
    result = runs.run_certification_suspend(year=2026)
    assert result.changed == 1
    missed.refresh_from_db()
    assert missed.status == DecisionStatus.SUSPENDED and missed.suspended_from == date(2027, 1, 1)
    assert BenefitDecision.objects.get(pk=certified.pk).status == DecisionStatus.ACTIVE
    assert BenefitDecision.objects.get(pk=new.pk).status == DecisionStatus.ACTIVE
    history = FieldChange.objects.filter(object_id=missed.number, action="benefit_suspended_uncertified")
    assert {(h.field, h.old, h.new) for h in history} == {("status", "active", "suspended"),
                                                          ("suspended_from", "", "2027-01-01")}
    assert runs.run_certification_suspend(year=2026).changed == 0
    assert AuditEvent.objects.filter(action="registry.run.certification_suspend").count() == 1
    # Suspended: no payable for January.
    assert runs.run_monthly_payables(month=date(2027, 1, 1)).changed == 2


@pytest.mark.parametrize(("code", "day", "resumes", "backpaid_months"), [
    ("SBZX00072", date(2027, 3, 21), date(2027, 4, 1), 3),   # before the 22nd: next month; Jan–Mar back-paid
    ("SBZX00072", date(2027, 3, 23), date(2027, 5, 1), 4),   # after: the third month; Jan–Apr back-paid
])
def test_late_certification_resumes_by_the_day_of_month_rule(reg: Reg, clock: Clock, code: str, day: date,
                                                             resumes: date, backpaid_months: int) -> None:
    decision = _pension(reg, "2500")
    runs.run_certification_suspend(year=2026)
    clock.moment = datetime(day.year, day.month, day.day, 9, tzinfo=SH)
    assert decision.person is not None
    case = reg.run(code, {"year": 2026}, person=decision.person)
    decision.refresh_from_db()
    assert decision.status == DecisionStatus.SUSPENDED and decision.resume_month == resumes
    before = services.add_months(resumes, -1)
    assert runs.run_certification_resume(month=before).changed == 0
    result = runs.run_certification_resume(month=resumes)
    assert result.changed == 1 and result.detail["backpay"] == 1
    backpay = Payable.objects.get(decision=decision, kind=BenefitKind.BACKPAY)
    assert backpay.amount == Decimal("2500") * backpaid_months and backpay.period == resumes
    assert runs.run_certification_resume(month=resumes).changed == 0
    # From the resumption month on the monthly run pays it again; the back-paid months are not paid again.
    assert runs.run_monthly_payables(month=resumes).changed == 1
    assert not Payable.objects.filter(decision=decision, kind=BenefitKind.PENSION, period=before).exists()
    assert case.status == "completed"


def test_uprating_applies_once_with_backpay_for_months_already_paid(reg: Reg) -> None:
    decision = _pension(reg, "3000.00")
    late = _pension(reg, "2000.00", start=date(2027, 3, 1), name="调整后退休")
    for month in (date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1)):
        runs.run_monthly_payables(month=month)
    policy = UpratingPolicy.objects.create(year=2027, effective_month=date(2027, 1, 1), percent=Decimal("2"),
                                           fixed_amount=Decimal("30"), basis="（测试）")
    result = runs.run_pension_uprating(policy=policy)
    assert result.changed == 1 and result.detail["backpay"] == 1
    decision.refresh_from_db()
    assert decision.monthly_amount == Decimal("3090.00") and decision.uprated_year == 2027  # 3000 + 60 + 30
    assert BenefitDecision.objects.get(pk=late.pk).monthly_amount == Decimal("2000.00")
    backpay = Payable.objects.get(decision=decision, kind=BenefitKind.UPRATING_BACKPAY)
    assert backpay.amount == Decimal("180.00")  # January and February at 90 more
    changes = {h.field: (h.old, h.new) for h in FieldChange.objects.filter(object_id=decision.number,
                                                                           action="benefit_uprated")}
    assert changes == {"monthly_amount": ("3000.00", "3090.00")}
    assert runs.run_pension_uprating(policy=policy).changed == 0
    decision.refresh_from_db()
    assert decision.monthly_amount == Decimal("3090.00")
    assert Payable.objects.filter(kind=BenefitKind.UPRATING_BACKPAY).count() == 1


def test_tick_runs_them(reg: Reg, clock: Clock) -> None:
    decision = _pension(reg, "3000")
    _certify(decision, 2025)  # else the tick in 2026 suspends it for the missed 2025 年审
    UpratingPolicy.objects.create(year=2027, effective_month=date(2027, 1, 1), percent=Decimal("1"))
    report = tick(now=datetime(2026, 11, 5, 9, tzinfo=SH))
    assert any(line.startswith("registry monthly_payables: 1") for line in report.lines())
    assert Payable.objects.get(decision=decision, period=date(2026, 11, 1)).status == PayableStatus.PAID
    tick(now=datetime(2026, 11, 6, 9, tzinfo=SH))
    assert Payable.objects.filter(decision=decision).count() == 1
    _certify(decision, 2026)
    tick(now=datetime(2027, 1, 4, 9, tzinfo=SH))
    decision.refresh_from_db()
    assert decision.status == DecisionStatus.ACTIVE and decision.uprated_year == 2027
    assert Payable.objects.get(decision=decision, period=date(2027, 1, 1)).amount == Decimal("3030.00")
