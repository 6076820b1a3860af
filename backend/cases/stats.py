"""Case statistics — 响应率、解决率、满意率 — by community, grid and worker, over what the caller covers.

- response rate: of the assignments whose acceptance is decided (accepted, returned, timed out, or
  past the deadline and still waiting), the share accepted within the accept limit;
- resolution rate: of the cases whose resolution is decided (resolved, or past the resolve deadline),
  the share first resolved within the limit;
- satisfaction rate: of the rated cases, the share rated 4 or 5;
- median minutes from assignment to acceptance, and hours from submission to first resolution.

Cancelled cases do not count. A worker's resolution and satisfaction are those of the cases they
hold now; their response is over every assignment they were given.
"""
from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from backend.accounts.models import User
from backend.cases.models import Case, CaseAssignment
from backend.cases.policies import staff_scope_clause
from backend.cases.routing import display_name
from backend.core.db import rows_by_id, utcnow
from backend.core.errors import Unprocessable
from backend.core.policies import STAFF_ROLES, Actor
from backend.extensions import db
from backend.grids.models import Community, Grid

DEFAULT_PERIOD = timedelta(days=30)
MAX_PERIOD = timedelta(days=366)


@dataclass
class Tally:
    cases: int = 0
    responded_in_time: int = 0
    response_due: int = 0
    resolved_in_time: int = 0
    resolution_due: int = 0
    satisfied: int = 0
    rated: int = 0
    accept_minutes: list[float] = field(default_factory=list)
    resolve_hours: list[float] = field(default_factory=list)

    def row(self, id_=None, code=None, name="") -> dict:
        return {"id": id_, "code": code, "name": name, "cases": self.cases,
                "response_rate": _rate(self.responded_in_time, self.response_due),
                "responded_in_time": self.responded_in_time, "response_due": self.response_due,
                "resolution_rate": _rate(self.resolved_in_time, self.resolution_due),
                "resolved_in_time": self.resolved_in_time, "resolution_due": self.resolution_due,
                "satisfaction_rate": _rate(self.satisfied, self.rated), "satisfied": self.satisfied,
                "rated": self.rated, "median_accept_minutes": _median(self.accept_minutes),
                "median_resolve_hours": _median(self.resolve_hours)}


def case_stats(actor: Actor, since: datetime | None = None, until: datetime | None = None,
               now: datetime | None = None) -> dict:
    """The rates for the cases submitted in [since, until) where the actor holds a staff role."""
    now = now or utcnow()
    until = until or now
    since = since or until - DEFAULT_PERIOD
    if not since < until or until - since > MAX_PERIOD:
        raise Unprocessable("统计区间须在一年以内，且开始早于结束", reason="invalid_period",
                            errors={"query": {"since": ["统计区间须在一年以内，且开始早于结束"]}})
    scope = staff_scope_clause(actor, STAFF_ROLES)
    cases = db.session.execute(
        sa.select(Case.id, Case.grid_id, Case.community_id, Case.assignee_id, Case.created_at, Case.resolve_due_at,
                  Case.first_resolved_at, Case.rating)
        .where(scope, Case.created_at >= since, Case.created_at < until, Case.status != "cancelled")).all()
    where = {c.id: c for c in cases}
    assignments = db.session.execute(
        sa.select(CaseAssignment.case_id, CaseAssignment.assignee_id, CaseAssignment.assigned_at,
                  CaseAssignment.accept_due_at, CaseAssignment.accepted_at, CaseAssignment.end_reason)
        .join(Case, Case.id == CaseAssignment.case_id)
        .where(scope, Case.created_at >= since, Case.created_at < until, Case.status != "cancelled")).all()

    overall = Tally()
    by = {"community": defaultdict(Tally), "grid": defaultdict(Tally), "worker": defaultdict(Tally)}
    for c in cases:
        tallies = [overall, by["community"][c.community_id]]
        if c.grid_id is not None:
            tallies.append(by["grid"][c.grid_id])
        if c.assignee_id is not None:
            tallies.append(by["worker"][c.assignee_id])
        for t in tallies:
            _count_case(t, c, now)
    for a in assignments:
        c = where.get(a.case_id)
        if c is None:
            continue
        tallies = [overall, by["community"][c.community_id], by["worker"][a.assignee_id]]
        if c.grid_id is not None:
            tallies.append(by["grid"][c.grid_id])
        for t in tallies:
            _count_assignment(t, a, now)

    return {"since": since, "until": until, "overall": overall.row(name="合计"),
            "communities": _rows(Community, by["community"]), "grids": _rows(Grid, by["grid"]),
            "workers": _worker_rows(actor, by["worker"])}


def _count_case(t: Tally, c, now: datetime) -> None:
    t.cases += 1
    if c.first_resolved_at is not None or c.resolve_due_at <= now:
        t.resolution_due += 1
        if c.first_resolved_at is not None and c.first_resolved_at <= c.resolve_due_at:
            t.resolved_in_time += 1
    if c.first_resolved_at is not None:
        t.resolve_hours.append((c.first_resolved_at - c.created_at).total_seconds() / 3600)
    if c.rating is not None:
        t.rated += 1
        t.satisfied += c.rating >= 4


def _count_assignment(t: Tally, a, now: datetime) -> None:
    if a.accepted_at is not None:
        t.response_due += 1
        t.responded_in_time += a.accepted_at <= a.accept_due_at
        t.accept_minutes.append((a.accepted_at - a.assigned_at).total_seconds() / 60)
    elif a.end_reason in ("returned", "accept_timeout") or (a.end_reason is None and a.accept_due_at <= now):
        t.response_due += 1
    # reassigned or cancelled before the deadline without acceptance: not the assignee's to answer for


def _rows(model, tallies: dict) -> list[dict]:
    if not tallies:
        return []
    places = rows_by_id(model, tallies)
    return [tallies[i].row(i, places[i].code, places[i].name) for i in sorted(tallies, key=lambda i: places[i].code)]


def _worker_rows(actor: Actor, tallies: dict) -> list[dict]:
    """Per assignee; a grid worker without a wider role sees only their own row."""
    if not any(g.role != "grid_worker" for g in actor.grants):
        tallies = {k: v for k, v in tallies.items() if k == actor.user_id}
    if not tallies:
        return []
    users = rows_by_id(User, tallies)
    return [tallies[i].row(i, None, display_name(users[i])) for i in sorted(tallies)]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None
