"""Import every model module so the metadata is complete (Alembic, create_all, tests)."""
from __future__ import annotations

import importlib

MODEL_MODULES = (
    "backend.core.models",
    "backend.accounts.models",
    "backend.grids.models",
    "backend.media.models",
)


def load_all_models() -> None:
    """Import the model modules."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
