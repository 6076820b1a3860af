"""Sign-ups: places, the waitlist, repeats and overlaps, deadlines and cutoffs, cancelling and promotion."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from backend.core.db import utcnow
from backend.extensions import db
from backend.notifications.models import OutgoingMessage
from backend.notifications.service import record_consents
from backend.volunteering.models import ShiftSignup
from tests.factories import login, make_user
from tests.volunteering.factories import (fresh, headers_for, make_activity, make_community, make_volunteer,
                                          notifications, sign_up)


def signup_url(shift) -> str:
    return f"/api/v1/shifts/{shift.id}/signups"


def test_places_then_the_waitlist_in_order(client, world):
    activity = make_activity(world.id, capacity=2)
    shift = activity.shifts[0]
    people = [make_volunteer(world, f"v{n}") for n in range(5)]
    answers = [client.post(signup_url(shift), headers=headers_for(p.id)) for p in people]
    assert [a.status_code for a in answers] == [201] * 5
    assert [(a.json["status"], a.json["position"]) for a in answers] == [
        ("confirmed", None), ("confirmed", None), ("waitlisted", 1), ("waitlisted", 2), ("waitlisted", 3)]
    assert answers[0].json["activity_title"] == "社区清洁日" and answers[0].json["attendance"] is None
    detail = client.get(f"/api/v1/activities/{activity.id}", headers=headers_for(people[3].id)).json
    mine = detail["shifts"][0]
    assert (mine["places_left"], mine["waitlist_length"], mine["status"]) == (0, 3, "waitlist")
    assert mine["my_signup"] == {"id": answers[3].json["id"], "status": "waitlisted", "position": 2}
    assert detail["places_left"] == 0
    assert fresh(shift).confirmed == 2


def test_full_without_a_waitlist(client, world):
    shift = make_activity(world.id, capacity=1, waitlist=False).shifts[0]
    first, second = make_volunteer(world, "a"), make_volunteer(world, "b")
    assert client.post(signup_url(shift), headers=headers_for(first.id)).status_code == 201
    full = client.post(signup_url(shift), headers=headers_for(second.id))
    assert full.status_code == 409 and full.json["reason"] == "shift_full" and full.json["message"]
    assert db.session.scalar(sa.select(sa.func.count(ShiftSignup.id))) == 1


def test_twice_for_one_shift_and_overlapping_shifts_are_refused(client, world):
    morning = make_activity(world.id, starts_in=timedelta(days=2), hours=3).shifts[0]
    overlapping = make_activity(world.id, starts_in=timedelta(days=2, hours=2), title="敬老院探访").shifts[0]
    afterwards = make_activity(world.id, starts_in=timedelta(days=2, hours=3), title="垃圾分类宣传").shifts[0]
    headers = headers_for(make_volunteer(world, "alice").id)
    assert client.post(signup_url(morning), headers=headers).status_code == 201
    again = client.post(signup_url(morning), headers=headers)
    assert again.status_code == 409 and again.json["reason"] == "already_signed_up"
    clash = client.post(signup_url(overlapping), headers=headers)
    assert clash.status_code == 409 and clash.json["reason"] == "overlapping_shift"
    assert "社区清洁日" in clash.json["message"]
    assert client.post(signup_url(afterwards), headers=headers).status_code == 201  # back to back is fine


def test_a_waitlisted_shift_also_blocks_overlaps_but_a_cancelled_one_does_not(client, world):
    full = make_activity(world.id, capacity=1).shifts[0]
    clash = make_activity(world.id, title="同时段").shifts[0]
    sign_up(full, make_volunteer(world, "first"))
    alice = make_volunteer(world, "alice")
    waiting = client.post(signup_url(full), headers=headers_for(alice.id)).json
    assert waiting["status"] == "waitlisted"
    refused = client.post(signup_url(clash), headers=headers_for(alice.id))
    assert refused.json["reason"] == "overlapping_shift"
    assert client.delete(f"/api/v1/signups/{waiting['id']}", headers=headers_for(alice.id)).status_code == 200
    assert client.post(signup_url(clash), headers=headers_for(alice.id)).status_code == 201
    again = client.post(signup_url(full), headers=headers_for(alice.id))
    assert again.json["reason"] == "overlapping_shift"


def test_signing_up_again_after_cancelling(client, world):
    shift = make_activity(world.id).shifts[0]
    headers = headers_for(make_volunteer(world, "alice").id)
    first = client.post(signup_url(shift), headers=headers).json
    client.delete(f"/api/v1/signups/{first['id']}", headers=headers)
    second = client.post(signup_url(shift), headers=headers)
    assert second.status_code == 201 and second.json["id"] != first["id"]


def test_deadline_and_who_may_sign_up(client, world):
    closed = make_activity(world.id, signup_deadline=utcnow() - timedelta(minutes=1)).shifts[0]
    volunteer = make_volunteer(world, "alice")
    late = client.post(signup_url(closed), headers=headers_for(volunteer.id))
    assert late.status_code == 409 and late.json["reason"] == "signup_closed"
    shift = make_activity(world.id, title="开放的").shifts[0]
    unverified = make_user("stranger")
    refused = client.post(signup_url(shift), headers=headers_for(unverified.id))
    assert (refused.status_code, refused.json["reason"]) == (403, "not_verified") and "认证" in refused.json["message"]
    assert client.post(signup_url(shift)).status_code == 401
    assert client.post("/api/v1/shifts/999999/signups", headers=headers_for(volunteer.id)).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(ShiftSignup.id))) == 0


def test_cancelling_frees_the_place_for_the_first_waiting(client, world):
    activity = make_activity(world.id, capacity=1)
    shift = activity.shifts[0]
    alice, bob, carol = (make_volunteer(world, name) for name in ("alice", "bob", "carol"))
    mine, bobs, carols = sign_up(shift, alice, bob, carol)
    response = client.delete(f"/api/v1/signups/{mine.id}", headers=headers_for(alice.id))
    assert response.status_code == 200
    assert (response.json["status"], response.json["cancel_kind"]) == ("cancelled", "self")
    assert (fresh(bobs).status, fresh(bobs).promoted_at is not None) == ("confirmed", True)
    assert fresh(shift).confirmed == 1
    told = notifications(bob, "volunteer_promoted")
    assert len(told) == 1 and told[0].link == f"pages/volunteer/activity/activity?id={activity.id}"
    carols_view = client.get("/api/v1/me/signups", headers=headers_for(carol.id)).json
    assert [(s["status"], s["position"]) for s in carols_view] == [("waitlisted", 1)]

    again = client.delete(f"/api/v1/signups/{mine.id}", headers=headers_for(alice.id))
    assert again.status_code == 200 and again.json["status"] == "cancelled"
    assert fresh(carols).status == "waitlisted" and fresh(shift).confirmed == 1  # nobody promoted twice


def test_waitlisted_cancel_promotes_nobody(client, world):
    shift = make_activity(world.id, capacity=1).shifts[0]
    alice, bob, carol = (make_volunteer(world, name) for name in ("alice", "bob", "carol"))
    _, bobs, carols = sign_up(shift, alice, bob, carol)
    client.delete(f"/api/v1/signups/{bobs.id}", headers=headers_for(bob.id))
    assert fresh(carols).status == "waitlisted" and fresh(shift).confirmed == 1
    assert client.get("/api/v1/me/signups", headers=headers_for(carol.id)).json[0]["position"] == 1


def test_late_cancellation_is_allowed_but_recorded(client, world):
    shift = make_activity(world.id, starts_in=timedelta(hours=5), capacity=1).shifts[0]  # cutoff passed
    alice, bob = make_volunteer(world, "alice"), make_volunteer(world, "bob")
    mine, bobs = sign_up(shift, alice, bob)
    response = client.delete(f"/api/v1/signups/{mine.id}", headers=headers_for(alice.id))
    assert response.json["cancel_kind"] == "late"
    assert fresh(bobs).status == "confirmed"
    record = client.get("/api/v1/me/volunteering", headers=headers_for(alice.id)).json["record"]
    assert record["late_cancellations"] == 1


def test_no_cancelling_once_the_shift_started(client, world):
    shift = make_activity(world.id, starts_in=timedelta(hours=-1)).shifts[0]
    alice = make_volunteer(world, "alice")
    signup = sign_up(shift, alice, now=shift.starts_at - timedelta(days=1))[0]
    refused = client.delete(f"/api/v1/signups/{signup.id}", headers=headers_for(alice.id))
    assert refused.status_code == 409 and refused.json["reason"] == "shift_started"
    assert fresh(signup).status == "confirmed"


def test_only_the_volunteer_or_the_organiser_cancels(client, world):
    shift = make_activity(world.id).shifts[0]
    alice, bob = make_volunteer(world, "alice"), make_volunteer(world, "bob")
    signup = sign_up(shift, alice)[0]
    assert client.delete(f"/api/v1/signups/{signup.id}", headers=headers_for(bob.id)).status_code == 403
    removed = client.delete(f"/api/v1/signups/{signup.id}", headers=login(client, "committee-1"))
    assert removed.status_code == 200 and removed.json["cancel_kind"] == "removed"


def test_a_retried_signup_with_the_same_key_signs_up_once(client, world):
    shift = make_activity(world.id).shifts[0]
    headers = {**headers_for(make_volunteer(world, "alice").id), "Idempotency-Key": "tap-1"}
    first = client.post(signup_url(shift), headers=headers)
    again = client.post(signup_url(shift), headers=headers)
    assert first.status_code == again.status_code == 201 and again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(sa.select(sa.func.count(ShiftSignup.id))) == 1


def test_the_organisers_roster(client, world):
    shift = make_activity(world.id, capacity=1).shifts[0]
    alice, bob = make_volunteer(world, "alice"), make_volunteer(world, "bob")
    alice.phone = "13812345678"
    db.session.commit()
    sign_up(shift, alice, bob)
    roster = client.get(f"/api/v1/shifts/{shift.id}/signups", headers=login(client, "committee-1"))
    assert roster.status_code == 200
    assert [(r["volunteer"]["user_id"], r["status"], r["position"]) for r in roster.json] == [
        (alice.id, "confirmed", None), (bob.id, "waitlisted", 1)]
    assert roster.json[0]["volunteer"]["phone"] == "138****5678" and roster.json[0]["no_show"] is False
    assert client.get(f"/api/v1/shifts/{shift.id}/signups", headers=headers_for(alice.id)).status_code == 403


def test_the_promoted_volunteer_also_gets_a_subscribe_message(wechat_app, fake_wechat):
    client = wechat_app.test_client()
    world = make_community()
    activity = make_activity(world.id, capacity=1)
    alice, bob = make_volunteer(world, "alice"), make_volunteer(world, "bob")
    record_consents(bob.id, ["tmpl-promoted"])
    mine, _ = sign_up(activity.shifts[0], alice, bob)
    assert client.delete(f"/api/v1/signups/{mine.id}", headers=headers_for(alice.id)).status_code == 200
    message = db.session.scalar(sa.select(OutgoingMessage).where(OutgoingMessage.user_id == bob.id))
    assert message.status == "sent"
    sent = fake_wechat.fake.sent_messages[-1]
    assert sent["touser"] == "bob" and sent["template_id"] == "tmpl-promoted"
    assert sent["page"] == f"pages/volunteer/activity/activity?id={activity.id}"
    assert sent["data"]["thing1"]["value"] == "社区清洁日" and sent["data"]["phrase3"]["value"] == "已确认"
