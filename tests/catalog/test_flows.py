"""Flows as data (shebao/catalog/data/flows.yaml): complete, consistent, and faithful to the 运行流程."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from shebao.accounts.models import OrgLevel, Role
from shebao.catalog.flows import (
    ACTOR_LEVELS,
    DATA_PATH,
    EVENTS,
    PARAMS,
    ROLES,
    STEP_KINDS,
    FlowDataError,
    FlowDef,
    all_flows,
    flow_for,
    load_flows,
    validate_flows,
)
from shebao.catalog.importer.build import build_items
from shebao.catalog.importer.parser import parse_document
from shebao.core.errors import NotFound
from shebao.workdays.rules import parse_rule

DOCUMENT = DATA_PATH.parent / "wuhan-2017-service-guide.txt"


@pytest.fixture(scope="module")
def items() -> dict[str, dict[str, Any]]:
    parsed = build_items(parse_document(DOCUMENT.read_text(encoding="utf-8")))
    return {item["code"]: item for item in parsed}


@pytest.fixture(scope="module")
def flows() -> dict[str, FlowDef]:
    return all_flows()


def _plain(text: str | None) -> str:
    """NFKC and no spaces: `当月 20 日前` reads as `当月20日前`."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def _codes(spec: str) -> list[str]:
    """`SBZX00001-00009 SBZX00018` → the codes; ranges only within one family and without -1/-2."""
    codes: list[str] = []
    for token in spec.split():
        match = re.fullmatch(r"([A-Z]+)(\d{5})-(\d{5})", token)
        if match:
            prefix, low, high = match[1], int(match[2]), int(match[3])
            codes.extend(f"{prefix}{n:05d}" for n in range(low, high + 1))
        else:
            codes.append(token)
    return codes


# The table of items per pattern, written by hand from the two analyses (F1…F8, P1…P12) and the
# 运行流程 of each table. It must match flows.yaml exactly.
EXPECTED_PATTERNS = {
    # F1 and P1 (window, review, handle)
    "counter_4step": _codes(
        "SBZX00001-00009 SBZX00018 SBZX00021-00026 SBZX00028 SBZX00037-00039 SBZX00042-00044"
        " SBZX00060 SBZX00061 SBZX00063 SBZX00065-00068 YBZX00024 YBZX00025"
    ),
    "counter_or_online_4step": _codes("SBZX00010 SBZX00011 SBZX00017 SBZX00019"),  # F2
    "online_with_counter_check": _codes("SBZX00013-00015"),  # F2-C
    "online_declaration_counter_confirm": ["SBZX00016"],  # F4
    "counter_3step": _codes("SBZX00027 SBZX00029-00031 SBZX00033-00036"),  # F3, F3-X
    "assess_bank_auto_confirm": ["SBZX00032"],  # F5b
    "assess_for_payment": ["SBZX00020-1", "SBZX00056-1", "SBZX00057-1"],  # F5a, 核定
    "arrival_confirmation": ["SBZX00020-2", "SBZX00056-2", "SBZX00057-2"],  # F5a, 到账确认
    "transfer_in_letter": _codes("SBZX00041 SBZX00045 SBZX00048 SBZX00050"),  # F6
    "transfer_out_letter": _codes("SBZX00040 SBZX00047 SBZX00049"),  # F7
    "transfer_in_direct": _codes("SBZX00012 SBZX00046"),  # F6-N and the 成建制 variant
    "window_fills_applicant_signs": _codes("SBZX00051-00054"),  # F8
    "street_window_4step": _codes("SBZX00055 SBZX00058 SBZX00059"),  # F1-R
    "street_first_review_district_recheck": _codes("SBZX00069 SBZX00070"),  # P2
    "district_batch_city_recheck_payable": _codes("YBZX00008-00012 YBZX00015 YBZX00017 YBZX00019"),  # P3
    "city_direct_claim_pay": _codes("YBZX00001 YBZX00004 YBZX00016 YBZX00018 YBZX00022"),  # P4
    "petty_payment": _codes("SBZX00062 SBZX00064"),  # P5
    "preauthorisation": _codes("YBZX00002 YBZX00005 YBZX00013 YBZX00014"),  # P6
    "medical_appraisal": _codes("YBZX00003 YBZX00006"),  # P7
    "annual_certification": _codes("SBZX00071-00074"),  # P8
    "card_issue": _codes("XXZX00001-00003"),  # P9
    "card_service": _codes("XXZX00004-00007"),  # P9
    "injury_determination": ["GSC00001"],  # P10
    "bureau_approval": _codes("YLC00001-00004"),  # P11
    "internal_batch": _codes("YBZX00007 SYB00005 SYB00008"),  # P12
    "counter_on_the_spot": _codes("YBZX00020 YBZX00021 YBZX00023 SYB00001-00004 SYB00006 SYB00007 SYB00009"),  # P1
}


# --------------------------------------------------------------------------- completeness


def test_every_guide_table_has_exactly_one_flow(items: dict[str, dict[str, Any]], flows: dict[str, FlowDef]) -> None:
    assert len(items) == 123
    assert set(flows) == set(items)
    assert all(flow.code == code for code, flow in flows.items())


def test_validate_flows_passes() -> None:
    validate_flows()


def test_items_per_pattern_match_the_analyses(flows: dict[str, FlowDef]) -> None:
    expected = {code: pattern for pattern, codes in EXPECTED_PATTERNS.items() for code in codes}
    assert sum(len(codes) for codes in EXPECTED_PATTERNS.values()) == len(expected) == 123
    actual = {code: flow.pattern for code, flow in flows.items()}
    assert actual == expected
    names = {flow.pattern: flow.pattern_name for flow in flows.values()}
    assert all(re.search(r"[\u4e00-\u9fff]", name) for name in names.values())


def test_roles_and_levels_exist(flows: dict[str, FlowDef]) -> None:
    assert set(Role.values) == ROLES
    offices = set(OrgLevel.values)
    for code, flow in flows.items():
        assert flow.intake_level in offices, code
        for level in flow.params.get("intake_also", []):  # type: ignore[attr-defined]
            assert level in offices, code
        for step in flow.all_steps():
            assert step.role == "" or step.role in Role.values, (code, step.key)
            assert step.level in ACTOR_LEVELS, (code, step.key)
            assert step.kind in STEP_KINDS, (code, step.key)
            assert step.level in offices or step.level in {"applicant", "system", "external"}


def test_every_rule_is_computable(flows: dict[str, FlowDef]) -> None:
    rules = 0
    for code, flow in flows.items():
        for step in flow.all_steps():
            if step.rule is not None:
                rules += 1
                assert parse_rule(step.rule).kind not in {"text", "none"}, (code, step.key, step.rule)
        for name in ("apply_within", "extension", "agent_pickup"):
            if name in flow.params:
                assert parse_rule(str(flow.params[name])).kind != "text", (code, name)
    assert rules > 40


def test_await_steps_name_their_event_and_auto_steps_are_the_systems(flows: dict[str, FlowDef]) -> None:
    for code, flow in flows.items():
        for step in flow.all_steps():
            assert (step.event in EVENTS) if step.kind == "await" else step.event is None, (code, step.key)
            assert step.auto == (step.level == "system"), (code, step.key)
            if step.level in {"applicant", "system", "external"}:
                assert step.role == "", (code, step.key)


def test_default_route_is_the_window_route_and_routes_follow_the_intake(flows: dict[str, FlowDef]) -> None:
    for code, flow in flows.items():
        assert flow.steps == flow.routes[flow.default_route], code
        if flow.intake == "none":
            assert set(flow.routes) == {"internal"}, code
        else:
            assert ("counter" in flow.routes) == (flow.intake in {"counter", "counter_or_online"}), code
            assert ("online" in flow.routes) == (flow.intake in {"online", "counter_or_online"}), code


# --------------------------------------------------------------------------- faithful to the 运行流程


def test_online_mode_items_can_be_done_online(items: dict[str, dict[str, Any]], flows: dict[str, FlowDef]) -> None:
    for code, item in items.items():
        if item["modes"]["online"]:
            assert flows[code].intake in {"online", "counter_or_online", "none"}, code
        if flows[code].intake in {"online", "counter_or_online"} and not item["modes"]["online"]:
            # Only the hospitals' filing through the 医保系统 is online without 网上办 being checked.
            assert code in {"YBZX00002", "YBZX00005"}, code


def test_flows_saying_review_have_a_review_step(items: dict[str, dict[str, Any]], flows: dict[str, FlowDef]) -> None:
    said = [code for code, item in items.items() if "审核" in (item["flow_text"] or "")]
    assert len(said) > 80
    for code in said:
        assert any(step.kind == "review" for step in flows[code].all_steps()), code


def test_three_step_items_have_no_review_on_the_window_route(flows: dict[str, FlowDef]) -> None:
    for code in _codes("SBZX00027 SBZX00029-00036"):
        kinds = [step.kind for step in flows[code].steps_for("counter")]
        assert "review" not in kinds and "recheck" not in kinds, code


def test_letters_are_sent_or_awaited(items: dict[str, dict[str, Any]], flows: dict[str, FlowDef]) -> None:
    with_letter = [code for code, item in items.items() if "联系函" in (item["flow_text"] or "")]
    assert sorted(with_letter) == _codes("SBZX00040 SBZX00041 SBZX00045 SBZX00047-00050")
    for code in with_letter:
        steps = flows[code].steps
        assert any(s.kind == "letter" or (s.kind == "await" and s.event == "letter_received") for s in steps), code
        # The 15 working days run from the letter (sending side) or from the funds (receiving side).
        last = steps[-1]
        assert last.rule == "15个工作日" and last.anchor in {"letter_received", "funds_received"}, code


def test_transfer_pairs_point_at_each_other(flows: dict[str, FlowDef]) -> None:
    pairs = {"SBZX00040": "SBZX00041", "SBZX00047": "SBZX00048", "SBZX00049": "SBZX00050"}
    for out, into in pairs.items():
        assert flows[out].params["counterpart"] == into
        assert flows[into].params["counterpart"] == out
    assert flows["SBZX00045"].params["counterpart_office"] == "军队后勤（联勤）机关财务部门"


def test_assessment_and_arrival_confirmation_are_paired(items: dict[str, dict[str, Any]], flows: dict[str, FlowDef]) -> None:
    for code, item in items.items():
        if item["name"].endswith("（核定）"):
            partner = code[:-1] + "2"
            assert items[partner]["name"].endswith("（到账确认）")
            assert flows[code].params["pair"] == partner
            assert flows[partner].params["pair"] == code
            assert flows[partner].steps[-1].kind == "confirm"
    assert sum("pair" in flow.params for flow in flows.values()) == 6


def test_cut_off_days_in_the_flow_are_parameters(items: dict[str, dict[str, Any]], flows: dict[str, FlowDef]) -> None:
    found = 0
    for code, item in items.items():
        text = _plain(item["flow_text"])
        # 每月/当月/于 N日前 (not 次月N日前, a payable date, nor a fixed date M月N日前)
        days = {int(day) for day in re.findall(r"(?<!次月)(?<!\d月)(?<!\d)(\d+)日(?:前|以后)", text)}
        dates = {f"{int(m):02d}-{int(d):02d}" for m, d in re.findall(r"(\d+)月(\d+)日(?:前|以前)", text)}
        params = flows[code].params
        declared = {params.get("cutoff_day"), params.get("resume_cutoff_day")} - {None}
        if days or dates:
            found += 1
            assert days <= declared, (code, days, params)
            assert dates <= {params.get("cutoff_date")}, (code, dates, params)
        if "cutoff_day" in params:
            assert f"{params['cutoff_day']}日前" in text, code
    assert found == 19
    for code in ("SBZX00056-2", "SBZX00057-2"):
        assert flows[code].params["cutoff_date"] == "12-20"
        assert "当年12月20日以前" in _plain(items[code]["conditions"])


def test_step_periods_are_written_in_the_document(items: dict[str, dict[str, Any]], flows: dict[str, FlowDef]) -> None:
    for code, flow in flows.items():
        item = items[code]
        text = _plain(" ".join(
            str(part) for part in (item["flow_text"], item["promised_limit"]["text"], item["legal_limit"]["text"],
                                   item["conditions"])
        ))
        for step in flow.all_steps():
            if not step.rule:
                continue
            plain = _plain(step.rule)
            if plain == "1日":  # 次日系统自动到账确认
                assert "次日" in text, code
            elif plain.startswith("每月") or plain.startswith("当月"):
                assert plain[2:] in text, (code, step.key)
            else:
                assert plain in text, (code, step.key, plain)


def test_special_clock_rules(items: dict[str, dict[str, Any]], flows: dict[str, FlowDef]) -> None:
    for code in ("YBZX00003", "YBZX00006"):
        assert "星期一、星期二、星期三" in items[code]["flow_text"]
        assert flows[code].params["intake_weekdays"] == [0, 1, 2]
        rules = [step.rule for step in flows[code].steps if step.rule]
        assert rules == ["3个工作日", "10个工作日", "3个工作日", "3个工作日"]
    assert "16:00" in _plain(items["XXZX00003"]["flow_text"])
    assert flows["XXZX00003"].params["cutoff_time"] == "16:00"
    assert flows["XXZX00003"].params["requires"] == ["XXZX00006"]
    injury = flows["GSC00001"]
    assert [s.kind for s in injury.steps] == ["review", "investigate", "decide", "deliver"]
    assert injury.params["suspendable"] is True
    assert (injury.steps[2].rule, injury.steps[3].rule, injury.steps[3].anchor) == ("60日", "20日", "decision_made")
    auto_confirm = flows["SBZX00032"].steps[-1]
    assert (auto_confirm.kind, auto_confirm.auto, auto_confirm.anchor) == ("confirm", True, "payment_made")
    assert [s.kind for s in flows["SBZX00051"].steps] == ["issue", "sign", "handle"]


def test_internal_and_letter_triggered_items_have_no_intake(items: dict[str, dict[str, Any]], flows: dict[str, FlowDef]) -> None:
    assert {code for code, flow in flows.items() if flow.intake == "none"} == {"SYB00005", "SYB00008", "SBZX00049"}
    for code in ("SYB00005", "SYB00008"):
        assert not items[code]["modes"]["one_visit"]  # no applicant visit: 一次办 unchecked


def test_on_the_spot_items_say_immediate_acceptance(items: dict[str, dict[str, Any]], flows: dict[str, FlowDef]) -> None:
    said = {code for code, item in items.items() if "即时受理" in (item["flow_text"] or "")}
    on_the_spot = {code for code, flow in flows.items() if flow.pattern == "counter_on_the_spot"}
    assert said == {code for code in on_the_spot if code.startswith("SYB")}
    assert said == set(_codes("SYB00001-00004 SYB00006 SYB00007 SYB00009"))


def test_bureau_decides_the_approvals(flows: dict[str, FlowDef]) -> None:
    for code in _codes("YLC00001-00004"):
        assert any(s.kind == "approve" and s.level == "bureau" for s in flows[code].steps), code
    assert [s.name for s in flows["YLC00003"].steps][-1] == "备案"
    assert [s.name for s in flows["YLC00004"].steps][-1] == "批复"


# --------------------------------------------------------------------------- access


def test_flow_for_accepts_the_misprinted_code_and_rejects_unknown_codes() -> None:
    assert flow_for("SBZX000062").code == "SBZX00062"
    assert flow_for(" sbzx00020-1 ").code == "SBZX00020-1"
    assert flow_for("SBZX00001") is flow_for("SBZX00001")  # loaded once
    with pytest.raises(NotFound, match="业务编号"):
        flow_for("SBZX09999")


def test_routes_of_an_online_item() -> None:
    flow = flow_for("SBZX00013")
    assert [s.key for s in flow.steps_for("counter")] == ["review", "handle"]
    assert [s.key for s in flow.steps_for("online")] == ["online"]
    assert [s.key for s in flow.steps_for("online_non_credit")] == ["online", "bring", "check"]
    with pytest.raises(KeyError):
        flow.steps_for("internal")


# --------------------------------------------------------------------------- broken data


def _write(tmp_path: Path, items_yaml: str, extra_pattern: str = "") -> Path:
    path = tmp_path / "flows.yaml"
    path.write_text(
        "version: 1\n"
        "patterns:\n"
        "  counter_4step:\n"
        "    name: 窗口受理、审核、办理\n"
        "    intake: counter\n"
        "    intake_level: district\n"
        "    steps:\n"
        "      - {key: review, name: 审核, role: reviewer, level: intake, kind: review}\n"
        "      - {key: handle, name: 办理手续, role: window_clerk, level: intake, kind: handle}\n"
        f"{extra_pattern}"
        "items:\n" + items_yaml,
        encoding="utf-8",
    )
    return path


def test_a_small_valid_file_loads(tmp_path: Path) -> None:
    flows = load_flows(_write(tmp_path, "  SBZX00001: {pattern: counter_4step}\n"))
    assert [s.level for s in flows["SBZX00001"].steps] == ["district", "district"]


@pytest.mark.parametrize(
    ("items_yaml", "field", "words"),
    [
        ("  SBZX00001: {pattern: counter_4step, steps: {handle: {role: clerk}}}\n", "steps.handle.role", "unknown role"),
        ("  SBZX00001: {pattern: counter_4step, steps: {handle: {level: province}}}\n", "steps.handle.level", "unknown level"),
        ("  SBZX00001: {pattern: counter_4step, steps: {handle: {rule: 尽快}}}\n", "steps.handle.rule", "not computable"),
        ("  SBZX00001: {pattern: counter_4step, steps: {handle: {kind: await}}}\n", "steps.handle.event", "await"),
        ("  SBZX00001: {pattern: counter_4step, steps: {sign: {name: 签字}}}\n", "steps.sign", "no step"),
        ("  SBZX00001: {pattern: counter_4step, colour: red}\n", "colour", "unknown key"),
        ("  SBZX00001: {pattern: counter_5step}\n", "pattern", "unknown pattern"),
        ("  SBZX00001: {pattern: counter_4step, params: {cutoff_day: 40}}\n", "params.cutoff_day", "1 to 31"),
        ("  SBZX00001: {pattern: counter_4step, params: {deadline: 3}}\n", "params.deadline", "unknown parameter"),
        ("  SBZX00001: {pattern: counter_4step, params: {pair: SBZX00002}}\n", "params.pair", "no flow"),
        ("  SBZX00001: {pattern: counter_4step, steps: {handle: {anchor: funds_received}}}\n", "steps.handle.anchor",
         "not produced"),
        ("  SBZX00001: {pattern: counter_4step, steps: {handle: {when: online}}}\n", "steps.handle.when", "never apply"),
    ],
)
def test_broken_yaml_names_the_item_and_the_field(tmp_path: Path, items_yaml: str, field: str, words: str) -> None:
    with pytest.raises(FlowDataError) as error:
        load_flows(_write(tmp_path, items_yaml))
    message = str(error.value)
    assert "item SBZX00001" in message and f"field {field}" in message and words in message, message
    assert error.value.field == field


def test_a_code_listed_twice_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "  SBZX00001: {pattern: counter_4step}\n  SBZX00001: {pattern: counter_4step}\n")
    with pytest.raises(FlowDataError, match=r"SBZX00001.*listed twice"):
        load_flows(path)


def test_unpaired_pair_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "  SBZX00001: {pattern: counter_4step, params: {pair: SBZX00002}}\n"
                            "  SBZX00002: {pattern: counter_4step}\n")
    with pytest.raises(FlowDataError, match=re.escape("item SBZX00001, field params.pair: SBZX00002 must name SBZX00001")):
        load_flows(path)


def test_validate_flows_reports_missing_and_extra_codes(tmp_path: Path) -> None:
    flows = load_flows(_write(tmp_path, "  SBZX00001: {pattern: counter_4step}\n"))
    with pytest.raises(FlowDataError, match="item SBZX00002: has no flow"):
        validate_flows(flows, document_codes=["SBZX00001", "SBZX00002"])
    with pytest.raises(FlowDataError, match="item SBZX00001: is not a guide table"):
        validate_flows(flows, document_codes=[])
    validate_flows(flows, document_codes=["SBZX00001"])


def test_parameter_vocabulary_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "flows.md").read_text(encoding="utf-8")
    for name in PARAMS:
        assert f"`{name}`" in doc, name
    for pattern in EXPECTED_PATTERNS:
        assert f"`{pattern}`" in doc, pattern
