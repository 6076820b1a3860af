"""WeChat's image check on topic photos: the job's request through the fake server, the signed link WeChat
downloads from, the signed message push with the verdict, and who sees the photo before and after it.

People: alice (a verified resident) uploads the photo and proposes the topic, the committee approves it,
bob lives in the same community, dave in another.
"""
from __future__ import annotations

import hashlib
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from backend.core import jobs
from backend.core.models import OutboxEntry
from backend.extensions import db
from backend.media.models import MediaFile
from backend.media.screening import public_link
from tests.deliberations.factories import headers, make_world, resident
from tests.media.helpers import post_photo
from tests.media.images import jpeg

PUBLIC_BASE_URL = "https://linli.example.org"
PUSH_TOKEN = "console-push-token"
TOPIC = {"title": "3 幢楼道堆物清理", "body": "楼道里堆了很多旧家具，建议统一清理，照片见附件。"}
# Who gets the photo (200) or the same 404 as for a photo that does not exist, by screening status.
SEEN_BY = {"pending": {"alice": 200, "bob": 404, "committee": 200},
           "pass": {"alice": 200, "bob": 200, "committee": 200},
           "review": {"alice": 200, "bob": 404, "committee": 200},
           "risky": {"alice": 404, "bob": 404, "committee": 200}}


@pytest.fixture
def wechat_app(make_app, fake_wechat):
    fake = fake_wechat.fake
    app = make_app(WECHAT_APPID=fake.appid, WECHAT_SECRET=fake.secret, WECHAT_API_BASE=fake_wechat.url,
                   PUBLIC_BASE_URL=PUBLIC_BASE_URL, WECHAT_PUSH_TOKEN=PUSH_TOKEN)
    with app.app_context():
        yield app


@pytest.fixture
def people(wechat_app):
    world = make_world()
    return {"alice": resident("alice", world.grid(0)), "bob": resident("bob", world.grid(1)),
            "dave": resident("dave", world.grid(2)), "committee": world.committee}


def topic_with_photo(client, people) -> tuple[dict, dict]:
    """alice uploads a photo and proposes a topic with it; the committee approves it. (topic, photo) as alice sees them."""
    alice = headers(people["alice"])
    photo = post_photo(client, alice, jpeg())
    assert photo.status_code == 201, photo.json
    proposed = client.post("/api/v1/topics", json={**TOPIC, "photo_ids": [photo.json["id"]]}, headers=alice)
    assert proposed.status_code == 201, proposed.json
    approved = client.post(f"/api/v1/topics/{proposed.json['id']}/approve", json={},
                           headers=headers(people["committee"]))
    assert approved.json["phase"] == "discussion"
    return proposed.json, photo.json


def signed(query: str = "", token: str = PUSH_TOKEN, timestamp: str = "1733475600", nonce: str = "n0nce") -> str:
    """The query string WeChat signs its pushes with: sha1 of the sorted token, timestamp and nonce."""
    signature = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    return f"signature={signature}&timestamp={timestamp}&nonce={nonce}" + (f"&{query}" if query else "")


def push(client, event: dict, **signing):
    return client.post(f"/api/v1/wechat/push?{signed(**signing)}", json=event)


def trace_of(fake) -> str:
    [check] = fake.media_checks
    return check["trace_id"]


def seen(client, people, topic_id: int, photo_id: int) -> dict[str, int]:
    """Per person: the status of the photo and its thumbnail (always alike), checked against the topic payload."""
    result = {}
    for name in ("alice", "bob", "committee"):
        who = headers(people[name])
        status = client.get(f"/api/v1/media/{photo_id}", headers=who).status_code
        assert client.get(f"/api/v1/media/{photo_id}/thumbnail", headers=who).status_code == status
        listed = [p["id"] for p in client.get(f"/api/v1/topics/{topic_id}", headers=who).json["photos"]]
        assert listed == ([photo_id] if status == 200 else []), name  # payloads list only what may be seen
        result[name] = status
    return result


def screening_of(photo_id: int) -> tuple[str, str | None]:
    db.session.expire_all()
    media = db.session.get(MediaFile, photo_id)
    return media.screening, media.screening_trace_id


def test_attaching_asks_wechat_from_a_job_with_a_signed_public_link(wechat_app, fake_wechat, people):
    client = wechat_app.test_client()
    topic, photo = topic_with_photo(client, people)

    [check] = fake_wechat.fake.media_checks  # the request as WeChat received it
    assert {k: check[k] for k in ("media_type", "version", "scene", "openid")} == \
        {"media_type": 2, "version": 2, "scene": 3, "openid": "alice"}
    url = urlsplit(check["media_url"])
    assert (url.scheme, url.netloc, url.path) == ("https", "linli.example.org", f"/api/v1/media/{photo['id']}/public")
    assert set(parse_qs(url.query)) == {"expires", "signature"}
    downloaded = client.get(f"{url.path}?{url.query}")  # what WeChat downloads, without any login
    assert downloaded.status_code == 200
    assert downloaded.data == client.get(photo["url"], headers=headers(people["alice"])).data
    assert screening_of(photo["id"]) == ("pending", check["trace_id"])
    assert [p["screening"] for p in topic["photos"]] == ["pending"]
    assert seen(client, people, topic["id"], photo["id"]) == SEEN_BY["pending"]


def test_a_failed_call_is_retried_like_any_job(wechat_app, fake_wechat, people):
    client = wechat_app.test_client()
    fake_wechat.fake.fail_next("/wxa/media_check_async", -1)  # WeChat busy
    _, photo = topic_with_photo(client, people)
    assert fake_wechat.fake.media_checks == [] and screening_of(photo["id"]) == ("pending", None)

    entry = db.session.scalar(sa.select(OutboxEntry).where(OutboxEntry.job.endswith(":check_photo")))
    assert entry.done_at is None and entry.attempts == 1
    assert jobs.run_outbox_entry(entry.id) == "done"  # the sweeper's retry
    assert screening_of(photo["id"]) == ("pending", trace_of(fake_wechat.fake))
    assert jobs.run_outbox_entry(entry.id) == "already done"
    assert len(fake_wechat.fake.media_checks) == 1


@pytest.mark.parametrize("verdict", ["pass", "review", "risky"])
def test_the_pushed_verdict_decides_who_sees_the_photo(wechat_app, fake_wechat, people, verdict):
    client = wechat_app.test_client()
    topic, photo = topic_with_photo(client, people)
    event = fake_wechat.fake.media_check_event(trace_of(fake_wechat.fake), verdict, 100 if verdict == "pass" else 20002)

    answer = push(client, event)
    assert (answer.status_code, answer.get_data(as_text=True)) == (200, "success")
    assert screening_of(photo["id"])[0] == verdict
    assert seen(client, people, topic["id"], photo["id"]) == SEEN_BY[verdict]
    assert client.get(f"/api/v1/media/{photo['id']}", headers=headers(people["dave"])).status_code == 404
    inbox = client.get("/api/v1/notifications", headers=headers(people["alice"])).json
    told = [n for n in inbox if n["kind"] == "photo_rejected"]
    assert len(told) == (1 if verdict == "risky" else 0)
    if told:
        assert "未通过安全检查" in told[0]["title"]


def test_the_same_push_twice_changes_nothing(wechat_app, fake_wechat, people):
    client = wechat_app.test_client()
    topic, photo = topic_with_photo(client, people)
    trace_id = trace_of(fake_wechat.fake)
    risky = fake_wechat.fake.media_check_event(trace_id, "risky", 20002)
    for _ in range(2):
        assert push(client, risky).get_data(as_text=True) == "success"
    # A later, different verdict for the same trace does not undo the first either.
    assert push(client, fake_wechat.fake.media_check_event(trace_id, "pass")).status_code == 200
    assert screening_of(photo["id"]) == ("risky", trace_id)
    inbox = client.get("/api/v1/notifications", headers=headers(people["alice"])).json
    assert [n["kind"] for n in inbox].count("photo_rejected") == 1
    assert seen(client, people, topic["id"], photo["id"]) == SEEN_BY["risky"]


def test_an_unknown_trace_id_or_a_bad_signature_changes_nothing(wechat_app, fake_wechat, people):
    client = wechat_app.test_client()
    _, photo = topic_with_photo(client, people)
    trace_id = trace_of(fake_wechat.fake)

    unknown = push(client, fake_wechat.fake.media_check_event("no-such-trace", "pass"))
    assert (unknown.status_code, unknown.json["reason"]) == (404, "unknown_trace_id")
    assert set(unknown.json) >= {"code", "status", "message", "reason"}
    forged = push(client, fake_wechat.fake.media_check_event(trace_id, "pass"), token="guessed-token")
    assert (forged.status_code, forged.json["reason"]) == (403, "bad_signature")
    unsigned = client.post("/api/v1/wechat/push", json=fake_wechat.fake.media_check_event(trace_id, "pass"))
    assert unsigned.status_code == 422 and unsigned.json["reason"] == "validation_error"
    assert screening_of(photo["id"]) == ("pending", trace_id)


def test_other_pushed_events_are_acknowledged_and_ignored(wechat_app, fake_wechat, people):
    client = wechat_app.test_client()
    _, photo = topic_with_photo(client, people)
    answer = push(client, {"MsgType": "event", "Event": "user_enter_tempsession", "trace_id": trace_of(fake_wechat.fake)})
    assert answer.get_data(as_text=True) == "success"
    assert screening_of(photo["id"])[0] == "pending"


def test_the_console_url_check_echoes_only_when_signed(wechat_app):
    client = wechat_app.test_client()
    ok = client.get(f"/api/v1/wechat/push?{signed('echostr=4821937')}")
    assert (ok.status_code, ok.get_data(as_text=True), ok.mimetype) == (200, "4821937", "text/plain")
    bad = client.get(f"/api/v1/wechat/push?{signed('echostr=4821937', token='wrong')}")
    assert (bad.status_code, bad.json["reason"]) == (403, "bad_signature")
    assert "4821937" not in bad.get_data(as_text=True)


def test_without_a_push_token_every_push_is_refused(make_app):
    app = make_app(WECHAT_PUSH_TOKEN="")
    with app.app_context():
        answer = app.test_client().get(f"/api/v1/wechat/push?{signed('echostr=1', token='')}")
    assert (answer.status_code, answer.json["reason"]) == (403, "bad_signature")


def test_the_signed_link_works_only_unexpired_untampered_and_for_its_photo(wechat_app, fake_wechat, people):
    client = wechat_app.test_client()
    _, photo = topic_with_photo(client, people)
    other = post_photo(client, headers(people["bob"]), jpeg(color=(10, 10, 200))).json

    def get(link: str):
        url = urlsplit(link)
        return client.get(f"{url.path}?{url.query}")

    assert get(public_link(photo["id"])).status_code == 200
    expired = get(public_link(photo["id"], now=time.time() - 3601))
    link = public_link(photo["id"])
    tampered = get(link[:-1] + ("1" if link.endswith("0") else "0"))  # one hex digit of the signature changed
    wrong_photo = get(public_link(photo["id"]).replace(f"/media/{photo['id']}/", f"/media/{other['id']}/"))
    stretched = urlsplit(public_link(photo["id"]))
    query = parse_qs(stretched.query)
    later = client.get(f"{stretched.path}?expires={int(query['expires'][0]) + 86400}&signature={query['signature'][0]}")
    bare = client.get(f"/api/v1/media/{photo['id']}/public")
    for refused in (expired, tampered, wrong_photo, later, bare):
        assert (refused.status_code, refused.json["reason"]) == (404, "media_not_found")


def test_a_malformed_link_is_the_same_404_not_a_crash(wechat_app, fake_wechat, people):
    client = wechat_app.test_client()
    _, photo = topic_with_photo(client, people)
    link = urlsplit(public_link(photo["id"]))
    expires = parse_qs(link.query)["expires"][0]
    for query in ({"expires": "²", "signature": "0"},  # a digit to str.isdigit, not to int()
                  {"expires": "9" * 5000, "signature": "0"},  # more digits than int() converts
                  {"expires": expires, "signature": "é" * 64}):  # compare_digest refuses non-ASCII str
        response = client.get(link.path, query_string=query)
        assert (response.status_code, response.json["reason"]) == (404, "media_not_found")


def test_a_non_ascii_push_signature_is_403_not_a_crash(wechat_app):
    query = {"signature": "签名", "timestamp": "1733475600", "nonce": "n0nce", "echostr": "4821937"}
    answer = wechat_app.test_client().get("/api/v1/wechat/push", query_string=query)
    assert (answer.status_code, answer.json["reason"]) == (403, "bad_signature")


def test_a_manager_passes_or_rejects_a_held_photo(wechat_app, fake_wechat, people):
    client = wechat_app.test_client()
    topic, photo = topic_with_photo(client, people)
    assert push(client, fake_wechat.fake.media_check_event(trace_of(fake_wechat.fake), "review", 21000)).status_code == 200

    decide = f"/api/v1/media/{photo['id']}/screening"
    refused = client.post(decide, json={"decision": "pass"}, headers=headers(people["bob"]))
    assert (refused.status_code, screening_of(photo["id"])[0]) == (403, "review")
    invalid = client.post(decide, json={"decision": "maybe"}, headers=headers(people["committee"]))
    assert invalid.status_code == 422
    passed = client.post(decide, json={"decision": "pass"}, headers=headers(people["committee"]))
    assert passed.json == {"id": photo["id"], "screening": "pass"}
    assert seen(client, people, topic["id"], photo["id"]) == SEEN_BY["pass"]
    again = client.post(decide, json={"decision": "risky"}, headers=headers(people["committee"]))
    assert (again.status_code, again.json["reason"]) == (409, "invalid_transition")


def test_without_wechat_photos_pass_at_once(make_app):
    app = make_app()  # no WECHAT_APPID: the local mode has no image checker
    with app.app_context():
        client = app.test_client()
        world = make_world()
        people = {"alice": resident("alice", world.grid(0)), "bob": resident("bob", world.grid(1)),
                  "committee": world.committee}
        topic, photo = topic_with_photo(client, people)
        assert [p["screening"] for p in topic["photos"]] == ["pass"]
        assert screening_of(photo["id"]) == ("pass", None)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEntry)
                                 .where(OutboxEntry.job.endswith(":check_photo"))) == 0
        assert seen(client, people, topic["id"], photo["id"]) == SEEN_BY["pass"]
