"""Who belongs to a topic: residents in its scope, the roll of eligible voters, the committee."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from backend.accounts.models import Household, HouseholdMember, RoleAssignment
from backend.core.policies import Actor, Home
from backend.deliberations.models import Poll, Topic
from backend.extensions import db
from backend.grids.models import Community, Grid, Street

MANAGER_ROLES = ("committee", "street_admin", "district_admin")


def home_community(actor: Actor) -> int | None:
    """The community of the actor's household."""
    return actor.home.community_id if actor.home else None


def scope_rows(topic: Topic) -> list[tuple[int, str]]:
    """(grid id, building or "") of a scoped topic; empty when the topic covers its whole community."""
    if not topic.scoped:
        return []
    return [(s.grid_id, s.building) for s in topic.scopes]


def in_scope(topic: Topic, member: Home) -> bool:
    """Whether the member's household lies in the topic's scope."""
    if member.community_id != topic.community_id:
        return False
    rows = scope_rows(topic)
    return not rows or any(grid == member.grid_id and building in ("", member.building) for grid, building in rows)


def _scope_condition(topic: Topic):
    rows = scope_rows(topic)
    if not rows:
        return Household.grid_id.in_(sa.select(Grid.id).where(Grid.community_id == topic.community_id))
    return sa.or_(*[(Household.grid_id == grid) if not building
                    else sa.and_(Household.grid_id == grid, Household.building == building)
                    for grid, building in rows])


def _on_roll(query: sa.Select, topic: Topic, at: datetime) -> sa.Select:
    """The roll (投票名单) in SQL: members verified by `at` whose household lies in the topic's scope."""
    return (query.select_from(HouseholdMember).join(Household, Household.id == HouseholdMember.household_id)
            .where(HouseholdMember.verified_at.is_not(None), HouseholdMember.verified_at <= at,
                   _scope_condition(topic)))


def roll_size(topic: Topic, poll: Poll, at: datetime) -> int:
    """Eligible voters (or households) at `at`: verified members, verified by then, in scope."""
    unit = sa.func.count(sa.distinct(Household.id)) if poll.per == "household" else sa.func.count(HouseholdMember.id)
    return db.session.scalar(_on_roll(sa.select(unit), topic, at))


def roll_user_ids(topic: Topic, at: datetime, after_user_id: int = 0) -> sa.Select:
    """User ids on the roll at `at` above `after_user_id` (each member may vote, also when voting per household)."""
    return _on_roll(sa.select(HouseholdMember.user_id), topic, at).where(HouseholdMember.user_id > after_user_id)


def households_in(community_id: int) -> int:
    """Households of a community (for a threshold given as a percentage of households)."""
    return db.session.scalar(sa.select(sa.func.count(Household.id)).join(Grid, Grid.id == Household.grid_id)
                             .where(Grid.community_id == community_id))


def managed_communities(actor: Actor) -> set[int]:
    """Communities whose topics the actor manages: as committee, or as street or district admin."""
    if "managed_communities" not in actor._cache:
        query = sa.select(Community.id).join(Street, Street.id == Community.street_id).where(sa.or_(
            Community.id.in_(actor.scopes("committee") or {0}),
            Street.id.in_(actor.scopes("street_admin") or {0}),
            Street.district_id.in_(actor.scopes("district_admin") or {0})))
        actor._cache["managed_communities"] = set(db.session.scalars(query)) if any(
            actor.scopes(role) for role in MANAGER_ROLES) else set()
    return actor._cache["managed_communities"]


def committee_members(community_id: int) -> list[int]:
    """User ids of the community's committee (社区两委/居委会)."""
    return list(db.session.scalars(sa.select(RoleAssignment.user_id).where(
        RoleAssignment.role == "committee", RoleAssignment.scope_id == community_id).order_by(RoleAssignment.user_id)))


def household_members(household_id: int, verified_only: bool = True) -> list[int]:
    query = sa.select(HouseholdMember.user_id).where(HouseholdMember.household_id == household_id)
    if verified_only:
        query = query.where(HouseholdMember.verified_at.is_not(None))
    return list(db.session.scalars(query.order_by(HouseholdMember.user_id)))


def scope_grids_valid(community_id: int, grid_ids: set[int]) -> bool:
    """Whether every grid belongs to the community."""
    if not grid_ids:
        return True
    found = db.session.scalar(sa.select(sa.func.count(Grid.id))
                              .where(Grid.id.in_(grid_ids), Grid.community_id == community_id))
    return found == len(grid_ids)

