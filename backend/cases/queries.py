"""Case lists: each view is a scope the caller's roles give them, then the filters, overdue first."""
from __future__ import annotations

import sqlalchemy as sa

from backend.cases import sla
from backend.cases.models import OPEN_STATUSES, Case, CaseCategory
from backend.cases.policies import resident_clause, staff_scope_clause
from backend.core.db import utcnow
from backend.core.errors import Forbidden
from backend.core.policies import Actor

# The roles whose scope each staff view covers.
VIEW_ROLES = {"grid": ("grid_worker", "grid_leader"), "community": ("committee",), "street": ("street_admin",),
              "district": ("district_admin",)}
# The escalation level at which each role is told (督办): a leader from 1, the committee from 2, the street from 3.
ESCALATION_ROLES = ((("grid_leader",), 1), (("committee",), 2), (("street_admin", "district_admin"), 3))


def case_list(actor: Actor, args: dict):
    """The SELECT for `GET /cases`: the view's scope, the filters, overdue first, newest first."""
    now = utcnow()
    view = args["view"]
    scope = _scope(actor, view)
    if scope is None:
        raise Forbidden("您没有查看该列表的权限", reason="view_not_allowed")
    query = sa.select(Case).where(scope)
    if "status" in args:
        query = query.where(Case.status == args["status"])
    if "open" in args:
        opened = Case.status.in_(OPEN_STATUSES)
        query = query.where(opened if args["open"] else sa.not_(opened))
    if "kind" in args:
        query = query.where(Case.kind == args["kind"])
    if "category_code" in args:
        query = query.where(Case.category_id.in_(sa.select(CaseCategory.id).where(
            CaseCategory.code == args["category_code"])))
    overdue = sla.overdue_clause(now)
    if "overdue" in args:
        query = query.where(overdue if args["overdue"] else sa.not_(overdue))
    if "escalated" in args:
        query = query.where(Case.escalation_level > 0 if args["escalated"] else Case.escalation_level == 0)
    if "grid_id" in args:
        query = query.where(Case.grid_id == args["grid_id"])
    if "community_id" in args:
        query = query.where(Case.community_id == args["community_id"])
    if view == "mine":
        return query.order_by(Case.id.desc())
    return query.order_by(sa.case((overdue, 0), else_=1), Case.id.desc())


def _scope(actor: Actor, view: str):
    if view == "mine":
        return resident_clause(actor)
    if view == "assigned":
        return Case.assignee_id == actor.user_id
    if view == "escalated":
        parts = []
        for roles, level in ESCALATION_ROLES:
            clause = staff_scope_clause(actor, roles)
            if clause is not None:
                parts.append(sa.and_(clause, Case.escalation_level >= level))
        return sa.or_(*parts) if parts else None
    return staff_scope_clause(actor, VIEW_ROLES[view])
