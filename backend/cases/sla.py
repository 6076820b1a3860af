"""SLA clocks — 时限: accept and resolve deadlines, overdue-ness, and the escalation ladder (督办).

The resolve deadline runs from submission. When it passes, the case climbs one level (grid leader →
community committee → street) and the next level's deadline is half the category's resolve limit
later (at least an hour). A reopened case climbs one level at once. Escalation never changes the
status; it changes who is watching.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from backend.cases.models import Case, CaseCategory, OPEN_STATUSES, WAITING_FOR_ROUTING
from backend.extensions import db

CONFIRM_WINDOW = timedelta(days=7)
LEVEL_NAMES = {1: "网格长", 2: "社区", 3: "街道"}


def accept_deadline(category: CaseCategory, assigned_at: datetime) -> datetime:
    return assigned_at + timedelta(minutes=category.accept_minutes)


def resolve_deadline(category: CaseCategory, submitted_at: datetime) -> datetime:
    return submitted_at + timedelta(hours=category.resolve_hours)


def escalation_step(category: CaseCategory) -> timedelta:
    """How long each escalation level has before the next one is told."""
    return max(timedelta(hours=category.resolve_hours) / 2, timedelta(hours=1))


def is_overdue(case: Case, now: datetime) -> bool:
    """Open and past its resolve deadline, or assigned and past its accept deadline."""
    if case.status not in OPEN_STATUSES:
        return False
    if case.resolve_due_at <= now:
        return True
    return case.status == "assigned" and case.accept_due_at is not None and case.accept_due_at <= now


def overdue_clause(now: datetime):
    """`is_overdue` as SQL, for filtering and ordering lists."""
    return sa.and_(Case.status.in_(OPEN_STATUSES), sa.or_(
        Case.resolve_due_at <= now,
        sa.and_(Case.status == "assigned", Case.accept_due_at <= now)))


def escalation_recipients(case: Case, level: int) -> list[tuple[int, str]]:
    """(user id, role) of the people told at an escalation level: grid leaders, committee, street admins."""
    from backend.accounts.models import RoleAssignment, User
    from backend.grids.models import Community

    if level == 1:
        if case.grid_id is None:
            return []
        where = sa.and_(RoleAssignment.role == "grid_leader", RoleAssignment.scope_id == case.grid_id)
    elif level == 2:
        where = sa.and_(RoleAssignment.role == "committee", RoleAssignment.scope_id == case.community_id)
    else:
        street_id = db.session.scalar(sa.select(Community.street_id).where(Community.id == case.community_id))
        where = sa.and_(RoleAssignment.role == "street_admin", RoleAssignment.scope_id == street_id)
    rows = db.session.execute(sa.select(RoleAssignment.user_id, RoleAssignment.role)
                              .join(User, User.id == RoleAssignment.user_id)
                              .where(where, User.is_active.is_(True)).order_by(RoleAssignment.user_id))
    return [(user_id, role) for user_id, role in rows]


# --- what the sweep finds ---------------------------------------------------------------------------

def missed_acceptances(now: datetime, limit: int = 200) -> list[tuple[int, int]]:
    """(case id, attempt) of assignments whose accept deadline has passed."""
    return [tuple(row) for row in db.session.execute(
        sa.select(Case.id, Case.attempt).where(Case.status == "assigned", Case.accept_due_at <= now)
        .order_by(Case.accept_due_at).limit(limit))]


def due_escalations(now: datetime, limit: int = 200) -> list[tuple[int, int]]:
    """(case id, current level) of open cases whose next escalation is due."""
    return [tuple(row) for row in db.session.execute(
        sa.select(Case.id, Case.escalation_level)
        .where(Case.status.in_(OPEN_STATUSES), Case.next_escalation_at <= now)
        .order_by(Case.next_escalation_at).limit(limit))]


def unconfirmed_resolutions(now: datetime, limit: int = 200) -> list[int]:
    """Ids of resolved cases the resident left unanswered past the confirmation window."""
    return list(db.session.scalars(sa.select(Case.id).where(Case.status == "resolved", Case.confirm_due_at <= now)
                                   .order_by(Case.confirm_due_at).limit(limit)))


def waiting_for_routing(now: datetime, retry_after: timedelta, limit: int = 200) -> list[int]:
    """Ids of cases waiting for an assignee whose routing retry is due, the longest due first.

    A case nobody could take is due at its `routing_retry_at`; one without it (its routing job was lost) is due
    `retry_after` after anything last happened to it. Every retry moves the case out of the way (assigned, or
    due again later), so the next sweep reaches the ones after it.
    """
    waiting = sa.text(WAITING_FOR_ROUTING)  # the literal predicate, so the partial index applies
    retries = db.session.execute(
        sa.select(Case.id, Case.routing_retry_at).where(waiting, Case.routing_retry_at <= now)
        .order_by(Case.routing_retry_at, Case.id).limit(limit))
    lost = db.session.execute(
        sa.select(Case.id, Case.updated_at).where(waiting, Case.routing_retry_at.is_(None),
                                                  Case.updated_at <= now - retry_after)
        .order_by(Case.updated_at, Case.id).limit(limit))
    due = sorted([(at, case_id) for case_id, at in retries] + [(at + retry_after, case_id) for case_id, at in lost])
    return [case_id for _, case_id in due[:limit]]
