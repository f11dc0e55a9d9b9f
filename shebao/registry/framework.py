"""The machinery behind item effects: one ``ItemDef`` per guide table (or group of tables) with
its data schema, its checks and its effect, and the context an effect runs in.

An item module declares::

    enrol = item("SBZX00013", effect="…", precondition="…", schema=EnrolData)

    @enrol.check
    def _(ctx: Ctx) -> list[Finding]: …

    @enrol.apply
    def _(ctx: Ctx) -> None: …

``effects.py`` runs the checks at 受理 and again at 办结, then the effect, inside the case's
transaction. Any block raises ``RegistryRefused`` (HTTP 409) citing the rule, so nothing changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.utils import timezone
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from shebao.accounts.models import OrgUnit
from shebao.cases.models import Case, CaseEvent
from shebao.core.errors import ValidationFailed
from shebao.core.identifiers import validate_credit_code, validate_id_number, validate_org_code
from shebao.core.sql import select_values

from .errors import RegistryRefused
from .models import CaseData, Employer, EmployerStatus, Person, PersonStatus
from .rules import Finding

# --------------------------------------------------------------------------- data types


def _identifier(check: Callable[[object], str]) -> Callable[[object], str]:
    def run(value: object) -> str:
        try:
            return check(value)
        except ValidationFailed as exc:
            raise ValueError(exc.message) from None
    return run


def _month(value: object) -> object:
    """“2026-11” or “2026-11-15” → the first of that month."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{1,2}", value.strip()):
        year, month = value.strip().split("-")
        return date(int(year), int(month), 1)
    if isinstance(value, str):
        return date.fromisoformat(value.strip()).replace(day=1)
    if isinstance(value, date):
        return value.replace(day=1)
    return value


IdNumber = Annotated[str, AfterValidator(_identifier(validate_id_number))]
CreditCode = Annotated[str, AfterValidator(_identifier(validate_credit_code))]
OrgCode = Annotated[str, AfterValidator(_identifier(validate_org_code))]
Month = Annotated[date, BeforeValidator(_month)]
Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
Text = Annotated[str, Field(max_length=200)]


class Data(BaseModel):
    """Base of every item's data schema: unknown fields are an error, strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PersonRef(Data):
    """Which person: 身份证号 (15 digits are converted), or 社保编号, or a foreigner's passport."""

    id_number: IdNumber | None = None
    ssn: str | None = Field(None, max_length=12)
    passport_number: str | None = Field(None, max_length=20)
    nationality: str | None = Field(None, max_length=40)


_ZH_ERRORS = {
    "missing": "必填",
    "extra_forbidden": "不是本事项的业务数据字段",
    "string_too_long": "内容过长",
    "string_too_short": "不能为空",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "decimal_parsing": "应为金额（数字）",
    "decimal_max_places": "最多两位小数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为是或否（true/false）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "too_short": "项数不足",
    "list_type": "应为列表",
    "dict_type": "应为对象",
}


def _zh(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind == "literal_error":
        return f"应为 {ctx.get('expected', '')} 之一"
    if kind in {"greater_than_equal", "greater_than"}:
        return f"应不小于 {ctx.get('ge', ctx.get('gt', ''))}"
    if kind in {"less_than_equal", "less_than"}:
        return f"应不大于 {ctx.get('le', ctx.get('lt', ''))}"
    if kind == "too_short":
        return f"至少 {ctx.get('min_length', 1)} 项"
    if kind in {"value_error", "assertion_error"}:
        return str(error.get("msg", "")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return _ZH_ERRORS.get(kind, str(error.get("msg", "不合法")))


def validate_data(schema: type[Data], raw: object) -> Data:
    try:
        return schema.model_validate(raw)
    except PydanticValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = ".".join(str(part) for part in error.get("loc", ()))
            problems.append({"field": f"data.{loc}" if loc else "data", "message": _zh(dict(error))})
        first = problems[0]
        raise ValidationFailed(f"业务数据不合法：{first['field'].removeprefix('data.')}：{first['message']}",
                               field=first["field"], extra={"problems": problems}) from None


# --------------------------------------------------------------------------- context


@dataclass
class Ctx:
    """What a check or an effect sees: the case, its validated data, who acts, and helpers that
    resolve the records the case is about (refusing with the rule when they do not exist)."""

    case: Case
    data: Any
    stage: Literal["data", "accept", "close"]
    actor: str = "system"
    today: date = field(default_factory=timezone.localdate)
    _employer: Employer | None = None
    _person: Person | None = None

    @property
    def code(self) -> str:
        return self.case.item.code

    @property
    def office(self) -> OrgUnit:
        return self.case.org_unit

    @property
    def district(self) -> str:
        unit = self.case.org_unit
        if unit.district:
            return unit.district
        return unit.parent.district if unit.parent_id and unit.parent else ""

    @property
    def district_office(self) -> OrgUnit:
        unit = self.case.org_unit
        if unit.level == "street" and unit.parent_id and unit.parent is not None:
            return unit.parent
        return unit

    def employer(self, *, registered: bool = True) -> Employer:
        """The applicant employer, by its credit code (or, for the 非“统一社会信用代码” items, by the
        organisation code in the data)."""
        if self._employer is not None:
            return self._employer
        code = self.case.applicant_credit_code
        org_code = getattr(self.data, "org_code", None) if self.data is not None else None
        employer = None
        if code:
            employer = Employer.objects.filter(credit_code=code).first()
        elif org_code:
            employer = Employer.objects.filter(org_code=org_code).first()
        if employer is None:
            who = code or org_code or self.case.applicant_name
            raise RegistryRefused(f"单位“{who}”尚未办理社会保险登记", rule="须先办理SBZX00001/SBZX00002单位社会保险登记",
                                  field="applicant_credit_code")
        if registered and employer.status != EmployerStatus.REGISTERED:
            raise RegistryRefused(f"单位{employer.name}（{employer.code}）的社会保险登记已注销",
                                  rule="注销登记的单位不能办理参保业务", field="applicant_credit_code")
        self._employer = employer
        return employer

    def person(self, *, alive: bool = True) -> Person:
        """The applicant person, by the case's 身份证号."""
        if self._person is not None:
            return self._person
        person = find_person(id_number=self.case.applicant_id_number)
        if person is None:
            raise RegistryRefused(f"身份证号{self.case.applicant_id_number or '（未填写）'}尚无参保登记",
                                  rule="本事项须为已参保人员办理", field="applicant_id_number")
        if alive:
            require_alive(person)
        self._person = person
        return person

    def find(self, ref: PersonRef, *, field_name: str = "persons", alive: bool = True) -> Person:
        person = find_person(id_number=ref.id_number or "", ssn=ref.ssn or "",
                             passport_number=ref.passport_number or "", nationality=ref.nationality or "")
        if person is None:
            shown = ref.id_number or ref.ssn or ref.passport_number or "（未填写）"
            raise RegistryRefused(f"未找到参保人员{shown}", rule="本事项须为已参保人员办理", field=field_name)
        if alive:
            require_alive(person)
        return person


def find_person(*, id_number: str = "", ssn: str = "", passport_number: str = "", nationality: str = "") -> Person | None:
    """The person on file; a 社保编号 merged by SBZX00023 resolves to the one kept."""
    person: Person | None = None
    if ssn:
        person = Person.objects.filter(ssn=ssn.strip()).first()
    elif id_number:
        person = Person.objects.filter(id_number=id_number, primary=True).first()
    elif passport_number:
        person = Person.objects.filter(passport_number=passport_number, nationality=nationality, primary=True).first()
    seen = 0
    while person is not None and person.merged_into_id is not None and seen < 10:
        person = Person.objects.get(pk=person.merged_into_id)
        seen += 1
    return person


def require_alive(person: Person) -> None:
    if person.status == PersonStatus.DECEASED:
        raise RegistryRefused(f"{person.name}（{person.ssn}）已于{person.died_on}死亡", rule="已死亡人员不能办理本事项",
                              field="persons")


# --------------------------------------------------------------------------- item definitions


Check = Callable[[Ctx], list[Finding]]
Apply = Callable[[Ctx], None]


@dataclass
class ItemDef:
    codes: tuple[str, ...]
    effect: str
    precondition: str = ""
    schema: type[Data] | None = None
    data_at: Literal["accept", "close"] = "accept"
    state: Literal["tested", "implemented", "none"] = "tested"
    check_fn: Check | None = None
    apply_fn: Apply | None = None
    on_data: Apply | None = None  # runs when the case data is set (e.g. SBZX00032 issues its bill then)

    def check(self, fn: Check) -> Check:
        self.check_fn = fn
        return fn

    def apply(self, fn: Apply) -> Apply:
        self.apply_fn = fn
        return fn


ITEMS: dict[str, ItemDef] = {}


def item(*codes: str, effect: str, precondition: str = "", schema: type[Data] | None = None,
         data_at: Literal["accept", "close"] = "accept",
         state: Literal["tested", "implemented", "none"] = "tested") -> ItemDef:
    definition = ItemDef(codes=codes, effect=effect, precondition=precondition, schema=schema, data_at=data_at,
                         state=state)
    for code in codes:
        if code in ITEMS:
            raise RuntimeError(f"item {code} defined twice")
        ITEMS[code] = definition
    return definition


def last_actor(case: Case) -> str:
    """Who closed the case: the actor of its latest timeline event (the engine passes no actor)."""
    event = CaseEvent.objects.filter(case=case).order_by("-at", "-id").values_list("actor", flat=True).first()
    return event or "system"


def stored_data(case: Case) -> dict[str, Any] | None:
    # On the case write path (受理 and 办结 read it): one raw SELECT, no ORM compilation.
    rows = select_values(CaseData, ("data",), "WHERE case_id = %s ORDER BY id LIMIT 1", [case.pk])
    return rows[0][0] if rows else None


def refusal(findings: list[Finding]) -> RegistryRefused | None:
    blocks = [f for f in findings if f.level == "block"]
    if not blocks:
        return None
    first = blocks[0]
    message = first.message if len(blocks) == 1 else first.message + f"（另有{len(blocks) - 1}项不符合，见 blocks）"
    return RegistryRefused(message, rule=first.rule, field=first.field or None,
                           extra={"blocks": [b.as_dict() for b in blocks],
                                  "warnings": [f.as_dict() for f in findings if f.level == "warn"]})
