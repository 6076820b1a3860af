"""The access-token check (`backend.core.tokens`): what it accepts and everything it refuses.

PyJWT, an independent implementation, crafts the tokens: a token PyJWT signs with our secret must
pass, and every way of altering or forging one must fail.
"""
import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest

from backend.core import tokens

SECRET = "a-test-secret-long-enough-for-hs512-too-" + "0123456789" * 3


def claims(**extra):
    now = int(time.time())
    return {"sub": "42", "typ": "access", "fam": "f1", "iat": now, "exp": now + 600, "jti": "00ff"} | extra


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed_by_pyjwt(payload: dict, secret=SECRET, algorithm="HS256", headers=None) -> str:
    return jwt.encode(payload, secret, algorithm=algorithm, headers=headers)


def test_a_token_pyjwt_signed_with_our_secret_is_accepted_and_ours_decode_with_pyjwt():
    payload = claims()
    assert tokens.verify(signed_by_pyjwt(payload), SECRET) == payload
    ours = tokens.issue(payload, SECRET)
    assert jwt.decode(ours, SECRET, algorithms=["HS256"]) == payload


def test_expiry_and_not_before():
    now = time.time()
    with pytest.raises(tokens.ExpiredToken):
        tokens.verify(signed_by_pyjwt(claims(exp=int(now) - 1)), SECRET)
    with pytest.raises(tokens.ExpiredToken):
        tokens.verify(signed_by_pyjwt(claims(exp=1000)), SECRET, now=1000)  # exp is exclusive, as in PyJWT
    assert tokens.verify(signed_by_pyjwt(claims(exp=1001)), SECRET, now=1000)["exp"] == 1001
    with pytest.raises(tokens.InvalidToken) as refused:
        tokens.verify(signed_by_pyjwt(claims(nbf=int(now) + 60)), SECRET)
    assert type(refused.value) is tokens.InvalidToken


@pytest.mark.parametrize("payload", [
    {"sub": "42", "typ": "access"},  # no exp
    claims(exp="9999999999"),  # exp not a number
    claims(exp=True),
    claims(nbf="0"),
])
def test_a_genuine_signature_over_unusable_claims_is_refused(payload):
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(signed_by_pyjwt(payload), SECRET)


def test_non_finite_expiry_is_refused():
    header = b64(b'{"alg":"HS256","typ":"JWT"}')
    payload = b64(b'{"sub":"42","typ":"access","exp":NaN}')
    signature = b64(hmac.digest(SECRET.encode(), f"{header}.{payload}".encode(), hashlib.sha256))
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(f"{header}.{payload}.{signature}", SECRET)


def test_forgeries_are_refused():
    genuine = signed_by_pyjwt(claims())
    header, payload, signature = genuine.split(".")
    raised = claims(sub="1")  # a different user, same signature
    none_header = b64(b'{"alg":"none","typ":"JWT"}')
    forged = [
        signed_by_pyjwt(claims(), secret="another-secret-long-enough-for-hs512-too-" + "9876543210" * 3),
        f"{header}.{b64(json.dumps(raised).encode())}.{signature}",
        signed_by_pyjwt(claims(), secret=None, algorithm="none"),
        f"{none_header}.{payload}.",
        signed_by_pyjwt(claims(), algorithm="HS512"),  # right secret, other algorithm
        signed_by_pyjwt(claims(), headers={"crit": ["exp"]}),
        f"{header}.{payload}.{signature[:-2]}",  # truncated signature
        f"{header}.{payload}",
        f"{header}.{payload}.{signature}.{signature}",
        f"{header}.{payload}.{signature}=",  # padding is not base64url JWT
        f"{header}.{payload}.{signature[:-1]}+",
        f"{header} .{payload}.{signature}",
        genuine + "é",
        "",
        "...",
    ]
    for token in forged:
        with pytest.raises(tokens.InvalidToken):
            tokens.verify(token, SECRET)


def test_a_signed_header_or_payload_that_is_not_a_json_object_is_refused():
    def sign(header: bytes, payload: bytes) -> str:
        signing_input = f"{b64(header)}.{b64(payload)}"
        return f"{signing_input}.{b64(hmac.digest(SECRET.encode(), signing_input.encode(), hashlib.sha256))}"

    good_header = b'{"alg":"HS256"}'
    good_payload = json.dumps(claims()).encode()
    assert tokens.verify(sign(good_header, good_payload), SECRET)["sub"] == "42"
    for header, payload in [(b'["HS256"]', good_payload), (b"not json", good_payload), (b"\xff", good_payload),
                            (good_header, b"[1, 2]"), (good_header, b"{"), (good_header, b"[" * 100_000),
                            (b'{"alg":"HS256"}', b"42")]:
        with pytest.raises(tokens.InvalidToken):
            tokens.verify(sign(header, payload), SECRET)
