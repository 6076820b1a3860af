"""Casting a ballot (投票): the hot path of a vote, in one statement.

A burst of voters is the heaviest write Linli takes: when the notice that voting has opened goes
out, a community's residents vote within minutes. So a ballot does its work in the database and
loads nothing first:

- The route checks only the access token (policy `ballot.cast`, token-only): no authentication
  query, no topic loaded into the session.
- One `INSERT … SELECT` (`voter_rows`) writes the voter row only when everything that makes the
  vote valid holds, as read by that statement itself: the topic is voting and before its closing
  time; the user's account is active and a verified member of a household in the topic's scope,
  verified before voting opened; the chosen options belong to the ballot and are no more than it
  allows. The unique constraints of `voters` refuse a second vote of the person or, per household,
  of the household. Then the ballot row is written, in the same transaction.
- On PostgreSQL all of it is one call of the function `linli_cast_ballot` (the shared per-topic
  lock, the voter row, the ballot row), compiled from that same statement, prepared on a
  connection of the cast's own in autocommit (`backend.core.direct`): one round trip, no BEGIN or
  COMMIT of its own. Elsewhere (SQLite, the embedded mode) it is two statements in the session, one
  writer at a time.
- Ballots that threads of one process cast at the same moment (gunicorn's gthread workers, as in
  `docker/`) go together (`core.direct.CallGroup`): while one call is out, the ballots that arrive
  wait, then go as one call of `linli_cast_ballots`, which makes exactly the call above for each,
  in a block of its own (a second vote refuses only itself), with one commit for all. Each voter is
  answered after that commit, with their own outcome. Under a burst this halves PostgreSQL's work
  per ballot and the round trips; a ballot that arrives alone goes alone.
- The receipt, its keyed index and the sealed choices are computed before the statement; nothing of
  them is kept (see `backend.deliberations.sealing`).

When nothing is written, `explain_refusal` works out why with the service's own rules
(`window_refusal`, `voter_refusal`, `choices_of`) on the loaded actor and topic, in the order they
always had, and raises that reason. If voting should have opened by now and the opening job is
late, it opens voting and the ballot is tried once more. `tests/deliberations/test_casting.py`
checks that the statement and the rules agree for every kind of voter and choice.
"""
from __future__ import annotations

import functools
import logging
import secrets
import threading
import weakref
from datetime import datetime
from typing import Callable, NamedTuple

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError, OperationalError

from backend.accounts.models import Household, HouseholdMember, User
from backend.core.db import utcnow
from backend.core.errors import Conflict, DomainError, Forbidden, ServiceUnavailable
from backend.core.policies import Actor
from backend.deliberations import notices, sealing
from backend.deliberations.ballots import (LOCK_NAMESPACE, choices_of, new_receipt, one_sqlite_writer, open_if_due,
                                           voter_refusal, voting_status, window_refusal)
from backend.deliberations.models import Ballot, Poll, PollOption, Topic, TopicScope, Voter
from backend.deliberations.service import get_topic, may_view
from backend.extensions import db
from backend.grids.models import Grid

log = logging.getLogger(__name__)

_BUSY = "投票人数较多，请稍后重试"


def cast_ballot(topic_id: int, user_id: int, option_ids: list[int], load_actor: Callable[[], Actor],
                now: datetime | None = None) -> str:
    """Record that the user voted and, separately, their ballot; return the receipt (shown once).

    `load_actor` gives the authenticated actor; it is called only to explain a refusal.
    """
    for _ in range(2):  # a second time only after a late opening job was caught up
        chosen = sorted(option_ids)
        if option_ids and len(set(chosen)) == len(chosen):  # else the rules below say why
            receipt = _cast(topic_id, user_id, chosen, now)
            if receipt is not None:
                return receipt
        if not explain_refusal(topic_id, option_ids, load_actor(), now):
            break
    log.error("ballot for topic %s refused by the statement but by none of the rules", topic_id)
    raise ServiceUnavailable(_BUSY, reason="busy", headers={"Retry-After": "1"})


def explain_refusal(topic_id: int, option_ids: list[int], actor: Actor, now: datetime | None = None) -> bool:
    """Raise the reason a ballot was refused, in the order the rules are checked; True when it was
    only that voting should have opened by now (it is open now, commit done: try again); False when
    no rule refuses it."""
    now = now or utcnow()
    topic = get_topic(topic_id)
    if not may_view(actor, topic):
        raise Forbidden()
    refusal = window_refusal(topic, topic.poll, now)
    if refusal is not None:
        raise refusal
    if topic.phase == "discussion" and open_if_due(topic, now):  # the opening job is late
        db.session.commit()
        return True
    choices_of(topic.poll, option_ids)
    refusal = voter_refusal(topic, topic.poll, actor.home)
    if refusal is not None:
        raise refusal
    return False


def _cast(topic_id: int, user_id: int, chosen: list[int], now: datetime | None) -> str | None:
    """Write the vote; the receipt, or None when the statement refused it. Raises the refusal of a
    second vote; draws again when only a random key or receipt index collided."""
    engine = db.engine
    postgres = engine.dialect.name == "postgresql"
    for _ in range(3):
        receipt, digest = new_receipt()
        index, sealed = sealing.seal(topic_id, digest, ",".join(map(str, chosen)))
        values = {"topic_id": topic_id, "user_id": user_id, "now": now or utcnow(), "option_ids": chosen,
                  "choice_count": len(chosen), "key": secrets.randbits(63), "receipt_hash": index,
                  "choices": sealed}
        try:
            written = _write_by_function(engine, values) if postgres else _write_in_session(values)
        except IntegrityError:
            refusal = already_voted(topic_id, user_id)
            if refusal is not None:
                raise refusal from None
            continue
        if written is None:
            return None
        if written.household_id is not None:
            _tell_household(topic_id, written.household_id, user_id)
        return receipt
    raise ServiceUnavailable(_BUSY, reason="busy", headers={"Retry-After": "1"})


# --- the statement ------------------------------------------------------------------------------

def _bound(name: str, type_):
    return sa.bindparam(name, type_=type_)


def _argument(name: str, type_):
    """A parameter of the PostgreSQL function (`p_<name>`), where the statement is compiled into it."""
    return sa.literal_column(f"p_{name}", type_)


def voter_rows(dialect: str, param=_bound) -> sa.Select:
    """(topic, user, household or NULL) when the user may cast this ballot now, else no row.

    Parameters: topic_id, user_id, now, option_ids (distinct), choice_count (their number).
    The same rule as `window_refusal`, `voter_refusal` (with `eligibility.in_scope`) and `choices_of`.
    """
    now = param("now", Poll.closes_at.type)
    count = param("choice_count", sa.Integer)
    if dialect == "postgresql":
        chosen = PollOption.id == sa.any_(param("option_ids", postgresql.ARRAY(sa.Integer)))
    else:
        chosen = PollOption.id.in_(sa.bindparam("option_ids", expanding=True))
    in_scope = sa.or_(sa.not_(Topic.scoped), sa.exists().where(
        TopicScope.topic_id == Topic.id, TopicScope.grid_id == Household.grid_id,
        sa.or_(TopicScope.building == "", TopicScope.building == Household.building)))
    valid_options = sa.select(sa.func.count(PollOption.id)).where(
        PollOption.topic_id == Poll.topic_id, chosen).scalar_subquery()
    return (sa.select(Poll.topic_id, HouseholdMember.user_id,
                      sa.case((Poll.per == "household", HouseholdMember.household_id)))
            .select_from(Poll)
            .join(Topic, Topic.id == Poll.topic_id)
            .join(HouseholdMember, HouseholdMember.user_id == param("user_id", sa.Integer))
            .join(User, User.id == HouseholdMember.user_id)
            .join(Household, Household.id == HouseholdMember.household_id)
            .join(Grid, Grid.id == Household.grid_id)
            .where(Poll.topic_id == param("topic_id", sa.Integer),
                   Topic.phase == "voting", Poll.closes_at > now,
                   User.is_active, HouseholdMember.verified_at.is_not(None),
                   HouseholdMember.verified_at <= Poll.opens_at,
                   Grid.community_id == Topic.community_id, in_scope,
                   count <= sa.case((Poll.ballot_type == "multiple", Poll.max_choices), else_=1),
                   valid_options == count))


def _insert_voter(dialect: str, param=_bound):
    voters = Voter.__table__  # Core, not the ORM's bulk insert: plain rows, nothing kept in the session
    return (sa.insert(voters).from_select(["topic_id", "user_id", "household_id"], voter_rows(dialect, param))
            .returning(voters.c.topic_id, voters.c.household_id))


BALLOT_COLUMNS = ["key", "topic_id", "choices", "receipt_hash"]

# PostgreSQL: the cast is one function call, so that the shared lock, the voter row and the ballot row
# are one statement and one round trip, without BEGIN and COMMIT of their own. Inside a VOLATILE
# PL/pgSQL function each statement reads with a fresh snapshot, so the voter row's checks run after
# the lock is held, exactly as two statements in a transaction would. Its body is the voter insert
# above, compiled for PostgreSQL with the function's arguments in place of the parameters: the rule
# is stated once, in `voter_rows`. Being code, it is (re)created with the code: by `python -m
# backend.migrate upgrade` after the migrations, and with the tables by `create_all`.
CAST_FUNCTION = "linli_cast_ballot"
CAST_CALL = (f"SELECT voted_household FROM {CAST_FUNCTION}($1::integer, $2::integer, $3::timestamptz,"
             " $4::integer[], $5::integer, $6::bigint, $7::varchar, $8::varchar)")


def cast_function_ddl(dialect: sa.engine.Dialect) -> str:
    """CREATE OR REPLACE FUNCTION linli_cast_ballot(…): zero rows when refused, else one row with the
    household whose vote was used (NULL when voting per person)."""
    insert_voter = _insert_voter("postgresql", _argument).compile(dialect=dialect,
                                                                  compile_kwargs={"literal_binds": True})
    return f"""CREATE OR REPLACE FUNCTION {CAST_FUNCTION}(
    p_topic_id integer, p_user_id integer, p_now timestamp with time zone, p_option_ids integer[],
    p_choice_count integer, p_key bigint, p_choices varchar, p_receipt_hash varchar)
RETURNS TABLE (voted_household integer) LANGUAGE plpgsql VOLATILE AS $cast$
DECLARE
    v_topic integer;
    v_household integer;
BEGIN
    PERFORM pg_advisory_xact_lock_shared({LOCK_NAMESPACE}, p_topic_id);
    {insert_voter} INTO v_topic, v_household;
    IF v_topic IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO ballots (key, topic_id, choices, receipt_hash) VALUES (p_key, p_topic_id, p_choices, p_receipt_hash);
    voted_household := v_household;
    RETURN NEXT;
END
$cast$"""


# Ballots that threads of one process cast at the same moment go as one call of this function
# (`core.direct.CallGroup`): each is exactly one call of the cast function above, in a block of its
# own, so a second vote refuses only itself; one transaction and one commit for all of them.
CAST_MANY_FUNCTION = "linli_cast_ballots"
CAST_MANY_DDL = f"""CREATE OR REPLACE FUNCTION {CAST_MANY_FUNCTION}(
    p_topic_ids integer[], p_user_ids integer[], p_nows timestamp with time zone[], p_option_ids text[],
    p_choice_counts integer[], p_keys bigint[], p_choices varchar[], p_receipt_hashes varchar[])
RETURNS TABLE (ballot_index integer, outcome text, voted_household integer) LANGUAGE plpgsql VOLATILE AS $cast$
BEGIN
    FOR i IN 1 .. cardinality(p_topic_ids) LOOP
        ballot_index := i;
        voted_household := NULL;
        BEGIN
            SELECT c.voted_household INTO voted_household FROM {CAST_FUNCTION}(p_topic_ids[i], p_user_ids[i],
                p_nows[i], p_option_ids[i]::integer[], p_choice_counts[i], p_keys[i], p_choices[i],
                p_receipt_hashes[i]) AS c;
            outcome := CASE WHEN FOUND THEN 'cast' ELSE 'refused' END;
        EXCEPTION WHEN unique_violation THEN
            outcome := 'duplicate';
        END;
        RETURN NEXT;
    END LOOP;
END
$cast$"""
CAST_MANY_CALL = (f"SELECT ballot_index, outcome, voted_household FROM {CAST_MANY_FUNCTION}($1::integer[],"
                  " $2::integer[], $3::timestamptz[], $4::text[], $5::integer[], $6::bigint[], $7::varchar[],"
                  " $8::varchar[])")


def install_cast_function(connection: sa.engine.Connection) -> None:
    """Create or replace the cast functions on PostgreSQL (nothing elsewhere)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(cast_function_ddl(connection.dialect))
        connection.exec_driver_sql(CAST_MANY_DDL)


sa.event.listen(Ballot.__table__, "after_create", lambda _table, connection, **_: install_cast_function(connection))


def _write_by_function(engine: sa.Engine, values: dict):
    """PostgreSQL: one call of the cast function, on a connection of the cast's own (`core.direct`):
    its own transaction, one round trip; the written row or None. Ballots cast at the same moment
    by other threads of this process go in the same call (`linli_cast_ballots`)."""
    return _cast_group(engine).run((engine, values, current_app.config["DATABASE_PING_AFTER_IDLE"]))


def _cast_one(item: tuple[sa.Engine, dict, float]):
    import psycopg  # PostgreSQL's driver: not installed for the embedded SQLite mode

    engine, values, ping_after = item
    try:
        rows = _cast_call(CAST_FUNCTION, CAST_CALL).run(engine, _call_params(values), ping_after)
    except psycopg.errors.UniqueViolation as exc:
        raise IntegrityError(CAST_FUNCTION, None, exc) from None
    except psycopg.OperationalError:
        log.warning("ballot for topic %s: the database connection failed during the call", values["topic_id"],
                    exc_info=True)
        raise ServiceUnavailable(_BUSY, reason="busy", headers={"Retry-After": "1"}) from None
    return _written(rows[0][0]) if rows else None


def _cast_many(items: list[tuple[sa.Engine, dict, float]]) -> list:
    """Several ballots in one call and one transaction; each one's outcome as `_cast_one` gives it
    (an exception for a second vote). If the call fails as a whole, nothing of it was committed, and
    each ballot goes alone; but not when the connection broke (whether it committed is unknown)."""
    import psycopg

    engine = items[0][0]
    params = [_pg_array(column) for column in zip(*(_call_params(values) for _, values, _ in items))]
    try:
        rows = _cast_call(CAST_MANY_FUNCTION, CAST_MANY_CALL).run(engine, params, items[0][2])
    except psycopg.Error as exc:
        if exc.sqlstate is None:  # no answer from the server: the connection broke, or none was to be had
            log.warning("%s ballots: the database connection failed during the call", len(items), exc_info=True)
            return [ServiceUnavailable(_BUSY, reason="busy", headers={"Retry-After": "1"}) for _ in items]
        # The server refused the call as a whole (a deadlock between two batches, say): rolled back.
        log.info("%s ballots sent together failed as a whole; sending each alone", len(items), exc_info=True)
        return [_outcome_alone(item) for item in items]
    outcomes: list = [None] * len(items)
    for index, outcome, household in rows:
        if outcome == b"cast":
            outcomes[int(index) - 1] = _written(household)
        elif outcome == b"duplicate":
            outcomes[int(index) - 1] = IntegrityError(CAST_MANY_FUNCTION, None, Exception("unique_violation"))
    return outcomes


def _outcome_alone(item: tuple[sa.Engine, dict, float]):
    try:
        return _cast_one(item)
    except Exception as exc:  # noqa: BLE001 - handed to the ballot's own thread, which raises it
        return exc


def _call_params(values: dict) -> list[str]:
    """The cast function's arguments as text, in order; `linli_cast_ballots` takes each as an array."""
    return [str(values["topic_id"]), str(values["user_id"]), values["now"].isoformat(),
            _pg_array(map(str, values["option_ids"])), str(values["choice_count"]), str(values["key"]),
            values["choices"], values["receipt_hash"]]


def _written(household: bytes | None) -> Written:
    return Written(None if household is None else int(household))


def _pg_array(elements) -> str:
    """A PostgreSQL array literal of text elements, each quoted."""
    return "{" + ",".join('"' + e.replace("\\", "\\\\").replace('"', '\\"') + '"' for e in elements) + "}"


_CAST_GROUPS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_CAST_GROUPS_LOCK = threading.Lock()


def _cast_group(engine: sa.Engine):
    """The `CallGroup` of this engine's ballots in this process."""
    group = _CAST_GROUPS.get(engine)
    if group is None:
        from backend.core.direct import CallGroup

        with _CAST_GROUPS_LOCK:
            group = _CAST_GROUPS.get(engine)
            if group is None:
                # Looked up at each call, not bound here: tests substitute them.
                group = _CAST_GROUPS[engine] = CallGroup(lambda item: _cast_one(item),
                                                         lambda items: _cast_many(items))
    return group


@functools.cache
def _cast_call(name: str, sql: str):
    from backend.core.direct import PreparedCall

    return PreparedCall(name, sql)


class Written(NamedTuple):
    """What the statement wrote that the caller needs: the household whose vote was used (per household)."""

    household_id: int | None


@functools.cache
def _session_statements(dialect_name: str):
    return _insert_voter(dialect_name), sa.insert(Ballot.__table__)


def _write_in_session(values: dict):
    """Other databases (SQLite): the voter row, then the ballot row, in the session; the written row or None."""
    insert_voter, insert_ballot = _session_statements(db.engine.dialect.name)
    with one_sqlite_writer():
        try:
            written = db.session.execute(insert_voter, values).first()
            if written is not None:
                db.session.execute(insert_ballot, {k: values[k] for k in BALLOT_COLUMNS})
        except IntegrityError:
            db.session.rollback()
            raise
        except OperationalError:
            db.session.rollback()  # SQLite's "database is locked": another writer held it past the busy timeout
            raise ServiceUnavailable(_BUSY, reason="busy", headers={"Retry-After": "1"}) from None
        if written is None:
            db.session.rollback()
            return None
        db.session.commit()
    return written


def already_voted(topic_id: int, user_id: int) -> DomainError | None:
    """The refusal for a second vote, by the person or (per household) by their household; None when
    the conflict was something else."""
    household_id = db.session.scalar(sa.select(HouseholdMember.household_id).where(HouseholdMember.user_id == user_id))
    voted, household_voted = voting_status(topic_id, user_id, household_id)
    if voted:
        return Conflict("您已经投过票了，每人只能投一次", reason="already_voted")
    if household_voted:
        return Conflict("您家已有成员投票（按户投票，每户一票）", reason="household_already_voted")
    return None


def _tell_household(topic_id: int, household_id: int, user_id: int) -> None:
    """Per-household topics: tell the other members, after the vote is committed. A failure here is
    logged and the voter still gets their receipt: the vote stands either way."""
    try:
        notices.household_voted(get_topic(topic_id), household_id, user_id)
        db.session.commit()
    except Exception:  # noqa: BLE001 - the receipt must reach the voter
        db.session.rollback()
        log.exception("could not tell household %s that its vote on topic %s was used", household_id, topic_id)
