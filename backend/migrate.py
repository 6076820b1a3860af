"""Run Alembic from Python: upgrade to head, and compare models with migrations."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from backend.extensions import db
from backend.models import load_all_models

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(connection=None) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["skip_logging"] = True
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_database() -> None:
    """Apply every migration to the app's database (inside an app context)."""
    with db.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")


def pending_model_changes() -> list:
    """Differences between the models and the migrated database (empty when they agree)."""
    load_all_models()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "render_as_batch": True})
        return compare_metadata(context, db.metadata)
