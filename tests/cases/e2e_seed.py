"""Case data for the mini-program's end-to-end test (`miniprogram/test/cases.e2e.test.js`).

`python -m backend.testserver --seed tests.cases.e2e_seed:seed` calls `seed()` in the app context after
its base data: grid 320506-001-001-01 (lng 120.60–120.61, lat 31.30–31.31) and invite code TEST2345.
It adds the catalogue, a grid worker on duty around the clock, and two cases of a neighbour already
with that worker — one open near the test's point (a nearby suggestion to follow), one overdue.
"""
from __future__ import annotations

import io
from datetime import timedelta

import sqlalchemy as sa

from backend.cases import service
from backend.cases.catalogue import ensure_default_categories
from backend.cases.models import Case
from backend.core import jobs
from backend.core.auth import load_actor
from backend.core.db import utcnow
from backend.extensions import db
from backend.grids.models import Grid
from backend.media.service import store_photo
from tests.factories import make_staff, make_user
from tests.media import images

GRID_CODE = "320506-001-001-01"
WORKER_OPENID = "e2e-cases-worker"
WORKER_NAME = "张三"
NEIGHBOUR_OPENID = "e2e-cases-neighbour"
POINT = {"lat": 31.305, "lng": 120.605}  # inside the grid; the neighbour's streetlight is here


def _neighbour_case(neighbour_id: int, category_code: str, description: str, lat: float, lng: float) -> int:
    photo = store_photo(neighbour_id, io.BytesIO(images.jpeg()))
    case = service.submit_case(load_actor(neighbour_id), {
        "kind": "incident", "category_code": category_code, "description": description, "lat": lat, "lng": lng,
        "address": "长桥新村北门", "photo_ids": [photo.id], "anonymous": False})
    jobs.drain()  # route it now (the in-process runner), not on the server's first request
    return case.id


def seed() -> dict:
    """Catalogue, worker and the neighbour's cases; returns what the JS test needs."""
    if not sa.inspect(db.engine).has_table(Case.__tablename__):
        # Say so plainly: otherwise the first query fails with "no such table" deep in the catalogue.
        raise RuntimeError("the case tables are missing: the test server builds its database with the Alembic "
                           "migrations, and none creates them yet")
    ensure_default_categories()
    db.session.commit()
    grid = db.session.scalar(sa.select(Grid).where(Grid.code == GRID_CODE))
    worker = make_staff(WORKER_OPENID, grid, skills=("electrical", "sanitation", "certificates"))
    worker.real_name = WORKER_NAME
    neighbour = make_user(NEIGHBOUR_OPENID, phone="13900000000")
    db.session.commit()

    nearby_id = _neighbour_case(neighbour.id, "streetlight", "北门路灯不亮", POINT["lat"], POINT["lng"])
    overdue_id = _neighbour_case(neighbour.id, "stairwell_light", "2 幢楼道灯坏了", 31.302, 120.602)
    service.accept_case(load_actor(worker.id), overdue_id)
    # Past its resolve deadline, with the escalation step still ahead, so it shows overdue but stays put.
    now = utcnow()
    db.session.execute(sa.update(Case).where(Case.id == overdue_id).values(
        resolve_due_at=now - timedelta(hours=1), next_escalation_at=now + timedelta(days=1)))
    db.session.commit()
    return {
        "cases": {
            "worker_openid": WORKER_OPENID,
            "worker_id": worker.id,
            "worker_name": WORKER_NAME,
            "grid_code": GRID_CODE,
            "point": POINT,
            "nearby_case_id": nearby_id,
            "overdue_case_id": overdue_id,
        },
    }
