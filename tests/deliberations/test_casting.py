"""Casting: the one statement that writes a vote, and the rules that explain a refusal, agree."""
from __future__ import annotations

import itertools
import secrets
from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.accounts.models import HouseholdMember, User
from backend.core.db import utcnow
from backend.deliberations import ballots, casting
from backend.deliberations.models import Poll, Topic, TopicScope
from backend.extensions import db
from tests.deliberations.factories import (actor, ballot_spec, cast, headers, make_topic, make_world, open_vote,
                                           options, pass_closing_time, resident, stored_votes)


CAST_FUNCTION_CALL = sa.text("SELECT voted_household FROM linli_cast_ballot(:topic_id, :user_id, :now,"
                              " CAST(:option_ids AS integer[]), :choice_count, :key, :choices, :receipt_hash)")


def statement_allows(topic: Topic, user: User, option_ids: list[int]) -> bool:
    """Whether casting would write this vote now: on PostgreSQL the cast function itself, called in a
    savepoint that is rolled back; elsewhere the SELECT part of the voter insert (nothing written)."""
    values = {"topic_id": topic.id, "user_id": user.id, "now": utcnow(), "option_ids": sorted(option_ids),
              "choice_count": len(option_ids)}
    if db.engine.dialect.name != "postgresql":
        return db.session.execute(casting.voter_rows(db.engine.dialect.name), values).first() is not None
    savepoint = db.session.begin_nested()
    written = db.session.execute(CAST_FUNCTION_CALL, {**values, "key": secrets.randbits(63), "choices": "test",
                                                      "receipt_hash": secrets.token_hex(32)}).first()
    savepoint.rollback()
    return written is not None


def rules_allow(topic: Topic, user: User, option_ids: list[int]) -> bool:
    """Whether the service's rules (the ones that explain a refusal) let this vote through."""
    db.session.expire_all()
    topic = db.session.get(Topic, topic.id)
    if ballots.window_refusal(topic, topic.poll, utcnow()) is not None:
        return False
    try:
        ballots.choices_of(topic.poll, option_ids)
    except Exception:  # noqa: BLE001 - Unprocessable: the choices are refused
        return False
    voter = actor(user)  # None: the account is disabled (authentication refuses it)
    return voter is not None and ballots.voter_refusal(topic, topic.poll, voter.home) is None


def scoped_topic(world, title: str, grid_id: int, building: str) -> Topic:
    """A topic of community 0 for one grid, or one building of it, voting now."""
    topic = make_topic(world, title=title)
    topic.scoped = True
    db.session.add(TopicScope(topic_id=topic.id, grid_id=grid_id, building=building))
    db.session.commit()
    open_vote(world, topic)
    return topic


def test_the_statement_and_the_rules_agree_on_every_voter_and_choice(app):
    world = make_world()
    people = {
        "in building 3": resident("b3", world.grid(0), building="3 幢"),
        "in building 5": resident("b5", world.grid(0), building="5 幢"),
        "elsewhere in grid 1": resident("g1", world.grid(1), building="3 幢"),
        "unverified": resident("unverified", world.grid(0), building="3 幢", verified=False),
        "other community": resident("other", world.grid(2), building="3 幢"),
        "committee, no household": world.committee,
    }
    whole = make_topic(world, title="全社区议题")
    open_vote(world, whole, ballot_spec(type="multiple", options=["路灯", "座椅", "监控"], max_choices=2))
    by_building = scoped_topic(world, "3 幢议题", world.grid(0).id, "3 幢")
    by_grid = scoped_topic(world, "网格议题", world.grid(1).id, "")
    late = resident("late", world.grid(0), building="3 幢")  # verified after these votes opened
    people["verified after opening"] = late
    people["disabled account"] = resident("disabled", world.grid(0), building="3 幢")
    db.session.get(User, people["disabled account"].id).is_active = False
    db.session.execute(sa.update(HouseholdMember).where(HouseholdMember.user_id != late.id)
                       .where(HouseholdMember.verified_at.is_not(None))
                       .values(verified_at=utcnow() - timedelta(days=1)))
    db.session.commit()

    checked = allowed = 0
    for topic in (whole, by_building, by_grid):
        own = options(topic)
        foreign = options(by_grid if topic is not by_grid else whole)[:1]
        choices = [own[:1], own[:2], own[:3], own[:1] + foreign, foreign]
        for (label, user), chosen in itertools.product(people.items(), choices):
            verdict = statement_allows(topic, user, chosen)
            assert verdict == rules_allow(topic, user, chosen), (topic.title, label, chosen)
            checked, allowed = checked + 1, allowed + verdict
    assert checked == 3 * len(people) * 5
    # The whole community's ballot (one or two of three options): b3, b5 and g1, twice each; 3 幢's
    # (one option): b3; grid 1's: g1.
    assert allowed == 3 * 2 + 1 + 1
    # Both refuse once the closing time has passed, before any job ran.
    pass_closing_time(whole)
    assert not statement_allows(whole, people["in building 3"], options(whole)[:1])
    assert not rules_allow(whole, people["in building 3"], options(whole)[:1])


def test_a_disabled_account_cannot_vote_with_a_token_it_still_holds(client):
    world = make_world()
    alice = resident("alice", world.grid(0))
    topic = make_topic(world, phase="voting")
    token_headers = headers(alice)
    db.session.get(User, alice.id).is_active = False
    db.session.commit()
    response = client.post(f"/api/v1/topics/{topic.id}/ballots", json={"option_ids": options(topic)[:1]},
                           headers=token_headers)
    assert (response.status_code, response.json["reason"]) == (401, "invalid_token")
    assert stored_votes(topic) == (0, 0)


def test_a_ballot_opens_a_vote_whose_opening_job_is_late(client):
    world = make_world()
    alice = resident("alice", world.grid(0))
    topic = make_topic(world)
    ballots.open_voting(topic.id, actor(world.committee), utcnow() + timedelta(days=2),
                        opens_at=utcnow() + timedelta(hours=1), ballot=ballot_spec())
    assert cast(client, alice, topic, options(topic)[:1]).json["reason"] == "voting_not_open"
    # The opening time has come; the job that should open the vote has not run.
    db.session.execute(sa.update(HouseholdMember).values(verified_at=utcnow() - timedelta(days=1)))
    db.session.execute(sa.update(Poll).where(Poll.topic_id == topic.id).values(opens_at=utcnow()))
    db.session.commit()
    response = cast(client, alice, topic, options(topic)[:1])
    assert response.status_code == 201, response.json
    db.session.expire_all()
    assert db.session.get(Topic, topic.id).phase == "voting"
    assert stored_votes(topic) == (1, 1)


def test_a_topic_that_does_not_exist_is_404_and_nothing_is_written(client):
    world = make_world()
    alice = resident("alice", world.grid(0))
    response = client.post("/api/v1/topics/999999/ballots", json={"option_ids": [1]}, headers=headers(alice))
    assert (response.status_code, response.json["reason"]) == (404, "topic_not_found")
    assert db.session.scalar(sa.text("SELECT count(*) FROM voters")) == 0


def test_ballots_go_on_after_the_database_closed_the_casts_connection(client, database_url):
    """A restart between two ballots: the second voter gets a receipt, not an error."""
    if not database_url.startswith("postgresql"):
        pytest.skip("the cast's own connections are PostgreSQL's (TEST_DATABASE_URL)")
    world = make_world()
    alice, bob = resident("alice", world.grid(0)), resident("bob", world.grid(0))
    topic = make_topic(world, phase="voting")
    assert cast(client, alice, topic, options(topic)[:1]).status_code == 201
    backends = db.session.scalars(sa.text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
                                  {"name": f"linli {casting.CAST_FUNCTION}"}).all()
    assert len(backends) == 1
    db.session.execute(sa.text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": backends[0]})
    db.session.commit()
    response = cast(client, bob, topic, options(topic)[:1])
    assert response.status_code == 201, response.json
    assert stored_votes(topic) == (2, 2)
