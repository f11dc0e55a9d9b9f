"""One persona per role (the twelve role groups), an employer's online-hall account and an anonymous
visitor — the columns of the permission matrix. Built on the case personas (tests/cases/personas.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AnonymousUser, Group, User

from shebao.accounts.models import ApplicantProfile, Role
from shebao.accounts.selectors import user_cache_clear
from shebao.registry import services as registry_services
from shebao.registry.models import OnlineAccount
from tests.cases import personas

ANONYMOUS = "anonymous"
EMPLOYER_ONLINE = "employer_online"


@dataclass(frozen=True)
class Persona:
    name: str
    user: User | AnonymousUser

    @property
    def signed_in(self) -> bool:
        return isinstance(self.user, User)


def _employer_online_account(unit_offices: personas.Office) -> User:
    """An employer's online-hall account as SBZX00001 issues it, after its first password change."""
    employer = registry_services.employer_register(
        actor="test", case=None, credit_code=personas.credit_code("MA4K9X2Q"), registered_on=date(2020, 1, 15),
        fields={"name": "武汉矩阵测试有限公司", "unit_type": "企业", "founded_on": date(2020, 1, 1),
                "insurance_types": ["pension", "medical"], "district": "江岸", "office": unit_offices.district_ja,
                "online_credit": True})
    username, _ = registry_services.employer_account_issue(actor="test", case=None, employer=employer)
    user = User.objects.get(username=username)
    OnlineAccount.objects.filter(user=user).update(must_change_password=False)
    return user


def all_personas() -> list[Persona]:
    """Anonymous, one user for each Role value, and an employer's online-hall account."""
    o = personas.offices()
    unit_for = {
        Role.WINDOW_CLERK: o.district_ja, Role.REVIEWER: o.district_ja, Role.CITY_REVIEWER: o.city_injury,
        Role.FINANCE: o.city_injury, Role.BUREAU_APPROVER: o.bureau_pension, Role.POLICY_OFFICE: o.bureau_pension,
        Role.CATALOG_EDITOR: o.city_injury, Role.SUPERVISOR: o.bureau_pension, Role.ADMIN: o.city_injury,
    }
    people = [Persona(ANONYMOUS, AnonymousUser())]
    for role in Role:
        username = f"matrix.{role.value}"
        if role == Role.APPLICANT_PERSON:
            user = personas.applicant(username, kind="person")
        elif role == Role.APPLICANT_UNIT:
            user = personas.applicant(username, kind="unit")
        elif role == Role.AGENT:
            user, _ = User.objects.get_or_create(username=username)
            user.groups.add(Group.objects.get_or_create(name=Role.AGENT)[0])
            ApplicantProfile.objects.update_or_create(user=user, defaults={
                "kind": "person", "name": "周代办", "id_number": personas.id_number("42010619900708246")})
        else:
            user = personas.staff(username, role, unit_for[role])
        if role == Role.ADMIN:
            # The demo's administrator: a superuser (Django admin needs is_staff as well).
            User.objects.filter(pk=user.pk).update(is_superuser=True, is_staff=True)
            user.refresh_from_db()
        user_cache_clear(user)
        people.append(Persona(role.value, user))
    people.append(Persona(EMPLOYER_ONLINE, _employer_online_account(o)))
    return people
