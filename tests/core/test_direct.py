"""`backend.core.direct`: a hot statement on connections of its own, through libpq (PostgreSQL only)."""
from __future__ import annotations

import threading
import time

import psycopg
import pytest
import sqlalchemy as sa

from backend.core.direct import CallGroup, PreparedCall
from backend.extensions import db


@pytest.fixture
def pg(app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("direct calls are PostgreSQL's (TEST_DATABASE_URL); SQLite casts in the session")
    return app


def _backends(name: str) -> list[int]:
    pids = db.session.scalars(sa.text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"
                                      " AND datname = current_database()"), {"name": f"linli {name}"}).all()
    db.session.commit()
    return list(pids)


def _cut(pids: list[int]) -> None:
    """What a database restart does to an idle connection; returns once the backends have gone."""
    for pid in pids:
        db.session.execute(sa.text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
    db.session.commit()


def test_a_call_returns_its_rows_as_text_and_reuses_its_connection(pg):
    call = PreparedCall("test_add", "SELECT $1::integer + 1, $2::text, NULL::text UNION ALL SELECT 0, 'b', 'c'")
    assert call.run(db.engine, ["41", None], ping_after=60) == [(b"42", None, None), (b"0", b"b", b"c")]
    assert call.run(db.engine, ["1", "x"], ping_after=60)[0] == (b"2", b"x", None)
    assert len(_backends("test_add")) == 1


def test_an_error_raises_the_drivers_class_and_the_connection_stays_usable(pg):
    call = PreparedCall("test_divide", "SELECT 1 / $1::integer")
    with pytest.raises(psycopg.errors.DivisionByZero):
        call.run(db.engine, ["0"], ping_after=60)
    assert call.run(db.engine, ["1"], ping_after=60) == [(b"1",)]
    assert len(_backends("test_divide")) == 1


def test_a_connection_the_server_closed_is_replaced_before_the_call(pg):
    call = PreparedCall("test_cut", "SELECT pg_backend_pid()")
    first = int(call.run(db.engine, [], ping_after=3600)[0][0])
    _cut([first])
    second = int(call.run(db.engine, [], ping_after=3600)[0][0])  # no ping: the closed socket is read first
    assert second != first


def test_a_statement_dropped_behind_its_back_is_prepared_again(pg):
    call = PreparedCall("test_gone", "SELECT 7")
    call.run(db.engine, [], ping_after=3600)
    stack = call._stacks[db.engine]
    stack.idle[0].pgconn.exec_(b"DEALLOCATE ALL")  # what a pooler or a stray DISCARD would do
    assert call.run(db.engine, [], ping_after=3600) == [(b"7",)]


def test_disposing_the_engine_closes_its_connections(pg):
    call = PreparedCall("test_dispose", "SELECT 1")
    barrier = threading.Barrier(3)

    def busy():
        with pg.app_context():
            call.run(db.engine, [], ping_after=60)
            barrier.wait()

    threads = [threading.Thread(target=busy) for _ in range(2)]
    for t in threads:
        t.start()
    barrier.wait()
    for t in threads:
        t.join()
    assert len(_backends("test_dispose")) >= 1
    db.engine.dispose()
    assert _backends("test_dispose") == []
    assert call.run(db.engine, [], ping_after=60) == [(b"1",)]  # a disposed engine starts afresh


def test_no_more_connections_at_once_than_the_engines_pool_allows(make_app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("direct calls are PostgreSQL's (TEST_DATABASE_URL)")
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 2, "max_overflow": 1})
    call = PreparedCall("test_limit", "SELECT pg_sleep(0.2), pg_backend_pid()")
    seen: set[bytes] = set()

    def vote():
        with app.app_context():
            seen.add(call.run(db.engine, [], ping_after=60)[0][1])

    threads = [threading.Thread(target=vote) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 3


# --- CallGroup: no database needed ---------------------------------------------------------------

def test_calls_made_while_one_is_out_go_together_each_getting_its_own_outcome():
    first_out, release = threading.Event(), threading.Event()
    sent = []

    def send_one(item):
        sent.append([item])
        if item == "first":
            first_out.set()
            release.wait(10)
        if item == "bad-alone":
            raise ValueError(item)
        return item.upper()

    def send_many(items):
        sent.append(list(items))
        return [LookupError(i) if i == "bad" else i.upper() for i in items]

    group = CallGroup(send_one, send_many)
    outcomes = {}

    def call(item):
        try:
            outcomes[item] = group.run(item)
        except Exception as exc:  # noqa: BLE001
            outcomes[item] = type(exc).__name__

    leader = threading.Thread(target=call, args=("first",))
    leader.start()
    assert first_out.wait(10)
    followers = [threading.Thread(target=call, args=(item,)) for item in ("a", "b", "bad", "c")]
    for thread in followers:
        thread.start()
    _until(lambda: len(group._waiting) == 4)  # all four wait behind the first call
    release.set()
    for thread in [leader, *followers]:
        thread.join(10)

    assert sent[0] == ["first"] and sorted(sent[1]) == ["a", "b", "bad", "c"] and len(sent) == 2
    assert outcomes == {"first": "FIRST", "a": "A", "b": "B", "c": "C", "bad": "LookupError"}
    with pytest.raises(ValueError):
        group.run("bad-alone")  # alone, and its exception raised in its own thread
    assert group.run("x") == "X" and sent[-1] == ["x"]


def test_a_batch_that_fails_as_a_whole_fails_each_caller_and_the_group_goes_on():
    def send_many(items):
        raise RuntimeError("down")

    group = CallGroup(lambda item: item, send_many)
    results = _sent_together(group, ["a", "b"])
    assert [type(r) for r in results] == [RuntimeError, RuntimeError] and [str(r) for r in results] == ["down"] * 2
    assert group.run("alone") == "alone"


def _sent_together(group: CallGroup, items: list) -> list:
    """Each item's outcome (its result, or the exception it raised), from threads that all waited as
    if a call were out, and were then released to send together."""
    group._busy = True
    outcomes = []

    def call(item):
        try:
            outcomes.append(group.run(item))
        except BaseException as exc:  # noqa: BLE001 - the outcome under test
            outcomes.append(exc)

    threads = [threading.Thread(target=call, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    _until(lambda: len(group._waiting) == len(items))
    with group._cond:
        group._busy = False
        group._cond.notify_all()
    for thread in threads:
        thread.join(10)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def _until(condition, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_caller_interrupted_while_sending_leaves_no_one_waiting():
    def send_many(items):
        raise KeyboardInterrupt  # as a worker being stopped would be

    group = CallGroup(lambda item: item, send_many)
    results = _sent_together(group, ["a", "b"])
    assert sorted(type(r).__name__ for r in results) == ["KeyboardInterrupt", "RuntimeError"]
    assert group.run("alone") == "alone"
