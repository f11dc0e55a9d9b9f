"""Chinese identifiers: 公民身份号码 (GB 11643), 统一社会信用代码 (GB 32100), 组织机构代码 (GB 11714).

Each ``validate_*`` function takes what a person typed (full-width characters, spaces and lower
case are tolerated), returns the canonical form to store, and raises
:class:`~shebao.core.errors.ValidationFailed` with a Chinese message naming the part that is
wrong (长度、格式、校验位、出生日期、行政区划、登记管理部门/机构类别) and ``field`` set to
``id_number``, ``credit_code`` or ``org_code``.

python-stdnum (``stdnum.cn.ric``, ``stdnum.cn.uscc``) is the cross-check in the tests, not the
implementation, because of its gaps (see docs/accounts.md):

* ``ric`` rejects 15-digit legacy numbers, accepts birth dates in the future, and rejects a
  number whose county code was created after the holder's birth year (江岸区 420102 is
  "[1983-]", so everybody born in 江岸 before 1983 fails) and codes missing from its table;
* ``uscc`` requires positions 1–8 to be digits, so every letter-prefixed code (``Y1…``,
  ``A1…``, ``N1…``) fails; it does not check the department/category pair, the region, or the
  embedded GB 11714 check character.

This module is pure Python: no Django, no database.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from zoneinfo import ZoneInfo

from .errors import ValidationFailed

__all__ = [
    "CREDIT_CODE_ALPHABET",
    "PROVINCE_CODES",
    "REGISTRATION_DEPARTMENTS",
    "credit_code_check_char",
    "format_org_code",
    "id_number_birth_date",
    "id_number_check_char",
    "id_number_from_15",
    "org_code_check_char",
    "validate_credit_code",
    "validate_id_number",
    "validate_org_code",
]

_TZ = ZoneInfo("Asia/Shanghai")

# GB/T 2260 province-level codes (first two digits of a 身份证号 and of a credit code's region).
# 71 台湾; 81 香港, 82 澳门 (港澳居民居住证 810000/820000); 83 台湾居民居住证 (830000).
PROVINCE_CODES: dict[str, str] = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省",
    "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省",
    "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区", "46": "海南省",
    "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区",
    "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区", "65": "新疆维吾尔自治区",
    "71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区", "83": "台湾居民居住证",
}
# A credit code issued by a national registration authority carries region 100000.
_CREDIT_REGION_PREFIXES = frozenset(PROVINCE_CODES) | {"10"}

EARLIEST_BIRTH_DATE = date(1900, 1, 1)

# --------------------------------------------------------------------------- GB 11643

_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
_ID_CHECK_CHARS = "10X98765432"


def _normalise(value: object, *, drop: str = "") -> str:
    """NFKC (full-width → half-width), drop whitespace and ``drop`` characters, upper-case."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    text = re.sub(r"\s+", "", text)
    for char in drop:
        text = text.replace(char, "")
    return text.upper()


def id_number_check_char(first17: str) -> str:
    """The GB 11643 (ISO 7064 MOD 11-2) check character of the first 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("need exactly 17 ASCII digits")
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def id_number_birth_date(number: str) -> date:
    """Birth date of a canonical 18-character number (call ``validate_id_number`` first)."""
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def _id_fail(message: str) -> ValidationFailed:
    return ValidationFailed(message, field="id_number")


def _check_id_region(number: str) -> None:
    if number[0] == "9" and len(number) == 18:  # 外国人永久居留身份证 (2023): 9 + province + country
        region = number[1:3]
        if region not in PROVINCE_CODES:
            raise _id_fail(
                f"身份证号的行政区划代码不对：首位为9的外国人永久居留身份证，第2至3位（省级代码）“{region}”不存在。"
            )
    elif number[:2] not in PROVINCE_CODES:
        raise _id_fail(f"身份证号的行政区划代码不对：前两位（省级代码）“{number[:2]}”不存在。")


def _check_id_birth_date(digits: str, *, where: str, today: date) -> date:
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise _id_fail(f"身份证号中的出生日期不对：{where}“{digits}”不是有效日期。") from None
    if born > today:
        raise _id_fail(f"身份证号中的出生日期不对：{where}“{digits}”晚于今天。")
    if born < EARLIEST_BIRTH_DATE:
        raise _id_fail(f"身份证号中的出生日期不对：{where}“{digits}”早于1900年1月1日。")
    return born


def id_number_from_15(value: str) -> str:
    """Convert a 15-digit legacy number (YYMMDD, 19th century prefix) to 18 characters.

    Only the conversion: call :func:`validate_id_number` to check the result.
    """
    number = _normalise(value)
    if len(number) != 15 or not number.isascii() or not number.isdigit():
        raise _id_fail("15位身份证号应全部为数字。")
    first17 = number[:6] + "19" + number[6:]
    return first17 + id_number_check_char(first17)


def validate_id_number(value: object, *, today: date | None = None) -> str:
    """Validate a 公民身份号码 and return its canonical 18-character upper-case form.

    Accepts 18-character numbers (GB 11643-1999) and 15-digit legacy numbers (GB 11643-1989,
    converted with the ``19`` century prefix and a computed check character). Checks the
    length, the characters, the province-level region code (also 81/82/83 residence permits,
    and the 2023 外国人永久居留身份证 whose first digit is 9 followed by the province code), a
    real birth date not in the future and not before 1900, and the check character.
    ``today`` defaults to the current date in Asia/Shanghai.
    """
    number = _normalise(value)
    today = today or datetime.now(_TZ).date()
    if not number:
        raise _id_fail("请填写身份证号。")
    if len(number) == 15:
        if not number.isascii() or not number.isdigit():
            raise _id_fail("身份证号格式不对：15位旧号码应全部为数字。")
        _check_id_region(number)
        _check_id_birth_date("19" + number[6:12], where="第7至12位（出生年月日）", today=today)
        return id_number_from_15(number)
    if len(number) != 18:
        raise _id_fail(f"身份证号长度不对：应为18位（或15位旧号码），现为{len(number)}位。")
    first17, check = number[:17], number[17]
    if not first17.isascii() or not first17.isdigit() or check not in "0123456789X":
        raise _id_fail("身份证号格式不对：前17位应为数字，最后一位为数字或字母X。")
    _check_id_region(number)
    _check_id_birth_date(number[6:14], where="第7至14位（出生年月日）", today=today)
    if id_number_check_char(first17) != check:
        raise _id_fail("身份证号校验位不对：最后一位与前17位不符，请核对号码是否抄错。")
    return number


# --------------------------------------------------------------------------- GB 11714

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _org_value(char: str) -> int:
    if "0" <= char <= "9":
        return ord(char) - ord("0")
    if "A" <= char <= "Z":
        return ord(char) - ord("A") + 10
    raise ValueError(f"not an organisation-code character: {char!r}")


def org_code_check_char(body: str) -> str:
    """The GB 11714 check character (0-9 or X) of the 8-character body."""
    if len(body) != 8:
        raise ValueError("need exactly 8 characters")
    remainder = 11 - sum(_org_value(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


def _org_fail(message: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, field=field)


def format_org_code(code: str) -> str:
    """``XXXXXXXX-X``, as printed on the old certificates."""
    return f"{code[:8]}-{code[8:]}"


def validate_org_code(value: object) -> str:
    """Validate a 组织机构代码 (GB 11714-1997) and return it as 9 characters without the hyphen.

    The body is 8 digits or upper-case letters, the check character a digit or ``X``;
    ``12345678-9`` and ``123456789`` are both accepted.
    """
    raw = _normalise(value)
    if not raw:
        raise _org_fail("请填写组织机构代码。", "org_code")
    if raw.count("-") > 1 or ("-" in raw and raw.index("-") != 8):
        raise _org_fail("组织机构代码格式不对：应为8位本体代码加1位校验码，连字符只能在第8位之后。", "org_code")
    code = raw.replace("-", "")
    if len(code) != 9:
        raise _org_fail(f"组织机构代码长度不对：应为9位（不含连字符），现为{len(code)}位。", "org_code")
    body, check = code[:8], code[8]
    if not body.isascii() or not body.isalnum() or check not in "0123456789X":
        raise _org_fail("组织机构代码格式不对：前8位为数字或大写字母，最后一位为数字或X。", "org_code")
    if org_code_check_char(body) != check:
        raise _org_fail("组织机构代码校验位不对：最后一位与前8位不符，请核对代码是否抄错。", "org_code")
    return code


# --------------------------------------------------------------------------- GB 32100

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, Z, S, V
_CREDIT_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28

# 登记管理部门代码 → (name, {机构类别代码: name}), GB 32100-2015 with amendment No. 1.
REGISTRATION_DEPARTMENTS: dict[str, tuple[str, dict[str, str]]] = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"}),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": ("司法行政", {"1": "律师执业机构", "2": "公证处", "3": "基层法律服务所", "4": "司法鉴定机构",
                     "5": "仲裁委员会", "9": "其他"}),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": ("旅游", {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"}),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": ("农业", {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"}),
    "Y": ("其他", {"1": "其他"}),
}


def credit_code_check_char(first17: str) -> str:
    """The GB 32100 (ISO 7064 MOD 31-3) check character of the first 17 characters."""
    if len(first17) != 17 or any(c not in CREDIT_CODE_ALPHABET for c in first17):
        raise ValueError("need exactly 17 characters of the credit-code alphabet")
    total = sum(CREDIT_CODE_ALPHABET.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[-total % 31]


def _credit_fail(message: str) -> ValidationFailed:
    return ValidationFailed(message, field="credit_code")


def validate_credit_code(value: object) -> str:
    """Validate a 统一社会信用代码 (GB 32100-2015) and return it as 18 upper-case characters.

    Checks the length, the 31-character alphabet, the 登记管理部门 and 机构类别 pair, the
    region (six digits of a known province, or 100000 for national registrations), the GB 11714
    check character of the embedded 组织机构代码 (positions 9–17) and the final check character.
    Letter-prefixed codes (``Y1…``, ``A1…``, ``N1…``) are valid.
    """
    code = _normalise(value, drop="-")
    if not code:
        raise _credit_fail("请填写统一社会信用代码。")
    if len(code) != 18:
        raise _credit_fail(f"统一社会信用代码长度不对：应为18位，现为{len(code)}位。")
    bad = [c for c in code if c not in CREDIT_CODE_ALPHABET]
    if bad:
        shown = "、".join(dict.fromkeys(f"“{c}”" for c in bad))
        raise _credit_fail(
            f"统一社会信用代码含有不允许的字符{shown}：只能使用数字和除I、O、Z、S、V以外的大写字母。"
        )
    department = REGISTRATION_DEPARTMENTS.get(code[0])
    if department is None:
        raise _credit_fail(f"统一社会信用代码第1位（登记管理部门代码）“{code[0]}”不存在。")
    dept_name, categories = department
    if code[1] not in categories:
        raise _credit_fail(
            f"统一社会信用代码第2位（机构类别代码）“{code[1]}”对登记管理部门“{code[0]}”（{dept_name}）无效。"
        )
    region = code[2:8]
    if not region.isdigit():
        raise _credit_fail(f"统一社会信用代码第3至8位（登记管理机关行政区划码）“{region}”应为6位数字。")
    if region[:2] not in _CREDIT_REGION_PREFIXES:
        raise _credit_fail(
            f"统一社会信用代码第3至8位（登记管理机关行政区划码）“{region}”的省级代码“{region[:2]}”不存在。"
        )
    if credit_code_check_char(code[:17]) != code[17]:
        raise _credit_fail("统一社会信用代码校验位（第18位）不对：与前17位不符，请核对代码是否抄错。")
    if org_code_check_char(code[8:16]) != code[16]:
        raise _credit_fail("统一社会信用代码第9至17位（组织机构代码）的校验位不对：第17位与第9至16位不符。")
    return code
