"""The Alembic migrations build the same schema as the models (`alembic check` in the suite)."""
from __future__ import annotations

import uuid

import sqlalchemy as sa

from backend.app import create_app
from backend.extensions import db
from backend.migrate import pending_model_changes, upgrade_database
from tests.conftest import base_config


def test_migrations_match_the_models(database_url, tmp_path):
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "postgresql":
        name = f"linli_migrations_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        target = url.set(database=name).render_as_string(hide_password=False)
    else:
        admin, name, target = None, None, f"sqlite:///{tmp_path / 'migrated.db'}"
    try:
        app = create_app(base_config(target, MEDIA_ROOT=str(tmp_path / "media")))
        with app.app_context():
            upgrade_database()
            assert pending_model_changes() == []
            upgrade_database()  # running it again is a no-op
            db.engine.dispose()
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
