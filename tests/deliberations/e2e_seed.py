"""Deliberation data for the mini-program's end-to-end tests against the live app:

    python -m backend.testserver --seed tests.deliberations.e2e_seed:seed

Adds, in the test server's community: a committee member (dev login `dev:e2e-topics-committee`), a
verified proposer and three verified neighbours, each in a household of their own in the first grid,
and an unverified resident. The community's support threshold is one supporter, so a single 附议
puts a proposal on the agenda. It also shortens the 10-minute minimum voting window to one second,
in this test server only, so a vote can be opened, cast and closed within the test.
"""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from backend.accounts.models import Household, HouseholdMember, RoleAssignment, User
from backend.core.db import utcnow
from backend.deliberations.models import DeliberationSettings
from backend.extensions import db
from backend.grids.models import Community, Grid

PREFIX = "e2e-topics"


def _resident(openid: str, nickname: str, grid: Grid, address: str, *, verified: bool = True) -> User:
    """A resident in a household of their own; verified a minute ago, so they are on any roll from now on."""
    user = User(openid=openid, nickname=nickname)
    household = Household(grid_id=grid.id, address=address, building="1 幢")
    db.session.add_all([user, household])
    db.session.flush()
    joined = utcnow() - timedelta(minutes=1)
    db.session.add(HouseholdMember(household_id=household.id, user_id=user.id, joined_at=joined,
                                   verified_at=joined if verified else None))
    return user


def seed() -> dict:
    community = db.session.scalar(sa.select(Community).order_by(Community.id))
    grid = db.session.scalar(sa.select(Grid).where(Grid.community_id == community.id).order_by(Grid.id))

    committee = User(openid=f"{PREFIX}-committee", nickname="居委会李主任")
    db.session.add(committee)
    db.session.flush()
    db.session.add(RoleAssignment(user_id=committee.id, role="committee", scope_type="community",
                                  scope_id=community.id))
    proposer = _resident(f"{PREFIX}-proposer", "提议人老张", grid, "长桥新村 1 幢 201")
    neighbours = [_resident(f"{PREFIX}-neighbour-{n}", f"邻居{n}", grid, f"长桥新村 1 幢 30{n}") for n in (1, 2, 3)]
    unverified = _resident(f"{PREFIX}-unverified", "新住户", grid, "长桥新村 1 幢 401", verified=False)
    db.session.merge(DeliberationSettings(community_id=community.id, support_count=1, support_percent=None,
                                          response_days=15, updated_at=utcnow()))
    db.session.commit()

    # The API refuses a voting window under ten minutes by default; this test server allows one second.
    current_app.config["DELIBERATION_MIN_VOTING_WINDOW"] = 1

    return {"topics": {"community_id": community.id, "grid_id": grid.id,
                       "committee_openid": committee.openid, "proposer_openid": proposer.openid,
                       "neighbour_openids": [n.openid for n in neighbours],
                       "unverified_openid": unverified.openid, "support_threshold": 1}}
