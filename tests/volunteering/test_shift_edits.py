"""Moving a shift or changing its place until it starts: everyone signed up is told once, reminders
follow the new time and never the old one, nobody is cancelled; refused edits change nothing."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from backend.core import jobs
from backend.core.db import utcnow
from backend.core.models import OutboxEntry
from backend.extensions import db
from backend.notifications.models import Notification, OutgoingMessage
from backend.notifications.service import record_consents
from backend.volunteering import jobs as volunteering_jobs
from backend.volunteering import signups
from backend.volunteering.models import Activity, Shift, ShiftSignup
from tests.factories import login, make_user
from tests.volunteering.factories import (fresh, headers_for, make_activity, make_community, make_due, make_team,
                                          make_volunteer, notifications, reminder_entries, sign_up)

CHANGED = "volunteer_shift_changed"


def moved(shift: Shift, by: timedelta, hours: float = 2, **extra) -> dict:
    start = shift.starts_at + by
    return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=hours)).isoformat(), **extra}


def edit(client, shift: Shift, body: dict, headers: dict):
    return client.patch(f"/api/v1/shifts/{shift.id}", json=body, headers=headers)


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def outbox_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(OutboxEntry.id)))


def test_moving_a_shift_tells_everyone_signed_up_once_and_cancels_nobody(client, world):
    activity = make_activity(world.id, capacity=2, starts_in=timedelta(days=3))
    shift = activity.shifts[0]
    alice, bob, carol, dave = (make_volunteer(world, name) for name in ("alice", "bob", "carol", "dave"))
    *_, daves = sign_up(shift, alice, bob, carol, dave)  # carol and dave wait
    signups.cancel_signup(daves.id, dave.id)
    headers = login(client, "committee-1")

    response = edit(client, shift, moved(shift, timedelta(days=1, hours=2), place="社区活动中心"), headers)
    assert response.status_code == 200, response.json
    body = response.json["shifts"][0]
    new_start = fresh(shift).starts_at
    assert at(body["starts_at"]) == new_start and at(body["ends_at"]) == new_start + timedelta(hours=2)
    assert body["place"] == "社区活动中心" and (body["confirmed"], body["waitlist_length"]) == (2, 1)
    assert (at(response.json["starts_at"]), at(response.json["ends_at"])) == (new_start, new_start + timedelta(hours=2))
    assert fresh(shift).revision == 1

    expected = f"「社区清洁日」调整为 {signups.when_label(fresh(shift))} 社区活动中心"
    for person in (alice, bob, carol):
        told = notifications(person, CHANGED)
        assert [(n.title, n.body) for n in told] == [("志愿服务时间地点有调整", expected)]
        assert told[0].link == f"pages/volunteer/activity/activity?id={activity.id}"
    assert notifications(dave, CHANGED) == []
    statuses = dict(db.session.execute(sa.select(ShiftSignup.user_id, ShiftSignup.status)).all())
    assert [statuses[p.id] for p in (alice, bob, carol, dave)] == ["confirmed", "confirmed", "waitlisted", "cancelled"]

    volunteering_jobs.notify_shift_changed(shift.id, 1)  # a redelivered job
    db.session.commit()
    assert len(notifications(alice, CHANGED)) == 1

    assert edit(client, shift, {"place": "长桥新村广场"}, headers).status_code == 200  # a second change: told again
    assert [n.body.split(" ")[-1] for n in notifications(alice, CHANGED)] == ["社区活动中心", "长桥新村广场"]
    assert edit(client, shift, {"capacity": 3, "lat": 31.3, "lng": 120.6}, headers).status_code == 200
    assert len(notifications(alice, CHANGED)) == 2 and fresh(shift).revision == 2  # not announced
    assert edit(client, shift, {"place": "长桥新村广场"}, headers).status_code == 200  # the same place: nothing new
    assert len(notifications(alice, CHANGED)) == 2


def test_deadlines_keep_their_distance_to_a_moved_start_unless_given(client, world):
    shift = make_activity(world.id, starts_in=timedelta(days=3)).shifts[0]
    before = fresh(shift)
    deadline_gap, cutoff_gap = before.starts_at - before.signup_deadline, before.starts_at - before.cancel_cutoff
    headers = login(client, "committee-1")
    assert edit(client, shift, moved(shift, timedelta(days=2)), headers).status_code == 200
    after = fresh(shift)
    assert after.starts_at - after.signup_deadline == deadline_gap
    assert after.starts_at - after.cancel_cutoff == cutoff_gap

    deadline = after.starts_at + timedelta(days=1) - timedelta(hours=3)
    body = moved(after, timedelta(days=1), signup_deadline=deadline.isoformat())
    assert edit(client, shift, body, headers).status_code == 200
    assert fresh(shift).signup_deadline == deadline
    assert fresh(shift).starts_at - fresh(shift).cancel_cutoff == cutoff_gap


def test_reminders_follow_the_new_time_and_never_the_old(client, world):
    shift = make_activity(world.id, starts_in=timedelta(days=3)).shifts[0]
    old_start = shift.starts_at
    alice = make_volunteer(world, "alice")
    signup = sign_up(shift, alice)[0]
    old_day, old_hour = reminder_entries()
    assert old_day.args == [signup.id, "day", 0]

    assert edit(client, shift, moved(shift, timedelta(days=2)), login(client, "committee-1")).status_code == 200
    new_start = fresh(shift).starts_at
    new = [e for e in reminder_entries() if e.id not in (old_day.id, old_hour.id)]
    assert [e.args for e in new] == [[signup.id, "day", 1], [signup.id, "hour", 1]]
    assert abs(new[0].not_before - (new_start - timedelta(hours=24))) < timedelta(seconds=1)
    assert abs(new[1].not_before - (new_start - timedelta(hours=1))) < timedelta(seconds=1)

    for entry in (old_day, old_hour):  # the old jobs come due and find the shift moved
        make_due(entry)
        assert jobs.run_outbox_entry(entry.id) == "done"
    assert signups.remind_due(now=old_start - timedelta(hours=23)) == 0  # nor does the sweep act on old times
    assert signups.remind_due(now=old_start - timedelta(minutes=30)) == 0
    db.session.commit()
    assert notifications(alice, "volunteer_reminder") == []

    for entry in new:
        make_due(entry)
        jobs.run_outbox_entry(entry.id)
    assert [n.title for n in notifications(alice, "volunteer_reminder")] == ["志愿服务明天开始", "志愿服务即将开始"]


def test_a_reminder_already_sent_is_sent_again_for_the_new_time(client, world):
    shift = make_activity(world.id, starts_in=timedelta(hours=20)).shifts[0]  # the day reminder is due at once
    alice = make_volunteer(world, "alice")
    sign_up(shift, alice)
    assert [e.args[1] for e in reminder_entries()] == ["hour"]
    assert signups.remind_due(now=utcnow()) == 0  # handled: signed up on the day
    assert edit(client, shift, moved(shift, timedelta(days=2)), login(client, "committee-1")).status_code == 200
    day = [e for e in reminder_entries() if e.args[1:] == ["day", 1]]
    make_due(day[0])
    jobs.run_outbox_entry(day[0].id)
    assert [n.title for n in notifications(alice, "volunteer_reminder")] == ["志愿服务明天开始"]

    assert edit(client, shift, moved(fresh(shift), timedelta(days=1)), login(client, "committee-1")).status_code == 200
    day = [e for e in reminder_entries() if e.args[1:] == ["day", 2]]
    make_due(day[0])
    jobs.run_outbox_entry(day[0].id)
    assert [n.title for n in notifications(alice, "volunteer_reminder")] == ["志愿服务明天开始"] * 2


def test_moved_to_within_a_day_only_the_hour_reminder_is_planned(client, world):
    shift = make_activity(world.id, starts_in=timedelta(days=3)).shifts[0]
    signup = sign_up(shift, make_volunteer(world, "alice"))[0]
    body = moved(shift, timedelta(hours=5) - (shift.starts_at - utcnow()))  # starts in five hours
    assert edit(client, shift, body, login(client, "committee-1")).status_code == 200
    assert [e.args for e in reminder_entries() if e.args[2:] == [1]] == [[signup.id, "hour", 1]]
    assert fresh(signup).day_reminder_at is not None and fresh(signup).hour_reminder_at is None


def test_overlaps_are_not_rechecked_and_nobody_is_cancelled(client, world):
    morning = make_activity(world.id, starts_in=timedelta(days=3), hours=2).shifts[0]
    noon = make_activity(world.id, starts_in=timedelta(days=3, hours=3), hours=2, title="敬老院探访").shifts[0]
    alice = make_volunteer(world, "alice")
    sign_up(morning, alice)
    sign_up(noon, alice)
    response = edit(client, noon, moved(noon, timedelta(hours=-2)), login(client, "committee-1"))
    assert response.status_code == 200
    assert fresh(noon).starts_at < fresh(morning).ends_at  # they overlap now
    assert set(db.session.scalars(sa.select(ShiftSignup.status))) == {"confirmed"}


def test_the_teams_organiser_may_move_its_shifts_and_others_may_not(client, world):
    organiser = make_user("organiser")
    team = make_team(world, organisers=(organiser,))
    shift = make_activity(world.id, team_id=team.id).shifts[0]
    start = shift.starts_at
    for headers in (headers_for(make_volunteer(world, "alice").id), login(client, "committee-2")):
        assert edit(client, shift, moved(shift, timedelta(hours=1)), headers).status_code == 403
    assert fresh(shift).starts_at == start
    assert edit(client, shift, moved(shift, timedelta(hours=1)), login(client, "organiser")).status_code == 200
    assert fresh(shift).starts_at == start + timedelta(hours=1)


def test_refused_edits_change_nothing_and_tell_nobody(client, world):
    shift = make_activity(world.id, starts_in=timedelta(days=3)).shifts[0]
    alice = make_volunteer(world, "alice")
    sign_up(shift, alice)
    headers = login(client, "committee-1")
    before = {c: getattr(fresh(shift), c) for c in ("starts_at", "ends_at", "place", "signup_deadline", "cancel_cutoff",
                                                    "revision")}
    entries = outbox_count()
    naive = moved(shift, timedelta(hours=1))
    naive["starts_at"] = naive["starts_at"][:19]
    cases = [
        (moved(shift, timedelta(0), hours=-1), "invalid_shift", "ends_at"),
        (moved(shift, timedelta(0), hours=25), "invalid_shift", "ends_at"),
        (moved(shift, timedelta(days=-4)), "invalid_shift", "starts_at"),
        (moved(shift, timedelta(days=400)), "invalid_shift", "starts_at"),
        ({"ends_at": (shift.starts_at - timedelta(minutes=1)).isoformat()}, "invalid_shift", "ends_at"),
        (moved(shift, timedelta(hours=-5), signup_deadline=(shift.starts_at - timedelta(hours=1)).isoformat()),
         "invalid_shift", "signup_deadline"),
        (naive, "validation_error", "starts_at"),
        ({"starts_at": "明天"}, "validation_error", "starts_at"),
    ]
    for body, reason, field in cases:
        response = edit(client, shift, body, headers)
        assert (response.status_code, response.json["reason"]) == (422, reason), body
        assert response.json["message"] and field in response.json["errors"]["json"], response.json
    assert {c: getattr(fresh(shift), c) for c in before} == before
    assert outbox_count() == entries and notifications(alice, CHANGED) == []


def test_no_edits_once_the_shift_started_or_the_activity_was_cancelled(client, world):
    started = make_activity(world.id, starts_in=timedelta(hours=-1)).shifts[0]
    headers = login(client, "committee-1")
    for body in (moved(started, timedelta(hours=3)), {"place": "别处"}, {"capacity": 9}):
        refused = edit(client, started, body, headers)
        assert (refused.status_code, refused.json["reason"]) == (409, "invalid_transition"), body
        assert refused.json["message"] == "班次已开始，不能再修改"
    assert (fresh(started).place, fresh(started).capacity, fresh(started).revision) == ("长桥新村广场", 5, 0)

    # Check-in opens an hour before the start: from then on the time and place stay, capacity may change.
    soon = make_activity(world.id, title="马上开始", starts_in=timedelta(minutes=30)).shifts[0]
    for body in (moved(soon, timedelta(hours=3)), {"place": "别处"}):
        refused = edit(client, soon, body, headers)
        assert (refused.status_code, refused.json["reason"]) == (409, "invalid_transition"), body
        assert refused.json["message"] == "签到已开始，不能再修改时间和地点"
    assert (fresh(soon).place, fresh(soon).revision) == ("长桥新村广场", 0)
    assert edit(client, soon, {"capacity": 9}, headers).status_code == 200

    activity = make_activity(world.id, title="取消的")
    client.post(f"/api/v1/activities/{activity.id}/cancel", json={}, headers=headers)
    refused = edit(client, activity.shifts[0], {"place": "别处"}, headers)
    assert (refused.status_code, refused.json["reason"]) == (409, "activity_cancelled")


def test_the_activity_spans_its_shifts_after_a_move(client, world):
    activity = make_activity(world.id, shifts=2, starts_in=timedelta(days=3))
    first, second = activity.shifts
    headers = login(client, "committee-1")
    assert edit(client, first, moved(first, timedelta(days=2)), headers).status_code == 200
    span = db.session.execute(sa.select(Activity.starts_at, Activity.ends_at).where(Activity.id == activity.id)).one()
    assert span == (fresh(second).starts_at, fresh(first).ends_at)


def test_the_change_also_goes_out_as_a_subscribe_message(wechat_app, fake_wechat):
    client = wechat_app.test_client()
    world = make_community()
    activity = make_activity(world.id)
    alice = make_volunteer(world, "alice")
    record_consents(alice.id, ["tmpl-changed"])
    sign_up(activity.shifts[0], alice)
    response = edit(client, activity.shifts[0], {"place": "社区活动中心"}, headers_for(world.committee[0].id))
    assert response.status_code == 200
    message = db.session.scalar(sa.select(OutgoingMessage).join(Notification)
                                .where(Notification.kind == CHANGED, OutgoingMessage.user_id == alice.id))
    assert message.status == "sent"
    sent = fake_wechat.fake.sent_messages[-1]
    assert (sent["touser"], sent["template_id"]) == ("alice", "tmpl-changed")
    assert sent["data"]["thing1"]["value"] == "社区清洁日" and sent["data"]["thing3"]["value"] == "社区活动中心"
