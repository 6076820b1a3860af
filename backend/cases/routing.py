"""The routing decision — 派单规则: which grid a case belongs to and who should take it, and why.

Reads only; `service.route` writes the outcome. The rules, in order:

1. the grid: an incident's point through the grid index (a service request's point too, if it has
   one), otherwise the reporter's household grid;
2. that grid's workers who are on duty now, have the category's skill, are not marked away and have
   not returned or let this case time out — ordered by open workload, then by who was assigned
   least recently, then by id;
3. nobody → the grid leader; no grid or no leader → the community's dispatch pool (the committee);
   then the street, then the district admins.
4. nobody at all → the case waits, the committee is told, and the cases sweep tries again
   (`ROUTING_RETRY_AFTER`).

Every candidate looked at is kept with the reason it was or was not eligible, so the timeline can
say why a worker got the task.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from backend.accounts.models import Household, HouseholdMember, RoleAssignment, User
from backend.cases.models import Case, CaseAssignment, CaseWorkerStatus
from backend.extensions import db
from backend.grids.models import Community, Grid, StaffSkill, Street
from backend.grids.service import grid_index, on_duty_among, staff_of_grid

WORKING_STATUSES = ("assigned", "accepted", "in_progress")
ROLE_NAMES = {"grid_worker": "网格员", "grid_leader": "网格长", "committee": "社区工作人员",
              "street_admin": "街道管理员", "district_admin": "区管理员"}
RULES = ("grid_worker", "grid_leader", "community_pool", "street", "district", "none")


def display_name(user: User | None) -> str:
    if user is None:
        return ""
    return user.real_name or user.nickname or f"用户{user.id}"


@dataclass
class Candidate:
    """One person routing looked at."""

    user_id: int
    name: str
    role: str
    open_cases: int
    last_assigned_at: datetime | None
    on_duty: bool | None = None  # None: the duty roster does not apply (leaders, committee, admins)
    has_skill: bool | None = None
    away: bool = False
    excluded: bool = False

    @property
    def eligible(self) -> bool:
        return self.on_duty is not False and self.has_skill is not False and not self.away and not self.excluded

    def why(self, skill: str | None) -> str:
        if self.excluded:
            return "已退回或超时未受理本工单"
        if self.away:
            return "连续超时未受理，已暂停派单"
        if self.on_duty is False:
            return "不在值班时间"
        if self.has_skill is False:
            return f"不具备所需技能（{skill}）"
        return "可派单"

    def sort_key(self) -> tuple:
        never = self.last_assigned_at is None
        return (self.open_cases, not never, self.last_assigned_at.timestamp() if self.last_assigned_at else 0,
                self.user_id)

    def as_data(self, skill: str | None) -> dict:
        return {"user_id": self.user_id, "name": self.name, "role": self.role, "on_duty": self.on_duty,
                "has_skill": self.has_skill, "away": self.away, "excluded": self.excluded,
                "open_cases": self.open_cases,
                "last_assigned_at": self.last_assigned_at.isoformat() if self.last_assigned_at else None,
                "eligible": self.eligible, "why": self.why(skill)}


@dataclass
class RoutingDecision:
    """Where the case is, who takes it, by which rule, and everyone considered."""

    located_by: str  # point | household | none
    grid: Grid | None
    community_id: int | None
    skill: str | None
    rule: str = "none"
    chosen: Candidate | None = None
    candidates: list[Candidate] = field(default_factory=list)
    reason: str = ""

    def as_data(self) -> dict:
        grid = {"id": self.grid.id, "code": self.grid.code, "name": self.grid.name} if self.grid else None
        return {"located_by": self.located_by, "grid": grid, "community_id": self.community_id, "skill": self.skill,
                "rule": self.rule, "reason": self.reason,
                "chosen": ({"user_id": self.chosen.user_id, "name": self.chosen.name, "role": self.chosen.role}
                           if self.chosen else None),
                "candidates": [c.as_data(self.skill) for c in self.candidates]}


def decide(case: Case, now: datetime) -> RoutingDecision:
    """Decide who should take a case now (see the module docstring for the rules)."""
    grid, located_by = locate_case(case)
    decision = RoutingDecision(located_by=located_by, grid=grid,
                               community_id=grid.community_id if grid else case.community_id,
                               skill=case.category.skill)
    excluded = set() if case.attempt == 0 else set(db.session.scalars(sa.select(CaseAssignment.assignee_id).where(
        CaseAssignment.case_id == case.id, CaseAssignment.end_reason.in_(("returned", "accept_timeout")))))
    if grid is not None:
        staff = [(user, role) for user, role in staff_of_grid(grid.id) if user.is_active]
        roles: dict[int, str] = {}
        for user, role in staff:
            if roles.get(user.id) != "grid_worker":  # a worker who is also a leader is routed as a worker
                roles[user.id] = role
        candidates = _candidates({user.id: user for user, _ in staff}, roles, excluded)
        workers = [c for c in candidates if c.role == "grid_worker"]
        leaders = [c for c in candidates if c.role == "grid_leader"]
        duty = on_duty_among([c.user_id for c in workers], now)
        skilled = _with_skill([c.user_id for c in workers], decision.skill)
        for candidate in workers:
            candidate.on_duty = candidate.user_id in duty
            candidate.has_skill = candidate.user_id in skilled
        decision.candidates = workers + leaders
        if _choose(decision, workers, "grid_worker"):
            decision.reason = (f"{grid.name}在岗且具备技能的网格员 {sum(c.eligible for c in workers)} 人，"
                               f"按在办工单数（{decision.chosen.open_cases} 件）与最久未派单选择{decision.chosen.name}")
            return decision
        if _choose(decision, leaders, "grid_leader"):
            decision.reason = f"{grid.name}暂无在岗且具备技能的网格员，由网格长{decision.chosen.name}负责"
            return decision
    why_not_grid = f"{grid.name}暂无可派单人员" if grid is not None else "未找到所在网格"
    for rule, role, users in _pools(decision.community_id):
        pool = _candidates(users, dict.fromkeys(users, role), excluded)
        decision.candidates += pool
        if _choose(decision, pool, rule):
            decision.reason = f"{why_not_grid}，转{_pool_label(rule)}统一调度，由{decision.chosen.name}负责"
            return decision
    decision.reason = f"{why_not_grid}，且无可派单的社区、街道或区工作人员，等待人工派单"
    return decision


def same_outcome(before: dict, after: dict) -> bool:
    """Whether two stored decisions (`as_data()`) say the same: rule, grid, reason, and who was passed over why.

    Workloads and last-assignment times are left out: they move all the time and change nothing.
    """
    def gist(data: dict) -> tuple:
        return (data.get("rule"), (data.get("grid") or {}).get("id"), data.get("reason"),
                [(c["user_id"], c["role"], c["why"]) for c in data.get("candidates", [])])

    return gist(before) == gist(after)


def locate_case(case: Case) -> tuple[Grid | None, str]:
    """The case's grid and how it was found: its point through the grid index, else the reporter's household."""
    if case.lat is not None and case.lng is not None:
        grid = grid_at(case.lat, case.lng)
        return grid, ("point" if grid else "none")
    grid = household_grid(case.reporter_id)
    return grid, ("household" if grid else "none")


def grid_at(lat: float, lng: float) -> Grid | None:
    hit = grid_index().locate(lng, lat)
    return db.session.get(Grid, hit.grid_id) if hit else None


def household_grid(user_id: int) -> Grid | None:
    grid_id = db.session.scalar(sa.select(Household.grid_id).join(HouseholdMember, HouseholdMember.household_id == Household.id)
                                .where(HouseholdMember.user_id == user_id))
    return db.session.get(Grid, grid_id) if grid_id else None


def _choose(decision: RoutingDecision, candidates: list[Candidate], rule: str) -> bool:
    eligible = sorted((c for c in candidates if c.eligible), key=Candidate.sort_key)
    if not eligible:
        return False
    decision.rule, decision.chosen = rule, eligible[0]
    return True


def _candidates(users: dict[int, User], roles: dict[int, str], excluded: set[int]) -> list[Candidate]:
    """Candidates with their open workload, last assignment and away flag, in one query however many."""
    if not users:
        return []
    open_cases = (sa.select(sa.func.count(Case.id))
                  .where(Case.assignee_id == User.id, Case.status.in_(WORKING_STATUSES)).scalar_subquery())
    last_assigned = (sa.select(sa.func.max(CaseAssignment.assigned_at))
                     .where(CaseAssignment.assignee_id == User.id).scalar_subquery())
    away_since = sa.select(CaseWorkerStatus.away_since).where(CaseWorkerStatus.user_id == User.id).scalar_subquery()
    rows = db.session.execute(sa.select(User.id, open_cases, last_assigned, away_since)
                              .where(User.id.in_(sorted(users))).order_by(User.id))
    return [Candidate(user_id=uid, name=display_name(users[uid]), role=roles[uid], open_cases=count,
                      last_assigned_at=last, away=away is not None, excluded=uid in excluded)
            for uid, count, last, away in rows]


def _with_skill(user_ids: list[int], skill: str | None) -> set[int]:
    if skill is None:
        return set(user_ids)
    if not user_ids:
        return set()
    return set(db.session.scalars(sa.select(StaffSkill.user_id).where(
        StaffSkill.user_id.in_(sorted(user_ids)), StaffSkill.skill == skill)))


def _pools(community_id: int | None):
    """(rule, role, users) of the fallbacks after the grid: committee, street admins, district admins."""
    if community_id is None:
        return
    street_id, district_id = db.session.execute(
        sa.select(Street.id, Street.district_id).join(Community, Community.street_id == Street.id)
        .where(Community.id == community_id)).one()
    for rule, role, scope_id in (("community_pool", "committee", community_id), ("street", "street_admin", street_id),
                                 ("district", "district_admin", district_id)):
        users = db.session.scalars(sa.select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
                                   .where(RoleAssignment.role == role, RoleAssignment.scope_id == scope_id,
                                          User.is_active.is_(True))).all()
        yield rule, role, {user.id: user for user in users}


def _pool_label(rule: str) -> str:
    return {"community_pool": "社区", "street": "街道", "district": "区"}[rule]
