"""Background work of deliberations: opening and closing votes on time, and the sweep behind it."""
from __future__ import annotations

from datetime import datetime

from backend.core.jobs import job, periodic
from backend.deliberations import ballots, service
from backend.extensions import db


@job
def open_voting_when_due(topic_id: int) -> None:
    """Open a scheduled vote at its opening time (returns early if it is open already or not yet due)."""
    ballots.advance(topic_id)


@job
def close_voting_when_due(topic_id: int) -> None:
    """Close a vote at its closing time and tally it (returns early if it is closed already)."""
    ballots.advance(topic_id)


@periodic("deliberations")
def sweep_deliberations(now: datetime | None = None) -> int:
    """Backstop for late or lost jobs: open and close due votes, then tell committees of overdue responses."""
    moved = ballots.sweep_due(now)
    service.notify_overdue_responses(now)
    db.session.commit()
    return moved
