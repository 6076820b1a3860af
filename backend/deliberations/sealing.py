"""Sealed ballots (封存的选票): while voting is open a ballot stores nothing that outlives the close.

Why. A voter's `Voter` row and their `Ballot` row are written in one transaction, so while voting
is open PostgreSQL's `xmin` (and the heap order, `ctid`) pair them for anyone who can read the
database or a copy of it. Whatever the paired ballot row holds is therefore tied to a name. So it
holds only values that the close replaces and that are never published:
- `receipt_hash` holds the receipt index, HMAC-SHA256(topic key, receipt digest), not the digest
  (SHA-256 of the receipt) that `GET /topics/{id}/ballots` publishes after the close;
- `choices` holds AES-256-GCM ciphertext of the receipt digest and the choices;
- `key` is a random number that the close replaces with a fresh one.
The close opens every ballot and rewrites it with the real digest, the plain choices and a new key
(see `backend.deliberations.ballots`), which also unpairs the rows. A copy taken during voting and
everything published after the close then share no value but the choices themselves.

The keys. Per topic, both from HKDF-SHA256 of the app-side secret `BALLOT_SEAL_KEY` (when unset, of
`SECRET_KEY`) with the topic id in the HKDF info: one for AES-256-GCM, one for the receipt index. A
stored value is "v1:" + base64url(nonce ‖ ciphertext ‖ tag) with a fresh random 96-bit nonce, so two
identical votes are stored differently; the associated data names the topic and the stored receipt
index, so a sealed value moved to another ballot or topic does not open.

What it protects: who chose what, against anyone with database access alone (a DBA, a replica, a
stolen backup or a copy taken during voting, an injected query), during voting and after, even
when they also read the published ballot list; and an altered or forged ballot is refused instead
of counted. What it does not: someone holding both the database (or a copy taken during voting)
and the app's secret can open the ballots and pair them by `xmin`. Hence the secret must not change
while a vote is open (its ballots would no longer open, and the close refuses until the old value is
back), and rotating it between votes retires what old copies could reveal.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
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
DIGEST_BYTES = 32  # the receipt digest travels sealed as raw SHA-256 bytes, ahead of the choices
KEY_SALT = b"linli-ballot-seal:v1"


class SealBroken(ServiceUnavailable):
    """A sealed ballot did not open: altered, moved from another ballot or topic, or the key changed."""

    reason = "ballot_seal_broken"
    message = "有选票未能通过完整性校验，计票已暂停，请联系社区工作人员"


def receipt_index(topic_id: int, receipt_digest: str) -> str:
    """What a ballot stores as `receipt_hash` while voting is open: HMAC-SHA256 of the digest, hex."""
    return _index(_topic_keys(_secret(), topic_id)[1], bytes.fromhex(receipt_digest))


def seal(topic_id: int, receipt_digest: str, choices: str) -> tuple[str, str]:
    """What a new ballot stores while voting is open: (its receipt index, the receipt digest and
    choices sealed and bound to the topic and that index)."""
    cipher, index_key = _topic_keys(_secret(), topic_id)
    digest = bytes.fromhex(receipt_digest)
    index = _index(index_key, digest)
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = cipher.encrypt(nonce, digest + choices.encode("ascii"), _associated_data(topic_id, index))
    return index, SEALED_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def unseal(topic_id: int, index: str, stored: str) -> tuple[str, str]:
    """(receipt digest, choices) of a sealed ballot; SealBroken for anything this app did not seal for it."""
    if not stored.startswith(SEALED_PREFIX):
        raise SealBroken()
    cipher, _ = _topic_keys(_secret(), topic_id)
    try:
        raw = base64.urlsafe_b64decode(stored[len(SEALED_PREFIX):].encode("ascii"))
        plain = cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _associated_data(topic_id, index))
        digest, choices = plain[:DIGEST_BYTES].hex(), plain[DIGEST_BYTES:].decode("ascii")
    except (ValueError, InvalidTag):  # not base64, too short, not ours, or not ASCII
        raise SealBroken() from None
    if len(plain) <= DIGEST_BYTES or not hmac.compare_digest(receipt_index(topic_id, digest), index):
        raise SealBroken()
    return digest, choices


def _index(key: bytes, digest: bytes) -> str:
    return hmac.digest(key, digest, hashlib.sha256).hex()


def _associated_data(topic_id: int, index: str) -> bytes:
    return f"linli-ballot:v1|{topic_id}|{index}".encode()


def _secret() -> str:
    config = current_app.config
    return config.get("BALLOT_SEAL_KEY") or config["SECRET_KEY"]


@lru_cache(maxsize=256)
def _topic_keys(secret: str, topic_id: int) -> tuple[AESGCM, bytes]:
    """The topic's AES-256-GCM cipher and receipt-index key, derived from the app's secret (cached:
    every ballot needs them)."""
    key = HKDF(algorithm=hashes.SHA256(), length=64, salt=KEY_SALT, info=f"topic:{topic_id}".encode())
    derived = key.derive(secret.encode())
    return AESGCM(derived[:32]), derived[32:]
