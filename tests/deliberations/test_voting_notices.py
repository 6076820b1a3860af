"""Telling voters that voting opened: every eligible voter (and the proposer and supporters) once, in
chunked jobs that enqueue each other, whether the committee or the scheduled job opened the vote."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from rq import SimpleWorker

from backend.accounts.models import HouseholdMember
from backend.core import jobs
from backend.core.db import utcnow
from backend.core.models import OutboxEntry
from backend.deliberations import ballots
from backend.deliberations.jobs import announce_voting
from backend.deliberations.models import Poll
from backend.extensions import db
from backend.grids.service import local_tz
from backend.notifications.models import Notification, OutgoingMessage
from backend.notifications.service import record_consents
from tests.deliberations.factories import (YES_NO, actor, count, headers, make_topic, make_world, resident,
                                           residents)

TITLE = "3 号楼加装电梯"
TEMPLATES = {"voting_opened": {"template_id": "tmpl-vote",
                               "fields": {"thing1": "title", "phrase2": "status", "time3": "time"}}}


def told(topic_id: int) -> dict[int, int]:
    """How many "voting opened" notifications of the topic each user has."""
    db.session.expire_all()
    return dict(db.session.execute(
        sa.select(Notification.user_id, sa.func.count(Notification.id))
        .where(Notification.kind == "voting_opened", Notification.subject_id == topic_id)
        .group_by(Notification.user_id)).all())


def announcements(topic_id: int) -> list[OutboxEntry]:
    """The chunk jobs of the topic, in the order they were queued."""
    db.session.expire_all()
    entries = db.session.scalars(sa.select(OutboxEntry).where(OutboxEntry.job.like("%:announce_voting"))
                                 .order_by(OutboxEntry.id))
    return [entry for entry in entries if entry.args[0] == topic_id]


def chain(people: set[int], size: int, topic_id: int) -> list[list[int]]:
    """The (topic, after user id) arguments of the chunks that tell `people`, `size` at a time."""
    ordered = sorted(people)
    return [[topic_id, 0]] + [[topic_id, ordered[i - 1]] for i in range(size, len(ordered) + 1, size)]


def test_every_eligible_voter_is_told_once_in_chunks_and_a_redelivered_chunk_changes_nothing(client):
    world = make_world()
    size = client.application.config["DELIBERATION_NOTICE_CHUNK"]
    voters = residents(2 * size + 50, world.grid(0))  # three chunks' worth
    outsiders = [resident("unverified", world.grid(0), verified=False), resident("other-grid", world.grid(1)),
                 resident("other-community", world.grid(2))]
    supporter = resident("supporter", world.grid(0))
    created = client.post("/api/v1/topics", json={"title": TITLE, "body": "是否同意使用维修基金加装电梯",
                                                  "community_id": world.community.id,
                                                  "grid_ids": [world.grid(0).id]}, headers=headers(world.committee))
    topic_id = created.json["id"]
    assert client.post(f"/api/v1/topics/{topic_id}/support", headers=headers(supporter)).status_code == 200
    # The supporter moves away before the vote: no longer on the roll, still told their topic is voting.
    db.session.execute(sa.delete(HouseholdMember).where(HouseholdMember.user_id == supporter.id))
    db.session.commit()

    closes = utcnow() + timedelta(days=2)
    opened = client.post(f"/api/v1/topics/{topic_id}/open-voting",
                         json={"closes_at": closes.isoformat(), "ballot": {"type": "yes_no_abstain"}},
                         headers=headers(world.committee))
    assert opened.status_code == 200 and opened.json["phase"] == "voting"
    assert opened.json["ballot"]["eligible"] == len(voters)
    late = resident("late", world.grid(0))  # verified after voting opened: not on the roll

    audience = {v.id for v in voters} | {world.committee.id, supporter.id}  # the committee proposed it
    assert told(topic_id) == {user_id: 1 for user_id in audience}
    assert not set(told(topic_id)) & {u.id for u in [*outsiders, late]}
    notice = db.session.scalar(sa.select(Notification).where(Notification.user_id == voters[-1].id))
    assert notice.title == "议题开始投票"
    assert notice.body == f"议题《{TITLE}》开始投票，截止 {closes.astimezone(local_tz()):%m月%d日 %H:%M}"
    assert notice.link == f"pages/topics/detail/detail?id={topic_id}"
    entries = announcements(topic_id)
    assert [e.args for e in entries] == chain(audience, size, topic_id) and len(entries) == 3
    assert all(e.done_at is not None for e in entries)

    # RQ delivers at least once: every chunk again, as if its "done" mark had been lost.
    before = (count(Notification), count(OutboxEntry))
    db.session.execute(sa.update(OutboxEntry).where(OutboxEntry.id.in_([e.id for e in entries]))
                       .values(done_at=None))
    db.session.commit()
    assert [jobs.run_outbox_entry(e.id) for e in entries] == ["done"] * 3
    jobs.drain()
    assert (count(Notification), count(OutboxEntry)) == before
    assert told(topic_id) == {user_id: 1 for user_id in audience}


def test_the_open_returns_before_anyone_is_told_and_rq_workers_tell_them(make_app, redis_url):
    app = make_app(REDIS_URL=redis_url, DELIBERATION_NOTICE_CHUNK=4)
    with app.app_context():
        client = app.test_client()
        world = make_world()
        voters = residents(8, world.grid(0))
        topic = make_topic(world, title=TITLE)
        opened = client.post(f"/api/v1/topics/{topic.id}/open-voting",
                             json={"closes_at": (utcnow() + timedelta(days=2)).isoformat(), "ballot": YES_NO},
                             headers=headers(world.committee))
        assert opened.status_code == 200 and opened.json["phase"] == "voting"
        assert told(topic.id) == {}  # the open did not wait for the notices
        queue = app.extensions["linli_queue"]
        assert [f"outbox-{e.id}" for e in announcements(topic.id)] == queue.job_ids
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
        audience = {v.id for v in voters} | {world.committee.id}
        assert told(topic.id) == {user_id: 1 for user_id in audience}
        # 9 people, 4 a chunk: 4 + 4 + 1, and the short chunk queues no other.
        entries = announcements(topic.id)
        assert [e.args for e in entries] == chain(audience, 4, topic.id) and len(entries) == 3
        # A chunk delivered again by RQ finds its work done.
        queue.enqueue("backend.core.jobs.run_outbox_entry", entries[1].id)
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
        assert told(topic.id) == {user_id: 1 for user_id in audience} and len(announcements(topic.id)) == 3


def test_voters_are_told_when_the_scheduled_job_opens_the_vote(app):
    world = make_world()
    voters = residents(3, world.grid(0))
    topic = make_topic(world, title=TITLE)
    ballots.open_voting(topic.id, actor(world.committee), utcnow() + timedelta(days=2),
                        opens_at=utcnow() + timedelta(hours=1), ballot=YES_NO)
    jobs.drain()
    assert told(topic.id) == {} and announcements(topic.id) == []  # not open yet
    # The opening time comes (the residents were verified well before it).
    db.session.execute(sa.update(HouseholdMember).values(verified_at=utcnow() - timedelta(days=1)))
    db.session.execute(sa.update(Poll).where(Poll.topic_id == topic.id).values(opens_at=utcnow()))
    [open_job] = db.session.scalars(sa.select(OutboxEntry).where(OutboxEntry.job.like("%:open_voting_when_due")))
    open_job.not_before = utcnow()
    db.session.commit()
    assert jobs.run_outbox_entry(open_job.id) == "done"
    jobs.drain()
    assert told(topic.id) == {user_id: 1 for user_id in {v.id for v in voters} | {world.committee.id}}


def test_a_chunk_after_the_close_tells_nobody(app):
    world = make_world()
    residents(3, world.grid(0))
    topic = make_topic(world, phase="closed")
    db.session.execute(sa.delete(Notification).where(Notification.kind == "voting_opened"))
    db.session.commit()
    announce_voting(topic.id, 0)  # a chunk delivered late, after voting ended
    db.session.commit()
    assert told(topic.id) == {} and len(announcements(topic.id)) == 1


def test_consenting_voters_get_a_subscribe_message(make_app, wechat_settings, fake_wechat):
    app = make_app(**wechat_settings, WECHAT_TEMPLATES=TEMPLATES)
    with app.app_context():
        world = make_world()
        alice, bob = resident("alice", world.grid(0)), resident("bob", world.grid(0))
        record_consents(alice.id, ["tmpl-vote"])
        topic = make_topic(world, title=TITLE)
        closes = utcnow() + timedelta(days=2)
        ballots.open_voting(topic.id, actor(world.committee), closes, ballot=YES_NO)
        jobs.drain()
        [sent] = fake_wechat.fake.sent_messages
        assert sent["touser"] == "alice" and sent["template_id"] == "tmpl-vote"
        assert sent["data"] == {"thing1": {"value": TITLE}, "phrase2": {"value": "投票中"},
                                "time3": {"value": f"{closes.astimezone(local_tz()):%Y-%m-%d %H:%M}"}}
        statuses = dict(db.session.execute(sa.select(OutgoingMessage.user_id, OutgoingMessage.status)).all())
        assert statuses == {alice.id: "sent", bob.id: "no_consent", world.committee.id: "no_consent"}


def test_a_chunk_delivered_twice_at_once_notifies_once_and_queues_one_successor(make_app):
    """PostgreSQL: the topic row lock makes the second copy wait for the first and then find its work done."""
    app = make_app(DELIBERATION_NOTICE_CHUNK=50, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 4, "max_overflow": 0})
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite has one writer; concurrent job runs need PostgreSQL")
        world = make_world()
        voters = residents(120, world.grid(0))
        topic = make_topic(world, title=TITLE)
        ballots.open_voting(topic.id, actor(world.committee), utcnow() + timedelta(days=2), ballot=YES_NO)
        jobs.drain()
        # Forget that anyone was told, and run the first chunk again, twice at once.
        db.session.execute(sa.delete(Notification).where(Notification.kind == "voting_opened"))
        db.session.execute(sa.delete(OutboxEntry).where(OutboxEntry.job.like("%:announce_voting")))
        db.session.commit()
        gate = threading.Barrier(2)

        def deliver():
            with app.app_context():
                gate.wait(timeout=10)
                announce_voting(topic.id, 0)
                db.session.commit()
                db.session.remove()

        threads = [threading.Thread(target=deliver) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        audience = sorted({v.id for v in voters} | {world.committee.id})
        assert told(topic.id) == {user_id: 1 for user_id in audience[:50]}
        assert [e.args for e in announcements(topic.id)] == [[topic.id, audience[49]]]
