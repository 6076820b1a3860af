"""A shift's minimum age: residents without a birth date are asked for one, the too young are refused,
and age is counted on the shift's start date in the district's time zone."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from backend.extensions import db
from backend.grids.service import local_tz
from backend.volunteering.models import ShiftSignup
from tests.volunteering.factories import fresh, headers_for, make_activity, make_volunteer


def future_day() -> date:
    """A day ten days or so ahead that is not 29 February (so "the same day, n years earlier" exists)."""
    day = date.today() + timedelta(days=10)
    return day + timedelta(days=1) if (day.month, day.day) == (2, 29) else day


def shift_at_local(world, day: date, at: time, min_age: int | None):
    """A shift starting on `day` at `at`, local time, with a minimum age."""
    shift = make_activity(world.id, starts_in=timedelta(days=40)).shifts[0]
    start = datetime.combine(day, at, tzinfo=local_tz())
    shift.starts_at, shift.ends_at = start, start + timedelta(hours=2)
    shift.signup_deadline, shift.cancel_cutoff = start, start - timedelta(hours=24)
    shift.min_age = min_age
    db.session.commit()
    return shift


def sign_up_as(client, user, shift):
    return client.post(f"/api/v1/shifts/{shift.id}/signups", headers=headers_for(user.id))


def set_birth_date(client, user, value: str):
    response = client.patch("/api/v1/me", json={"birth_date": value}, headers=headers_for(user.id))
    assert response.status_code == 200, response.json


def signups() -> int:
    return db.session.scalar(sa.select(sa.func.count(ShiftSignup.id)))


def test_without_a_birth_date_the_resident_is_asked_for_one(client, world):
    shift = shift_at_local(world, future_day(), time(9), min_age=18)
    alice = make_volunteer(world, "alice")
    refused = sign_up_as(client, alice, shift)
    assert (refused.status_code, refused.json["reason"]) == (409, "birth_date_required")
    assert refused.json["message"] == "该班次要求年满 18 周岁，请先在「我的」页面填写出生日期"
    assert signups() == 0 and fresh(shift).confirmed == 0

    set_birth_date(client, alice, "1990-05-17")
    accepted = sign_up_as(client, alice, shift)
    assert accepted.status_code == 201 and accepted.json["status"] == "confirmed"
    assert fresh(shift).confirmed == 1


def test_age_is_reached_on_the_birthday_and_counted_on_the_shifts_date(client, world):
    day = future_day()
    shift = shift_at_local(world, day, time(9), min_age=16)
    turns_16_that_day = make_volunteer(world, "birthday")
    turns_16_next_day = make_volunteer(world, "tomorrow")
    set_birth_date(client, turns_16_that_day, day.replace(year=day.year - 16).isoformat())
    set_birth_date(client, turns_16_next_day, (day.replace(year=day.year - 16) + timedelta(days=1)).isoformat())

    refused = sign_up_as(client, turns_16_next_day, shift)
    assert (refused.status_code, refused.json["reason"]) == (409, "too_young")
    assert refused.json["message"] == "该班次要求年满 16 周岁，您在活动当天还未满 16 周岁"
    assert sign_up_as(client, turns_16_that_day, shift).status_code == 201
    assert [s.user_id for s in db.session.scalars(sa.select(ShiftSignup))] == [turns_16_that_day.id]


def test_the_shifts_date_is_the_local_one(client, world):
    """At 00:30 in Shanghai it is still the day before in UTC: the local date decides."""
    day = future_day()
    shift = shift_at_local(world, day, time(0, 30), min_age=18)
    assert fresh(shift).starts_at.date() == day - timedelta(days=1)  # stored in UTC: the day before
    alice = make_volunteer(world, "alice")
    set_birth_date(client, alice, day.replace(year=day.year - 18).isoformat())
    assert sign_up_as(client, alice, shift).status_code == 201


def test_shifts_without_a_minimum_age_need_no_birth_date(client, world):
    day = future_day()
    for min_age in (None, 0):
        shift = shift_at_local(world, day, time(9), min_age=min_age)
        assert sign_up_as(client, make_volunteer(world, f"v{min_age}"), shift).status_code == 201


def test_an_earlier_refusal_wins_over_the_age(client, world):
    shift = shift_at_local(world, future_day(), time(9), min_age=18)
    shift.signup_deadline = datetime.now(local_tz()) - timedelta(minutes=1)
    db.session.commit()
    late = sign_up_as(client, make_volunteer(world, "alice"), shift)
    assert late.json["reason"] == "signup_closed"
