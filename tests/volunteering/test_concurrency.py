"""Races: many requests at once through the real app, each thread with its own client (and so its own
app context, session and database connection).

- 2,000 sign-ups for 50 places: exactly 50 confirmed, the rest waitlisted 1 … 1,950, no gap, no duplicate;
- 50 redemptions against a balance that covers 10: exactly 10;
- concurrent cancellations: each waitlisted volunteer promoted exactly once.

The full sizes run on PostgreSQL (`TEST_DATABASE_URL=postgresql+psycopg://…`), where transactions
really interleave. SQLite serialises writers, so there the same tests run smaller (400 sign-ups, 8
threads) to show the locking works on the embedded database too without waiting on its busy timeout.
"""
from __future__ import annotations

import sys
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.core.auth import load_actor
from backend.extensions import db
from backend.notifications.models import Notification
from backend.volunteering import ledger, signups
from backend.volunteering.models import Redemption, Shift, ShiftSignup
from tests.volunteering.factories import (fresh, give_points, headers_for, make_activity, make_community,
                                          make_reward, make_volunteers)

SIZES = {"postgresql": (32, 2000), "sqlite": (8, 400)}  # (threads, sign-ups) per database


@pytest.fixture
def race(make_app, database_url):
    """The app with a connection per thread, and the sizes for this database."""
    threads, signups = SIZES["postgresql" if database_url.startswith("postgresql") else "sqlite"]
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": threads + 4, "max_overflow": 0, "pool_timeout": 60})
    with app.app_context():
        yield Race(app, threads, signups)


@dataclass
class Race:
    app: object
    threads: int
    signups: int

    def run(self, requests: list[tuple[str, str, dict]]) -> list:
        return hammer(self.app, self.threads, requests)


def hammer(app, threads: int, requests: list[tuple[str, str, dict]]) -> list:
    """Send (method, url, headers) requests from `threads` threads, all released together; answers in order.

    The GIL switch interval is shortened meanwhile: a thread that holds a row lock otherwise waits up
    to 5 ms for the GIL after each database round trip while the others parse requests, which slows
    the run (never its outcome). Production runs one request per process and has no such convoy.
    """
    local = threading.local()
    start = threading.Barrier(threads)
    switch = sys.getswitchinterval()
    sys.setswitchinterval(0.0002)

    def send(request):
        method, url, headers = request
        if not hasattr(local, "client"):
            local.client = app.test_client()
            start.wait()  # every thread is ready before the first request goes
        response = local.client.open(url, method=method, headers=headers)
        return response.status_code, response.get_json()

    try:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            return list(pool.map(send, requests))
    finally:
        sys.setswitchinterval(switch)


def test_2000_signups_for_50_places(race):
    world = make_community()
    shift = make_activity(world.id, capacity=50).shifts[0]
    total, waiting = race.signups, race.signups - 50
    people = make_volunteers(world, total)
    url = f"/api/v1/shifts/{shift.id}/signups"
    answers = race.run([("POST", url, headers_for(user_id)) for user_id in people])

    assert Counter(status for status, _ in answers) == {201: total}
    assert Counter(body["status"] for _, body in answers) == {"confirmed": 50, "waitlisted": waiting}
    positions = sorted(body["position"] for _, body in answers if body["status"] == "waitlisted")
    assert positions == list(range(1, waiting + 1))  # each position handed out once, none skipped

    db.session.expire_all()
    assert fresh(shift).confirmed == 50
    rows = db.session.execute(sa.select(ShiftSignup.user_id, ShiftSignup.status, ShiftSignup.waitlist_seq)).all()
    assert len(rows) == total and len({r.user_id for r in rows}) == total
    assert Counter(r.status for r in rows) == {"confirmed": 50, "waitlisted": waiting}
    assert sorted(r.waitlist_seq for r in rows if r.status == "waitlisted") == list(range(1, waiting + 1))
    by_user = {body["id"]: body["position"] for _, body in answers if body["status"] == "waitlisted"}
    tickets = dict(db.session.execute(sa.select(ShiftSignup.id, ShiftSignup.waitlist_seq)
                                      .where(ShiftSignup.status == "waitlisted")).all())
    assert by_user == tickets  # the position told to each person is their ticket: strict order


def test_50_redemptions_against_a_balance_for_10(race):
    world = make_community()
    alice = make_volunteers(world, 1, prefix="alice")[0]
    give_points(alice, 200)
    reward = make_reward(world, points=20, stock=100)
    headers = headers_for(alice)
    answers = race.run([("POST", f"/api/v1/rewards/{reward.id}/redeem", headers)] * 50)

    assert Counter(status for status, _ in answers) == {201: 10, 409: 40}
    assert {body["reason"] for status, body in answers if status == 409} == {"insufficient_points"}
    db.session.expire_all()
    assert ledger.balance(alice) == 0
    assert fresh(reward).stock == 90
    assert db.session.scalar(sa.select(sa.func.count(Redemption.id))) == 10
    assert len({body["pickup_code"] for status, body in answers if status == 201}) == 10


def test_stock_runs_out_exactly_under_concurrent_redemptions(race):
    world = make_community()
    people = make_volunteers(world, 40)
    for user_id in people:
        give_points(user_id, 100)
    reward = make_reward(world, points=10, stock=7)
    answers = race.run([("POST", f"/api/v1/rewards/{reward.id}/redeem", headers_for(u)) for u in people])
    assert Counter(status for status, _ in answers) == {201: 7, 409: 33}
    assert {body["reason"] for status, body in answers if status == 409} == {"out_of_stock"}
    assert fresh(reward).stock == 0
    assert sum(ledger.balance(u) for u in people) == 40 * 100 - 7 * 10


@pytest.mark.parametrize("waiting", [50, 30])
def test_concurrent_cancellations_promote_each_waitlisted_once(race, waiting):
    world = make_community()
    shift = make_activity(world.id, capacity=50).shifts[0]
    people = make_volunteers(world, 50 + waiting)
    for user_id in people:
        signups.sign_up(load_actor(user_id), shift.id)
    confirmed = dict(db.session.execute(sa.select(ShiftSignup.user_id, ShiftSignup.id)
                                        .where(ShiftSignup.status == "confirmed")).all())
    waitlisted = set(db.session.scalars(sa.select(ShiftSignup.user_id).where(ShiftSignup.status == "waitlisted")))
    assert len(confirmed) == 50 and len(waitlisted) == waiting

    answers = race.run([("DELETE", f"/api/v1/signups/{signup_id}", headers_for(user_id))
                              for user_id, signup_id in confirmed.items()])
    assert Counter(status for status, _ in answers) == {200: 50}

    db.session.expire_all()
    rows = dict(db.session.execute(sa.select(ShiftSignup.user_id, ShiftSignup.status)).all())
    assert {rows[u] for u in waitlisted} == {"confirmed"}
    assert {rows[u] for u in confirmed} == {"cancelled"}
    assert db.session.get(Shift, shift.id).confirmed == waiting
    told = Counter(db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "volunteer_promoted")))
    assert told == Counter({u: 1 for u in waitlisted})
    promoted_at = db.session.scalars(sa.select(ShiftSignup.promoted_at).where(ShiftSignup.user_id.in_(waitlisted)))
    assert all(promoted_at)


def test_one_person_racing_for_overlapping_shifts_gets_one(race):
    world = make_community()
    shifts = [make_activity(world.id, starts_in=timedelta(days=2, minutes=n), title=f"活动{n}").shifts[0]
              for n in range(race.threads)]
    alice = make_volunteers(world, 1, prefix="alice")[0]
    headers = headers_for(alice)
    answers = race.run([("POST", f"/api/v1/shifts/{s.id}/signups", headers) for s in shifts])
    assert Counter(status for status, _ in answers) == {201: 1, 409: race.threads - 1}
    assert {body["reason"] for status, body in answers if status == 409} == {"overlapping_shift"}
    assert db.session.scalar(sa.select(sa.func.count(ShiftSignup.id))) == 1
