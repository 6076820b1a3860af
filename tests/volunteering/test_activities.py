"""Teams, activities and shifts: who may create and manage them, validation, drafts, editing, cancelling."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from backend.core.db import utcnow
from backend.extensions import db
from backend.volunteering.models import Activity, Shift, ShiftSignup
from tests.factories import login, make_user
from tests.volunteering.factories import (PLACE, fresh, headers_for, make_activity, make_team, make_volunteer,
                                          notifications, sign_up)


def iso(delta: timedelta) -> str:
    return (utcnow() + delta).isoformat()


def shift_body(starts_in=timedelta(days=3), hours=2, capacity=10, **extra) -> dict:
    return {"starts_at": iso(starts_in), "ends_at": iso(starts_in + timedelta(hours=hours)), "capacity": capacity,
            "place": "长桥新村广场", **PLACE, **extra}


def activity_body(world, **extra) -> dict:
    return {"title": "敬老院探访", "description": "陪老人聊天", "community_id": world.id,
            "shifts": [shift_body(), shift_body(starts_in=timedelta(days=4), capacity=3, waitlist=False)], **extra}


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_committee_creates_a_published_activity_with_shifts(client, world):
    response = client.post("/api/v1/activities", json=activity_body(world), headers=login(client, "committee-1"))
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "published" and body["can_manage"] is True
    assert body["community_name"] == world.geo.communities[0].name
    assert [s["capacity"] for s in body["shifts"]] == [10, 3]
    assert [s["status"] for s in body["shifts"]] == ["open", "open"]
    assert body["places_left"] == 13 and body["shift_count"] == 2
    first = body["shifts"][0]
    assert first["waitlist"] is True and body["shifts"][1]["waitlist"] is False
    assert first["signup_deadline"] == first["starts_at"]  # defaults: sign up until the start,
    shift = db.session.get(Shift, first["id"])
    assert shift.starts_at - shift.cancel_cutoff == timedelta(hours=24)  # cancel freely until a day before
    assert body["starts_at"] == first["starts_at"] and body["ends_at"] == body["shifts"][1]["ends_at"]


def test_who_may_create_activities(client, world):
    organiser = make_user("organiser")
    team = make_team(world, organisers=(organiser,))
    other_team = make_team(world, name="别的队")
    make_volunteer(world, "resident")
    body = activity_body(world, team_id=team.id)
    assert client.post("/api/v1/activities", json=body, headers=login(client, "organiser")).status_code == 201
    refused = [("organiser", activity_body(world, team_id=other_team.id)),  # not their team
               ("organiser", activity_body(world)),                          # no team: committee only
               ("organiser", {**body, "community_id": world.other_id}),      # their team is elsewhere
               ("committee-2", activity_body(world)),                        # another community's committee
               ("resident", activity_body(world))]
    for openid, payload in refused:
        response = client.post("/api/v1/activities", json=payload, headers=login(client, openid))
        assert response.status_code == 403, (openid, response.json)
    assert count(Activity) == 1


def test_invalid_shifts_are_refused_and_nothing_is_written(client, world):
    headers = login(client, "committee-1")
    naive = shift_body()
    naive["starts_at"] = naive["starts_at"][:19]  # no offset
    cases = [
        ([naive], 422, "validation_error"),
        ([shift_body(hours=-1)], 422, "invalid_shift"),
        ([shift_body(starts_in=timedelta(hours=-1))], 422, "invalid_shift"),
        ([shift_body(hours=25)], 422, "invalid_shift"),
        ([shift_body(signup_deadline=iso(timedelta(days=5)))], 422, "invalid_shift"),
        ([shift_body(lat=None)], 422, "invalid_shift"),
        ([shift_body(capacity=0)], 422, "validation_error"),
        ([shift_body(starts_in=timedelta(days=4000))], 422, "validation_error"),
        ([], 422, "validation_error"),
    ]
    for shifts, status, reason in cases:
        response = client.post("/api/v1/activities", json=activity_body(world, shifts=shifts), headers=headers)
        assert (response.status_code, response.json["reason"]) == (status, reason), shifts
        assert response.json["message"]
    assert count(Activity) == 0 and count(Shift) == 0


def test_drafts_are_seen_only_by_those_who_run_them(client, world):
    headers = login(client, "committee-1")
    draft = client.post("/api/v1/activities", json=activity_body(world, publish=False), headers=headers).json
    assert draft["status"] == "draft"
    volunteer = make_volunteer(world, "alice")
    alice = headers_for(volunteer.id)
    assert client.get(f"/api/v1/activities/{draft['id']}", headers=alice).status_code == 404
    assert client.get("/api/v1/activities", headers=alice).json == []
    shift_id = draft["shifts"][0]["id"]
    assert client.post(f"/api/v1/shifts/{shift_id}/signups", headers=alice).status_code == 404
    managed = client.get("/api/v1/activities?managed=true&status=draft", headers=headers).json
    assert [a["id"] for a in managed] == [draft["id"]]

    published = client.post(f"/api/v1/activities/{draft['id']}/publish", headers=headers)
    assert published.status_code == 200 and published.json["status"] == "published"
    assert [a["id"] for a in client.get("/api/v1/activities", headers=alice).json] == [draft["id"]]
    again = client.post(f"/api/v1/activities/{draft['id']}/publish", headers=headers)
    assert again.status_code == 200 and again.json["published_at"] == published.json["published_at"]
    assert client.post(f"/api/v1/activities/{draft['id']}/publish", headers=alice).status_code == 403


def test_listing_filters_and_order(client, world):
    later = make_activity(world.id, starts_in=timedelta(days=5), title="晚的")
    sooner = make_activity(world.id, starts_in=timedelta(days=1), title="早的")
    past = make_activity(world.id, starts_in=timedelta(days=-2), title="过去的")
    elsewhere = make_activity(world.other_id, title="别的社区")
    headers = headers_for(make_volunteer(world, "alice").id)
    upcoming = client.get("/api/v1/activities", headers=headers)
    assert [a["id"] for a in upcoming.json] == [sooner.id, elsewhere.id, later.id]
    assert upcoming.headers["X-Pagination"]
    mine = client.get(f"/api/v1/activities?community_id={world.id}", headers=headers).json
    assert [a["id"] for a in mine] == [sooner.id, later.id]
    assert [a["id"] for a in client.get("/api/v1/activities?when=past", headers=headers).json] == [past.id]


def test_capacity_grows_and_promotes_but_never_shrinks_below_confirmed(client, world):
    activity = make_activity(world.id, capacity=2)
    shift = activity.shifts[0]
    people = [make_volunteer(world, f"v{n}") for n in range(4)]
    sign_up(shift, *people)
    headers = login(client, "committee-1")
    refused = client.patch(f"/api/v1/shifts/{shift.id}", json={"capacity": 1}, headers=headers)
    assert refused.status_code == 409 and refused.json["reason"] == "capacity_below_confirmed"
    grown = client.patch(f"/api/v1/shifts/{shift.id}", json={"capacity": 3, "place": "活动中心"}, headers=headers)
    assert grown.status_code == 200
    body = grown.json["shifts"][0]
    assert (body["capacity"], body["confirmed"], body["waitlist_length"], body["place"]) == (3, 3, 1, "活动中心")
    statuses = dict(db.session.execute(sa.select(ShiftSignup.user_id, ShiftSignup.status)).all())
    assert [statuses[p.id] for p in people] == ["confirmed", "confirmed", "confirmed", "waitlisted"]
    assert len(notifications(people[2], "volunteer_promoted")) == 1
    assert notifications(people[3], "volunteer_promoted") == []
    assert all(len(notifications(p, "volunteer_shift_changed")) == 1 for p in people)  # the new place


def test_shift_edits_are_checked(client, world):
    shift = make_activity(world.id).shifts[0]
    headers = login(client, "committee-1")
    late = (shift.starts_at + timedelta(hours=1)).isoformat()
    for body in ({"signup_deadline": late}, {"cancel_cutoff": late}, {"lat": 31.3}, {"capacity": "5"}):
        assert client.patch(f"/api/v1/shifts/{shift.id}", json=body, headers=headers).status_code == 422, body
    resident = headers_for(make_volunteer(world, "alice").id)
    assert client.patch(f"/api/v1/shifts/{shift.id}", json={"capacity": 9}, headers=resident).status_code == 403
    assert fresh(shift).capacity == 5


def test_adding_a_shift_extends_the_activity(client, world):
    activity = make_activity(world.id, starts_in=timedelta(days=2))
    response = client.post(f"/api/v1/activities/{activity.id}/shifts",
                           json=shift_body(starts_in=timedelta(days=6), capacity=4),
                           headers=login(client, "committee-1"))
    assert response.status_code == 201
    assert [s["capacity"] for s in response.json["shifts"]] == [5, 4]
    assert response.json["ends_at"] == response.json["shifts"][1]["ends_at"]


def test_cancelling_an_activity_ends_every_signup_and_tells_everyone(client, world):
    activity = make_activity(world.id, capacity=1, shifts=2)
    alice, bob, carol = (make_volunteer(world, name) for name in ("alice", "bob", "carol"))
    sign_up(activity.shifts[0], alice, bob)   # bob waits
    sign_up(activity.shifts[1], alice, carol)  # carol waits
    headers = login(client, "committee-1")
    response = client.post(f"/api/v1/activities/{activity.id}/cancel", json={"reason": "暴雨预警"}, headers=headers)
    assert response.status_code == 200 and response.json["status"] == "cancelled"
    assert {s["status"] for s in response.json["shifts"]} == {"cancelled"}
    assert set(db.session.scalars(sa.select(ShiftSignup.cancel_kind))) == {"activity_cancelled"}
    assert all(s.confirmed == 0 for s in fresh(activity).shifts)
    for person in (alice, bob, carol):
        told = notifications(person, "activity_cancelled")
        assert len(told) == 1 and "暴雨预警" in told[0].body
        assert told[0].link == f"pages/volunteer/activity/activity?id={activity.id}"
    again = client.post(f"/api/v1/activities/{activity.id}/cancel", json={}, headers=headers)
    assert again.status_code == 409 and again.json["reason"] == "activity_cancelled"
    late = client.post(f"/api/v1/shifts/{activity.shifts[0].id}/signups",
                       headers=headers_for(make_volunteer(world, "dave").id))
    assert late.status_code == 409 and late.json["reason"] == "activity_cancelled"


def test_team_organisers_run_their_teams_activities(client, world):
    headers = login(client, "committee-1")
    organiser, member = make_user("organiser"), make_user("member")
    team = client.post("/api/v1/teams", json={"community_id": world.id, "name": "长桥助老队", "kind": "social_org",
                                              "organiser_ids": [organiser.id]}, headers=headers)
    assert team.status_code == 201 and team.json["members"][0]["is_organiser"] is True
    duplicate = client.post("/api/v1/teams", json={"community_id": world.id, "name": "长桥助老队"}, headers=headers)
    assert duplicate.status_code == 409 and duplicate.json["reason"] == "team_name_taken"
    organiser_headers = login(client, "organiser")
    added = client.post(f"/api/v1/teams/{team.json['id']}/members", json={"user_id": member.id},
                        headers=organiser_headers)
    assert added.status_code == 200 and len(added.json["members"]) == 2
    assert client.post("/api/v1/teams", json={"community_id": world.id, "name": "自建队"},
                       headers=organiser_headers).status_code == 403

    activity = make_activity(world.id, team_id=team.json["id"])
    other = make_activity(world.id)
    assert client.patch(f"/api/v1/activities/{activity.id}", json={"title": "助老探访"},
                        headers=organiser_headers).json["title"] == "助老探访"
    assert client.patch(f"/api/v1/activities/{other.id}", json={"title": "x改"},
                        headers=organiser_headers).status_code == 403
    managed = client.get("/api/v1/activities?managed=true", headers=organiser_headers).json
    assert [a["id"] for a in managed] == [activity.id]
    member_headers = login(client, "member")
    assert client.patch(f"/api/v1/activities/{activity.id}", json={"title": "不行"},
                        headers=member_headers).status_code == 403
    assert client.delete(f"/api/v1/teams/{team.json['id']}/members/{member.id}",
                         headers=organiser_headers).status_code == 204
    assert len(client.get(f"/api/v1/teams/{team.json['id']}", headers=member_headers).json["members"]) == 1


def test_community_settings_and_shop_keepers(client, world):
    headers = login(client, "committee-1")
    keeper = make_user("keeper")
    url = f"/api/v1/communities/{world.id}/volunteering-settings"
    assert client.get(url, headers=headers).json == {"community_id": world.id, "points_per_hour": 10,
                                                     "checkin_radius_m": 500, "shop_keepers": []}
    changed = client.patch(url, json={"points_per_hour": 20}, headers=headers)
    assert changed.json["points_per_hour"] == 20 and changed.json["checkin_radius_m"] == 500
    assert client.patch(url, json={"checkin_radius_m": 300}, headers=headers).json["points_per_hour"] == 20
    added = client.post(f"/api/v1/communities/{world.id}/shop-keepers", json={"user_id": keeper.id}, headers=headers)
    assert added.json["shop_keepers"] == [{"user_id": keeper.id, "nickname": "keeper"}]
    again = client.post(f"/api/v1/communities/{world.id}/shop-keepers", json={"user_id": keeper.id}, headers=headers)
    assert len(again.json["shop_keepers"]) == 1
    assert client.patch(url, json={"points_per_hour": 99}, headers=login(client, "committee-2")).status_code == 403
    assert client.delete(f"/api/v1/communities/{world.id}/shop-keepers/{keeper.id}", headers=headers).status_code == 204
    assert client.delete(f"/api/v1/communities/{world.id}/shop-keepers/{keeper.id}", headers=headers).status_code == 404


def test_control_characters_are_refused_before_the_database_sees_them(client, world):
    headers = login(client, "committee-1")
    titled = client.post("/api/v1/activities", json=activity_body(world, title="\x00清洁日"), headers=headers)
    assert titled.status_code == 422 and titled.json["errors"]["json"]["title"]
    code = client.post("/api/v1/redemptions/collect", json={"pickup_code": "AB\x00CDEF"}, headers=headers)
    assert code.status_code == 422  # PostgreSQL cannot even compare a NUL: refused as input, not a 500
    trimmed = client.post("/api/v1/activities", json=activity_body(world, title="  清洁日  "), headers=headers)
    assert trimmed.json["title"] == "清洁日"
    assert count(Activity) == 1
