"""``shebao demo``: a synthetic city for demos, tests and benchmarks.

Employers with checksum-valid 统一社会信用代码, persons with valid 身份证号 (Wuhan district
regions, real birth dates), their insurance relationships (employees, flexible workers, residents,
retirees with pensions, unemployed with benefits), social security cards, and cases of many items
in every state. Designed for speed: identifiers are computed in memory, rows go in with
``bulk_create`` in chunks, numbers are reserved in blocks, and the whole run writes ONE audit event
(synthetic bulk data carries no per-row history). Deterministic for a given ``seed`` and database.

Every identifier is synthetic: built from a region code, a birth date and a sequence with the check
characters computed; they belong to nobody we know of.
"""

from __future__ import annotations

import random
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from typing import Any, TextIO, TypeVar

from django.db import models, transaction
from django.utils import timezone
from pypinyin import Style, lazy_pinyin

from shebao.accounts.models import OrgLevel, OrgUnit
from shebao.cases.models import (
    Case,
    CaseMaterial,
    CaseResult,
    CaseStatus,
    CaseStep,
    Channel,
    DailySequence,
    StepStatus,
    applicant_key,
)
from shebao.catalog.flows import flow_for
from shebao.catalog.models import ServiceItem
from shebao.catalog.selectors import catalog_version_in_force
from shebao.core.audit import audit_record
from shebao.core.identifiers import credit_code_check_char, id_number_check_char, org_code_check_char
from shebao.workdays import deadline, parse_rule

from .bulk import insert_rows, keys
from .models import (
    EMPLOYER_TYPES,
    BenefitDecision,
    BenefitKind,
    Card,
    CardStatus,
    Certification,
    DecisionStatus,
    Employer,
    FlexibleAccount,
    FlexibleGrade,
    Person,
    PersonStatus,
    Relationship,
    RelationshipStatus,
)
from .services import INJURY_BASE_RATES, allocate, card_number, employer_code, person_ssn

ACTOR = "system:demo-city"
CHUNK = 5000
T = TypeVar("T", bound=models.Model)

# District name (as the office directory writes it) → GB/T 2260 county code used in identifiers.
DISTRICTS: dict[str, str] = {
    "江岸": "420102", "江汉": "420103", "硚口": "420104", "汉阳": "420105", "武昌": "420106", "青山": "420107",
    "洪山": "420111", "东西湖": "420112", "武汉经济技术开发区（汉南）": "420113", "蔡甸": "420114", "江夏": "420115",
    "黄陂": "420116", "新洲": "420117", "东湖高新区": "420111",
}
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜"
            "崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红玲芬燕彬斌宇浩凯鹏飞鑫波辉晨阳欣怡佳琪涵轩思雨然航俊婷颖"
BRANDS = ("长江", "光谷", "汉正", "楚天", "江城", "黄鹤", "东湖", "晴川", "龟山", "南湖", "沌口", "金银", "汉阳", "华中",
          "九省", "江汉", "武昌", "青山", "珞珈", "汤逊", "白沙", "古琴", "琴台", "汉江")
TRADES = ("科技", "物流", "建设", "商贸", "餐饮", "医药", "电子", "机械", "文化", "环保", "软件", "置业", "服务", "纺织",
          "食品", "汽车零部件", "信息", "装饰", "教育咨询", "印务")
SUFFIXES = ("有限公司", "有限公司", "有限责任公司", "股份有限公司")
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
PERSON_ITEMS = ("XXZX00001", "SBZX00029", "XXZX00006", "XXZX00004", "SBZX00072", "SBZX00036", "YBZX00004",
                "SBZX00051", "SBZX00055", "SBZX00034", "XXZX00002", "SYB00002", "SBZX00040", "SBZX00060")
UNIT_ITEMS = ("SBZX00013", "SBZX00014", "SBZX00010", "SBZX00016", "SBZX00017", "SBZX00020-1", "SBZX00005",
              "SBZX00003", "YBZX00014", "SBZX00009")


@dataclass
class DemoReport:
    employers: int = 0
    persons: int = 0
    relationships: int = 0
    cards: int = 0
    benefits: int = 0
    cases: int = 0
    steps: int = 0
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        return [
            f"demo city: {self.employers} employers, {self.persons} persons, {self.relationships} relationships, "
            f"{self.cards} cards, {self.benefits} benefit decisions, {self.cases} cases ({self.steps} steps) "
            f"in {self.seconds:.1f} s",
            *[f"  {key}: {value}" for key, value in sorted(self.counts.items())],
        ]


def _chunks(rows: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _bulk(model: type[T], rows: Sequence[T]) -> list[T]:
    created: list[T] = []
    for chunk in _chunks(rows):
        created += model.objects.bulk_create(chunk)  # type: ignore[attr-defined]
    return created


class Names:
    """Random Chinese names with their pinyin computed once per character."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        chars = set(SURNAMES + GIVEN + "".join(BRANDS + TRADES + SUFFIXES) + "武汉")
        self.pinyin = {c: lazy_pinyin(c, style=Style.NORMAL)[0] for c in chars}

    def initials(self, name: str) -> str:
        return "".join(self.pinyin[c][0] for c in name if c in self.pinyin)

    def full(self, name: str) -> str:
        return "".join(self.pinyin.get(c, "") for c in name)

    def person(self) -> str:
        given = "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2))))
        return self.rng.choice(SURNAMES) + given

    def employer(self) -> str:
        return "武汉" + self.rng.choice(BRANDS) + self.rng.choice(TRADES) + self.rng.choice(SUFFIXES)


def _credit_codes(rng: random.Random, count: int, regions: Sequence[str]) -> list[tuple[str, str]]:
    """(credit code, district) pairs, unique here and not already registered."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    names = list(DISTRICTS)
    while len(out) < count:
        batch: list[tuple[str, str]] = []
        while len(batch) < min(CHUNK, count - len(out)):
            district = rng.choice(names) if not regions else rng.choice(regions)
            body = "MA4" + "".join(rng.choice(CREDIT_ALPHABET) for _ in range(5))
            first17 = "91" + DISTRICTS[district] + body + org_code_check_char(body)
            code = first17 + credit_code_check_char(first17)
            if code[8:17] not in seen:
                seen.add(code[8:17])
                batch.append((code, district))
        taken = set(Employer.objects.filter(org_code__in=[c[8:17] for c, _ in batch]).values_list("org_code", flat=True))
        out += [(c, d) for c, d in batch if c[8:17] not in taken]
    return out


def _id_numbers(rng: random.Random, count: int) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    regions = sorted(set(DISTRICTS.values()))
    start, span = date(1940, 1, 1).toordinal(), (date(2024, 12, 31) - date(1940, 1, 1)).days
    while len(out) < count:
        batch: list[str] = []
        while len(batch) < min(CHUNK, count - len(out)):
            born = date.fromordinal(start + int(span * rng.betavariate(2.2, 2.0)))
            first17 = f"{rng.choice(regions)}{born:%Y%m%d}{rng.randrange(1000):03d}"
            number = first17 + id_number_check_char(first17)
            if number not in seen:
                seen.add(number)
                batch.append(number)
        taken = set(Person.objects.filter(id_number__in=batch).values_list("id_number", flat=True))
        out += [n for n in batch if n not in taken]
    return out


def _birth(number: str) -> date:
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _month(day: date) -> date:
    return day.replace(day=1)


@transaction.atomic
def demo_city(*, employers: int, persons: int, seed: int, cases: int | None = None,
              today: date | None = None) -> DemoReport:
    started = time.monotonic()
    rng = random.Random(seed)
    today = today or timezone.localdate()
    names = Names(rng)
    report = DemoReport()
    if not OrgUnit.objects.filter(level=OrgLevel.DISTRICT).exists():
        from shebao.accounts.services import org_units_sync

        org_units_sync(actor=ACTOR)
    units = {u.district: u for u in OrgUnit.objects.filter(level=OrgLevel.DISTRICT).exclude(district="")}
    if not units:
        raise RuntimeError("demo city: no district units; load the catalog and sync the offices first")
    districts = [d for d in DISTRICTS if d in units] or list(units)
    aware = timezone.get_current_timezone()

    # ---------------------------------------------------------------- employers
    first = allocate("employer", employers) if employers else 0
    employer_rows: list[dict[str, Any]] = []
    for index, (code, district) in enumerate(_credit_codes(rng, employers, districts)):
        name = names.employer()
        industry = rng.choices(range(1, 9), weights=(30, 25, 15, 10, 8, 6, 4, 2))[0]
        registered = today - timedelta(days=rng.randrange(30, 365 * 20))
        employer_rows.append({
            "code": employer_code(first + index), "credit_code": code, "org_code": code[8:17], "name": name,
            "unit_type": "企业", "economic_type": rng.choice(("私营", "有限责任", "国有", "集体", "股份合作")),
            "legal_rep_name": names.person(), "contact_name": names.person(),
            "contact_phone": f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
            "phone": f"027-{rng.randrange(10**8):08d}", "address": f"{district}某路{rng.randrange(1, 999)}号",
            "insurance_types": list(EMPLOYER_TYPES), "industry_class": industry,
            "injury_base_rate": INJURY_BASE_RATES[industry], "district": district, "office_id": units[district].pk,
            "founded_on": registered - timedelta(days=rng.randrange(1, 25)), "registered_on": registered,
            "online_credit": rng.random() < 0.7, "name_initials": names.initials(name),
        })
    report.employers = insert_rows(Employer, employer_rows)
    employer_pk = keys(Employer, "code", [row["code"] for row in employer_rows])
    employer_list = [(employer_pk[row["code"]], row) for row in employer_rows]

    # ---------------------------------------------------------------- persons
    numbers = _id_numbers(rng, persons)
    first = allocate("person", persons) if persons else 0
    person_rows: list[dict[str, Any]] = []
    roles: list[str] = []
    for index, number in enumerate(numbers):
        born = _birth(number)
        sex = "M" if int(number[16]) % 2 else "F"
        age = _age(born, today)
        retire_age = 60 if sex == "M" else rng.choice((50, 55))
        if age < 16:
            role = "resident"
        elif age >= retire_age:
            role = rng.choices(("retiree", "resident"), weights=(75, 25))[0]
        else:
            role = rng.choices(("employee", "flexible", "resident", "unemployed"), weights=(70, 12, 14, 4))[0]
        if role in {"employee", "unemployed"} and not employer_list:
            role = "flexible"
        name = names.person()
        roles.append(role)
        work = date(min(born.year + rng.randrange(18, 24), today.year), rng.randrange(1, 13), 1)
        person_rows.append({
            "ssn": person_ssn(first + index), "id_number": number, "name": name, "sex": sex, "birth_date": born,
            "hukou_type": rng.choice(("城镇", "农村")), "work_start_date": work if role != "resident" else None,
            "phone": f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
            "education": rng.choice(("本科", "大专", "高中", "初中")),
            "status": PersonStatus.RETIRED if role == "retiree" else PersonStatus.ACTIVE,
            "retired_on": date(born.year + retire_age, born.month, 1) if role == "retiree" else None,
            "medical_retiree": role == "retiree", "post_type": rng.choice(("cadre", "worker")) if sex == "F" else "",
            "deemed_months": rng.choice((0, 0, 0, 24, 60)) if born.year < 1970 else 0,
            "pension_account_balance": Decimal(rng.randrange(0, 200000)), "hukou_district": rng.choice(districts),
            "name_initials": names.initials(name), "name_pinyin": names.full(name), "created_on": today,
            "primary": True,
        })
    report.persons = insert_rows(Person, person_rows)
    person_pk = keys(Person, "ssn", [row["ssn"] for row in person_rows])
    report.counts = {f"persons.{r}": roles.count(r) for r in sorted(set(roles))}

    # ---------------------------------------------------------------- relationships, accounts, benefits
    rels: list[dict[str, Any]] = []
    accounts: list[dict[str, Any]] = []
    decisions: list[dict[str, Any]] = []
    employer_of: dict[int, tuple[int, dict[str, Any]]] = {}
    decision_first = allocate("decision", sum(1 for r in roles if r in {"retiree", "unemployed"}) + 1)
    decision_index = 0
    for row, role in zip(person_rows, roles, strict=True):
        pid = person_pk[row["ssn"]]
        born = row["birth_date"]
        if role == "resident":
            age = _age(born, today)
            rels.append({"person_id": pid, "insurance_type": "resident_medical", "kind": "resident",
                         "start_on": date(max(today.year - rng.randrange(0, 8), born.year), 1, 1),
                         "category": "新生儿" if age < 1 else ("学生" if age < 22 else "普通居民")})
            if age >= 16 and rng.random() < 0.4:
                rels.append({"person_id": pid, "insurance_type": "resident_pension", "kind": "resident",
                             "start_on": date(today.year - rng.randrange(0, 10), 3, 1)})
            continue
        work = row["work_start_date"] or date(born.year + 20, 1, 1)
        if role == "employee":
            epk, employer = rng.choice(employer_list)
            employer_of[pid] = (epk, employer)
            start = min(max(work, employer["registered_on"],
                            date(today.year - rng.randrange(0, 15), rng.randrange(1, 13), 1)), today.replace(day=1))
            if rng.random() < 0.25 and len(employer_list) > 1:  # an earlier job, stopped
                earlier_pk, _ = rng.choice(employer_list)
                stop = start - timedelta(days=rng.randrange(1, 400))
                if stop > work and earlier_pk != epk:
                    rels += [{"person_id": pid, "insurance_type": t, "kind": "employer", "employer_id": earlier_pk,
                              "start_on": work, "stop_on": stop, "stop_reason": "辞职（退）",
                              "status": RelationshipStatus.STOPPED} for t in EMPLOYER_TYPES]
            wage = Decimal(rng.randrange(3000, 25000, 100))
            rels += [{"person_id": pid, "insurance_type": t, "kind": "employer", "employer_id": epk,
                      "start_on": start, "monthly_wage": wage} for t in EMPLOYER_TYPES]
        elif role == "flexible":
            start = _month(today - timedelta(days=rng.randrange(30, 3650)))
            accounts.append({"person_id": pid, "enrolled_on": start})
            rels += [{"person_id": pid, "insurance_type": t, "kind": "flexible", "start_on": start}
                     for t in ("pension", "medical")]
        else:  # retiree, unemployed
            epk, _ = rng.choice(employer_list)
            stop = row["retired_on"] or (today - timedelta(days=rng.randrange(20, 200)))
            for t in EMPLOYER_TYPES:
                retired_medical = role == "retiree" and t == "medical"
                rels.append({"person_id": pid, "insurance_type": t, "kind": "employer", "employer_id": epk,
                             "start_on": min(work, stop - timedelta(days=400)), "stop_on": stop,
                             "stop_reason": "退休" if role == "retiree" else "终止解除劳动合同（劳动关系）",
                             "status": RelationshipStatus.RETIRED if retired_medical else RelationshipStatus.STOPPED})
            retiree = role == "retiree"
            decisions.append({
                "number": f"DY{decision_first + decision_index:010d}",
                "kind": BenefitKind.PENSION if retiree else BenefitKind.UNEMPLOYMENT, "person_id": pid,
                "monthly_amount": Decimal(rng.randrange(2200, 7000, 10) if retiree else rng.randrange(1500, 2100, 10)),
                "start_month": _month(stop + timedelta(days=31)), "decided_on": stop,
                "months_total": None if retiree else rng.choice((12, 18, 24)),
                "status": DecisionStatus.ACTIVE if rng.random() < 0.97 else DecisionStatus.SUSPENDED,
            })
            if decisions[-1]["status"] == DecisionStatus.SUSPENDED:  # missed last year's 年审
                decisions[-1]["suspended_from"] = date(today.year, 1, 1)
            decision_index += 1
    report.relationships = insert_rows(Relationship, rels)
    insert_rows(FlexibleAccount, accounts)
    account_pk = keys(FlexibleAccount, "person_id", [a["person_id"] for a in accounts])
    insert_rows(FlexibleGrade, [{"account_id": account_pk[a["person_id"]], "effective_from": a["enrolled_on"],
                                 "grade": rng.choice((60, 60, 100, 150, 200, 300))} for a in accounts])
    report.benefits = insert_rows(BenefitDecision, decisions)
    # Last year's 年审 of the pensions still paid, so that `shebao tick` suspends only the few
    # without one (runs.run_certification_suspend).
    certified = [d for d in decisions if d["kind"] == BenefitKind.PENSION and d["status"] == DecisionStatus.ACTIVE]
    decision_pk = keys(BenefitDecision, "number", [d["number"] for d in certified])
    insert_rows(Certification, [{
        "person_id": d["person_id"], "decision_id": decision_pk[d["number"]], "kind": BenefitKind.PENSION,
        "year": today.year - 1, "channel": rng.choice(("app", "community", "street", "window")),
        "certified_on": date(today.year - 1, rng.randrange(3, 12), rng.randrange(1, 28))} for d in certified])

    # ---------------------------------------------------------------- cards
    holders = [person_pk[row["ssn"]] for row, role in zip(person_rows, roles, strict=True)
               if rng.random() < (0.9 if role != "resident" else 0.6)]
    first = allocate("card", len(holders)) if holders else 0
    statuses = (CardStatus.ACTIVE,) * 86 + (CardStatus.ISSUED,) * 10 + (CardStatus.LOST,) * 2 + (CardStatus.LOCKED,) * 2
    lost_at = timezone.make_aware(datetime.combine(today - timedelta(days=3), dtime(9)), aware)
    cards = []
    for index, pid in enumerate(holders):
        issued = today - timedelta(days=rng.randrange(1, 3000))
        status = rng.choice(statuses)
        cards.append({
            "number": card_number(first + index), "person_id": pid, "status": status,
            "bank": "汉口银行" if rng.random() < 0.8 else rng.choice(("中国工商银行", "中国建设银行", "中国农业银行")),
            "district": rng.choice(districts), "applied_on": issued - timedelta(days=40), "issued_on": issued,
            "expires_on": date(issued.year + 10, issued.month, min(issued.day, 28)),
            "activated_at": None if status == CardStatus.ISSUED else
            timezone.make_aware(datetime.combine(issued, dtime(10)), aware),
            "lost_at": lost_at if status == CardStatus.LOST else None,
            "lost_channel": "phone" if status == CardStatus.LOST else "",
        })
    report.cards = insert_rows(Card, cards)

    # ---------------------------------------------------------------- cases
    wanted = cases if cases is not None else employers + persons // 5
    report.cases, report.steps = _demo_cases(rng, wanted, today=today, units=units, employers=employer_list,
                                             persons=[(person_pk[r["ssn"]], r) for r in person_rows],
                                             employer_of=employer_of)
    report.seconds = time.monotonic() - started
    audit_record(actor=ACTOR, action="registry.demo_city_generated", object_type="registry", object_id=str(seed),
                 payload={"seed": seed, "employers": report.employers, "persons": report.persons,
                          "relationships": report.relationships, "cards": report.cards, "benefits": report.benefits,
                          "cases": report.cases, "today": today.isoformat()})
    return report


class _Due:
    """Memoised due dates: one computation per (rule text, day)."""

    def __init__(self) -> None:
        self.cache: dict[tuple[str, date], tuple[date | None, bool]] = {}

    def __call__(self, text: str, day: date) -> tuple[date | None, bool]:
        key = (text, day)
        if key not in self.cache:
            result = deadline(parse_rule(text), day)
            self.cache[key] = (result.date, result.provisional)
        return self.cache[key]


def _demo_cases(rng: random.Random, count: int, *, today: date, units: dict[str, OrgUnit],
                employers: list[tuple[int, dict[str, Any]]], persons: list[tuple[int, dict[str, Any]]],
                employer_of: dict[int, tuple[int, dict[str, Any]]]) -> tuple[int, int]:
    if count <= 0:
        return 0, 0
    version = catalog_version_in_force()
    if version is None:
        raise RuntimeError("demo city: the catalog is not loaded")
    items = {i.code: i for i in ServiceItem.objects.filter(version=version)}
    materials = {i.code: list(i.materials.all()) for i in items.values()}
    unit_by_pk = {u.pk: u for u in units.values()}
    sequences: dict[tuple[str, date], int] = {}
    for seq_row in DailySequence.objects.filter(scope__startswith="case:", day__gte=today - timedelta(days=400)):
        sequences[(seq_row.scope, seq_row.day)] = seq_row.value
    due = _Due()
    tz = timezone.get_current_timezone()
    unit_list = list(units.values())
    rows: list[dict[str, Any]] = []
    open_cases: list[tuple[uuid.UUID, str, str, int]] = []  # public id, item, status, office
    for _ in range(count):
        if (rng.random() < 0.35 and employers) or not persons:
            code = rng.choice(UNIT_ITEMS)
            _, employer = rng.choice(employers)
            applicant = {"applicant_type": "unit", "applicant_name": employer["name"],
                         "applicant_credit_code": employer["credit_code"]}
            unit = unit_by_pk.get(employer["office_id"]) or units[employer["district"]]
        else:
            code = rng.choice(PERSON_ITEMS)
            pid, person = rng.choice(persons)
            applicant = {"applicant_type": "person", "applicant_name": person["name"],
                         "applicant_id_number": person["id_number"]}
            holder = employer_of.get(pid)
            found = unit_by_pk.get(holder[1]["office_id"]) if holder else None
            unit = found or rng.choice(unit_list)
        item = items[code]
        submitted_day = today - timedelta(days=int(rng.triangular(0, 365, 0)))
        submitted = timezone.make_aware(datetime.combine(submitted_day, dtime(8, 30)), tz) + \
            timedelta(minutes=rng.randrange(0, 480))
        status = rng.choices((CaseStatus.COMPLETED, CaseStatus.ACCEPTED, CaseStatus.SUBMITTED, CaseStatus.REFUSED),
                             weights=(85, 8, 5, 2))[0]
        if submitted_day > today - timedelta(days=3) and status == CaseStatus.COMPLETED:
            status = CaseStatus.ACCEPTED
        public_id = uuid.uuid4()
        case: dict[str, Any] = {"public_id": public_id, "item_id": item.pk, "channel": Channel.COUNTER,
                                "org_unit_id": unit.pk, "status": status, "submitted_at": submitted,
                                "applicant_id_number": "", "applicant_credit_code": "", **applicant,
                                "applicant_key": applicant_key(applicant["applicant_name"])}
        if status in {CaseStatus.COMPLETED, CaseStatus.ACCEPTED}:
            scope = f"case:{unit.code}"
            seq = sequences.get((scope, submitted_day), 0) + 1
            sequences[(scope, submitted_day)] = seq
            legal, legal_prov = due(item.legal_limit_text, submitted_day)
            promised, promised_prov = due(item.promised_limit_text, submitted_day)
            case.update(number=f"{unit.code}{submitted_day:%Y%m%d}{seq:04d}",
                        accepted_at=submitted + timedelta(minutes=rng.randrange(5, 90)), legal_due=legal,
                        promised_due=promised, due_provisional=legal_prov or promised_prov,
                        event_dates={"accepted": submitted_day.isoformat()})
            if status == CaseStatus.COMPLETED:
                late = rng.random() < 0.04
                close_day = (promised or submitted_day) + timedelta(days=rng.randrange(1, 6)) if late else \
                    submitted_day + timedelta(days=rng.randrange(0, 3))
                close_day = min(max(close_day, submitted_day), today)
                granted = rng.random() < 0.97
                case.update(closed_at=timezone.make_aware(datetime.combine(close_day, dtime(16)), tz),
                            result=CaseResult.GRANTED if granted else CaseResult.DENIED,
                            result_text="办结" if granted else "审核不通过")
        elif status == CaseStatus.REFUSED:
            case["closed_at"] = submitted + timedelta(hours=1)
        rows.append(case)
        if status in {CaseStatus.ACCEPTED, CaseStatus.SUBMITTED}:
            open_cases.append((public_id, code, status, unit.pk))
    insert_rows(Case, rows)
    case_pk = keys(Case, "public_id", [p for p, _, _, _ in open_cases])
    # Open cases get their checklist (all received) and, once accepted, their steps.
    steps: list[dict[str, Any]] = []
    checklist: list[dict[str, Any]] = []
    accepted_at = {row["public_id"]: row.get("accepted_at") for row in rows if row["status"] == CaseStatus.ACCEPTED}
    for public_id, code, state, unit_pk in open_cases:
        pk = case_pk[public_id]
        checklist += [{"case_id": pk, "material_id": m.pk, "position": m.position, "text": m.text,
                       "conditional": m.conditional, "original_received": True, "copy_received": True}
                      for m in materials[code]]
        if state != CaseStatus.ACCEPTED:
            continue
        level = unit_by_pk[unit_pk].level
        for position, step in enumerate(flow_for(code).steps, start=1):
            steps.append({"case_id": pk, "position": position, "key": step.key, "name": step.name, "role": step.role,
                          "level": step.level, "kind": step.kind, "rule": step.rule or "", "anchor": step.anchor,
                          "event": step.event or "", "auto": step.auto, "emits": getattr(step, "emits", None) or "",
                          "org_unit_id": unit_pk if step.level == level else None,
                          "status": StepStatus.ACTIVE if position == 1 else StepStatus.PENDING,
                          "started_at": accepted_at[public_id] if position == 1 else None})
    insert_rows(CaseMaterial, checklist)
    insert_rows(CaseStep, steps)
    _store_sequences(sequences)
    return len(rows), len(steps)


def _store_sequences(sequences: dict[tuple[str, date], int]) -> None:
    existing = {(r.scope, r.day): r for r in DailySequence.objects.filter(
        scope__in={s for s, _ in sequences}, day__in={d for _, d in sequences})}
    new, changed = [], []
    for (scope, day), value in sequences.items():
        row = existing.get((scope, day))
        if row is None:
            new.append(DailySequence(scope=scope, day=day, value=value))
        elif row.value < value:
            row.value = value
            changed.append(row)
    _bulk(DailySequence, new)
    for chunk in _chunks(changed):
        DailySequence.objects.bulk_update(chunk, ["value"])


def demo_city_command(*, employers: int, persons: int, seed: int, cases: int | None = None,
                      out: TextIO = sys.stdout) -> int:
    if employers < 0 or persons < 0 or (cases is not None and cases < 0):
        print("shebao demo: counts must not be negative", file=sys.stderr)
        return 2
    if persons and not employers:
        print("shebao demo: persons need at least one employer", file=sys.stderr)
        return 2
    report = demo_city(employers=employers, persons=persons, seed=seed, cases=cases)
    for line in report.lines():
        print(line, file=out)
    return 0


__all__ = ["DemoReport", "demo_city", "demo_city_command", "demo_registry_seed"]


@transaction.atomic
def demo_registry_seed() -> int:
    """Register the core demo applicants (shebao/core/demo.py) in the registries, so that demo cases
    of their items can be accepted and closed: 武汉市示例科技有限公司 (unit.shili) with 陈明 as an
    employee, and 周敏 as a resident. Idempotent; returns the number of records created."""
    from shebao.core.demo import DEMO_ACTOR, DEMO_APPLICANTS

    from .services import employer_existing, person_existing, person_register, relationship_start

    created = 0
    unit = next(a for a in DEMO_APPLICANTS if a.kind == "unit")
    employer = employer_existing(credit_code=unit.credit_code)
    if employer is None:
        from .services import employer_register

        office = OrgUnit.objects.filter(level=OrgLevel.DISTRICT, district="江岸").first()
        employer = employer_register(actor=DEMO_ACTOR, case=None, credit_code=unit.credit_code, fields={
            "name": unit.name, "unit_type": "企业", "economic_type": "私营", "insurance_types": list(EMPLOYER_TYPES),
            "district": "江岸", "office": office, "online_credit": True, "founded_on": date(2015, 3, 1)},
            registered_on=date(2015, 3, 20))
        created += 1
    for applicant in DEMO_APPLICANTS:
        if applicant.kind != "person" or person_existing(id_number=applicant.id_number) is not None:
            continue
        number = applicant.id_number
        person = person_register(actor=DEMO_ACTOR, case=None, fields={
            "id_number": number, "name": applicant.name, "sex": "M" if int(number[16]) % 2 else "F",
            "birth_date": _birth(number)})
        created += 1
        if applicant.role == "applicant_person":
            for insurance_type in EMPLOYER_TYPES:
                relationship_start(actor=DEMO_ACTOR, case=None, person=person, insurance_type=insurance_type,
                                   kind="employer", employer=employer, start_on=date(2016, 1, 1),
                                   monthly_wage=Decimal("8000"))
        else:
            relationship_start(actor=DEMO_ACTOR, case=None, person=person, insurance_type="resident_medical",
                               kind="resident", start_on=date(2020, 1, 1), category="普通居民")
    return created
