"""Sealed ballots (封存的选票): a ballot's choices are stored encrypted from casting until the close.

Why. A voter's `Voter` row and their `Ballot` row are written in one transaction, so while voting
is open PostgreSQL's `xmin` (and the heap order, `ctid`) pair them for anyone who can read the
database. Sealed, the paired ballot says nothing: the database holds AES-256-GCM ciphertext under a
key that is never stored in it. The close opens every ballot, counts, and rewrites them in plain
form in random-key order (see `backend.deliberations.ballots`), which also unpairs the rows.

The key. Per topic: HKDF-SHA256 of the app-side secret `BALLOT_SEAL_KEY` (when unset, of
`SECRET_KEY`), with the topic id in the HKDF info. A stored value is "v1:" + base64url(nonce ‖
ciphertext ‖ tag) with a fresh random 96-bit nonce, so two identical choices are stored differently;
the associated data names the topic and the receipt hash, so a sealed value moved to another ballot
or topic does not open.

What it protects: the choices against anyone with database access alone (a DBA, a replica, a stolen
backup, an injected query), during voting and after; and an altered or forged ballot is refused
instead of counted. What it does not: someone holding both the database (or a copy taken during
voting) and the app's secret can open the ballots and pair them by `xmin` until the close. Hence the
secret must not change while a vote is open (its ballots would no longer open, and the close refuses
until the old value is back), and rotating it between votes retires what old backups could reveal.
"""
from __future__ import annotations

import base64
import secrets
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from backend.core.errors import ServiceUnavailable

SEALED_PREFIX = "v1:"
NONCE_BYTES = 12  # 96 bits, random per ballot
KEY_SALT = b"linli-ballot-seal:v1"


class SealBroken(ServiceUnavailable):
    """A sealed ballot did not open: altered, moved from another ballot or topic, or the key changed."""

    reason = "ballot_seal_broken"
    message = "有选票未能通过完整性校验，计票已暂停，请联系社区工作人员"


def seal(topic_id: int, receipt_digest: str, choices: str) -> str:
    """The choices as stored while voting is open."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = _cipher(topic_id).encrypt(nonce, choices.encode(), _associated_data(topic_id, receipt_digest))
    return SEALED_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def unseal(topic_id: int, receipt_digest: str, stored: str) -> str:
    """The choices a sealed value holds; SealBroken for anything this app did not seal for this ballot."""
    if not stored.startswith(SEALED_PREFIX):
        raise SealBroken()
    try:
        raw = base64.urlsafe_b64decode(stored[len(SEALED_PREFIX):].encode("ascii"))
        plain = _cipher(topic_id).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:],
                                          _associated_data(topic_id, receipt_digest))
        return plain.decode("ascii")
    except (ValueError, InvalidTag):  # not base64, too short, not ours, or not ASCII
        raise SealBroken() from None


def _associated_data(topic_id: int, receipt_digest: str) -> bytes:
    return f"linli-ballot:v1|{topic_id}|{receipt_digest}".encode()


def _cipher(topic_id: int) -> AESGCM:
    config = current_app.config
    return _topic_cipher(config.get("BALLOT_SEAL_KEY") or config["SECRET_KEY"], topic_id)


@lru_cache(maxsize=256)
def _topic_cipher(secret: str, topic_id: int) -> AESGCM:
    """The topic's AES-256-GCM key, derived from the app's secret (cached: every ballot needs it)."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=KEY_SALT, info=f"topic:{topic_id}".encode())
    return AESGCM(key.derive(secret.encode()))
