"""Errors a user can cause with a date or a rule; each names what it could not use."""

from __future__ import annotations

from datetime import date

from shebao.core.errors import ValidationFailed


class WorkdaysError(ValidationFailed):
    """Base of the working-day errors (HTTP 422 through the core error mapping)."""


class DateOutOfRange(WorkdaysError):
    """A date, or the end of a period, lies outside the calendar's supported range."""

    code = "date_out_of_range"

    def __init__(self, message: str, *, first: date, last: date) -> None:
        super().__init__(message, field="date", extra={"first": first.isoformat(), "last": last.isoformat()})
        self.first = first
        self.last = last


class RuleNotUnderstood(WorkdaysError):
    """A time-limit phrase with no countable period; ``phrase`` is the text as given."""

    code = "rule_not_understood"

    def __init__(self, phrase: str, reason: str) -> None:
        super().__init__(f"cannot read the time limit “{phrase}”: {reason}", field="rule", extra={"phrase": phrase})
        self.phrase = phrase
        self.reason = reason


class CalendarFileError(WorkdaysError):
    """A calendar file line that cannot be loaded; ``line`` is 1-based."""

    code = "calendar_file_invalid"

    def __init__(self, message: str, *, line: int | None = None) -> None:
        where = f"line {line}: " if line is not None else ""
        super().__init__(f"{where}{message}", field="file", extra={"line": line})
        self.line = line
