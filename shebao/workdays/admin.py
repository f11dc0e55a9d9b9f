"""Admin for holiday data. Every save or delete rebuilds the working-day index (signals)."""

from __future__ import annotations

from django.contrib import admin

from .models import CalendarDay, CalendarYear
from .sources import official_calendar


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ("year", "complete", "source", "day_count", "updated_at")
    list_filter = ("complete",)
    search_fields = ("year", "source")

    @admin.display(description="已录入日期数")
    def day_count(self, obj: CalendarYear) -> int:
        return CalendarDay.objects.filter(date__year=obj.year).count()


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "weekday", "kind", "name", "covered_by_chinesecalendar", "updated_at")
    list_filter = ("kind",)
    search_fields = ("name",)
    date_hierarchy = "date"
    ordering = ("date",)

    @admin.display(description="星期")
    def weekday(self, obj: CalendarDay) -> str:
        return "一二三四五六日"[obj.date.weekday()]

    @admin.display(description="chinesecalendar 已覆盖该年", boolean=True)
    def covered_by_chinesecalendar(self, obj: CalendarDay) -> bool:
        return not official_calendar().is_provisional_year(obj.date.year)
