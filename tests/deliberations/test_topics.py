"""Topics: proposing, review, supports and the agenda, every phase transition and every illegal one."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.core import jobs
from backend.core.db import utcnow
from backend.deliberations import models
from backend.deliberations.jobs import sweep_deliberations
from backend.deliberations.models import DeliberationSettings, Poll, Topic
from backend.extensions import db
from backend.media.models import MediaFile
from backend.notifications.models import Notification
from tests.deliberations.factories import (actor, count, headers, make_topic, make_world, pass_closing_time,
                                           resident)

TOPIC = {"title": "在 3 幢旁新建非机动车棚", "body": "电动车停放混乱，建议在 3 幢与 4 幢之间的空地建车棚。"}


def notifications(user, kind: str | None = None) -> list[Notification]:
    query = sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query))


def state(topic_id: int) -> dict:
    """Everything about a topic that a refused request must leave alone."""
    db.session.expire_all()
    topic = db.session.get(Topic, topic_id)
    row = {c.name: getattr(topic, c.key) for c in Topic.__table__.columns}
    poll = topic.poll
    row["poll"] = {c.name: getattr(poll, c.key) for c in Poll.__table__.columns} if poll else None
    row["counts"] = {t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t))
                     for t in db.metadata.sorted_tables if t.name in {
                         "topic_supports", "poll_options", "voters", "ballots", "notifications", "outbox",
                         "topic_comments"}}
    return row


# --- proposing and creating ---------------------------------------------------------------------

def test_a_verified_resident_proposes_and_the_committee_is_told(client):
    world = make_world()
    alice = resident("alice", world.grid(0))
    response = client.post("/api/v1/topics", json=TOPIC, headers=headers(alice))
    assert response.status_code == 201, response.json
    body = response.json
    assert body["phase"] == "pending_review" and body["origin"] == "resident"
    assert body["community_id"] == world.community.id and body["proposer"]["nickname"] == "alice"
    assert body["scope"] == {"whole_community": True, "grid_ids": [], "buildings": []}
    [notice] = notifications(world.committee, "topic_proposed")
    assert notice.link == "committee/pages/review/review"
    # Pending proposals are for the proposer and the committee only.
    neighbour = resident("neighbour", world.grid(1))
    assert client.get(f"/api/v1/topics/{body['id']}", headers=headers(neighbour)).status_code == 403
    assert client.get(f"/api/v1/topics/{body['id']}", headers=headers(world.committee)).status_code == 200


def test_unverified_and_outside_residents_cannot_propose(client):
    world = make_world()
    stranger = resident("stranger", world.grid(0), verified=False)
    response = client.post("/api/v1/topics", json=TOPIC, headers=headers(stranger))
    assert (response.status_code, response.json["reason"]) == (403, "not_verified")
    other = resident("other", world.grid(2))  # community 1
    response = client.post("/api/v1/topics", json={**TOPIC, "community_id": world.community.id},
                           headers=headers(other))
    assert (response.status_code, response.json["reason"]) == (403, "not_eligible")
    assert count(Topic) == 0


def test_the_committee_creates_straight_into_discussion(client):
    world = make_world()
    response = client.post("/api/v1/topics", json={**TOPIC, "community_id": world.community.id,
                                                   "grid_ids": [world.grid(0).id],
                                                   "buildings": [{"grid_id": world.grid(1).id, "building": "3 幢"}],
                                                   "ballot": {"type": "single", "options": ["东侧", "西侧"]}},
                           headers=headers(world.committee))
    assert response.status_code == 201, response.json
    body = response.json
    assert body["phase"] == "discussion" and body["origin"] == "committee" and body["on_agenda"] is True
    assert body["scope"] == {"whole_community": False, "grid_ids": [world.grid(0).id],
                             "buildings": [{"grid_id": world.grid(1).id, "building": "3 幢"}]}
    assert [o["label"] for o in body["ballot"]["options"]] == ["东侧", "西侧"]
    assert body["ballot"]["fixed"] is False and body["support_threshold"] == 20


def test_scope_and_ballot_are_validated(client):
    world = make_world()
    auth = headers(world.committee)
    base = {**TOPIC, "community_id": world.community.id}
    bad = [({"grid_ids": [world.grid(2).id]}, "invalid_scope"),  # a grid of another community
           ({"ballot": {"type": "single", "options": ["只有一个"]}}, "validation_error"),
           ({"ballot": {"type": "single", "options": ["甲", "甲"]}}, "validation_error"),
           ({"ballot": {"type": "multiple", "options": ["甲", "乙"], "max_choices": 3}}, "validation_error"),
           ({"ballot": {"type": "yes_no_abstain", "options": ["行", "不行"]}}, "validation_error"),
           ({"ballot": {"type": "yes_no_abstain", "quorum_percent": 101}}, "validation_error"),
           ({"title": "   "}, "validation_error"), ({"phase": "voting"}, "validation_error"),
           ({"community_id": "1"}, "validation_error")]
    for extra, reason in bad:
        response = client.post("/api/v1/topics", json={**base, **extra}, headers=auth)
        assert (response.status_code, response.json["reason"]) == (422, reason), extra
    assert count(Topic) == 0


def test_photos_are_attached_and_seen_with_the_topic(client, app):
    world = make_world()
    alice = resident("alice", world.grid(0))
    bob = resident("bob", world.grid(1))
    from backend.media.storage import new_key, storage_for

    key = new_key("jpg")
    storage_for(app).save(key, b"\xff\xd8 a photo")
    photo = MediaFile(owner_id=alice.id, storage_key=key, thumbnail_key="k1t.jpg", content_type="image/jpeg",
                      width=10, height=10, size=100, sha256="0" * 64)
    others = MediaFile(owner_id=bob.id, storage_key="k2.jpg", thumbnail_key="k2t.jpg", content_type="image/jpeg",
                       width=10, height=10, size=100, sha256="0" * 64)
    db.session.add_all([photo, others])
    db.session.commit()
    refused = client.post("/api/v1/topics", json={**TOPIC, "photo_ids": [others.id]}, headers=headers(alice))
    assert (refused.status_code, refused.json["reason"]) == (422, "invalid_photo")
    created = client.post("/api/v1/topics", json={**TOPIC, "photo_ids": [photo.id]}, headers=headers(alice))
    assert created.status_code == 201
    assert created.json["photos"][0]["url"] == f"/api/v1/media/{photo.id}"
    db.session.refresh(photo)
    assert (photo.attached_type, photo.attached_id) == ("topic", created.json["id"])
    # Pending: bob cannot see the topic, so not its photo (404, as for a photo that does not exist);
    # once approved he can.
    assert client.get(f"/api/v1/media/{photo.id}", headers=headers(bob)).status_code == 404
    client.post(f"/api/v1/topics/{created.json['id']}/approve", json={}, headers=headers(world.committee))
    assert client.get(f"/api/v1/media/{photo.id}", headers=headers(bob)).status_code == 200


def test_idempotency_key_replays_a_proposal(client):
    world = make_world()
    alice = resident("alice", world.grid(0))
    auth = {**headers(alice), "Idempotency-Key": "propose-1"}
    first = client.post("/api/v1/topics", json=TOPIC, headers=auth)
    again = client.post("/api/v1/topics", json=TOPIC, headers=auth)
    assert first.status_code == again.status_code == 201 and again.json["id"] == first.json["id"]
    assert count(Topic) == 1


# --- review ---------------------------------------------------------------------------------------

def test_approve_then_the_proposer_is_told(client):
    world = make_world()
    alice = resident("alice", world.grid(0))
    topic = make_topic(world, phase="pending_review", proposer=alice)
    response = client.post(f"/api/v1/topics/{topic.id}/approve", json={"ballot": {"type": "yes_no_abstain"}},
                           headers=headers(world.committee))
    assert response.status_code == 200, response.json
    assert response.json["phase"] == "discussion" and response.json["on_agenda"] is False
    assert [o["label"] for o in response.json["ballot"]["options"]] == ["赞成", "反对", "弃权"]
    [notice] = notifications(alice, "topic_approved")
    assert notice.link == f"pages/topics/detail/detail?id={topic.id}"


def test_reject_with_a_reason_the_proposer_sees(client):
    world = make_world()
    alice = resident("alice", world.grid(0))
    topic = make_topic(world, phase="pending_review", proposer=alice)
    short = client.post(f"/api/v1/topics/{topic.id}/reject", json={"reason": " "}, headers=headers(world.committee))
    assert short.status_code == 422
    response = client.post(f"/api/v1/topics/{topic.id}/reject", json={"reason": "与上周议题重复，请在原议题下讨论"},
                           headers=headers(world.committee))
    assert response.status_code == 200 and response.json["phase"] == "rejected"
    seen = client.get(f"/api/v1/topics/{topic.id}", headers=headers(alice)).json
    assert seen["rejection_reason"] == "与上周议题重复，请在原议题下讨论"
    assert notifications(alice, "topic_rejected")[0].body.endswith("与上周议题重复，请在原议题下讨论")


def test_only_the_committee_of_the_community_reviews(client):
    world = make_world()
    alice = resident("alice", world.grid(0))
    topic = make_topic(world, phase="pending_review", proposer=alice)
    for who in (alice, world.other_committee):
        response = client.post(f"/api/v1/topics/{topic.id}/approve", json={}, headers=headers(who))
        assert response.status_code == 403
    from tests.factories import make_user
    street = make_user("street", roles=(("street_admin", "street", world.geo.streets[0].id),))
    assert client.post(f"/api/v1/topics/{topic.id}/approve", json={}, headers=headers(street)).status_code == 200


def test_withdraw_by_the_proposer(client):
    world = make_world()
    alice = resident("alice", world.grid(0))
    bob = resident("bob", world.grid(0))
    topic = make_topic(world, phase="discussion", proposer=alice)
    assert client.post(f"/api/v1/topics/{topic.id}/withdraw", headers=headers(bob)).status_code == 403
    response = client.post(f"/api/v1/topics/{topic.id}/withdraw", headers=headers(alice))
    assert response.status_code == 200 and response.json["phase"] == "withdrawn"


# --- supports and the agenda ----------------------------------------------------------------------

def test_supports_reach_the_threshold_and_the_committee_is_told(client):
    world = make_world()
    db.session.add(DeliberationSettings(community_id=world.community.id, support_count=2, response_days=7,
                                        updated_at=utcnow()))
    db.session.commit()
    alice, bob, carol = (resident(n, world.grid(0)) for n in ("alice", "bob", "carol"))
    topic = make_topic(world, proposer=alice)
    assert topic.support_threshold == 2 and topic.on_agenda_at is None
    first = client.post(f"/api/v1/topics/{topic.id}/support", headers=headers(bob))
    assert first.status_code == 200 and first.json["support_count"] == 1 and first.json["on_agenda"] is False
    assert first.json["viewer"]["supported"] is True and first.json["viewer"]["can_support"] is False
    again = client.post(f"/api/v1/topics/{topic.id}/support", headers=headers(bob))
    assert (again.status_code, again.json["reason"]) == (409, "already_supported")
    own = client.post(f"/api/v1/topics/{topic.id}/support", headers=headers(alice))
    assert (own.status_code, own.json["reason"]) == (409, "own_topic")
    second = client.post(f"/api/v1/topics/{topic.id}/support", headers=headers(carol))
    assert second.json["support_count"] == 2 and second.json["on_agenda"] is True
    [notice] = notifications(world.committee, "topic_on_agenda")
    assert notice.link == f"committee/pages/topic/topic?id={topic.id}"
    assert len(notifications(alice, "topic_on_agenda")) == 1


def test_threshold_as_a_share_of_households(client):
    world = make_world()
    client.put(f"/api/v1/communities/{world.community.id}/deliberation-settings",
               json={"support_count": None, "support_percent": 50}, headers=headers(world.committee))
    people = [resident(f"p{i}", world.grid(i % 2)) for i in range(5)]  # five households
    topic = make_topic(world, proposer=people[0])
    assert topic.support_threshold == 3  # ⌈50 % of 5⌉


def test_support_eligibility(client):
    world = make_world()
    alice = resident("alice", world.grid(0))
    topic = make_topic(world, proposer=alice)
    unverified = resident("unverified", world.grid(0), verified=False)
    response = client.post(f"/api/v1/topics/{topic.id}/support", headers=headers(unverified))
    assert (response.status_code, response.json["reason"]) == (403, "not_verified")
    outsider = resident("outsider", world.grid(2))
    assert client.post(f"/api/v1/topics/{topic.id}/support", headers=headers(outsider)).status_code == 403
    # A topic scoped to grid 0: a resident of grid 1 (same community) sees it but is out of scope.
    scoped = client.post("/api/v1/topics", json={**TOPIC, "community_id": world.community.id,
                                                 "grid_ids": [world.grid(0).id]}, headers=headers(world.committee))
    neighbour = resident("neighbour", world.grid(1))
    response = client.post(f"/api/v1/topics/{scoped.json['id']}/support", headers=headers(neighbour))
    assert (response.status_code, response.json["reason"]) == (403, "not_eligible")
    assert count(models.TopicSupport) == 0


def test_settings_endpoint(client):
    world = make_world()
    url = f"/api/v1/communities/{world.community.id}/deliberation-settings"
    assert client.get(url, headers=headers(world.committee)).json == {
        "community_id": world.community.id, "support_count": 20, "support_percent": None, "response_days": 15}
    assert client.get(url, headers=headers(world.other_committee)).status_code == 403
    none = client.put(url, json={"support_count": None}, headers=headers(world.committee))
    assert (none.status_code, none.json["reason"]) == (422, "threshold_missing")
    changed = client.put(url, json={"support_percent": 5, "response_days": 10}, headers=headers(world.committee))
    assert changed.json == {"community_id": world.community.id, "support_count": 20, "support_percent": 5,
                            "response_days": 10}


# --- voting phases and the response -------------------------------------------------------------

def test_open_close_and_respond(client):
    world = make_world()
    alice = resident("alice", world.grid(0))
    bob = resident("bob", world.grid(0))
    topic = make_topic(world, proposer=alice)
    client.post(f"/api/v1/topics/{topic.id}/support", headers=headers(bob))
    closes = utcnow() + timedelta(days=2)
    opened = client.post(f"/api/v1/topics/{topic.id}/open-voting",
                         json={"closes_at": closes.isoformat(), "ballot": {"type": "yes_no_abstain"}},
                         headers=headers(world.committee))
    assert opened.status_code == 200, opened.json
    assert opened.json["phase"] == "voting" and opened.json["ballot"]["fixed"] is True
    assert opened.json["ballot"]["eligible"] == 2
    assert {n.kind for n in notifications(bob)} >= {"voting_opened"}
    early = client.post(f"/api/v1/topics/{topic.id}/close", headers=headers(world.committee))
    assert (early.status_code, early.json["reason"]) == (409, "voting_still_open")

    pass_closing_time(topic)
    jobs.run_outbox_entry(_close_job(topic.id))  # the scheduled close job, as RQ would run it at closes_at
    db.session.expire_all()
    closed = db.session.get(Topic, topic.id)
    assert closed.phase == "closed" and closed.poll.tallied_at is not None and closed.response_due_at
    assert notifications(bob, "topic_closed") and notifications(world.committee, "topic_closed")

    answer = client.post(f"/api/v1/topics/{topic.id}/respond", json={"response": "已确定车棚选址，下月开工。"},
                         headers=headers(world.committee))
    assert answer.status_code == 200 and answer.json["response"]["text"] == "已确定车棚选址，下月开工。"
    assert answer.json["response"]["overdue"] is False
    assert notifications(bob, "topic_responded")
    twice = client.post(f"/api/v1/topics/{topic.id}/respond", json={"response": "再说一次"},
                        headers=headers(world.committee))
    assert (twice.status_code, twice.json["reason"]) == (409, "invalid_transition")


def _close_job(topic_id: int) -> int:
    from backend.core.models import OutboxEntry

    jobs_ = db.session.scalars(sa.select(OutboxEntry).where(OutboxEntry.job.like("%close_voting_when_due")))
    [entry] = [e for e in jobs_ if e.args == [topic_id]]
    # The job was scheduled for closes_at; the test moved closes_at into the past, so move the entry too.
    entry.not_before = utcnow() - timedelta(seconds=1)
    db.session.commit()
    return entry.id


def test_scheduled_opening_by_job_and_by_sweep(client):
    world = make_world()
    alice = resident("alice", world.grid(0))
    first, second = make_topic(world, title="议题一"), make_topic(world, title="议题二")
    for topic in (first, second):
        response = client.post(f"/api/v1/topics/{topic.id}/open-voting",
                               json={"opens_at": (utcnow() + timedelta(hours=1)).isoformat(),
                                     "closes_at": (utcnow() + timedelta(days=1)).isoformat(),
                                     "ballot": {"type": "yes_no_abstain"}}, headers=headers(world.committee))
        assert response.json["phase"] == "discussion" and response.json["ballot"]["fixed"] is True
    early = client.post(f"/api/v1/topics/{first.id}/ballots", json={"option_ids": [first.poll.options[0].id]},
                        headers=headers(alice))
    assert (early.status_code, early.json["reason"]) == (409, "voting_not_open")
    withdraw = client.post(f"/api/v1/topics/{first.id}/withdraw", headers=headers(world.committee))
    assert (withdraw.status_code, withdraw.json["reason"]) == (409, "invalid_transition")
    db.session.execute(sa.update(Poll).values(opens_at=utcnow()))  # the opening time has come
    db.session.commit()
    from backend.deliberations.jobs import open_voting_when_due
    open_voting_when_due(first.id)  # the job at opens_at
    db.session.commit()
    assert sweep_deliberations() == 1  # the backstop opens the other one
    db.session.expire_all()
    assert [db.session.get(Topic, t.id).phase for t in (first, second)] == ["voting", "voting"]
    assert db.session.get(Topic, first.id).poll.eligible_count == 1
    jobs.drain()  # the worker tells the voters (the sweeper's own run ends the same way)
    assert sorted(n.subject_id for n in notifications(alice, "voting_opened")) == [first.id, second.id]


def test_reading_a_topic_catches_up_with_a_late_close(client):
    world = make_world()
    bob = resident("bob", world.grid(0))
    topic = make_topic(world, phase="voting")
    pass_closing_time(topic)
    seen = client.get(f"/api/v1/topics/{topic.id}", headers=headers(bob)).json
    assert seen["phase"] == "closed" and seen["result"]["final"] is True
    listed = client.get("/api/v1/topics?phase=voting", headers=headers(bob)).json
    assert listed == []


def test_committee_closes_a_discussion_without_a_vote(client):
    world = make_world()
    topic = make_topic(world)
    response = client.post(f"/api/v1/topics/{topic.id}/close", headers=headers(world.committee))
    assert response.status_code == 200 and response.json["phase"] == "closed"
    assert response.json["ballot"] is None and response.json["response"]["due_at"]
    results = client.get(f"/api/v1/topics/{topic.id}/results", headers=headers(world.committee))
    assert (results.status_code, results.json["reason"]) == (409, "no_vote")


def test_overdue_responses_show_and_the_committee_is_told_once(client):
    world = make_world()
    bob = resident("bob", world.grid(0))
    topic = make_topic(world, phase="closed")
    db.session.execute(sa.update(Topic).values(response_due_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    seen = client.get(f"/api/v1/topics/{topic.id}", headers=headers(bob)).json
    assert seen["response_overdue"] is True and seen["response"]["overdue"] is True
    dashboard = client.get("/api/v1/topics?overdue=true", headers=headers(world.committee)).json
    assert [t["id"] for t in dashboard] == [topic.id]
    sweep_deliberations()
    sweep_deliberations()
    [notice] = notifications(world.committee, "response_overdue")
    assert notice.link == f"committee/pages/topic/topic?id={topic.id}"


def test_lists_show_what_each_person_may_see(client):
    world = make_world()
    alice = resident("alice", world.grid(0))
    other = resident("other", world.grid(2))
    mine = make_topic(world, phase="pending_review", proposer=alice, title="我的提议")
    public = make_topic(world, title="公开议题")
    theirs = make_topic(world, title="别的社区")
    theirs.community_id, theirs.proposer_id = world.geo.communities[1].id, world.other_committee.id
    db.session.commit()
    ids = lambda who, q="": [t["id"] for t in client.get(f"/api/v1/topics{q}", headers=headers(who)).json]
    assert ids(alice) == [public.id, mine.id]
    assert ids(alice, "?view=mine") == [mine.id]
    assert ids(alice, "?phase=discussion") == [public.id]
    assert ids(other) == [theirs.id]
    assert ids(world.committee) == [public.id, mine.id]
    assert client.get(f"/api/v1/topics/{theirs.id}", headers=headers(alice)).status_code == 403


# --- every illegal transition ---------------------------------------------------------------------

ACTIONS = {
    "approve": {}, "reject": {"reason": "不符合议事范围"}, "withdraw": None,
    "open-voting": {"closes_at": (utcnow() + timedelta(days=30)).isoformat(), "ballot": {"type": "yes_no_abstain"}},
    "close": None, "respond": {"response": "已处理"}, "support": None,
}
LEGAL = {("pending_review", "approve"), ("pending_review", "reject"), ("pending_review", "withdraw"),
         ("discussion", "withdraw"), ("discussion", "open-voting"), ("discussion", "close"),
         ("discussion", "support"), ("closed", "respond")}
PHASES = ("pending_review", "discussion", "voting", "closed", "rejected", "withdrawn")


def topic_in(world, phase: str, proposer):
    if phase == "rejected":
        topic = make_topic(world, phase="pending_review", proposer=proposer)
        from backend.deliberations import service
        service.reject(topic.id, actor(world.committee), "不符合")
        return topic
    return make_topic(world, phase=phase, proposer=proposer)


@pytest.mark.parametrize("phase", PHASES)
def test_every_illegal_transition_is_409_and_changes_nothing(client, phase):
    world = make_world()
    alice = resident("alice", world.grid(0))
    topic = topic_in(world, phase, alice)
    resident("bob", world.grid(0))  # on the roll of voting topics
    for action, body in ACTIONS.items():
        if (phase, action) in LEGAL:
            continue
        before = state(topic.id)
        who = alice if action == "support" else world.committee  # the phase is checked before anything else
        response = client.post(f"/api/v1/topics/{topic.id}/{action}", json=body, headers=headers(who))
        expected = "voting_still_open" if (phase, action) == ("voting", "close") else "invalid_transition"
        assert (response.status_code, response.json["reason"]) == (409, expected), (phase, action, response.json)
        assert response.json["message"]
        assert state(topic.id) == before, (phase, action)


@pytest.mark.parametrize("phase, action", sorted(LEGAL))
def test_every_legal_transition(client, phase, action):
    world = make_world()
    alice = resident("alice", world.grid(0))
    bob = resident("bob", world.grid(0))
    topic = topic_in(world, phase, alice)
    who = bob if action == "support" else world.committee
    response = client.post(f"/api/v1/topics/{topic.id}/{action}", json=ACTIONS[action], headers=headers(who))
    assert response.status_code == 200, (phase, action, response.json)
    expected = {"approve": "discussion", "reject": "rejected", "withdraw": "withdrawn", "open-voting": "voting",
                "close": "closed", "respond": "closed", "support": "discussion"}[action]
    assert response.json["phase"] == expected
