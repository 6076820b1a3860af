"""Builders for case tests: the catalogue, a staffed district, residents, photos, submissions."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from backend.accounts.models import User
from backend.cases.catalogue import ensure_default_categories
from backend.cases.models import Case, CaseAssignment, CaseEvent
from backend.core import jobs
from backend.core.db import utcnow
from backend.extensions import db
from backend.grids.models import DutyException, Grid
from backend.notifications.models import Notification
from tests.factories import (Geography, make_geography, make_household, make_staff, make_user,
                             make_verified_resident)
from tests.media import images
from tests.media.helpers import post_photo


def point_in(grid_index: int, dx: float = 0.005, dy: float = 0.005) -> dict:
    """A point inside grid `grid_index` of `make_geography()` (grid i spans lng 120.60+0.01·i … +0.01)."""
    return {"lat": round(31.30 + dy, 6), "lng": round(120.60 + 0.01 * grid_index + dx, 6)}


@dataclass
class District:
    """`make_geography()` staffed: grid 0 has three workers and a leader; each community a committee member."""

    geo: Geography
    workers: list[User] = field(default_factory=list)   # of grid 0
    leader: User | None = None                          # of grid 0
    other_worker: User | None = None                    # of grid 1
    committee: list[User] = field(default_factory=list)  # one per community
    street_admin: User | None = None
    district_admin: User | None = None

    @property
    def grids(self) -> list[Grid]:
        return self.geo.grids


def make_district(workers=(("electrical", "plumbing"), ("electrical",), ("elderly_care",))) -> District:
    """Categories seeded, grid 0 staffed (workers with the given skills, on duty all week) and the hierarchy above."""
    ensure_default_categories()
    db.session.commit()
    geo = make_geography()
    d = District(geo=geo)
    d.workers = [make_staff(f"worker-{n}", geo.grids[0], skills=skills) for n, skills in enumerate(workers, start=1)]
    d.leader = make_staff("leader", geo.grids[0], role="grid_leader")
    d.other_worker = make_staff("other-worker", geo.grids[1], skills=("electrical", "plumbing", "elderly_care"))
    d.committee = [make_user(f"committee-{n}", roles=(("committee", "community", c.id),))
                   for n, c in enumerate(geo.communities, start=1)]
    d.street_admin = make_user("street", roles=(("street_admin", "street", geo.streets[0].id),))
    d.district_admin = make_user("admin", roles=(("district_admin", "district", geo.district.id),))
    for user, name in zip(d.workers, ("张三", "李四", "王五", "孙七")):
        user.real_name = name
    d.leader.real_name, d.other_worker.real_name = "赵网格长", "钱六"
    db.session.commit()
    return d


def make_resident(openid: str, grid: Grid, address: str | None = None) -> User:
    return make_verified_resident(openid, make_household(grid, address or f"{openid} 家"), phone="13800000000")


def off_duty(user: User, hours: int = 24) -> None:
    """Put a staff member on leave from now for `hours`."""
    now = utcnow()
    db.session.add(DutyException(user_id=user.id, starts_at=now - timedelta(minutes=1),
                                 ends_at=now + timedelta(hours=hours), on_duty=False, reason="病假"))
    db.session.commit()


def photo(client, headers) -> int:
    response = post_photo(client, headers, images.jpeg())
    assert response.status_code == 201, response.json
    return response.json["id"]


def incident(grid_index: int = 0, **overrides) -> dict:
    """A 路灯损坏 report inside a grid (add photo_ids)."""
    return {"kind": "incident", "category_code": "streetlight", "description": "小区门口路灯不亮了",
            "address": "长桥新村北门", **point_in(grid_index), **overrides}


def submit(client, headers, body: dict | None = None, *, photos: int = 1, key: str | None = None, expect: int = 201):
    """POST /cases with a fresh photo for an incident; returns the JSON body."""
    body = dict(body or incident())
    if body["kind"] == "incident" and "photo_ids" not in body:
        body["photo_ids"] = [photo(client, headers) for _ in range(photos)]
    extra = {"Idempotency-Key": key} if key else {}
    response = client.post("/api/v1/cases", json=body, headers={**headers, **extra})
    assert response.status_code == expect, response.json
    return response.json


def case_row(case_id: int) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case_id)


def assignments(case_id: int) -> list[CaseAssignment]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(CaseAssignment).where(CaseAssignment.case_id == case_id)
                                   .order_by(CaseAssignment.attempt)))


def events(case_id: int) -> list[CaseEvent]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)))


def inbox(user: User, kind: str | None = None) -> list[Notification]:
    db.session.expire_all()
    query = sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query))


def act(client, headers, case_id: int, action: str, body: dict | None = None):
    return client.post(f"/api/v1/cases/{case_id}/{action}", json=body or {}, headers=headers)


def sweep(at: datetime) -> dict:
    """Run the case deadline sweep as if it were `at`, then the jobs it queued."""
    from backend.cases.jobs import sweep_case_deadlines

    done = sweep_case_deadlines(now=at)
    jobs.drain()
    return done


def row_counts() -> dict[str, int]:
    return {t.name: db.session.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in db.metadata.sorted_tables}
