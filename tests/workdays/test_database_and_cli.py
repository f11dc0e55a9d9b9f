"""The holiday table, `shebao calendar load`, the admin, `shebao deadline` and the template."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import timezone

from shebao.workdays.cli import calendar_load_command, deadline_command
from shebao.workdays.deadlines import deadline
from shebao.workdays.errors import CalendarFileError
from shebao.workdays.loader import parse_calendar_file
from shebao.workdays.models import CalendarDay, CalendarYear, DayKind
from shebao.workdays.sources import get_calendar, official_calendar

D = date

# An illustrative 2027 arrangement (not the real notice, which is not yet published).
FILE_2027 = """\
# 2027年部分节假日安排（示例）
date,kind,name
2027-01-01,holiday,元旦
2027-02-06..2027-02-12,休,春节
2027-02-14,workday,春节调休上班
2027-02-20,班,春节调休上班
"""


def run_deadline(start: str, rule: str, *, as_json: bool = False) -> tuple[int, str]:
    out = io.StringIO()
    code = deadline_command(start=start, rule=rule, as_json=as_json, out=out)
    return code, out.getvalue()


# --------------------------------------------------------------------------- calendar files


def test_parse_calendar_file_expands_ranges() -> None:
    entries = parse_calendar_file(FILE_2027)
    assert len(entries) == 1 + 7 + 2
    assert {e.day for e in entries if e.kind == "workday"} == {D(2027, 2, 14), D(2027, 2, 20)}
    assert entries[1].name == "春节" and entries[1].line == 4


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2027-13-01,holiday,x", "line 1: “2027-13-01” is not a real date"),
        ("2027-01-01,festival,x", "line 1: kind “festival” must be holiday/休 or workday/班"),
        ("2027-01-01,holiday\n2027-01-01,workday", "line 2: 2027-01-01 is listed twice (first on line 1)"),
        ("2027-02-10..2027-02-01,holiday", "ends before it starts"),
        ("2100-01-01,holiday", "outside the supported years"),
        ("# nothing\n", "the file lists no dates"),
        ("20270101", "expected “date,kind[,name]”"),
    ],
)
def test_bad_calendar_files_name_the_line(text: str, message: str) -> None:
    with pytest.raises(CalendarFileError) as caught:
        parse_calendar_file(text)
    assert message in caught.value.message


@pytest.mark.django_db
def test_calendar_load_makes_2027_official(tmp_path: Path) -> None:
    before = deadline("5个工作日", D(2027, 2, 5), calendar=get_calendar())
    assert before.provisional and before.date == D(2027, 2, 12)
    path = tmp_path / "2027.csv"
    path.write_text(FILE_2027, encoding="utf-8")
    out = io.StringIO()
    assert calendar_load_command(path=str(path), out=out) == 0
    assert "2027: 8 holidays, 2 make-up working days loaded" in out.getvalue()
    assert CalendarYear.objects.get(year=2027).complete
    assert CalendarDay.objects.filter(date__year=2027).count() == 10
    # The cached index was rebuilt: 2-06..2-12 off, Sunday 2-14 and Saturday 2-20 work.
    after = deadline("5个工作日", D(2027, 2, 5), calendar=get_calendar())
    assert not after.provisional
    assert after.date == D(2027, 2, 18)  # 2-14 (Sun), 2-15, 2-16, 2-17, 2-18
    # Loading again replaces the year's rows instead of adding to them.
    assert calendar_load_command(path=str(path), out=io.StringIO()) == 0
    assert CalendarDay.objects.filter(date__year=2027).count() == 10


@pytest.mark.django_db
def test_calendar_load_bad_file_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("2027-01-01,holiday,元旦\n2027-02-30,holiday,x\n", encoding="utf-8")
    assert calendar_load_command(path=str(path), out=io.StringIO()) == 2
    assert "line 2: “2027-02-30” is not a real date" in capsys.readouterr().err
    assert not CalendarDay.objects.exists()
    assert calendar_load_command(path=str(tmp_path / "missing.csv"), out=io.StringIO()) == 2
    assert "no such file" in capsys.readouterr().err


# --------------------------------------------------------------------------- cache and admin


@pytest.mark.django_db
def test_rows_saved_in_this_process_rebuild_the_index_at_once() -> None:
    assert get_calendar().is_working_day(D(2024, 10, 8))
    row = CalendarDay.objects.create(date=D(2024, 10, 8), kind=DayKind.HOLIDAY, name="示例：延长假期")
    assert not get_calendar().is_working_day(D(2024, 10, 8))
    row.delete()
    assert get_calendar().is_working_day(D(2024, 10, 8))


@pytest.mark.django_db
def test_changes_from_another_process_are_seen_after_the_recheck_interval(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SHEBAO_CALENDAR_RECHECK_SECONDS = 3600
    CalendarDay.objects.create(date=D(2027, 3, 1), kind=DayKind.WORKDAY, name="")
    assert get_calendar().is_working_day(D(2027, 3, 1))
    # queryset.update() sends no signal: it stands in for a save on another app server
    # (which, like every save, stamps updated_at).
    CalendarDay.objects.filter(date=D(2027, 3, 1)).update(kind=DayKind.HOLIDAY, updated_at=timezone.now())
    assert get_calendar().is_working_day(D(2027, 3, 1))  # cached, no query per call
    settings.SHEBAO_CALENDAR_RECHECK_SECONDS = 0
    assert not get_calendar().is_working_day(D(2027, 3, 1))  # fingerprint changed → rebuilt


@pytest.mark.django_db
def test_queries_do_not_hit_the_database(django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    get_calendar()
    with django_assert_max_num_queries(0):
        for _ in range(100):
            deadline("5个工作日", D(2024, 9, 30))


@pytest.mark.django_db
def test_admin_edits_rebuild_the_index(admin_client) -> None:  # type: ignore[no-untyped-def]
    assert admin_client.get("/admin/workdays/calendarday/").status_code == 200
    response = admin_client.post(
        "/admin/workdays/calendarday/add/",
        {"date": "2027-10-01", "kind": "holiday", "name": "国庆节"},
    )
    assert response.status_code == 302, response.content[:500]
    assert not get_calendar().is_working_day(D(2027, 10, 1))
    response = admin_client.post(
        "/admin/workdays/calendaryear/add/", {"year": "2027", "complete": "on", "source": "admin"}
    )
    assert response.status_code == 302
    assert not get_calendar().is_provisional_year(2027)


# --------------------------------------------------------------------------- shebao deadline


@pytest.mark.django_db
def test_deadline_command_plain_and_json() -> None:
    assert run_deadline("2024-09-30", "5个工作日") == (0, "2024-10-12\n")
    assert run_deadline("2024-08-02", "60日") == (0, "2024-10-08\n")
    code, text = run_deadline("2024-09-30", "5 个工作日", as_json=True)
    data = json.loads(text)
    assert code == 0
    assert data["date"] == "2024-10-12"
    assert (data["kind"], data["count"], data["provisional"]) == ("working_days", 5, False)
    assert data["due_moment"] == "2024-10-12T23:59:59.999999+08:00"
    assert data["stages"][0]["due"] == "2024-10-12"


@pytest.mark.django_db
def test_deadline_command_shows_provisional_and_waiting_stages() -> None:
    code, text = run_deadline("2026-12-25", "5个工作日")
    assert code == 0
    assert text.startswith("2027-01-01 [provisional:")
    assert json.loads(run_deadline("2026-12-25", "5个工作日", as_json=True)[1])["provisional"] is True
    from .test_rules import TRANSFER_IN

    code, text = run_deadline("2024-09-20", TRANSFER_IN)
    assert (code, text.split()[0]) == (0, "2024-10-16")
    assert "funds_received" in text
    assert run_deadline("2024-09-20", "无") == (0, "none [no time limit: 无]\n")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "rule", "message"),
    [
        ("2024-02-30", "5个工作日", "--from “2024-02-30” is not a date"),
        ("tomorrow", "5个工作日", "is not a date"),
        ("2100-01-01", "5个工作日", "2100-01-01 is outside the supported range 2000-01-01..2099-12-31"),
        ("2099-12-30", "5个工作日", "ends after 2099-12-31"),
        ("2024-01-02", "五个工作曰", "cannot read the time limit “五个工作曰”"),
        ("2024-01-02", "  ", "--rule is empty"),
    ],
)
def test_deadline_command_bad_input(
    start: str, rule: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = run_deadline(start, rule)
    assert code == 2
    assert text == ""
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_shebao_command_on_a_fresh_database(tmp_path: Path) -> None:
    """The installed `shebao deadline` works on an empty data directory (migrates first)."""
    env = {**os.environ, "SHEBAO_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("DATABASE_URL", None)
    run = subprocess.run(
        [sys.executable, "-m", "shebao.cli", "deadline", "--from", "2024-02-09", "--rule", "5个工作日"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert (run.returncode, run.stdout) == (0, "2024-02-22\n"), run.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "shebao.cli", "deadline", "--from", "2024-02-09", "--rule", "看情况"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert bad.returncode == 2
    assert "看情况" in bad.stderr and "Traceback" not in bad.stderr


# --------------------------------------------------------------------------- template


def test_due_date_template_shows_provisional_visibly() -> None:
    template = Template("{% load workdays %}{% due_date d %}|{% if d|is_provisional %}P{% endif %}")
    provisional = deadline("5个工作日", D(2026, 12, 25), calendar=official_calendar())
    html = template.render(Context({"d": provisional}))
    assert '<time datetime="2027-01-01">2027-01-01</time>' in html
    assert "临时" in html and "2027年未载入官方节假日安排" in html
    assert html.endswith("|P")
    official = deadline("5个工作日", D(2024, 9, 30), calendar=official_calendar())
    html = template.render(Context({"d": official}))
    assert "2024-10-12" in html and "临时" not in html
    plain = Template("{% load workdays %}{% due_date d provisional=True %}").render(Context({"d": D(2027, 3, 1)}))
    assert "临时" in plain
