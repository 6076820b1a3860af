"""Case notifications through WeChat subscribe messages (the fake WeChat server), and WeChat failing."""
from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.notifications.models import OutgoingMessage
from backend.notifications.service import record_consents
from tests.cases.factories import act, case_row, make_district, make_resident, photo, submit

TEMPLATES = {
    "case_assigned": {"template_id": "tmpl-assigned", "fields": {"thing1": "title", "thing2": "note", "time3": "time"}},
    "case_progress": {"template_id": "tmpl-progress",
                      "fields": {"thing1": "title", "phrase2": "status", "thing3": "note", "time4": "time"}},
}
_codes = itertools.count()


@pytest.fixture
def wechat_world(make_app, fake_wechat):
    fake = fake_wechat.fake
    app = make_app(WECHAT_APPID=fake.appid, WECHAT_SECRET=fake.secret, WECHAT_API_BASE=fake_wechat.url,
                   WECHAT_TEMPLATES=TEMPLATES)
    with app.app_context():
        district = make_district()
        make_resident("alice", district.grids[0])
        yield app, district, fake


def wx_login(client, fake, openid: str) -> dict:
    """Log in the way the mini-program does: a wx.login code the (fake) WeChat server knows."""
    code = f"code-{next(_codes)}"
    fake.codes[code] = openid
    response = client.post("/api/v1/auth/wechat-login", json={"code": code})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def test_the_worker_and_the_resident_get_subscribe_messages(wechat_world):
    app, district, fake = wechat_world
    client = app.test_client()
    record_consents(district.workers[0].id, ["tmpl-assigned"])
    alice = wx_login(client, fake, "alice")
    assert client.post("/api/v1/subscriptions", json={"template_ids": ["tmpl-progress"]}, headers=alice).status_code == 200

    case = submit(client, alice)
    assigned = fake.sent_messages[-1]
    assert assigned["touser"] == "worker-1" and assigned["template_id"] == "tmpl-assigned"
    assert assigned["page"] == f"worker/pages/task/task?id={case['id']}"
    assert assigned["data"]["thing1"] == {"value": "路灯损坏"}
    assert len(assigned["data"]["thing2"]["value"]) <= 20  # shortened to WeChat's `thing` limit

    assert act(client, wx_login(client, fake, "worker-1"), case["id"], "accept").status_code == 200
    accepted = fake.sent_messages[-1]
    assert accepted["touser"] == "alice" and accepted["template_id"] == "tmpl-progress"
    assert accepted["page"] == f"pages/cases/detail/detail?id={case['id']}"
    assert accepted["data"]["phrase2"] == {"value": "已受理"}


def test_wechat_failing_never_blocks_routing_or_the_lifecycle(wechat_world):
    app, district, fake = wechat_world
    client = app.test_client()
    record_consents(district.workers[0].id, ["tmpl-assigned"])
    alice = wx_login(client, fake, "alice")
    fake.fail_next("/cgi-bin/message/subscribe/send", -1)  # WeChat busy
    case = submit(client, alice)
    assert case_row(case["id"]).assignee_id == district.workers[0].id  # routed all the same
    message = db.session.scalar(sa.select(OutgoingMessage))
    assert message.status == "pending"  # left for its own retry
    worker = wx_login(client, fake, "worker-1")
    for step in ("accept", "start"):
        assert act(client, worker, case["id"], step).status_code == 200
    resolved = act(client, worker, case["id"], "resolve", {"note": "已修复", "photo_ids": [photo(client, worker)]})
    assert resolved.status_code == 200 and resolved.json["status"] == "resolved"
