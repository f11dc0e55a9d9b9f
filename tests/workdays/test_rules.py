"""Guide phrases into rules: every limit of the catalog, and the phrase families of the issue."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from shebao.workdays.deadlines import compile_due, deadline
from shebao.workdays.errors import RuleNotUnderstood
from shebao.workdays.rules import RULE_KINDS, chinese_number, normalize_limit_text, parse_rule

from .catalog_limits import DOCUMENT, catalog_limits, importer_limits, scan_limits


def test_every_limit_of_every_catalog_item_is_a_rule() -> None:
    limits = catalog_limits()
    # 123 guide tables (items 20, 56, 57 split in two), each with a 法定时限 and a 承诺时限.
    assert len(limits) == 246
    assert len({code for code, _, _ in limits}) == 123
    kinds: Counter[str] = Counter()
    for code, field, text in limits:
        rule = parse_rule(text)
        kinds[rule.kind] += 1
        assert rule.kind in RULE_KINDS, (code, field)
        if rule.kind == "text":
            assert rule.reason, f"{code} {field}: free text without a reason"
        if rule.kind not in ("none", "text"):
            assert rule.stages, (code, field, text)
            # and it yields a date from an ordinary day, without raising
            result = deadline(rule, date(2024, 6, 3), calendar=_cal())
            assert result.stages[0].due is not None, (code, field)
    # The document has no uncountable limit: all of them are rules.
    assert kinds["text"] == 0
    # The same totals as the per-item table in tests/catalog/expected_limits.py (written separately).
    assert kinds == Counter({"immediate": 75, "working_days": 90, "none": 43, "staged": 38})


def _cal():  # type: ignore[no-untyped-def]
    from shebao.workdays.sources import official_calendar

    return official_calendar()


def test_line_scan_and_importer_read_the_same_limits() -> None:
    text = DOCUMENT.read_text(encoding="utf-8")
    scanned = scan_limits(text)
    imported = importer_limits(text)
    if imported is None:
        pytest.skip("catalog importer not available")
    assert [(c, f, normalize_limit_text(t)) for c, f, t in scanned] == [
        (c, f, normalize_limit_text(t)) for c, f, t in imported
    ]


@pytest.mark.parametrize(
    ("text", "kind", "count"),
    [
        ("即时办结", "immediate", None),
        ("即时办理", "immediate", None),
        ("即时办结\t\t", "immediate", None),
        ("5个工作日", "working_days", 5),
        ("5 个工作日", "working_days", 5),
        ("2 0 个工作日", "working_days", 20),
        ("５个工作日内", "working_days", 5),  # full-width digit
        ("<p>15个工作日</p>", "working_days", 15),
        ("60日", "days", 60),
        ("60日内", "days", 60),
        ("三十日内", "days", 30),
        ("3个月内", "months", 3),
        ("一个月内", "months", 1),
        ("无", "none", None),
        ("无\t\t", "none", None),
        ("", "none", None),
        ("每月20日前", "staged", None),
        ("次月10日前", "staged", None),
        ("当年12月20日以前", "staged", None),
        ("月结后 3 个工作日", "staged", 3),
        ("市政府批准后 60 个工作日", "staged", 60),
        ("自成立之日起三十日内", "staged", 30),
    ],
)
def test_phrase_families(text: str, kind: str, count: int | None) -> None:
    rule = parse_rule(text)
    assert (rule.kind, rule.count) == (kind, count)
    assert rule.as_contract() == {"text": text.strip(), "kind": kind, "count": count}


TRANSFER_IN = (
    "转入地社保经办机构在15个工作日内审核参保人基本养老保险关系转入申请，向转出地社保经办机构发出"
    "《基本养老保险关系转移接续联系函》； 转入地社保经办机构在收到转出地社保经办机构转移的基本养老保险"
    "关系和资金后，在15个工作日内办结基本养老保险关系转入手续。"
)
TRANSFER_OUT = (
    "转出地社保经办机构在收到转入地社保经办机构发出的《基本医疗保险关系转移接续联系函》之日起15个工作日内"
    "办结基本医疗保险关系转出手续。"
)
UNEMPLOYMENT_IN = (
    "转入地社保经办机构在 15 个工作日内审核参保人失业保险关系转入申请，向转出地社保经办机构发出《失业保险"
    "关系转移接续联系函》； 转入地社保经办机构在收到转出地社保经办机构转移的失业保险相关资料后，在 15 个"
    "工作日内办结失业保险关系转入手续。"
)
APPRAISAL = "自参保人到指定医院进行鉴定之日起16个工作日（特殊情况除外）"
INJURY = (
    "<p>自受理工伤认定申请之日起 60 日内作出工伤认定决定。</p> <p>自工伤认定决定作出之日起 20 日内，"
    "将认定书送达受伤害职工或其近亲属和用人单位。</p>"
)
MATERNITY_LEGAL = (
    "辖区社会保险经办机构收到用人单位生育医疗费用的申报材料后，应在每月20日前完成费用审核，并将资料汇总后"
    "报市医疗保险中心进行核定，市医疗保险中心应于每月10日前完成生育保险待遇的复核及各项资料的整理，产生应付帐。"
)
MATERNITY_PROMISE = (
    "辖区社会保险经办机构收到用人单位的申报材料后，应在每月 20 日前完成费用审核，市医疗保险中心收到辖区社会"
    "保险经办机构生育医疗费用申报资料后，15 个工作日内拨付到账。"
)


def _shape(text: str) -> list[tuple[str, int | None, int | None, str, bool]]:
    return [(s.unit, s.count, s.day, s.anchor, s.follows_previous) for s in parse_rule(text).stages]


def test_transfer_stages_are_anchored_to_events() -> None:
    assert parse_rule(TRANSFER_IN).kind == "staged"
    assert parse_rule(TRANSFER_IN).count is None  # two counted periods
    assert _shape(TRANSFER_IN) == [
        ("working_days", 15, None, "accepted", False),
        ("working_days", 15, None, "funds_received", False),
    ]
    stages = parse_rule(TRANSFER_IN).stages
    assert stages[0].action == "审核参保人基本养老保险关系转入申请"
    assert stages[1].action == "办结基本养老保险关系转入手续"
    assert _shape(UNEMPLOYMENT_IN)[1][3] == "funds_received"  # 收到…转移的…资料
    out = parse_rule(TRANSFER_OUT)
    assert (out.kind, out.count) == ("staged", 15)
    assert _shape(TRANSFER_OUT) == [("working_days", 15, None, "letter_received", False)]
    assert out.stages[0].anchor_label == "收到联系函"


def test_appraisal_and_injury_texts() -> None:
    appraisal = parse_rule(APPRAISAL)
    assert (appraisal.kind, appraisal.count) == ("staged", 16)
    assert _shape(APPRAISAL) == [("working_days", 16, None, "appraisal", False)]
    assert appraisal.stages[0].note == "特殊情况除外"
    injury = parse_rule(INJURY)
    assert (injury.kind, injury.count) == ("staged", None)
    assert _shape(INJURY) == [("days", 60, None, "accepted", False), ("days", 20, None, "decision", True)]
    assert injury.stages[1].action == "将认定书送达受伤害职工或其近亲属和用人单位"


def test_monthly_cutoff_texts() -> None:
    assert _shape(MATERNITY_LEGAL) == [
        ("day_of_month", None, 20, "materials_received", False),
        ("day_of_month", None, 10, "previous", True),
    ]
    assert parse_rule(MATERNITY_PROMISE).count == 15
    assert _shape(MATERNITY_PROMISE) == [
        ("day_of_month", None, 20, "materials_received", False),
        ("working_days", 15, None, "batch_received", True),
    ]
    allowance = parse_rule("市医疗保险中心接收到辖区社会保险经办机构生育津贴审核数据后，于次月10日前汇总生成生育应付帐")
    assert [(s.unit, s.day, s.month_offset, s.anchor) for s in allowance.stages] == [
        ("day_of_month", 10, 1, "batch_received")
    ]
    assert [(s.unit, s.anchor) for s in parse_rule("每月月底前出账").stages] == [("month_end", "accepted")]
    year_end = parse_rule("当年12月20日以前")
    assert [(s.unit, s.month, s.day) for s in year_end.stages] == [("fixed_date", 12, 20)]


@pytest.mark.parametrize(
    ("text", "phrase_in_reason"),
    [
        ("参保登记规定时限", "no period or date"),
        ("尽快办理", "no period or date"),
        ("0个工作日", "“0个工作日” is not a usable period"),
        ("每月40日前", "names no day of a month"),
    ],
)
def test_uncountable_text_keeps_a_reason(text: str, phrase_in_reason: str) -> None:
    rule = parse_rule(text)
    assert rule.kind == "text"
    assert rule.count is None
    assert phrase_in_reason in rule.reason
    with pytest.raises(RuleNotUnderstood) as caught:
        deadline(rule, date(2024, 1, 2), calendar=_cal())
    assert text in caught.value.message
    with pytest.raises(RuleNotUnderstood):
        compile_due(text, calendar=_cal())


def test_chinese_numerals() -> None:
    assert [chinese_number(n) for n in ("三", "十", "十五", "三十", "二十五", "一百二十", "二〇")] == [
        3, 10, 15, 30, 25, 120, 20,
    ]


def test_normalize_limit_text_is_unchanged() -> None:
    assert normalize_limit_text("<p>5 个工作日。</p>") == "5个工作日"
    assert normalize_limit_text("即时办结\t\t") == "即时办结"
