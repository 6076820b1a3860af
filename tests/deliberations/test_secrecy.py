"""The secret ballot: receipts, the hash chain, and proof that storage links no voter to a ballot."""
from __future__ import annotations

import hashlib
import logging
import re

import pytest
import sqlalchemy as sa

from backend.core.models import IdempotencyRecord
from backend.deliberations import ballots
from backend.deliberations.logs import RedactReceipts
from backend.deliberations.models import Ballot, Poll, Topic, Voter
from backend.extensions import db
from tests.deliberations.factories import (ballot_spec, cast, headers, make_topic, make_world, open_vote, options,
                                           pass_closing_time, resident)

VOTERS = 30


def voted_topic(client, per: str = "person"):
    """A topic on which VOTERS residents voted; returns (topic, [(user, receipt, option id)]) in casting order."""
    world = make_world()
    people = [resident(f"v{i:02d}", world.grid(i % 2)) for i in range(VOTERS)]
    topic = make_topic(world)
    open_vote(world, topic, ballot_spec(type="single", options=["东侧", "西侧", "北侧"], per=per))
    ids = options(topic)
    cast_log = []
    for i, person in enumerate(people):
        choice = ids[i % 3]
        response = cast(client, person, topic, [choice])
        assert response.status_code == 201
        cast_log.append((person, response.json["receipt"], choice))
    return world, topic, cast_log


def close(topic: Topic) -> None:
    pass_closing_time(topic)
    assert ballots.close_voting(topic.id)
    db.session.commit()


def digest(receipt: str) -> str:
    normalized = receipt.replace("-", "").upper()
    return hashlib.sha256(f"linli-receipt:{normalized}".encode()).hexdigest()


# --- receipts -------------------------------------------------------------------------------------

def test_a_receipt_confirms_the_ballot_to_its_holder(client):
    world, topic, cast_log = voted_topic(client)
    voter, receipt, choice = cast_log[0]
    assert re.fullmatch(r"([0-9A-Z]{5}-){4}[0-9A-Z]{5}", receipt)
    assert len({r for _, r, _ in cast_log}) == VOTERS
    url = f"/api/v1/topics/{topic.id}/receipts/"
    checked = client.get(url + receipt, headers=headers(voter)).json
    assert checked["counted"] is True and checked["final"] is False
    assert checked["choices"] == [{"id": choice, "label": "东侧"}] and checked["receipt_hash"] == digest(receipt)
    # Typed by hand: lower case, no dashes, an O for a zero — still found.
    typed = receipt.lower().replace("-", "").replace("0", "o")
    assert client.get(url + typed, headers=headers(voter)).json["choices"] == checked["choices"]
    for wrong in ("ABCDE-ABCDE-ABCDE-ABCDE-ABCDE", "short", receipt[:-1] + ("A" if receipt[-1] != "A" else "B")):
        response = client.get(url + wrong, headers=headers(voter))
        assert (response.status_code, response.json["reason"]) == (404, "receipt_not_found")
    elsewhere = make_topic(world, phase="voting", title="另一个议题")
    assert client.get(f"/api/v1/topics/{elsewhere.id}/receipts/{receipt}", headers=headers(voter)).status_code == 404
    close(topic)
    after = client.get(url + receipt, headers=headers(voter)).json
    assert after["final"] is True and after["chain_hash"]


# --- the hash chain -------------------------------------------------------------------------------

def test_anyone_can_recompute_the_chain_and_find_their_ballot(client):
    world, topic, cast_log = voted_topic(client)
    close(topic)
    reader = cast_log[-1][0]
    results = client.get(f"/api/v1/topics/{topic.id}/results", headers=headers(reader)).json
    published = []
    for page in (1, 2):
        response = client.get(f"/api/v1/topics/{topic.id}/ballots?page={page}&page_size=20", headers=headers(reader))
        published += response.json
    assert len(published) == results["ballots_counted"] == VOTERS
    link = hashlib.sha256(f"linli-ballots:v1:{topic.id}".encode()).hexdigest()
    for entry in published:
        choices = ",".join(map(str, entry["option_ids"]))
        link = hashlib.sha256(f"{link}|{entry['receipt_hash']}|{choices}".encode()).hexdigest()
        assert entry["chain_hash"] == link
    assert link == results["chain_hash"]
    mine = {entry["receipt_hash"]: entry["option_ids"] for entry in published}
    assert all(mine[digest(receipt)] == [choice] for _, receipt, choice in cast_log)
    assert sum(o["count"] for o in results["options"]) == VOTERS


def test_altering_the_ballots_after_the_close_breaks_the_chain(client):
    world, topic, cast_log = voted_topic(client)
    close(topic)
    final = db.session.get(Poll, topic.id).chain_hash
    assert ballots.verify_chain(topic.id) == (VOTERS, final, True)
    some = db.session.scalars(sa.select(Ballot).where(Ballot.topic_id == topic.id).order_by(Ballot.key)).all()
    flipped = options(topic)[1] if some[5].choices != str(options(topic)[1]) else options(topic)[0]
    db.session.execute(sa.update(Ballot).where(Ballot.key == some[5].key).values(choices=str(flipped)))
    count, recomputed, intact = ballots.verify_chain(topic.id)
    assert not intact and recomputed != final
    db.session.rollback()
    db.session.execute(sa.delete(Ballot).where(Ballot.key == some[-1].key))
    count, recomputed, intact = ballots.verify_chain(topic.id)
    assert count == VOTERS - 1 and recomputed != final  # a dropped ballot changes the last link
    db.session.rollback()


# --- secrecy at the storage level ----------------------------------------------------------------

def test_storage_links_no_voter_to_a_ballot(client):
    world, topic, cast_log = voted_topic(client, per="household")
    ballot_table, voter_table = Ballot.__table__, Voter.__table__

    # Columns: the ballot has what was chosen and nothing about who or when.
    assert set(ballot_table.c.keys()) == {"key", "topic_id", "choices", "receipt_hash", "chain_hash"}
    assert set(voter_table.c.keys()) == {"id", "topic_id", "user_id", "household_id"}
    assert set(ballot_table.c.keys()) & set(voter_table.c.keys()) == {"topic_id"}
    assert [(fk.parent.name, fk.column.table.name) for fk in ballot_table.foreign_keys] == [("topic_id", "polls")]
    for table in (ballot_table, voter_table):
        assert not [c.name for c in table.c if isinstance(c.type, (sa.DateTime, sa.Date, sa.Time))
                    or "time" in c.name or c.name.endswith("_at")], table.name
    assert not ballot_table.c.key.autoincrement

    # Every stored value: no ballot column holds a user, household or voter-row id, or anything per person.
    voters = db.session.execute(sa.select(voter_table).where(voter_table.c.topic_id == topic.id)).all()
    stored = db.session.execute(sa.select(ballot_table).where(ballot_table.c.topic_id == topic.id)).all()
    assert len(voters) == len(stored) == VOTERS
    people = {v.user_id for v in voters} | {v.household_id for v in voters} | {v.id for v in voters}
    assert not people & {b.key for b in stored}
    assert {b.topic_id for b in stored} == {topic.id} and {b.chain_hash for b in stored} == {None}
    assert len({b.choices for b in stored}) == 3  # only the choice itself varies, besides random values

    # Keys are random: in the order the ballots were cast they are not sorted, nor close to each other.
    key_of = {b.receipt_hash: b.key for b in stored}
    cast_order = [key_of[digest(receipt)] for _, receipt, _ in cast_log]
    assert cast_order != sorted(cast_order) and cast_order != sorted(cast_order, reverse=True)
    assert max(cast_order) - min(cast_order) > 2**40

    # Physical order: what the database itself would hand back without ORDER BY.
    if db.engine.dialect.name == "sqlite":  # INTEGER PRIMARY KEY: the rowid is the random key, no hidden sequence
        rows = db.session.execute(sa.text("SELECT rowid, key FROM ballots WHERE topic_id = :t"), {"t": topic.id})
        assert all(rowid == key for rowid, key in rows)
        unordered = [k for (k,) in db.session.execute(sa.text("SELECT key FROM ballots WHERE topic_id = :t"),
                                                      {"t": topic.id})]
        assert unordered == sorted(unordered)

    # No receipt is stored anywhere, in any table (only its hash in `ballots`).
    for _, receipt, _ in cast_log[:5]:
        for table in db.metadata.sorted_tables:
            for column in table.c:
                if isinstance(column.type, (sa.String, sa.Text, sa.JSON)):
                    hit = db.session.execute(sa.select(sa.func.count()).select_from(table).where(
                        sa.cast(column, sa.Text).contains(receipt.replace("-", "")[:10]))).scalar()
                    assert hit == 0, f"{table.name}.{column.name}"


def test_no_response_names_a_ballot_key_and_no_idempotency_record_keeps_a_receipt(client):
    world = make_world()
    alice = resident("alice", world.grid(0))
    topic = make_topic(world, phase="voting")
    response = client.post(f"/api/v1/topics/{topic.id}/ballots", json={"option_ids": [options(topic)[0]]},
                           headers={**headers(alice), "Idempotency-Key": "vote-1"})
    assert response.status_code == 201 and set(response.json) == {"topic_id", "receipt"}
    assert db.session.scalar(sa.select(sa.func.count(IdempotencyRecord.id))) == 0
    key = str(db.session.scalar(sa.select(Ballot.key)))
    receipt = response.json["receipt"]
    texts = [client.get(f"/api/v1/topics/{topic.id}/receipts/{receipt}", headers=headers(alice)).get_data(True),
             client.get(f"/api/v1/topics/{topic.id}", headers=headers(alice)).get_data(True)]
    close(topic)
    texts += [client.get(f"/api/v1/topics/{topic.id}/{path}", headers=headers(alice)).get_data(True)
              for path in ("results", "ballots", f"receipts/{receipt}")]
    assert not [t for t in texts if key in t]


def test_after_the_close_no_system_column_links_them_on_postgresql(client):
    """PostgreSQL records the writing transaction (`xmin`) and heap position (`ctid`) of every row; the
    close rewrites the ballots in key order so neither lines up with `voters` any more."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("xmin and ctid are PostgreSQL system columns")
    world, topic, cast_log = voted_topic(client)
    before = dict(db.session.execute(sa.text("SELECT key, xmin::text FROM ballots WHERE topic_id = :t"),
                                     {"t": topic.id}).all())
    voter_xmins = {x for (x,) in db.session.execute(sa.text("SELECT xmin::text FROM voters WHERE topic_id = :t"),
                                                    {"t": topic.id})}
    assert set(before.values()) == voter_xmins  # while voting: one transaction wrote both rows (documented)
    close(topic)
    after = db.session.execute(sa.text("SELECT key, xmin::text FROM ballots WHERE topic_id = :t ORDER BY ctid"),
                               {"t": topic.id}).all()
    assert len({x for _, x in after}) == 1 and not {x for _, x in after} & voter_xmins
    assert [k for k, _ in after] == sorted(before)  # heap order is key order


def test_receipts_are_kept_out_of_access_logs(app):
    keep = RedactReceipts()
    line = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '%s - - [%s] "%s" %s',
                             ("127.0.0.1", "now",
                              "GET /api/v1/topics/3/receipts/ABCDE-12345-FGHJK-MNPQR-STVWX HTTP/1.1", "200"), None)
    assert keep.filter(line) and "ABCDE" not in line.getMessage() and "/receipts/***" in line.getMessage()
    atoms = {"r": "GET /api/v1/topics/3/receipts/abcde12345 HTTP/1.0", "U": "/api/v1/topics/3/receipts/abcde12345",
             "s": "200"}
    gunicorn = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, "%(r)s %(s)s", None, None)
    gunicorn.args = atoms
    assert keep.filter(gunicorn) and "abcde" not in gunicorn.getMessage()
    for name in ("gunicorn.access", "werkzeug"):  # installed when the app loads its routes
        assert RedactReceipts in {type(f) for f in logging.getLogger(name).filters}
