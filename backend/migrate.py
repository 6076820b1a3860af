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
    """Apply every migration to the app's database (inside an app context), then (re)create the
    database functions, which are code and follow the code rather than the migrations."""
    from backend.deliberations.casting import install_cast_function

    with db.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
        install_cast_function(connection)


def pending_model_changes() -> list:
    """Differences between the models and the migrated database (empty when they agree)."""
    load_all_models()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "render_as_batch": True})
        return compare_metadata(context, db.metadata)


def main(argv: list[str] | None = None) -> None:
    """`python -m backend.migrate upgrade|check`: apply migrations, or fail if models drifted."""
    import argparse
    import sys

    from backend.app import create_app

    parser = argparse.ArgumentParser(prog="python -m backend.migrate")
    parser.add_argument("action", choices=["upgrade", "check"])
    args = parser.parse_args(argv)
    with create_app().app_context():
        if args.action == "upgrade":
            upgrade_database()
            print("database is at the latest migration")
            return
        changes = pending_model_changes()
        if changes:
            print("models and migrations disagree:", *changes, sep="\n  ")
            sys.exit(1)
        print("models and migrations agree")


if __name__ == "__main__":
    main()
