"""Social security cards XXZX00001–00007: lifecycle, PINs (hashed), loss, unlock, replacement."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password

from shebao.accounts.models import OrgUnit
from shebao.registry import services
from shebao.registry.casedata import case_data_get
from shebao.registry.errors import RegistryRefused
from shebao.registry.models import Card, CardStatus, FieldChange, Person

from .conftest import Reg, done, snapshot

pytestmark = pytest.mark.django_db


def _card_holder(reg: Reg, name: str = "持卡人") -> tuple[Person, Card]:
    employer = reg.employer()
    person = reg.person(name=name)
    reg.employ(person, employer, types=["medical"])
    case = reg.run("XXZX00001", {"pickup": "person"}, person=person)
    assert done(case)
    return person, Card.objects.get(person=person)


def test_card_lifecycle_pin_lock_reset(reg: Reg) -> None:
    nobody = reg.person(name="未参保")
    with pytest.raises(RegistryRefused, match="尚未参加武汉市社会保险"):
        reg.run("XXZX00001", {}, person=nobody)
    person, card = _card_holder(reg)
    assert card.status == CardStatus.ISSUED and card.number.startswith("W")
    with pytest.raises(RegistryRefused, match="XXZX00002"):
        reg.run("XXZX00001", {}, person=person)
    # Not usable before activation; the first PIN change activates it. Only the hash is kept.
    with pytest.raises(services.CardRefused, match="修改初始密码"):
        services.card_verify(number_=card.number)
    case = reg.run("XXZX00004", {"new_pin": "802417"}, person=person)
    stored = case_data_get(case=case)
    assert stored is not None and "new_pin" not in stored.data and "802417" not in str(stored.data)
    card.refresh_from_db()
    assert card.status == CardStatus.ACTIVE and check_password("802417", card.pin_hash)
    assert not FieldChange.objects.filter(new__contains="802417").exists()
    with pytest.raises(Exception, match="相同或连续"):
        reg.data(reg.submit("XXZX00004", person=person), {"new_pin": "123456"})
    assert services.card_verify(number_=card.number, pin="802417").status == CardStatus.ACTIVE
    for _ in range(3):
        with pytest.raises(services.CardRefused):
            services.card_verify(number_=card.number, pin="000001")
    card.refresh_from_db()
    assert card.status == CardStatus.LOCKED
    with pytest.raises(RegistryRefused, match="XXZX00005"):
        reg.run("XXZX00004", {"new_pin": "802418"}, person=person)
    reg.run("XXZX00005", {"new_pin": "731952"}, person=person)
    card.refresh_from_db()
    assert card.status == CardStatus.ACTIVE and card.pin_failures == 0
    assert services.card_verify(number_=card.number, pin="731952")


def test_loss_unlock_and_replacement_rules(reg: Reg) -> None:
    person, card = _card_holder(reg)
    reg.run("XXZX00004", {"new_pin": "802417"}, person=person)
    with pytest.raises(RegistryRefused, match="未挂失"):
        reg.run("XXZX00007", person=person)
    with pytest.raises(RegistryRefused, match="须先办理挂失"):
        reg.run("XXZX00002", {"reason": "lost"}, person=person)
    reg.run("XXZX00006", {}, person=person)
    card.refresh_from_db()
    assert card.status == CardStatus.LOST and card.lost_channel == "counter"
    with pytest.raises(services.CardRefused, match="已挂失"):
        services.card_verify(number_=card.number, pin="802417")
    assert done(reg.run("XXZX00007", person=person))  # found again before any replacement application
    card.refresh_from_db()
    assert card.status == CardStatus.ACTIVE
    # Phone loss (12333) is a formal report; after a replacement application, 解挂 and 急制 are refused.
    services.card_report_lost(actor="operator.12333", case=None, card=card, channel="phone")
    replace = reg.submit("XXZX00002", person=person)
    reg.data(replace, {"reason": "lost"})
    reg.accept(replace)
    before = snapshot()
    with pytest.raises(RegistryRefused, match="已申请补、换卡"):
        reg.run("XXZX00007", person=person)
    assert snapshot() == before
    assert done(reg.walk(replace))
    card.refresh_from_db()
    new = Card.objects.get(person=person, status=CardStatus.ISSUED)
    assert card.status == CardStatus.REPLACED and card.replaced_by == new and new.number != card.number
    with pytest.raises(services.CardRefused, match="已补换作废"):
        services.card_verify(number_=card.number)


def test_replacement_routing_by_bound_bank_and_district(reg: Reg) -> None:
    person, card = _card_holder(reg)
    services.card_report_lost(actor="test", case=None, card=card)
    Card.objects.filter(pk=card.pk).update(bank="中国工商银行")
    with pytest.raises(RegistryRefused, match="中国工商银行指定网点"):
        reg.run("XXZX00002", {"reason": "lost"}, person=person)
    Card.objects.filter(pk=card.pk).update(bank="汉口银行")
    outer, _ = OrgUnit.objects.get_or_create(key="t-district-jx", defaults={
        "name": "江夏社保处", "level": "district", "district": "江夏", "code": "TJX"})
    with pytest.raises(RegistryRefused, match="新城区"):
        reg.run("XXZX00002", {"reason": "lost"}, person=person, unit=outer)
    assert done(reg.run("XXZX00002", {"reason": "lost"}, person=person))


def test_emergency_card_for_the_elderly_only_from_65(reg: Reg, clock: object) -> None:
    hall, _ = OrgUnit.objects.get_or_create(key="t-city-card", defaults={
        "name": "武汉市社会保障卡服务大厅", "level": "city", "code": "TSBK"})
    employer = reg.employer()
    old = reg.person(name="六十四岁", born="19620301")
    reg.employ(old, employer, types=["medical"])
    reg.run("XXZX00001", {}, person=old)
    services.card_report_lost(actor="test", case=None, card=Card.objects.get(person=old))
    with pytest.raises(RegistryRefused, match="未满65周岁"):
        reg.run("XXZX00003", {"group": "elderly", "proof": "老年证"}, person=old, unit=hall)
    case = reg.run("XXZX00003", {"group": "pregnant", "proof": "围检手册"}, person=old, unit=hall)
    assert done(case)
    assert Card.objects.get(person=old, status=CardStatus.ISSUED).emergency
