"""A thin synchronous httpx client for the WeChat mini-program server APIs."""
from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from backend.wechat.tokens import TokenStore

log = logging.getLogger(__name__)

REFRESH_MARGIN = 300  # seconds; refresh the access token when less than this is left
TOKEN_REJECTED = (40001, 42001)  # invalid / expired access token: refresh once and retry
SUBSCRIPTION_SPENT = 43101
# Subscribe-message value limits by key prefix; "thing" is truncated, the others must fit.
FIELD_LIMITS = {"thing": 20, "phrase": 5, "character_string": 32, "name": 10,
                "phone_number": 17, "number": 32, "letter": 32, "symbol": 5}
MINIPROGRAM_STATES = ("developer", "trial", "formal")
SCENE_RE = re.compile(r"[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}")
_REDACTED_PARAMS = ("secret", "access_token", "js_code")


class _RedactUrls(logging.Filter):
    """Hide credentials in the request URLs httpx logs at INFO level."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_redact(a) if isinstance(a, httpx.URL) else a for a in record.args)
        return True


def _redact(url: httpx.URL) -> httpx.URL:
    for name in _REDACTED_PARAMS:
        if name in url.params:
            url = url.copy_set_param(name, "***")
    return url


# jscode2session carries the app secret in its query string, so it must never reach a log.
logging.getLogger("httpx").addFilter(_RedactUrls())


class WeChatError(Exception):
    """WeChat answered with errcode != 0."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class WeChatUnavailable(WeChatError):
    """WeChat could not be reached, timed out, answered 5xx/off-contract, or said busy (-1)."""


class SubscriptionSpent(WeChatError):
    """errcode 43101: the user refused or already used up this subscription."""


@dataclass(frozen=True)
class Session:
    openid: str
    unionid: str | None = None
    session_key: str = field(default="", repr=False)  # server-side only, never logged


@dataclass(frozen=True)
class PhoneInfo:
    phone_number: str
    pure_phone_number: str
    country_code: str

    def __repr__(self) -> str:
        masked = self.pure_phone_number[:3] + "****" + self.pure_phone_number[-4:]
        return f"PhoneInfo(country_code={self.country_code!r}, pure_phone_number={masked!r})"


@dataclass(frozen=True)
class SecCheckResult:
    suggest: str  # "pass" | "review" | "risky"
    label: int
    trace_id: str


class WeChatClient:
    """WeChat server API client; one instance per app, safe to share between threads."""

    def __init__(self, appid: str, secret: str, *, base_url: str = "https://api.weixin.qq.com",
                 token_store: TokenStore, timeout: float = 5.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.appid = appid
        self._secret = secret
        self._store = token_store
        self._token_key = f"access_token:{appid}"  # several apps may share one Redis
        self._lock = threading.Lock()
        self._http = httpx.Client(base_url=base_url, timeout=timeout, transport=transport)

    def __repr__(self) -> str:
        return f"WeChatClient(appid={self.appid!r}, base_url={str(self._http.base_url)!r})"

    def close(self) -> None:
        """Close the underlying connection pool."""
        self._http.close()

    def __enter__(self) -> WeChatClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing -------------------------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            resp = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            log.warning("wechat %s unreachable: %s", path, type(exc).__name__)
            raise WeChatUnavailable(-1, f"network error: {type(exc).__name__}") from exc
        if not resp.is_success:
            log.warning("wechat %s answered HTTP %s", path, resp.status_code)
            raise WeChatUnavailable(-1, f"HTTP {resp.status_code}")
        return resp

    @staticmethod
    def _checked(resp: httpx.Response, path: str) -> dict[str, Any]:
        try:
            data = resp.json()  # jscode2session answers JSON labelled text/plain
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise WeChatUnavailable(-1, "response is not a JSON object")
        errcode = int(data.get("errcode") or 0)
        if errcode:
            errmsg = str(data.get("errmsg", ""))
            log.warning("wechat %s failed: errcode=%s errmsg=%s", path, errcode, errmsg)
            cls = {-1: WeChatUnavailable, SUBSCRIPTION_SPENT: SubscriptionSpent}.get(errcode, WeChatError)
            raise cls(errcode, errmsg)
        return data

    def _fetch_token(self, force_refresh: bool) -> str:
        body = {"grant_type": "client_credential", "appid": self.appid, "secret": self._secret,
                "force_refresh": force_refresh}
        data = self._checked(self._send("POST", "/cgi-bin/stable_token", json=body), "stable_token")
        token = data["access_token"]
        self._store.set(self._token_key, token, time.time() + int(data["expires_in"]))
        return token

    def access_token(self) -> str:
        """Return a valid access token, fetching a stable token when none is cached or it is near expiry."""
        cached = self._store.get(self._token_key)
        if cached and cached[1] - time.time() >= REFRESH_MARGIN:
            return cached[0]
        with self._lock:  # one refresh per process; other workers share via the store
            cached = self._store.get(self._token_key)
            if cached and cached[1] - time.time() >= REFRESH_MARGIN:
                return cached[0]
            return self._fetch_token(force_refresh=False)

    def _renew_rejected(self, rejected: str) -> str:
        self._store.delete(self._token_key)
        token = self._fetch_token(force_refresh=False)
        if token == rejected:
            # Normal mode handed back the token WeChat just refused; force_refresh is rationed
            # (20/day) and revokes the token for every worker, so it is the last resort.
            token = self._fetch_token(force_refresh=True)
        return token

    def _call(self, method: str, path: str, json: dict[str, Any] | None = None,
              raw: bool = False) -> Any:
        token = self.access_token()
        try:
            return self._call_with(token, method, path, json, raw)
        except WeChatError as exc:
            if exc.errcode not in TOKEN_REJECTED:
                raise
        # Exactly one retry: a second rejection means something else is wrong, so it propagates.
        return self._call_with(self._renew_rejected(token), method, path, json, raw)

    def _call_with(self, token: str, method: str, path: str, json: dict[str, Any] | None,
                   raw: bool) -> Any:
        resp = self._send(method, path, params={"access_token": token}, json=json)
        if raw and resp.headers.get("content-type", "").startswith("image/"):
            return resp.content
        return self._checked(resp, path)

    # -- APIs -----------------------------------------------------------------------------

    def code2session(self, code: str) -> Session:
        """Exchange a wx.login code for the user's openid (and unionid when bound)."""
        params = {"appid": self.appid, "secret": self._secret, "js_code": code,
                  "grant_type": "authorization_code"}
        data = self._checked(self._send("GET", "/sns/jscode2session", params=params), "jscode2session")
        return Session(openid=data["openid"], unionid=data.get("unionid") or None,
                       session_key=data.get("session_key", ""))

    def get_phone_number(self, code: str, openid: str | None = None) -> PhoneInfo:
        """Exchange a getPhoneNumber button code for the user's phone number."""
        body: dict[str, Any] = {"code": code}
        if openid:
            body["openid"] = openid
        info = self._call("POST", "/wxa/business/getuserphonenumber", json=body)["phone_info"]
        return PhoneInfo(phone_number=info["phoneNumber"], pure_phone_number=info["purePhoneNumber"],
                         country_code=str(info["countryCode"]))

    def send_subscribe_message(self, touser: str, template_id: str, data: dict[str, str],
                               page: str | None = None, miniprogram_state: str = "formal",
                               lang: str = "zh_CN") -> None:
        """Send a one-time subscribe message; raises SubscriptionSpent on 43101."""
        if miniprogram_state not in MINIPROGRAM_STATES:
            raise ValueError(f"miniprogram_state must be one of {MINIPROGRAM_STATES}")
        body: dict[str, Any] = {"touser": touser, "template_id": template_id,
                                "data": {k: {"value": fit_field(k, v)} for k, v in data.items()},
                                "miniprogram_state": miniprogram_state, "lang": lang}
        if page:
            body["page"] = page
        self._call("POST", "/cgi-bin/message/subscribe/send", json=body)

    def msg_sec_check(self, content: str, openid: str, scene: int = 2,
                      title: str | None = None) -> SecCheckResult:
        """Check user text with msgSecCheck v2; act on .suggest (pass/review/risky)."""
        body: dict[str, Any] = {"content": content, "version": 2, "scene": scene, "openid": openid}
        if title:
            body["title"] = title
        data = self._call("POST", "/wxa/msg_sec_check", json=body)
        result = data.get("result") or {}
        return SecCheckResult(suggest=result.get("suggest", "review"), label=int(result.get("label", 0)),
                              trace_id=data.get("trace_id", ""))

    def media_check_async(self, media_url: str, openid: str, scene: int = 3, media_type: int = 2) -> str:
        """Ask mediaCheckAsync v2 to check an image (2) or audio (1) at a public https URL; returns the trace id.

        The verdict is pushed later as a `wxa_media_check` event carrying the same trace id.
        """
        body = {"media_url": media_url, "media_type": media_type, "version": 2, "scene": scene, "openid": openid}
        data = self._call("POST", "/wxa/media_check_async", json=body)
        trace_id = data.get("trace_id")
        if not trace_id:
            raise WeChatUnavailable(-1, "media_check_async answered without a trace_id")
        return str(trace_id)

    def get_wxacode_unlimited(self, scene: str, page: str, *, check_path: bool = True,
                              env_version: str = "release", width: int = 430) -> bytes:
        """Return the image bytes of an unlimited mini-program code for page?scene."""
        if not SCENE_RE.fullmatch(scene):
            raise ValueError("scene must be 1-32 characters of [0-9A-Za-z!#$&'()*+,/:;=?@-._~]")
        body = {"scene": scene, "page": page, "check_path": check_path,
                "env_version": env_version, "width": width}
        result = self._call("POST", "/wxa/getwxacodeunlimit", json=body, raw=True)
        if not isinstance(result, bytes):  # a JSON body with errcode 0 is off-contract
            raise WeChatUnavailable(-1, "expected image bytes")
        return result


def fit_field(key: str, value: str) -> str:
    """Fit one subscribe-message value to WeChat's limit for its key prefix (thing1 -> thing)."""
    value = str(value)
    kind = key.rstrip("0123456789")
    limit = FIELD_LIMITS.get(kind)
    if limit is None or len(value) <= limit:
        return value
    if kind == "thing":
        return value[: limit - 1] + "…"
    raise ValueError(f"{key}: value longer than {limit} characters")
