"""Token stores (memory and the real Redis, DB 15) and client_from_config."""
from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis as redis_lib

from backend.wechat import MemoryTokenStore, RedisTokenStore, WeChatClient, client_from_config

STABLE = "/cgi-bin/stable_token"


@pytest.fixture
def redis_db(redis_url) -> Iterator[redis_lib.Redis]:
    """The shared `redis_url` fixture's database (skips locally without Redis, fails in CI)."""
    client = redis_lib.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.mark.parametrize("make_store", ["memory", "redis"])
def test_store_roundtrip(redis_db, make_store):
    store = MemoryTokenStore() if make_store == "memory" else RedisTokenStore(redis_db)
    assert store.get("k") is None
    expires = time.time() + 60
    store.set("k", "tok", expires)
    assert store.get("k") == ("tok", pytest.approx(expires))
    store.delete("k")
    assert store.get("k") is None
    store.set("k", "old", time.time() - 1)  # already expired: reads as missing
    assert store.get("k") is None


def test_redis_store_sets_ttl_and_prefix(redis_db, redis_url):
    store = RedisTokenStore(redis_db, prefix="test:")
    store.set("k", "tok", time.time() + 100)
    assert 98 <= redis_db.ttl("test:k") <= 100
    decoded = redis_lib.Redis.from_url(redis_url, decode_responses=True)
    try:
        assert RedisTokenStore(decoded, prefix="test:").get("k")[0] == "tok"
    finally:
        decoded.close()


def test_redis_shares_token_between_clients(fake_wechat, redis_db):
    fake = fake_wechat.fake
    a = WeChatClient(fake.appid, fake.secret, base_url=fake_wechat.url, token_store=RedisTokenStore(redis_db))
    b = WeChatClient(fake.appid, fake.secret, base_url=fake_wechat.url, token_store=RedisTokenStore(redis_db))
    with a, b:
        token = a.access_token()
        assert b.access_token() == token
        b.msg_sec_check("hello", "o-1")
        assert fake.count(STABLE) == 1
        assert 7100 <= redis_db.ttl(f"linli:wechat:access_token:{fake.appid}") <= 7200

        fake.expire_tokens()
        a.msg_sec_check("hello", "o-1")  # a sees 42001, refreshes, stores the new token
        b.msg_sec_check("hello", "o-1")  # b picks it up from Redis without asking WeChat
        assert fake.count(STABLE) == 2
        assert fake.token_uses[-1] == ("/wxa/msg_sec_check", fake.tokens[1], 0)


def test_client_from_config_disabled_without_credentials():
    assert client_from_config({}) is None
    assert client_from_config({"WECHAT_APPID": "wx1", "WECHAT_SECRET": ""}) is None


def test_client_from_config_memory(fake_wechat):
    fake = fake_wechat.fake
    fake.codes["c"] = "o-cfg"
    config = {"WECHAT_APPID": fake.appid, "WECHAT_SECRET": fake.secret, "WECHAT_API_BASE": fake_wechat.url,
              "WECHAT_TIMEOUT": 2.0}
    with client_from_config(config) as client:
        assert client.code2session("c").openid == "o-cfg"
        client.access_token()
        client.access_token()
    assert fake.count(STABLE) == 1


def test_client_from_config_redis(fake_wechat, redis_db):
    fake = fake_wechat.fake
    config = {"WECHAT_APPID": fake.appid, "WECHAT_SECRET": fake.secret, "WECHAT_API_BASE": fake_wechat.url}
    with client_from_config(config, redis=redis_db) as client:
        token = client.access_token()
    assert redis_db.exists(f"linli:wechat:access_token:{fake.appid}")
    assert RedisTokenStore(redis_db).get(f"access_token:{fake.appid}")[0] == token
