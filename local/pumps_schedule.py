"""Schedule expressions for the local schedule pump: ``rate(...)``, ``cron(...)`` and ``at(...)``.

EventBridge rules (SAM ``Schedule``) and EventBridge Scheduler (SAM ``ScheduleV2``) share the
expression language. Locally nothing fires them, so the pump needs to know when each one is due.
A small parser is enough and avoids a dependency: the grammar is AWS's six-field cron
(``minutes hours day-of-month month day-of-week year``, with ``?`` in one of the two day fields),
which differs from Unix cron (day-of-week 1-7 is SUN-SAT, there is a year field), so a Unix cron
library would get it subtly wrong anyway.

Supported: ``*``, ``?``, lists, ranges, ``/`` steps, month and weekday names, ``L`` (last day of the
month, or last given weekday ``5L``), ``W`` (nearest weekday ``15W``, ``LW``) and ``#`` (nth weekday
``2#1``). Times are UTC unless a timezone is given (ScheduleV2's ``ScheduleExpressionTimezone``).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$", re.IGNORECASE)
_CRON = re.compile(r"^cron\((.*)\)$", re.IGNORECASE)
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$", re.IGNORECASE)
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {name.upper(): i for i, name in enumerate(calendar.month_abbr) if name}
# AWS numbers weekdays 1-7 from Sunday; Python's weekday() is 0-6 from Monday.
_WEEKDAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
# How far ahead to look for the next match before declaring an expression that never fires.
_HORIZON_DAYS = 366 * 8


class ScheduleError(ValueError):
    """A schedule expression this parser cannot read (or AWS would reject)."""


def _aws_weekday(day: datetime) -> int:
    return (day.weekday() + 1) % 7 + 1


def _parse_field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    """Expand one cron field (``*``, ``1,5``, ``10-20/5``, ``MON-FRI``) into the set of values."""
    values: set[int] = set()

    def number(token: str) -> int:
        token = token.upper()
        if names and token in names:
            return names[token]
        if not token.isdigit():
            raise ScheduleError(f"bad cron value {token!r}")
        value = int(token)
        if not low <= value <= high:
            raise ScheduleError(f"cron value {value} outside {low}-{high}")
        return value

    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ScheduleError(f"bad cron step in {part!r}")
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = number(first), number(last)
        else:
            start = number(base)
            end = high if step_text else start
        if start > end:  # a wrapping range such as SAT-SUN or 22-2, as Quartz allows
            values.update((list(range(start, high + 1)) + list(range(low, end + 1)))[::step])
        else:
            values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class _DayRule:
    """The day-of-month or day-of-week field, which may use AWS's ``L``, ``W`` and ``#`` forms."""

    field: str  # "dom" or "dow"
    text: str

    def matches(self, day: datetime) -> bool:
        text = self.text.upper()
        last_dom = calendar.monthrange(day.year, day.month)[1]
        if text in ("*", "?"):
            return True
        if self.field == "dom":
            if text == "L":
                return day.day == last_dom
            if text == "LW":
                return day.day == _nearest_weekday(day.year, day.month, last_dom)
            if text.endswith("W"):
                return day.day == _nearest_weekday(day.year, day.month, int(text[:-1]))
            return day.day in _parse_field(text, 1, 31)
        weekday = _aws_weekday(day)
        if "#" in text:
            wanted, _, nth = text.partition("#")
            return weekday in _parse_field(wanted, 1, 7, _WEEKDAYS) and (day.day - 1) // 7 + 1 == int(nth)
        if text.endswith("L"):
            return weekday in _parse_field(text[:-1], 1, 7, _WEEKDAYS) and day.day + 7 > last_dom
        return weekday in _parse_field(text, 1, 7, _WEEKDAYS)

    def validate(self) -> None:
        """Parse once up front so a bad expression fails when the pump starts, not when it fires."""
        self.matches(datetime(2024, 2, 29, tzinfo=UTC))


def _nearest_weekday(year: int, month: int, dom: int) -> int:
    """AWS/Quartz ``W``: the weekday nearest to ``dom`` without leaving the month."""
    last = calendar.monthrange(year, month)[1]
    dom = min(dom, last)
    weekday = calendar.weekday(year, month, dom)  # 0 = Monday
    if weekday == 5:  # Saturday: Friday before, unless that leaves the month
        return dom - 1 if dom > 1 else dom + 2
    if weekday == 6:  # Sunday: Monday after, unless that leaves the month
        return dom + 1 if dom < last else dom - 2
    return dom


@dataclass(frozen=True)
class Schedule:
    """A parsed expression; ``next_after(t)`` is the first fire time strictly after ``t``."""

    expression: str
    interval: timedelta | None = None
    at: datetime | None = None
    minutes: frozenset[int] = frozenset()
    hours: frozenset[int] = frozenset()
    months: frozenset[int] = frozenset()
    years: frozenset[int] | None = None
    dom: _DayRule | None = None
    dow: _DayRule | None = None
    tz: tzinfo = UTC

    def next_after(self, after: datetime, *, anchor: datetime | None = None) -> datetime | None:
        """The next fire time after ``after`` (aware, UTC), or None when it will never fire again.

        A rate fires every interval counted from ``anchor`` (when the schedule was created), as
        EventBridge does; a cron fires on whole minutes in the schedule's timezone.
        """
        if after.tzinfo is None:
            raise ValueError("next_after needs an aware datetime")
        if self.interval is not None:
            start = anchor or after
            if after < start:
                return start + self.interval
            periods = (after - start) // self.interval + 1
            return start + periods * self.interval
        if self.at is not None:
            return self.at if self.at > after else None
        return self._next_cron(after)

    def _next_cron(self, after: datetime) -> datetime | None:
        local = after.astimezone(self.tz).replace(second=0, microsecond=0) + timedelta(minutes=1)
        day = local.replace(hour=0, minute=0)
        for _ in range(_HORIZON_DAYS):
            if (
                day.month in self.months
                and (self.years is None or day.year in self.years)
                and self.dom is not None
                and self.dow is not None
                and self.dom.matches(day)
                and self.dow.matches(day)
            ):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.tz)
                        if candidate >= local:
                            return candidate.astimezone(UTC)
            day = (day + timedelta(days=1)).replace(hour=0, minute=0)
        return None


def parse_schedule(expression: str, timezone: str | None = None) -> Schedule:
    """Parse ``rate(5 minutes)``, ``cron(0 9 * * ? *)`` or ``at(2030-01-01T09:00:00)``."""
    text = expression.strip()
    tz: tzinfo = ZoneInfo(timezone) if timezone else UTC
    if match := _RATE.match(text):
        amount, unit = int(match.group(1)), match.group(2).lower().rstrip("s")
        if amount < 1:
            raise ScheduleError(f"rate must be positive: {expression!r}")
        if (amount == 1) != (not match.group(2).lower().endswith("s")):
            # AWS rejects "rate(1 minutes)" and "rate(5 minute)"; so do we, so it fails here first.
            raise ScheduleError(f"use the singular unit for 1 and the plural otherwise: {expression!r}")
        return Schedule(expression, interval=timedelta(seconds=amount * _UNIT_SECONDS[unit]))
    if match := _AT.match(text):
        at = datetime.fromisoformat(match.group(1)).replace(tzinfo=tz).astimezone(UTC)
        return Schedule(expression, at=at)
    if match := _CRON.match(text):
        fields = match.group(1).split()
        if len(fields) != 6:
            raise ScheduleError(f"cron needs six fields (min hour dom month dow year): {expression!r}")
        minute, hour, dom, month, dow, year = fields
        if (dom == "?") == (dow == "?"):
            raise ScheduleError(f"exactly one of day-of-month and day-of-week must be '?': {expression!r}")
        dom_rule, dow_rule = _DayRule("dom", dom), _DayRule("dow", dow)
        dom_rule.validate()
        dow_rule.validate()
        return Schedule(
            expression,
            minutes=_parse_field(minute, 0, 59),
            hours=_parse_field(hour, 0, 23),
            months=_parse_field(month, 1, 12, _MONTHS),
            years=None if year == "*" else _parse_field(year, 1970, 2199),
            dom=dom_rule,
            dow=dow_rule,
            tz=tz,
        )
    raise ScheduleError(f"not a rate(), cron() or at() expression: {expression!r}")
