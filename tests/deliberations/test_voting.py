"""Voting: eligibility, one vote per person or household, choices, hidden counts, quorum and pass rules."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.core.db import utcnow
from backend.deliberations import ballots
from backend.deliberations.models import Poll, PollOption, Topic
from backend.extensions import db
from backend.notifications.models import Notification
from tests.deliberations.factories import (ballot_spec, cast, count, headers, make_topic, make_world, open_vote,
                                           options, pass_closing_time, resident, stored_votes)
from tests.factories import make_household


def close(topic: Topic) -> Topic:
    pass_closing_time(topic)
    assert ballots.close_voting(topic.id)
    db.session.commit()
    db.session.expire_all()
    return db.session.get(Topic, topic.id)


# --- eligibility ----------------------------------------------------------------------------------

def test_eligibility(client):
    world = make_world()
    voter = resident("voter", world.grid(0), building="3 幢")
    unverified = resident("unverified", world.grid(0), verified=False)
    other_building = resident("other-building", world.grid(0), building="5 幢")
    other_grid = resident("other-grid", world.grid(1))
    other_community = resident("other-community", world.grid(2))
    created = client.post("/api/v1/topics", json={
        "title": "3 幢加装电梯", "body": "3 幢加装电梯方案表决", "community_id": world.community.id,
        "buildings": [{"grid_id": world.grid(0).id, "building": "3 幢"}]}, headers=headers(world.committee))
    topic = db.session.get(Topic, created.json["id"])
    open_vote(world, topic)
    late = resident("late", world.grid(0), building="3 幢")  # verified after voting opened
    yes = options(topic)[0]

    expected = {unverified: (403, "not_verified"), other_building: (403, "not_eligible"),
                other_grid: (403, "not_eligible"), other_community: (403, "forbidden"),
                late: (403, "not_eligible"), world.committee: (403, "not_verified")}
    for user, (status, reason) in expected.items():
        response = cast(client, user, topic, [yes])
        assert (response.status_code, response.json.get("reason")) == (status, reason), user.openid
        assert response.json["message"]
    assert stored_votes(topic) == (0, 0)
    assert cast(client, voter, topic, [yes]).status_code == 201
    assert db.session.get(Poll, topic.id).eligible_count == 1  # the roll at opening: only `voter`
    seen = client.get(f"/api/v1/topics/{topic.id}", headers=headers(other_grid)).json
    assert seen["viewer"]["can_vote"] is False and seen["viewer"]["vote_refusal"] == "not_eligible"


def test_one_vote_per_person(client):
    world = make_world()
    alice = resident("alice", world.grid(0))
    topic = make_topic(world, phase="voting")
    yes, no, _ = options(topic)
    first = cast(client, alice, topic, [yes])
    assert first.status_code == 201 and set(first.json) == {"topic_id", "receipt"}
    again = cast(client, alice, topic, [no])
    assert (again.status_code, again.json["reason"]) == (409, "already_voted")
    assert stored_votes(topic) == (1, 1)
    viewer = client.get(f"/api/v1/topics/{topic.id}", headers=headers(alice)).json["viewer"]
    assert viewer["voted"] is True and viewer["can_vote"] is False and viewer["vote_refusal"] == "already_voted"


def test_one_vote_per_household_and_the_others_are_told(client):
    world = make_world()
    home = make_household(world.grid(0), "长桥新村 9 幢 301")
    father = resident("father", world.grid(0), household=home)
    mother = resident("mother", world.grid(0), household=home)
    neighbour = resident("neighbour", world.grid(0))
    topic = make_topic(world)
    open_vote(world, topic, ballot_spec(per="household"))
    assert db.session.get(Poll, topic.id).eligible_count == 2  # households, not people
    yes = options(topic)[0]
    assert cast(client, father, topic, [yes]).status_code == 201
    second = cast(client, mother, topic, [yes])
    assert (second.status_code, second.json["reason"]) == (409, "household_already_voted")
    assert "每户一票" in second.json["message"]
    [told] = db.session.scalars(sa.select(Notification).where(Notification.user_id == mother.id,
                                                              Notification.kind == "household_voted")).all()
    assert told.link == f"pages/topics/detail/detail?id={topic.id}"
    assert not db.session.scalar(sa.select(Notification.id).where(Notification.user_id == father.id,
                                                                  Notification.kind == "household_voted"))
    viewer = client.get(f"/api/v1/topics/{topic.id}", headers=headers(mother)).json["viewer"]
    assert viewer["voted"] is False and viewer["household_voted"] is True and viewer["can_vote"] is False
    assert cast(client, neighbour, topic, [yes]).status_code == 201
    assert stored_votes(topic) == (2, 2)


def test_choices_are_checked(client):
    world = make_world()
    alice = resident("alice", world.grid(0))
    topic = make_topic(world)
    open_vote(world, topic, ballot_spec(type="multiple", options=["路灯", "座椅", "监控", "绿化"], max_choices=2))
    a, b, c, _ = options(topic)
    foreign = make_topic(world, phase="voting", title="另一个议题")
    for bad in ([], [a, b, c], [a, a], [options(foreign)[0]], [999999]):
        response = cast(client, alice, topic, bad)
        assert response.status_code == 422, bad
    for bad in (["1"], [1.5], None, [0]):
        assert client.post(f"/api/v1/topics/{topic.id}/ballots", json={"option_ids": bad},
                           headers=headers(alice)).status_code == 422
    assert stored_votes(topic) == (0, 0)
    accepted = cast(client, alice, topic, [c, a])
    assert accepted.status_code == 201
    checked = client.get(f"/api/v1/topics/{topic.id}/receipts/{accepted.json['receipt']}", headers=headers(alice))
    assert [choice["id"] for choice in checked.json["choices"]] == sorted([a, c])


def test_settings_cannot_change_once_voting_opened(client):
    world = make_world()
    topic = make_topic(world, phase="voting")
    again = client.post(f"/api/v1/topics/{topic.id}/open-voting",
                        json={"closes_at": (utcnow() + timedelta(days=9)).isoformat(),
                              "ballot": {"type": "single", "options": ["甲", "乙"]}},
                        headers=headers(world.committee))
    assert (again.status_code, again.json["reason"]) == (409, "invalid_transition")
    assert count(PollOption) == 3 and db.session.get(Poll, topic.id).ballot_type == "yes_no_abstain"


def test_voting_window_is_checked(client):
    world = make_world()
    topic = make_topic(world, ballot=ballot_spec())
    for closes in (utcnow() - timedelta(hours=1), utcnow() + timedelta(minutes=5), utcnow() + timedelta(days=91)):
        response = client.post(f"/api/v1/topics/{topic.id}/open-voting", json={"closes_at": closes.isoformat()},
                               headers=headers(world.committee))
        assert (response.status_code, response.json["reason"]) == (422, "invalid_voting_window")
    naive = client.post(f"/api/v1/topics/{topic.id}/open-voting", json={"closes_at": "2030-01-01T00:00:00"},
                        headers=headers(world.committee))
    assert naive.status_code == 422
    no_ballot = make_topic(world, title="没有投票设置")
    response = client.post(f"/api/v1/topics/{no_ballot.id}/open-voting",
                           json={"closes_at": (utcnow() + timedelta(days=1)).isoformat()},
                           headers=headers(world.committee))
    assert (response.status_code, response.json["reason"]) == (422, "ballot_missing")
    assert db.session.get(Poll, topic.id).fixed_at is None


@pytest.mark.parametrize("setting, told", [(600, "不少于 10 分钟、不超过 90 天"), (30, "不少于 30 秒、不超过 90 天"),
                                           (90, "不少于 90 秒、不超过 90 天")])
def test_the_voting_window_refusal_names_the_configured_minimum(make_app, setting, told):
    app = make_app(DELIBERATION_MIN_VOTING_WINDOW=setting)
    with app.app_context():
        world = make_world()
        topic = make_topic(world, ballot=ballot_spec())
        too_short = utcnow() + timedelta(seconds=setting - 5)
        response = app.test_client().post(f"/api/v1/topics/{topic.id}/open-voting",
                                          json={"closes_at": too_short.isoformat()}, headers=headers(world.committee))
        assert (response.status_code, response.json["reason"]) == (422, "invalid_voting_window")
        assert told in response.json["message"]


def test_a_ballot_after_the_closing_time_is_refused_before_the_close_job_runs(client):
    world = make_world()
    alice = resident("alice", world.grid(0))
    topic = make_topic(world, phase="voting")
    pass_closing_time(topic, by=timedelta(milliseconds=1))
    response = cast(client, alice, topic, [options(topic)[0]])
    assert (response.status_code, response.json["reason"]) == (409, "voting_closed")
    assert stored_votes(topic) == (0, 0)
    assert db.session.get(Topic, topic.id).phase == "voting"  # the job has not run; nothing was written


# --- counts ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("hidden", [True, False])
def test_counts_hidden_until_close_when_the_topic_says_so(client, hidden):
    world = make_world()
    voters = [resident(f"v{i}", world.grid(0)) for i in range(3)]
    topic = make_topic(world)
    open_vote(world, topic, ballot_spec(hide_counts_until_close=hidden))
    yes, no, _ = options(topic)
    for user, choice in zip(voters, (yes, yes, no)):
        assert cast(client, user, topic, [choice]).status_code == 201
    detail = client.get(f"/api/v1/topics/{topic.id}", headers=headers(voters[0])).json
    results = client.get(f"/api/v1/topics/{topic.id}/results", headers=headers(voters[0])).json
    committee = client.get(f"/api/v1/topics/{topic.id}/results", headers=headers(world.committee)).json
    assert detail["ballot"]["cast"] == 3 and results["cast"] == 3 and results["final"] is False
    live = [o["count"] for o in results["options"]]
    if hidden:
        assert detail["ballot"]["counts_visible"] is False and results["counts_hidden"] is True
        assert [o["count"] for o in detail["ballot"]["options"]] == [None] * 3
        assert live == [None] * 3 and [o["count"] for o in committee["options"]] == [None] * 3
        assert all(o["percent"] is None for o in results["options"]) and results["outcome"] is None
    else:
        assert live == [2, 1, 0] and [o["count"] for o in detail["ballot"]["options"]] == [2, 1, 0]
    close(topic)
    after = client.get(f"/api/v1/topics/{topic.id}/results", headers=headers(voters[0])).json
    assert after["counts_hidden"] is False and [o["count"] for o in after["options"]] == [2, 1, 0]
    assert [o["percent"] for o in after["options"]] == [66.7, 33.3, 0.0]


# --- quorum and pass rules -----------------------------------------------------------------------

def tally(client, world, spec, votes: list[int | list[int]], eligible: int, prefix: str = "e") -> dict:
    """Open a vote for `eligible` residents, cast `votes` (option positions), close, return the results."""
    people = [resident(f"{prefix}{i}", world.grid(0)) for i in range(eligible)]
    topic = make_topic(world)
    open_vote(world, topic, spec)
    ids = options(topic)
    for person, vote in zip(people, votes):
        chosen = [ids[i] for i in (vote if isinstance(vote, list) else [vote])]
        assert cast(client, person, topic, chosen).status_code == 201
    close(topic)
    return client.get(f"/api/v1/topics/{topic.id}/results", headers=headers(world.committee)).json


YES, NO, ABSTAIN = 0, 1, 2
RULE_CASES = [
    # (pass rule, quorum %, votes, eligible, outcome)
    ("majority_cast", 0, [YES, YES, NO], 10, "passed"),
    ("majority_cast", 0, [YES, NO], 10, "rejected"),                       # a tie is not a majority
    ("majority_cast", 0, [YES, YES, ABSTAIN, ABSTAIN], 10, "rejected"),    # abstentions are cast ballots
    ("two_thirds_cast", 0, [YES, YES, NO], 10, "passed"),                  # exactly two thirds
    ("two_thirds_cast", 0, [YES, YES, NO, NO], 10, "rejected"),
    ("majority_eligible", 0, [YES, YES, YES, YES, YES], 10, "rejected"),   # 5 of 10 is not a majority
    ("majority_eligible", 0, [YES] * 6, 10, "passed"),
    ("majority_cast", 50, [YES, YES, YES, YES], 10, "no_quorum"),          # 40 % turnout < 50 %
    ("majority_cast", 50, [YES, YES, YES, NO, ABSTAIN], 10, "passed"),     # exactly 50 %
]


@pytest.mark.parametrize("rule, quorum, votes, eligible, outcome", RULE_CASES)
def test_quorum_and_pass_rules(client, rule, quorum, votes, eligible, outcome):
    world = make_world()
    results = tally(client, world, ballot_spec(pass_rule=rule, quorum_percent=quorum), votes, eligible)
    assert results["outcome"] == outcome
    assert results["quorum_met"] is (outcome != "no_quorum")
    assert results["eligible"] == eligible and results["cast"] == len(votes)
    assert results["turnout_percent"] == round(len(votes) * 100 / eligible, 1)
    assert [o["count"] for o in results["options"]] == [votes.count(i) for i in range(3)]
    assert results["options"][0]["winner"] is (outcome == "passed")


def test_choice_ballots_name_their_winners(client):
    world = make_world()
    spec = ballot_spec(type="multiple", options=["路灯", "座椅", "监控"], max_choices=2)
    results = tally(client, world, spec, [[0, 1], [0, 2], [0], [1]], eligible=4)
    assert [o["count"] for o in results["options"]] == [3, 2, 1]
    assert [o["winner"] for o in results["options"]] == [True, False, False]  # 2 of 4 is not > half
    assert results["outcome"] == "passed" and results["ballots_counted"] == 4
    assert results["eligible"] == 4
    single = ballot_spec(type="single", options=["东侧", "西侧", "北侧"])
    results = tally(client, world, single, [0, 1, 2], eligible=3, prefix="s")
    assert results["outcome"] == "rejected" and not any(o["winner"] for o in results["options"])


def test_decide_counts_abstentions_as_cast():
    poll = Poll(ballot_type="yes_no_abstain", quorum_percent=0, pass_rule="majority_cast")
    poll.options = [PollOption(id=1, position=0, label="赞成"), PollOption(id=2, position=1, label="反对"),
                    PollOption(id=3, position=2, label="弃权")]
    assert ballots.decide(poll, Counter({1: 3, 3: 3}), 6, 10).outcome == "rejected"
    assert ballots.decide(poll, Counter({1: 4, 3: 3}), 7, 10).outcome == "passed"
    assert ballots.decide(poll, Counter(), 0, 0).outcome == "rejected"  # nobody eligible, nobody voted


def test_results_before_voting_opens(client):
    world = make_world()
    topic = make_topic(world, ballot=ballot_spec())
    response = client.get(f"/api/v1/topics/{topic.id}/results", headers=headers(world.committee))
    assert (response.status_code, response.json["reason"]) == (409, "no_vote")
    listed = client.get(f"/api/v1/topics/{topic.id}/ballots", headers=headers(world.committee))
    assert (listed.status_code, listed.json["reason"]) == (409, "results_not_final")
