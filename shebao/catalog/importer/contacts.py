"""Contacts (咨询方式) as entries, and the office directory they reveal.

Two layouts occur: ``名称：027-xxxxxxxx，地址`` runs (separated by spaces or line breaks) and
the unemployment items' three-column rows ``名称 xxxxxxxx 地址`` without area code. Each item
keeps its own entries (different items list different numbers of the same office); the
directory groups the name variants of one office by district and function.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

_PHONE = r"(?:0\d{2,3}\s*[-—–]\s*)?(?:\d{7,8}|12333|12345)"
_PHONES = rf"{_PHONE}(?:\s*[、,，/]\s*{_PHONE}(?![\d号]))*"
COLON_ENTRY = re.compile(
    rf"(?<![^\s，,；;。])(?:\d+[、.]\s*)?(?P<label>[^\s：:，,；;。\d][^\s：:，,；;。]*?)\s*[：:]\s*(?P<phones>{_PHONES})"
)
ROW_ENTRY = re.compile(r"(?P<label>[^\s\d][^\s]*?)\s+(?P<phones>\d{8})\s+")

DISTRICTS = ["江岸", "江汉", "硚口", "汉阳", "武昌", "青山", "洪山", "东湖", "经济技术开发区", "江夏", "东西湖", "新洲", "黄陂", "蔡甸"]
DISTRICT_DISPLAY = {"东湖": "东湖高新区", "经济技术开发区": "武汉经济技术开发区（汉南）"}


@dataclass(frozen=True)
class ContactEntry:
    label: str
    phones: tuple[str, ...]
    address: str


@dataclass
class OfficeSpec:
    key: str
    kind: str
    district: str
    names: Counter[str] = field(default_factory=Counter)
    phones: Counter[str] = field(default_factory=Counter)
    addresses: Counter[str] = field(default_factory=Counter)
    position: int = 0

    @property
    def name(self) -> str:
        return self.names.most_common(1)[0][0]


def normalize_phone(raw: str) -> str:
    digits = re.sub(r"\s|[-—–]", "", raw)
    if digits.startswith("027") and len(digits) in (8, 11):
        return f"027-{digits[3:]}"  # 027-12333 and 027-xxxxxxxx
    if len(digits) == 8:
        return f"027-{digits}"  # Wuhan numbers printed without the area code
    return digits


def _split_phones(raw: str) -> tuple[str, ...]:
    return tuple(normalize_phone(p) for p in re.findall(_PHONE, raw))


def parse_contacts(text: str) -> list[ContactEntry]:
    flat = re.sub(r"\s+", " ", text).strip()
    entries: list[ContactEntry] = []
    matches = list(COLON_ENTRY.finditer(flat))
    if matches:
        for index, match in enumerate(matches):
            end = matches[index + 1].start() if index + 1 < len(matches) else len(flat)
            address = _clean_address(flat[match.end() : end])
            label = re.sub(r"(?<=[处局办室心])电话$", "", match.group("label"))
            entries.append(ContactEntry(label, _split_phones(match.group("phones")), address))
    # The three-column rows have no colon; they may follow colon entries in the same field.
    rest = flat[matches[-1].end() :] if matches else flat
    rows = list(ROW_ENTRY.finditer(rest))
    if rows and (not matches or not COLON_ENTRY.search(rest)):
        if matches:
            # The last colon entry's "address" swallowed the rows; cut it back.
            last = entries.pop()
            entries.append(ContactEntry(last.label, last.phones, rest[: rows[0].start()].strip(" ，,；;。")))
        for index, row in enumerate(rows):
            end = rows[index + 1].start() if index + 1 < len(rows) else len(rest)
            entries.append(ContactEntry(row.group("label"), (normalize_phone(row.group("phones")),),
                                        rest[row.end() : end].strip(" ，,；;。")))
    return entries


def _clean_address(raw: str) -> str:
    """The text after the phones up to the next entry, without a trailing list number."""
    address = re.split(r"\s\d+、", raw)[0]
    address = re.sub(r"^[\s，,；;。]*(?:地址[：:])?", "", address)
    return address.strip(" ，,；;。")


def district_of(label: str) -> str:
    for district in DISTRICTS:
        if district in label:
            return district
    return ""


# (function, office kind) by the words of the name, first match wins.
_FUNCTIONS: list[tuple[str, str, str]] = [
    (r"咨询投诉", "hotline", "hotline"),
    (r"医疗保险中心", "city-medical", "city_centre"),
    (r"社会保障卡服务大厅", "city-card", "city_centre"),
    (r"失业保险管理办公室|市失业办", "city-unemployment", "city_centre"),
    (r"工伤处|工伤与生育保险处", "bureau-injury", "bureau_division"),
    (r"职工养老保险处", "bureau-pension", "bureau_division"),
    (r"城乡居民(?:基本)?医疗|居民医保", "residents-medical", "residents"),
    (r"城乡居民(?:社会)?养老|农村社会(?:养老)?保险", "residents-pension", "residents"),
    (r"社保卡经办", "card", "district_other"),
    (r"工伤生育", "injury", "district_other"),
    (r"医保|医疗保险办公室", "medical", "district_other"),
    (r"社保处|社会保险管理处|分局|基金结算|养老保险管理办公室|政务服务中心人社服务窗口|退休基金统筹", "insurance", "district"),
    (r"人力资源和社会保障局|人社局", "bureau", "district_bureau"),
]


def classify(label: str) -> tuple[str, str, str] | None:
    """(office key, kind, district) for a contact label, or None for a non-office label."""
    district = district_of(label)
    for pattern, function, kind in _FUNCTIONS:
        if re.search(pattern, label):
            if kind in {"district", "district_other", "residents", "district_bureau"}:
                if not district:
                    return None
                return f"{function}-{DISTRICTS.index(district) + 1:02d}", kind, district
            return function, kind, ""
    return None


def build_directory(entries_per_item: list[list[ContactEntry]]) -> dict[str, OfficeSpec]:
    offices: dict[str, OfficeSpec] = {}
    for entries in entries_per_item:
        for entry in entries:
            found = classify(entry.label)
            if found is None:
                continue
            key, kind, district = found
            spec = offices.setdefault(key, OfficeSpec(key=key, kind=kind, district=district))
            spec.names[entry.label] += 1
            for phone in entry.phones:
                spec.phones[phone] += 1
            if entry.address:
                spec.addresses[entry.address] += 1
    return offices
