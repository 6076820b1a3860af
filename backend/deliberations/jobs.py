"""Background work of deliberations: opening and closing votes on time, telling voters, and the sweep behind it."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from backend.core.db import utcnow
from backend.core.jobs import enqueue, job, periodic
from backend.deliberations import ballots, notices, service
from backend.deliberations.models import Topic
from backend.extensions import db


@job
def open_voting_when_due(topic_id: int) -> None:
    """Open a scheduled vote at its opening time (returns early if it is open already or not yet due)."""
    ballots.advance(topic_id)


@job
def close_voting_when_due(topic_id: int) -> None:
    """Close a vote at its closing time and tally it (returns early if it is closed already)."""
    ballots.advance(topic_id)


@job
def announce_voting(topic_id: int, after_user_id: int = 0) -> None:
    """Tell the next chunk of the topic's voters (user ids after `after_user_id`) that voting opened,
    then queue the chunk after it, so thousands of residents are told in short jobs, not one long one.

    The topic row is locked first, so a chunk delivered twice at once runs once after the other; the
    second finds everyone told, and returns without queuing the next chunk again.
    """
    topic = db.session.scalar(sa.select(Topic).where(Topic.id == topic_id).with_for_update(key_share=True))
    if topic is None or topic.phase != "voting" or topic.poll.closes_at <= utcnow():
        return
    size = current_app.config["DELIBERATION_NOTICE_CHUNK"]
    people = notices.voting_audience(topic, after_user_id, size)
    if notices.voting_opened(topic, people) and len(people) == size:
        enqueue(announce_voting, topic_id, people[-1])


@periodic("deliberations")
def sweep_deliberations(now: datetime | None = None) -> int:
    """Backstop for late or lost jobs: open and close due votes, then tell committees of overdue responses."""
    moved = ballots.sweep_due(now)
    service.notify_overdue_responses(now)
    db.session.commit()
    return moved
