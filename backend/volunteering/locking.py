"""Row locks that make conflicting changes queue up, on PostgreSQL and on SQLite alike.

Capacity, stock and "each waitlisted person promoted once" are enforced by conditional UPDATEs
(`… WHERE confirmed < capacity`, `… WHERE status = 'waitlisted'`). Two rules need more than one
row, so they take a lock first and then read:

- one person's sign-ups must not overlap, and their balance must cover a redemption: both are
  checked under the person's `VolunteerAccount` row lock;
- a shift's roster changes (cancel, promote, capacity) happen under the shift's row lock, so a
  freed place and a new waitlist ticket can never miss each other.

Locks are taken in one order, person → activity → shift → sign-up; closing an attendance locks that
attendance and then the person, and nothing locks an attendance after a person. No cycle, no deadlock.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from backend.core.db import utcnow
from backend.extensions import db
from backend.volunteering.models import VolunteerAccount


def is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def lock_volunteer(user_id: int) -> None:
    """Hold the person's lock row until commit, creating it on first use.

    One statement on both databases: `INSERT … ON CONFLICT (user_id) DO UPDATE`, which writes the row.
    PostgreSQL: writing takes the row lock exactly as `SELECT … FOR UPDATE` would, in one round trip
    instead of two; a second transaction of the same person waits here, and under READ COMMITTED every
    statement it runs afterwards sees what the first committed (its sign-up, its spending), so "read
    the balance, then spend" is safe while other people's transactions run in parallel.

    SQLite has no row locks but serialises writers: this write opens the transaction and takes the
    database write lock until commit. pysqlite starts transactions only at the first write, so nothing
    read before this point is a stale snapshot, and everything read after it is current.
    """
    insert = (pg_insert if is_postgresql() else sqlite_insert)(VolunteerAccount).values(user_id=user_id,
                                                                                       created_at=utcnow())
    db.session.execute(insert.on_conflict_do_update(index_elements=["user_id"],
                                                    set_={"user_id": insert.excluded.user_id}))


def lock_row(model, pk: int):
    """Lock one row until commit and return it freshly loaded (None if it does not exist).

    PostgreSQL: `SELECT … FOR NO KEY UPDATE`, the lock an UPDATE of the row takes: writers of the row
    queue up, while rows that merely reference it (a check-in's foreign key) are not held up.
    SQLite: a no-op UPDATE of the row, which takes the database write lock (see `lock_volunteer`).
    """
    key = sa.inspect(model).primary_key[0]
    query = sa.select(model).where(key == pk).execution_options(populate_existing=True)
    if is_postgresql():
        query = query.with_for_update(key_share=True)
    else:
        db.session.execute(sa.update(model).where(key == pk).values({key.name: key})
                           .execution_options(synchronize_session=False))
    return db.session.scalar(query)
