"""Content screening before anything is shown: a pluggable checker.

With WeChat configured, text goes to msgSecCheck v2 and the decision follows `result.suggest`
(`pass` shows, `review` holds the content for a moderator, `risky` refuses it with a clear
message). Without WeChat, a local keyword list gives the same three answers. Another checker can
be plugged in as `app.extensions["content_checker"]` (anything with `check(...)`).

When WeChat cannot answer (network, busy, an openid it does not know), the content is held for a
moderator rather than shown unchecked or refused for something the author did not do.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from flask import current_app

from backend.core.errors import Unprocessable
from backend.wechat import WeChatError

log = logging.getLogger(__name__)

SCENE_COMMENT, SCENE_FORUM = 2, 3
# msgSecCheck labels, for the message a refused author reads.
LABELS = {10001: "广告", 20001: "时政", 20002: "色情", 20003: "辱骂", 20006: "违法犯罪", 20008: "欺诈",
          20012: "低俗", 20013: "版权", 21000: "其他不当内容"}
# The built-in list when WeChat is not configured; `SCREENING_KEYWORDS` in the app config replaces it.
DEFAULT_KEYWORDS = {
    "risky": ("傻逼", "操你", "去死吧", "杀了你", "法轮", "代开发票", "赌博网站", "裸聊"),
    "review": ("加微信", "加我微信", "微信号", "兼职刷单", "日赚", "贷款秒批", "私信我"),
}


@dataclass(frozen=True)
class Screening:
    """A checker's verdict on one piece of text."""

    suggest: str  # "pass" | "review" | "risky"
    label: int = 100
    source: str = "keywords"

    @property
    def held(self) -> bool:
        return self.suggest == "review"


class ContentChecker(Protocol):
    def check(self, text: str, *, openid: str, scene: int, title: str | None = None) -> Screening: ...


class WeChatChecker:
    """msgSecCheck v2 through the app's WeChat client."""

    def __init__(self, client) -> None:
        self.client = client

    def check(self, text: str, *, openid: str, scene: int, title: str | None = None) -> Screening:
        try:
            result = self.client.msg_sec_check(text, openid, scene=scene, title=title)
        except WeChatError as exc:  # includes WeChatUnavailable
            log.warning("msgSecCheck failed (errcode %s); holding the content for a moderator", exc.errcode)
            return Screening("review", 0, "wechat_unavailable")
        suggest = result.suggest if result.suggest in ("pass", "review", "risky") else "review"
        return Screening(suggest, result.label, "wechat")


class KeywordChecker:
    """A local list: any `risky` word refuses, any `review` word holds."""

    def __init__(self, keywords: dict[str, tuple[str, ...] | list[str]]) -> None:
        self.risky = tuple(keywords.get("risky", ()))
        self.review = tuple(keywords.get("review", ()))

    def check(self, text: str, *, openid: str, scene: int, title: str | None = None) -> Screening:
        haystack = f"{title or ''}\n{text}".lower()
        if any(word.lower() in haystack for word in self.risky):
            return Screening("risky", 21000)
        if any(word.lower() in haystack for word in self.review):
            return Screening("review", 21000)
        return Screening("pass")


def checker() -> ContentChecker:
    """The checker for this app: a plugged-in one, else WeChat when configured, else keywords."""
    plugged = current_app.extensions.get("content_checker")
    if plugged is not None:
        return plugged
    client = current_app.extensions.get("wechat")
    if client is not None:
        return WeChatChecker(client)
    return KeywordChecker(current_app.config.get("SCREENING_KEYWORDS") or DEFAULT_KEYWORDS)


def screen(text: str, *, openid: str, scene: int, title: str | None = None) -> Screening:
    """Check text before it is stored; refuse it (422 `content_rejected`) when the checker says risky."""
    verdict = checker().check(text, openid=openid, scene=scene, title=title)
    if verdict.suggest == "risky":
        what = LABELS.get(verdict.label, "不当内容")
        raise Unprocessable(f"内容未通过安全检查（疑似{what}），请修改后再提交", reason="content_rejected")
    return verdict
