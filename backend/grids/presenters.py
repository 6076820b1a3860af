"""Shape geography objects for responses."""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.grids import service
from backend.grids.models import Grid, StaffSkill


def grid_detail(grid: Grid) -> dict:
    """A grid with its boundary and staff (names and duty state only; no phones)."""
    staff = service.staff_of_grid(grid.id)
    skills: dict[int, list[str]] = {}
    if staff:
        for user_id, skill in db.session.execute(
                sa.select(StaffSkill.user_id, StaffSkill.skill)
                .where(StaffSkill.user_id.in_([u.id for u, _ in staff])).order_by(StaffSkill.skill)):
            skills.setdefault(user_id, []).append(skill)
    on_duty = service.on_duty_among([u.id for u, _ in staff])
    community, street = grid.community, grid.community.street
    return {"id": grid.id, "code": grid.code, "name": grid.name, "community_id": community.id,
            "community_code": community.code, "community_name": community.name, "street_id": street.id,
            "street_code": street.code, "street_name": street.name, "boundary": grid.boundary,
            "staff": [{"user_id": u.id, "name": u.real_name or u.nickname, "role": role,
                       "on_duty": u.id in on_duty, "skills": skills.get(u.id, [])} for u, role in staff]}
