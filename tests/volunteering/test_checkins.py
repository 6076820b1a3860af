"""Check-in and check-out: the rotating code, every refusal, manual check-in, hours clipped to the shift."""
from __future__ import annotations

import base64
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from backend.core import jobs
from backend.core.db import utcnow
from backend.core.models import OutboxEntry
from backend.extensions import db
from backend.volunteering import checkins
from backend.volunteering.models import Attendance, HoursEntry, PointsEntry, VolunteeringSettings
from backend.wechat.client import SCENE_RE
from tests.factories import login
from tests.volunteering.factories import (PLACE, fresh, headers_for, make_activity, make_community, make_volunteer,
                                          sign_up)

@pytest.fixture
def running(world):
    """A shift that started ten minutes ago and runs two hours, with Alice confirmed on it."""
    activity = make_activity(world.id, starts_in=timedelta(minutes=-10), hours=2, shifts=2)
    shift = activity.shifts[0]
    alice = make_volunteer(world, "alice")
    signup = sign_up(shift, alice, now=shift.starts_at - timedelta(days=1))[0]
    return {"world": world, "activity": activity, "shift": shift, "alice": alice, "signup": signup,
            "headers": headers_for(alice.id)}


def current_code(client, shift) -> str:
    response = client.get(f"/api/v1/shifts/{shift.id}/checkin-code", headers=login(client, "committee-1"))
    assert response.status_code == 200, response.json
    return response.json["code"]


def scan(client, headers, code, **extra):
    return client.post("/api/v1/checkins", json={"code": code, **extra}, headers=headers)


def backdate_checkin(signup, by: timedelta) -> None:
    """Move the check-in back in time, as if the volunteer had been there for a while."""
    attendance = db.session.scalar(sa.select(Attendance).where(Attendance.signup_id == signup.id))
    attendance.checked_in_at -= by
    db.session.commit()


def test_the_organisers_code_is_short_signed_and_rotating(client, running):
    shift = running["shift"]
    response = client.get(f"/api/v1/shifts/{shift.id}/checkin-code", headers=login(client, "committee-1"))
    body = response.json
    assert response.status_code == 200 and body["shift_id"] == shift.id
    assert len(body["code"]) <= 32 and SCENE_RE.fullmatch(body["code"])  # fits a mini-program code's scene
    assert body["image"] is None and body["page"] == "pages/volunteer/checkin/checkin"
    rotates, expires = (datetime.fromisoformat(body[k]) for k in ("rotates_at", "expires_at"))
    assert expires - rotates == timedelta(seconds=30) and timedelta(0) < rotates - utcnow() <= timedelta(seconds=30)
    assert checkins.read_code(body["code"]) == (shift.id, checkins._window(utcnow()))
    denied = client.get(f"/api/v1/shifts/{shift.id}/checkin-code", headers=running["headers"])
    assert denied.status_code == 403


def test_codes_are_offered_only_around_the_shift(client, world):
    later = make_activity(world.id, starts_in=timedelta(hours=2)).shifts[0]
    over = make_activity(world.id, starts_in=timedelta(hours=-6), hours=2, title="结束的").shifts[0]
    headers = login(client, "committee-1")
    early = client.get(f"/api/v1/shifts/{later.id}/checkin-code", headers=headers)
    assert early.status_code == 409 and early.json["reason"] == "checkin_not_open"
    late = client.get(f"/api/v1/shifts/{over.id}/checkin-code", headers=headers)
    assert late.status_code == 409 and late.json["reason"] == "checkin_closed"


def test_check_in_then_out_credits_hours_and_points(client, running):
    shift, signup, headers = running["shift"], running["signup"], running["headers"]
    checked_in = scan(client, headers, current_code(client, shift), **PLACE)
    assert checked_in.status_code == 200, checked_in.json
    assert checked_in.json["action"] == "checked_in" and checked_in.json["activity_title"] == "社区清洁日"
    attendance = checked_in.json["attendance"]
    assert attendance["checkin_method"] == "scan" and attendance["hours"] is None and attendance["points"] is None

    too_soon = scan(client, headers, current_code(client, shift))
    assert too_soon.status_code == 409 and too_soon.json["reason"] == "already_checked_in"

    backdate_checkin(signup, timedelta(minutes=50))  # arrived before the start: counted from the start
    checked_out = scan(client, headers, current_code(client, shift))
    assert checked_out.status_code == 200 and checked_out.json["action"] == "checked_out"
    out = checked_out.json["attendance"]
    assert out["checkout_method"] == "scan" and out["checkout_missing"] is False
    minutes = db.session.scalar(sa.select(Attendance.minutes))
    assert 9 <= minutes <= 11  # the shift began ten minutes ago
    assert out["hours"] == round(minutes / 60, 1) and out["points"] == (minutes * 10 + 30) // 60
    assert db.session.scalar(sa.select(HoursEntry.kind)) == "service"

    replay = scan(client, headers, current_code(client, shift))
    assert replay.status_code == 409 and replay.json["reason"] == "already_checked_out"
    assert db.session.scalar(sa.select(sa.func.count(HoursEntry.id))) == 1


def test_last_windows_code_works_an_older_one_has_expired(client, running):
    shift, headers = running["shift"], running["headers"]
    window = checkins._window(utcnow())
    expired = scan(client, headers, checkins.code_for(shift.id, window - 2))
    assert expired.status_code == 409 and expired.json["reason"] == "checkin_code_expired"
    assert scan(client, headers, checkins.code_for(shift.id, window - 1)).status_code == 200


def test_forged_and_future_codes_are_invalid(client, running):
    shift, headers = running["shift"], running["headers"]
    window = checkins._window(utcnow())
    genuine = checkins.code_for(shift.id, window)
    other_shift = genuine.split(".", 1)[1]
    for code in ("hello", genuine[:-1] + ("A" if genuine[-1] != "A" else "B"), f"zz.{other_shift}",
                 checkins.code_for(shift.id, window + 5), ""):
        response = scan(client, headers, code)
        assert response.status_code == 422, code
        assert response.json["reason"] in ("invalid_checkin_code", "validation_error")
    assert db.session.scalar(sa.select(sa.func.count(Attendance.id))) == 0


def test_a_code_for_another_shift_is_the_wrong_shift(client, running):
    activity, headers = running["activity"], running["headers"]
    other = activity.shifts[1]  # same activity, later shift, Alice is not on it
    wrong = scan(client, headers, checkins.code_for(other.id, checkins._window(utcnow())))
    assert wrong.status_code == 409 and wrong.json["reason"] == "wrong_shift"
    hinted = scan(client, headers, current_code(client, running["shift"]), shift_id=other.id)
    assert hinted.status_code == 409 and hinted.json["reason"] == "wrong_shift"


def test_only_confirmed_volunteers_check_in(client, running):
    world, shift = running["world"], running["shift"]
    stranger = make_volunteer(world, "stranger")
    refused = scan(client, headers_for(stranger.id), current_code(client, shift))
    assert refused.status_code == 409 and refused.json["reason"] == "not_signed_up"
    full = make_activity(world.id, starts_in=timedelta(minutes=-5), capacity=1, title="满员").shifts[0]
    bob, carol = make_volunteer(world, "bob"), make_volunteer(world, "carol")
    sign_up(full, bob, carol, now=full.starts_at - timedelta(days=1))  # carol is waitlisted
    waiting = scan(client, headers_for(carol.id), current_code(client, full))
    assert waiting.status_code == 409 and waiting.json["reason"] == "not_signed_up"
    assert db.session.scalar(sa.select(sa.func.count(Attendance.id))) == 0


def test_too_far_from_the_place(client, running):
    shift, headers = running["shift"], running["headers"]
    code = current_code(client, shift)
    far = scan(client, headers, code, lat=PLACE["lat"] + 0.02, lng=PLACE["lng"])  # about 2.2 km north
    assert far.status_code == 409 and far.json["reason"] == "too_far" and "公里" in far.json["message"]
    assert scan(client, headers, code, lat=PLACE["lat"] + 0.003, lng=PLACE["lng"]).status_code == 200  # ~330 m


def test_the_distance_follows_the_community_setting(client, running):
    db.session.add(VolunteeringSettings(community_id=running["world"].id, points_per_hour=10, checkin_radius_m=100))
    db.session.commit()
    code = current_code(client, running["shift"])
    near = scan(client, running["headers"], code, lat=PLACE["lat"] + 0.003, lng=PLACE["lng"])
    assert near.json["reason"] == "too_far"


def test_manual_check_in_and_out_by_the_organiser(client, running):
    signup, shift = running["signup"], running["shift"]
    organiser = login(client, "committee-1")
    checked_in = client.post(f"/api/v1/signups/{signup.id}/check-in", headers=organiser)
    assert checked_in.status_code == 200 and checked_in.json["checkin_method"] == "manual"
    row = db.session.scalar(sa.select(Attendance))
    assert row.checked_in_by_id == running["world"].committee[0].id
    twice = client.post(f"/api/v1/signups/{signup.id}/check-in", headers=organiser)
    assert twice.status_code == 409 and twice.json["reason"] == "already_checked_in"
    assert client.post(f"/api/v1/signups/{signup.id}/check-in", headers=running["headers"]).status_code == 403
    checked_out = client.post(f"/api/v1/signups/{signup.id}/check-out", headers=organiser)
    assert checked_out.status_code == 200 and checked_out.json["checkout_method"] == "manual"
    history = client.get("/api/v1/me/volunteering", headers=running["headers"]).json["history"]
    assert history[0]["manual"] is True and "代签到" in history[0]["reason"]
    again = client.post(f"/api/v1/signups/{signup.id}/check-out", headers=organiser)
    assert again.status_code == 409 and again.json["reason"] == "already_checked_out"
    replay = scan(client, running["headers"], current_code(client, shift))
    assert replay.json["reason"] == "already_checked_out"


def test_manual_check_out_needs_a_check_in(client, running):
    response = client.post(f"/api/v1/signups/{running['signup'].id}/check-out", headers=login(client, "committee-1"))
    assert response.status_code == 409 and response.json["reason"] == "not_checked_in"


def test_hours_are_clipped_to_the_shift(app, world):
    shift = make_activity(world.id, starts_in=timedelta(days=1), hours=2).shifts[0]
    alice, bob = make_volunteer(world, "alice"), make_volunteer(world, "bob")
    sign_up(shift, alice, bob)
    start, end = shift.starts_at, shift.ends_at

    def code_at(moment):
        return checkins.code_for(shift.id, checkins._window(moment))

    checkins.scan(alice.id, code_at(start - timedelta(minutes=30)), now=start - timedelta(minutes=30))
    out = checkins.scan(alice.id, code_at(end + timedelta(minutes=45)), now=end + timedelta(minutes=45))
    assert out.attendance.minutes == 120  # early arrival and late leaving do not count
    checkins.scan(bob.id, code_at(start + timedelta(minutes=20)), now=start + timedelta(minutes=20))
    out = checkins.scan(bob.id, code_at(start + timedelta(minutes=95)), now=start + timedelta(minutes=95))
    assert out.attendance.minutes == 75
    assert sorted(db.session.scalars(sa.select(PointsEntry.amount))) == [13, 20]  # 1.25 h and 2 h × 10


def test_check_in_closes_at_the_end_and_opens_an_hour_before(app, world):
    shift = make_activity(world.id, starts_in=timedelta(days=1), hours=2).shifts[0]
    alice = make_volunteer(world, "alice")
    sign_up(shift, alice)
    for moment, reason in ((shift.starts_at - timedelta(minutes=61), "checkin_not_open"),
                           (shift.ends_at, "checkin_closed")):
        with pytest.raises(Exception) as refused:
            checkins.scan(alice.id, checkins.code_for(shift.id, checkins._window(moment)), now=moment)
        assert refused.value.reason == reason


def test_a_forgotten_check_out_counts_to_the_end_and_is_flagged(app, world):
    shift = make_activity(world.id, starts_in=timedelta(days=1), hours=3).shifts[0]
    alice = make_volunteer(world, "alice")
    signup = sign_up(shift, alice)[0]
    arrived = shift.starts_at + timedelta(minutes=30)
    checkins.scan(alice.id, checkins.code_for(shift.id, checkins._window(arrived)), now=arrived)
    assert checkins.close_forgotten(now=shift.ends_at + timedelta(minutes=30)) == 0  # check-out still open
    assert checkins.close_forgotten(now=shift.ends_at + checkins.CLOSES_AFTER) == 1
    db.session.commit()
    attendance = fresh(signup).attendance
    assert (attendance.minutes, attendance.checkout_missing, attendance.checkout_method) == (150, True, "auto")
    assert attendance.checked_out_at is None
    assert checkins.close_forgotten(now=shift.ends_at + timedelta(days=1)) == 0
    assert "未签退" in db.session.scalar(sa.select(HoursEntry.reason))
    late = shift.ends_at + timedelta(hours=3)
    with pytest.raises(Exception) as refused:
        checkins.scan(alice.id, checkins.code_for(shift.id, checkins._window(late)), now=late)
    assert refused.value.reason == "already_checked_out"


def test_the_delayed_job_closes_a_forgotten_check_out(client, running):
    scan(client, running["headers"], current_code(client, running["shift"]))
    entry = db.session.scalar(sa.select(OutboxEntry).where(OutboxEntry.job.like("%close_forgotten_checkout")))
    assert abs(entry.not_before - (running["shift"].ends_at + checkins.CLOSES_AFTER)) < timedelta(seconds=1)
    assert jobs.run_outbox_entry(entry.id) == "not yet"
    assert db.session.scalar(sa.select(Attendance.closed_at)) is None
    shift = fresh(running["shift"])  # five hours pass: the shift ended three hours ago
    shift.starts_at, shift.ends_at = utcnow() - timedelta(hours=5), utcnow() - timedelta(hours=3)
    attendance = db.session.scalar(sa.select(Attendance))
    attendance.checked_in_at = shift.starts_at
    entry.not_before = utcnow()
    db.session.commit()
    jobs.run_outbox_entry(entry.id)
    db.session.expire_all()
    attendance = db.session.scalar(sa.select(Attendance))
    assert attendance.checkout_missing is True and attendance.closed_at is not None


def test_the_mini_program_code_comes_from_wechat(make_app, fake_wechat, wechat_settings):
    fake = fake_wechat.fake
    app = make_app(**wechat_settings, WECHAT_MINIPROGRAM_STATE="developer")
    with app.app_context():
        world = make_community()
        shift = make_activity(world.id, starts_in=timedelta(minutes=-5)).shifts[0]
        client = app.test_client()
        headers = headers_for(world.committee[0].id)  # with WeChat configured there is no dev login
        body = client.get(f"/api/v1/shifts/{shift.id}/checkin-code", headers=headers).json
        assert body["image"].startswith("data:image/png;base64,")
        png = base64.b64decode(body["image"].split(",", 1)[1])
        assert png.startswith(b"\x89PNG") and body["code"].encode() in png
        call = [params for path, params in fake.calls if path == "/wxa/getwxacodeunlimit"][-1]
        assert call["scene"] == body["code"] and call["page"] == "pages/volunteer/checkin/checkin"
        assert call["env_version"] == "develop" and call["check_path"] is False
        again = client.get(f"/api/v1/shifts/{shift.id}/checkin-code", headers=headers).json
        if again["code"] == body["code"]:  # same window: served from the cache
            assert fake.count("/wxa/getwxacodeunlimit") == 1
        fake.fail_next("/wxa/getwxacodeunlimit", 45009)
        app.extensions["linli_checkin_wxacodes"].clear()
        degraded = client.get(f"/api/v1/shifts/{shift.id}/checkin-code", headers=headers)
        assert degraded.status_code == 200 and degraded.json["image"] is None  # a plain QR code instead
