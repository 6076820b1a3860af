"""Pytest fixtures: a fake WeChat server over real HTTP and a real client pointed at it."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from backend.wechat import MemoryTokenStore, WeChatClient
from backend.wechat.fake import FakeWeChatServer


@pytest.fixture
def fake_wechat() -> Iterator[FakeWeChatServer]:
    """A started FakeWeChatServer; drive it through `.fake`, point clients at `.url`."""
    with FakeWeChatServer() as server:
        yield server


@pytest.fixture
def wechat_client(fake_wechat: FakeWeChatServer) -> Iterator[WeChatClient]:
    """A real WeChatClient talking HTTP to `fake_wechat`, with an in-memory token store."""
    fake = fake_wechat.fake
    with WeChatClient(fake.appid, fake.secret, base_url=fake_wechat.url,
                      token_store=MemoryTokenStore(), timeout=5.0) as client:
        yield client


@pytest.fixture
def wechat_settings(fake_wechat: FakeWeChatServer) -> dict:
    """App settings that point the app's WeChat client at `fake_wechat` (dev login stays as configured)."""
    fake = fake_wechat.fake
    return {"WECHAT_APPID": fake.appid, "WECHAT_SECRET": fake.secret, "WECHAT_API_BASE": fake_wechat.url}
