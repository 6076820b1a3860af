"""Extensions created once here and bound to the app in `create_app`."""
from __future__ import annotations

from backend.core.errors import LinliApi
from flask_sqlalchemy import SQLAlchemy

from backend.core.db import Base

db = SQLAlchemy(model_class=Base)
api = LinliApi()
