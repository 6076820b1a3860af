"""Reminders the day before and an hour before a shift: delayed jobs, once each, with a sweep behind them."""
from __future__ import annotations

from datetime import timedelta

from backend.core import jobs
from backend.extensions import db
from backend.volunteering import jobs as volunteering_jobs
from backend.volunteering import signups
from tests.volunteering.factories import (fresh, headers_for, make_activity, make_due, make_volunteer, notifications,
                                          reminder_entries, sign_up)


def test_a_confirmed_signup_schedules_both_reminders(client, world):
    shift = make_activity(world.id, capacity=1).shifts[0]
    alice, bob = make_volunteer(world, "alice"), make_volunteer(world, "bob")
    signup = client.post(f"/api/v1/shifts/{shift.id}/signups", headers=headers_for(alice.id)).json
    client.post(f"/api/v1/shifts/{shift.id}/signups", headers=headers_for(bob.id))  # waitlisted: no reminders
    day, hour = reminder_entries()
    assert day.args == [signup["id"], "day", 0] and hour.args == [signup["id"], "hour", 0]  # 0: the shift's revision
    assert abs(day.not_before - (shift.starts_at - timedelta(hours=24))) < timedelta(seconds=1)
    assert abs(hour.not_before - (shift.starts_at - timedelta(hours=1))) < timedelta(seconds=1)
    assert notifications(alice) == []  # delayed jobs wait for their time


def test_each_reminder_is_sent_once(client, world):
    activity = make_activity(world.id)
    alice = make_volunteer(world, "alice")
    sign_up(activity.shifts[0], alice)
    day, hour = reminder_entries()
    make_due(day)
    assert jobs.run_outbox_entry(day.id) == "done"
    volunteering_jobs.send_shift_reminder(day.args[0], "day")  # a redelivered job
    db.session.commit()
    told = notifications(alice, "volunteer_reminder")
    assert [n.title for n in told] == ["志愿服务明天开始"]
    assert told[0].link == f"pages/volunteer/activity/activity?id={activity.id}" and "社区清洁日" in told[0].body
    make_due(hour)
    jobs.run_outbox_entry(hour.id)
    assert [n.title for n in notifications(alice, "volunteer_reminder")] == ["志愿服务明天开始", "志愿服务即将开始"]


def test_the_sweep_sends_what_the_jobs_did_not(app, world):
    shift = make_activity(world.id).shifts[0]
    alice = make_volunteer(world, "alice")
    sign_up(shift, alice)
    assert signups.remind_due(now=shift.starts_at - timedelta(hours=25)) == 0  # nothing due yet
    assert signups.remind_due(now=shift.starts_at - timedelta(hours=23)) == 1
    assert signups.remind_due(now=shift.starts_at - timedelta(hours=23)) == 0
    assert signups.remind_due(now=shift.starts_at - timedelta(minutes=30)) == 1
    db.session.commit()
    assert len(notifications(alice, "volunteer_reminder")) == 2
    for entry in reminder_entries():  # the delayed jobs arrive afterwards and find the work done
        make_due(entry)
        jobs.run_outbox_entry(entry.id)
    assert len(notifications(alice, "volunteer_reminder")) == 2


def test_no_reminder_after_cancelling(client, world):
    shift = make_activity(world.id).shifts[0]
    alice = make_volunteer(world, "alice")
    signup = sign_up(shift, alice)[0]
    client.delete(f"/api/v1/signups/{signup.id}", headers=headers_for(alice.id))
    for entry in reminder_entries():
        make_due(entry)
        jobs.run_outbox_entry(entry.id)
    assert signups.remind_due(now=shift.starts_at - timedelta(minutes=30)) == 0
    assert notifications(alice, "volunteer_reminder") == []


def test_a_signup_on_the_day_gets_only_the_hour_reminder(client, world):
    shift = make_activity(world.id, starts_in=timedelta(hours=3)).shifts[0]
    alice = make_volunteer(world, "alice")
    signup = sign_up(shift, alice)[0]
    assert [e.args[1] for e in reminder_entries()] == ["hour"]
    assert fresh(signup).day_reminder_at is not None  # marked as not needed
    assert signups.remind_due(now=shift.starts_at - timedelta(hours=2)) == 0


def test_the_sweeps_are_registered():
    names = {name for name, _ in jobs._periodic}
    assert {"volunteering-reminders", "volunteering-checkouts"} <= names
