"""Eligibility rules the guides state, as pure functions: no database.

Each returns ``Finding`` objects: ``block`` stops the case (受理 or 办结) with the rule cited,
``warn`` is shown to the clerk and kept with the case data. The citations quote the guide
(办事条件 of the item) or the law it rests on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Literal

SOCIAL_INSURANCE_LAW_IN_FORCE = date(2011, 7, 1)  # 《社会保险法》施行之日
FULL_YEARS_MONTHS = 15 * 12


@dataclass(frozen=True)
class Finding:
    level: Literal["block", "warn"]
    rule: str
    message: str
    field: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def block(rule: str, message: str, field: str = "") -> Finding:
    return Finding("block", rule, message, field)


def warn(rule: str, message: str, field: str = "") -> Finding:
    return Finding("warn", rule, message, field)


def age_on(birth: date, on: date) -> int:
    """Completed years (周岁) on ``on``."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def years_text(months: int) -> str:
    return f"{months // 12}年{months % 12}个月" if months % 12 else f"{months // 12}年"


# --------------------------------------------------------------------------- filing windows


def within_days(*, event: date | None, on: date, days: int, rule: str, what: str, field: str) -> list[Finding]:
    """“自…之日起三十日内”: a late filing is still handled, with a warning that names the lateness
    (the law's penalties are for the inspectors, not for the window to refuse)."""
    if event is None:
        return []
    if event > on:
        return [block(rule, f"{what}{event}晚于今天", field)]
    last = event + timedelta(days=days)
    if on > last:
        return [warn(rule, f"已超过{what}起{days}日的办理期限（应于{last}前办理），逾期{(on - last).days}日", field)]
    return []


def cutoff_day(*, on: date, day: int, rule: str, what: str, field: str = "") -> list[Finding]:
    """“当月N日前”: after the N-th the month's cut-off has passed (warn: it rolls to next month)."""
    if on.day > day:
        return [warn(rule, f"{what}应于当月{day}日前办理，今天已过{day}日", field)]
    return []


# --------------------------------------------------------------------------- ages


FLEXIBLE_RULE = "SBZX00029办事条件：男年满16周岁未满60周岁、女年满16周岁未满55周岁"


def flexible_enrolment(*, sex: str, birth: date, on: date) -> list[Finding]:
    age = age_on(birth, on)
    upper = 60 if sex == "M" else 55
    if age < 16 or age >= upper:
        who = "男" if sex == "M" else "女"
        return [block(FLEXIBLE_RULE, f"参保人{who}，{age}周岁，不在灵活就业参保年龄范围内", "birth_date")]
    return []


RETIREMENT_RULE = ("SBZX00060办事条件：男年满60周岁；女干部（管理或技术岗位）年满55周岁、女工人（操作、生产或服务岗位）年满50周岁；"
                   "灵活就业女年满55周岁（原国有或集体企业正式职工可选50或55周岁）；缴费年限（含视同缴费年限）满15年")


def retirement_age(*, sex: str, birth: date, on: date, post_type: str = "", flexible: bool = False,
                   former_soe_worker: bool = False) -> int:
    """The statutory retirement age of this person (SBZX00060)."""
    if sex == "M":
        return 60
    if flexible:
        return 50 if former_soe_worker else 55
    return 55 if post_type == "cadre" else 50


def normal_retirement(*, sex: str, birth: date, on: date, post_type: str, flexible: bool, former_soe_worker: bool,
                      total_months: int) -> list[Finding]:
    findings: list[Finding] = []
    if sex == "F" and not flexible and post_type not in {"cadre", "worker"}:
        findings.append(block(RETIREMENT_RULE, "女性参保人须注明岗位：干部（管理或技术岗位）或工人（操作、生产或服务岗位）",
                              "post_type"))
        return findings
    needed = retirement_age(sex=sex, birth=birth, on=on, post_type=post_type, flexible=flexible,
                            former_soe_worker=former_soe_worker)
    age = age_on(birth, on)
    if age < needed:
        findings.append(block(RETIREMENT_RULE, f"未达到法定退休年龄：现{age}周岁，应年满{needed}周岁", "birth_date"))
    findings += fifteen_years(total_months=total_months, rule=RETIREMENT_RULE)
    return findings


def fifteen_years(*, total_months: int, rule: str) -> list[Finding]:
    if total_months < FULL_YEARS_MONTHS:
        return [block(rule, f"累计缴费年限（含视同缴费年限）为{years_text(total_months)}，不满15年", "contribution")]
    return []


LUMP_SUM_RULE = "SBZX00038办事条件（《社会保险法》实施前后参保的延长缴费规定）"


def lump_sum_backpay(*, sex: str, birth: date, on: date, post_type: str, flexible: bool, first_insured_on: date | None,
                     actual_months: int, total_months: int, extension_months: int) -> list[Finding]:
    """基本养老保险一次性补缴 (SBZX00038): at retirement age with under 15 years; enrolled before
    2011-07-01: after 5 years of extended payment; after: after 5 years of extension if the actual
    years reach 10, else once they reach 10."""
    needed = retirement_age(sex=sex, birth=birth, on=on, post_type=post_type, flexible=flexible)
    if age_on(birth, on) < needed:
        return [block(LUMP_SUM_RULE, f"须达到法定退休年龄（{needed}周岁）后办理", "birth_date")]
    if total_months >= FULL_YEARS_MONTHS:
        return [block(LUMP_SUM_RULE, f"累计缴费已满15年（{years_text(total_months)}），无需一次性补缴", "contribution")]
    if extension_months < 60:
        return [block(LUMP_SUM_RULE, f"须先延长缴费满五年，现已延长{years_text(extension_months)}", "extension_months")]
    before_law = first_insured_on is not None and first_insured_on < SOCIAL_INSURANCE_LAW_IN_FORCE
    if not before_law and actual_months < 120:
        return [block(LUMP_SUM_RULE, f"《社会保险法》实施后参保的，延长缴费五年后实际缴费不足十年（现{years_text(actual_months)}），"
                                     "须继续延长缴费至实际缴费年限满十年的当月申请", "contribution")]
    if extension_months > 60 and (before_law or actual_months > 120):
        return [warn(LUMP_SUM_RULE, "应在延长缴费年限满五年（或实际缴费年限满十年）的当月申请，已过该月", "extension_months")]
    return []


# --------------------------------------------------------------------------- layoffs


LAYOFF_RULE = ("SBZX00015办事条件：依据《劳动合同法》第四十一条裁减职工20人以上或裁减不足20人但占企业职工总数10%以上，"
               "或依据武政办〔2003〕66号改制裁减人员，经报相关劳动行政部门登记备案")


def layoff_threshold(*, count: int, total: int, basis: str, filed_with_labour_department: bool) -> list[Finding]:
    findings: list[Finding] = []
    if not filed_with_labour_department:
        findings.append(block(LAYOFF_RULE, "批量裁减须先报相关劳动行政部门登记备案", "filed_with_labour_department"))
    if basis == "restructuring":
        return findings
    if total <= 0:
        findings.append(block(LAYOFF_RULE, "请填写企业职工总数", "total_employees"))
    elif count < 20 and count * 10 < total:
        findings.append(block(LAYOFF_RULE, f"裁减{count}人，不足20人且仅占职工总数{total}人的"
                                           f"{count * 100 / total:.1f}%（不足10%），不属于批量裁减，请按SBZX00014逐人停保",
                              "persons"))
    return findings


# --------------------------------------------------------------------------- early retirement


SPECIAL_JOB_RULE = ("YLC00001办事条件：国有、县（区）属以上集体企业正式职工；高空和特别繁重体力劳动累计满10年、井下和高温满9年、"
                    "有毒有害满8年；男年满55周岁、女年满45周岁且缴费年限（含视同缴费年限）满15年")
SPECIAL_JOB_YEARS = {"high_altitude": 10, "heavy_labour": 10, "underground": 9, "high_temperature": 9, "toxic": 8}


def special_job_retirement(*, sex: str, birth: date, on: date, total_months: int, job: str, job_years: float,
                           soe_formal_worker: bool) -> list[Finding]:
    findings: list[Finding] = []
    if not soe_formal_worker:
        findings.append(block(SPECIAL_JOB_RULE, "须具有国有企业或县（区）属以上集体企业正式职工身份", "soe_formal_worker"))
    needed_years = SPECIAL_JOB_YEARS.get(job)
    if needed_years is None:
        findings.append(block(SPECIAL_JOB_RULE, f"特殊工种类别“{job}”无效", "job"))
    elif job_years < needed_years:
        findings.append(block(SPECIAL_JOB_RULE, f"从事该类特殊工种累计{job_years:g}年，不满{needed_years}年", "job_years"))
    needed_age = 55 if sex == "M" else 45
    if age_on(birth, on) < needed_age:
        findings.append(block(SPECIAL_JOB_RULE, f"须年满{needed_age}周岁，现{age_on(birth, on)}周岁", "birth_date"))
    findings += fifteen_years(total_months=total_months, rule=SPECIAL_JOB_RULE)
    return findings


ILLNESS_RULE = ("YLC00002办事条件：国有、集体企业职工身份；男年满50周岁、女年满45周岁；缴费年限（含视同缴费年限）满15年；"
                "经劳动能力鉴定部门鉴定为完全丧失劳动能力")


def illness_retirement(*, sex: str, birth: date, on: date, total_months: int, fully_incapacitated: bool,
                       soe_worker: bool) -> list[Finding]:
    findings: list[Finding] = []
    if not soe_worker:
        findings.append(block(ILLNESS_RULE, "须具有国有、集体企业职工身份", "soe_worker"))
    if not fully_incapacitated:
        findings.append(block(ILLNESS_RULE, "须经劳动能力鉴定部门鉴定为完全丧失劳动能力", "fully_incapacitated"))
    needed_age = 50 if sex == "M" else 45
    if age_on(birth, on) < needed_age:
        findings.append(block(ILLNESS_RULE, f"须年满{needed_age}周岁，现{age_on(birth, on)}周岁", "birth_date"))
    findings += fifteen_years(total_months=total_months, rule=ILLNESS_RULE)
    return findings


# --------------------------------------------------------------------------- residents


RESIDENT_PENSION_RULE = ("SBZX00055办事条件：年满16周岁（不含在校学生），非国家机关和事业单位工作人员及不属于职工基本养老保险制度覆盖范围的"
                         "城乡居民，在本人户籍地参加")


def resident_pension_registration(*, birth: date, on: date, student: bool, civil_servant: bool,
                                  employee_pension_active: bool, hukou_district: str,
                                  office_district: str) -> list[Finding]:
    findings: list[Finding] = []
    if age_on(birth, on) < 16:
        findings.append(block(RESIDENT_PENSION_RULE, f"须年满16周岁，现{age_on(birth, on)}周岁", "birth_date"))
    if student:
        findings.append(block(RESIDENT_PENSION_RULE, "在校学生不参加城乡居民基本养老保险", "student"))
    if civil_servant:
        findings.append(block(RESIDENT_PENSION_RULE, "国家机关和事业单位工作人员不参加城乡居民基本养老保险", "civil_servant"))
    if employee_pension_active:
        findings.append(block(RESIDENT_PENSION_RULE, "正在参加职工基本养老保险，不属于城乡居民养老保险覆盖范围", "persons"))
    if hukou_district and office_district and hukou_district != office_district:
        findings.append(block(RESIDENT_PENSION_RULE, f"户籍地为{hukou_district}，应在户籍地参保登记（本窗口属{office_district}）",
                              "hukou_district"))
    return findings


RESIDENT_RECEIVE_RULE = ("SBZX00069办事条件：具有武汉市城乡居民户籍，缴费符合年限，年满60周岁，未享受城镇基本养老保险待遇以及"
                         "国家和省市规定的其他养老待遇")


def resident_pension_receipt(*, birth: date, on: date, other_pension: bool) -> list[Finding]:
    findings: list[Finding] = []
    if age_on(birth, on) < 60:
        findings.append(block(RESIDENT_RECEIVE_RULE, f"须年满60周岁，现{age_on(birth, on)}周岁", "birth_date"))
    if other_pension:
        findings.append(block(RESIDENT_RECEIVE_RULE, "已享受城镇基本养老保险待遇或其他养老待遇", "persons"))
    return findings


# --------------------------------------------------------------------------- cards


EMERGENCY_CARD_RULE = ("XXZX00003办事条件：原社保卡因遗失、损坏无法正常使用，尚未办理过补、换卡申请，且属于住院、门诊重慢疾病、"
                       "残疾人、孕妇、65周岁以上老年人之一")
EMERGENCY_GROUPS = {"inpatient": "住院", "chronic": "门诊重慢疾病", "disabled": "残疾人", "pregnant": "孕妇",
                    "elderly": "65周岁以上老年人"}


def emergency_card(*, group: str, birth: date, on: date) -> list[Finding]:
    if group not in EMERGENCY_GROUPS:
        return [block(EMERGENCY_CARD_RULE, f"急制卡人员类别“{group}”无效", "group")]
    if group == "elderly" and age_on(birth, on) < 65:
        return [block(EMERGENCY_CARD_RULE, f"持卡人{age_on(birth, on)}周岁，未满65周岁", "group")]
    return []


# --------------------------------------------------------------------------- resumption after 年审


def resumption_month(*, certified_on: date, cutoff: int, before: int, after: int) -> date:
    """The month benefits resume after a late certification (补审): SBZX00071 — before the 20th the
    same month, else the next; SBZX00072/00074 — before the 22nd the next month, else the third
    month (the 补审 month counted as the first). “N日前” is read as days 1 … N-1."""
    offset = before if certified_on.day < cutoff else after
    index = certified_on.year * 12 + certified_on.month - 1 + offset
    return date(index // 12, index % 12 + 1, 1)


# --------------------------------------------------------------------------- unemployment


UNEMPLOYMENT_RULE = "SYB00001办事条件：失业前用人单位和本人已经缴纳失业保险费满一年，非因本人意愿中断就业"
UNEMPLOYMENT_MONTHS_RULE = "《失业保险条例》第十七条：累计缴费满1年不足5年，最长12个月；满5年不足10年，最长18个月；10年以上，最长24个月"


def unemployment_entitlement(contribution_months: int) -> int:
    if contribution_months >= 120:
        return 24
    if contribution_months >= 60:
        return 18
    if contribution_months >= 12:
        return 12
    return 0


MATERNITY_RULE = "生育保险办事条件：用人单位为其连续足额缴纳生育保险费满6个月以上"
