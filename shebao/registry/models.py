"""Registries (登记簿): employers, insured persons, insurance relationships, bills, flexible-worker
accounts, transfers, benefit decisions and payables, social security cards, filings and approvals.

Tables and their invariants only; every write goes through ``services.py`` (one transaction, one
audit event, and a ``FieldChange`` row per changed field). What completing a case changes is in
``effects.py``; docs/registry.md describes the tables and lists every item with its effect.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from shebao.accounts.models import OrgUnit
from shebao.cases.models import Case


class InsuranceType(models.TextChoices):
    PENSION = "pension", "基本养老保险"
    MEDICAL = "medical", "基本医疗保险（含大额医疗保险）"
    UNEMPLOYMENT = "unemployment", "失业保险"
    INJURY = "injury", "工伤保险"
    MATERNITY = "maternity", "生育保险"
    RESIDENT_MEDICAL = "resident_medical", "城乡居民基本医疗保险"
    RESIDENT_PENSION = "resident_pension", "城乡居民基本养老保险"


# SBZX00009: 用人单位应参加基本养老保险、基本医疗保险（含大额医疗保险）、失业保险、工伤保险及生育保险。
EMPLOYER_TYPES: tuple[str, ...] = (
    InsuranceType.PENSION, InsuranceType.MEDICAL, InsuranceType.UNEMPLOYMENT, InsuranceType.INJURY,
    InsuranceType.MATERNITY,
)
# 灵活就业窗口: 基本养老保险 and 职工基本医疗保险 (SBZX00031/00032).
FLEXIBLE_TYPES: tuple[str, ...] = (InsuranceType.PENSION, InsuranceType.MEDICAL)


# --------------------------------------------------------------------------- history


class FieldChange(models.Model):
    """Field-level history of every registry record: who changed what, when, through which case."""

    model = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40)
    field = models.CharField(max_length=60, help_text="Field name; '*' for creation.")
    old = models.TextField(blank=True)
    new = models.TextField(blank=True)
    at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    action = models.CharField(max_length=60)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["model", "object_id"])]
        verbose_name = "字段变更记录"
        verbose_name_plural = "字段变更记录"

    def __str__(self) -> str:
        return f"{self.model}:{self.object_id}.{self.field}"


class Sequence(models.Model):
    """Counters for registry numbers (单位编号, 社保编号, 卡号, 单据号), row-locked when incremented."""

    name = models.CharField(max_length=20, unique=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


# --------------------------------------------------------------------------- employers


class EmployerStatus(models.TextChoices):
    REGISTERED = "registered", "正常参保"
    CANCELLED = "cancelled", "已注销"


class Employer(models.Model):
    """用人单位 (参保单位). Identified by a 统一社会信用代码, or — for the 非“统一社会信用代码” items —
    by its 组织机构代码 with the 营业执照/批文/法人证书 number. A credit code embeds the
    organisation code (positions 9–17), which is stored too, so both paths refuse the same unit twice."""

    code = models.CharField("单位编号", max_length=12, unique=True)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    org_code = models.CharField("组织机构代码", max_length=9, blank=True)
    licence_number = models.CharField("营业执照（批文、法人证书）编号", max_length=40, blank=True)
    tax_registration = models.CharField("税务登记证号", max_length=30, blank=True)
    # Key fields (重点信息, SBZX00005/00006)
    name = models.CharField("单位名称", max_length=120)
    unit_type = models.CharField("单位类型", max_length=40, blank=True)
    economic_type = models.CharField("经济类型", max_length=40, blank=True)
    legal_rep_name = models.CharField("法定代表人姓名", max_length=60, blank=True)
    legal_rep_id = models.CharField("法定代表人身份证号", max_length=30, blank=True)
    # General fields (一般信息, SBZX00010/00011)
    contact_name = models.CharField("单位联系人姓名", max_length=60, blank=True)
    contact_phone = models.CharField("联系人电话", max_length=30, blank=True)
    fax = models.CharField("传真号码", max_length=30, blank=True)
    email = models.CharField("邮箱地址", max_length=120, blank=True)
    postcode = models.CharField("邮政编码", max_length=6, blank=True)
    phone = models.CharField("联系电话", max_length=30, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    # Insurance
    insurance_types = models.JSONField("参保险种", default=list)
    industry_class = models.PositiveSmallIntegerField("工伤保险行业类别", default=1)
    injury_base_rate = models.DecimalField("工伤保险基准费率（%）", max_digits=5, decimal_places=2, default=0.2)
    provincial = models.BooleanField("省直参保", default=False)
    public_institution = models.BooleanField("机关事业单位", default=False)
    district = models.CharField("属地（地税关系所在区）", max_length=40, blank=True)
    office = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="employers",
                               verbose_name="属地社保经办机构")
    status = models.CharField("登记状态", max_length=12, choices=EmployerStatus.choices,
                              default=EmployerStatus.REGISTERED)
    founded_on = models.DateField("成立日期", null=True, blank=True)
    registered_on = models.DateField("登记日期")
    terminated_on = models.DateField("终止日期", null=True, blank=True)
    online_credit = models.BooleanField("单位网上信用用户", default=False)
    account = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="employers", verbose_name="网上办事大厅账户")
    name_initials = models.CharField(max_length=120, blank=True, help_text="Pinyin initials of the name.")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["credit_code"], condition=~Q(credit_code=""), name="uniq_employer_credit"),
            models.UniqueConstraint(fields=["org_code"], condition=~Q(org_code=""), name="uniq_employer_org"),
        ]
        indexes = [models.Index(fields=["name"]), models.Index(fields=["name_initials"])]
        verbose_name = "参保单位"
        verbose_name_plural = "参保单位"

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def identifier(self) -> str:
        return self.credit_code or self.org_code


class OnlineAccount(models.Model):
    """The employer's online-hall account issued at registration (SBZX00001/00002)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="registry_account")
    employer = models.ForeignKey(Employer, on_delete=models.CASCADE, related_name="online_accounts")
    must_change_password = models.BooleanField(default=True)
    issued_at = models.DateTimeField()
    password_changed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user} → {self.employer.code}"


# --------------------------------------------------------------------------- persons


class Sex(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


class PersonStatus(models.TextChoices):
    ACTIVE = "active", "正常"
    RETIRED = "retired", "已退休"
    DECEASED = "deceased", "已死亡"
    EMIGRATED = "emigrated", "出国（境）定居"
    MERGED = "merged", "已合并"


class Person(models.Model):
    """参保人. ``primary`` is False only for a legacy duplicate (a second 社保编号 of the same person,
    from data migrated before this system) until SBZX00023 merges it; a new registration with an
    ID number already on file is refused."""

    ssn = models.CharField("社保编号", max_length=12, unique=True)
    id_number = models.CharField("居民身份证号码", max_length=18, blank=True)
    passport_number = models.CharField("护照号码", max_length=20, blank=True)
    nationality = models.CharField("国籍", max_length=40, blank=True)
    permit_type = models.CharField("就业/居留证件类型", max_length=40, blank=True)
    permit_number = models.CharField("就业/居留证件号码", max_length=40, blank=True)
    primary = models.BooleanField(default=True)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged")
    # Key fields (重点信息, SBZX00018/00037/00054)
    name = models.CharField("姓名", max_length=60)
    sex = models.CharField("性别", max_length=1, choices=Sex.choices)
    birth_date = models.DateField("档案出生日期")
    hukou_type = models.CharField("户籍性质", max_length=20, blank=True)
    work_start_date = models.DateField("参加工作时间", null=True, blank=True)
    # General fields (一般信息, SBZX00017/00036/00053/00058)
    education = models.CharField("文化程度", max_length=20, blank=True)
    marital_status = models.CharField("婚姻状况", max_length=20, blank=True)
    ethnicity = models.CharField("民族", max_length=20, blank=True)
    phone = models.CharField("参保人联系电话", max_length=30, blank=True)
    hukou_address = models.CharField("户口所在地", max_length=200, blank=True)
    residence_address = models.CharField("居住地地址", max_length=200, blank=True)
    health_status = models.CharField("健康状况", max_length=20, blank=True)
    contact_name = models.CharField("联系人姓名", max_length=60, blank=True)
    email = models.CharField("电子邮箱", max_length=120, blank=True)
    hukou_district = models.CharField("户籍所在区", max_length=40, blank=True)
    # Pension record
    post_type = models.CharField("岗位", max_length=10, blank=True, help_text="cadre (管理或技术岗位) / worker")
    special_identities = models.JSONField("特殊身份标识", default=list)
    recorded_months = models.PositiveIntegerField(
        "登记缴费月数", default=0,
        help_text="Months not covered by the relationships on file: legacy data, transfers in, back-payments.")
    deemed_months = models.PositiveIntegerField("视同缴费月数", default=0)
    extension_months = models.PositiveIntegerField("延长缴费月数", default=0)
    pension_first_insured_on = models.DateField("首次参加养老保险时间", null=True, blank=True)
    pension_account_balance = models.DecimalField("养老保险个人账户储存额", max_digits=12, decimal_places=2, default=0)
    medical_account_balance = models.DecimalField("医疗保险个人账户余额", max_digits=12, decimal_places=2, default=0)
    unemployment_months = models.PositiveIntegerField("失业保险累计缴费月数（转入）", default=0)
    medical_retiree = models.BooleanField("职工医保退休人员", default=False)
    status = models.CharField("状态", max_length=10, choices=PersonStatus.choices, default=PersonStatus.ACTIVE)
    retired_on = models.DateField("退休时间", null=True, blank=True)
    died_on = models.DateField("死亡日期", null=True, blank=True)
    designated_hospital = models.CharField("定点医疗机构", max_length=120, blank=True)
    bank_name = models.CharField("开户银行", max_length=60, blank=True)
    bank_account = models.CharField("银行账号", max_length=30, blank=True)
    name_initials = models.CharField(max_length=20, blank=True)
    name_pinyin = models.CharField(max_length=80, blank=True)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_on = models.DateField()

    class Meta:
        ordering = ["ssn"]
        constraints = [
            models.UniqueConstraint(fields=["id_number"], condition=Q(primary=True) & ~Q(id_number=""),
                                    name="uniq_person_id_number"),
            models.UniqueConstraint(fields=["nationality", "passport_number"],
                                    condition=Q(primary=True) & ~Q(passport_number=""), name="uniq_person_passport"),
        ]
        indexes = [models.Index(fields=["id_number"]), models.Index(fields=["name"]),
                   models.Index(fields=["name_initials"]), models.Index(fields=["name_pinyin"])]
        verbose_name = "参保人员"
        verbose_name_plural = "参保人员"

    def __str__(self) -> str:
        return f"{self.name}（{self.ssn}）"

    @property
    def identifier(self) -> str:
        return self.id_number or f"{self.nationality}护照{self.passport_number}"


# --------------------------------------------------------------------------- relationships


class RelationshipKind(models.TextChoices):
    EMPLOYER = "employer", "单位职工"
    FLEXIBLE = "flexible", "灵活就业"
    RESIDENT = "resident", "城乡居民"
    EXTERNAL = "external", "统筹区外（转入记录）"


class RelationshipStatus(models.TextChoices):
    ACTIVE = "active", "参保缴费"
    STOPPED = "stopped", "停保"
    RETIRED = "retired", "退休（不再缴费）"
    TRANSFERRED_OUT = "transferred_out", "已转出"
    CLEARED = "cleared", "已清退"
    SETTLED = "settled", "已一次性结清"


class Relationship(models.Model):
    """One insurance relationship (参保关系) of a person, per 险种: with an employer, at the
    flexible-worker window, or as a resident. At most one active per person, 险种 and region."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="relationships")
    insurance_type = models.CharField("险种", max_length=20, choices=InsuranceType.choices)
    kind = models.CharField("参保身份", max_length=10, choices=RelationshipKind.choices)
    employer = models.ForeignKey(Employer, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="relationships")
    region = models.CharField("参保地", max_length=40, default="武汉市")
    category = models.CharField("人员类别", max_length=20, blank=True,
                                help_text="城乡居民医保: 普通居民/新生儿/学生/在园幼儿/特殊困难人员")
    start_on = models.DateField("参保日期")
    stop_on = models.DateField("停保日期", null=True, blank=True)
    stop_reason = models.CharField("停保原因", max_length=60, blank=True)
    status = models.CharField("状态", max_length=16, choices=RelationshipStatus.choices,
                              default=RelationshipStatus.ACTIVE)
    monthly_wage = models.DecimalField("缴费工资（月）", max_digits=12, decimal_places=2, null=True, blank=True)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    stop_case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["person", "insurance_type", "-start_on"]
        constraints = [
            models.UniqueConstraint(fields=["person", "insurance_type", "region"], condition=Q(status="active"),
                                    name="one_active_relationship"),
        ]
        indexes = [models.Index(fields=["employer", "status"]), models.Index(fields=["person", "status"])]
        verbose_name = "参保关系"
        verbose_name_plural = "参保关系"

    def __str__(self) -> str:
        return f"{self.person_id} {self.get_insurance_type_display()} {self.get_status_display()}"


class WageDeclaration(models.Model):
    """Annual contribution wage base (缴费工资申报, SBZX00016/00028), or a non-pooled retiree's pension."""

    class Kind(models.TextChoices):
        WAGE = "wage", "缴费工资"
        RETIREE_PENSION = "retiree_pension", "非统筹退休人员养老金"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="wage_declarations")
    employer = models.ForeignKey(Employer, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.WAGE)
    monthly_amount = models.DecimalField(max_digits=12, decimal_places=2)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-year"]
        constraints = [models.UniqueConstraint(fields=["person", "employer", "year", "kind"], name="uniq_wage_year")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.year} {self.monthly_amount}"


class FlexibleAccount(models.Model):
    """灵活就业窗口 account: status and the pension contribution grade (档次) history."""

    class Status(models.TextChoices):
        ACTIVE = "active", "正常缴费"
        PAUSED = "paused", "暂停缴费"

    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="flexible_account")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    enrolled_on = models.DateField()
    paused_on = models.DateField(null=True, blank=True)
    pause_reason = models.CharField(max_length=60, blank=True)

    def __str__(self) -> str:
        return f"灵活就业 {self.person_id} {self.get_status_display()}"


class FlexibleGrade(models.Model):
    """A contribution grade from a month on. SBZX00034: a change applies from the next month (次月)."""

    account = models.ForeignKey(FlexibleAccount, on_delete=models.CASCADE, related_name="grades")
    grade = models.PositiveSmallIntegerField(help_text="缴费档次: percent of the average wage (60, 100, 150, 200, 300).")
    effective_from = models.DateField()
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["account", "-effective_from", "-id"]

    def __str__(self) -> str:
        return f"{self.grade}% from {self.effective_from}"


# --------------------------------------------------------------------------- bills


class BillKind(models.TextChoices):
    EMPLOYER_ARREARS = "employer_arrears", "单位欠费核定（核定表及补缴明细表）"
    EMPLOYER_MONTH = "employer_month", "单位当月应缴"
    FLEX_MONTH = "flex_month", "灵活就业窗口月缴费"
    FLEX_ARREARS = "flex_arrears", "灵活就业人员社会保险费（补、退）单"
    RESIDENT_PENSION = "resident_pension", "城乡居民养老保险缴费单"
    RESIDENT_BACKPAY = "resident_backpay", "城乡居民养老保险补缴单"
    PENSION_BACKPAY = "pension_backpay", "基本养老保险补缴"
    MEDICAL_TOPUP = "medical_topup", "基本医疗保险一次性补足"


class BillStatus(models.TextChoices):
    ASSESSED = "assessed", "已核定，待缴费"
    PAID = "paid", "已缴费，待到账确认"
    CONFIRMED = "confirmed", "已到账确认"
    CANCELLED = "cancelled", "已取消（回退）"
    WRITTEN_OFF = "written_off", "已注销"


UNPAID_BILL_STATUSES = (BillStatus.ASSESSED,)


class Bill(models.Model):
    """A contribution assessment (核定): 核定 → 缴费 → 到账确认, or cancelled / written off while unpaid."""

    number = models.CharField("单据号", max_length=20, unique=True)
    kind = models.CharField(max_length=20, choices=BillKind.choices)
    subtype = models.CharField(max_length=30, blank=True, help_text="补缴类型 (00024 积累额, 00025 应保未保, …)")
    employer = models.ForeignKey(Employer, null=True, blank=True, on_delete=models.PROTECT, related_name="bills")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="bills")
    insurance_types = models.JSONField(default=list)
    period_from = models.DateField(null=True, blank=True)
    period_to = models.DateField(null=True, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    grade = models.PositiveIntegerField(null=True, blank=True, help_text="城乡居民养老 个人缴费档次（元/年）")
    months = models.PositiveIntegerField(default=0, help_text="Contribution months this bill credits once confirmed.")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    status = models.CharField(max_length=12, choices=BillStatus.choices, default=BillStatus.ASSESSED)
    office = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name="开单机构")
    issued_at = models.DateTimeField()
    pay_by = models.DateField(null=True, blank=True)
    paid_on = models.DateField(null=True, blank=True)
    receipt_number = models.CharField("税票/缴费凭证号", max_length=40, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    auto_confirmed = models.BooleanField(default=False)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    closing_case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                     help_text="The case that confirmed, cancelled or wrote off the bill.")

    class Meta:
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["person", "kind", "status"]), models.Index(fields=["employer", "status"])]
        verbose_name = "缴费核定单"
        verbose_name_plural = "缴费核定单"

    def __str__(self) -> str:
        return f"{self.number} {self.get_kind_display()}"


# --------------------------------------------------------------------------- transfers


class Transfer(models.Model):
    """转移接续: the pension, medical or unemployment relationship moving between pools."""

    class Direction(models.TextChoices):
        IN = "in", "转入"
        OUT = "out", "转出"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="transfers")
    insurance_type = models.CharField(max_length=20, choices=InsuranceType.choices)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    counterpart = models.CharField("对方经办机构（统筹地区）", max_length=120)
    reason = models.CharField(max_length=60, blank=True)
    months = models.PositiveIntegerField(default=0)
    funds = models.DecimalField("转移资金/个人账户余额", max_digits=12, decimal_places=2, default=0)
    letter_on = models.DateField("联系函日期", null=True, blank=True)
    completed_on = models.DateField()
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-completed_on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_insurance_type_display()}{self.get_direction_display()} {self.person_id}"


# --------------------------------------------------------------------------- benefits


class BenefitKind(models.TextChoices):
    PENSION = "pension", "基本养老金"
    ONE_OFF_PENSION = "one_off_pension", "一次性养老待遇"
    FUNERAL = "funeral", "丧葬抚恤金"
    RESIDENT_PENSION = "resident_pension", "城乡居民养老金"
    SURVIVOR_ALLOWANCE = "survivor_allowance", "遗属生活困难补助费"
    MEDICAL_CLAIM = "medical_claim", "医疗费用现金报销"
    INJURY_MEDICAL = "injury_medical", "工伤医疗费用"
    INJURY_DISABILITY_GRANT = "injury_disability_grant", "一次性伤残补助金"
    INJURY_DISABILITY_ALLOWANCE = "injury_disability_allowance", "伤残津贴"
    INJURY_NURSING = "injury_nursing", "生活护理费"
    INJURY_MEDICAL_GRANT = "injury_medical_grant", "一次性工伤医疗补助金"
    INJURY_DEATH_GRANT = "injury_death_grant", "一次性工亡补助金"
    INJURY_FUNERAL = "injury_funeral", "丧葬补助金"
    DEPENDANT_PENSION = "dependant_pension", "供养亲属抚恤金"
    MATERNITY_CLAIM = "maternity_claim", "生育医疗费用"
    MATERNITY_ALLOWANCE = "maternity_allowance", "生育津贴、护理假津贴"
    UNEMPLOYMENT = "unemployment", "失业保险金"
    UNEMPLOYMENT_FUNERAL = "unemployment_funeral", "失业人员丧葬抚恤金"
    UNEMPLOYMENT_LUMP_SUM = "unemployment_lump_sum", "一次性领取失业保险金"
    JOB_RETENTION = "job_retention", "稳岗补贴"
    REFUND = "refund", "社会保险费退款（清退）"
    BACKPAY = "backpay", "待遇补发"
    UPRATING_BACKPAY = "uprating_backpay", "待遇调整补付"


# Monthly benefits that stop for a missed 年审 (SBZX00071–00074).
CERTIFIED_KINDS = (BenefitKind.PENSION, BenefitKind.RESIDENT_PENSION, BenefitKind.SURVIVOR_ALLOWANCE)


class DecisionStatus(models.TextChoices):
    ACTIVE = "active", "正常发放"
    SUSPENDED = "suspended", "暂停发放（未年审）"
    TERMINATED = "terminated", "已终止"
    SETTLED = "settled", "已一次性支付"


class BenefitDecision(models.Model):
    """A benefit decision (待遇核定): a monthly benefit, or a one-off amount."""

    number = models.CharField(max_length=20, unique=True)
    kind = models.CharField(max_length=30, choices=BenefitKind.choices)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="benefits")
    employer = models.ForeignKey(Employer, null=True, blank=True, on_delete=models.PROTECT, related_name="benefits")
    monthly_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    lump_sum = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    status = models.CharField(max_length=12, choices=DecisionStatus.choices, default=DecisionStatus.ACTIVE)
    start_month = models.DateField(null=True, blank=True)
    end_month = models.DateField(null=True, blank=True)
    suspended_from = models.DateField(null=True, blank=True)
    # Set by a late 年审 (补审): the month the benefit resumes by the day-of-month rule. The decision
    # stays suspended until that month's run resumes it and back-pays the months missed.
    resume_month = models.DateField(null=True, blank=True)
    # The last year of the annual pension uprating applied (bulk run or SBZX00068): never twice a year.
    uprated_year = models.PositiveSmallIntegerField(null=True, blank=True)
    months_total = models.PositiveIntegerField(null=True, blank=True, help_text="失业保险金 entitlement in months.")
    detail = models.JSONField(default=dict)
    decided_on = models.DateField()
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-decided_on", "-id"]
        indexes = [models.Index(fields=["person", "kind", "status"])]
        verbose_name = "待遇核定"
        verbose_name_plural = "待遇核定"

    def __str__(self) -> str:
        return f"{self.number} {self.get_kind_display()}"


class PaymentRun(models.Model):
    """A payment run (支付批次): the payables paid together by a bank transfer."""

    number = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=120)
    run_at = models.DateTimeField()
    total = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    count = models.PositiveIntegerField(default=0)
    actor = models.CharField(max_length=150)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-run_at"]

    def __str__(self) -> str:
        return self.number


class PayableStatus(models.TextChoices):
    PENDING = "pending", "应付未付"
    PAID = "paid", "已支付"
    CANCELLED = "cancelled", "已作废"


class Payable(models.Model):
    """应付帐: one amount owed by a fund. A payable is paid once: the transition pending → paid is a
    guarded update, and a monthly payable is unique per decision and month.

    The monthly run inserts one row per pensioner (about a million) and the payroll then pays each
    of them, so every index here costs a million entries a month. Hence (docs/registry.md):
    no index on a column the payment changes (``status``, ``paid_at``, ``run``), so that on
    PostgreSQL, with half of each page left free, paying updates every row in place (a HOT update
    writes no index entry); the unique (decision, period, kind) index also serves look-ups by
    decision; ``employer`` and ``case``, empty on monthly payables, are indexed only where set;
    ``number`` is unique through a constraint (a ``unique=True`` CharField gets a second, LIKE
    index on PostgreSQL that nothing here uses)."""

    number = models.CharField(max_length=20)
    decision = models.ForeignKey(BenefitDecision, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="payables", db_index=False)
    kind = models.CharField(max_length=30, choices=BenefitKind.choices)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="payables")
    employer = models.ForeignKey(Employer, null=True, blank=True, on_delete=models.PROTECT, related_name="payables",
                                 db_index=False)
    period = models.DateField(null=True, blank=True, help_text="The month paid for (monthly benefits).")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    status = models.CharField(max_length=10, choices=PayableStatus.choices, default=PayableStatus.PENDING)
    due_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    run = models.ForeignKey(PaymentRun, null=True, blank=True, on_delete=models.PROTECT, related_name="payables",
                            db_index=False)
    note = models.CharField(max_length=200, blank=True)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             db_index=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="uniq_payable_number"),
            # One monthly payable per decision, month and kind. One-off payables have no period, and
            # NULLs never collide in a unique index, so no condition is needed (and without one the
            # index serves every look-up by decision).
            models.UniqueConstraint(fields=["decision", "period", "kind"], name="uniq_payable_month"),
            # Paid means paid by exactly one run at one time; the move pending → paid is a guarded update.
            models.CheckConstraint(condition=~Q(status="paid") | (Q(paid_at__isnull=False) & Q(run__isnull=False)),
                                   name="payable_paid_has_run"),
        ]
        indexes = [
            # The month's payroll (period, kind), and also an exact probe for "this decision's payable of
            # this month": with the decision in it, a plan made on stale statistics (a new month's period
            # is never in them) cannot turn the runs' NOT EXISTS into a scan of the whole month.
            models.Index(fields=["period", "kind", "decision"], name="payable_period_kind"),
            models.Index(fields=["employer"], condition=Q(employer__isnull=False), name="payable_employer"),
            models.Index(fields=["case"], condition=Q(case__isnull=False), name="payable_case"),
        ]
        verbose_name = "应付帐"
        verbose_name_plural = "应付帐"

    def __str__(self) -> str:
        return f"{self.number} {self.amount}"


class Certification(models.Model):
    """社保年审: one per person, benefit kind and year (a medical-only retiree has no decision)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="certifications")
    decision = models.ForeignKey(BenefitDecision, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="certifications")
    kind = models.CharField(max_length=30, help_text="The benefit kind certified, or 'medical'.")
    year = models.PositiveSmallIntegerField()
    channel = models.CharField(max_length=20)
    certified_on = models.DateField()
    resumed_from = models.DateField(null=True, blank=True)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-year", "-id"]
        constraints = [models.UniqueConstraint(fields=["person", "kind", "year"], name="uniq_certification_year")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind} {self.year}"


class UpratingPolicy(models.Model):
    """A year's pension uprating (基本养老金调整) as published by the state and province: the percentage
    of the current pension plus a fixed amount, effective from a month. ``shebao tick`` applies a
    policy once its effective month has come (``runs.run_pension_uprating``)."""

    year = models.PositiveSmallIntegerField("调整年度", unique=True)
    effective_month = models.DateField("调整起始月份")
    percent = models.DecimalField("按比例调整（%）", max_digits=5, decimal_places=2, default=0)
    fixed_amount = models.DecimalField("定额调整（元/月）", max_digits=8, decimal_places=2, default=0)
    basis = models.CharField("调整依据（文件）", max_length=200, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-year"]
        verbose_name = "基本养老金调整政策"
        verbose_name_plural = "基本养老金调整政策"

    def __str__(self) -> str:
        return f"{self.year}年基本养老金调整"


# --------------------------------------------------------------------------- cards


class CardStatus(models.TextChoices):
    ISSUED = "issued", "已发卡，待启用"
    ACTIVE = "active", "正常"
    LOCKED = "locked", "密码锁定"
    LOST = "lost", "挂失"
    REPLACED = "replaced", "已补换（作废）"
    CANCELLED = "cancelled", "已注销"


LIVE_CARD_STATUSES = (CardStatus.ISSUED, CardStatus.ACTIVE, CardStatus.LOCKED, CardStatus.LOST)


class Card(models.Model):
    """社会保障卡. 申领 → 制卡 → 发卡 (the case) → 启用 (first PIN change); 挂失 ↔ 解挂;
    补换 and 急制 give a new number and kill the old one. PINs are stored hashed."""

    number = models.CharField("卡号", max_length=12, unique=True)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cards")
    status = models.CharField(max_length=10, choices=CardStatus.choices, default=CardStatus.ISSUED)
    bank = models.CharField("绑定银行", max_length=40, default="汉口银行")
    district = models.CharField("发卡区", max_length=40, blank=True)
    emergency = models.BooleanField("急制卡", default=False)
    applied_on = models.DateField()
    issued_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    pin_hash = models.CharField(max_length=128, blank=True)
    pin_failures = models.PositiveSmallIntegerField(default=0)
    lost_at = models.DateTimeField(null=True, blank=True)
    lost_channel = models.CharField(max_length=12, blank=True)
    replaced_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-applied_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(status__in=["issued", "active", "locked", "lost"]),
                                    name="one_live_card"),
        ]
        verbose_name = "社会保障卡"
        verbose_name_plural = "社会保障卡"

    def __str__(self) -> str:
        return f"{self.number} {self.get_status_display()}"


# --------------------------------------------------------------------------- filings and approvals


class FilingKind(models.TextChoices):
    RETIREMENT_APPROVAL = "retirement_approval", "退休审批"
    SPECIAL_JOB_RETIREMENT = "special_job_retirement", "特殊工种提前退休审批"
    ILLNESS_RETIREMENT = "illness_retirement", "因病提前退休审批"
    RETIREMENT_EXTENSION = "retirement_extension", "高级专家延长退休年龄"
    ANNUITY = "annuity", "企业年金方案备案"
    INJURY_DETERMINATION = "injury_determination", "工伤认定"
    MEDICAL_REFERRAL = "medical_referral", "转诊转院（急诊）登记"
    SEVERE_OUTPATIENT = "severe_outpatient", "门诊重症资格"
    MATERNITY_REGISTRATION = "maternity_registration", "生育就医登记"
    RELOCATED_RETIREE = "relocated_retiree", "异地在汉安置退休人员定点医疗机构备案"
    VOUCHERS = "vouchers", "离休干部、残疾军人联单领取"
    RECORD_BOOK = "record_book", "残疾军人病历更换"
    SETTLEMENT_PRINT = "settlement_print", "医疗费用结算清单打印"
    LAYOFF_NOTICE = "layoff_notice", "用人单位申报失业保险金告知"
    UNEMPLOYMENT_REGISTRATION = "unemployment_registration", "失业保险金申领登记"
    ARCHIVE_CUSTODY = "archive_custody", "失业人员档案存取"
    JOB_RETENTION_APPLICATION = "job_retention_application", "稳岗补贴申报"
    MEDICAL_RETIREMENT = "medical_retirement", "医疗保险非统筹转退休"
    FISCAL_SUBSIDY = "fiscal_subsidy", "财政一次性补贴记入"
    MERGE = "merge", "社保编号合并"


class Filing(models.Model):
    """A registration, filing or approval recorded by a case (登记备案、审批、认定)."""

    number = models.CharField(max_length=20, unique=True)
    kind = models.CharField(max_length=30, choices=FilingKind.choices)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="filings")
    employer = models.ForeignKey(Employer, null=True, blank=True, on_delete=models.PROTECT, related_name="filings")
    outcome = models.CharField(max_length=40, blank=True)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    detail = models.JSONField(default=dict)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-valid_from", "-id"]
        indexes = [models.Index(fields=["person", "kind"]), models.Index(fields=["employer", "kind"])]
        verbose_name = "登记备案与审批"
        verbose_name_plural = "登记备案与审批"

    def __str__(self) -> str:
        return f"{self.number} {self.get_kind_display()}"


# --------------------------------------------------------------------------- case data


class CaseData(models.Model):
    """The business data a case's effect needs beyond the applicant's identity (which employee to
    enrol, the new grade, the bill to cancel …), validated per item, plus the last check findings."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="registry_data")
    data = models.JSONField(default=dict)
    findings = models.JSONField(default=list)
    updated_at = models.DateTimeField()
    updated_by = models.CharField(max_length=150)

    def __str__(self) -> str:
        return f"data of case {self.case_id}"
