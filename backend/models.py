"""Import every model module so the metadata is complete (Alembic, create_all, tests)."""
from __future__ import annotations

import importlib

from backend.features import feature_modules


def load_all_models() -> None:
    """Import the shared tables and every feature's models."""
    importlib.import_module("backend.core.models")
    feature_modules("models")
