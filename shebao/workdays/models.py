"""Holiday data for years chinesecalendar does not know, and corrections for years it does.

``CalendarDay`` rows are applied on top of chinesecalendar: a ``holiday`` row makes the day a
day off, a ``workday`` row makes it a working day (调休上班, or undoing a wrong holiday).
``CalendarYear`` says that a year's rows are the complete official arrangement (the State
Council's notice has been entered), which is what lifts the *provisional* flag for a year
chinesecalendar does not cover. Saving or deleting either invalidates the working-day index.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("休息（法定节假日或调休放假）")
    WORKDAY = "workday", _("上班（含周末调休上班）")


class CalendarYear(models.Model):
    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    complete = models.BooleanField(
        _("已完整录入"),
        default=True,
        help_text=_("勾选表示该年全部节假日与调休上班日已按国务院办公厅通知录入；未勾选的年份只按周末计算，时限标为“临时”。"),
    )
    source = models.CharField(_("来源"), max_length=200, blank=True, help_text=_("通知文号或载入的文件名"))
    note = models.TextField(_("备注"), blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ("year",)
        verbose_name = _("日历年份")
        verbose_name_plural = _("日历年份")

    def __str__(self) -> str:
        return str(self.year)

    def clean(self) -> None:
        from .calendar import DEFAULT_FIRST_YEAR, DEFAULT_LAST_YEAR

        if not DEFAULT_FIRST_YEAR <= self.year <= DEFAULT_LAST_YEAR:
            raise ValidationError(
                {"year": _("年份须在 %(a)s–%(b)s 之间") % {"a": DEFAULT_FIRST_YEAR, "b": DEFAULT_LAST_YEAR}}
            )


class CalendarDay(models.Model):
    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=DayKind.choices)
    name = models.CharField(_("名称"), max_length=100, blank=True, help_text=_("如“春节”“国庆节调休上班”"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ("date",)
        verbose_name = _("节假日/调休日")
        verbose_name_plural = _("节假日/调休日")

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()} {self.name}".strip()

    def clean(self) -> None:
        from .calendar import DEFAULT_FIRST_YEAR, DEFAULT_LAST_YEAR

        if self.date and not DEFAULT_FIRST_YEAR <= self.date.year <= DEFAULT_LAST_YEAR:
            raise ValidationError(
                {"date": _("日期须在 %(a)s–%(b)s 年之间") % {"a": DEFAULT_FIRST_YEAR, "b": DEFAULT_LAST_YEAR}}
            )
