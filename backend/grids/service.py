"""Geography rules: the hierarchy, point location, staff on duty."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from backend.core.db import utcnow
from backend.core.errors import NotFound
from backend.extensions import db
from backend.grids.index import IndexCache
from backend.grids.models import (Community, District, DutyException, DutyWindow, GeoVersion, Grid, Street)

GEO_VERSION = "grids"


def local_tz() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("LINLI_TIMEZONE", "Asia/Shanghai"))


# --- hierarchy ----------------------------------------------------------------------------------

def hierarchy_of_grid(grid_id: int) -> tuple[int, int, int, int] | None:
    """(grid, community, street, district) ids, or None if the grid does not exist."""
    row = db.session.execute(
        sa.select(Grid.id, Community.id, Street.id, Street.district_id)
        .join(Community, Community.id == Grid.community_id).join(Street, Street.id == Community.street_id)
        .where(Grid.id == grid_id)).first()
    return tuple(row) if row else None


def hierarchy_of_community(community_id: int) -> tuple[int, int, int] | None:
    """(community, street, district) ids, or None."""
    row = db.session.execute(
        sa.select(Community.id, Street.id, Street.district_id)
        .join(Street, Street.id == Community.street_id).where(Community.id == community_id)).first()
    return tuple(row) if row else None


_SCOPE_MODELS = {"grid": Grid, "community": Community, "street": Street, "district": District}


def scope_label(scope_type: str, scope_id: int) -> tuple[str, str]:
    """(code, name) of a role's scope, or ("", "") when unknown."""
    model = _SCOPE_MODELS.get(scope_type)
    obj = db.session.get(model, scope_id) if model else None
    return (obj.code, obj.name) if obj else ("", "")


def get_grid(grid_id: int) -> Grid:
    grid = db.session.get(Grid, grid_id)
    if grid is None:
        raise NotFound("网格不存在", reason="grid_not_found")
    return grid


# --- location -----------------------------------------------------------------------------------

def geo_version() -> int:
    return db.session.scalar(sa.select(GeoVersion.version).where(GeoVersion.name == GEO_VERSION)) or 0


def bump_geo_version() -> None:
    """Record that grid boundaries changed, so every process rebuilds its index."""
    updated = db.session.execute(sa.update(GeoVersion).where(GeoVersion.name == GEO_VERSION)
                                 .values(version=GeoVersion.version + 1)).rowcount
    if not updated:
        db.session.add(GeoVersion(name=GEO_VERSION, version=1))
    _index_cache().invalidate()


def _index_cache() -> IndexCache:
    """The app's grid-index cache (one per app, so apps on different databases never share one)."""
    return current_app.extensions.setdefault("linli_grid_index", IndexCache())


def grid_index():
    """The process's grid index, current with the database."""
    return _index_cache().get(geo_version, lambda: db.session.execute(sa.select(Grid.id, Grid.code, Grid.boundary)).all())


def locate(lat: float, lng: float) -> Grid:
    """The grid containing a point; 404 `outside_district` when none does."""
    hit = grid_index().locate(lng, lat)
    grid = db.session.get(Grid, hit.grid_id) if hit else None
    if hit is not None and grid is None:
        # This process's index predates another process's change (it checks the version only every
        # few seconds) and names a grid that is gone: rebuild it now rather than answer 404 wrongly.
        _index_cache().invalidate()
        hit = grid_index().locate(lng, lat)
        grid = db.session.get(Grid, hit.grid_id) if hit else None
    if grid is None:
        raise NotFound("该位置不在本区网格范围内", reason="outside_district")
    return grid


# --- duty roster --------------------------------------------------------------------------------

def on_duty(user_id: int, at: datetime | None = None) -> bool:
    """Whether a staff member is on duty at a moment: exceptions first, then the weekly windows."""
    return user_id in on_duty_among([user_id], at)


def on_duty_among(user_ids, at: datetime | None = None) -> set[int]:
    """Which of these staff members are on duty at a moment, in two queries however many they are.

    A covering exception decides (the newest, if several); without one, the weekly windows in
    local time do.
    """
    at = at or utcnow()
    user_ids = {int(user_id) for user_id in user_ids}
    if not user_ids:
        return set()
    # The ids are inlined as integer literals: a thousand bound parameters cost PostgreSQL more than the query.
    ids = sa.bindparam("user_ids", sorted(user_ids), expanding=True, literal_execute=True)
    decided: dict[int, bool] = {}
    for user_id, is_on in db.session.execute(
            sa.select(DutyException.user_id, DutyException.on_duty)
            .where(DutyException.user_id.in_(ids), DutyException.starts_at <= at, DutyException.ends_at > at)
            .order_by(DutyException.id)):
        decided[user_id] = is_on  # ascending ids: the newest exception is written last
    local = at.astimezone(local_tz())
    clock = local.time().replace(tzinfo=None)
    windowed = set(db.session.scalars(
        sa.select(DutyWindow.user_id).where(DutyWindow.user_id.in_(ids), DutyWindow.weekday == local.weekday(),
                                            DutyWindow.starts <= clock, DutyWindow.ends > clock)))
    return {user_id for user_id in user_ids if decided.get(user_id, user_id in windowed)}


def staff_of_grid(grid_id: int) -> list[tuple[object, str]]:
    """(user, role) for the grid's workers and leaders, leaders first."""
    from backend.accounts.models import RoleAssignment, User

    rows = db.session.execute(
        sa.select(User, RoleAssignment.role).join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.scope_type == "grid", RoleAssignment.scope_id == grid_id)
        .order_by(sa.case((RoleAssignment.role == "grid_leader", 0), else_=1), User.id)).all()
    return [(user, role) for user, role in rows]
