"""The mini-program's message push (消息推送): checking that a request really comes from WeChat.

WeChat signs every push (and the console's URL check) with `signature` = sha1 of the sorted
`[token, timestamp, nonce]` joined, the token being the one typed into the console. Only plaintext
and compatible mode are supported: in safe mode the body is AES-encrypted, which this does not read.
"""
from __future__ import annotations

import hashlib
import hmac


def push_signature(token: str, timestamp: str, nonce: str) -> str:
    """The signature WeChat sends with a push for this timestamp and nonce."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


def is_signed_push(token: str, signature: str, timestamp: str, nonce: str) -> bool:
    """Whether the query string's signature matches; always False while no push token is configured."""
    # Compared as bytes: compare_digest refuses str with non-ASCII characters, which anyone can send.
    return bool(token) and hmac.compare_digest(push_signature(token, timestamp, nonce).encode(),
                                               (signature or "").encode())
