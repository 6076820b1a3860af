"""Opening and closing on time: scheduled jobs through RQ, the outbox in-process, and their idempotence."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from rq.registry import ScheduledJobRegistry

from backend.core import jobs
from backend.core.db import utcnow
from backend.core.models import OutboxEntry
from backend.deliberations.jobs import close_voting_when_due
from backend.deliberations.models import Poll, Topic
from backend.extensions import db
from backend.notifications.models import Notification
from tests.deliberations.factories import YES_NO, actor, make_topic, make_world, pass_closing_time


def deliberation_jobs() -> dict[str, OutboxEntry]:
    entries = db.session.scalars(sa.select(OutboxEntry).where(OutboxEntry.job.like("backend.deliberations.%")))
    return {entry.job.rsplit(":", 1)[1]: entry for entry in entries}


def test_opening_later_schedules_both_jobs_in_rq(make_app, redis_url):
    app = make_app(REDIS_URL=redis_url)
    with app.app_context():
        from backend.deliberations import ballots

        world = make_world()
        topic = make_topic(world)
        opens, closes = utcnow() + timedelta(hours=2), utcnow() + timedelta(days=2)
        ballots.open_voting(topic.id, actor(world.committee), closes, opens_at=opens, ballot=YES_NO)
        queue = app.extensions["linli_queue"]
        scheduled = ScheduledJobRegistry(queue=queue)
        entries = deliberation_jobs()
        assert set(entries) == {"open_voting_when_due", "close_voting_when_due"}
        for name, when in (("open_voting_when_due", opens), ("close_voting_when_due", closes)):
            job_id = f"outbox-{entries[name].id}"
            assert job_id in scheduled.get_job_ids()
            assert abs(scheduled.get_scheduled_time(job_id).timestamp() - when.timestamp()) < 2
        assert queue.count == 0  # nothing runs before its time


def test_the_close_job_runs_from_the_outbox_once_due_and_twice_changes_nothing(app):
    world = make_world()
    topic = make_topic(world, phase="voting")
    close_entry = deliberation_jobs()["close_voting_when_due"]
    assert jobs.run_outbox_entry(close_entry.id) == "not yet"
    pass_closing_time(topic)
    db.session.execute(sa.update(OutboxEntry).where(OutboxEntry.id == close_entry.id)
                       .values(not_before=utcnow() - timedelta(minutes=1), created_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    assert jobs.sweep_outbox() >= 1  # the in-process sweeper dispatches delayed work once it is due
    jobs.drain()
    db.session.expire_all()
    closed = db.session.get(Topic, topic.id)
    assert closed.phase == "closed" and closed.poll.tallied_at is not None
    first_tally = (closed.poll.tallied_at, closed.poll.chain_hash)
    close_voting_when_due(topic.id)  # delivered again (RQ is at least once): returns early
    db.session.commit()
    db.session.expire_all()
    poll = db.session.get(Poll, topic.id)
    assert (poll.tallied_at, poll.chain_hash) == first_tally
    assert db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == world.committee.id, Notification.kind == "topic_closed")) == 1
