"""Secret ballots: opening and closing on time, casting with a receipt, the tally and the hash chain.

Secrecy at the storage level. `voters` (who voted) and `ballots` (what was voted) share no column
but the topic: a ballot has a random 63-bit key, its choices, its receipt hash and, after the close,
its link in the hash chain; no user, no household, no timestamp. The receipt itself is random, shown
once to the voter and never stored, logged or kept in an idempotency record (the ballot route is
deliberately not `@idempotent`: the stored response would pair the user with the receipt).

Sealed while voting. A voter's row and their ballot are written in one transaction, so until the
close PostgreSQL's `xmin` pairs them, in the database and in any copy of it taken meanwhile. So
nothing the ballot row stores then survives the close or is ever published (see `sealing`): its
`receipt_hash` holds a keyed receipt index, HMAC(per-topic key, receipt digest), and its `choices`
hold the receipt digest and the choices sealed with AES-256-GCM; both per-topic keys derive from the
app's `BALLOT_SEAL_KEY` (or `SECRET_KEY` when that is unset). Ballots are opened only in memory: for
live counts (when the topic shows them), for a receipt check, and by the close, which opens every
ballot and rewrites it with the real receipt digest, the plain choices and a fresh random key, then
chains and counts them. A copy of `voters` and `ballots` taken during voting, joined on `xmin` and
then matched against the published list, finds no key, receipt hash or sealed value in it; only the
choices are the same. A ballot that does not open is never dropped or counted: the close refuses,
changes nothing and logs the topic id, for an operator to look into. This keeps votes secret from
database access alone, during voting and after; it does not from someone who holds both the
database (or a copy taken during voting) and the app's secret. The secret must not change while a
vote is open: the close would refuse until the old value is back.

The hash chain. Chaining each ballot to the previous one as it is cast would need one lock per
topic (every voter waiting in line) and the chain order would be the order of casting, which,
lined up with the order of `voters`, names the voter. So the chain is built once, at the close,
over the opened ballots sorted by the fresh random keys the close gives them:
link₀ = SHA-256("linli-ballots:v1:<topic id>"), linkᵢ = SHA-256(linkᵢ₋₁ "|" receipt hash "|" choices),
over the real receipt hashes (SHA-256 of the receipts) and the plain choices. The result publishes
the last link and the count, and `GET /topics/{id}/ballots` publishes the list in chain order, so
anyone can recompute the chain and every voter can find their receipt's hash in it; changing, adding
or dropping a ballot after the close changes the final hash. Before the close, each voter can check
their own ballot with their receipt.

Time. Voting opens and closes through scheduled jobs, and every read and write checks the clock
too: a ballot after `closes_at` is refused even if the close job has not run. Casting and closing
take the same per-topic lock (shared for ballots, exclusive for the close; on SQLite the single
writer lock), so no ballot commits after the tally has read the table.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import secrets
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from backend.core.db import utcnow
from backend.core.errors import Conflict, DomainError, Forbidden, InvalidTransition, NotFound, Unprocessable
from backend.core.jobs import enqueue
from backend.core.policies import Actor, Home
from backend.deliberations import notices, sealing
from backend.deliberations.eligibility import in_scope, roll_size
from backend.deliberations.models import Ballot, Poll, Topic, Voter
from backend.deliberations.service import get_topic, response_due, set_ballot, transition
from backend.extensions import db
from backend.grids.service import local_tz

RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O, U
RECEIPT_GROUPS, RECEIPT_GROUP = 5, 5  # 25 characters, 125 random bits, shown as XXXXX-XXXXX-…
RECEIPT_RE = re.compile(f"[{RECEIPT_ALPHABET}]{{{RECEIPT_GROUPS * RECEIPT_GROUP}}}")
_RECEIPT_SLIPS = str.maketrans("OIL", "011")  # letters read for digits
LOCK_NAMESPACE = 0x766F7465  # "vote": PostgreSQL advisory locks (namespace, topic id)
MAX_VOTING_WINDOW = timedelta(days=90)  # the shortest is the setting DELIBERATION_MIN_VOTING_WINDOW

log = logging.getLogger(__name__)


# --- receipts and the chain ---------------------------------------------------------------------

def new_receipt() -> tuple[str, str]:
    """A random receipt, grouped for reading aloud and copying, and its digest (`receipt_hash`)."""
    # 32 symbols: the low five bits of a random byte pick one uniformly (256 is a multiple of 32).
    raw = "".join([RECEIPT_ALPHABET[b & 31] for b in secrets.token_bytes(RECEIPT_GROUPS * RECEIPT_GROUP)])
    return "-".join(raw[i:i + RECEIPT_GROUP] for i in range(0, len(raw), RECEIPT_GROUP)), _digest(raw)


def receipt_hash(receipt: str) -> str | None:
    """SHA-256 of a receipt as typed (case, dashes, spaces and O/I/L slips forgiven); None if malformed."""
    normalized = re.sub(r"[\s-]", "", receipt.upper()).translate(_RECEIPT_SLIPS)
    if not RECEIPT_RE.fullmatch(normalized):
        return None
    return _digest(normalized)


def _digest(normalized: str) -> str:
    return hashlib.sha256(f"linli-receipt:{normalized}".encode()).hexdigest()


def chain_start(topic_id: int) -> str:
    return hashlib.sha256(f"linli-ballots:v1:{topic_id}".encode()).hexdigest()


def chain_link(previous: str, receipt_digest: str, choices: str) -> str:
    return hashlib.sha256(f"{previous}|{receipt_digest}|{choices}".encode()).hexdigest()


def option_ids_of(choices: str) -> list[int]:
    return [int(part) for part in choices.split(",")]


def choices_as_cast(topic_id: int, stored_hash: str, stored: str, tallied: bool) -> str:
    """A ballot's plain choices: stored sealed until the tally (opened here, in memory), plain after it."""
    return stored if tallied else sealing.unseal(topic_id, stored_hash, stored)[1]


# --- opening ------------------------------------------------------------------------------------

def open_voting(topic_id: int, actor: Actor, closes_at: datetime, opens_at: datetime | None = None,
                ballot: dict | None = None, now: datetime | None = None) -> Topic:
    """Fix the ballot (options, times, eligibility, quorum, pass rule) and open it now or at `opens_at`."""
    from backend.deliberations.jobs import close_voting_when_due, open_voting_when_due

    now = now or utcnow()
    topic = get_topic(topic_id)
    if topic.phase != "discussion" or (topic.poll is not None and topic.poll.fixed_at is not None):
        raise InvalidTransition()
    if topic.poll is None and not ballot:
        raise Unprocessable("请先设置投票的类型和选项", reason="ballot_missing")
    opens_at = max(opens_at or now, now)
    min_window = timedelta(seconds=current_app.config["DELIBERATION_MIN_VOTING_WINDOW"])
    if not min_window <= closes_at - opens_at <= MAX_VOTING_WINDOW:
        raise _window_refused(min_window)
    if ballot:
        set_ballot(topic, ballot)
    db.session.flush()
    fixed = db.session.execute(
        sa.update(Poll).where(Poll.topic_id == topic.id, Poll.fixed_at.is_(None))
        .values(fixed_at=now, opens_at=opens_at, closes_at=closes_at)).rowcount
    if fixed != 1:  # another committee member opened it a moment ago
        db.session.rollback()
        raise InvalidTransition()
    db.session.refresh(topic.poll)
    if opens_at <= now:
        open_if_due(topic, now)
    else:
        enqueue(open_voting_when_due, topic.id, delay=opens_at - now)
    enqueue(close_voting_when_due, topic.id, delay=closes_at - now)
    db.session.commit()
    return topic


def _window_refused(min_window: timedelta) -> Unprocessable:
    """422 for a voting window shorter than the setting or longer than 90 days, naming both limits."""
    seconds = int(min_window.total_seconds())
    shortest = f"{seconds} 秒" if seconds % 60 else f"{seconds // 60} 分钟"  # under a minute, or not whole minutes
    return Unprocessable(f"投票时长应不少于 {shortest}、不超过 {MAX_VOTING_WINDOW.days} 天，且截止时间晚于开始时间",
                         reason="invalid_voting_window")


def open_if_due(topic: Topic, now: datetime | None = None) -> bool:
    """discussion → voting once the fixed opening time has come; the roll is counted then, and the
    voters are told by a job, chunk by chunk. No commit."""
    from backend.deliberations.jobs import announce_voting

    now = now or utcnow()
    poll = topic.poll
    if topic.phase != "discussion" or poll is None or poll.fixed_at is None or poll.opens_at > now:
        return False
    moved = db.session.execute(sa.update(Topic).where(Topic.id == topic.id, Topic.phase == "discussion")
                               .values(phase="voting")).rowcount
    if not moved:
        return False
    db.session.refresh(topic)
    poll.opened_at, poll.eligible_count = now, roll_size(topic, poll, poll.opens_at)
    enqueue(announce_voting, topic.id, 0)
    return True


# --- casting ------------------------------------------------------------------------------------

def window_refusal(topic: Topic, poll: Poll | None, now: datetime) -> DomainError | None:
    """Why no ballot can be cast right now (not open yet, or closed), or None while voting is open."""
    if topic.phase == "closed" or (poll is not None and poll.closes_at is not None and now >= poll.closes_at):
        return Conflict("投票已经结束", reason="voting_closed")
    if topic.phase not in ("discussion", "voting") or poll is None or poll.fixed_at is None:
        return Conflict("该议题尚未开始投票", reason="voting_not_open")
    if now < poll.opens_at:
        opens = poll.opens_at.astimezone(local_tz()).strftime("%m月%d日 %H:%M")
        return Conflict(f"投票将于 {opens} 开始", reason="voting_not_open")
    return None


def voter_refusal(topic: Topic, poll: Poll, member: Home | None) -> DomainError | None:
    """Why this resident is not on the roll, or None: verified, in scope, and verified before voting opened."""
    if member is None or member.verified_at is None:
        return Forbidden("只有已认证的居民才能投票，请先通过社区邀请码加入住户", reason="not_verified")
    if not in_scope(topic, member):
        return Forbidden("您的住址不在本次投票的范围内", reason="not_eligible")
    if member.verified_at > poll.opens_at:
        return Forbidden("投票名单在投票开始时确定，之后认证的居民不能参加本次投票", reason="not_eligible")
    return None


def choices_of(poll: Poll, option_ids: list[int]) -> str:
    """The canonical choices string, or 422 `invalid_choice`."""
    chosen = sorted(set(option_ids))
    valid = {option.id for option in poll.options}
    limit = poll.max_choices if poll.ballot_type == "multiple" else 1
    if not chosen or len(chosen) != len(option_ids) or not set(chosen) <= valid or len(chosen) > limit:
        message = f"请选择 1 至 {limit} 个有效选项" if limit > 1 else "请选择一个有效选项"
        raise Unprocessable(message, reason="invalid_choice")
    return ",".join(map(str, chosen))


# Casting is in `backend.deliberations.casting`: one statement on the hot path.

_SQLITE_BALLOTS = threading.Lock()


def one_sqlite_writer():
    """SQLite (the embedded, one-process mode): ballots queue on a lock in the process, in order,
    instead of in SQLite's busy wait, which is unfair and can time out under a burst."""
    return _SQLITE_BALLOTS if db.engine.dialect.name == "sqlite" else contextlib.nullcontext()


def lock_topic_votes(topic_id: int) -> None:
    """The close's per-topic lock, exclusive, held to the end of the transaction: it waits for the
    ballots in flight and holds new ones off.

    PostgreSQL: an advisory lock, which each ballot takes shared inside `linli_cast_ballot` (see
    `casting`), so ballots do not queue behind each other. SQLite needs none: a write transaction
    holds the database's single writer lock from its first write, and both the ballot's first write
    and the close's first write read the topic's state under it.
    """
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(LOCK_NAMESPACE, topic_id)))


def voting_status(topic_id: int, user_id: int, household_id: int | None) -> tuple[bool, bool]:
    """(the user voted, the user's household voted) — from `voters` only."""
    rows = db.session.execute(sa.select(Voter.user_id, Voter.household_id).where(
        Voter.topic_id == topic_id,
        sa.or_(Voter.user_id == user_id, sa.and_(Voter.household_id.is_not(None), Voter.household_id == household_id)))
    ).all()
    return any(u == user_id for u, _ in rows), any(h is not None and h == household_id for _, h in rows)


# --- closing ------------------------------------------------------------------------------------

def close_voting(topic_id: int, now: datetime | None = None) -> bool:
    """voting → closed once `closes_at` has passed: count, chain and decide. No commit.

    Returns False (changing nothing) when the topic is not voting or its time has not come.
    """
    now = now or utcnow()
    lock_topic_votes(topic_id)
    row = db.session.execute(sa.select(Topic.phase, Topic.community_id, Poll.closes_at)
                             .join(Poll, Poll.topic_id == Topic.id).where(Topic.id == topic_id)).first()
    if row is None or row.phase != "voting" or row.closes_at > now:
        return False
    moved = db.session.execute(sa.update(Topic).where(Topic.id == topic_id, Topic.phase == "voting").values(
        phase="closed", closed_at=now, response_due_at=response_due(row.community_id, now))).rowcount
    if not moved:
        return False
    topic = get_topic(topic_id)
    db.session.refresh(topic)
    try:
        _tally(topic, topic.poll, now)
    except sealing.SealBroken:
        db.session.rollback()  # not even the phase moves; the next attempt finds the topic still voting
        log.error("topic %s: a sealed ballot did not open (altered, or BALLOT_SEAL_KEY / SECRET_KEY changed while "
                  "voting was open); the close is refused and nothing was changed", topic_id)
        raise
    notices.topic_closed(topic)
    return True


def _tally(topic: Topic, poll: Poll, now: datetime) -> None:
    """Open every sealed ballot, rewrite each with its real receipt digest, its plain choices and a
    fresh random key, chain them in the new key order, count them and decide the outcome.
    SealBroken, before anything is written, if one does not open.

    The rewrite (delete, then insert in key order) leaves no trace of the casting transactions in
    PostgreSQL's `xmin`/`ctid`, and no stored value of the ballots as cast (key, receipt index,
    sealed choices) in what is stored and published from now on.
    """
    stored = db.session.execute(sa.select(Ballot.key, Ballot.receipt_hash, Ballot.choices)
                                .where(Ballot.topic_id == topic.id)).all()
    opened = [sealing.unseal(topic.id, index, sealed) for _, index, sealed in stored]
    counts = Counter(i for _, choices in opened for i in option_ids_of(choices))
    db.session.execute(sa.delete(Ballot).where(Ballot.topic_id == topic.id),
                       execution_options={"synchronize_session": False})
    cast_keys = {key for key, _, _ in stored}
    for attempt in range(3):  # again only if a fresh key is already some other topic's ballot's
        link, rewritten = _chained(topic.id, opened, avoid=cast_keys)
        try:
            with db.session.begin_nested():
                if rewritten:
                    db.session.execute(sa.insert(Ballot), rewritten)
            break
        except IntegrityError:
            if attempt == 2:
                raise
    for option in poll.options:
        option.votes = counts.get(option.id, 0)
    decision = decide(poll, counts, len(opened), poll.eligible_count or 0)
    poll.cast_count, poll.quorum_met, poll.outcome = len(opened), decision.quorum_met, decision.outcome
    poll.winner_ids, poll.chain_hash, poll.tallied_at = decision.winner_ids, link, now


def _chained(topic_id: int, opened: list[tuple[str, str]], avoid: set[int]) -> tuple[str, list[dict]]:
    """(last link, ballot rows in chain order) for opened (digest, choices) pairs, each under a fresh
    random key, none equal to another or to one in `avoid` (the keys they had while voting)."""
    keys: dict[int, None] = {}  # in the order drawn, so which ballot gets which key is random too
    while len(keys) < len(opened):
        key = secrets.randbits(63)
        if key not in avoid:
            keys[key] = None
    link, rows = chain_start(topic_id), []
    for key, (digest, choices) in sorted(zip(keys, opened)):
        link = chain_link(link, digest, choices)
        rows.append({"key": key, "topic_id": topic_id, "receipt_hash": digest, "choices": choices,
                     "chain_hash": link})
    return link, rows


@dataclass(frozen=True)
class Decision:
    quorum_met: bool
    outcome: str
    winner_ids: list[int]


def meets(count: int, cast: int, eligible: int, rule: str) -> bool:
    """Whether `count` votes satisfy the pass rule. Abstentions are cast ballots: they count toward
    the quorum and the "of cast" denominators, never for the motion."""
    if rule == "majority_cast":
        return count * 2 > cast
    if rule == "two_thirds_cast":
        return cast > 0 and count * 3 >= cast * 2
    return count * 2 > eligible  # majority_eligible


def decide(poll: Poll, counts: Counter, cast: int, eligible: int) -> Decision:
    """Quorum first (cast ≥ quorum % of the roll), then the pass rule: for yes/no/abstain on the
    "yes" option; for choice ballots every option meeting the rule wins (most votes first)."""
    quorum_met = cast * 100 >= poll.quorum_percent * eligible
    if not quorum_met:
        return Decision(False, "no_quorum", [])
    options = poll.options[:1] if poll.ballot_type == "yes_no_abstain" else poll.options
    winners = sorted((o for o in options if meets(counts.get(o.id, 0), cast, eligible, poll.pass_rule)),
                     key=lambda o: (-counts.get(o.id, 0), o.position))
    return Decision(True, "passed" if winners else "rejected", [o.id for o in winners])


def close_by_committee(topic_id: int, actor: Actor, now: datetime | None = None) -> Topic:
    """The committee closes a topic: a discussion without a vote at once; a vote only after its closing time."""
    now = now or utcnow()
    topic = get_topic(topic_id)
    poll = topic.poll
    if topic.phase == "discussion" and (poll is None or poll.fixed_at is None):
        transition(topic, ("discussion",), "closed", closed_at=now,
                   response_due_at=response_due(topic.community_id, now))
        notices.topic_closed(topic)
        db.session.commit()
        return topic
    if topic.phase not in ("discussion", "voting") or poll is None or poll.fixed_at is None:
        raise InvalidTransition()
    if now < poll.closes_at:
        closes = poll.closes_at.astimezone(local_tz()).strftime("%m月%d日 %H:%M")
        raise Conflict(f"投票截止时间（{closes}）开始时已确定，不能提前结束", reason="voting_still_open")
    catch_up(topic, now)
    return topic


def advance(topic_id: int, now: datetime | None = None) -> bool:
    """Open or close the topic if the clock says so; True if it moved. No commit."""
    now = now or utcnow()
    topic = db.session.get(Topic, topic_id)
    poll = topic.poll if topic is not None else None
    if poll is None or poll.fixed_at is None or topic.phase not in ("discussion", "voting"):
        return False
    opened = open_if_due(topic, now)
    closed = topic.phase == "voting" and poll.closes_at <= now and close_voting(topic_id, now)
    return opened or closed


def catch_up(topic: Topic, now: datetime | None = None) -> None:
    """Make the stored phase agree with the clock before showing or acting on a topic (commits if it moved)."""
    if advance(topic.id, now):
        db.session.commit()
        db.session.refresh(topic)


def due_topic_ids(now: datetime | None = None, limit: int = 100) -> list[int]:
    """Topics whose opening or closing time has come but whose phase has not moved (late or lost jobs)."""
    now = now or utcnow()
    return list(db.session.scalars(sa.select(Topic.id).join(Poll, Poll.topic_id == Topic.id).where(
        Poll.fixed_at.is_not(None), sa.or_(sa.and_(Topic.phase == "discussion", Poll.opens_at <= now),
                                           sa.and_(Topic.phase == "voting", Poll.closes_at <= now)))
        .order_by(Topic.id).limit(limit)))


def sweep_due(now: datetime | None = None, limit: int = 100) -> int:
    """Open and close every topic whose time has come, each in its own transaction (commits)."""
    moved = 0
    for topic_id in due_topic_ids(now, limit):
        try:
            moved += advance(topic_id, now)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("could not advance topic %s; the next sweep retries", topic_id)
    return moved


# --- reading results ----------------------------------------------------------------------------

def voted_topic(topic_id: int) -> Topic:
    """A topic with a vote, its phase caught up with the clock (409 `no_vote` when it has none)."""
    topic = get_topic(topic_id)
    if topic.poll is None or topic.poll.fixed_at is None:
        raise Conflict("该议题还没有安排投票", reason="no_vote")
    catch_up(topic)
    return topic


def counts_visible(topic: Topic, poll: Poll | None) -> bool:
    """Option counts show after the tally, or live during voting unless the topic hides them."""
    if poll is None:
        return False
    return poll.tallied_at is not None or (topic.phase == "voting" and not poll.hide_counts)


# A topic's ballots with whether they are tallied yet, read in one statement: a close committing in
# between cannot hand back plain ballots to a reader that still takes them for sealed.
BALLOTS_WITH_STATE = (sa.select(Ballot.receipt_hash, Ballot.choices, Ballot.chain_hash, Poll.tallied_at)
                      .join(Poll, Poll.topic_id == Ballot.topic_id))


def live_counts(topic_id: int) -> tuple[Counter, int]:
    """(votes per option id, ballots cast) so far, every sealed ballot opened in memory only."""
    counts, cast = Counter(), 0
    rows = db.session.execute(BALLOTS_WITH_STATE.where(Ballot.topic_id == topic_id))
    for stored_hash, stored, _, tallied_at in rows:
        counts.update(option_ids_of(choices_as_cast(topic_id, stored_hash, stored, tallied_at is not None)))
        cast += 1
    return counts, cast


def cast_so_far(topic_id: int) -> int:
    """Ballots cast so far, without opening any (for a topic that hides its counts)."""
    return db.session.scalar(sa.select(sa.func.count(Ballot.key)).where(Ballot.topic_id == topic_id))


@dataclass(frozen=True)
class CheckedReceipt:
    """What a receipt's holder may see of their ballot."""
    receipt_hash: str  # the real digest, as published after the close, never the index stored while voting
    option_ids: list[int]
    chain_hash: str | None
    final: bool


def check_receipt(topic_id: int, receipt: str) -> tuple[CheckedReceipt, Topic]:
    """The ballot a receipt stands for, opened (404 `receipt_not_found` for anything else).

    Found by the receipt index while the ballot is sealed, by the digest once tallied; one statement
    reads both with the tally state, so a close committing meanwhile cannot mislead it.
    """
    topic = get_topic(topic_id)
    digest = receipt_hash(receipt)
    row = None
    if digest:
        tallied = Poll.tallied_at.is_not(None)
        row = db.session.execute(BALLOTS_WITH_STATE.where(Ballot.topic_id == topic_id, sa.or_(
            sa.and_(~tallied, Ballot.receipt_hash == sealing.receipt_index(topic_id, digest)),
            sa.and_(tallied, Ballot.receipt_hash == digest)))).first()
    if row is None:
        _check_seal_key(topic_id)
        raise NotFound("未找到与该回执对应的选票，请核对回执是否完整", reason="receipt_not_found")
    final = row.tallied_at is not None
    choices = choices_as_cast(topic_id, row.receipt_hash, row.choices, final)
    return CheckedReceipt(digest, option_ids_of(choices), row.chain_hash, final), topic


def _check_seal_key(topic_id: int) -> None:
    """SealBroken if the topic's sealed ballots do not open, e.g. because the seal key changed: then
    a receipt is not found because its index no longer matches, and the voter must not be told it
    was never counted."""
    some = db.session.execute(BALLOTS_WITH_STATE.where(Ballot.topic_id == topic_id, Poll.tallied_at.is_(None))
                              .limit(1)).first()
    if some is not None:
        sealing.unseal(topic_id, some.receipt_hash, some.choices)


def published_ballots(topic_id: int):
    """The query for the ballots in chain order, once the close has chained them (409 before)."""
    topic = get_topic(topic_id)
    if topic.poll is None or topic.poll.tallied_at is None:
        raise Conflict("投票结束并计票后才公布选票清单", reason="results_not_final")
    return sa.select(Ballot).where(Ballot.topic_id == topic_id).order_by(Ballot.key)


def verify_chain(topic_id: int) -> tuple[int, str, bool]:
    """Recompute the chain from the stored ballots: (count, final link, every stored link matches)."""
    link, count, intact = chain_start(topic_id), 0, True
    for digest, choices, stored in db.session.execute(
            sa.select(Ballot.receipt_hash, Ballot.choices, Ballot.chain_hash)
            .where(Ballot.topic_id == topic_id).order_by(Ballot.key)):
        link = chain_link(link, digest, choices)
        intact = intact and stored == link
        count += 1
    return count, link, intact
