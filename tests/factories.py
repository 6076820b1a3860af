"""Builders for test data: a small district, users with roles, households, logins."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import time, timedelta

import sqlalchemy as sa

from backend.accounts.models import Household, HouseholdInvite, HouseholdMember, RoleAssignment, User
from backend.core.db import utcnow
from backend.extensions import db
from backend.grids.models import Community, District, DutyWindow, Grid, StaffSkill, Street
from backend.grids.service import bump_geo_version


def square(lng: float, lat: float, size: float = 0.01) -> str:
    """A GeoJSON square polygon with its south-west corner at (lng, lat)."""
    ring = [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def cell(i: int, j: int = 0, size: float = 0.01, origin: tuple[float, float] = (120.60, 31.30)) -> str:
    """Cell (i, j) of a lattice: neighbours share edges exactly (each edge is computed from its index)."""
    x0, x1 = origin[0] + i * size, origin[0] + (i + 1) * size
    y0, y1 = origin[1] + j * size, origin[1] + (j + 1) * size
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


@dataclass
class Geography:
    district: District
    streets: list[Street] = field(default_factory=list)
    communities: list[Community] = field(default_factory=list)
    grids: list[Grid] = field(default_factory=list)


def make_geography() -> Geography:
    """One district, one street, two communities with two adjoining 0.01° grids each.

    Grid i covers lng 120.60+0.01·i … +0.01, lat 31.30 … 31.31 (i = 0..3, left to right).
    """
    district = District(code="320506", name="吴中区")
    street = Street(district=district, code="320506-001", name="长桥街道")
    geo = Geography(district=district, streets=[street])
    for c in range(2):
        community = Community(street=street, code=f"320506-001-00{c + 1}", name=f"测试{c + 1}社区")
        geo.communities.append(community)
        for g in range(2):
            i = c * 2 + g
            grid = Grid(community=community, code=f"{community.code}-0{g + 1}", name=f"第{i + 1}网格",
                        boundary=cell(i))
            geo.grids.append(grid)
    db.session.add(district)
    bump_geo_version()
    db.session.commit()
    return geo


def make_user(openid: str, *, nickname: str = "", phone: str | None = None,
              roles: tuple[tuple[str, str, int], ...] = ()) -> User:
    """A user with roles given as (role, scope_type, scope_id)."""
    user = User(openid=openid, nickname=nickname or openid, phone=phone)
    db.session.add(user)
    db.session.flush()
    for role, scope_type, scope_id in roles:
        db.session.add(RoleAssignment(user_id=user.id, role=role, scope_type=scope_type, scope_id=scope_id))
    db.session.commit()
    return user


def make_staff(openid: str, grid: Grid, role: str = "grid_worker", skills: tuple[str, ...] = (),
               always_on_duty: bool = True) -> User:
    """A grid worker or leader of `grid`, optionally on duty all week."""
    user = make_user(openid, roles=((role, "grid", grid.id),))
    for skill in skills:
        db.session.add(StaffSkill(user_id=user.id, skill=skill))
    if always_on_duty:
        for weekday in range(7):
            db.session.add(DutyWindow(user_id=user.id, weekday=weekday, starts=time(0, 0), ends=time(23, 59, 59)))
    db.session.commit()
    return user


def make_household(grid: Grid, address: str = "长桥新村 1 幢 101") -> Household:
    household = Household(grid_id=grid.id, address=address)
    db.session.add(household)
    db.session.commit()
    return household


def make_invite(household: Household, code: str = "ABCD2345", max_uses: int = 6,
                expires_in: timedelta = timedelta(days=7)) -> HouseholdInvite:
    invite = HouseholdInvite(household_id=household.id, code=code, max_uses=max_uses,
                             expires_at=utcnow() + expires_in)
    db.session.add(invite)
    db.session.commit()
    return invite


def make_verified_resident(openid: str, household: Household, phone: str | None = None) -> User:
    user = make_user(openid, phone=phone)
    db.session.add(HouseholdMember(household_id=household.id, user_id=user.id, joined_at=utcnow(),
                                   verified_at=utcnow()))
    db.session.commit()
    return user


def login(client, openid: str) -> dict:
    """Dev-login as `openid` and return the Authorization header."""
    response = client.post("/api/v1/auth/wechat-login", json={"code": f"dev:{openid}"})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def login_pair(client, openid: str) -> dict:
    """Dev-login and return the whole token response."""
    response = client.post("/api/v1/auth/wechat-login", json={"code": f"dev:{openid}"})
    assert response.status_code == 200, response.json
    return response.json


def row_counts() -> tuple[int, ...]:
    """Every table's row count, in one round trip: equal before and after, a refused request added
    and removed nothing."""
    counts = [sa.select(sa.func.count()).select_from(table).scalar_subquery() for table in db.metadata.sorted_tables]
    return tuple(db.session.execute(sa.select(*counts)).one())
