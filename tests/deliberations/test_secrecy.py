"""The secret ballot: receipts, the hash chain, sealed ballots, and proof that storage links no voter to a ballot."""
from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections import Counter

import pytest
import sqlalchemy as sa

from backend.accounts.models import User
from backend.config import DEFAULT_SECRET, ConfigError, check, from_environment
from backend.core.models import IdempotencyRecord
from backend.deliberations import ballots, sealing
from backend.deliberations.sealing import SealBroken
from backend.deliberations.logs import RedactReceipts
from backend.deliberations.models import Ballot, Poll, Topic, Voter
from backend.extensions import db
from tests.deliberations.factories import (ballot_spec, cast, headers, make_topic, make_world, open_vote, options,
                                           pass_closing_time, resident)

VOTERS = 30
SEALED = re.compile(r"v1:[A-Za-z0-9_-]+={0,2}")
PLAIN = re.compile(r"[0-9]+(,[0-9]+)*")


def voted_topic(client, per: str = "person", pairs: bool = False):
    """A topic on which VOTERS residents voted; returns (world, topic, [(user, receipt, option ids)]) in
    casting order. One of three options each, or with `pairs` two of four (plain choices like "7,8")."""
    world = make_world()
    people = [resident(f"v{i:02d}", world.grid(i % 2)) for i in range(VOTERS)]
    topic = make_topic(world)
    spec = (ballot_spec(type="multiple", options=["路灯", "座椅", "监控", "绿化"], max_choices=2, per=per) if pairs
            else ballot_spec(type="single", options=["东侧", "西侧", "北侧"], per=per))
    open_vote(world, topic, spec)
    ids = options(topic)
    cast_log = []
    for i, person in enumerate(people):
        chosen = sorted({ids[i % len(ids)], ids[(i + 1) % len(ids)]}) if pairs else [ids[i % 3]]
        response = cast(client, person, topic, chosen)
        assert response.status_code == 201
        cast_log.append((person, response.json["receipt"], chosen))
    return world, topic, cast_log


def close(topic: Topic) -> None:
    pass_closing_time(topic)
    assert ballots.close_voting(topic.id)
    db.session.commit()


def digest(receipt: str) -> str:
    normalized = receipt.replace("-", "").upper()
    return hashlib.sha256(f"linli-receipt:{normalized}".encode()).hexdigest()


def stored_hash(topic: Topic, receipt: str) -> str:
    """What the ballot stores as `receipt_hash` while voting is open: the keyed index, not the digest."""
    return sealing.receipt_index(topic.id, digest(receipt))


# --- receipts -------------------------------------------------------------------------------------

def test_a_new_receipt_comes_with_the_digest_its_holder_will_type():
    for _ in range(50):
        receipt, its_digest = ballots.new_receipt()
        assert its_digest == ballots.receipt_hash(receipt) == ballots.receipt_hash(receipt.lower()) == digest(receipt)


def test_a_receipt_confirms_the_ballot_to_its_holder(client):
    world, topic, cast_log = voted_topic(client)
    voter, receipt, chosen = cast_log[0]
    assert re.fullmatch(r"([0-9A-Z]{5}-){4}[0-9A-Z]{5}", receipt)
    assert len({r for _, r, _ in cast_log}) == VOTERS
    url = f"/api/v1/topics/{topic.id}/receipts/"
    checked = client.get(url + receipt, headers=headers(voter)).json
    assert checked["counted"] is True and checked["final"] is False
    assert checked["choices"] == [{"id": chosen[0], "label": "东侧"}] and checked["receipt_hash"] == digest(receipt)
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
    assert after["final"] is True and after["chain_hash"] and after["choices"] == checked["choices"]


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
    assert all(mine[digest(receipt)] == chosen for _, receipt, chosen in cast_log)
    assert sum(o["count"] for o in results["options"]) == VOTERS
    # Stored plain after the close: what the chain covers is what the table holds.
    stored = dict(db.session.execute(sa.select(Ballot.receipt_hash, Ballot.choices)
                                     .where(Ballot.topic_id == topic.id)).all())
    assert stored == {entry["receipt_hash"]: ",".join(map(str, entry["option_ids"])) for entry in published}


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
    # While voting, every stored choice is sealed: no option id in sight, and ten identical votes
    # per option give thirty different values.
    assert all(SEALED.fullmatch(b.choices) for b in stored) and len({b.choices for b in stored}) == VOTERS

    # Keys are random: in the order the ballots were cast they are not sorted, nor close to each other.
    key_of = {b.receipt_hash: b.key for b in stored}
    cast_order = [key_of[stored_hash(topic, receipt)] for _, receipt, _ in cast_log]
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


def test_system_columns_pair_voters_only_with_sealed_ballots_on_postgresql(client):
    """PostgreSQL records the writing transaction (`xmin`) and heap position (`ctid`) of every row. While
    voting is open they pair each voter with their ballot, which is sealed; the close rewrites the
    ballots, plain and under fresh keys, in key order, so afterwards neither lines up with `voters` any more."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("xmin and ctid are PostgreSQL system columns")
    world, topic, cast_log = voted_topic(client, pairs=True)
    plain_lists = {",".join(map(str, chosen)) for _, _, chosen in cast_log}

    # What someone with the database alone gets by joining on the casting transaction: a name beside noise.
    paired = db.session.execute(sa.text(
        "SELECT v.user_id, b.choices FROM voters v JOIN ballots b ON b.xmin::text = v.xmin::text"
        " WHERE v.topic_id = :t AND b.topic_id = :t"), {"t": topic.id}).all()
    assert sorted(user for user, _ in paired) == sorted(person.id for person, _, _ in cast_log)  # the gap is real
    for _, stored in paired:
        assert SEALED.fullmatch(stored) and not PLAIN.fullmatch(stored)
        assert not any(plain in stored or plain.encode() in base64.urlsafe_b64decode(stored[3:])
                       for plain in plain_lists)
    # Identical votes are stored differently: nothing groups the ballots by what they say.
    assert len({stored for _, stored in paired}) == VOTERS > len(plain_lists)

    before = dict(db.session.execute(sa.text("SELECT key, xmin::text FROM ballots WHERE topic_id = :t"),
                                     {"t": topic.id}).all())
    voter_xmins = {x for (x,) in db.session.execute(sa.text("SELECT xmin::text FROM voters WHERE topic_id = :t"),
                                                    {"t": topic.id})}
    assert set(before.values()) == voter_xmins
    close(topic)
    after = db.session.execute(sa.text("SELECT key, xmin::text, choices FROM ballots WHERE topic_id = :t"
                                       " ORDER BY ctid"), {"t": topic.id}).all()
    assert len({x for _, x, _ in after}) == 1 and not {x for _, x, _ in after} & voter_xmins
    keys_after = [k for k, _, _ in after]
    assert keys_after == sorted(keys_after) and not set(keys_after) & set(before)  # fresh keys, heap in key order
    assert all(PLAIN.fullmatch(choices) for _, _, choices in after)  # plain, as the published chain covers them
    poll = db.session.get(Poll, topic.id)
    assert ballots.verify_chain(topic.id) == (VOTERS, poll.chain_hash, True)
    assert {o.id: o.votes for o in poll.options} == Counter(i for _, _, chosen in cast_log for i in chosen)


def test_a_copy_taken_during_voting_and_everything_published_link_nobody(client):
    """Someone copies `voters` and `ballots` while voting is open (on PostgreSQL with `xmin`, which pairs
    each voter with their ballot row) and later reads everything published. The copied ballot rows
    share no value (key, receipt hash, stored choices) with what is published or stored after the
    close, so the pairing leads to no published ballot."""
    world, topic, cast_log = voted_topic(client, pairs=True)
    on_postgresql = db.engine.dialect.name == "postgresql"
    with_xmin = ", xmin::text AS xmin" if on_postgresql else ""
    copy = {table: db.session.execute(sa.text(f"SELECT *{with_xmin} FROM {table} WHERE topic_id = :t"),
                                      {"t": topic.id}).mappings().all() for table in ("voters", "ballots")}
    assert len(copy["voters"]) == len(copy["ballots"]) == VOTERS
    if on_postgresql:  # the copy does pair every voter with a ballot row
        paired = {v["user_id"]: b for v in copy["voters"] for b in copy["ballots"] if b["xmin"] == v["xmin"]}
        assert sorted(paired) == sorted(person.id for person, _, _ in cast_log)
    copied = {str(b[column]) for b in copy["ballots"] for column in ("key", "receipt_hash", "choices")}
    assert len(copied) == 3 * VOTERS
    assert not copied & {digest(receipt) for _, receipt, _ in cast_log}  # no published receipt hash in the copy
    voter, receipt, chosen = cast_log[0]
    during = client.get(f"/api/v1/topics/{topic.id}/receipts/{receipt}", headers=headers(voter))
    assert during.status_code == 200 and [c["id"] for c in during.json["choices"]] == chosen

    close(topic)
    results = client.get(f"/api/v1/topics/{topic.id}/results", headers=headers(voter))
    pages = [client.get(f"/api/v1/topics/{topic.id}/ballots?page={page}&page_size=20", headers=headers(voter))
             for page in (1, 2)]
    checks = [client.get(f"/api/v1/topics/{topic.id}/receipts/{receipt}", headers=headers(person))
              for person, receipt, _ in cast_log]
    published = [entry for page in pages for entry in page.json]
    assert len(published) == VOTERS and results.json["ballots_counted"] == VOTERS
    # Nothing published carries a value of the copy: joining the copy with the list links nobody.
    for response in (results, *pages, *checks):
        assert response.status_code == 200
        assert not [value for value in copied if value in response.get_data(as_text=True)]
    # Nor does anything stored from now on: fresh keys, real receipt hashes, plain choices.
    after = db.session.execute(sa.select(Ballot.key, Ballot.receipt_hash, Ballot.choices)
                               .where(Ballot.topic_id == topic.id)).all()
    assert not copied & {str(value) for row in after for value in row}
    assert all(PLAIN.fullmatch(choices) for _, _, choices in after)
    # Each voter still finds their ballot by their receipt, and the chain verifies.
    assert {entry["receipt_hash"] for entry in published} == {digest(receipt) for _, receipt, _ in cast_log}
    assert [[c["id"] for c in check.json["choices"]] for check in checks] == [chosen for _, _, chosen in cast_log]
    assert all(check.json["final"] and check.json["receipt_hash"] == digest(receipt)
               for check, (_, receipt, _) in zip(checks, cast_log))
    assert ballots.verify_chain(topic.id) == (VOTERS, results.json["chain_hash"], True)


def test_the_close_draws_again_a_key_that_is_taken(client, monkeypatch):
    """A fresh key equal to one the ballot had while voting, or to another topic's ballot's, is drawn again."""
    world, topic, cast_log = voted_topic(client)
    elsewhere = make_topic(world, phase="voting", title="另一个议题")
    assert cast(client, cast_log[0][0], elsewhere, [options(elsewhere)[0]]).status_code == 201
    old_keys = set(db.session.scalars(sa.select(Ballot.key).where(Ballot.topic_id == topic.id)))
    taken = db.session.scalar(sa.select(Ballot.key).where(Ballot.topic_id == elsewhere.id))
    draw = ballots.secrets.randbits
    first = iter([min(old_keys), taken])
    monkeypatch.setattr(ballots.secrets, "randbits", lambda bits: next(first, None) or draw(bits))
    close(topic)
    keys = set(db.session.scalars(sa.select(Ballot.key).where(Ballot.topic_id == topic.id)))
    assert len(keys) == VOTERS and not keys & (old_keys | {taken})
    assert db.session.scalar(sa.select(Ballot.topic_id).where(Ballot.key == taken)) == elsewhere.id
    assert ballots.verify_chain(topic.id) == (VOTERS, db.session.get(Poll, topic.id).chain_hash, True)


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


# --- sealed ballots: what does not open is never counted -----------------------------------------

def close_state(topic_id: int) -> tuple:
    """Everything a close would change: the phase, the result, and every stored ballot."""
    db.session.expire_all()
    topic = db.session.get(Topic, topic_id)
    stored = db.session.execute(sa.select(Ballot.key, Ballot.topic_id, Ballot.choices, Ballot.chain_hash)
                                .where(Ballot.topic_id == topic_id).order_by(Ballot.key)).all()
    return (topic.phase, topic.closed_at, topic.poll.tallied_at, topic.poll.chain_hash,
            [o.votes for o in topic.poll.options], stored)


@pytest.mark.parametrize("tampering", ["altered", "swapped", "moved_from_another_topic", "written_plain"])
def test_a_ballot_that_does_not_open_stops_the_close_and_changes_nothing(client, caplog, tampering):
    world, topic, cast_log = voted_topic(client)
    chosen_by = {stored_hash(topic, receipt): chosen for _, receipt, chosen in cast_log}
    stored = db.session.execute(sa.select(Ballot.key, Ballot.receipt_hash, Ballot.choices)
                                .where(Ballot.topic_id == topic.id).order_by(Ballot.key)).all()
    victim = stored[0]
    change = {}
    if tampering == "altered":  # one bit of the ciphertext
        raw = bytearray(base64.urlsafe_b64decode(victim.choices[3:]))
        raw[-1] ^= 1
        change = {"choices": "v1:" + base64.urlsafe_b64encode(bytes(raw)).decode()}
    elif tampering == "swapped":  # another voter's sealed ballot, which chose something else
        change = {"choices": next(b.choices for b in stored
                                  if chosen_by[b.receipt_hash] != chosen_by[victim.receipt_hash])}
    elif tampering == "written_plain":  # a readable vote slipped in by someone with the database
        change = {"choices": str(options(topic)[1])}
    if change:
        db.session.execute(sa.update(Ballot).where(Ballot.key == victim.key).values(**change))
    else:  # a whole ballot of another topic, receipt hash and all, moved into this one
        elsewhere = make_topic(world, phase="voting", title="另一个议题")
        assert cast(client, cast_log[0][0], elsewhere, [options(elsewhere)[0]]).status_code == 201
        db.session.execute(sa.update(Ballot).where(Ballot.topic_id == elsewhere.id).values(topic_id=topic.id))
    db.session.commit()
    pass_closing_time(topic)
    before = close_state(topic.id)
    assert before[0] == "voting"

    with caplog.at_level(logging.INFO):
        with pytest.raises(SealBroken):
            ballots.close_voting(topic.id)
        assert close_state(topic.id) == before
        refused = client.post(f"/api/v1/topics/{topic.id}/close", headers=headers(world.committee))
        results = client.get(f"/api/v1/topics/{topic.id}/results", headers=headers(world.committee))
        assert ballots.sweep_due() == 0
    for response in (refused, results):
        assert (response.status_code, response.json["reason"]) == (503, "ballot_seal_broken")
        assert "计票已暂停" in response.json["message"]
    assert close_state(topic.id) == before

    # The operator sees which topic, and nothing that would point at a ballot.
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any(f"topic {topic.id}:" in r.getMessage() and "close is refused" in r.getMessage() for r in logged)
    secrets_of_ballots = {b.receipt_hash for b in stored} | {str(b.key) for b in stored} | {b.choices for b in stored}
    for record in logged:
        text = record.getMessage() + (logging.Formatter().formatException(record.exc_info) if record.exc_info else "")
        assert not [s for s in secrets_of_ballots if s in text]

    # Put right, the same close counts every ballot.
    if change:
        db.session.execute(sa.update(Ballot).where(Ballot.key == victim.key).values(choices=victim.choices))
    else:
        db.session.execute(sa.update(Ballot).where(Ballot.topic_id == topic.id, Ballot.receipt_hash.not_in(
            list(chosen_by))).values(topic_id=elsewhere.id))
    db.session.commit()
    close(topic)
    final = client.get(f"/api/v1/topics/{topic.id}/results", headers=headers(world.committee)).json
    assert final["ballots_counted"] == VOTERS and [o["count"] for o in final["options"]] == [VOTERS // 3] * 3


SEAL_KEY = "a-ballot-seal-key-of-forty-random-characters"
OTHER_SEAL_KEY = "another-ballot-seal-key-of-forty-characters"
OTHER_SECRET = "another-secret-that-is-long-enough-for-hs256-signing"


@pytest.mark.parametrize("sealed_with, opened_with, opens", [
    ({}, {"SECRET_KEY": OTHER_SECRET}, False),                  # derived from SECRET_KEY, which changed
    ({"BALLOT_SEAL_KEY": SEAL_KEY}, {"BALLOT_SEAL_KEY": OTHER_SEAL_KEY}, False),
    ({"BALLOT_SEAL_KEY": SEAL_KEY}, {}, False),                 # the setting dropped: derived from SECRET_KEY
    ({"BALLOT_SEAL_KEY": SEAL_KEY}, {"BALLOT_SEAL_KEY": SEAL_KEY, "SECRET_KEY": OTHER_SECRET}, True),
])
def test_only_the_key_that_sealed_a_ballot_opens_it(make_app, sealed_with, opened_with, opens):
    casting = make_app(**sealed_with)
    with casting.app_context():
        world, topic, cast_log = voted_topic(casting.test_client())
        topic_id, (voter, receipt, chosen) = topic.id, cast_log[0]
        voter_id, expected = voter.id, Counter(i for _, _, ids in cast_log for i in ids)
        pass_closing_time(topic)

    reopened = make_app(**opened_with)
    with reopened.app_context():
        check = reopened.test_client().get(f"/api/v1/topics/{topic_id}/receipts/{receipt}",
                                           headers=headers(db.session.get(User, voter_id)))
        if opens:
            assert check.status_code == 200 and [c["id"] for c in check.json["choices"]] == chosen
            assert ballots.close_voting(topic_id)
            db.session.commit()
        else:
            assert (check.status_code, check.json["reason"]) == (503, "ballot_seal_broken")
            before = close_state(topic_id)
            with pytest.raises(SealBroken):
                ballots.close_voting(topic_id)
            assert close_state(topic_id) == before and before[0] == "voting"

    if not opens:  # the key that sealed them is back: the close goes through
        with make_app(**sealed_with).app_context():
            assert ballots.close_voting(topic_id)
            db.session.commit()
    with make_app(**sealed_with).app_context():
        poll = db.session.get(Poll, topic_id)
        assert {o.id: o.votes for o in poll.options} == expected and poll.cast_count == VOTERS
        assert ballots.verify_chain(topic_id) == (VOTERS, poll.chain_hash, True)


def test_production_refuses_a_weak_ballot_seal_key():
    safe = {"LINLI_ENV": "production", "SECRET_KEY": "x" * 40, "DEV_LOGIN": "0", "WECHAT_APPID": "wx1",
            "WECHAT_SECRET": "s", "PUBLIC_BASE_URL": "https://linli.example.org"}
    check(from_environment(safe))  # unset: derived from SECRET_KEY
    check(from_environment({**safe, "BALLOT_SEAL_KEY": SEAL_KEY}))
    for weak in ("short-seal-key", DEFAULT_SECRET):
        with pytest.raises(ConfigError, match="BALLOT_SEAL_KEY"):
            check(from_environment({**safe, "BALLOT_SEAL_KEY": weak}))
