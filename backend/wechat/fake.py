"""A local fake of the WeChat server APIs, for tests and manual runs.

Run it with `python -m backend.wechat.fake --port 9999`, or in tests:

    with FakeWeChatServer() as server:
        server.fake.codes["code-1"] = "openid-1"
        client = WeChatClient(server.fake.appid, server.fake.secret, base_url=server.url, ...)
"""
from __future__ import annotations

import argparse
import base64
import itertools
import json
import re
import secrets
import struct
import threading
import time
import zlib
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

ERRMSGS = {
    -1: "system error", 40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type", 40003: "invalid openid", 40013: "invalid appid",
    40029: "invalid code", 40037: "invalid template_id", 40125: "invalid appsecret",
    40129: "invalid scene", 40163: "code been used", 40169: "invalid length for scene",
    40226: "high risk user", 41001: "access_token missing", 41008: "missing code",
    41030: "invalid page", 42001: "access_token expired", 43002: "require POST method",
    43101: "user refuse to accept the msg", 44002: "empty post data", 45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit", 47001: "data format error", 47003: "argument invalid!",
}
# The real service's subscribe-message limits, kept separate from the client's copy on purpose.
FIELD_LIMITS = {"thing": 20, "phrase": 5, "character_string": 32, "name": 10,
                "phone_number": 17, "number": 32, "letter": 32, "symbol": 5}
SCENE_RE = re.compile(r"[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}")
PLATFORM_REFRESH = 300  # the platform rotates a stable token this many seconds before it expires


def _png(text: dict[str, str]) -> bytes:
    """A valid 1x1 PNG whose tEXt chunks carry `text`, so tests can see what was encoded."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    texts = b"".join(chunk(b"tEXt", f"{k}\0{v}".encode("latin-1")) for k, v in text.items())
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + texts
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))


class FakeWeChat:
    """WSGI app mimicking api.weixin.qq.com, with state a test can drive and inspect."""

    def __init__(self, appid: str = "wx_fake_appid", secret: str = "fake_app_secret",
                 token_ttl: int = 7200, dev_codes: bool = False) -> None:
        self.appid, self.secret, self.token_ttl = appid, secret, token_ttl
        # Manual runs cannot seed state from Python: accept login codes "dev-<name>[.<nonce>]" as
        # openid "o-<name>" (codes stay single-use) and phone codes "phone-<digits>".
        self.dev_codes = dev_codes
        self.codes: dict[str, str] = {}          # wx.login code -> openid, single-use
        self.unionids: dict[str, str] = {}       # openid -> unionid, when "bound to Open Platform"
        self.phone_codes: dict[str, str] = {}    # phone code -> "13800138000" or "+1 2025550123"
        self.sec_check_verdicts: dict[str, str | tuple[str, int]] = {}  # keyword -> "risky"/"review"
        self.published_pages: set[str] | None = None  # when set, check_path rejects other pages
        self.calls: list[tuple[str, dict[str, Any]]] = []  # (path, query params or JSON body)
        self.tokens: list[str] = []              # every access token issued, oldest first
        self.token_uses: list[tuple[str, str, int]] = []  # (path, access_token, errcode of the check)
        self.sent_messages: list[dict[str, Any]] = []
        self.media_checks: list[dict[str, Any]] = []  # accepted mediaCheckAsync bodies, each with its trace_id
        self._expires: dict[str, float] = {}
        self._revoked: set[str] = set()
        self._current: str | None = None
        self._used_codes: set[str] = set()
        self._failures: dict[str, deque[tuple[int, str, int]]] = defaultdict(deque)
        self._serial = itertools.count(1)
        self._lock = threading.RLock()
        self._routes: dict[str, tuple[str, bool, Callable[[dict[str, Any]], Any]]] = {
            "/sns/jscode2session": ("GET", False, self._jscode2session),
            "/cgi-bin/stable_token": ("POST", False, self._stable_token),
            "/wxa/business/getuserphonenumber": ("POST", True, self._phone_number),
            "/cgi-bin/message/subscribe/send": ("POST", True, self._subscribe_send),
            "/wxa/msg_sec_check": ("POST", True, self._msg_sec_check),
            "/wxa/media_check_async": ("POST", True, self._media_check_async),
            "/wxa/getwxacodeunlimit": ("POST", True, self._wxacode),
        }

    # -- test controls ----------------------------------------------------------------------

    def fail_next(self, path: str, errcode: int, errmsg: str | None = None, *, status: int = 200) -> None:
        """Answer the next call to `path` with this errcode (or with HTTP `status` if not 200); queues."""
        self._failures[path].append((errcode, errmsg or ERRMSGS.get(errcode, "injected error"), status))

    def expire_tokens(self) -> None:
        """Expire every issued token: the next use gets 42001 and stable_token issues a new one."""
        with self._lock:
            now = time.time()
            for token in self._expires:
                self._expires[token] = min(self._expires[token], now)
            self._current = None

    def count(self, path: str) -> int:
        """How many calls `path` received."""
        return sum(1 for p, _ in self.calls if p == path)

    def paths(self) -> list[str]:
        """The paths called, in order."""
        return [p for p, _ in self.calls]

    # -- WSGI -------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        with self._lock:
            response = self._dispatch(request)
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        path = request.path
        if path not in self._routes:
            return Response("not found", status=404, content_type="text/plain")
        method, needs_token, handler = self._routes[path]
        payload = dict(request.args) if request.method == "GET" else request.get_json(silent=True, force=True)
        self.calls.append((path, payload if isinstance(payload, dict) else {}))
        if self._failures[path]:
            errcode, errmsg, status = self._failures[path].popleft()
            if status != 200:
                return Response("injected failure", status=status, content_type="text/plain")
            return self._json({"errcode": errcode, "errmsg": errmsg})
        if request.method != method:
            return self._json(self._err(43002 if method == "POST" else 47001))
        if needs_token:
            token = request.args.get("access_token", "")
            errcode = self._token_error(token)
            self.token_uses.append((path, token, errcode))
            if errcode:
                return self._json(self._err(errcode))
        if not isinstance(payload, dict):
            return self._json(self._err(47001))
        result = handler(payload)
        if isinstance(result, Response):
            return result
        # The real jscode2session labels its JSON text/plain; clients must not rely on the header.
        ctype = "text/plain" if path == "/sns/jscode2session" else "application/json; encoding=utf-8"
        return self._json(result, ctype)

    @staticmethod
    def _json(data: dict[str, Any], ctype: str = "application/json; encoding=utf-8") -> Response:
        return Response(json.dumps(data, ensure_ascii=False), content_type=ctype)

    @staticmethod
    def _err(errcode: int, errmsg: str | None = None) -> dict[str, Any]:
        return {"errcode": errcode, "errmsg": errmsg or ERRMSGS.get(errcode, "error")}

    # -- access tokens ----------------------------------------------------------------------

    def _token_error(self, token: str) -> int:
        if not token:
            return 41001
        if token not in self._expires or token in self._revoked:
            return 40001
        return 42001 if self._expires[token] <= time.time() else 0

    def _issue(self) -> str:
        token = f"FAKE_AT_{next(self._serial):04d}_{secrets.token_hex(24)}"
        self.tokens.append(token)
        self._expires[token] = time.time() + self.token_ttl
        self._current = token
        return token

    def _stable_token(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("grant_type") != "client_credential":
            return self._err(40002)
        if body.get("appid") != self.appid:
            return self._err(40013)
        if body.get("secret") != self.secret:
            return self._err(40125)
        now = time.time()
        if body.get("force_refresh"):
            if self._current:
                self._revoked.add(self._current)  # a forced refresh kills the previous token
            token = self._issue()
        elif self._current and self._expires[self._current] - now > PLATFORM_REFRESH:
            token = self._current  # normal mode: same token while it is valid
        else:
            token = self._issue()  # the old one keeps working until it expires (overlap)
        return {"access_token": token, "expires_in": int(self._expires[token] - now)}

    # -- APIs -------------------------------------------------------------------------------

    def _jscode2session(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("appid") != self.appid:
            return self._err(40013)
        if params.get("secret") != self.secret:
            return self._err(40125)
        if params.get("grant_type") != "authorization_code":
            return self._err(40002)
        code = params.get("js_code", "")
        if not code:
            return self._err(41008)
        if code in self._used_codes:
            return self._err(40163)
        if self.dev_codes and code.startswith("dev-") and code not in self.codes:
            self.codes[code] = "o-" + code[4:].split(".", 1)[0]
        if code not in self.codes:
            return self._err(40029)
        self._used_codes.add(code)
        openid = self.codes.pop(code)
        data = {"openid": openid, "session_key": base64.b64encode(secrets.token_bytes(16)).decode()}
        if openid in self.unionids:
            data["unionid"] = self.unionids[openid]
        return data

    def _phone_number(self, body: dict[str, Any]) -> dict[str, Any]:
        code = str(body.get("code", ""))
        if self.dev_codes and code.startswith("phone-") and code[6:].isdigit() and code not in self._used_codes:
            self.phone_codes.setdefault(code, code[6:])
        phone = self.phone_codes.pop(code, None)  # single-use
        self._used_codes.add(code)
        if phone is None:
            return self._err(40029)
        country, pure = phone[1:].split(" ", 1) if phone.startswith("+") else ("86", phone)
        info = {"phoneNumber": phone, "purePhoneNumber": pure, "countryCode": country,
                "watermark": {"timestamp": int(time.time()), "appid": self.appid}}
        return {"errcode": 0, "errmsg": "ok", "phone_info": info}

    def _subscribe_send(self, body: dict[str, Any]) -> dict[str, Any]:
        if not body.get("touser"):
            return self._err(40003)
        if not body.get("template_id"):
            return self._err(40037)
        if body.get("miniprogram_state", "formal") not in ("developer", "trial", "formal"):
            return self._err(47001)
        data = body.get("data")
        if not isinstance(data, dict):
            return self._err(47001)
        for key, item in data.items():
            value = item.get("value") if isinstance(item, dict) else None
            limit = FIELD_LIMITS.get(key.rstrip("0123456789"))
            if not isinstance(value, str) or (limit is not None and len(value) > limit):
                return self._err(47003, f"argument invalid! data.{key}.value invalid")
        self.sent_messages.append(body)
        return {"errcode": 0, "errmsg": "ok"}

    def _sec_check_refusal(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """The error the v2 security checks give for a bad version, openid or scene, if any."""
        if body.get("version") != 2:
            return self._err(47001, "fake supports version 2 only")
        if not body.get("openid"):
            return self._err(40003)
        if body.get("scene") not in (1, 2, 3, 4):
            return self._err(40129)
        return None

    def _msg_sec_check(self, body: dict[str, Any]) -> dict[str, Any]:
        refusal = self._sec_check_refusal(body)
        if refusal is not None:
            return refusal
        content = body.get("content") or ""
        if not content or len(content) > 2500:
            return self._err(44002 if not content else 47001)
        text = content + (body.get("title") or "")
        suggest, label, detail = "pass", 100, []
        for keyword, verdict in self.sec_check_verdicts.items():
            if keyword not in text:
                continue
            hit, hit_label = verdict if isinstance(verdict, tuple) else (verdict, 21000)
            detail.append({"strategy": "keyword", "errcode": 0, "suggest": hit, "label": hit_label,
                           "keyword": keyword, "level": 90})
            if suggest == "pass" or (hit == "risky" and suggest == "review"):
                suggest, label = hit, hit_label
        return {"errcode": 0, "errmsg": "ok", "trace_id": secrets.token_hex(12),
                "result": {"suggest": suggest, "label": label}, "detail": detail}

    def _media_check_async(self, body: dict[str, Any]) -> dict[str, Any]:
        refusal = self._sec_check_refusal(body)
        if refusal is not None:
            return refusal
        if body.get("media_type") not in (1, 2) or not str(body.get("media_url", "")).startswith("https://"):
            return self._err(47001)
        trace_id = secrets.token_hex(12)
        self.media_checks.append({**body, "trace_id": trace_id})
        return {"errcode": 0, "errmsg": "ok", "trace_id": trace_id}

    def media_check_event(self, trace_id: str, suggest: str, label: int = 100) -> dict[str, Any]:
        """The `wxa_media_check` event WeChat would push (plaintext JSON) with this verdict."""
        return {"ToUserName": "gh_fake", "FromUserName": "o-wechat-system", "CreateTime": int(time.time()),
                "MsgType": "event", "Event": "wxa_media_check", "appid": self.appid, "trace_id": trace_id,
                "version": 2, "result": {"suggest": suggest, "label": label},
                "detail": [{"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label,
                            "prob": 90}]}

    def _wxacode(self, body: dict[str, Any]) -> dict[str, Any] | Response:
        scene, page = str(body.get("scene", "")), str(body.get("page", ""))
        if not SCENE_RE.fullmatch(scene):
            return self._err(40169)
        if body.get("env_version", "release") not in ("release", "trial", "develop"):
            return self._err(47001)
        if page.startswith("/") or (body.get("check_path", True) and self.published_pages is not None
                                    and page not in self.published_pages):
            return self._err(41030)
        return Response(_png({"scene": scene, "page": page}), content_type="image/png")


class _QuietHandler(WSGIRequestHandler):
    """Request handler that does not print an access-log line per request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class FakeWeChatServer:
    """Serves a FakeWeChat on 127.0.0.1 (a free port by default) in a background thread."""

    def __init__(self, fake: FakeWeChat | None = None, host: str = "127.0.0.1", port: int = 0,
                 quiet: bool = True) -> None:
        self.fake = fake or FakeWeChat()
        self._host, self._port, self._quiet = host, port, quiet
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL to pass as WeChatClient(base_url=...)."""
        assert self._server is not None, "server not started"
        return f"http://{self._host}:{self._server.server_port}"

    def start(self) -> FakeWeChatServer:
        """Bind and start serving."""
        handler = _QuietHandler if self._quiet else None
        self._server = make_server(self._host, self._port, self.fake, threaded=True, request_handler=handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-wechat", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._server.server_close()
            self._thread = None

    def __enter__(self) -> FakeWeChatServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    """Serve the fake until Ctrl-C, seeded with a few codes for manual testing."""
    parser = argparse.ArgumentParser(description="Local fake of the WeChat server APIs")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9999)
    parser.add_argument("--appid", default="wx_fake_appid")
    parser.add_argument("--secret", default="fake_app_secret")
    args = parser.parse_args(argv)
    fake = FakeWeChat(args.appid, args.secret, dev_codes=True)
    server = FakeWeChatServer(fake, args.host, args.port, quiet=False).start()
    print(f"fake WeChat on {server.url} (appid={args.appid}, secret={args.secret}); "
          "login codes 'dev-<name>[.<nonce>]' -> openid 'o-<name>', phone codes 'phone-<digits>'", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
