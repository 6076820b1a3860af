"""Concurrent ballots against the app, each request in its own thread, app context, session and connection.

1,000 distinct voters give an exact tally, 100 simultaneous ballots from one voter give one ballot, and
a close racing a burst of ballots counts exactly the ballots that were accepted. PostgreSQL (CI sets
TEST_DATABASE_URL) is the real test of the locks and constraints; on SQLite the same tests run, with
SQLite's single writer doing the serialising.
"""
from __future__ import annotations

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.core.db import utcnow
from backend.deliberations import ballots
from backend.deliberations.models import Poll, Topic
from backend.extensions import db
from tests.deliberations.factories import (ballot_spec, headers, make_topic, make_world, open_vote, options,
                                           resident, residents, stored_votes)
from tests.factories import make_household

POOL = {"pool_size": 20, "max_overflow": 0, "pool_timeout": 60}


def width(threads: int) -> int:
    """Threads in flight: all of them on PostgreSQL; on SQLite few enough that no writer waits out
    the 5 s busy timeout on a loaded machine (there the app answers 503 `busy`)."""
    return threads if db.engine.dialect.name == "postgresql" else min(threads, 12)


@pytest.fixture
def burst_app(make_app):
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS=POOL)
    with app.app_context():
        yield app


def burst(app, requests: list[tuple[dict, dict]], url: str, workers: int, start_together: bool = False):
    """POST every (headers, body) to `url` from `workers` threads; returns the answers' (status, reason).

    `start_together`: the first `workers` requests wait for each other and leave at the same moment.
    """
    gate = threading.Barrier(workers)

    def send(numbered):
        index, (auth, body) = numbered
        if start_together and index < workers:
            gate.wait(timeout=30)
        response = app.test_client().post(url, json=body, headers=auth)
        return response.status_code, (response.json or {}).get("reason")

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(send, enumerate(requests)))


def test_a_thousand_voters_at_once_give_an_exact_tally(burst_app):
    world = make_world()
    people = residents(1000, world.grid(0))
    topic = make_topic(world)
    open_vote(world, topic, ballot_spec(type="multiple", options=["路灯", "座椅", "监控", "绿化"], max_choices=2))
    ids = options(topic)
    chooser = random.Random(4)
    picks = [sorted(chooser.sample(ids, chooser.choice((1, 2)))) for _ in people]
    expected = Counter(option for pick in picks for option in pick)
    requests = [(headers(person), {"option_ids": pick}) for person, pick in zip(people, picks)]
    db.session.commit()

    answers = burst(burst_app, requests, f"/api/v1/topics/{topic.id}/ballots", workers=width(32))

    assert Counter(answers) == {(201, None): 1000}
    db.session.expire_all()
    assert stored_votes(topic) == (1000, 1000)
    ballots.close_voting(topic.id, utcnow() + timedelta(days=4))
    db.session.commit()
    poll = db.session.get(Poll, topic.id)
    assert {o.id: o.votes for o in poll.options} == {i: expected[i] for i in ids}
    assert poll.cast_count == poll.eligible_count == 1000
    assert ballots.verify_chain(topic.id) == (1000, poll.chain_hash, True)


def test_a_hundred_ballots_from_one_voter_give_one(burst_app):
    world = make_world()
    alice = resident("alice", world.grid(0))
    topic = make_topic(world, phase="voting")
    yes, no, abstain = options(topic)
    requests = [(headers(alice), {"option_ids": [(yes, no, abstain)[i % 3]]}) for i in range(100)]

    answers = burst(burst_app, requests, f"/api/v1/topics/{topic.id}/ballots", workers=width(100),
                    start_together=True)

    assert Counter(answers) == {(201, None): 1, (409, "already_voted"): 99}
    db.session.expire_all()
    assert stored_votes(topic) == (1, 1)


def test_one_household_racing_itself_gets_one_vote(burst_app):
    world = make_world()
    home = make_household(world.grid(0), "长桥新村 1 幢 502")
    members = [resident(f"member{i}", world.grid(0), household=home) for i in range(4)]
    topic = make_topic(world)
    open_vote(world, topic, ballot_spec(per="household"))
    yes = options(topic)[0]
    requests = [(headers(members[i % 4]), {"option_ids": [yes]}) for i in range(60)]

    answers = burst(burst_app, requests, f"/api/v1/topics/{topic.id}/ballots", workers=width(60),
                    start_together=True)

    assert answers.count((201, None)) == 1
    assert {a for a in answers if a != (201, None)} <= {(409, "already_voted"), (409, "household_already_voted")}
    db.session.expire_all()
    assert stored_votes(topic) == (1, 1)


def test_closing_in_the_middle_of_a_burst_counts_exactly_the_accepted_ballots(burst_app):
    world = make_world()
    people = residents(300, world.grid(0))
    topic = make_topic(world, phase="voting")
    yes = options(topic)[0]
    requests = [(headers(person), {"option_ids": [yes]}) for person in people]
    url = f"/api/v1/topics/{topic.id}/ballots"
    db.session.commit()
    answered = []
    halfway = threading.Event()

    def send(item):
        auth, body = item
        response = burst_app.test_client().post(url, json=body, headers=auth)
        answered.append((response.status_code, (response.json or {}).get("reason")))
        if len(answered) >= 100:
            halfway.set()

    with ThreadPoolExecutor(max_workers=width(24)) as pool:
        futures = [pool.submit(send, item) for item in requests]
        assert halfway.wait(timeout=60)
        # The clock reaches closes_at now; the close runs while ballots are still arriving.
        now = utcnow()
        db.session.execute(sa.update(Poll).where(Poll.topic_id == topic.id)
                           .values(opens_at=now - timedelta(hours=1), closes_at=now))
        db.session.commit()
        assert ballots.close_voting(topic.id)
        db.session.commit()
        for future in futures:
            future.result()

    accepted = answered.count((201, None))
    assert set(answered) <= {(201, None), (409, "voting_closed")} and 100 <= accepted < 300
    db.session.expire_all()
    poll = db.session.get(Poll, topic.id)
    assert db.session.get(Topic, topic.id).phase == "closed"
    assert poll.cast_count == accepted and stored_votes(topic) == (accepted, accepted)
    assert ballots.verify_chain(topic.id) == (accepted, poll.chain_hash, True)
