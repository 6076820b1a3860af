"""Who may do what in volunteering.

Community managers are the committee of a community and the street and district admins above it
(`Actor.covers_community`). Team organisers are not a global role: they are `TeamMember` rows with
`is_organiser`, and they run their own team's activities. Shop keepers (`ShopKeeper`) hand out
rewards. A policy asked about an object that does not exist says yes, so the service answers 404.
"""
from __future__ import annotations

import sqlalchemy as sa

from backend.core.policies import Actor, policy
from backend.extensions import db
from backend.volunteering.models import (Activity, Redemption, Reward, Shift, ShiftSignup, ShopKeeper, TeamMember,
                                         VolunteerTeam)

MANAGER_ROLES = ("committee", "street_admin", "district_admin")


def organised_team_ids(actor: Actor) -> set[int]:
    """Teams the actor organises (cached on the actor for the request)."""
    if "organised_teams" not in actor._cache:
        actor._cache["organised_teams"] = set(db.session.scalars(
            sa.select(TeamMember.team_id).where(TeamMember.user_id == actor.user_id, TeamMember.is_organiser)))
    return actor._cache["organised_teams"]


def _is_manager_somewhere(actor: Actor) -> bool:
    return any(actor.scopes(role) for role in MANAGER_ROLES)


def manages_activity(actor: Actor | None, activity: Activity) -> bool:
    """The community's managers, or an organiser of the activity's team."""
    if actor is None:
        return False
    if actor.covers_community(activity.community_id):
        return True
    return activity.team_id is not None and activity.team_id in organised_team_ids(actor)


def _activity_of(activity_id=None, shift_id=None, signup_id=None) -> Activity | None:
    if signup_id is not None:
        shift_id = db.session.scalar(sa.select(ShiftSignup.shift_id).where(ShiftSignup.id == signup_id))
    if shift_id is not None:
        activity_id = db.session.scalar(sa.select(Shift.activity_id).where(Shift.id == shift_id))
    return db.session.get(Activity, activity_id) if activity_id is not None else None


@policy("volunteer.signup")
def _volunteer_signup(actor, **_):
    """Any logged-in user may ask; the sign-up admits verified residents only (403 `not_verified`,
    a reason the mini-program branches on, as for ballots)."""
    return actor is not None


@policy("activity.create")
def _activity_create(actor, community_id: int | None = None, team_id: int | None = None, **_):
    """Community managers, or organisers of a team of that community (for their team's activity)."""
    if actor is None:
        return False
    if community_id is None:
        return _is_manager_somewhere(actor) or bool(organised_team_ids(actor))
    if actor.covers_community(community_id):
        return True
    if team_id is None or team_id not in organised_team_ids(actor):
        return False
    return db.session.scalar(sa.select(VolunteerTeam.community_id).where(VolunteerTeam.id == team_id)) == community_id


@policy("activity.manage")
def _activity_manage(actor, activity_id: int | None = None, shift_id: int | None = None,
                     signup_id: int | None = None, **_):
    """Edit, publish, cancel an activity, see its roster, show check-in codes, check people in by hand."""
    if actor is None:
        return False
    activity = _activity_of(activity_id, shift_id, signup_id)
    if activity is None:
        return True
    return manages_activity(actor, activity)


@policy("signup.cancel")
def _signup_cancel(actor, signup_id: int | None = None, **_):
    """The volunteer, or whoever manages the activity."""
    if actor is None:
        return False
    owner = db.session.scalar(sa.select(ShiftSignup.user_id).where(ShiftSignup.id == signup_id))
    if owner is None or owner == actor.user_id:
        return True
    return manages_activity(actor, _activity_of(signup_id=signup_id))


@policy("team.create")
def _team_create(actor, community_id: int | None = None, **_):
    """Community managers register teams (志愿队, 社会组织)."""
    if actor is None:
        return False
    return _is_manager_somewhere(actor) if community_id is None else actor.covers_community(community_id)


@policy("team.manage")
def _team_manage(actor, team_id: int | None = None, **_):
    """Community managers over the team's community, and the team's organisers, manage its members."""
    if actor is None:
        return False
    community_id = db.session.scalar(sa.select(VolunteerTeam.community_id).where(VolunteerTeam.id == team_id))
    if community_id is None:
        return True
    return actor.covers_community(community_id) or team_id in organised_team_ids(actor)


@policy("volunteering.admin")
def _volunteering_admin(actor, community_id: int | None = None, reward_id: int | None = None, **_):
    """Community managers: points rate, check-in distance, shop keepers, honour hours, bonus points, the catalogue."""
    if actor is None:
        return False
    if reward_id is not None:
        community_id = db.session.scalar(sa.select(Reward.community_id).where(Reward.id == reward_id))
        if community_id is None:
            return True
    return _is_manager_somewhere(actor) if community_id is None else actor.covers_community(community_id)


def keeps_shop(actor: Actor | None, community_id: int) -> bool:
    """Community managers and the community's shop keepers."""
    if actor is None:
        return False
    if actor.covers_community(community_id):
        return True
    return db.session.scalar(sa.select(ShopKeeper.id).where(ShopKeeper.community_id == community_id,
                                                            ShopKeeper.user_id == actor.user_id)) is not None


@policy("reward.keep")
def _reward_keep(actor, community_id: int | None = None, **_):
    """The 爱心超市 counter: list pickups and mark them collected."""
    if actor is None:
        return False
    if community_id is None:
        return _is_manager_somewhere(actor) or db.session.scalar(
            sa.select(ShopKeeper.id).where(ShopKeeper.user_id == actor.user_id).limit(1)) is not None
    return keeps_shop(actor, community_id)


@policy("redemption.cancel")
def _redemption_cancel(actor, redemption_id: int | None = None, **_):
    """The volunteer who redeemed, or a keeper of that shop."""
    if actor is None:
        return False
    redemption = db.session.get(Redemption, redemption_id) if redemption_id is not None else None
    if redemption is None or redemption.user_id == actor.user_id:
        return True
    return keeps_shop(actor, redemption.community_id)
