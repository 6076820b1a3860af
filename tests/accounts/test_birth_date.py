"""The birth date on /me: set, cleared and validated by its owner, and shown to nobody else."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from backend.accounts.models import User
from backend.extensions import db
from backend.grids.service import local_tz
from tests.factories import login, make_geography, make_household, make_staff, make_verified_resident


def local_today() -> date:
    return datetime.now(local_tz()).date()


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def test_the_owner_sets_sees_and_clears_their_birth_date(client):
    headers = login(client, "alice")
    assert client.get("/api/v1/me", headers=headers).json["birth_date"] is None
    response = client.patch("/api/v1/me", json={"birth_date": "1990-05-17"}, headers=headers)
    assert response.status_code == 200 and response.json["birth_date"] == "1990-05-17"
    assert client.get("/api/v1/me", headers=headers).json["birth_date"] == "1990-05-17"
    assert client.patch("/api/v1/me", json={"nickname": "小李"}, headers=headers).json["birth_date"] == "1990-05-17"
    cleared = client.patch("/api/v1/me", json={"birth_date": None}, headers=headers)
    assert cleared.status_code == 200 and cleared.json["birth_date"] is None
    assert db.session.get(User, cleared.json["id"]).birth_date is None


def test_today_and_the_oldest_plausible_day_are_accepted(client):
    headers = login(client, "alice")
    for day in (local_today(), years_before(local_today(), 121) + timedelta(days=1)):  # 120 until tomorrow
        response = client.patch("/api/v1/me", json={"birth_date": day.isoformat()}, headers=headers)
        assert response.status_code == 200 and response.json["birth_date"] == day.isoformat()


@pytest.mark.parametrize("value, message", [
    (lambda: (local_today() + timedelta(days=1)).isoformat(), "出生日期不能晚于今天"),
    (lambda: years_before(local_today(), 121).isoformat(), "出生日期有误：年龄不能超过 120 周岁"),
    (lambda: "1900-01-01", "出生日期有误：年龄不能超过 120 周岁"),
    (lambda: "1990-02-30", "出生日期格式应为 YYYY-MM-DD"),
    (lambda: "1990-5-17", "出生日期格式应为 YYYY-MM-DD"),
    (lambda: "19900517", "出生日期格式应为 YYYY-MM-DD"),
    (lambda: "1990-05-17T00:00:00+08:00", "出生日期格式应为 YYYY-MM-DD"),
    (lambda: 19900517, "出生日期格式应为 YYYY-MM-DD"),
    (lambda: "", "出生日期格式应为 YYYY-MM-DD"),
])
def test_implausible_birth_dates_are_refused_and_change_nothing(client, value, message):
    headers = login(client, "alice")
    client.patch("/api/v1/me", json={"birth_date": "1990-05-17"}, headers=headers)
    response = client.patch("/api/v1/me", json={"birth_date": value(), "nickname": "改了"}, headers=headers)
    assert response.status_code == 422 and response.json["reason"] == "validation_error"
    assert response.json["errors"]["json"]["birth_date"] == [message]
    me = client.get("/api/v1/me", headers=headers).json
    assert (me["birth_date"], me["nickname"]) == ("1990-05-17", "")


def test_nobody_else_sees_a_birth_date(client):
    geo = make_geography()
    household = make_household(geo.grids[0])
    make_verified_resident("alice", household)
    make_verified_resident("bob", household)
    make_staff("worker", geo.grids[0])
    alice = login(client, "alice")
    assert client.patch("/api/v1/me", json={"birth_date": "1990-05-17"}, headers=alice).status_code == 200

    for openid in ("bob", "worker", "alice"):  # the household's members, as a neighbour, staff and herself
        response = client.get(f"/api/v1/households/{household.id}", headers=login(client, openid))
        assert response.status_code == 200
        assert "birth_date" not in response.text and "1990-05-17" not in response.text
    assert client.get("/api/v1/me", headers=login(client, "bob")).json["birth_date"] is None
