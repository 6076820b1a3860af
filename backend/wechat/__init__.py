"""WeChat server API client (code2session, access token, phone, subscribe, sec-check, wxacode)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backend.wechat.client import (PhoneInfo, SecCheckResult, Session, SubscriptionSpent, WeChatClient,
                                   WeChatError, WeChatUnavailable, fit_field)
from backend.wechat.tokens import MemoryTokenStore, RedisTokenStore, TokenStore

__all__ = ["PhoneInfo", "SecCheckResult", "Session", "SubscriptionSpent", "WeChatClient", "WeChatError",
           "WeChatUnavailable", "fit_field", "MemoryTokenStore", "RedisTokenStore", "TokenStore",
           "client_from_config"]


def client_from_config(config: Mapping[str, Any], redis: Any = None) -> WeChatClient | None:
    """Build a WeChatClient from app settings; None when WECHAT_APPID or WECHAT_SECRET is empty."""
    appid, secret = config.get("WECHAT_APPID") or "", config.get("WECHAT_SECRET") or ""
    if not (appid and secret):
        return None
    store: TokenStore = RedisTokenStore(redis) if redis is not None else MemoryTokenStore()
    return WeChatClient(appid, secret, token_store=store,
                        base_url=config.get("WECHAT_API_BASE") or "https://api.weixin.qq.com",
                        timeout=float(config.get("WECHAT_TIMEOUT") or 5.0))
