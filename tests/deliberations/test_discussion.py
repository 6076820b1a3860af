"""Discussion and moderation: comments, replies, stances, edits, deletions, reports, moderators' actions."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.deliberations.models import Comment, CommentReport, ModerationAction
from backend.extensions import db
from backend.notifications.models import Notification
from tests.deliberations.factories import count, headers, make_topic, make_world, resident


@pytest.fixture
def room(client):
    """A topic in discussion with three residents and the committee."""
    world = make_world()
    people = {name: resident(name, world.grid(0)) for name in ("alice", "bob", "carol", "dave")}
    topic = make_topic(world, proposer=people["alice"])
    return world, topic, people


def post(client, user, topic, body="我支持建在东侧", **extra):
    return client.post(f"/api/v1/topics/{topic.id}/comments", json={"body": body, **extra}, headers=headers(user))


def told(user, kind="comment_moderated") -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id,
                                                                 Notification.kind == kind)))


def test_comments_replies_and_stances(client, room):
    world, topic, people = room
    first = post(client, people["bob"], topic, stance="for")
    assert first.status_code == 201 and first.json["stance"] == "for" and first.json["status"] == "visible"
    second = post(client, people["carol"], topic, "西侧更好", stance="against")
    reply = post(client, people["alice"], topic, "东侧离 3 幢更近", stance="neutral", parent_id=first.json["id"])
    assert reply.status_code == 201 and reply.json["parent_id"] == first.json["id"]
    deeper = post(client, people["bob"], topic, "再回复", parent_id=reply.json["id"])
    assert (deeper.status_code, deeper.json["reason"]) == (422, "reply_depth")
    bad = post(client, people["bob"], topic, stance="maybe")
    assert bad.status_code == 422
    listed = client.get(f"/api/v1/topics/{topic.id}/comments", headers=headers(people["dave"])).json
    assert [c["id"] for c in listed] == [first.json["id"], second.json["id"]]
    assert [r["body"] for r in listed[0]["replies"]] == ["东侧离 3 幢更近"]
    assert listed[0]["author"]["nickname"] == "bob" and listed[0]["report_count"] is None
    assert client.get(f"/api/v1/topics/{topic.id}", headers=headers(people["dave"])).json["comment_count"] == 3


def test_who_may_comment(client, room):
    world, topic, people = room
    unverified = resident("unverified", world.grid(0), verified=False)
    assert post(client, unverified, topic).json["reason"] == "not_verified"
    outsider = resident("outsider", world.grid(2))
    assert post(client, outsider, topic).status_code == 403
    assert post(client, world.committee, topic, "居委会说明：下周现场勘查").status_code == 201
    pending = make_topic(world, phase="pending_review", proposer=people["alice"], title="待审议题")
    closed = post(client, people["alice"], pending)
    assert (closed.status_code, closed.json["reason"]) == (409, "comments_closed")


def test_edits_keep_history_and_deletion_leaves_a_placeholder(client, room):
    world, topic, people = room
    comment = post(client, people["bob"], topic, "初稿", stance="for").json
    reply = post(client, people["carol"], topic, "同意", parent_id=comment["id"]).json
    url = f"/api/v1/comments/{comment['id']}"
    assert client.patch(url, json={"body": "改了"}, headers=headers(people["carol"])).status_code == 403
    edited = client.patch(url, json={"body": "修改稿", "stance": "neutral"}, headers=headers(people["bob"]))
    assert edited.status_code == 200 and edited.json["edited"] is True and edited.json["body"] == "修改稿"
    deleted = client.delete(url, headers=headers(people["bob"]))
    assert deleted.status_code == 200 and deleted.json["status"] == "deleted" and deleted.json["body"] == ""
    history = client.get(f"{url}/revisions", headers=headers(world.committee)).json
    assert [(h["body"], h["stance"]) for h in history] == [("初稿", "for"), ("修改稿", "neutral")]
    assert client.get(f"{url}/revisions", headers=headers(people["carol"])).status_code == 403
    listed = client.get(f"/api/v1/topics/{topic.id}/comments", headers=headers(people["dave"])).json
    assert listed[0]["status"] == "deleted" and listed[0]["body"] == "" and listed[0]["author"] is None
    assert [r["id"] for r in listed[0]["replies"]] == [reply["id"]]
    again = client.delete(url, headers=headers(people["bob"]))
    assert (again.status_code, again.json["reason"]) == (409, "comment_unavailable")


def test_reports_once_each_and_three_hide_for_review(client, room):
    world, topic, people = room
    comment = post(client, people["alice"], topic, "楼上的都是托").json
    url = f"/api/v1/comments/{comment['id']}/report"
    own = client.post(url, json={"reason": "abuse"}, headers=headers(people["alice"]))
    assert (own.status_code, own.json["reason"]) == (409, "own_comment")
    assert client.post(url, json={"reason": "rude"}, headers=headers(people["bob"])).status_code == 422
    assert client.post(url, json={"reason": "abuse", "note": "人身攻击"}, headers=headers(people["bob"])).status_code == 200
    twice = client.post(url, json={"reason": "spam"}, headers=headers(people["bob"]))
    assert (twice.status_code, twice.json["reason"]) == (409, "already_reported")
    client.post(url, json={"reason": "abuse"}, headers=headers(people["carol"]))
    assert db.session.get(Comment, comment["id"]).status == "visible"
    third = client.post(url, json={"reason": "off_topic"}, headers=headers(people["dave"]))
    assert third.status_code == 200 and third.json["status"] == "hidden"
    db.session.expire_all()
    [entry] = db.session.scalars(sa.select(ModerationAction)).all()
    assert (entry.action, entry.actor_id) == ("auto_hide", None)
    [notice] = told(people["alice"])
    assert "举报" in notice.title and notice.link == f"pages/topics/detail/detail?id={topic.id}"
    queue = client.get("/api/v1/moderation/queue", headers=headers(world.committee)).json
    assert [(q["comment"]["id"], q["reports"]) for q in queue] == [(comment["id"], {"abuse": 2, "off_topic": 1})]
    assert queue[0]["comment"]["body"] == "楼上的都是托"  # moderators read what was hidden
    seen = client.get(f"/api/v1/topics/{topic.id}/comments", headers=headers(people["bob"])).json
    assert seen[0]["status"] == "hidden" and seen[0]["body"] == ""
    assert client.post(url, json={"reason": "abuse"}, headers=headers(world.committee)).status_code == 409


def test_moderators_act_with_a_reason_logged_and_the_author_told(client, room):
    world, topic, people = room
    first = post(client, people["bob"], topic, "第一条").json
    reply = post(client, people["carol"], topic, "回复", parent_id=first["id"]).json
    auth = headers(world.committee)

    def act(comment_id, action, reason="管理员操作说明"):
        return client.post(f"/api/v1/comments/{comment_id}/{action}", json={"reason": reason}, headers=auth)

    assert act(first["id"], "pin").json["pinned"] is True
    assert act(first["id"], "lock").json["locked"] is True
    locked = post(client, people["dave"], topic, "还想回复", parent_id=first["id"])
    assert (locked.status_code, locked.json["reason"]) == (409, "thread_locked")
    assert act(first["id"], "unlock").json["locked"] is False
    assert act(first["id"], "unpin").json["pinned"] is False
    assert act(reply["id"], "hide", "含有他人电话号码").json["status"] == "hidden"
    assert act(reply["id"], "restore", "已核实无隐私信息").json["status"] == "visible"
    log = client.get(f"/api/v1/topics/{topic.id}/moderation-log", headers=auth).json
    assert [(e["action"], e["actor_id"]) for e in log] == [
        ("restore", world.committee.id), ("hide", world.committee.id), ("unpin", world.committee.id),
        ("unlock", world.committee.id), ("lock", world.committee.id), ("pin", world.committee.id)]
    assert log[1]["reason"] == "含有他人电话号码"
    assert len(told(people["bob"])) == 4 and len(told(people["carol"])) == 2
    assert "原因：含有他人电话号码" in [n.body for n in told(people["carol"])]


def test_moderation_that_changes_nothing_is_409(client, room):
    world, topic, people = room
    first = post(client, people["bob"], topic, "第一条").json
    reply = post(client, people["carol"], topic, "回复", parent_id=first["id"]).json
    auth = headers(world.committee)
    refused = [(first["id"], "restore"), (first["id"], "unlock"), (first["id"], "unpin"),
               (reply["id"], "lock"), (reply["id"], "pin")]
    for comment_id, action in refused:
        response = client.post(f"/api/v1/comments/{comment_id}/{action}", json={"reason": "测试操作"}, headers=auth)
        assert (response.status_code, response.json["reason"]) == (409, "invalid_transition"), action
    client.post(f"/api/v1/comments/{first['id']}/hide", json={"reason": "测试操作"}, headers=auth)
    again = client.post(f"/api/v1/comments/{first['id']}/hide", json={"reason": "测试操作"}, headers=auth)
    assert again.status_code == 409
    assert count(ModerationAction) == 1


def test_only_the_communitys_managers_moderate(client, room):
    world, topic, people = room
    comment = post(client, people["bob"], topic).json
    for who in (people["alice"], world.other_committee):
        response = client.post(f"/api/v1/comments/{comment['id']}/hide", json={"reason": "不当言论"},
                               headers=headers(who))
        assert response.status_code == 403
    assert client.get("/api/v1/moderation/queue", headers=headers(people["alice"])).status_code == 403
    assert client.get("/api/v1/moderation/queue", headers=headers(world.other_committee)).json == []
    assert client.get(f"/api/v1/topics/{topic.id}/moderation-log", headers=headers(people["bob"])).status_code == 403


def test_restore_dismisses_reports_and_the_queue_is_oldest_first(client, room):
    world, topic, people = room
    old = post(client, people["bob"], topic, "较早的评论").json
    new = post(client, people["carol"], topic, "较晚的评论").json
    for comment in (new, old):
        client.post(f"/api/v1/comments/{comment['id']}/report", json={"reason": "spam"},
                    headers=headers(people["dave"]))
    queue = client.get("/api/v1/moderation/queue", headers=headers(world.committee)).json
    assert [q["comment"]["id"] for q in queue] == [old["id"], new["id"]]
    kept = client.post(f"/api/v1/comments/{old['id']}/restore", json={"reason": "未发现违规"},
                       headers=headers(world.committee))
    assert kept.status_code == 200 and kept.json["status"] == "visible" and kept.json["report_count"] == 0
    assert [q["comment"]["id"] for q in client.get("/api/v1/moderation/queue",
                                                    headers=headers(world.committee)).json] == [new["id"]]
    assert db.session.scalar(sa.select(sa.func.count(CommentReport.id)).where(
        CommentReport.resolved_at.is_(None))) == 1


# --- replies --------------------------------------------------------------------------------------

def test_a_reply_shown_at_once_tells_the_parent_author_once(client, room):
    world, topic, people = room
    first = post(client, people["bob"], topic, "建议建在东侧").json
    post(client, people["carol"], topic, "同意，东侧更方便", parent_id=first["id"])
    post(client, people["bob"], topic, "补充：东侧有路灯", parent_id=first["id"])  # to himself: nobody told
    post(client, people["dave"], topic, "我觉得西侧更好")  # not a reply: nobody told
    [notice] = told(people["bob"], "comment_replied")
    assert (notice.title, notice.body) == ("您的评论有了新回复", "carol：同意，东侧更方便")
    assert notice.link == f"pages/topics/detail/detail?id={topic.id}"
    assert [told(p, "comment_replied") for p in (people["alice"], people["carol"], people["dave"])] == [[], [], []]


def test_a_held_reply_tells_the_parent_author_when_a_moderator_releases_it(client, room):
    world, topic, people = room
    first = post(client, people["bob"], topic, "建议建在东侧").json
    held = post(client, people["carol"], topic, "车棚的事加我微信详谈", parent_id=first["id"]).json
    assert held["status"] == "held"
    assert told(people["bob"], "comment_replied") == []  # nobody else can read it yet
    auth = headers(world.committee)

    def act(action):
        return client.post(f"/api/v1/comments/{held['id']}/{action}", json={"reason": "已复核"}, headers=auth)

    assert act("restore").json["status"] == "visible"
    [notice] = told(people["bob"], "comment_replied")
    assert notice.body == "carol：车棚的事加我微信详谈"
    assert act("hide").status_code == 200 and act("restore").status_code == 200  # released again: told once only
    assert len(told(people["bob"], "comment_replied")) == 1
    assert len(told(people["carol"])) == 3  # the reply's own author hears of each moderation, as before
