"""Access tokens: compact JWTs (RFC 7519) signed with HMAC-SHA256 (`HS256`) under `SECRET_KEY`.

Every authenticated request checks one, so the check is written here in a few strict lines instead
of calling PyJWT's general decoder. PyJWT 2.15 spends most of its time on work that does not apply
to a token this app signed with a shared secret: a per-character scan of every segment, and an
attempt to load the secret as a DER public key on every call (about 35 µs alone, about 100 µs
inside a request, against about 10 µs alone here). PyJWT still signs the tokens (`issue`), and the tests
check that the two agree.

The check is the usual one, in the order that never parses what is not authenticated:
1. three base64url segments (no padding, nothing outside the alphabet);
2. the signature equals HMAC-SHA256(secret, header "." payload), compared in constant time;
3. the header is a JSON object naming `HS256` and no critical extensions (`none` and every other
   algorithm are refused, whatever the signature);
4. the payload is a JSON object whose `exp` is a number in the future (and `nbf`, if present, in
   the past).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import re
import time

import jwt

ALGORITHM = "HS256"
_SEGMENT = re.compile(rb"[A-Za-z0-9_-]+")


class InvalidToken(Exception):
    """Not a token this app signed, or altered since."""


class ExpiredToken(InvalidToken):
    """A genuine token whose `exp` has passed."""


def issue(claims: dict, secret: str) -> str:
    """Sign `claims` (datetimes allowed for `exp`, `iat`, `nbf`) as an HS256 JWT."""
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify(token: str, secret: str, now: float | None = None) -> dict:
    """The claims of a genuine, unexpired HS256 token signed with `secret`; else InvalidToken/ExpiredToken."""
    try:
        raw = token.encode("ascii")
    except UnicodeEncodeError:
        raise InvalidToken() from None
    segments = raw.split(b".")
    if len(segments) != 3 or not all(_SEGMENT.fullmatch(s) for s in segments):
        raise InvalidToken()
    header, payload, signature = segments
    expected = hmac.digest(secret.encode(), header + b"." + payload, hashlib.sha256)
    if not hmac.compare_digest(_decode(signature), expected):
        raise InvalidToken()
    head = _json_object(header)
    if head.get("alg") != ALGORITHM or "crit" in head:
        raise InvalidToken()
    claims = _json_object(payload)
    now = time.time() if now is None else now
    expires, not_before = claims.get("exp"), claims.get("nbf", 0)
    if not _is_number(expires) or not _is_number(not_before) or not_before > now:
        raise InvalidToken()
    if expires <= now:
        raise ExpiredToken()
    return claims


def _decode(segment: bytes) -> bytes:
    try:
        return base64.urlsafe_b64decode(segment + b"=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise InvalidToken() from None


def _json_object(segment: bytes) -> dict:
    try:
        value = json.loads(_decode(segment))
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or absurdly nested
        raise InvalidToken() from None
    if not isinstance(value, dict):
        raise InvalidToken()
    return value


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
