"""Hours and points ledgers, honour hours, star levels, the 爱心超市, the leaderboard and my summary."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.volunteering import checkins, ledger
from backend.volunteering.models import (Attendance, HoursEntry, PointsEntry, Redemption, ShopKeeper,
                                         StarAward, VolunteeringSettings)
from tests.factories import login, make_user
from tests.volunteering.factories import (fresh, give_points, headers_for, make_activity, make_reward,
                                          make_volunteer, notifications, sign_up)


def serve(world, user, shifts: int = 1, hours: int = 2, community_id=None, days_ago: int = 30):
    """Credit `shifts` past shifts of `hours` each to a volunteer, as if they checked in and out."""
    activity = make_activity(community_id or world.id, starts_in=timedelta(days=-days_ago), hours=hours,
                             shifts=shifts, gap=timedelta(days=1), title=f"服务{days_ago}")
    for shift in activity.shifts:
        signup = sign_up(shift, user, now=shift.starts_at - timedelta(days=1))[0]
        attendance = Attendance(signup_id=signup.id, shift_id=shift.id, user_id=user.id,
                                checked_in_at=shift.starts_at, checkin_method="scan")
        db.session.add(attendance)
        db.session.flush()
        checkins.close_attendance(attendance.id, "scan", shift.ends_at)
        db.session.commit()
    return activity


def test_earnings_and_spendings_are_rows_and_the_balance_is_their_sum(client, world):
    alice = make_volunteer(world, "alice")
    db.session.add(VolunteeringSettings(community_id=world.id, points_per_hour=15, checkin_radius_m=500))
    db.session.commit()
    serve(world, alice, hours=2)
    bonus = client.post(f"/api/v1/volunteers/{alice.id}/bonus-points",
                        json={"community_id": world.id, "points": 5, "reason": "优秀志愿者"},
                        headers=login(client, "committee-1"))
    assert bonus.status_code == 201 and bonus.json["kind"] == "bonus" and bonus.json["note"] == "优秀志愿者"
    reward = make_reward(world, points=20)
    assert client.post(f"/api/v1/rewards/{reward.id}/redeem", headers=headers_for(alice.id)).status_code == 201
    ledger_rows = client.get("/api/v1/me/points", headers=headers_for(alice.id)).json
    assert [(r["kind"], r["amount"]) for r in ledger_rows] == [("redemption", -20), ("bonus", 5), ("service", 30)]
    assert "2.0 小时 × 15 积分/小时" == ledger_rows[-1]["note"]
    summary = client.get("/api/v1/me/volunteering", headers=headers_for(alice.id)).json
    assert (summary["points_balance"], summary["points_earned"], summary["points_spent"]) == (15, 35, 20)
    assert ledger.balance(alice.id) == sum(r["amount"] for r in ledger_rows)


def test_ledger_rows_cannot_be_edited(app, world):
    alice = make_volunteer(world, "alice")
    give_points(alice, 10)
    row = db.session.scalar(sa.select(PointsEntry))
    row.amount = 1000
    with pytest.raises(TypeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    assert ledger.balance(alice.id) == 10


def test_honour_hours_are_shown_apart_and_earn_nothing(client, world):
    alice = make_volunteer(world, "alice")
    serve(world, alice, hours=3)
    url = f"/api/v1/volunteers/{alice.id}/honour-hours"
    body = {"community_id": world.id, "hours": 120, "reason": "抗疫期间长期值守"}
    assert client.post(url, json=body, headers=headers_for(alice.id)).status_code == 403
    assert client.post(url, json=body, headers=login(client, "committee-2")).status_code == 403
    assert client.post(url, json={**body, "reason": ""}, headers=login(client, "committee-1")).status_code == 422
    granted = client.post(url, json=body, headers=login(client, "committee-1"))
    assert granted.status_code == 201
    assert (granted.json["kind"], granted.json["hours"], granted.json["reason"]) == ("honour", 120.0, "抗疫期间长期值守")
    summary = client.get("/api/v1/me/volunteering", headers=headers_for(alice.id)).json
    assert (summary["credited_hours"], summary["honour_hours"]) == (3.0, 120.0)
    assert summary["points_balance"] == 30 and summary["star_level"] == 0  # 120 honour hours: no star, no points
    assert summary["history"][0]["kind"] == "honour" and summary["history"][1]["kind"] == "service"


def test_star_levels_are_awarded_once_as_credited_hours_pass_each_mark(app, world):
    alice = make_volunteer(world, "alice")
    serve(world, alice, shifts=4, hours=24, days_ago=60)  # 96 h
    assert ledger.star_level(alice.id) == 0
    serve(world, alice, shifts=1, hours=24, days_ago=40)  # 120 h
    assert ledger.star_level(alice.id) == 1
    serve(world, alice, shifts=8, hours=24, days_ago=30)  # 312 h
    assert ledger.star_level(alice.id) == 2
    assert ledger.award_stars(alice.id) == []  # nothing twice
    db.session.commit()
    assert sorted(db.session.scalars(sa.select(StarAward.level))) == [1, 2]
    told = notifications(alice, "volunteer_star")
    assert [n.title for n in told] == ["恭喜您成为1星志愿者", "恭喜您成为2星志愿者"]
    assert told[0].link == "pages/volunteer/me/me"
    summary = ledger.summary(alice.id)
    assert summary["next_star"] == {"level": 3, "hours": 600, "hours_to_go": 288.0}


def test_redeeming_spends_points_and_stock_and_gives_a_pickup_code(client, world):
    alice = make_volunteer(world, "alice")
    give_points(alice, 50)
    reward = make_reward(world, points=20, stock=2)
    headers = headers_for(alice.id)
    first = client.post(f"/api/v1/rewards/{reward.id}/redeem", headers=headers)
    assert first.status_code == 201
    assert len(first.json["pickup_code"]) == 8 and first.json["status"] == "pending" and first.json["points"] == 20
    assert client.post(f"/api/v1/rewards/{reward.id}/redeem", headers=headers).status_code == 201
    assert (fresh(reward).stock, ledger.balance(alice.id)) == (0, 10)
    sold_out = client.post(f"/api/v1/rewards/{reward.id}/redeem", headers=headers)
    assert sold_out.status_code == 409 and sold_out.json["reason"] == "out_of_stock"
    mine = client.get("/api/v1/me/redemptions", headers=headers).json
    assert [r["pickup_code"] for r in mine][1] == first.json["pickup_code"]


def test_not_enough_points_changes_nothing(client, world):
    alice = make_volunteer(world, "alice")
    give_points(alice, 19)
    reward = make_reward(world, points=20, stock=3)
    refused = client.post(f"/api/v1/rewards/{reward.id}/redeem", headers=headers_for(alice.id))
    assert refused.status_code == 409 and refused.json["reason"] == "insufficient_points"
    assert "19" in refused.json["message"]
    assert fresh(reward).stock == 3 and ledger.balance(alice.id) == 19
    assert db.session.scalar(sa.select(sa.func.count(Redemption.id))) == 0


def test_the_keeper_marks_pickups_collected(client, world):
    alice = make_volunteer(world, "alice")
    keeper = make_user("keeper")
    db.session.add(ShopKeeper(community_id=world.id, user_id=keeper.id))
    db.session.commit()
    give_points(alice, 100)
    reward = make_reward(world)
    code = client.post(f"/api/v1/rewards/{reward.id}/redeem", headers=headers_for(alice.id)).json["pickup_code"]
    listed = client.get(f"/api/v1/redemptions?community_id={world.id}&status=pending", headers=login(client, "keeper"))
    assert listed.status_code == 200 and listed.json[0]["pickup_code"] != code  # masked for the counter
    for openid in ("alice", "committee-2"):
        refused = client.post("/api/v1/redemptions/collect", json={"pickup_code": code}, headers=login(client, openid))
        assert refused.status_code == 403, openid
    collected = client.post("/api/v1/redemptions/collect", json={"pickup_code": code.lower()},
                            headers=login(client, "keeper"))
    assert collected.status_code == 200 and collected.json["status"] == "collected"
    again = client.post("/api/v1/redemptions/collect", json={"pickup_code": code}, headers=login(client, "keeper"))
    assert again.status_code == 409 and again.json["reason"] == "already_collected"
    unknown = client.post("/api/v1/redemptions/collect", json={"pickup_code": "ZZZZ2222"},
                          headers=login(client, "keeper"))
    assert unknown.status_code == 404 and unknown.json["reason"] == "pickup_code_not_found"
    redemption = db.session.scalar(sa.select(Redemption))
    assert redemption.collected_by_id == keeper.id


def test_cancelling_a_redemption_refunds_with_a_new_row(client, world):
    alice = make_volunteer(world, "alice")
    give_points(alice, 30)
    reward = make_reward(world, points=20, stock=1)
    redemption = client.post(f"/api/v1/rewards/{reward.id}/redeem", headers=headers_for(alice.id)).json
    cancelled = client.post(f"/api/v1/redemptions/{redemption['id']}/cancel", headers=headers_for(alice.id))
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert (fresh(reward).stock, ledger.balance(alice.id)) == (1, 30)
    kinds = list(db.session.scalars(sa.select(PointsEntry.kind).order_by(PointsEntry.id)))
    assert kinds == ["bonus", "redemption", "refund"]
    again = client.post(f"/api/v1/redemptions/{redemption['id']}/cancel", headers=headers_for(alice.id))
    assert again.status_code == 409 and again.json["reason"] == "not_cancellable"
    bob = make_volunteer(world, "bob")
    assert client.post(f"/api/v1/redemptions/{redemption['id']}/cancel", headers=headers_for(bob.id)).status_code == 403


def test_the_catalogue(client, world):
    headers = login(client, "committee-1")
    created = client.post("/api/v1/rewards", json={"community_id": world.id, "name": "食用油", "points": 30, "stock": 5},
                          headers=headers)
    assert created.status_code == 201
    rice = make_reward(world, points=10)
    off = client.patch(f"/api/v1/rewards/{created.json['id']}", json={"active": False, "add_stock": 5}, headers=headers)
    assert off.json["active"] is False and off.json["stock"] == 10
    below = client.patch(f"/api/v1/rewards/{rice.id}", json={"add_stock": -11}, headers=headers)
    assert below.status_code == 409 and below.json["reason"] == "stock_negative"
    alice = make_volunteer(world, "alice")
    give_points(alice, 100)
    shown = client.get(f"/api/v1/rewards?community_id={world.id}", headers=headers_for(alice.id)).json
    assert [r["name"] for r in shown] == ["大米 5kg"]
    everything = client.get(f"/api/v1/rewards?community_id={world.id}&include_inactive=true", headers=headers).json
    assert len(everything) == 2
    unavailable = client.post(f"/api/v1/rewards/{created.json['id']}/redeem", headers=headers_for(alice.id))
    assert unavailable.status_code == 409 and unavailable.json["reason"] == "reward_unavailable"
    assert client.post("/api/v1/rewards", json={"community_id": world.id, "name": "x", "points": 1},
                       headers=headers_for(alice.id)).status_code == 403


def test_leaderboard_by_hours_and_points(client, world):
    alice, bob, carol, dave = (make_volunteer(world, n, nickname=n) for n in ("alice", "bob", "carol", "dave"))
    serve(world, alice, hours=3, days_ago=10)
    serve(world, bob, hours=5, days_ago=11)
    serve(world, carol, hours=3, days_ago=12)
    serve(world, dave, hours=8, days_ago=13, community_id=world.other_id)  # elsewhere
    give_points(alice, 100, community_id=world.id)
    board = client.get(f"/api/v1/leaderboard?community_id={world.id}", headers=headers_for(carol.id)).json
    assert [(e["nickname"], e["rank"], e["hours"]) for e in board["entries"]] == [
        ("bob", 1, 5.0), ("alice", 2, 3.0), ("carol", 2, 3.0)]
    assert board["me"]["rank"] == 2 and board["me"]["nickname"] == "carol"
    by_points = client.get(f"/api/v1/leaderboard?community_id={world.id}&by=points", headers=headers_for(dave.id)).json
    assert [(e["nickname"], e["points"]) for e in by_points["entries"]] == [("alice", 130), ("bob", 50), ("carol", 30)]
    assert by_points["me"] == {"rank": None, "user_id": dave.id, "nickname": "dave", "avatar_url": "",
                               "hours": 0.0, "points": 0}
    missing = client.get("/api/v1/leaderboard?community_id=99999", headers=headers_for(dave.id))
    assert missing.status_code == 404


def test_my_volunteering_record(client, world):
    alice = make_volunteer(world, "alice")
    serve(world, alice, hours=2)
    missed = make_activity(world.id, starts_in=timedelta(days=-3), title="没去的").shifts[0]
    sign_up(missed, alice, now=missed.starts_at - timedelta(days=1))
    upcoming = make_activity(world.id, title="将来的").shifts[0]
    sign_up(upcoming, alice)
    body = client.get("/api/v1/me/volunteering", headers=headers_for(alice.id)).json
    assert body["record"] == {"upcoming": 1, "attended": 1, "no_shows": 1, "late_cancellations": 0}
    assert (body["credited_hours"], body["honour_hours"], body["points_balance"], body["star_level"]) == (2.0, 0.0, 20, 0)
    assert body["next_star"] == {"level": 1, "hours": 100, "hours_to_go": 98.0}
    entry = body["history"][0]
    assert (entry["kind"], entry["hours"], entry["activity_title"], entry["checkout_missing"]) == (
        "service", 2.0, "服务30", False)
    assert db.session.scalar(sa.select(sa.func.count(HoursEntry.id))) == 1
    past = client.get("/api/v1/me/signups?when=past", headers=headers_for(alice.id)).json
    assert [(s["activity_title"], s["attendance"]["hours"] if s["attendance"] else None) for s in past] == [
        ("没去的", None), ("服务30", 2.0)]
