"""The real WeChatClient over real HTTP against the local fake WeChat server."""
from __future__ import annotations

import io
import logging
import socket
import time

import pytest
from PIL import Image

from backend.wechat import (MemoryTokenStore, SubscriptionSpent, WeChatClient, WeChatError,
                            WeChatUnavailable, fit_field)

STABLE = "/cgi-bin/stable_token"
PHONE = "/wxa/business/getuserphonenumber"
SEND = "/cgi-bin/message/subscribe/send"
SEC = "/wxa/msg_sec_check"
QR = "/wxa/getwxacodeunlimit"


def token_requests(fake) -> list[dict]:
    return [body for path, body in fake.calls if path == STABLE]


# -- code2session ---------------------------------------------------------------------------


def test_code2session_returns_openid(fake_wechat, wechat_client):
    fake_wechat.fake.codes["code-1"] = "o-alice"
    session = wechat_client.code2session("code-1")
    assert session.openid == "o-alice"
    assert session.unionid is None
    assert session.session_key  # kept server-side...
    assert session.session_key not in repr(session)  # ...and out of reprs
    path, params = fake_wechat.fake.calls[-1]
    assert path == "/sns/jscode2session"
    assert params == {"appid": fake_wechat.fake.appid, "secret": fake_wechat.fake.secret,
                      "js_code": "code-1", "grant_type": "authorization_code"}


def test_code2session_unionid_and_single_use(fake_wechat, wechat_client):
    fake_wechat.fake.codes["code-2"] = "o-bob"
    fake_wechat.fake.unionids["o-bob"] = "u-bob"
    assert wechat_client.code2session("code-2").unionid == "u-bob"
    with pytest.raises(WeChatError) as err:
        wechat_client.code2session("code-2")
    assert err.value.errcode == 40163  # code been used


def test_code2session_unknown_code(wechat_client):
    with pytest.raises(WeChatError) as err:
        wechat_client.code2session("nope")
    assert (err.value.errcode, err.value.errmsg) == (40029, "invalid code")
    assert not isinstance(err.value, WeChatUnavailable)


@pytest.mark.parametrize("errcode", [40029, 45011, 40226, -1])
def test_code2session_error_codes(fake_wechat, wechat_client, errcode):
    fake_wechat.fake.codes["code-3"] = "o-carol"
    fake_wechat.fake.fail_next("/sns/jscode2session", errcode)
    with pytest.raises(WeChatError) as err:
        wechat_client.code2session("code-3")
    assert err.value.errcode == errcode
    # Only "system busy" is transient, so only it is WeChatUnavailable (-> HTTP 503).
    assert isinstance(err.value, WeChatUnavailable) == (errcode == -1)


def test_wrong_secret_is_rejected(fake_wechat):
    fake = fake_wechat.fake
    fake.codes["code-4"] = "o-dave"
    with WeChatClient(fake.appid, "wrong", base_url=fake_wechat.url, token_store=MemoryTokenStore()) as client:
        with pytest.raises(WeChatError) as err:
            client.code2session("code-4")
        assert err.value.errcode == 40125
        with pytest.raises(WeChatError) as err:
            client.access_token()
        assert err.value.errcode == 40125


# -- network failures -----------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connection_refused_is_unavailable():
    with WeChatClient("wx", "s", base_url=f"http://127.0.0.1:{closed_port()}",
                      token_store=MemoryTokenStore()) as client:
        with pytest.raises(WeChatUnavailable) as err:
            client.code2session("code")
        assert err.value.errcode == -1
        with pytest.raises(WeChatUnavailable):
            client.msg_sec_check("hello", "o-1")


def test_stopped_server_is_unavailable(fake_wechat):
    fake = fake_wechat.fake
    url = fake_wechat.url
    fake_wechat.stop()
    with WeChatClient(fake.appid, fake.secret, base_url=url, token_store=MemoryTokenStore()) as client:
        with pytest.raises(WeChatUnavailable):
            client.code2session("code")


def test_timeout_is_unavailable():
    with socket.socket() as listener:  # accepts connections (backlog) but never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        with WeChatClient("wx", "s", base_url=f"http://127.0.0.1:{port}", timeout=0.3,
                          token_store=MemoryTokenStore()) as client:
            started = time.monotonic()
            with pytest.raises(WeChatUnavailable) as err:
                client.code2session("code")
            assert time.monotonic() - started < 3
            assert "Timeout" in err.value.errmsg


@pytest.mark.parametrize("status", [500, 502, 503])
def test_http_5xx_is_unavailable(fake_wechat, wechat_client, status):
    fake_wechat.fake.fail_next(SEC, 0, status=status)
    with pytest.raises(WeChatUnavailable) as err:
        wechat_client.msg_sec_check("hello", "o-1")
    assert err.value.errmsg == f"HTTP {status}"


# -- access token ---------------------------------------------------------------------------


def test_stable_token_fetched_once_and_cached(fake_wechat, wechat_client):
    fake = fake_wechat.fake
    token = wechat_client.access_token()
    assert token == fake.tokens[0]
    wechat_client.msg_sec_check("hello", "o-1")
    wechat_client.msg_sec_check("again", "o-1")
    assert wechat_client.access_token() == token
    assert token_requests(fake) == [{"grant_type": "client_credential", "appid": fake.appid,
                                     "secret": fake.secret, "force_refresh": False}]
    assert [t for _, t, _ in fake.token_uses] == [token, token]


def test_token_refreshed_when_near_expiry(fake_wechat):
    fake = fake_wechat.fake
    store = MemoryTokenStore()
    with WeChatClient(fake.appid, fake.secret, base_url=fake_wechat.url, token_store=store) as client:
        token = client.access_token()
        key = f"access_token:{fake.appid}"
        store.set(key, token, time.time() + 301)  # still outside the 300 s margin: cached
        assert client.access_token() == token
        assert len(token_requests(fake)) == 1
        store.set(key, token, time.time() + 299)  # inside the margin: ask WeChat again
        client.access_token()
        assert len(token_requests(fake)) == 2
        assert store.get(key)[1] > time.time() + 7000  # the fresh expiry was stored


def test_short_lived_token_rotates(fake_wechat):
    # The platform hands out a new stable token in the last 5 minutes of the old one.
    fake = fake_wechat.fake
    fake.token_ttl = 200
    with WeChatClient(fake.appid, fake.secret, base_url=fake_wechat.url,
                      token_store=MemoryTokenStore()) as client:
        first = client.access_token()
        second = client.access_token()
    assert first != second
    assert fake.tokens == [first, second]


def test_expired_token_refreshed_and_retried(fake_wechat, wechat_client):
    fake = fake_wechat.fake
    wechat_client.msg_sec_check("hello", "o-1")
    old = fake.tokens[0]
    fake.expire_tokens()
    assert wechat_client.msg_sec_check("hello", "o-1").suggest == "pass"
    new = fake.tokens[1]
    assert fake.token_uses == [(SEC, old, 0), (SEC, old, 42001), (SEC, new, 0)]
    # Normal mode sufficed because WeChat already had a new token; no rationed force_refresh.
    assert [b["force_refresh"] for b in token_requests(fake)] == [False, False]


@pytest.mark.parametrize("errcode", [40001, 42001])
def test_rejected_token_force_refreshed_when_normal_mode_returns_it(fake_wechat, wechat_client, errcode):
    fake = fake_wechat.fake
    wechat_client.access_token()
    fake.fail_next(SEC, errcode)  # WeChat rejects a token stable_token still considers current
    assert wechat_client.msg_sec_check("hello", "o-1").suggest == "pass"
    assert [b["force_refresh"] for b in token_requests(fake)] == [False, False, True]
    assert len(fake.tokens) == 2
    assert fake.token_uses[-1] == (SEC, fake.tokens[1], 0)
    assert fake.count(SEC) == 2
    assert wechat_client.access_token() == fake.tokens[1]


@pytest.mark.parametrize("errcode", [40001, 42001])
def test_second_token_rejection_propagates(fake_wechat, wechat_client, errcode):
    fake = fake_wechat.fake
    fake.fail_next(PHONE, errcode)
    fake.fail_next(PHONE, errcode)
    fake.phone_codes["p-1"] = "13800138000"
    with pytest.raises(WeChatError) as err:
        wechat_client.get_phone_number("p-1")
    assert err.value.errcode == errcode
    assert fake.count(PHONE) == 2  # exactly one retry


def test_token_endpoint_error_propagates(fake_wechat, wechat_client):
    fake_wechat.fake.fail_next(STABLE, 45009)
    with pytest.raises(WeChatError) as err:
        wechat_client.msg_sec_check("hello", "o-1")
    assert err.value.errcode == 45009
    assert fake_wechat.fake.count(SEC) == 0


# -- phone number ---------------------------------------------------------------------------


def test_get_phone_number(fake_wechat, wechat_client):
    fake = fake_wechat.fake
    fake.phone_codes["p-2"] = "13800138000"
    info = wechat_client.get_phone_number("p-2", openid="o-alice")
    assert (info.phone_number, info.pure_phone_number, info.country_code) == ("13800138000", "13800138000", "86")
    assert "13800138000" not in repr(info)
    assert fake.calls[-1] == (PHONE, {"code": "p-2", "openid": "o-alice"})
    with pytest.raises(WeChatError) as err:  # phone codes are single-use
        wechat_client.get_phone_number("p-2")
    assert err.value.errcode == 40029


def test_get_phone_number_foreign(fake_wechat, wechat_client):
    fake_wechat.fake.phone_codes["p-3"] = "+1 2025550123"
    info = wechat_client.get_phone_number("p-3")
    assert (info.phone_number, info.pure_phone_number, info.country_code) == ("+1 2025550123", "2025550123", "1")


# -- subscribe messages ---------------------------------------------------------------------


def test_send_subscribe_message_truncates_thing(fake_wechat, wechat_client):
    long_thing = "小区东门电梯维修通知请各位居民注意出行安全谢谢配合"  # 25 characters
    wechat_client.send_subscribe_message(
        "o-alice", "tmpl-1", {"thing1": long_thing, "time2": "2026-11-29 08:00", "phrase3": "已受理",
                              "character_string4": "A" * 32, "thing5": "x" * 20},
        page="pages/notice/notice?id=1", miniprogram_state="trial")
    (sent,) = fake_wechat.fake.sent_messages
    assert sent["touser"] == "o-alice" and sent["template_id"] == "tmpl-1"
    assert sent["page"] == "pages/notice/notice?id=1"
    assert (sent["miniprogram_state"], sent["lang"]) == ("trial", "zh_CN")
    data = sent["data"]
    assert data["thing1"]["value"] == long_thing[:19] + "…" and len(data["thing1"]["value"]) == 20
    assert data["time2"] == {"value": "2026-11-29 08:00"}
    assert data["phrase3"] == {"value": "已受理"}
    assert data["character_string4"] == {"value": "A" * 32}
    assert data["thing5"] == {"value": "x" * 20}  # exactly at the limit: untouched


OVERLONG = [("phrase1", "六个字的短语"), ("character_string2", "A" * 33), ("name3", "欧阳一二三四五六七八九"),
            ("phone_number4", "1" * 18), ("number5", "9" * 33), ("letter6", "a" * 33), ("symbol7", "%" * 6)]


@pytest.mark.parametrize("key,value", OVERLONG, ids=[key for key, _ in OVERLONG])
def test_send_subscribe_message_rejects_overlong_values(fake_wechat, wechat_client, key, value):
    with pytest.raises(ValueError, match=key):
        wechat_client.send_subscribe_message("o-alice", "tmpl-1", {key: value})
    assert fake_wechat.fake.calls == []  # nothing was sent, not even a token request


def test_send_subscribe_message_spent(fake_wechat, wechat_client):
    fake_wechat.fake.fail_next(SEND, 43101)
    with pytest.raises(SubscriptionSpent) as err:
        wechat_client.send_subscribe_message("o-alice", "tmpl-1", {"thing1": "hi"})
    assert isinstance(err.value, WeChatError) and err.value.errcode == 43101
    assert fake_wechat.fake.sent_messages == []


def test_send_subscribe_message_bad_state(wechat_client):
    with pytest.raises(ValueError):
        wechat_client.send_subscribe_message("o-alice", "tmpl-1", {"thing1": "hi"}, miniprogram_state="prod")


def test_fit_field_prefixes():
    assert fit_field("thing12", "y" * 30) == "y" * 19 + "…"
    assert fit_field("date3", "2026年11月29日 08:00:00 星期日") == "2026年11月29日 08:00:00 星期日"
    assert fit_field("amount1", "1" * 50) == "1" * 50  # prefixes without a known limit pass through


# -- msgSecCheck ----------------------------------------------------------------------------


def test_msg_sec_check_pass(fake_wechat, wechat_client):
    result = wechat_client.msg_sec_check("今天小区的花开了", "o-alice")
    assert (result.suggest, result.label) == ("pass", 100)
    assert result.trace_id
    assert fake_wechat.fake.calls[-1] == (SEC, {"content": "今天小区的花开了", "version": 2, "scene": 2,
                                                "openid": "o-alice"})


def test_msg_sec_check_review_and_risky(fake_wechat, wechat_client):
    fake = fake_wechat.fake
    fake.sec_check_verdicts["代购"] = ("review", 10001)
    fake.sec_check_verdicts["赌博"] = "risky"
    assert wechat_client.msg_sec_check("帮忙代购", "o-alice").suggest == "review"
    assert wechat_client.msg_sec_check("帮忙代购", "o-alice").label == 10001
    risky = wechat_client.msg_sec_check("代购和赌博", "o-alice", scene=3)
    assert (risky.suggest, risky.label) == ("risky", 21000)  # risky wins over review
    titled = wechat_client.msg_sec_check("正文", "o-alice", scene=3, title="赌博")
    assert titled.suggest == "risky"
    assert fake.calls[-1][1]["title"] == "赌博"


def test_msg_sec_check_error(wechat_client):
    with pytest.raises(WeChatError) as err:
        wechat_client.msg_sec_check("hello", "o-alice", scene=9)
    assert err.value.errcode == 40129


# -- wxacode --------------------------------------------------------------------------------


def test_wxacode_returns_png(fake_wechat, wechat_client):
    png = wechat_client.get_wxacode_unlimited("g=12&t=abc", "pages/checkin/checkin")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.text == {"scene": "g=12&t=abc", "page": "pages/checkin/checkin"}
    assert fake_wechat.fake.calls[-1] == (QR, {"scene": "g=12&t=abc", "page": "pages/checkin/checkin",
                                               "check_path": True, "env_version": "release", "width": 430})


def test_wxacode_json_error_raises(fake_wechat, wechat_client):
    fake_wechat.fake.published_pages = {"pages/index/index"}
    with pytest.raises(WeChatError) as err:
        wechat_client.get_wxacode_unlimited("g=1", "pages/checkin/checkin")
    assert err.value.errcode == 41030
    # Before release: skip the path check and ask for the develop version.
    png = wechat_client.get_wxacode_unlimited("g=1", "pages/checkin/checkin", check_path=False,
                                              env_version="develop", width=280)
    assert png.startswith(b"\x89PNG")


def test_wxacode_retries_after_token_expiry(fake_wechat, wechat_client):
    wechat_client.access_token()
    fake_wechat.fake.expire_tokens()
    assert wechat_client.get_wxacode_unlimited("g=1", "pages/index/index").startswith(b"\x89PNG")
    assert [err for path, _, err in fake_wechat.fake.token_uses] == [42001, 0]


def test_wxacode_rejects_bad_scene_locally(fake_wechat, wechat_client):
    for scene in ("", "x" * 33, "中文"):
        with pytest.raises(ValueError):
            wechat_client.get_wxacode_unlimited(scene, "pages/index/index")
    assert fake_wechat.fake.calls == []


# -- logging --------------------------------------------------------------------------------


def test_no_secrets_in_logs(fake_wechat, wechat_client, caplog):
    caplog.set_level(logging.DEBUG)
    fake = fake_wechat.fake
    fake.codes["code-9"] = "o-erin"
    fake.phone_codes["p-9"] = "13912345678"
    session = wechat_client.code2session("code-9")
    wechat_client.get_phone_number("p-9")
    fake.expire_tokens()
    with pytest.raises(WeChatError):
        wechat_client.code2session("code-9")  # error path logs too
    wechat_client.msg_sec_check("hello", "o-erin")
    assert "jscode2session" in caplog.text  # httpx did log the requests...
    for secret in (fake.secret, session.session_key, "13912345678", *fake.tokens):
        assert secret not in caplog.text  # ...with credentials redacted


def test_media_check_async_returns_the_trace_id(fake_wechat, wechat_client):
    trace_id = wechat_client.media_check_async("https://linli.example.org/p.jpg?sig=1", "o-alice", scene=3)
    [check] = fake_wechat.fake.media_checks
    assert check == {"media_url": "https://linli.example.org/p.jpg?sig=1", "media_type": 2, "version": 2,
                     "scene": 3, "openid": "o-alice", "trace_id": trace_id}


@pytest.mark.parametrize("url, openid, errcode", [("http://linli.example.org/p.jpg", "o-alice", 47001),
                                                   ("https://linli.example.org/p.jpg", "", 40003)])
def test_media_check_async_refusals(fake_wechat, wechat_client, url, openid, errcode):
    with pytest.raises(WeChatError) as refused:
        wechat_client.media_check_async(url, openid)
    assert refused.value.errcode == errcode and fake_wechat.fake.media_checks == []
