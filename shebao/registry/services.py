"""Every write to the registries. Keyword-only, typed; each runs in one transaction, writes a
``FieldChange`` row per changed field (the field-level history) and one audit-chain event.

Item effects (``effects.py``) call these; so do the demo and the staff tools (phone loss report,
payment runs, 年审 suspension). ``actor`` is a username or ``system:<job>``; ``case`` is the case
that caused the change, when there is one.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping
from collections.abc import Sequence as Seq
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.utils import timezone

from shebao.accounts.models import ApplicantKindChoice, OrgUnit, Role
from shebao.accounts.services import applicant_account_ensure
from shebao.cases.models import Case
from shebao.catalog.search import pinyin_full, pinyin_initials
from shebao.core.audit import audit_record
from shebao.core.errors import NotFound, ValidationFailed
from shebao.privacy.masking import mask_id_number

from .errors import RegistryRefused
from .models import (
    LIVE_CARD_STATUSES,
    BenefitDecision,
    BenefitKind,
    Bill,
    BillStatus,
    Card,
    CardStatus,
    DecisionStatus,
    Employer,
    EmployerStatus,
    FieldChange,
    Filing,
    FlexibleAccount,
    FlexibleGrade,
    OnlineAccount,
    Payable,
    PayableStatus,
    PaymentRun,
    Person,
    PersonStatus,
    Relationship,
    RelationshipStatus,
    Sequence,
    Transfer,
)

SENSITIVE_FIELDS = frozenset({"id_number", "legal_rep_id", "passport_number", "permit_number", "pin_hash",
                              "bank_account"})
# 工伤保险行业类别 一类至八类 and their 基准费率 (人社部发〔2015〕71号): 0.2% … 1.9% of the wage bill.
INJURY_BASE_RATES: dict[int, Decimal] = {
    1: Decimal("0.20"), 2: Decimal("0.40"), 3: Decimal("0.70"), 4: Decimal("0.90"),
    5: Decimal("1.10"), 6: Decimal("1.30"), 7: Decimal("1.60"), 8: Decimal("1.90"),
}
PIN_MAX_FAILURES = 3


# --------------------------------------------------------------------------- history


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, date | datetime | Decimal):
        return str(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def mask(field: str, value: str) -> str:
    """What the audit chain shows of a personal identifier: enough to tell records apart."""
    if field not in SENSITIVE_FIELDS or not value:
        return value
    if field == "pin_hash":
        return "******"
    return mask_id_number(value)


def object_key(obj: models.Model) -> str:
    for attr in ("code", "ssn", "number"):
        value = getattr(obj, attr, None)
        if isinstance(value, str) and value:
            return value
    return str(obj.pk)


def _record(obj: models.Model, *, fields: Mapping[str, tuple[str, str]], actor: str, case: Case | None,
            action: str, payload: Mapping[str, Any] | None = None) -> None:
    now = timezone.now()
    key = object_key(obj)
    model = obj._meta.model_name or "record"
    FieldChange.objects.bulk_create([
        FieldChange(model=model, object_id=key, field=name, old=old, new=new, at=now, actor=actor, action=action,
                    case=case)
        for name, (old, new) in fields.items()
    ])
    audit_record(
        actor=actor, action=f"registry.{action}", object_type=model, object_id=key,
        payload={
            "case": case.reference if case is not None else None,
            "changes": {name: {"from": mask(name, old), "to": mask(name, new)} for name, (old, new) in fields.items()
                        if name != "*"},
            **(payload or {}),
        },
    )


def record_created(obj: models.Model, *, actor: str, case: Case | None, action: str,
                   payload: Mapping[str, Any] | None = None) -> None:
    _record(obj, fields={"*": ("", f"创建（{action}）")}, actor=actor, case=case, action=action, payload=payload)


def record_update(obj: models.Model, changes: Mapping[str, Any], *, actor: str, case: Case | None,
                  action: str) -> dict[str, tuple[str, str]]:
    """Set the changed fields, save them, write the history. Returns {field: (old, new)} changed."""
    diff: dict[str, tuple[str, str]] = {}
    for name, new in changes.items():
        old = getattr(obj, name)
        if _text(old) != _text(new):
            diff[name] = (_text(old), _text(new))
            setattr(obj, name, new)
    if diff:
        obj.save(update_fields=list(diff))
        _record(obj, fields=diff, actor=actor, case=case, action=action)
    return diff


# --------------------------------------------------------------------------- numbers


def allocate(name: str, count: int = 1) -> int:
    """Reserve ``count`` consecutive numbers of the counter ``name``; returns the first."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                Sequence.objects.get_or_create(name=name)
        except IntegrityError:
            pass  # created by a concurrent transaction
        updated = Sequence.objects.filter(name=name).update(value=F("value") + count)
        assert updated == 1
        value = Sequence.objects.values_list("value", flat=True).get(name=name)
    return int(value) - count + 1


def number(name: str, prefix: str, width: int) -> str:
    return f"{prefix}{allocate(name):0{width}d}"


def employer_code(value: int) -> str:
    return f"DW{value:08d}"


def person_ssn(value: int) -> str:
    return f"{1_000_000_000 + value}"


def card_number(value: int) -> str:
    return f"W{value:08d}"


def _pointer(obj: Employer | Person) -> dict[str, str]:
    if isinstance(obj, Employer):
        return {"type": "employer", "code": obj.code, "name": obj.name, "url": f"/registry/employers/{obj.code}/"}
    return {"type": "person", "ssn": obj.ssn, "name": obj.name, "url": f"/registry/persons/{obj.ssn}/"}


# --------------------------------------------------------------------------- employers


def employer_existing(*, credit_code: str = "", org_code: str = "") -> Employer | None:
    """The employer already on file with this credit code, or whose organisation code is this
    one (also the code embedded in a credit code, positions 9–17)."""
    query = Q()
    if credit_code:
        query |= Q(credit_code=credit_code) | Q(org_code=credit_code[8:17])
    if org_code:
        query |= Q(org_code=org_code)
    return Employer.objects.filter(query).first() if query else None


def _refuse_duplicate_employer(existing: Employer) -> RegistryRefused:
    return RegistryRefused(
        f"该单位已办理社会保险登记：{existing.name}（单位编号 {existing.code}，"
        f"{'已注销' if existing.status == EmployerStatus.CANCELLED else '正常参保'}），不能重复登记",
        rule="《社会保险法》第五十七条：用人单位办理一次社会保险登记", field="credit_code",
        extra={"existing": _pointer(existing)},
    )


@transaction.atomic
def employer_register(*, actor: str, case: Case | None, fields: Mapping[str, Any], credit_code: str = "",
                      org_code: str = "", registered_on: date | None = None) -> Employer:
    """单位社会保险登记. ``fields`` are model fields (name, unit_type, …, insurance_types, district)."""
    if not credit_code and not org_code:
        raise ValidationFailed("单位须有统一社会信用代码，或组织机构代码", field="credit_code")
    existing = employer_existing(credit_code=credit_code, org_code=org_code)
    if existing is not None:
        raise _refuse_duplicate_employer(existing)
    values = dict(fields)
    industry = int(values.get("industry_class") or 1)
    values.setdefault("injury_base_rate", INJURY_BASE_RATES[industry])
    try:
        with transaction.atomic():
            employer = Employer.objects.create(
                code=employer_code(allocate("employer")), credit_code=credit_code,
                org_code=org_code or (credit_code[8:17] if credit_code else ""),
                registered_on=registered_on or timezone.localdate(), case=case,
                name_initials=pinyin_initials(str(values.get("name", ""))), **values,
            )
    except IntegrityError:
        existing = employer_existing(credit_code=credit_code, org_code=org_code)
        if existing is None:
            raise
        raise _refuse_duplicate_employer(existing) from None
    record_created(employer, actor=actor, case=case, action="employer_registered",
                   payload={"name": employer.name, "district": employer.district})
    return employer


@transaction.atomic
def employer_update(*, actor: str, case: Case | None, employer: Employer, changes: Mapping[str, Any],
                    action: str = "employer_changed") -> dict[str, tuple[str, str]]:
    values = dict(changes)
    if "name" in values:
        values["name_initials"] = pinyin_initials(str(values["name"]))
    return record_update(employer, values, actor=actor, case=case, action=action)


def _initial_password() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
    return "Sb" + "".join(secrets.choice(alphabet) for _ in range(10))


@transaction.atomic
def employer_account_issue(*, actor: str, case: Case | None, employer: Employer) -> tuple[str, str | None]:
    """发放社保网上办事大厅用户名及密码 (SBZX00001/00002). The username is the credit code (or
    organisation code); the initial password must be changed at the first login. Returns the
    username and the password, or None when the account already existed (its password stays)."""
    username = employer.credit_code or f"ZZ{employer.org_code}"
    password = _initial_password()
    user, created = applicant_account_ensure(
        actor=actor, username=username, password=password, role=Role.APPLICANT_UNIT, kind=ApplicantKindChoice.UNIT,
        name=employer.name, credit_code=employer.credit_code, phone=employer.phone,
    )
    # The forced change applies to the password issued here, not to an account that already had its own.
    OnlineAccount.objects.get_or_create(
        user=user, defaults={"employer": employer, "issued_at": timezone.now(), "must_change_password": created},
    )
    if employer.account_id != user.pk:
        record_update(employer, {"account": user}, actor=actor, case=case, action="online_account_issued")
    # An account of this name that existed before this registration keeps its password: not ours to show.
    return username, password if created else None


@transaction.atomic
def online_account_password_changed(*, user: Any) -> None:
    """Clear the forced password change after the user set a password of their own."""
    account = OnlineAccount.objects.filter(user=user).first()
    if account is None or not account.must_change_password:
        return
    OnlineAccount.objects.filter(pk=account.pk).update(must_change_password=False, password_changed_at=timezone.now())
    audit_record(actor=str(user.get_username()), action="registry.online_account_password_changed",
                 object_type="user", object_id=str(user.get_username()), payload={"employer": account.employer.code})


# --------------------------------------------------------------------------- persons


def person_existing(*, id_number: str = "", passport_number: str = "", nationality: str = "") -> Person | None:
    if id_number:
        return Person.objects.filter(id_number=id_number, primary=True).first()
    if passport_number:
        return Person.objects.filter(passport_number=passport_number, nationality=nationality, primary=True).first()
    return None


def _refuse_duplicate_person(existing: Person) -> RegistryRefused:
    return RegistryRefused(
        f"该证件号码已登记为参保人员：{existing.name}（社保编号 {existing.ssn}），不能重复登记；"
        "同一人存在多个社保编号的，请办理SBZX00023参保人员社会保险信息合并",
        rule="一人一个社保编号（SBZX00023）", field="id_number", extra={"existing": _pointer(existing)},
    )


@transaction.atomic
def person_register(*, actor: str, case: Case | None, fields: Mapping[str, Any], primary: bool = True) -> Person:
    """参保人员登记. ``fields``: id_number or passport_number + nationality, name, sex, birth_date, …
    ``primary=False`` is only for legacy duplicates migrated from older systems."""
    values = dict(fields)
    id_number = str(values.get("id_number") or "")
    passport = str(values.get("passport_number") or "")
    if not id_number and not passport:
        raise ValidationFailed("参保人员须有居民身份证号码，外国人须有护照号码", field="id_number")
    if primary:
        existing = person_existing(id_number=id_number, passport_number=passport,
                                   nationality=str(values.get("nationality") or ""))
        if existing is not None:
            raise _refuse_duplicate_person(existing)
    name = str(values.get("name", ""))
    try:
        with transaction.atomic():
            person = Person.objects.create(
                ssn=person_ssn(allocate("person")), primary=primary, case=case, created_on=timezone.localdate(),
                name_initials=pinyin_initials(name), name_pinyin=pinyin_full(name), **values,
            )
    except IntegrityError:
        existing = person_existing(id_number=id_number, passport_number=passport,
                                   nationality=str(values.get("nationality") or ""))
        if existing is None:
            raise
        raise _refuse_duplicate_person(existing) from None
    record_created(person, actor=actor, case=case, action="person_registered", payload={"name": person.name})
    return person


@transaction.atomic
def person_update(*, actor: str, case: Case | None, person: Person, changes: Mapping[str, Any],
                  action: str = "person_changed") -> dict[str, tuple[str, str]]:
    values = dict(changes)
    new_id = values.get("id_number")
    if new_id and new_id != person.id_number:
        other = person_existing(id_number=str(new_id))
        if other is not None and other.pk != person.pk:
            raise _refuse_duplicate_person(other)
    if "name" in values:
        values["name_initials"] = pinyin_initials(str(values["name"]))
        values["name_pinyin"] = pinyin_full(str(values["name"]))
    try:
        with transaction.atomic():
            return record_update(person, values, actor=actor, case=case, action=action)
    except IntegrityError:
        other = person_existing(id_number=str(new_id or ""))
        if other is None:
            raise
        raise _refuse_duplicate_person(other) from None


@transaction.atomic
def person_merge(*, actor: str, case: Case | None, keep: Person, duplicates: Seq[Person]) -> Person:
    """SBZX00023: move every record of the duplicate 社保编号 to the one kept; the duplicates stay,
    marked 已合并 with a pointer, so old references still resolve."""
    moved: dict[str, int] = {}
    for dup in duplicates:
        for model in (Relationship, Bill, Card, Transfer, BenefitDecision, Payable, Filing):
            count = model.objects.filter(person=dup).update(person=keep)
            moved[model.__name__] = moved.get(model.__name__, 0) + count
        record_update(keep, {
            "recorded_months": keep.recorded_months + dup.recorded_months,
            "deemed_months": max(keep.deemed_months, dup.deemed_months),
            "pension_account_balance": keep.pension_account_balance + dup.pension_account_balance,
            "medical_account_balance": keep.medical_account_balance + dup.medical_account_balance,
        }, actor=actor, case=case, action="person_merged_into")
        record_update(dup, {"status": PersonStatus.MERGED, "merged_into": keep, "primary": False,
                            "recorded_months": 0, "pension_account_balance": Decimal("0"),
                            "medical_account_balance": Decimal("0")}, actor=actor, case=case, action="person_merged")
    if not keep.primary:
        record_update(keep, {"primary": True}, actor=actor, case=case, action="person_merged_into")
    audit_record(actor=actor, action="registry.persons_merged", object_type="person", object_id=keep.ssn,
                 payload={"case": case.reference if case else None, "merged": [d.ssn for d in duplicates],
                          "moved": moved})
    return keep


# --------------------------------------------------------------------------- relationships


@transaction.atomic
def relationship_start(*, actor: str, case: Case | None, person: Person, insurance_type: str, kind: str,
                       start_on: date, employer: Employer | None = None, category: str = "",
                       monthly_wage: Decimal | None = None, region: str = "武汉市",
                       status: str = RelationshipStatus.ACTIVE, stop_on: date | None = None) -> Relationship:
    current = Relationship.objects.filter(person=person, insurance_type=insurance_type, region=region,
                                          status=RelationshipStatus.ACTIVE).select_related("employer").first()
    if current is not None and status == RelationshipStatus.ACTIVE:
        holder = current.employer.name if current.employer else current.get_kind_display()
        raise RegistryRefused(
            f"{person.name}的{current.get_insurance_type_display()}关系正在{holder}参保缴费（自{current.start_on}起），"
            "须先停保才能另行参保",
            rule="同一险种同一时期只能有一个参保关系", field="persons",
            extra={"existing": _pointer(person)},
        )
    rel = Relationship.objects.create(
        person=person, insurance_type=insurance_type, kind=kind, employer=employer, category=category,
        start_on=start_on, monthly_wage=monthly_wage, region=region, case=case, status=status, stop_on=stop_on,
    )
    first = person.pension_first_insured_on
    if insurance_type == "pension" and (first is None or start_on < first):
        record_update(person, {"pension_first_insured_on": start_on}, actor=actor, case=case,
                      action="pension_first_insured")
    _record(rel, fields={"*": ("", f"{rel.get_insurance_type_display()} {rel.get_kind_display()} 自{start_on}")},
            actor=actor, case=case, action="relationship_started",
            payload={"person": person.ssn, "employer": employer.code if employer else None})
    return rel


@transaction.atomic
def relationship_stop(*, actor: str, case: Case | None, relationship: Relationship, stop_on: date, reason: str,
                      status: str = RelationshipStatus.STOPPED) -> Relationship:
    if relationship.status != RelationshipStatus.ACTIVE and status != RelationshipStatus.CLEARED:
        raise RegistryRefused(f"该参保关系当前为“{relationship.get_status_display()}”，不能再停保",
                              rule="只能对参保缴费中的关系办理停保", field="persons")
    if stop_on < relationship.start_on:
        raise ValidationFailed(f"停保日期{stop_on}早于参保日期{relationship.start_on}", field="stop_on")
    record_update(relationship, {"status": status, "stop_on": stop_on, "stop_reason": reason, "stop_case": case},
                  actor=actor, case=case, action="relationship_stopped")
    return relationship


def relationships_active(person: Person, *, types: Iterable[str] | None = None,
                         employer: Employer | None = None) -> list[Relationship]:
    rels = Relationship.objects.filter(person=person, status=RelationshipStatus.ACTIVE)
    if types is not None:
        rels = rels.filter(insurance_type__in=list(types))
    if employer is not None:
        rels = rels.filter(employer=employer)
    return list(rels.select_related("employer"))


# --------------------------------------------------------------------------- flexible workers


@transaction.atomic
def flexible_enrol(*, actor: str, case: Case | None, person: Person, start_on: date, grade: int,
                   types: Iterable[str]) -> FlexibleAccount:
    account = FlexibleAccount.objects.filter(person=person).first()
    if account is None:
        account = FlexibleAccount.objects.create(person=person, enrolled_on=start_on)
        record_created(account, actor=actor, case=case, action="flexible_enrolled", payload={"person": person.ssn})
    else:
        record_update(account, {"status": FlexibleAccount.Status.ACTIVE, "paused_on": None, "pause_reason": ""},
                      actor=actor, case=case, action="flexible_resumed")
    FlexibleGrade.objects.create(account=account, grade=grade, effective_from=start_on, case=case)
    for insurance_type in types:
        relationship_start(actor=actor, case=case, person=person, insurance_type=insurance_type, kind="flexible",
                           start_on=start_on)
    return account


def flexible_grade_on(account: FlexibleAccount, day: date) -> int | None:
    grade = account.grades.filter(effective_from__lte=day).order_by("-effective_from", "-id").first()
    return grade.grade if grade else None


# --------------------------------------------------------------------------- bills


@transaction.atomic
def bill_issue(*, actor: str, case: Case | None, kind: str, office: OrgUnit, amount: Decimal,
               employer: Employer | None = None, person: Person | None = None, subtype: str = "",
               insurance_types: Iterable[str] = (), period_from: date | None = None, period_to: date | None = None,
               year: int | None = None, grade: int | None = None, months: int = 0,
               pay_by: date | None = None) -> Bill:
    if amount < 0:
        raise ValidationFailed("核定金额不能为负数", field="amount")
    bill = Bill.objects.create(
        number=number("bill", "HD", 10), kind=kind, subtype=subtype, employer=employer, person=person,
        insurance_types=list(insurance_types), period_from=period_from, period_to=period_to, year=year, grade=grade,
        months=months, amount=amount, office=office, issued_at=timezone.now(), pay_by=pay_by, case=case,
    )
    record_created(bill, actor=actor, case=case, action="bill_issued",
                   payload={"kind": kind, "amount": str(amount), "office": office.key})
    return bill


def _bill_move(bill: Bill, *, allowed: Iterable[str], to: str, actor: str, case: Case | None, action: str,
               **fields: Any) -> Bill:
    allowed = list(allowed)
    if bill.status not in allowed:
        raise RegistryRefused(f"单据{bill.number}当前为“{bill.get_status_display()}”，不能{action_label(action)}",
                              rule="缴费单据状态：核定 → 缴费 → 到账确认；未缴费的才能取消、回退或注销", field="bill")
    # Guarded: of two concurrent attempts exactly one moves the bill.
    if Bill.objects.filter(pk=bill.pk, status__in=allowed).update(status=to) != 1:
        raise RegistryRefused(f"单据{bill.number}已被他人处理", rule="缴费单据只能处理一次", field="bill")
    old = bill.status
    bill.status = to
    changes = {"status": (old, to)}
    for name, value in fields.items():
        changes[name] = (_text(getattr(bill, name)), _text(value))
        setattr(bill, name, value)
    if fields:
        bill.save(update_fields=list(fields))
    _record(bill, fields=changes, actor=actor, case=case, action=action)
    return bill


ACTION_LABELS = {"bill_paid": "登记缴费", "bill_confirmed": "到账确认", "bill_cancelled": "取消（回退）",
                 "bill_written_off": "注销"}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


@transaction.atomic
def bill_pay(*, actor: str, case: Case | None, bill: Bill, paid_on: date, receipt_number: str = "") -> Bill:
    return _bill_move(bill, allowed=[BillStatus.ASSESSED], to=BillStatus.PAID, actor=actor, case=case,
                      action="bill_paid", paid_on=paid_on, receipt_number=receipt_number)


@transaction.atomic
def bill_confirm(*, actor: str, case: Case | None, bill: Bill, auto: bool = False) -> Bill:
    """到账确认: the months the bill covers are credited to the person's record."""
    _bill_move(bill, allowed=[BillStatus.PAID], to=BillStatus.CONFIRMED, actor=actor, case=case,
               action="bill_confirmed", confirmed_at=timezone.now(), auto_confirmed=auto, closing_case=case)
    if bill.months and bill.person is not None:
        person = Person.objects.select_for_update().get(pk=bill.person.pk)
        record_update(person, {"recorded_months": person.recorded_months + bill.months}, actor=actor, case=case,
                      action="months_credited")
    return bill


@transaction.atomic
def bill_cancel(*, actor: str, case: Case | None, bill: Bill) -> Bill:
    return _bill_move(bill, allowed=[BillStatus.ASSESSED], to=BillStatus.CANCELLED, actor=actor, case=case,
                      action="bill_cancelled", closing_case=case)


@transaction.atomic
def bill_write_off(*, actor: str, case: Case | None, bill: Bill) -> Bill:
    return _bill_move(bill, allowed=[BillStatus.ASSESSED], to=BillStatus.WRITTEN_OFF, actor=actor, case=case,
                      action="bill_written_off", closing_case=case)


# --------------------------------------------------------------------------- transfers and filings


@transaction.atomic
def transfer_record(*, actor: str, case: Case | None, person: Person, insurance_type: str, direction: str,
                    counterpart: str, months: int = 0, funds: Decimal = Decimal("0"), reason: str = "",
                    letter_on: date | None = None) -> Transfer:
    transfer = Transfer.objects.create(
        person=person, insurance_type=insurance_type, direction=direction, counterpart=counterpart, months=months,
        funds=funds, reason=reason, letter_on=letter_on, completed_on=timezone.localdate(), case=case,
    )
    _record(transfer, fields={"*": ("", f"{transfer.get_insurance_type_display()}{transfer.get_direction_display()}"
                                         f" {counterpart}")}, actor=actor, case=case, action="transfer_recorded",
            payload={"person": person.ssn, "months": months, "funds": str(funds)})
    return transfer


@transaction.atomic
def filing_create(*, actor: str, case: Case | None, kind: str, person: Person | None = None,
                  employer: Employer | None = None, outcome: str = "", valid_from: date | None = None,
                  valid_to: date | None = None, detail: Mapping[str, Any] | None = None) -> Filing:
    filing = Filing.objects.create(
        number=number("filing", "BA", 10), kind=kind, person=person, employer=employer, outcome=outcome,
        valid_from=valid_from or timezone.localdate(), valid_to=valid_to,
        detail=json.loads(json.dumps(dict(detail or {}), ensure_ascii=False, default=str)), case=case,
    )
    record_created(filing, actor=actor, case=case, action="filing_created",
                   payload={"kind": kind, "outcome": outcome, "person": person.ssn if person else None,
                            "employer": employer.code if employer else None})
    return filing


# --------------------------------------------------------------------------- benefits and payables


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def months_after(day: date, months: int) -> date:
    """The same day ``months`` later (clamped to the month's end): “一个月内”, “3个月内”."""
    import calendar

    first = add_months(day, months)
    return first.replace(day=min(day.day, calendar.monthrange(first.year, first.month)[1]))


def months_between(first: date, last: date) -> int:
    """Whole months from the month of ``first`` to the month of ``last``, both counted."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


@transaction.atomic
def decision_create(*, actor: str, case: Case | None, kind: str, person: Person | None = None,
                    employer: Employer | None = None, monthly_amount: Decimal | None = None,
                    lump_sum: Decimal | None = None, start_month: date | None = None, months_total: int | None = None,
                    detail: Mapping[str, Any] | None = None, previous: BenefitDecision | None = None,
                    status: str = DecisionStatus.ACTIVE) -> BenefitDecision:
    decision = BenefitDecision.objects.create(
        number=number("decision", "DY", 10), kind=kind, person=person, employer=employer,
        monthly_amount=monthly_amount, lump_sum=lump_sum, start_month=start_month, months_total=months_total,
        detail=json.loads(json.dumps(dict(detail or {}), ensure_ascii=False, default=str)), status=status,
        decided_on=timezone.localdate(), previous=previous, case=case,
    )
    record_created(decision, actor=actor, case=case, action="benefit_decided",
                   payload={"kind": kind, "monthly": str(monthly_amount) if monthly_amount is not None else None,
                            "lump_sum": str(lump_sum) if lump_sum is not None else None})
    if lump_sum:
        payable_create(actor=actor, case=case, decision=decision, kind=kind, amount=lump_sum, person=person,
                       employer=employer)
    return decision


@transaction.atomic
def decision_update(*, actor: str, case: Case | None, decision: BenefitDecision, changes: Mapping[str, Any],
                    action: str = "benefit_changed") -> dict[str, tuple[str, str]]:
    return record_update(decision, changes, actor=actor, case=case, action=action)


@transaction.atomic
def payable_create(*, actor: str, case: Case | None, kind: str, amount: Decimal,
                   decision: BenefitDecision | None = None, person: Person | None = None,
                   employer: Employer | None = None, period: date | None = None, due_on: date | None = None,
                   note: str = "") -> Payable:
    if amount <= 0:
        raise ValidationFailed("应付金额须大于零", field="amount")
    payable = Payable.objects.create(
        number=number("payable", "YF", 10), decision=decision, kind=kind, person=person, employer=employer,
        period=period, amount=amount, due_on=due_on, created_at=timezone.now(), note=note, case=case,
    )
    record_created(payable, actor=actor, case=case, action="payable_created",
                   payload={"kind": kind, "amount": str(amount), "period": str(period) if period else None})
    return payable


def _monthly_kinds() -> list[str]:
    return [BenefitKind.PENSION, BenefitKind.RESIDENT_PENSION, BenefitKind.SURVIVOR_ALLOWANCE,
            BenefitKind.INJURY_DISABILITY_ALLOWANCE, BenefitKind.INJURY_NURSING, BenefitKind.DEPENDANT_PENSION,
            BenefitKind.UNEMPLOYMENT]


@transaction.atomic
def payables_generate_monthly(*, actor: str, month: date, kinds: Iterable[str] | None = None,
                              case: Case | None = None) -> list[Payable]:
    """The monthly payables of every active monthly benefit for ``month``. Idempotent: a month is
    generated once per decision (unique constraint); suspended and terminated benefits get none;
    an unemployment benefit stops once its months are used up."""
    month = month_start(month)
    wanted = list(kinds) if kinds is not None else _monthly_kinds()
    created: list[Payable] = []
    decisions = BenefitDecision.objects.filter(
        kind__in=wanted, status=DecisionStatus.ACTIVE, monthly_amount__isnull=False, start_month__lte=month,
    ).filter(Q(end_month__isnull=True) | Q(end_month__gte=month)).select_related("person")
    for decision in decisions:
        if decision.payables.filter(period=month, kind=decision.kind).exists():
            continue
        if decision.months_total is not None and decision.payables.filter(
                period__isnull=False, kind=decision.kind).count() >= decision.months_total:
            continue
        try:
            with transaction.atomic():
                created.append(payable_create(actor=actor, case=case, decision=decision, kind=decision.kind,
                                              amount=decision.monthly_amount or Decimal("0"), person=decision.person,
                                              employer=decision.employer, period=month,
                                              note=f"{month:%Y年%m月}待遇"))
        except IntegrityError:
            continue  # generated concurrently by another host
    return created


@transaction.atomic
def payment_run_execute(*, actor: str, payables: Seq[Payable], title: str, case: Case | None = None) -> PaymentRun:
    """Pay the payables in one run. A payable already paid (or cancelled) is refused, never paid twice:
    each is moved pending → paid by a guarded update."""
    if not payables:
        raise RegistryRefused("没有应付未付的应付帐，无需支付", rule="应付帐只能支付一次", field="payables")
    for payable in payables:
        if payable.status != PayableStatus.PENDING:
            raise RegistryRefused(
                f"应付帐{payable.number}当前为“{payable.get_status_display()}”"
                + (f"（已于{timezone.localtime(payable.paid_at):%Y-%m-%d}支付）" if payable.paid_at else "")
                + "，不能重复支付", rule="应付帐只能支付一次", field="payables")
    now = timezone.now()
    run = PaymentRun.objects.create(number=number("run", "ZF", 8), title=title, run_at=now, actor=actor, case=case)
    total = Decimal("0")
    for payable in payables:
        if Payable.objects.filter(pk=payable.pk, status=PayableStatus.PENDING).update(
                status=PayableStatus.PAID, paid_at=now, run=run) != 1:
            raise RegistryRefused(f"应付帐{payable.number}已被其他支付批次支付", rule="应付帐只能支付一次",
                                  field="payables")
        total += payable.amount
    PaymentRun.objects.filter(pk=run.pk).update(total=total, count=len(payables))
    run.refresh_from_db()
    FieldChange.objects.bulk_create([
        FieldChange(model="payable", object_id=p.number, field="status", old=PayableStatus.PENDING,
                    new=PayableStatus.PAID, at=now, actor=actor, action="payable_paid", case=case) for p in payables
    ])
    audit_record(actor=actor, action="registry.payment_run", object_type="payment_run", object_id=run.number,
                 payload={"title": title, "count": len(payables), "total": str(total),
                          "case": case.reference if case else None, "payables": [p.number for p in payables]})
    return run


def benefits_suspend_uncertified(*, actor: str, year: int, on: date) -> int:
    """Suspend every monthly benefit that needs 年审 and has no certification for ``year``, from the
    month after ``on`` (the certification year's deadline). Idempotent; returns how many. The bulk
    run of ``shebao tick`` (``runs.run_certification_suspend``) does the work."""
    from .runs import run_certification_suspend

    return run_certification_suspend(year=year, since=add_months(on, 1), actor=actor).changed


def _certified_kinds() -> tuple[str, ...]:
    from .models import CERTIFIED_KINDS

    return CERTIFIED_KINDS


# --------------------------------------------------------------------------- cards


@transaction.atomic
def card_issue(*, actor: str, case: Case | None, person: Person, bank: str = "汉口银行", district: str = "",
               emergency: bool = False, applied_on: date | None = None) -> Card:
    """申领 → 制卡 → 发卡: a new card, ready to be activated (启用) by setting a PIN."""
    today = timezone.localdate()
    card = Card.objects.create(
        number=card_number(allocate("card")), person=person, status=CardStatus.ISSUED, bank=bank, district=district,
        emergency=emergency, applied_on=applied_on or today, issued_on=today,
        expires_on=date(today.year + 10, today.month, min(today.day, 28)), case=case,
    )
    _record(card, fields={"*": ("", "申领"), "status": ("", "制卡 → 发卡（待启用）")}, actor=actor, case=case,
            action="card_issued", payload={"person": person.ssn, "emergency": emergency})
    return card


def live_card(person: Person) -> Card | None:
    return Card.objects.filter(person=person, status__in=LIVE_CARD_STATUSES).first()


def _card_move(card: Card, *, allowed: Iterable[str], to: str, actor: str, case: Case | None, action: str,
               rule: str, **fields: Any) -> Card:
    allowed = list(allowed)
    if card.status not in allowed:
        raise RegistryRefused(f"社保卡{card.number}当前为“{card.get_status_display()}”，不能办理", rule=rule,
                              field="card")
    if Card.objects.filter(pk=card.pk, status=card.status).update(status=to, **fields) != 1:
        raise RegistryRefused(f"社保卡{card.number}已被他人处理", rule=rule, field="card")
    old = card.status
    changes = {"status": (old, to)}
    for name, value in fields.items():
        changes[name] = (_text(getattr(card, name)), _text(value))
        setattr(card, name, value)
    card.status = to
    _record(card, fields=changes, actor=actor, case=case, action=action)
    return card


@transaction.atomic
def card_report_lost(*, actor: str, case: Case | None, card: Card, channel: str = "counter") -> Card:
    """挂失 (at a window, a partner bank, the service hall, or by phone 12333: a formal report)."""
    return _card_move(card, allowed=[CardStatus.ISSUED, CardStatus.ACTIVE, CardStatus.LOCKED], to=CardStatus.LOST,
                      actor=actor, case=case, action="card_lost", rule="XXZX00006：持卡人的社保卡遗失或损坏",
                      lost_at=timezone.now(), lost_channel=channel)


@transaction.atomic
def card_unlock_lost(*, actor: str, case: Case | None, card: Card) -> Card:
    to = CardStatus.ACTIVE if card.activated_at else CardStatus.ISSUED
    return _card_move(card, allowed=[CardStatus.LOST], to=to, actor=actor, case=case, action="card_found",
                      rule="XXZX00007：挂失的社保卡在申请补换卡前可解除挂失", lost_at=None, lost_channel="")


@transaction.atomic
def card_replace(*, actor: str, case: Case | None, card: Card, emergency: bool = False,
                 district: str = "") -> Card:
    """补换 / 急制: the old number dies (作废), a new card with a new number is issued."""
    rule = "XXZX00003：急制卡须原卡已挂失" if emergency else "XXZX00002：原卡已挂失或者卡有效期满"
    allowed = [CardStatus.LOST] if emergency else [CardStatus.LOST, CardStatus.ISSUED, CardStatus.ACTIVE,
                                                   CardStatus.LOCKED]
    _card_move(card, allowed=allowed, to=CardStatus.REPLACED, actor=actor, case=case, action="card_replaced",
               rule=rule)
    new = card_issue(actor=actor, case=case, person=card.person, bank=card.bank, district=district or card.district,
                     emergency=emergency)
    Card.objects.filter(pk=card.pk).update(replaced_by=new)
    card.replaced_by = new
    return new


def _check_pin_format(pin: str) -> None:
    if not (len(pin) == 6 and pin.isascii() and pin.isdigit()):
        raise ValidationFailed("社保卡密码须为6位数字", field="new_pin")
    if len(set(pin)) == 1 or pin in "0123456789" or pin in "9876543210":
        raise ValidationFailed("社保卡密码不能为相同或连续的数字", field="new_pin")


def pin_hash(pin: str) -> str:
    _check_pin_format(pin)
    return make_password(pin)


@transaction.atomic
def card_set_pin(*, actor: str, case: Case | None, card: Card, hashed_pin: str, reset: bool = False) -> Card:
    """修改密码 (XXZX00004; the first change activates an issued card: 启用) or 重置 (XXZX00005,
    unlocks a card locked by repeated wrong PINs). Only the hash is stored."""
    if reset:
        allowed = [CardStatus.LOCKED, CardStatus.ACTIVE, CardStatus.ISSUED]
        rule = "XXZX00005：连续输错密码被锁的社保卡可解锁并重置密码"
    else:
        allowed = [CardStatus.ISSUED, CardStatus.ACTIVE]
        rule = "XXZX00004：正常或待启用的社保卡可修改密码（被锁的须办理XXZX00005密码重置）"
    if card.status not in allowed:
        raise RegistryRefused(f"社保卡{card.number}当前为“{card.get_status_display()}”，不能办理", rule=rule,
                              field="card")
    fields: dict[str, Any] = {"pin_hash": hashed_pin, "pin_failures": 0, "status": CardStatus.ACTIVE}
    if card.activated_at is None:
        fields["activated_at"] = timezone.now()
    record_update(card, fields, actor=actor, case=case, action="card_pin_reset" if reset else "card_pin_changed")
    return card


class CardRefused(RegistryRefused):
    pass


def card_verify(*, number_: str, pin: str | None = None) -> Card:
    """Use a card at a terminal: refused unless the card is live and usable; a wrong PIN counts,
    and the third wrong PIN in a row locks the card (XXZX00005 resets it)."""
    card = Card.objects.select_related("person").filter(number=number_.strip().upper()).first()
    if card is None:
        raise NotFound(f"社保卡{number_}不存在", field="card")
    if card.status == CardStatus.REPLACED:
        raise CardRefused(f"社保卡{card.number}已补换作废，请使用新卡", rule="补换卡后原卡作废", field="card")
    if card.status == CardStatus.LOST:
        raise CardRefused(f"社保卡{card.number}已挂失，不能使用", rule="XXZX00006：挂失后停止使用", field="card")
    if card.status == CardStatus.LOCKED:
        raise CardRefused(f"社保卡{card.number}密码已锁定，请办理密码重置", rule="XXZX00005", field="card")
    if card.status != CardStatus.ACTIVE:
        raise CardRefused(f"社保卡{card.number}当前为“{card.get_status_display()}”，请先修改初始密码启用",
                          rule="XXZX00004备注：领取社保卡后，持卡人应及时修改初始密码", field="card")
    if pin is not None:
        if not check_password(pin, card.pin_hash):
            with transaction.atomic():
                Card.objects.filter(pk=card.pk).update(pin_failures=F("pin_failures") + 1)
                card.refresh_from_db()
                if card.pin_failures >= PIN_MAX_FAILURES:
                    _card_move(card, allowed=[CardStatus.ACTIVE], to=CardStatus.LOCKED, actor="system:terminal",
                               case=None, action="card_locked", rule="连续输错密码锁卡")
            raise CardRefused("社保卡密码错误", rule="连续输错3次密码锁卡", field="pin")
        if card.pin_failures:
            Card.objects.filter(pk=card.pk).update(pin_failures=0)
    return card


def now_local() -> datetime:
    return timezone.localtime(timezone.now())
