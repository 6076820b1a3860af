"""The demo seed, built once for this module (seeding takes a second or two) and checked from every side."""
import random
import re
import time as clock
from datetime import datetime, time, timedelta

import numpy as np
import pytest
import shapely
import sqlalchemy as sa
from shapely.strtree import STRtree

from backend import demo
from backend.accounts.models import Household, HouseholdInvite, HouseholdMember, RoleAssignment, User
from backend.app import create_app
from backend.cases import sla
from backend.cases.jobs import sweep_case_deadlines
from backend.cases.models import STATUSES, Case, CaseAssignment, CaseEvent, CaseFollower
from backend.cases.policies import covers_case
from backend.core import jobs
from backend.core.auth import load_actor
from backend.core.db import utcnow
from backend.extensions import db
from backend.grids import service
from backend.grids.models import Community, District, DutyException, DutyWindow, Grid, StaffSkill, Street
from backend.media.models import MediaFile
from backend.notifications.models import Notification
from tests.conftest import _empty_tables, base_config
from tests.factories import login

SEEDED_TABLES = (District, Street, Community, Grid, User, RoleAssignment, StaffSkill, DutyWindow, DutyException,
                 Household, HouseholdMember, HouseholdInvite, Case, CaseEvent, CaseAssignment, CaseFollower,
                 Notification)
RECTANGLE_AREA = (demo.EAST - demo.WEST) * (demo.NORTH - demo.SOUTH)


@pytest.fixture(scope="module")
def seeded(database_url, tmp_path_factory):
    """An app whose database holds the demo, seeded once on an empty database.

    Also yields each sample case's status as the seed left it, before the jobs it queued ran (the first
    request would run them); then they run, as the app's sweeper would shortly after `make run`.
    """
    app = create_app(base_config(database_url, MEDIA_ROOT=str(tmp_path_factory.mktemp("media"))))
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Grid)) == 0
        summary = demo.seed_demo()
        statuses = dict(db.session.execute(sa.select(Case.description, Case.status)).all())
        jobs.drain()
        yield app, summary, statuses
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


def row_counts() -> dict[str, int]:
    return {m.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in SEEDED_TABLES}


def grants(openid: str) -> set[tuple[str, str, str]]:
    """(role, scope_type, scope code) of a user."""
    user = db.session.scalar(sa.select(User).where(User.openid == openid))
    assert user is not None, openid
    return {(r.role, r.scope_type, service.scope_label(r.scope_type, r.scope_id)[0]) for r in user.roles}


def test_hierarchy_and_people_counts(seeded):
    _, summary, _ = seeded
    assert not summary.skipped
    assert summary.counts == {"streets": 5, "communities": 60, "grids": 260, "leaders": 260, "workers": 780,
                              "committee": 60, "street_admins": 5, "district_admins": 1, "residents": 3000,
                              "households": summary.counts["households"], "invites": 180,
                              "cases": len(demo.SAMPLE_CASES)}
    assert 900 <= summary.counts["households"] <= 1500
    streets = db.session.scalars(sa.select(Street).order_by(Street.code)).all()
    assert [s.code for s in streets] == [f"320506-00{i}" for i in range(1, 6)]
    assert streets[0].name == "长桥街道" and all(s.name.endswith("街道") for s in streets)
    per_street = db.session.execute(sa.select(Community.street_id, sa.func.count()).group_by(Community.street_id)).all()
    assert sorted(n for _, n in per_street) == [12] * 5
    per_community = db.session.execute(sa.select(Grid.community_id, sa.func.count()).group_by(Grid.community_id)).all()
    assert {n for _, n in per_community} == {4, 5}
    assert all(re.fullmatch(r"320506-00[1-5]-0(0[1-9]|1[0-2])-0[1-5]", code)
               for code in db.session.scalars(sa.select(Grid.code)))


def test_documented_openids_have_their_roles(seeded):
    assert grants("demo-admin") == {("district_admin", "district", "320506")}
    assert grants("demo-street-320506-003") == {("street_admin", "street", "320506-003")}
    assert grants("demo-committee-320506-003-012") == {("committee", "community", "320506-003-012")}
    assert grants("demo-leader-320506-003-012-04") == {("grid_leader", "grid", "320506-003-012-04")}
    assert grants("demo-worker-320506-003-012-04-1") == {("grid_worker", "grid", "320506-003-012-04")}
    assert grants("demo-worker-320506-001-001-05-3") == {("grid_worker", "grid", "320506-001-001-05")}
    assert grants("demo-resident-1") == set() and grants("demo-resident-3000") == set()
    assert db.session.scalar(sa.select(User.id).where(User.openid == "demo-resident-3001")) is None

    staff = db.session.scalars(sa.select(User).join(RoleAssignment)).all()
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,3}", u.real_name) for u in staff)
    residents = db.session.scalars(sa.select(User).where(User.openid.like("demo-resident-%"))).all()
    assert all(re.fullmatch(r"1[3-9]\d{9}", u.phone) and 0 < len(u.nickname) <= 32 for u in residents)
    assert len({u.phone for u in residents}) == len(residents)
    skills = set(db.session.scalars(sa.select(StaffSkill.skill)))
    assert skills == set(demo.SKILLS)


def test_residents_are_verified_members_spread_over_the_grids(seeded):
    app, _, _ = seeded
    members = db.session.execute(
        sa.select(User.openid, HouseholdMember.verified_at, Household.grid_id)
        .join(HouseholdMember, HouseholdMember.user_id == User.id)
        .join(Household, Household.id == HouseholdMember.household_id)).all()
    assert len(members) == 3000 and all(verified is not None for _, verified, _ in members)
    assert len({grid_id for *_, grid_id in members}) == 260

    client = app.test_client()
    me = client.get("/api/v1/me", headers=login(client, "demo-resident-1")).json
    assert me["verified"] is True and me["household"]["grid_code"].startswith("320506-")
    admin = client.get("/api/v1/me", headers=login(client, "demo-admin")).json
    assert {"role": "district_admin", "scope_code": "320506", "scope_name": "吴中区"}.items() <= admin["roles"][1].items()


def test_a_newcomer_can_join_with_a_printed_invite(seeded):
    app, summary, _ = seeded
    assert len(summary.invites) == 2
    code, community, address = summary.invites[0]
    per_community = db.session.execute(
        sa.select(Grid.community_id, sa.func.count()).select_from(HouseholdInvite)
        .join(Household, Household.id == HouseholdInvite.household_id).join(Grid, Grid.id == Household.grid_id)
        .group_by(Grid.community_id)).all()
    assert len(per_community) == 60 and {n for _, n in per_community} == {3}

    client = app.test_client()
    headers = login(client, "newcomer-trying-the-demo")
    joined = client.post("/api/v1/households/join", json={"invite_code": code}, headers=headers)

    assert joined.status_code in (200, 201), joined.json
    me = client.get("/api/v1/me", headers=headers).json
    assert me["verified"] is True and me["household"]["address"] == address


def test_grids_partition_the_district_rectangle(seeded):
    boundaries = db.session.execute(sa.select(Grid.id, Grid.boundary).order_by(Grid.code)).all()
    geoms = np.array([shapely.from_geojson(b) for _, b in boundaries], dtype=object)
    assert all(shapely.is_valid(geoms))

    union = shapely.union_all(geoms)
    rectangle = shapely.box(demo.WEST, demo.SOUTH, demo.EAST, demo.NORTH)
    assert union.area == pytest.approx(RECTANGLE_AREA, rel=1e-9)
    assert shapely.symmetric_difference(union, rectangle).area < 1e-12 * RECTANGLE_AREA
    assert shapely.area(geoms).sum() == pytest.approx(RECTANGLE_AREA, rel=1e-9)  # so nothing is counted twice
    left, right = STRtree(geoms).query(geoms, predicate="intersects")
    pairs = left < right
    assert pairs.sum() > 260  # neighbours touch
    assert shapely.area(shapely.intersection(geoms[left[pairs]], geoms[right[pairs]])).max() < 1e-15
    # Not axis-aligned rectangles: interior vertices are jittered.
    assert sum(len(shapely.get_coordinates(g)) > 5 for g in geoms) == len(geoms)


def test_every_grid_centroid_locates_to_that_grid(seeded):
    for grid_id, boundary in db.session.execute(sa.select(Grid.id, Grid.boundary)):
        centroid = shapely.from_geojson(boundary).centroid
        assert service.locate(centroid.y, centroid.x).id == grid_id


def test_seeding_again_changes_nothing_and_is_fast(seeded):
    app, _, _ = seeded
    before = row_counts()
    version = service.geo_version()

    started = clock.perf_counter()
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    elapsed = clock.perf_counter() - started

    assert result.exit_code == 0, result.output
    assert "演示数据已完整，无需重复写入" in result.output and "可试用的入户邀请码" in result.output
    assert f"示例工单 {len(demo.SAMPLE_CASES)} 件" in result.output
    assert elapsed < 1.0
    db.session.rollback()
    assert row_counts() == before and service.geo_version() == version


def test_geometry_and_codes_are_deterministic():
    first = demo.district_features(random.Random(demo.SEED))
    second = demo.district_features(random.Random(demo.SEED))
    assert first == second
    assert len(first["features"]) == 260
    assert first["features"][0]["properties"]["code"] == "320506-001-001-01"


def test_someone_is_on_duty_in_every_community_at_every_hour_of_the_week(seeded):
    staff: dict[int, set[int]] = {}
    for community_id, user_id in db.session.execute(
            sa.select(Grid.community_id, RoleAssignment.user_id)
            .join(RoleAssignment, sa.and_(RoleAssignment.scope_type == "grid", RoleAssignment.scope_id == Grid.id))):
        staff.setdefault(community_id, set()).add(user_id)
    assert len(staff) == 60
    everyone = set().union(*staff.values())
    tz = service.local_tz()
    # From today 00:30 local, so this week's leave counts; :30 lands on the 08:30 and 17:30 hand-overs.
    start = datetime.combine(utcnow().astimezone(tz).date(), time(0, 30), tzinfo=tz)
    rng = random.Random(1)
    sampled = rng.sample(sorted(staff), 3)

    for hour in range(7 * 24):
        at = start + timedelta(hours=hour)
        on = service.on_duty_among(everyone, at)
        uncovered = [community_id for community_id, users in staff.items() if not users & on]
        assert uncovered == [], at.isoformat()
        if at.hour == 3:  # the small hours: exactly the community's night-shift worker
            assert all(len(users & on) == 1 for users in staff.values()), at.isoformat()
        if hour % 7 == 0:  # the one-person form agrees, on a sample
            community_id = sampled[hour % 3]
            assert {u for u in staff[community_id] if service.on_duty(u, at)} == staff[community_id] & on


# --- sample cases ---------------------------------------------------------------------------------

def sample_cases() -> list[Case]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Case).order_by(Case.id)))


def timeline(case: Case) -> list[CaseEvent]:
    return list(db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)))


def test_sample_cases_show_every_state_of_the_lifecycle(seeded):
    _, _, statuses_at_seed = seeded
    assert set(statuses_at_seed.values()) == set(STATUSES)
    assert set(statuses_at_seed) == {sample.description for sample in demo.SAMPLE_CASES}
    cases = sample_cases()
    now = utcnow()
    assert sum(sla.is_overdue(case, now) for case in cases) == 2
    assert {case.kind for case in cases} == {"incident", "service"}
    assert [e.data["cause"] for case in cases for e in timeline(case) if e.kind == "escalated"].count("manual") == 1
    assert any(e.kind == "returned" for case in cases for e in timeline(case))
    assert any(e.kind == "auto_closed" for case in cases for e in timeline(case))
    assert [case.rating for case in cases if case.rating] == [5]
    assert {case.community.code for case in cases} == {demo.SAMPLE_COMMUNITY}
    assert all(case.photo_ids == [] for case in cases)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MediaFile)) == 0
    # The one left for the app to route was routed by its queued job, like any new report.
    [fresh] = [case for case in cases if statuses_at_seed[case.description] == "submitted"]
    assert fresh.status == "assigned" and [e.kind for e in timeline(fresh)] == ["submitted", "assigned"]


def test_sample_timelines_are_what_the_case_service_writes(seeded):
    for case in sample_cases():
        events = timeline(case)
        assert events[0].kind == "submitted" and events[0].created_at == case.created_at
        assert [e.created_at for e in events] == sorted(e.created_at for e in events), case.description
        assert events[-1].created_at <= utcnow()
        if case.status in ("assigned", "accepted", "in_progress", "resolved", "closed"):
            assert any(e.kind == "assigned" and e.data["chosen"]["user_id"] for e in events)
        for assignment in db.session.scalars(sa.select(CaseAssignment).where(CaseAssignment.case_id == case.id)):
            # the routing rules held: staff of the case's grid or community, in the role recorded
            assert covers_case(load_actor(assignment.assignee_id), case, (assignment.role,)), case.description
            if assignment.accepted_at is not None:
                assert assignment.accepted_at <= assignment.accept_due_at  # no deadline was skipped


def test_no_deadline_is_due_right_after_seeding(seeded):
    assert sweep_case_deadlines(now=utcnow()) == {"reassigned": 0, "escalated": 0, "closed": 0, "rerouted": 0}


def test_a_newcomer_finds_populated_lists_and_inboxes(seeded):
    app, summary, _ = seeded
    client = app.test_client()
    resident = login(client, "demo-resident-1")
    mine = client.get("/api/v1/cases?view=mine", headers=resident).json
    assert len(mine) == 4 and {c["status"] for c in mine} == {"in_progress", "assigned", "resolved", "closed"}
    resolved = next(c for c in mine if c["status"] == "resolved")
    detail = client.get(f"/api/v1/cases/{resolved['id']}", headers=resident).json
    assert {"confirm", "reopen"} <= set(detail["actions"]) and len(detail["timeline"]) == 5

    staff = login(client, summary.busiest_staff)
    assert client.get("/api/v1/cases?view=assigned", headers=staff).json
    assert client.get("/api/v1/notifications", headers=staff).json
    community = client.get("/api/v1/cases?view=community&page_size=50",
                           headers=login(client, f"demo-committee-{demo.SAMPLE_COMMUNITY}")).json
    assert len(community) == len(demo.SAMPLE_CASES)
    assert [c["overdue"] for c in community[:3]] == [True, True, False]  # overdue first


def test_a_missing_sample_case_is_played_again_alone(seeded):
    """An interrupted seed, or a demo written before there were sample cases: only what is missing is added."""
    cases = sample_cases()
    lost = next(case for case in cases if case.status == "cancelled")
    kept = {case.id: (case.status, len(timeline(case))) for case in cases if case.id != lost.id}
    for model in (CaseEvent, CaseAssignment, CaseFollower):
        db.session.execute(sa.delete(model).where(model.case_id == lost.id))
    db.session.execute(sa.delete(Case).where(Case.id == lost.id))
    db.session.commit()
    assert not demo.demo_complete()

    summary = demo.seed_demo()

    assert not summary.skipped and summary.counts["cases"] == len(demo.SAMPLE_CASES)
    cases = sample_cases()
    assert {case.id: (case.status, len(timeline(case))) for case in cases if case.id in kept} == kept
    [again] = [case for case in cases if case.id not in kept]
    assert again.description == lost.description and again.status == "cancelled"
    assert demo.demo_complete()
