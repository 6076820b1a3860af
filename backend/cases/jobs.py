"""Background work for cases: routing, and the SLA timers with a periodic sweep as their backstop.

Every job takes ids, loads fresh state and returns early when its work is done or moot (the case
moved on), because RQ delivers at least once. None of them commits: the outbox runner commits the
job's work together with its done mark.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app

from backend.core.db import utcnow
from backend.core.jobs import job, periodic
from backend.extensions import db

log = logging.getLogger(__name__)


@job
def route_case(case_id: int) -> None:
    """Find the grid and the worker for a submitted case and assign it (once)."""
    from backend.cases import service

    service.route(case_id)


@job
def check_accept_deadline(case_id: int, attempt: int) -> None:
    """At the accept deadline of an assignment: reassign the case if it is still not accepted."""
    from backend.cases import service

    service.expire_acceptance(case_id, attempt)


@job
def check_resolve_deadline(case_id: int, level: int) -> None:
    """At the resolve deadline of an escalation level: escalate if the case is still open at that level."""
    from backend.cases import service

    service.escalate_overdue(case_id, level)


@job
def check_confirmation(case_id: int) -> None:
    """At the end of the confirmation window: close a resolution the resident left unanswered."""
    from backend.cases import service

    service.auto_close(case_id)


@periodic("cases")
def sweep_case_deadlines(now: datetime | None = None) -> dict[str, int]:
    """Backstop for the timers: act on every deadline that has passed, one case per transaction.

    It also routes again each case still waiting for an assignee whose retry is due: `ROUTING_RETRY_AFTER`
    seconds after routing last found nobody to take it (or after anything last happened to it, when its
    routing job was lost), so whoever comes back on duty picks it up. A retry that finds nobody for the same
    reasons writes no timeline event, only the time of the next retry.
    """
    from backend.cases import service, sla

    now = now or utcnow()
    done = {"reassigned": 0, "escalated": 0, "closed": 0, "rerouted": 0}
    for case_id, attempt in sla.missed_acceptances(now):
        done["reassigned"] += _one(service.expire_acceptance, case_id, attempt, now=now)
    for case_id, level in sla.due_escalations(now):
        done["escalated"] += _one(service.escalate_overdue, case_id, level, now=now)
    for case_id in sla.unconfirmed_resolutions(now):
        done["closed"] += _one(service.auto_close, case_id, now=now)
    retry_after = timedelta(seconds=current_app.config["ROUTING_RETRY_AFTER"])
    for case_id in sla.waiting_for_routing(now, retry_after):
        done["rerouted"] += _one(service.route, case_id, now=now)
    return done


def _one(func, *args, now: datetime) -> int:
    try:
        changed = func(*args, now=now)
        db.session.commit()
        return int(changed)
    except Exception:
        db.session.rollback()
        log.exception("case sweep: %s%s failed", func.__name__, args)
        return 0
