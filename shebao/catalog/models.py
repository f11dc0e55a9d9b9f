"""The catalog: versions of the 事项清单和办事指南, their items, materials, flows and offices.

A version is immutable once published: cases keep the version they were accepted under, so
an edit is always a new version (see the guide change-control issue). Items belong to one
version; ``ServiceItem.code`` is unique within a version, not globally.
"""

from __future__ import annotations

from django.db import models

from shebao.core.models import TimeStampedModel


class CatalogVersion(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "待审核"
        PUBLISHED = "published", "已发布"

    number = models.PositiveIntegerField(unique=True)
    title = models.CharField(max_length=200)
    doc_number = models.CharField(max_length=60, help_text="发文字号, e.g. 武人社发〔2017〕58号")
    issued_on = models.DateField()
    effective_from = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    source_name = models.CharField(max_length=200)
    source_sha256 = models.CharField(max_length=64)
    content_sha256 = models.CharField(
        max_length=64, help_text="Hash of the parsed content; equal hashes mean an import changes nothing."
    )
    import_notes = models.JSONField(default=list, help_text="Anomalies the importer met and how it read them.")

    class Meta:
        ordering = ["-number"]
        verbose_name = "清单版本"
        verbose_name_plural = "清单版本"

    def __str__(self) -> str:
        return f"第{self.number}版（{self.issued_on:%Y-%m-%d}）"


class Section(models.Model):
    """A heading of the summary list (清单汇总表), e.g. 单位参保登记及缴费核定业务."""

    version = models.ForeignKey(CatalogVersion, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=120, help_text="Heading as we display it (known misprints corrected).")
    printed_name = models.CharField(max_length=120, help_text="Heading exactly as printed in the list.")

    class Meta:
        ordering = ["version", "position"]
        constraints = [models.UniqueConstraint(fields=["version", "position"], name="uniq_section_position")]

    def __str__(self) -> str:
        return self.name


class ApplicantKind(models.TextChoices):
    UNIT = "unit", "单位"
    PERSON = "person", "个人"


class LimitKind(models.TextChoices):
    IMMEDIATE = "immediate", "即时办结"
    WORKING_DAYS = "working_days", "工作日"
    DAYS = "days", "自然日"
    MONTHS = "months", "月"
    NONE = "none", "无"
    STAGED = "staged", "分段时限"
    TEXT = "text", "文字说明"


class ServiceItem(models.Model):
    """One guide table (办事指南表) joined with its row in the summary list."""

    version = models.ForeignKey(CatalogVersion, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(help_text="Order of the guide table in the document, 1-based.")
    code = models.CharField(max_length=20, help_text="业务编号 as in the guide table, e.g. SBZX00020-1.")
    seq = models.PositiveIntegerField(null=True, blank=True, help_text="序号 in the list; null for a -2 table.")
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="items")
    # The list and the guide disagree in places; both are kept, the guide is canonical.
    list_code = models.CharField(max_length=20, help_text="业务编号 exactly as printed in the list.")
    list_category = models.CharField(max_length=120)
    list_name = models.CharField(max_length=200)
    category = models.CharField(max_length=120, help_text="业务类别 of the guide table.")
    name = models.CharField(max_length=200, help_text="事项名称 of the guide table.")
    authority = models.CharField(max_length=100, help_text="实施机关")
    mode_immediate = models.BooleanField(help_text="马上办 checked")
    mode_online = models.BooleanField(help_text="网上办 checked")
    mode_one_visit = models.BooleanField(help_text="一次办 checked")
    legal_basis = models.JSONField(default=list, help_text="设定（主要）依据, one string per cited instrument.")
    legal_basis_label = models.CharField(max_length=20, default="设定主要依据")
    conditions = models.TextField(blank=True, help_text="办事条件")
    materials_text = models.TextField(blank=True, help_text="申报材料 as printed (the records are in Material).")
    legal_limit_text = models.TextField(blank=True)
    legal_limit_kind = models.CharField(max_length=16, choices=LimitKind.choices)
    legal_limit_count = models.PositiveIntegerField(null=True, blank=True)
    promised_limit_text = models.TextField(blank=True)
    promised_limit_kind = models.CharField(max_length=16, choices=LimitKind.choices)
    promised_limit_count = models.PositiveIntegerField(null=True, blank=True)
    special_procedure = models.TextField(blank=True, help_text="特别程序及期限")
    fee = models.TextField(blank=True, help_text="收费依据及标准")
    certificate = models.TextField(blank=True, help_text="证照或批复名称")
    flow_text = models.TextField(blank=True, help_text="运行流程 as printed.")
    agency = models.TextField(blank=True, help_text="承办机构")
    consult = models.TextField(blank=True, help_text="咨询方式")
    complaint = models.TextField(blank=True, help_text="监督投诉方式")
    remarks = models.TextField(blank=True, help_text="备注")
    applicant_kinds = models.JSONField(default=list, help_text="Subset of ApplicantKind values.")
    # Search columns: NFKC-folded, spaceless, lower-case text and pinyin of the names.
    search_text = models.TextField(blank=True)
    name_text = models.CharField(max_length=500, blank=True, help_text="Folded code and names, for ranking.")
    pinyin_initials = models.CharField(max_length=400, blank=True, help_text="Initials of names and section.")
    name_initials = models.CharField(max_length=200, blank=True, help_text="Initials of the guide name alone.")
    pinyin_full = models.TextField(blank=True)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="uniq_item_code_per_version"),
            models.UniqueConstraint(fields=["version", "position"], name="uniq_item_position_per_version"),
        ]
        verbose_name = "服务事项"
        verbose_name_plural = "服务事项"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def applicant_labels(self) -> list[str]:
        return [ApplicantKind(kind).label for kind in self.applicant_kinds]


class Material(models.Model):
    """One entry of 申报材料, in printed order."""

    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="materials")
    position = models.PositiveIntegerField()
    group = models.CharField(max_length=120, blank=True, help_text="Sub-list heading, where the text has one.")
    printed_number = models.CharField(max_length=8, blank=True, help_text="The number as printed (may skip).")
    text = models.TextField()
    original_count = models.PositiveSmallIntegerField(null=True, blank=True, help_text="原件份数")
    copy_count = models.PositiveSmallIntegerField(null=True, blank=True, help_text="复印件份数")
    retained = models.BooleanField(default=False, help_text="拟留件: the office keeps it.")
    conditional = models.BooleanField(default=False, help_text="Required only in a case the text names.")

    class Meta:
        ordering = ["item", "position"]
        constraints = [models.UniqueConstraint(fields=["item", "position"], name="uniq_material_position")]

    def __str__(self) -> str:
        return self.text[:40]


class FlowStep(models.Model):
    """One numbered step of 运行流程, split from the printed text."""

    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="flow_steps")
    position = models.PositiveIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["item", "position"]
        constraints = [models.UniqueConstraint(fields=["item", "position"], name="uniq_flowstep_position")]

    def __str__(self) -> str:
        return f"{self.position}. {self.text[:40]}"


class Office(models.Model):
    """An office or body the document names, with the variants it goes by.

    Offices are a directory shared by all catalog versions: a re-import updates phones and
    addresses in place and adds new variants to ``aliases``.
    """

    class Kind(models.TextChoices):
        HOTLINE = "hotline", "咨询投诉热线"
        DISTRICT = "district", "区社保经办机构"
        DISTRICT_OTHER = "district_other", "区医保、工伤生育、社保卡经办机构"
        RESIDENTS_WINDOW = "residents", "城乡居民医保、养老保险经办机构"
        DISTRICT_BUREAU = "district_bureau", "区人力资源和社会保障局"
        CITY_CENTRE = "city_centre", "市级经办中心"
        BUREAU_DIVISION = "bureau_division", "市人社局机关处室"

    key = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    district = models.CharField(max_length=40, blank=True)
    district_order = models.PositiveSmallIntegerField(default=0, help_text="Order of the district in the list.")
    phones = models.JSONField(default=list)
    address = models.CharField(max_length=200, blank=True)
    email = models.CharField(max_length=100, blank=True)
    aliases = models.JSONField(default=list, help_text="Every other name the document uses for this office.")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "district_order", "name"]
        verbose_name = "经办机构"
        verbose_name_plural = "经办机构"

    def __str__(self) -> str:
        return self.name


class ItemContact(models.Model):
    """A contact line of an item's 咨询方式, linked to the directory office it names."""

    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="contacts")
    position = models.PositiveIntegerField()
    office = models.ForeignKey(Office, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts")
    label = models.CharField(max_length=120)
    phones = models.JSONField(default=list)
    address = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["item", "position"]

    def __str__(self) -> str:
        return f"{self.label} {'、'.join(self.phones)}"


class ItemFlow(models.Model):
    """The handling flow (flows as data) of one item in one version, where it differs from
    ``data/flows.yaml``.

    ``data/flows.yaml`` holds the curated flows of the 2017 edition. A published change to an
    item's flow (guide change control) stores the item's entry here, in the same shape as an
    entry under ``items:`` of the YAML file (``pattern`` plus ``params``/``steps``/``omit``/
    ``add``…). Publication copies every row to the next version, so a version's flows are its
    rows plus the YAML for the rest. Read through ``shebao.catalog.flows.flow_for_item``.
    """

    version = models.ForeignKey(CatalogVersion, on_delete=models.CASCADE, related_name="flows")
    code = models.CharField(max_length=20)
    definition = models.JSONField(help_text="The item's entry as under items: in flows.yaml.")

    class Meta:
        ordering = ["version", "code"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="uniq_item_flow_per_version")]
        verbose_name = "办理流程定义（按版本）"
        verbose_name_plural = "办理流程定义（按版本）"

    def __str__(self) -> str:
        return f"{self.code}（第{self.version.number}版）"
