"""The inbox, consents and WeChat subscribe messages (through the fake WeChat server)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.core import jobs
from backend.core.models import OutboxEntry
from backend.extensions import db
from backend.notifications.models import Notification, OutgoingMessage, SubscribeConsent
from backend.notifications.service import notify, record_consents
from tests.factories import login, make_user

TEMPLATES = {"case_progress": {"template_id": "tmpl-progress",
                               "fields": {"thing1": "title", "phrase2": "status", "time3": "time"}}}


@pytest.fixture
def wechat_app(make_app, wechat_settings):
    app = make_app(**wechat_settings, WECHAT_TEMPLATES=TEMPLATES)
    with app.app_context():
        yield app


def progress(user, key="case-1-accepted", title="路灯不亮"):
    notification = notify(user.id, "case_progress", "您的事件已受理", "网格员张三已受理", dedupe_key=key,
                          link="pages/case/case?id=1", subject=("case", 1),
                          message={"title": title, "status": "已受理", "time": "2026-11-29 12:00"})
    db.session.commit()
    jobs.drain()
    return notification


def outgoing() -> OutgoingMessage:
    db.session.expire_all()
    return db.session.scalar(sa.select(OutgoingMessage))


def test_inbox_lists_marks_read_and_hides_others(client):
    alice, bob = make_user("alice"), make_user("bob")
    for n in range(3):
        notify(alice.id, "info", f"通知{n}", dedupe_key=f"a-{n}")
    notify(bob.id, "info", "给 bob", dedupe_key="b-1")
    db.session.commit()
    headers = login(client, "alice")
    inbox = client.get("/api/v1/notifications", headers=headers)
    assert [n["title"] for n in inbox.json] == ["通知2", "通知1", "通知0"]
    assert client.get("/api/v1/notifications/summary", headers=headers).json == {"unread": 3}
    first = inbox.json[0]["id"]
    assert client.post(f"/api/v1/notifications/{first}/read", headers=headers).json["read_at"]
    assert len(client.get("/api/v1/notifications?unread=true", headers=headers).json) == 2
    bobs = db.session.scalar(sa.select(Notification.id).where(Notification.user_id == bob.id))
    assert client.post(f"/api/v1/notifications/{bobs}/read", headers=headers).status_code == 404
    assert client.post("/api/v1/notifications/read-all", headers=headers).status_code == 204
    assert client.get("/api/v1/notifications/summary", headers=headers).json == {"unread": 0}


def test_notify_is_idempotent_by_key(app):
    alice = make_user("alice")
    first = notify(alice.id, "info", "一次", dedupe_key="once")
    again = notify(alice.id, "info", "一次", dedupe_key="once")
    db.session.commit()
    assert first.id == again.id
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 1


def test_without_wechat_there_is_only_the_inbox(app):
    progress(make_user("alice"))
    assert outgoing() is None and db.session.scalar(sa.select(sa.func.count(Notification.id))) == 1


def test_consented_message_is_sent_with_the_template_fields(wechat_app, fake_wechat):
    alice = make_user("alice")
    record_consents(alice.id, ["tmpl-progress"])
    progress(alice)
    message = outgoing()
    assert message.status == "sent"
    sent = fake_wechat.fake.sent_messages[-1]
    assert sent["touser"] == "alice" and sent["template_id"] == "tmpl-progress"
    assert sent["data"]["thing1"] == {"value": "路灯不亮"} and sent["page"] == "pages/case/case?id=1"
    assert db.session.scalar(sa.select(SubscribeConsent.remaining)) == 0


def test_no_consent_no_message(wechat_app, fake_wechat):
    progress(make_user("alice"))
    assert outgoing().status == "no_consent" and fake_wechat.fake.sent_messages == []


def test_spent_consent_on_wechats_side(wechat_app, fake_wechat):
    alice = make_user("alice")
    record_consents(alice.id, ["tmpl-progress"])
    record_consents(alice.id, ["tmpl-progress"])
    fake_wechat.fake.fail_next("/cgi-bin/message/subscribe/send", 43101)
    progress(alice)
    assert outgoing().status == "no_consent"
    assert db.session.scalar(sa.select(SubscribeConsent.remaining)) == 0


def test_wechat_busy_is_retried_and_the_consent_kept(wechat_app, fake_wechat):
    alice = make_user("alice")
    record_consents(alice.id, ["tmpl-progress"])
    fake_wechat.fake.fail_next("/cgi-bin/message/subscribe/send", -1)
    notification = progress(alice)
    assert outgoing().status == "pending"
    assert db.session.scalar(sa.select(SubscribeConsent.remaining)) == 1  # given back
    entry = db.session.scalar(sa.select(OutboxEntry).where(OutboxEntry.job.like("%send_subscribe_message")))
    assert entry.attempts == 1 and entry.done_at is None
    jobs.run_outbox_entry(entry.id)  # the sweeper's retry
    assert outgoing().status == "sent"
    assert notification.id == outgoing().notification_id


def test_long_values_are_shortened_to_wechats_limits(wechat_app, fake_wechat):
    alice = make_user("alice")
    record_consents(alice.id, ["tmpl-progress"])
    progress(alice, title="这是一个远远超过二十个字符长度限制的事件标题用来测试截断")
    assert outgoing().status == "sent"  # thing fields are shortened, not refused
    assert len(fake_wechat.fake.sent_messages[-1]["data"]["thing1"]["value"]) <= 20


def test_subscriptions_endpoint(make_app):
    app = make_app(WECHAT_TEMPLATES=TEMPLATES)
    with app.app_context():
        client = app.test_client()
        headers = login(client, "alice")
        state = client.get("/api/v1/subscriptions", headers=headers).json
        assert state == {"templates": {"case_progress": "tmpl-progress"}, "consents": {}}
        after = client.post("/api/v1/subscriptions", json={"template_ids": ["tmpl-progress"]}, headers=headers)
        assert after.status_code == 200 and after.json["consents"] == {"tmpl-progress": 1}
        again = client.post("/api/v1/subscriptions", json={"template_ids": ["tmpl-progress"]}, headers=headers)
        assert again.json["consents"] == {"tmpl-progress": 2}
        unknown = client.post("/api/v1/subscriptions", json={"template_ids": ["tmpl-x"]}, headers=headers)
        assert unknown.status_code == 422 and unknown.json["reason"] == "unknown_template"
        assert client.get("/api/v1/subscriptions", headers=headers).json["consents"] == {"tmpl-progress": 2}
