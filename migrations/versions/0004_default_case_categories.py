"""default case categories

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    # The catalogue residents choose from must exist in every database, not only in the demo.
    from backend.cases.catalogue import ensure_default_categories

    ensure_default_categories(op.get_bind())


def downgrade():
    pass  # categories may already be referenced by cases; leave them
