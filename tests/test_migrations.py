"""The Alembic migrations build the same schema as the models (`alembic check` in the suite)."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from alembic import command

from backend.app import create_app
from backend.extensions import db
from backend.migrate import alembic_config, pending_model_changes, upgrade_database
from tests.conftest import base_config


@pytest.fixture
def empty_database(database_url, tmp_path):
    """An app on a new, empty database (PostgreSQL or SQLite, as the suite runs), for migrating step by step."""
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "postgresql":
        name = f"linli_migrations_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        target = url.set(database=name).render_as_string(hide_password=False)
    else:
        admin, name, target = None, None, f"sqlite:///{tmp_path / 'migrated.db'}"
    app = create_app(base_config(target, MEDIA_ROOT=str(tmp_path / "media")))
    try:
        with app.app_context():
            yield app
            db.engine.dispose()
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def test_migrations_match_the_models(empty_database):
    upgrade_database()
    assert pending_model_changes() == []
    upgrade_database()  # running it again is a no-op


def migrate_to(revision: str) -> None:
    with db.engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def test_sealed_ballots_migration_refuses_while_a_vote_is_open(empty_database):
    migrate_to("0005")
    now = datetime.now(timezone.utc)
    with db.engine.begin() as conn:  # a topic in voting with one ballot stored plain, as before 0006
        for statement in (
                "INSERT INTO districts (id, code, name) VALUES (1, '320506', '吴中区')",
                "INSERT INTO streets (id, district_id, code, name) VALUES (1, 1, '320506-001', '长桥街道')",
                "INSERT INTO communities (id, street_id, code, name) VALUES (1, 1, '320506-001-001', '长桥社区')",
                "INSERT INTO topics (id, community_id, origin, title, body, phase, screening, scoped,"
                " rejection_reason, support_count, response, created_at)"
                " VALUES (1, 1, 'committee', '车棚', '车棚选址', 'voting', 'pass', :no, '', 0, '', :now)",
                "INSERT INTO polls (topic_id, ballot_type, max_choices, per, quorum_percent, pass_rule, hide_counts)"
                " VALUES (1, 'yes_no_abstain', 1, 'person', 0, 'majority_cast', :no)",
                "INSERT INTO ballots (key, topic_id, choices, receipt_hash) VALUES (12345, 1, '7', :digest)"):
            conn.execute(sa.text(statement), {"no": False, "now": now, "digest": "ab" * 32})

    with pytest.raises(RuntimeError, match="Close or wait for every open vote"):
        migrate_to("0006")
    assert db.session.scalar(sa.text("SELECT version_num FROM alembic_version")) == "0005"
    db.session.remove()

    with db.engine.begin() as conn:  # the vote was tallied under the old code: nothing is open any more
        conn.execute(sa.text("UPDATE polls SET tallied_at = :now"), {"now": now})
    migrate_to("0006")
    assert db.session.scalar(sa.text("SELECT version_num FROM alembic_version")) == "0006"
    assert db.session.scalar(sa.text("SELECT choices FROM ballots")) == "7"
    db.session.remove()
