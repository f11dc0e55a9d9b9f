"""Social security cards (XXZX00001–00007): 申领 → 制卡 → 发卡 → 启用; 挂失 (also by phone
12333, see ``services.card_report_lost``), 解挂, 补换 (new number, old one dead), 急制 (requires
挂失), PIN change and reset (PINs stored hashed: the case data keeps only the hash)."""

from __future__ import annotations

from typing import Literal

from django.db.models import Q
from pydantic import Field, model_validator

from shebao.cases.models import Case, CaseResult, CaseStatus

from .. import services
from ..errors import RegistryRefused
from ..framework import Ctx, Data, item
from ..models import Card, CardStatus, Relationship
from ..rules import Finding, block, emergency_card, warn
from .common import result_notice_add
from .transfers import CENTRAL_DISTRICTS

PARTNER_BANK = "汉口银行"


def live(ctx: Ctx, rule: str) -> Card:
    person = ctx.person()
    card = services.live_card(person)
    if card is None:
        raise RegistryRefused(f"{person.name}没有在用的社保卡", rule=rule, field="card")
    return card


def replacement_applied_since(card: Card, *, exclude: Case | None = None) -> Case | None:
    """A 补、换卡 application (XXZX00002) accepted since the card was reported lost: it bars 解挂 and 急制.
    (An application the window could not accept is not an application made.)"""
    cases = Case.objects.filter(item__code="XXZX00002", applicant_id_number=card.person.id_number).filter(
        Q(status__in=[CaseStatus.ACCEPTED, CaseStatus.SUSPENDED])
        | Q(status=CaseStatus.COMPLETED, result=CaseResult.GRANTED))
    if card.lost_at is not None:
        cases = cases.filter(accepted_at__gte=card.lost_at)
    if exclude is not None:
        cases = cases.exclude(pk=exclude.pk)
    return cases.order_by("-submitted_at").first()


# --------------------------------------------------------------------------- 新增制卡


class NewCard(Data):
    pickup: Literal["unit", "person", "mail", "agent"] = "person"
    bank: str = Field(PARTNER_BANK, min_length=1, max_length=40)


NEW_RULE = "XXZX00001办事条件：依法参加武汉市社会保险的全体人员"
new_card = item("XXZX00001", schema=NewCard,
                effect="制发社会保障卡：申领 → 制卡 → 发卡，新卡号“已发卡，待启用”（首次修改密码即启用）；卡号写入办结通知书",
                precondition="本人已参加武汉市社会保险（有参保关系）；没有在用的社保卡（有卡的应办理补换XXZX00002）")


@new_card.check
def _new_check(ctx: Ctx) -> list[Finding]:
    person = ctx.person()
    findings: list[Finding] = []
    if not Relationship.objects.filter(person=person).exists():
        findings.append(block(NEW_RULE, f"{person.name}尚未参加武汉市社会保险", "applicant_id_number"))
    card = services.live_card(person)
    if card is not None:
        findings.append(block(NEW_RULE, f"{person.name}已有社保卡{card.number}（{card.get_status_display()}），"
                                        "补卡、换卡请办理XXZX00002", "card"))
    return findings


@new_card.apply
def _new_apply(ctx: Ctx) -> None:
    card = services.card_issue(actor=ctx.actor, case=ctx.case, person=ctx.person(), bank=ctx.data.bank,
                               district=ctx.district, applied_on=ctx.case.accepted_at.date()
                               if ctx.case.accepted_at else None)
    result_notice_add(ctx, "card_number", card.number)


# --------------------------------------------------------------------------- 补、换卡


class Replacement(Data):
    reason: Literal["lost", "damaged", "expired"]


REPLACE_RULE = ("XXZX00002办事条件：原卡已挂失或者卡有效期满；备注：中心城区社保经办机构只受理绑定汉口银行的社保卡，"
                "其他银行卡到绑定银行指定网点办理；新城区到绑定合作银行在本区的指定网点办理")
replace = item("XXZX00002", schema=Replacement,
               effect="补、换社保卡：原卡作废（“已补换”，指向新卡），发新卡新卡号（待启用）；新卡号写入办结通知书",
               precondition="原卡已挂失（遗失、损坏须先挂失）或有效期满（到期前90日内）；中心城区经办机构只受理绑定汉口银行的卡，"
                            "新城区经办机构不受理（到绑定银行网点办理）")


@replace.check
def _replace_check(ctx: Ctx) -> list[Finding]:
    card = live(ctx, REPLACE_RULE)
    findings: list[Finding] = []
    if ctx.data.reason in {"lost", "damaged"} and card.status != CardStatus.LOST:
        findings.append(block(REPLACE_RULE, f"社保卡{card.number}尚未挂失，须先办理挂失（XXZX00006）", "card"))
    if ctx.data.reason == "expired" and card.status != CardStatus.LOST and (
            card.expires_on is None or (card.expires_on - ctx.today).days > 90):
        findings.append(block(REPLACE_RULE, f"社保卡{card.number}有效期至{card.expires_on}，未到期", "card"))
    if ctx.office.level in {"district", "street"}:
        if ctx.district in CENTRAL_DISTRICTS and card.bank != PARTNER_BANK:
            findings.append(block(REPLACE_RULE, f"该卡绑定{card.bank}，请到{card.bank}指定网点办理补换", "org_unit"))
        elif ctx.district and ctx.district not in CENTRAL_DISTRICTS:
            findings.append(block(REPLACE_RULE, f"新城区（{ctx.district}）补换卡请到绑定的{card.bank}在本区的指定网点办理",
                                  "org_unit"))
    return findings


@replace.apply
def _replace_apply(ctx: Ctx) -> None:
    card = live(ctx, REPLACE_RULE)
    new = services.card_replace(actor=ctx.actor, case=ctx.case, card=card, district=ctx.district)
    result_notice_add(ctx, "card_number", new.number)
    result_notice_add(ctx, "old_card_number", card.number)


# --------------------------------------------------------------------------- 急制卡


class Emergency(Data):
    group: Literal["inpatient", "chronic", "disabled", "pregnant", "elderly"]
    proof: str = Field(..., min_length=1, max_length=120, description="住院押金条、门诊重症病历、围检手册、老年证或残疾证")


EMERGENCY_RULE = ("XXZX00003办事条件：原社保卡因遗失、损坏无法正常使用（须已挂失），尚未办理过补、换卡申请，且属于住院、门诊重慢疾病、"
                  "残疾人、孕妇、65周岁以上老年人之一")
emergency = item("XXZX00003", schema=Emergency,
                 effect="急制社保卡：原卡作废（“已补换”），即时制发新卡新卡号（16:00后次日领取，见流程）；新卡号写入办结通知书",
                 precondition="原卡须已挂失（XXZX00006）；挂失后未申请过补、换卡（XXZX00002）；属于五类人员之一（老年人须年满65周岁）")


@emergency.check
def _emergency_check(ctx: Ctx) -> list[Finding]:
    card = live(ctx, EMERGENCY_RULE)
    person = card.person
    findings: list[Finding] = []
    if card.status != CardStatus.LOST:
        findings.append(block(EMERGENCY_RULE, f"社保卡{card.number}尚未挂失，急制卡须先办理挂失（XXZX00006）", "card"))
    applied = replacement_applied_since(card)
    if applied is not None:
        findings.append(block(EMERGENCY_RULE, f"已申请补、换卡（办件{applied.reference}），不能再急制", "card"))
    findings += emergency_card(group=ctx.data.group, birth=person.birth_date, on=ctx.today)
    return findings


@emergency.apply
def _emergency_apply(ctx: Ctx) -> None:
    card = live(ctx, EMERGENCY_RULE)
    new = services.card_replace(actor=ctx.actor, case=ctx.case, card=card, emergency=True, district=ctx.district)
    result_notice_add(ctx, "card_number", new.number)
    result_notice_add(ctx, "old_card_number", card.number)


# --------------------------------------------------------------------------- PIN


class NewPin(Data):
    """The new PIN is hashed on arrival; only ``pin_hash`` is stored with the case."""

    new_pin: str | None = Field(None, min_length=6, max_length=6)
    pin_hash: str = Field("", max_length=128)

    @model_validator(mode="after")
    def _hash(self) -> NewPin:
        from shebao.core.errors import ValidationFailed

        if self.new_pin:
            try:
                self.pin_hash = services.pin_hash(self.new_pin)
            except ValidationFailed as exc:
                raise ValueError(exc.message) from None
            self.new_pin = None
        if not self.pin_hash:
            raise ValueError("请输入6位数字的新密码（new_pin）")
        return self


PIN_RULE = "XXZX00004：持卡人需要变更卡密码；领取社保卡后应及时修改初始密码"
pin_change = item("XXZX00004", schema=NewPin,
                  effect="修改社保卡密码（只保存哈希）；待启用的新卡由此启用（“正常”）",
                  precondition="在用的社保卡为“正常”或“待启用”（被锁的须办理XXZX00005重置）；新密码6位数字，不能相同或连续")


@pin_change.check
def _pin_change_check(ctx: Ctx) -> list[Finding]:
    card = live(ctx, PIN_RULE)
    if card.status not in {CardStatus.ISSUED, CardStatus.ACTIVE}:
        hint = "，请办理密码重置（XXZX00005）" if card.status == CardStatus.LOCKED else ""
        return [block(PIN_RULE, f"社保卡{card.number}当前为“{card.get_status_display()}”{hint}", "card")]
    return []


@pin_change.apply
def _pin_change_apply(ctx: Ctx) -> None:
    services.card_set_pin(actor=ctx.actor, case=ctx.case, card=live(ctx, PIN_RULE), hashed_pin=ctx.data.pin_hash)


RESET_RULE = "XXZX00005办事条件：持卡人由于连续输错密码导致社保卡被锁的，可申请办理解锁并重置密码"
pin_reset = item("XXZX00005", schema=NewPin,
                 effect="解锁并重置社保卡密码（只保存哈希），卡状态恢复“正常”，错误次数清零",
                 precondition="在用的社保卡被锁（连续输错密码）；未锁定的警示（按忘记密码重置）；挂失的卡不能重置")


@pin_reset.check
def _pin_reset_check(ctx: Ctx) -> list[Finding]:
    card = live(ctx, RESET_RULE)
    if card.status == CardStatus.LOST:
        return [block(RESET_RULE, f"社保卡{card.number}已挂失，不能重置密码", "card")]
    if card.status != CardStatus.LOCKED:
        return [warn(RESET_RULE, f"社保卡{card.number}未被锁定，将按忘记密码重置", "card")]
    return []


@pin_reset.apply
def _pin_reset_apply(ctx: Ctx) -> None:
    services.card_set_pin(actor=ctx.actor, case=ctx.case, card=live(ctx, RESET_RULE), hashed_pin=ctx.data.pin_hash,
                          reset=True)


# --------------------------------------------------------------------------- 挂失 / 解挂


class LossReport(Data):
    channel: Literal["counter", "bank", "hall"] = "counter"


LOSS_RULE = "XXZX00006办事条件：持卡人的社保卡遗失或损坏；电话挂失（12333）为正式挂失"
loss = item("XXZX00006", schema=LossReport,
            effect="社保卡挂失：卡状态“挂失”（记录挂失时间和渠道），挂失后刷卡被拒；电话12333挂失见登记簿服务 card_report_lost",
            precondition="在用的社保卡未挂失、未作废")


@loss.check
def _loss_check(ctx: Ctx) -> list[Finding]:
    card = live(ctx, LOSS_RULE)
    if card.status == CardStatus.LOST:
        return [block(LOSS_RULE, f"社保卡{card.number}已于{card.lost_at:%Y-%m-%d}挂失" if card.lost_at else "已挂失",
                      "card")]
    return []


@loss.apply
def _loss_apply(ctx: Ctx) -> None:
    services.card_report_lost(actor=ctx.actor, case=ctx.case, card=live(ctx, LOSS_RULE), channel=ctx.data.channel)


FOUND_RULE = "XXZX00007办事条件：持卡人在申请办理补换卡业务前，可申请办理社保卡解除挂失手续（电话挂失的须到窗口解挂）"
found = item("XXZX00007", effect="解除挂失：卡状态恢复（已启用的“正常”，未启用的“待启用”）",
             precondition="在用的社保卡处于挂失；挂失后尚未申请补、换卡（XXZX00002）")


@found.check
def _found_check(ctx: Ctx) -> list[Finding]:
    card = live(ctx, FOUND_RULE)
    findings: list[Finding] = []
    if card.status != CardStatus.LOST:
        findings.append(block(FOUND_RULE, f"社保卡{card.number}未挂失", "card"))
    applied = replacement_applied_since(card)
    if applied is not None:
        findings.append(block(FOUND_RULE, f"已申请补、换卡（办件{applied.reference}），不能解除挂失", "card"))
    return findings


@found.apply
def _found_apply(ctx: Ctx) -> None:
    services.card_unlock_lost(actor=ctx.actor, case=ctx.case, card=live(ctx, FOUND_RULE))
