"""Casting: the one statement that writes a vote, and the rules that explain a refusal, agree."""
from __future__ import annotations

import itertools
import secrets
import threading
import time
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
    backends = db.session.scalars(sa.text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"
                                  " AND datname = current_database()"),
                                  {"name": f"linli {casting.CAST_FUNCTION}"}).all()
    assert len(backends) == 1
    db.session.execute(sa.text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": backends[0]})
    db.session.commit()
    response = cast(client, bob, topic, options(topic)[:1])
    assert response.status_code == 201, response.json
    assert stored_votes(topic) == (2, 2)


def test_ballots_cast_at_the_same_moment_go_in_one_call_each_with_its_own_answer(make_app, database_url,
                                                                                monkeypatch):
    """Threads of one process (gthread workers) voting together: while one ballot's call is out, the
    others wait and then go as one call of `linli_cast_ballots`; a second vote and a refusal in that
    batch are answered alone, the rest are counted."""
    if not database_url.startswith("postgresql"):
        pytest.skip("ballots are grouped on PostgreSQL (TEST_DATABASE_URL); SQLite has one writer at a time")
    held, release, batches = threading.Event(), threading.Event(), []
    cast_one, cast_many = casting._cast_one, casting._cast_many

    def first_one_held(item):
        if not held.is_set():
            held.set()
            release.wait(10)
        return cast_one(item)

    monkeypatch.setattr(casting, "_cast_one", first_one_held)
    monkeypatch.setattr(casting, "_cast_many", lambda items: batches.append(len(items)) or cast_many(items))
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 10, "max_overflow": 0})
    with app.app_context():
        world = make_world()
        first, *others = [resident(f"v{i}", world.grid(0)) for i in range(5)]
        unverified = resident("unverified", world.grid(0), verified=False)
        topic = make_topic(world, phase="voting")
        yes, no, _ = options(topic)
        url = f"/api/v1/topics/{topic.id}/ballots"
        answers = {}

        def vote(name, auth, choice):
            response = app.test_client().post(url, json={"option_ids": [choice]}, headers=auth)
            answers[name] = (response.status_code, (response.json or {}).get("reason"))

        leader = threading.Thread(target=vote, args=("first", headers(first), yes))
        leader.start()
        assert held.wait(10)
        auth = [headers(user) for user in others]
        rest = [("other0", auth[0], no), ("other0 again", auth[0], yes), ("other1", auth[1], yes),
                ("other2", auth[2], no), ("other3", auth[3], yes), ("unverified", headers(unverified), yes)]
        threads = [threading.Thread(target=vote, args=item) for item in rest]
        for thread in threads:
            thread.start()
        group = casting._cast_group(db.engine)
        deadline = time.monotonic() + 20
        while len(group._waiting) < len(rest):
            assert time.monotonic() < deadline, f"only {len(group._waiting)} ballots came to wait: {answers}"
            time.sleep(0.01)
        release.set()
        for thread in [leader, *threads]:
            thread.join(30)

        assert batches == [len(rest)]
        assert answers.pop("unverified") == (403, "not_verified")
        assert sorted([answers.pop("other0"), answers.pop("other0 again")]) == [(201, None), (409, "already_voted")]
        assert set(answers.values()) == {(201, None)} and len(answers) == 4
        db.session.expire_all()
        assert stored_votes(topic) == (5, 5)
        ballots.close_voting(topic.id, utcnow() + timedelta(days=4))
        db.session.commit()
        poll = db.session.get(Poll, topic.id)
        assert poll.cast_count == 5 and ballots.verify_chain(topic.id) == (5, poll.chain_hash, True)


def test_a_group_that_fails_as_a_whole_is_cast_one_by_one(app, database_url, monkeypatch):
    """A batch rolled back as a whole (a deadlock between two batches, say) committed nothing, so each
    of its ballots is sent alone."""
    if not database_url.startswith("postgresql"):
        pytest.skip("ballots are grouped on PostgreSQL (TEST_DATABASE_URL)")
    import psycopg

    from backend.core.direct import PreparedCall

    world = make_world()
    voters = [resident(f"w{i}", world.grid(0)) for i in range(3)]
    topic = make_topic(world, phase="voting")
    yes = options(topic)[0]
    real_run = PreparedCall.run

    def deadlocked(self, engine, params, ping_after):
        if self.name == casting.CAST_MANY_FUNCTION.encode():
            raise psycopg.errors.DeadlockDetected("deadlock detected")
        return real_run(self, engine, params, ping_after)

    monkeypatch.setattr(PreparedCall, "run", deadlocked)
    items = [(db.engine, {"topic_id": topic.id, "user_id": v.id, "now": utcnow(), "option_ids": [yes],
                          "choice_count": 1, "key": secrets.randbits(63), "receipt_hash": secrets.token_hex(32),
                          "choices": "sealed"}, 60.0)
             for v in voters]
    items.append((db.engine, {**items[0][1], "key": secrets.randbits(63), "receipt_hash": secrets.token_hex(32)},
                  60.0))
    outcomes = casting._cast_many(items)
    assert outcomes[:3] == [casting.Written(None)] * 3
    assert isinstance(outcomes[3], sa.exc.IntegrityError)  # the first voter's second ballot
    db.session.expire_all()
    assert stored_votes(topic) == (3, 3)


def test_the_receipt_answer_is_what_its_documented_schema_dumps(client):
    """The ballot route builds its answer directly (`core.api.json_response`): it must still be
    exactly what `ReceiptIssuedSchema`, which documents it, would give."""
    from backend.deliberations.schemas import ReceiptIssuedSchema

    world = make_world()
    alice = resident("alice", world.grid(0))
    topic = make_topic(world, phase="voting")
    response = cast(client, alice, topic, options(topic)[:1])
    assert response.status_code == 201 and response.mimetype == "application/json"
    assert response.json == ReceiptIssuedSchema().dump({"topic_id": topic.id, "receipt": response.json["receipt"]})
    assert list(response.json) == list(ReceiptIssuedSchema().fields)
