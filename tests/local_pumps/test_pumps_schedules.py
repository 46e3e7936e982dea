"""Schedule pump: fire on the clock, fire on demand, and the schedule-expression parser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from local.pumps_schedule import ScheduleError, parse_schedule


def test_fire_schedule_invokes_with_eventbridges_scheduled_event(harness):
    result = harness.pumps.fire_schedule("Ticker", "Every5Minutes")

    assert result == {"ticked": True}
    (item,) = harness.log("Ticker", "done")
    event = item["raw"]
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["detail"] == {}
    assert event["account"] == "123456789012"
    assert event["region"] == "us-east-1"
    assert event["resources"] == [
        "arn:aws:events:us-east-1:123456789012:rule/pumps-test-Ticker-Every5Minutes"
    ]


def test_fire_schedule_passes_the_schedules_input_instead_when_it_has_one(harness):
    harness.pumps.fire_schedule("Ticker", "NightlyDigest")

    assert [i["raw"] for i in harness.log("Ticker", "done")] == [{"job": "digest"}]


def test_fire_schedule_needs_a_name_when_a_function_has_several(harness):
    with pytest.raises(LookupError, match="Every5Minutes, NightlyDigest"):
        harness.pumps.fire_schedule("Ticker")
    with pytest.raises(LookupError):
        harness.pumps.fire_schedule("QueueConsumer")


def test_schedules_fire_when_due_on_the_pumps_clock(harness, clock):
    """The pumps started at 08:30 UTC: rate(5 minutes) is due at 08:35, 08:40 ...; the cron at 09:00."""

    def fired():
        return [i["raw"].get("detail-type", i["raw"].get("job")) for i in harness.log("Ticker", "done")]

    clock.advance(minutes=4, seconds=59)
    harness.pumps.run_once()
    assert fired() == []

    clock.advance(seconds=1)
    harness.pumps.run_once()
    harness.pumps.run_once()
    assert fired() == ["Scheduled Event"], "fires once per due time, not once per poll"

    clock.advance(minutes=25)  # 09:00: both due; missed 08:40 ... 08:55 are not replayed
    harness.pumps.run_once()
    assert sorted(fired()) == ["Scheduled Event", "Scheduled Event", "digest"]


def test_drain_does_not_wait_for_schedules(harness):
    assert harness.pumps.drain(timeout=2) == 0
    assert harness.log("Ticker") == []


# ---------------------------------------------------------------------------------------------
# The expression parser
# ---------------------------------------------------------------------------------------------
T0 = datetime(2024, 1, 1, 10, 7, 30, tzinfo=UTC)  # a Monday


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("rate(1 minute)", datetime(2024, 1, 1, 10, 8, 30, tzinfo=UTC)),
        ("rate(5 minutes)", datetime(2024, 1, 1, 10, 12, 30, tzinfo=UTC)),
        ("rate(2 hours)", datetime(2024, 1, 1, 12, 7, 30, tzinfo=UTC)),
        ("rate(1 day)", datetime(2024, 1, 2, 10, 7, 30, tzinfo=UTC)),
        ("cron(0 9 * * ? *)", datetime(2024, 1, 2, 9, 0, tzinfo=UTC)),
        ("cron(0/15 * * * ? *)", datetime(2024, 1, 1, 10, 15, tzinfo=UTC)),
        ("cron(0 8 ? * SAT-SUN *)", datetime(2024, 1, 6, 8, 0, tzinfo=UTC)),
        ("cron(0 12 ? * 2#2 *)", datetime(2024, 1, 8, 12, 0, tzinfo=UTC)),  # second Monday
        ("cron(0 12 ? * 6L *)", datetime(2024, 1, 26, 12, 0, tzinfo=UTC)),  # last Friday
        ("cron(30 18 L * ? *)", datetime(2024, 1, 31, 18, 30, tzinfo=UTC)),
        ("cron(0 9 15W * ? *)", datetime(2024, 1, 15, 9, 0, tzinfo=UTC)),
        ("cron(0 9 LW 3 ? *)", datetime(2024, 3, 29, 9, 0, tzinfo=UTC)),  # Mar 31 2024 is a Sunday
        ("cron(0 0 1 JAN,JUL ? 2025)", datetime(2025, 1, 1, 0, 0, tzinfo=UTC)),
        ("cron(0 0 29 2 ? *)", datetime(2024, 2, 29, 0, 0, tzinfo=UTC)),
        ("at(2024-06-01T09:00:00)", datetime(2024, 6, 1, 9, 0, tzinfo=UTC)),
    ],
)
def test_next_fire_time(expression, expected):
    assert parse_schedule(expression).next_after(T0, anchor=T0) == expected


def test_a_cron_in_a_timezone_fires_at_local_time():
    nine_in_berlin = parse_schedule("cron(0 9 * * ? *)", "Europe/Berlin")
    assert nine_in_berlin.next_after(T0) == datetime(2024, 1, 2, 8, 0, tzinfo=UTC)  # CET = UTC+1


def test_one_off_and_finite_schedules_end():
    assert parse_schedule("at(2020-01-01T00:00:00)").next_after(T0) is None
    assert parse_schedule("cron(0 0 1 1 ? 2023)").next_after(T0) is None


@pytest.mark.parametrize(
    "expression",
    [
        "rate(0 minutes)",
        "rate(1 minutes)",
        "rate(5 minute)",
        "rate(5 weeks)",
        "cron(0 9 * * *)",  # Unix cron: five fields
        "cron(0 9 * * * *)",  # neither day field is "?"
        "cron(0 9 ? * ? *)",  # both are
        "cron(61 9 * * ? *)",
        "cron(0 9 * FOO ? *)",
        "every day",
    ],
)
def test_bad_expressions_are_rejected_up_front(expression):
    with pytest.raises(ScheduleError):
        parse_schedule(expression)


def _matches(expression_fields, moment):
    minute, hour, dom, month, dow = expression_fields
    aws_dow = (moment.weekday() + 1) % 7 + 1
    return (
        moment.minute in minute
        and moment.hour in hour
        and (dom is None or moment.day in dom)
        and moment.month in month
        and (dow is None or aws_dow in dow)
    )


@settings(max_examples=60, deadline=None)
@given(
    minutes=st.sets(st.integers(0, 59), min_size=1, max_size=4),
    hours=st.sets(st.integers(0, 23), min_size=1, max_size=4),
    days=st.one_of(
        st.tuples(st.just("dom"), st.sets(st.integers(1, 28), min_size=1, max_size=8)),
        st.tuples(st.just("dow"), st.sets(st.integers(1, 7), min_size=1, max_size=3)),
    ),
    start=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31)),
)
def test_cron_next_fire_is_the_first_matching_minute(minutes, hours, days, start):
    """Against a brute-force scan: the answer matches every field and no earlier minute does."""
    kind, values = days
    dom = ",".join(map(str, sorted(values))) if kind == "dom" else "?"
    dow = ",".join(map(str, sorted(values))) if kind == "dow" else "?"
    expression = (
        f"cron({','.join(map(str, sorted(minutes)))} {','.join(map(str, sorted(hours)))} {dom} * {dow} *)"
    )
    fields = (
        minutes,
        hours,
        values if kind == "dom" else None,
        set(range(1, 13)),
        values if kind == "dow" else None,
    )
    start = start.replace(tzinfo=UTC)

    fire = parse_schedule(expression).next_after(start)

    assert fire is not None and fire > start and fire.second == 0
    assert _matches(fields, fire)
    # Scan day by day, then minute by minute within matching days, up to the answer.
    moment = start.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while moment < fire:
        if (fields[2] is None or moment.day in fields[2]) and (
            fields[4] is None or (moment.weekday() + 1) % 7 + 1 in fields[4]
        ):
            assert not _matches(fields, moment), f"{expression} matched earlier at {moment}"
            moment += timedelta(minutes=1)
        else:
            moment = (moment + timedelta(days=1)).replace(hour=0, minute=0)
