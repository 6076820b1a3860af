"""Who may see and do what with cases.

Residents see their own cases and the ones they follow; grid workers the cases assigned to them
and, read-only, their grid's; leaders their grid's; the committee its community's; street and
district admins theirs. Routes declare the role-level policy; services ask the same functions
with the case (`allowed(..., case=case)`), and answer 404 for a case the caller may not see.
"""
from __future__ import annotations

import sqlalchemy as sa

from backend.cases.models import Case, CaseFollower
from backend.core.policies import Actor, allowed, policy
from backend.extensions import db
from backend.media.service import register_attachment_viewer

SUPERVISOR_ROLES = ("grid_leader", "committee", "street_admin", "district_admin")
COMMUNITY_ROLES = ("committee", "street_admin", "district_admin")


def is_follower(actor: Actor, case: Case) -> bool:
    return db.session.scalar(sa.select(CaseFollower.id).where(
        CaseFollower.case_id == case.id, CaseFollower.user_id == actor.user_id)) is not None


def covers_case(actor: Actor, case: Case, roles: tuple[str, ...] | None = None) -> bool:
    """Whether one of the actor's staff roles (of `roles`) covers where the case is."""
    if case.grid_id is not None:
        return actor.covers_grid(case.grid_id, roles) if roles else actor.covers_grid(case.grid_id)
    community_roles = tuple(r for r in (roles or COMMUNITY_ROLES) if r in COMMUNITY_ROLES)
    return bool(community_roles) and actor.covers_community(case.community_id, community_roles)


def sees_as_staff(actor: Actor | None, case: Case) -> bool:
    """Staff who see the case through their role: its assignee, or staff covering its grid or community."""
    return actor is not None and actor.is_staff() and (case.assignee_id == actor.user_id or covers_case(actor, case))


@policy("case.view")
def _case_view(actor, case: Case | None = None, **_):
    """The reporter, followers, the assignee, and staff over the case's grid or community."""
    if actor is None:
        return False
    if case is None:
        return True  # the service answers 404 for a case the caller may not see
    return (case.reporter_id == actor.user_id or case.assignee_id == actor.user_id
            or sees_as_staff(actor, case) or is_follower(actor, case))


@policy("case.handle")
def _case_handle(actor, case: Case | None = None, **_):
    """The person the case is assigned to (accept, return, start, resolve)."""
    if actor is None:
        return False
    if case is None:
        return actor.is_staff()
    return case.assignee_id == actor.user_id


@policy("case.own")
def _case_own(actor, case: Case | None = None, **_):
    """The resident who reported the case (cancel, confirm, reopen, rate)."""
    return actor is not None and (case is None or case.reporter_id == actor.user_id)


@policy("case.follow")
def _case_follow(actor, case: Case | None = None, **_):
    """Any resident but the reporter may follow a case ("我也遇到")."""
    return actor is not None and (case is None or case.reporter_id != actor.user_id)


@policy("case.supervise")
def _case_supervise(actor, case: Case | None = None, **_):
    """Grid leaders, the committee and admins over the case (reassign, escalate — 改派、督办)."""
    if actor is None:
        return False
    if case is None:
        return any(actor.scopes(role) for role in SUPERVISOR_ROLES)
    return covers_case(actor, case, SUPERVISOR_ROLES)


@policy("case.stats")
def _case_stats(actor, **_):
    """Staff see the statistics of what they cover."""
    return actor is not None and actor.is_staff()


@policy("case.categories.manage")
def _categories_manage(actor, **_):
    """District admins edit the category catalogue."""
    return actor is not None and "district_admin" in actor.roles


def can_view_case(actor: Actor | None, case_id: int) -> bool:
    """Whether the actor may see the case with this id (False when there is none)."""
    case = db.session.get(Case, case_id)
    return case is not None and allowed("case.view", actor, case=case)


# Photos attached to a case (before, after, timeline) are seen by whoever may see the case.
register_attachment_viewer("case", can_view_case)


# --- what a list may contain ----------------------------------------------------------------------

def staff_scope_clause(actor: Actor, roles: tuple[str, ...]):
    """SQL condition: the case lies where one of the actor's `roles` gives authority (None if none does)."""
    from backend.grids.models import Community, Street

    parts = []
    grid_ids = {g.scope_id for g in actor.grants if g.role in roles and g.scope_type == "grid"}
    community_ids = {g.scope_id for g in actor.grants if g.role in roles and g.scope_type == "community"}
    street_ids = {g.scope_id for g in actor.grants if g.role in roles and g.scope_type == "street"}
    district_ids = {g.scope_id for g in actor.grants if g.role in roles and g.scope_type == "district"}
    if grid_ids:
        parts.append(Case.grid_id.in_(sorted(grid_ids)))
    if community_ids:
        parts.append(Case.community_id.in_(sorted(community_ids)))
    if street_ids:
        parts.append(Case.community_id.in_(sa.select(Community.id).where(Community.street_id.in_(sorted(street_ids)))))
    if district_ids:
        parts.append(Case.community_id.in_(sa.select(Community.id).join(Street, Street.id == Community.street_id)
                                           .where(Street.district_id.in_(sorted(district_ids)))))
    return sa.or_(*parts) if parts else None


def resident_clause(actor: Actor):
    """SQL condition: the actor reported or follows the case."""
    followed = sa.select(CaseFollower.case_id).where(CaseFollower.user_id == actor.user_id)
    return sa.or_(Case.reporter_id == actor.user_id, Case.id.in_(followed))
