"""身份证号, 统一社会信用代码 and 组织机构代码, cross-checked with python-stdnum.

Every number here is synthetic: built from a region, a date and a sequence with the check
characters computed (by stdnum, or by the independent helpers below), never a real person's.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc

from shebao.core.errors import ValidationFailed
from shebao.core.identifiers import (
    CREDIT_CODE_ALPHABET,
    REGISTRATION_DEPARTMENTS,
    credit_code_check_char,
    format_org_code,
    id_number_birth_date,
    id_number_check_char,
    id_number_from_15,
    org_code_check_char,
    validate_credit_code,
    validate_id_number,
    validate_org_code,
)

MODERATE = settings(max_examples=300, deadline=None)
TODAY = date(2026, 6, 1)


# --------------------------------------------------------------------------- independent oracles


def ric_check(first17: str) -> str:
    """stdnum's check character (its function wants the full number and ignores the last char)."""
    return ric.calc_check_digit(first17 + "0")


def org_check(body: str) -> str:
    """GB 11714 written out again, independently of the implementation under test."""
    values = [int(c, 36) for c in body]
    total = sum(v * w for v, w in zip(values, [3, 7, 9, 10, 5, 8, 4, 2], strict=True))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def with_ric_check(first17: str) -> str:
    return first17 + ric_check(first17)


def expect_failure(func, value: str, field: str, *words: str) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as info:
        func(value)
    assert info.value.field == field
    for word in words:
        assert word in info.value.message, info.value.message
    return info.value.message


# Region codes stdnum knows, with the first birth year it accepts for them (stdnum checks that
# the county existed in the birth year; see test_stdnum_gaps).
STDNUM_REGIONS = [
    ("110101", 1900), ("110102", 1900), ("110105", 1900), ("110108", 1900), ("310101", 1900),
    ("420100", 1900), ("420102", 1983), ("420106", 1983), ("420111", 1983), ("420115", 1995),
]

regions = st.sampled_from(STDNUM_REGIONS)


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    region, first_year = draw(regions)
    born = draw(st.dates(min_value=date(first_year, 1, 1), max_value=date(2020, 12, 31)))
    sequence = draw(st.integers(min_value=0, max_value=999))
    return with_ric_check(f"{region}{born:%Y%m%d}{sequence:03d}")


@st.composite
def legacy_id_numbers(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(["110101", "110102", "110105", "110108", "310101", "420100"]))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)))
    sequence = draw(st.integers(min_value=0, max_value=999))
    return f"{region}{born:%y%m%d}{sequence:03d}"


CATEGORY_PAIRS = [d + c for d, (_, cats) in REGISTRATION_DEPARTMENTS.items() for c in cats]
CREDIT_REGIONS = ["420102", "420106", "420100", "420000", "110000", "100000", "310115"]
alphabet_chars = st.sampled_from(CREDIT_CODE_ALPHABET)


@st.composite
def credit_codes(draw: st.DrawFn) -> str:
    pair = draw(st.sampled_from(CATEGORY_PAIRS))
    region = draw(st.sampled_from(CREDIT_REGIONS))
    body = "".join(draw(st.lists(alphabet_chars, min_size=8, max_size=8)))
    first17 = pair + region + body + org_check(body)
    return first17 + uscc.calc_check_digit(first17)


@st.composite
def org_codes(draw: st.DrawFn) -> str:
    body = "".join(draw(st.lists(st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"), min_size=8, max_size=8)))
    return body + org_check(body)


# --------------------------------------------------------------------------- 身份证号


def test_known_examples() -> None:
    assert validate_id_number("360426199101010071") == "360426199101010071"  # stdnum's doctest
    number = with_ric_check("42010219850315123")
    assert validate_id_number(number) == number
    assert id_number_birth_date(number) == date(1985, 3, 15)


def test_normalisation_of_what_people_type() -> None:
    number = with_ric_check("11010119900307299")  # check character X
    assert number.endswith("X")
    assert validate_id_number(number.lower()) == number
    assert validate_id_number(f" {number[:6]} {number[6:14]} {number[14:]} ") == number
    full_width = number.translate(str.maketrans("0123456789X", "０１２３４５６７８９ｘ"))
    assert validate_id_number(full_width) == number


def test_legacy_15_digit_numbers_are_converted() -> None:
    assert validate_id_number("420102850315123") == "420102198503151234"
    assert id_number_from_15("420102850315123") == "420102198503151234"
    expect_failure(validate_id_number, "42010285031512X", "id_number", "15位")
    expect_failure(validate_id_number, "420102850230123", "id_number", "出生日期", "19850230")
    expect_failure(validate_id_number, "990102850315123", "id_number", "行政区划", "99")


def test_errors_name_what_is_wrong() -> None:
    expect_failure(validate_id_number, "", "id_number", "请填写")
    expect_failure(validate_id_number, None, "id_number", "请填写")  # type: ignore[arg-type]
    expect_failure(validate_id_number, "4201021985031512", "id_number", "长度", "16位")
    expect_failure(validate_id_number, "42010219850315123A", "id_number", "格式")
    expect_failure(validate_id_number, "4201021985031512A4", "id_number", "格式")
    expect_failure(validate_id_number, "420102198503151235", "id_number", "校验位")
    expect_failure(validate_id_number, with_ric_check("42010219850230123"), "id_number", "出生日期", "不是有效日期")
    expect_failure(validate_id_number, with_ric_check("42010218991231123"), "id_number", "出生日期", "1900")
    expect_failure(validate_id_number, with_ric_check("19010219850315123"), "id_number", "行政区划", "前两位", "“19”")
    expect_failure(validate_id_number, with_ric_check("00010219850315123"), "id_number", "行政区划")


def test_birth_date_may_not_be_in_the_future() -> None:
    today_number = with_ric_check(f"420102{TODAY:%Y%m%d}001")
    tomorrow_number = with_ric_check("42010220260602001")
    assert validate_id_number(today_number, today=TODAY) == today_number
    message = expect_failure(lambda v: validate_id_number(v, today=TODAY), tomorrow_number, "id_number", "出生日期")
    assert "晚于今天" in message
    expect_failure(validate_id_number, with_ric_check("42010230000101001"), "id_number", "晚于今天")


def test_residence_permits_and_foreigners_permanent_residence_cards() -> None:
    for first17 in ("81000019800101001", "82000019800101001", "83000019800101001", "94203619800101001"):
        number = with_ric_check(first17)
        assert validate_id_number(number) == number
    expect_failure(validate_id_number, with_ric_check("99903619800101001"), "id_number", "行政区划", "第2至3位")


def test_stdnum_gaps_our_validator_handles() -> None:
    """What python-stdnum 2.x gets wrong, documented in docs/accounts.md."""
    legacy = "420102850315123"
    with pytest.raises(stdnum_errors.InvalidLength):
        ric.validate(legacy)  # 15-digit numbers are not accepted
    assert validate_id_number(legacy) == "420102198503151234"

    future = with_ric_check("42010230000101001")
    assert ric.is_valid(future)  # a birth date in 3000 passes stdnum
    with pytest.raises(ValidationFailed):
        validate_id_number(future)

    born_1970_in_jiangan = with_ric_check("42010219700101001")
    with pytest.raises(stdnum_errors.InvalidComponent):
        ric.validate(born_1970_in_jiangan)  # 江岸区 "[1983-]": people born earlier are rejected
    assert validate_id_number(born_1970_in_jiangan) == born_1970_in_jiangan

    hk_permit = with_ric_check("81000019800101001")
    assert not ric.is_valid(hk_permit) and validate_id_number(hk_permit) == hk_permit


@MODERATE
@given(id_numbers())
def test_every_generated_number_passes_ours_and_stdnum(number: str) -> None:
    assert ric.validate(number) == number
    assert validate_id_number(number) == number
    assert id_number_check_char(number[:17]) == number[17]


@MODERATE
@given(id_numbers(), st.integers(min_value=0, max_value=17), st.sampled_from("0123456789X"))
def test_changing_one_character_fails(number: str, position: int, char: str) -> None:
    assume(number[position] != char)
    assume(position == 17 or char != "X")
    changed = number[:position] + char + number[position + 1:]
    with pytest.raises(ValidationFailed) as info:
        validate_id_number(changed)
    assert info.value.field == "id_number"
    assert not ric.is_valid(changed)


@MODERATE
@given(legacy_id_numbers())
def test_15_to_18_round_trips(legacy: str) -> None:
    converted = validate_id_number(legacy)
    assert len(converted) == 18 and converted[6:8] == "19"
    assert converted[:6] + converted[8:17] == legacy  # dropping the century and the check gives it back
    assert ric.validate(converted) == converted
    assert validate_id_number(converted) == converted  # canonical forms are fixed points


# --------------------------------------------------------------------------- 组织机构代码


def test_org_code_examples() -> None:
    assert validate_org_code("60003734-1") == "600037341"
    assert validate_org_code("600037341") == "600037341"
    assert format_org_code("600037341") == "60003734-1"
    assert org_code_check_char("MA4K0001") == org_check("MA4K0001")
    expect_failure(validate_org_code, "", "org_code", "请填写")
    expect_failure(validate_org_code, "6000373-41", "org_code", "格式", "连字符")
    expect_failure(validate_org_code, "60003734", "org_code", "长度")
    expect_failure(validate_org_code, "60003734-2", "org_code", "校验位")
    expect_failure(validate_org_code, "6000373*-1", "org_code", "格式")


@MODERATE
@given(org_codes(), st.booleans())
def test_generated_org_codes_pass(code: str, hyphen: bool) -> None:
    typed = format_org_code(code) if hyphen else code.lower()
    assert validate_org_code(typed) == code


@MODERATE
@given(
    st.text("0123456789", min_size=8, max_size=8), st.integers(min_value=0, max_value=8),
    st.sampled_from("0123456789"),
)
def test_changing_one_digit_of_an_org_code_fails(body: str, position: int, char: str) -> None:
    code = body + org_check(body)
    assume(code[position] != char)
    with pytest.raises(ValidationFailed):
        validate_org_code(code[:position] + char + code[position + 1:])


# --------------------------------------------------------------------------- 统一社会信用代码


def synthetic_credit_code(prefix8: str, body: str) -> str:
    first17 = prefix8 + body + org_check(body)
    return first17 + uscc.calc_check_digit(first17)


def test_credit_code_examples() -> None:
    assert validate_credit_code("91110000600037341L") == "91110000600037341L"  # stdnum's doctest
    code = synthetic_credit_code("91420102", "MA4K0001")
    assert validate_credit_code(f" {code.lower()} ") == code
    assert validate_credit_code(f"{code[:8]}-{code[8:]}") == code
    assert credit_code_check_char(code[:17]) == code[17]


def test_letter_prefixed_codes_are_valid_here_but_not_in_stdnum() -> None:
    for prefix in ("Y1420102", "A1420102", "N2420102", "N9420100"):
        code = synthetic_credit_code(prefix, "MA4K0001")
        assert validate_credit_code(code) == code
        with pytest.raises(stdnum_errors.InvalidFormat):
            uscc.validate(code)


def test_credit_code_errors_name_what_is_wrong() -> None:
    good = synthetic_credit_code("91420102", "MA4K0001")
    expect_failure(validate_credit_code, "", "credit_code", "请填写")
    expect_failure(validate_credit_code, good[:17], "credit_code", "长度", "17位")
    expect_failure(validate_credit_code, good[:10] + "I" + good[11:], "credit_code", "不允许的字符", "“I”")
    expect_failure(validate_credit_code, synthetic_credit_code("B1420102", "MA4K0001"), "credit_code",
                   "第1位", "登记管理部门")
    expect_failure(validate_credit_code, synthetic_credit_code("94420102", "MA4K0001"), "credit_code",
                   "第2位", "机构类别", "工商")
    expect_failure(validate_credit_code, synthetic_credit_code("Y2420102", "MA4K0001"), "credit_code", "机构类别")
    expect_failure(validate_credit_code, synthetic_credit_code("9142A102", "MA4K0001"), "credit_code",
                   "行政区划", "6位数字")
    expect_failure(validate_credit_code, synthetic_credit_code("91990102", "MA4K0001"), "credit_code",
                   "行政区划", "“99”")
    expect_failure(validate_credit_code, good[:17] + ("0" if good[17] != "0" else "1"), "credit_code",
                   "校验位", "第18位")
    # A wrong embedded GB 11714 character with a correct final character: stdnum does not notice.
    wrong_org = good[:16] + ("0" if good[16] != "0" else "1")
    wrong_org += uscc.calc_check_digit(wrong_org)
    assert uscc.is_valid(wrong_org)
    expect_failure(validate_credit_code, wrong_org, "credit_code", "组织机构代码", "校验位")


@MODERATE
@given(credit_codes())
def test_every_generated_credit_code_passes_ours_and_stdnum(code: str) -> None:
    assert validate_credit_code(code) == code
    if code[:2].isdigit():
        assert uscc.validate(code) == code
    else:  # stdnum's gap: positions 1–8 must be digits there
        assert not uscc.is_valid(code)


@MODERATE
@given(credit_codes(), st.integers(min_value=0, max_value=17), alphabet_chars)
def test_changing_one_character_of_a_credit_code_fails(code: str, position: int, char: str) -> None:
    assume(code[position] != char)
    changed = code[:position] + char + code[position + 1:]
    with pytest.raises(ValidationFailed) as info:
        validate_credit_code(changed)
    assert info.value.field == "credit_code"
    assert not uscc.is_valid(changed)
