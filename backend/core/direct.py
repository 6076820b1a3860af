"""One hot statement on PostgreSQL connections of its own, run through libpq (`PreparedCall`).

Why. A ballot is the write whose rate is a requirement (`bench.votes`), and its whole database work
is one prepared call (`backend.deliberations.casting`). Through the SQLAlchemy pool and psycopg's
cursor, that call cost about 200 µs of CPU inside a request: the pool's checkout and checkin
events and reset, psycopg's statement cache and adaptation, several times the 25 µs the call
itself costs in libpq. It cannot use libpq on a pooled connection either: psycopg answers a
rollback on such a connection with `DEALLOCATE ALL`, which would drop the statement at random.

How. Per engine and process, a `PreparedCall` keeps a stack of idle psycopg connections in
autocommit, each with the statement prepared once. A call takes one (at most as many at once as
the engine's pool allows, `pool_size + max_overflow`), runs `PQexecPrepared` with text
parameters, and puts it back. Before use, a connection whose socket has something to read (the
server wrote its goodbye: a restart, `pg_terminate_backend`) is pinged, and so is one idle longer
than `DATABASE_PING_AFTER_IDLE`, as the engine's pool does (`core.db.ping_when_idle`); one that
fails is replaced. The connections close when the engine is disposed; a forked child opens its
own (psycopg never closes a connection from a process that did not open it).

A call whose connection breaks while it runs raises `psycopg.OperationalError`: whether the server
committed it is unknown, so it is never retried here.
"""
from __future__ import annotations

import os
import select
import threading
import time
import weakref
from typing import Sequence

import psycopg
import sqlalchemy as sa
from psycopg import pq
from psycopg.errors import error_from_result

CHECKOUT_TIMEOUT = 30  # seconds, as the engine's pool waits for a connection
_STATEMENT_GONE = b"26000"  # invalid_sql_statement_name: e.g. a pooler that moved us to another backend


class PreparedCall:
    """A statement prepared as `name` on connections of its own; `run` returns its rows as text."""

    def __init__(self, name: str, sql: str):
        self.name, self.sql = name.encode(), sql.encode()
        self._stacks: weakref.WeakKeyDictionary[sa.Engine, _Stack] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def run(self, engine: sa.Engine, params: Sequence[str | None], ping_after: float) -> list[tuple]:
        """Execute with `params` ($1, $2, … as text; None is NULL); the rows, each a tuple of bytes or None."""
        stack = self._stack(engine)
        connection = stack.checkout(ping_after)
        try:
            result = self._execute(connection, [None if p is None else p.encode() for p in params])
        finally:
            stack.checkin(connection)
        return [tuple(result.get_value(row, col) for col in range(result.nfields)) for row in range(result.ntuples)]

    def _execute(self, connection: _Connection, params: list[bytes | None]) -> pq.abc.PGresult:
        pgconn = connection.pgconn
        if not connection.prepared:
            self._prepare(pgconn)
            connection.prepared = True
        result = pgconn.exec_prepared(self.name, params)
        if result.status == pq.ExecStatus.FATAL_ERROR and result.error_field(
                pq.DiagnosticField.SQLSTATE) == _STATEMENT_GONE:
            self._prepare(pgconn)  # it did not run: prepare again and run it once more
            result = pgconn.exec_prepared(self.name, params)
        if pgconn.status != pq.ConnStatus.OK:
            raise psycopg.OperationalError("the connection to the database was lost during the call")
        if result.status not in (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK):
            raise error_from_result(result)
        return result

    def _prepare(self, pgconn: pq.abc.PGconn) -> None:
        result = pgconn.prepare(self.name, self.sql)
        if result.status != pq.ExecStatus.COMMAND_OK:
            raise error_from_result(result)

    def _stack(self, engine: sa.Engine) -> _Stack:
        stack = self._stacks.get(engine)
        if stack is None or stack.pid != os.getpid() or stack.closed:
            with self._lock:
                stack = self._stacks.get(engine)
                if stack is None or stack.pid != os.getpid() or stack.closed:
                    stack = self._stacks[engine] = _Stack(engine, self.name.decode())
        return stack


class _Connection:
    __slots__ = ("connection", "pgconn", "prepared", "idle_since")

    def __init__(self, connection: psycopg.Connection):
        self.connection, self.pgconn = connection, connection.pgconn
        self.prepared, self.idle_since = False, time.monotonic()


class _Stack:
    """The idle connections of one engine in one process, and the number allowed out at once."""

    def __init__(self, engine: sa.Engine, name: str):
        self.pid, self.closed = os.getpid(), False
        self.idle: list[_Connection] = []
        pool = engine.pool
        self.slots = threading.BoundedSemaphore(pool.size() + max(getattr(pool, "_max_overflow", 0), 0))
        connect_args, connect_kwargs = engine.dialect.create_connect_args(engine.url)
        connect_kwargs.setdefault("application_name", f"linli {name}")  # how pg_stat_activity names them
        self._connect = lambda: _Connection(psycopg.connect(*connect_args, **connect_kwargs, autocommit=True))
        sa.event.listen(engine, "engine_disposed", self.close)

    def checkout(self, ping_after: float) -> _Connection:
        if not self.slots.acquire(timeout=CHECKOUT_TIMEOUT):
            raise psycopg.OperationalError("no database connection became free in time")
        try:
            while self.idle:
                connection = self.idle.pop()
                if self._alive(connection, ping_after):
                    return connection
                _close(connection)
            return self._connect()
        except BaseException:
            self.slots.release()
            raise

    def checkin(self, connection: _Connection) -> None:
        if self.closed or not _idle_and_ok(connection.pgconn):
            _close(connection)
        else:
            connection.idle_since = time.monotonic()
            self.idle.append(connection)
        self.slots.release()

    def close(self, _engine=None) -> None:
        """Close the idle connections now and the busy ones when they come back (the engine was disposed)."""
        self.closed = True
        while self.idle:
            _close(self.idle.pop())

    @staticmethod
    def _alive(connection: _Connection, ping_after: float) -> bool:
        """An idle connection has nothing to say: if its socket is readable, the server wrote to it
        (usually its goodbye before closing), so it is pinged; so is one idle for `ping_after`."""
        pgconn = connection.pgconn
        try:
            readable = select.select([pgconn.socket], [], [], 0)[0]
            if readable or time.monotonic() - connection.idle_since >= ping_after:
                pgconn.exec_(b"")  # an empty query: one round trip, no work
        except (psycopg.Error, OSError, ValueError):
            return False
        return _idle_and_ok(pgconn)


def _idle_and_ok(pgconn: pq.abc.PGconn) -> bool:
    return pgconn.status == pq.ConnStatus.OK and pgconn.transaction_status == pq.TransactionStatus.IDLE


def _close(connection: _Connection) -> None:
    try:
        connection.connection.close()
    except psycopg.Error:
        pass


class CallGroup:
    """Calls that threads of one process make at the same moment, sent together.

    While one caller's call is out, callers that arrive wait; when it is back, the next of them
    sends everything that waited as one batch (`send_many`: one round trip, one transaction, one
    commit) and hands each caller its own outcome. A caller alone is sent alone (`send_one`), so a
    process that serves one request at a time (gunicorn's sync workers) never waits here. An
    outcome that is an exception is raised in its caller's thread.
    """

    def __init__(self, send_one, send_many):
        self._send_one, self._send_many = send_one, send_many
        self._reset()
        alive = weakref.ref(self)  # a lock held in the parent at a fork is never released in the child
        os.register_at_fork(after_in_child=lambda: (group := alive()) is not None and group._reset())

    def _reset(self) -> None:
        self._cond, self._waiting, self._busy = threading.Condition(), [], False

    def run(self, item):
        entry = [item, _PENDING]
        cond = self._cond
        with cond:
            self._waiting.append(entry)
            while entry[1] is _PENDING:
                if self._busy:
                    cond.wait()
                    continue
                batch, self._waiting, self._busy = self._waiting, [], True
                outcomes = None
                cond.release()
                try:
                    outcomes = self._send([e[0] for e in batch])
                finally:
                    cond.acquire()
                    self._busy = False
                    if outcomes is None:  # interrupted (the worker is stopping): nobody may wait for it forever
                        outcomes = [RuntimeError("the call was interrupted")] * len(batch)
                    for waiting, outcome in zip(batch, outcomes):
                        waiting[1] = outcome
                    cond.notify_all()
        if isinstance(entry[1], BaseException):
            raise entry[1]
        return entry[1]

    def _send(self, items: list) -> list:
        try:
            if len(items) == 1:
                return [self._send_one(items[0])]
            outcomes = self._send_many(items)
        except Exception as exc:  # noqa: BLE001 - every caller of the batch gets it
            return [exc] * len(items)
        assert len(outcomes) == len(items)
        return outcomes


_PENDING = object()
