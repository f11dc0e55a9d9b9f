"""Named personas per role, and synthetic identifiers with valid check characters."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group, User

from shebao.accounts.models import ApplicantProfile, OrgLevel, OrgUnit, Role, StaffProfile

PASSWORD = "persona-pass-2017"
_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def id_number(body17: str = "42010219900307123") -> str:
    """A synthetic 身份证号 with the GB 11643 check character."""
    total = sum(int(c) * w for c, w in zip(body17, _ID_WEIGHTS, strict=True))
    return body17 + "10X98765432"[total % 11]


def credit_code(org8: str = "MA4K3B7Q") -> str:
    """A synthetic 统一社会信用代码 (GB 32100) with a valid embedded organisation code."""
    values = [int(c, 36) for c in org8]  # GB 11714: digits as such, A=10 … Z=35
    org_check = 11 - sum(v * w for v, w in zip(values, _ORG_WEIGHTS, strict=True)) % 11
    org9 = org8 + {10: "X", 11: "0"}.get(org_check, str(org_check))
    body = "91420102" + org9
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(body, _USCC_WEIGHTS, strict=True))
    return body + _USCC_ALPHABET[(31 - total % 31) % 31]


@dataclass
class Office:
    district_ja: OrgUnit
    district_jh: OrgUnit
    street_ja: OrgUnit
    city_injury: OrgUnit
    bureau_pension: OrgUnit


def offices() -> Office:
    ja, _ = OrgUnit.objects.get_or_create(key="t-district-ja", defaults={
        "name": "江岸社保处", "level": OrgLevel.DISTRICT, "district": "江岸", "code": "TJA"})
    jh, _ = OrgUnit.objects.get_or_create(key="t-district-jh", defaults={
        "name": "江汉社保处", "level": OrgLevel.DISTRICT, "district": "江汉", "code": "TJH"})
    street, _ = OrgUnit.objects.get_or_create(key="t-street-ja", defaults={
        "name": "江岸某街道政务服务中心", "level": OrgLevel.STREET, "district": "江岸", "parent": ja, "code": "TJAS"})
    city, _ = OrgUnit.objects.get_or_create(key="t-city-injury", defaults={
        "name": "武汉市工伤生育保险中心", "level": OrgLevel.CITY, "code": "TGS"})
    bureau, _ = OrgUnit.objects.get_or_create(key="t-bureau-pension", defaults={
        "name": "市人社局职工养老保险处", "level": OrgLevel.BUREAU, "code": "TYL"})
    return Office(ja, jh, street, city, bureau)


def staff(username: str, role: str, unit: OrgUnit) -> User:
    user, created = User.objects.get_or_create(username=username)
    if created:
        user.set_password(PASSWORD)
        user.save()
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    StaffProfile.objects.update_or_create(user=user, defaults={"org_unit": unit, "display_name": username})
    return user


def applicant(username: str, *, kind: str = "person") -> User:
    user, created = User.objects.get_or_create(username=username)
    if created:
        user.set_password(PASSWORD)
        user.save()
    role = Role.APPLICANT_PERSON if kind == "person" else Role.APPLICANT_UNIT
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    ApplicantProfile.objects.update_or_create(user=user, defaults={
        "kind": kind, "name": "张三" if kind == "person" else "武汉某某科技有限公司",
        "id_number": id_number() if kind == "person" else "",
        "credit_code": credit_code() if kind == "unit" else ""})
    return user
