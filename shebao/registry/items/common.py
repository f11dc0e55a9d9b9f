"""Shared schemas and helpers of the item modules."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from shebao.cases.models import NoticeKind
from shebao.core.identifiers import id_number_birth_date

from .. import services
from ..errors import RegistryRefused
from ..framework import Ctx, Data, IdNumber, PersonRef, item
from ..models import (
    Employer,
    Person,
    PersonStatus,
    Relationship,
    RelationshipStatus,
)
from ..rules import Finding, block

__all__ = ["PersonIn", "counted_statuses", "info_change", "person_from", "result_notice_add", "sex_from_id"]


def sex_from_id(id_number: str) -> Literal["M", "F"]:
    """GB 11643: the 17th character is odd for men, even for women."""
    return "M" if int(id_number[16]) % 2 else "F"


class PersonIn(Data):
    """A person to register (first enrolment). Sex and birth date come from the 身份证号; a
    foreigner gives passport, nationality, sex and birth date."""

    id_number: IdNumber | None = None
    passport_number: str | None = Field(None, max_length=20)
    nationality: str | None = Field(None, max_length=40)
    permit_type: str = Field("", max_length=40)
    permit_number: str = Field("", max_length=40)
    name: str = Field(..., min_length=1, max_length=60)
    sex: Literal["M", "F"] | None = None
    birth_date: date | None = None
    hukou_type: str = Field("", max_length=20)
    work_start_date: date | None = None
    phone: str = Field("", max_length=30)
    education: str = Field("", max_length=20)
    ethnicity: str = Field("", max_length=20)
    residence_address: str = Field("", max_length=200)
    hukou_address: str = Field("", max_length=200)
    hukou_district: str = Field("", max_length=40)

    @model_validator(mode="after")
    def _identity(self) -> PersonIn:
        if self.id_number:
            derived_sex = sex_from_id(self.id_number)
            derived_birth = id_number_birth_date(self.id_number)
            if self.sex and self.sex != derived_sex:
                raise ValueError("性别与身份证号不符")
            if self.birth_date and self.birth_date != derived_birth:
                raise ValueError("出生日期与身份证号不符")
            self.sex, self.birth_date = derived_sex, derived_birth
        elif self.passport_number:
            if not (self.nationality and self.sex and self.birth_date):
                raise ValueError("外国人须填写护照号码、国籍、性别和出生日期")
        else:
            raise ValueError("须填写身份证号，外国人填写护照号码")
        return self

    def ref(self) -> PersonRef:
        return PersonRef(id_number=self.id_number, ssn=None, passport_number=self.passport_number,
                         nationality=self.nationality)

    def fields(self) -> dict[str, Any]:
        values = self.model_dump(exclude_none=True)
        return values


def person_from(ctx: Ctx, data: PersonIn, *, registered_check: bool = True) -> Person | None:
    """The person on file for ``data``, or None if they are new."""
    from ..framework import find_person

    person = find_person(id_number=data.id_number or "", passport_number=data.passport_number or "",
                         nationality=data.nationality or "")
    if person is not None and registered_check and person.name != data.name:
        raise RegistryRefused(
            f"证件号码{data.id_number or data.passport_number}已登记的姓名为“{person.name}”，与申报的“{data.name}”不符",
            rule="姓名变更须先办理个人重点信息变更（SBZX00018/00037）", field="persons")
    return person


def person_ensure(ctx: Ctx, data: PersonIn) -> Person:
    person = person_from(ctx, data)
    if person is not None:
        return person
    return services.person_register(actor=ctx.actor, case=ctx.case, fields=data.fields())


def result_notice_add(ctx: Ctx, key: str, value: Any) -> None:
    """Add to the 办结通知书 the engine has just issued in the same transaction (the credentials of
    the online-hall account, the new card number …)."""
    notice = ctx.case.notices.filter(kind=NoticeKind.RESULT).order_by("-id").first()
    if notice is None:
        return
    content = dict(notice.content)
    content[key] = value
    type(notice).objects.filter(pk=notice.pk).update(content=content)


# Relationship statuses whose months count in Wuhan's record (not transferred, cleared or settled).
counted_statuses = (RelationshipStatus.ACTIVE, RelationshipStatus.STOPPED, RelationshipStatus.RETIRED)


def pension_months(person: Person, on: date) -> int:
    """Actual contribution months on file: the months covered by Wuhan pension relationships
    (overlaps counted once) plus the months recorded from transfers, back-payments and legacy data."""
    months: set[int] = set()
    for rel in Relationship.objects.filter(person=person, insurance_type="pension", region="武汉市",
                                           status__in=counted_statuses):
        end = rel.stop_on or on
        first = rel.start_on.year * 12 + rel.start_on.month - 1
        last = min(end, on).year * 12 + min(end, on).month - 1
        months.update(range(first, last + 1))
    return len(months) + person.recorded_months


def unemployment_months(person: Person, on: date) -> int:
    months: set[int] = set()
    for rel in Relationship.objects.filter(person=person, insurance_type="unemployment", status__in=counted_statuses):
        end = rel.stop_on or on
        first = rel.start_on.year * 12 + rel.start_on.month - 1
        last = min(end, on).year * 12 + min(end, on).month - 1
        months.update(range(first, last + 1))
    return len(months) + person.unemployment_months


def employs(employer: Employer, person: Person, *, active_only: bool = False) -> bool:
    rels = Relationship.objects.filter(employer=employer, person=person)
    if active_only:
        rels = rels.filter(status=RelationshipStatus.ACTIVE)
    return rels.exists()


def require_employee(employer: Employer, person: Person, *, active_only: bool = False) -> list[Finding]:
    if employs(employer, person, active_only=active_only) or (
            person.status == PersonStatus.RETIRED and Relationship.objects.filter(employer=employer, person=person)
            .exists()):
        return []
    return [block("只能为本单位职工（退休人员）办理", f"{person.name}（{person.ssn}）不是{employer.name}的"
                  + ("在保职工" if active_only else "职工或退休人员"), "persons")]


# --------------------------------------------------------------------------- information changes


EMPLOYER_KEY = {"name": "单位名称", "unit_type": "单位类型", "economic_type": "经济类型", "legal_rep_name": "法定代表人姓名",
                "legal_rep_id": "法定代表人身份证号"}
EMPLOYER_GENERAL = {"contact_name": "单位联系人姓名", "contact_phone": "联系人电话", "fax": "传真号码", "email": "邮箱地址",
                    "postcode": "邮政编码", "phone": "联系电话", "address": "地址"}
PERSON_KEY = {"name": "姓名", "sex": "性别", "id_number": "居民身份证号码", "birth_date": "档案出生日期",
              "hukou_type": "户籍性质", "work_start_date": "参加工作时间"}
PERSON_GENERAL = {"education": "文化程度", "marital_status": "婚姻状况", "ethnicity": "民族", "phone": "参保人联系电话",
                  "hukou_address": "户口所在地", "residence_address": "居住地地址"}
RESIDENT_MEDICAL_KEY = {"name": "姓名", "id_number": "居民身份证号", "hukou_type": "户籍性质"}
RESIDENT_MEDICAL_GENERAL = {**PERSON_GENERAL, "health_status": "健康状况", "contact_name": "联系人姓名",
                            "email": "电子邮箱", "work_start_date": "参加工作时间"}
RESIDENT_PENSION_GENERAL = {"ethnicity": "民族", "marital_status": "婚姻状况", "health_status": "健康状况",
                            "contact_name": "联系人姓名", "phone": "联系电话", "residence_address": "居住地址",
                            "email": "电子邮箱"}


def _changes_model(allowed: dict[str, str], elsewhere: dict[str, str], pointer: str,
                   hidden: frozenset[str] = frozenset()) -> type[Data]:
    """A schema for ``{"changes": {...}}`` limited to the allowed fields, naming the item to use
    for a field of the other kind (key ↔ general)."""

    class Changes(Data):
        allowed_changes: ClassVar[dict[str, str]] = allowed  # what the window form offers
        form_hidden: ClassVar[frozenset[str]] = hidden  # fields the window form leaves out for this subject
        changes: dict[str, Any] = Field(..., min_length=1)
        changed_on: date | None = None
        person: PersonRef | None = None
        org_code: str | None = Field(None, max_length=10)

        @model_validator(mode="after")
        def _fields(self) -> Changes:
            wrong = [name for name in self.changes if name in elsewhere]
            if wrong:
                labels = "、".join(elsewhere[name] for name in wrong)
                raise ValueError(f"{labels}不属于本事项的变更范围，请办理{pointer}")
            unknown = [name for name in self.changes if name not in allowed]
            if unknown:
                raise ValueError(f"不能变更的字段：{'、'.join(unknown)}；本事项可变更：{'、'.join(allowed.values())}")
            cleaned: dict[str, Any] = {}
            for name, value in self.changes.items():
                cleaned[name] = _clean_field(name, value)
            self.changes = cleaned
            return self

    return Changes


def _clean_field(name: str, value: Any) -> Any:
    from shebao.core.errors import ValidationFailed
    from shebao.core.identifiers import validate_id_number

    if name in {"birth_date", "work_start_date"}:
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValueError(f"{name} 应为日期（YYYY-MM-DD）") from None
    if name == "sex":
        if value not in {"M", "F"}:
            raise ValueError("性别应为 M（男）或 F（女）")
        return value
    if name in {"id_number", "legal_rep_id"} and value and len(str(value).strip()) in {15, 18}:
        try:
            return validate_id_number(value)
        except ValidationFailed as exc:
            raise ValueError(exc.message) from None
    text = str(value).strip()
    if len(text) > 200:
        raise ValueError(f"{name} 内容过长")
    return text


def info_change(*codes: str, subject: Literal["employer", "person", "employee"], allowed: dict[str, str],
                elsewhere: dict[str, str], pointer: str, effect: str, precondition: str,
                requires: Callable[[Ctx, Person], list[Finding]] | None = None,
                window_days: int | None = None, rule: str = "", online_ok: bool = True) -> None:
    schema = _changes_model(allowed, elsewhere, pointer,
                            hidden=frozenset() if subject == "employee" else frozenset({"person"}))
    definition = item(*codes, effect=effect, precondition=precondition, schema=schema)

    def target(ctx: Ctx) -> Employer | Person:
        if subject == "employer":
            return ctx.employer()
        if subject == "employee":
            if ctx.data.person is None:
                raise RegistryRefused("请在业务数据中填写要变更信息的职工（person）", rule=rule or codes[0], field="person")
            return ctx.find(ctx.data.person, field_name="person", alive=False)
        return ctx.person(alive=False)

    @definition.check
    def _check(ctx: Ctx) -> list[Finding]:
        from ..rules import within_days

        findings: list[Finding] = []
        record = target(ctx)
        if subject == "employee":
            findings += require_employee(ctx.employer(), record)  # type: ignore[arg-type]
        if requires is not None and isinstance(record, Person):
            findings += requires(ctx, record)
        unchanged = [allowed[name] for name, value in ctx.data.changes.items()
                     if services._text(getattr(record, name)) == services._text(_coerce(name, value))]
        if len(unchanged) == len(ctx.data.changes):
            findings.append(block(rule or codes[0], f"申报的{'、'.join(unchanged)}与登记信息相同，无需变更", "changes"))
        if window_days and ctx.data.changed_on:
            findings += within_days(event=ctx.data.changed_on, on=ctx.today, days=window_days, rule=rule,
                                    what="变更之日", field="changed_on")
        return findings

    @definition.apply
    def _apply(ctx: Ctx) -> None:
        record = target(ctx)
        changes = {name: _coerce(name, value) for name, value in ctx.data.changes.items()}
        if isinstance(record, Employer):
            services.employer_update(actor=ctx.actor, case=ctx.case, employer=record, changes=changes,
                                     action="employer_info_changed")
        else:
            if changes.get("id_number"):
                changes.setdefault("birth_date", id_number_birth_date(changes["id_number"]))
            services.person_update(actor=ctx.actor, case=ctx.case, person=record, changes=changes,
                                   action="person_info_changed")


def _coerce(name: str, value: Any) -> Any:
    if name in {"birth_date", "work_start_date"} and isinstance(value, str) and value:
        return date.fromisoformat(value)
    return value


def types_text(types: Iterable[str]) -> str:
    from ..models import InsuranceType

    return "、".join(InsuranceType(t).label for t in types)
