"""The feature packages that make up the app, in registration order.

Each is `backend/<name>/` with a `routes.py` exposing `blp`, and optionally `models.py` and
`policies.py` (its policy functions, registered in the one registry of `backend.core.policies`).
Adding a feature is one line here.
"""
from __future__ import annotations

import importlib
import importlib.util

FEATURES = (
    "system",
    "accounts",
    "grids",
    "media",
    "notifications",
    "deliberations",
    "cases",
    "volunteering",
)


def feature_modules(kind: str) -> list:
    """Import `backend.<feature>.<kind>` for every feature that has one."""
    modules = []
    for feature in FEATURES:
        name = f"backend.{feature}.{kind}"
        if importlib.util.find_spec(name) is not None:
            modules.append(importlib.import_module(name))
    return modules
