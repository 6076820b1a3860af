"""Alembic environment: the target is the app's metadata; batch mode so SQLite can alter tables."""
from __future__ import annotations

from logging.config import fileConfig

from alembic import context

from backend.app import create_app
from backend.extensions import db
from backend.models import load_all_models

config = context.config
if config.config_file_name is not None and not config.attributes.get("skip_logging"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

load_all_models()
target_metadata = db.metadata


def _url_and_engine():
    connection = config.attributes.get("connection")
    if connection is not None:
        return connection, None
    app = create_app(config.attributes.get("app_config"))
    with app.app_context():
        return None, db.engine


def run_migrations_offline() -> None:
    app = create_app(config.attributes.get("app_config"))
    context.configure(url=app.config["SQLALCHEMY_DATABASE_URI"], target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def _run_with(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection, engine = _url_and_engine()
    if connection is not None:
        _run_with(connection)
        return
    with engine.connect() as connection:
        _run_with(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
