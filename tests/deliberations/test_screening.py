"""Content screening: msgSecCheck v2 through the fake WeChat server, the local keyword list, a plugged checker."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.deliberations.models import Comment, Topic
from backend.deliberations.screening import Screening
from backend.extensions import db
from tests.deliberations.factories import count, headers, make_topic, make_world, resident

TOPIC = {"title": "小区停车收费调整", "body": "建议夜间临时停车收费调整为每小时 2 元。"}


@pytest.fixture
def wechat_app(make_app, fake_wechat):
    fake = fake_wechat.fake
    app = make_app(WECHAT_APPID=fake.appid, WECHAT_SECRET=fake.secret, WECHAT_API_BASE=fake_wechat.url)
    with app.app_context():
        yield app


def comment(client, user, topic, body):
    return client.post(f"/api/v1/topics/{topic.id}/comments", json={"body": body}, headers=headers(user))


def test_msgseccheck_pass_review_risky(wechat_app, fake_wechat):
    client = wechat_app.test_client()
    fake = fake_wechat.fake
    fake.sec_check_verdicts.update({"加我微信": ("review", 10001), "去死": ("risky", 20003)})
    world = make_world()
    bob = resident("bob", world.grid(0))
    carol = resident("carol", world.grid(0))
    topic = make_topic(world)

    shown = comment(client, bob, topic, "支持这个方案")
    assert shown.status_code == 201 and shown.json["status"] == "visible"
    held = comment(client, bob, topic, "有意向的加我微信详聊")
    assert held.status_code == 201 and held.json["status"] == "held"
    refused = comment(client, bob, topic, "反对的人都去死")
    assert (refused.status_code, refused.json["reason"]) == (422, "content_rejected")
    assert "辱骂" in refused.json["message"]
    assert count(Comment) == 2

    calls = [body for path, body in fake.calls if path == "/wxa/msg_sec_check"][1:]  # after the topic's own
    assert len(calls) == 3 and {c["version"] for c in calls} == {2} and {c["scene"] for c in calls} == {2}
    assert {c["openid"] for c in calls} == {"bob"}

    # A held comment is seen by its author and moderators, not by other residents, until restored.
    others = client.get(f"/api/v1/topics/{topic.id}/comments", headers=headers(carol)).json
    assert [c["id"] for c in others] == [shown.json["id"]]
    mine = client.get(f"/api/v1/topics/{topic.id}/comments", headers=headers(bob)).json
    assert [c["status"] for c in mine] == ["visible", "held"]
    queue = client.get("/api/v1/moderation/queue", headers=headers(world.committee)).json
    assert [q["comment"]["id"] for q in queue] == [held.json["id"]]
    restored = client.post(f"/api/v1/comments/{held.json['id']}/restore", json={"reason": "联系方式属正常沟通"},
                           headers=headers(world.committee))
    assert restored.json["status"] == "visible"
    assert len(client.get(f"/api/v1/topics/{topic.id}/comments", headers=headers(carol)).json) == 2


def test_topics_are_screened_with_their_title(wechat_app, fake_wechat):
    client = wechat_app.test_client()
    fake_wechat.fake.sec_check_verdicts.update({"代购": "review", "赌博": "risky"})
    world = make_world()
    alice = resident("alice", world.grid(0))
    refused = client.post("/api/v1/topics", json={**TOPIC, "title": "组织赌博活动"}, headers=headers(alice))
    assert (refused.status_code, refused.json["reason"]) == (422, "content_rejected")
    held = client.post("/api/v1/topics", json={**TOPIC, "community_id": world.community.id,
                                               "body": "团购代购生鲜的建议"}, headers=headers(world.committee))
    assert held.json["phase"] == "pending_review" and held.json["screening"] == "review"
    call = [b for p, b in fake_wechat.fake.calls if p == "/wxa/msg_sec_check"][-1]
    assert call["scene"] == 3 and call["title"] == TOPIC["title"]
    assert count(Topic) == 1


def test_wechat_down_holds_instead_of_showing_or_refusing(wechat_app, fake_wechat):
    client = wechat_app.test_client()
    world = make_world()
    bob = resident("bob", world.grid(0))
    topic = make_topic(world)
    fake_wechat.fake.fail_next("/wxa/msg_sec_check", -1)
    busy = comment(client, bob, topic, "正常的评论")
    assert busy.status_code == 201 and busy.json["status"] == "held"
    fake_wechat.fake.fail_next("/wxa/msg_sec_check", 40003)  # an openid WeChat does not know
    assert comment(client, bob, topic, "另一条评论").json["status"] == "held"


def test_keyword_list_without_wechat(client):
    world = make_world()
    bob = resident("bob", world.grid(0))
    topic = make_topic(world)
    assert comment(client, bob, topic, "同意，尽快施工").json["status"] == "visible"
    assert comment(client, bob, topic, "感兴趣的私信我").json["status"] == "held"
    refused = comment(client, bob, topic, "你个傻逼")
    assert (refused.status_code, refused.json["reason"]) == (422, "content_rejected")
    edit = client.patch(f"/api/v1/comments/{db.session.scalar(sa.select(Comment.id).limit(1))}",
                        json={"body": "改成：你个傻逼"}, headers=headers(bob))
    assert edit.status_code == 422  # edits are screened too, and a refused edit changes nothing
    assert db.session.scalar(sa.select(Comment.body).order_by(Comment.id).limit(1)) == "同意，尽快施工"


def test_keyword_list_from_settings(make_app):
    app = make_app(SCREENING_KEYWORDS={"risky": ["禁词"], "review": []})
    with app.app_context():
        client = app.test_client()
        world = make_world()
        bob = resident("bob", world.grid(0))
        topic = make_topic(world)
        assert comment(client, bob, topic, "这里有禁词").status_code == 422
        assert comment(client, bob, topic, "感兴趣的私信我").json["status"] == "visible"


def test_a_plugged_in_checker_is_used(app, client):
    class Always:
        def __init__(self):
            self.seen = []

        def check(self, text, *, openid, scene, title=None):
            self.seen.append((text, scene))
            return Screening("review", 21000, "custom")

    checker = app.extensions["content_checker"] = Always()
    try:
        world = make_world()
        bob = resident("bob", world.grid(0))
        topic = make_topic(world)
        assert comment(client, bob, topic, "任何内容").json["status"] == "held"
        assert ("任何内容", 2) in checker.seen
    finally:
        del app.extensions["content_checker"]
