"""What a notice (文书) says, as data: one structure for the printable page and the PDF.

A notice's ``content`` was frozen when it was issued (``shebao.cases.services``); this module
only arranges it. Both renderings read the same :class:`NoticeSheet`, so the paper the window
prints and the PDF the applicant downloads say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from django.conf import settings
from django.utils import timezone

from shebao.cases.models import Case, Notice, NoticeKind

BASIS_INCOMPLETE = "《中华人民共和国行政许可法》第三十二条"
TITLES = {
    NoticeKind.INCOMPLETE: "申报材料补正一次性告知书",
    NoticeKind.ACCEPTANCE: "受理通知书",
    NoticeKind.REFUSAL: "不予受理通知书",
    NoticeKind.RESULT: "办结通知书",
}


@dataclass(frozen=True)
class Block:
    """A paragraph, a numbered list, or a sub-heading of the body."""

    kind: Literal["p", "list", "heading", "note"]
    text: str = ""
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class NoticeSheet:
    bureau: str
    office: str
    title: str
    kind: str
    kind_label: str
    number: str
    issued_on: date
    addressee: str
    facts: tuple[tuple[str, str], ...]
    body: tuple[Block, ...]
    basis: str = ""
    hotline: str = ""
    provisional_note: str = ""
    case_reference: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def issued_on_text(self) -> str:
        return chinese_date(self.issued_on)


def chinese_date(day: date | None) -> str:
    if day is None:
        return "—"
    return f"{day.year}年{day.month}月{day.day}日"


def _iso_date(text: object) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        return None


def _you(case: Case) -> str:
    return "你单位" if case.applicant_type == "unit" else "你"


def notice_sheet(notice: Notice) -> NoticeSheet:
    case = notice.case
    content: dict[str, Any] = dict(notice.content or {})
    item_name = str(content.get("item_name") or case.item.name)
    item_code = str(content.get("item_code") or case.item.code)
    version = case.item.version
    version_number = content.get("catalog_version") or version.number
    submitted = chinese_date(timezone.localdate(case.submitted_at))
    applicant = str(content.get("applicant") or case.applicant_name)
    office = str(content.get("office") or case.org_unit.name)
    issued_on = timezone.localdate(notice.issued_at)
    hotline = str(settings.SHEBAO_HOTLINE)

    facts: list[tuple[str, str]] = [
        ("申请人", applicant),
        ("申请事项", item_name),
        ("事项编码", item_code),
        ("办事指南版本", f"第 {version_number} 版（{version.doc_number}）"),
        ("申请日期", submitted),
    ]
    body: list[Block] = []
    basis = ""
    provisional_note = ""
    you = _you(case)
    application = f"{you}于{submitted}提交的“{item_name}”（事项编码 {item_code}）申请"

    if notice.kind == NoticeKind.INCOMPLETE:
        basis = str(content.get("basis") or BASIS_INCOMPLETE)
        missing = [
            f"{m.get('text', '')}（材料清单第 {m.get('position')} 项）" for m in content.get("missing", [])
        ]
        body.append(Block("p", f"{application}，经核对，申报材料不齐全。依据{basis}的规定，现一次性告知需要补正的全部材料如下："))
        body.append(Block("list", items=tuple(missing)))
        if content.get("note"):
            body.append(Block("p", f"补充说明：{content['note']}"))
        body.append(Block(
            "p",
            "请补齐上述材料后，到原受理窗口或通过网上办事大厅再次提交。本告知书所列即为需补正的全部材料，"
            "经办机构不再要求本告知书以外的材料。",
        ))
    elif notice.kind == NoticeKind.ACCEPTANCE:
        accepted_on = chinese_date(_iso_date(content.get("accepted_on")))
        number = str(content.get("case_number") or case.number or "")
        facts.insert(0, ("办件编号", number))
        if content.get("deemed"):
            body.append(Block(
                "p",
                f"{application}，经办机构未在法定期限内出具补正告知，依据《中华人民共和国行政许可法》第三十二条，"
                f"自收到申请材料之日（{accepted_on}）起即为受理。",
            ))
        else:
            body.append(Block("p", f"{application}，申报材料齐全、符合法定形式，本机构已于{accepted_on}予以受理。"))
        provisional = bool(content.get("provisional"))
        mark = "（临时）" if provisional else ""
        limits: list[str] = []
        if content.get("legal_limit"):
            due = chinese_date(_iso_date(content.get("legal_due")))
            limits.append(f"法定办理时限：{content['legal_limit']}，应于 {due}{mark} 前办结")
        if content.get("promised_limit"):
            due = chinese_date(_iso_date(content.get("promised_due")))
            limits.append(f"承诺办理时限：{content['promised_limit']}，承诺于 {due}{mark} 前办结")
        if limits:
            body.append(Block("heading", "办理时限"))
            body.append(Block("list", items=tuple(limits)))
        if provisional:
            provisional_note = "标注“临时”的日期所在年度尚未载入国务院节假日安排，暂按周末计算，载入后可能调整。"
            body.append(Block("note", provisional_note))
        steps = [str(s) for s in content.get("steps", [])]
        if steps:
            body.append(Block("heading", "办理流程"))
            body.append(Block("list", items=tuple(steps)))
        body.append(Block("p", f"请妥善保管本通知书。可凭办件编号 {number} 和证件号码后六位查询办理进度。"))
    elif notice.kind == NoticeKind.REFUSAL:
        body.append(Block("p", f"{application}，经审查，本机构决定不予受理。理由如下："))
        body.append(Block("p", str(content.get("reasons", ""))))
        if content.get("remedies"):
            body.append(Block("heading", "救济途径"))
            body.append(Block("p", str(content["remedies"])))
    else:  # RESULT
        number = case.number or ""
        if number:
            facts.insert(0, ("办件编号", number))
        label = str(content.get("result_label") or "")
        body.append(Block("p", f"{application}已办理完毕。办理结果：{label}。"))
        if content.get("text"):
            body.append(Block("p", f"说明：{content['text']}"))
        if content.get("remedies"):
            body.append(Block("heading", "救济途径"))
            body.append(Block("p", str(content["remedies"])))
    body.append(Block("p", f"如有疑问，请咨询受理机构或拨打咨询服务热线 {hotline}。"))
    return NoticeSheet(
        bureau=str(settings.SHEBAO_BUREAU_NAME),
        office=office,
        title=TITLES.get(NoticeKind(notice.kind), notice.get_kind_display()),
        kind=notice.kind,
        kind_label=notice.get_kind_display(),
        number=notice.number,
        issued_on=issued_on,
        addressee=applicant,
        facts=tuple(facts),
        body=tuple(body),
        basis=basis,
        hotline=hotline,
        provisional_note=provisional_note,
        case_reference=case.reference,
    )
