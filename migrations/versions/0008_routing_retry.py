"""routing retry time

A case nobody could take records when the cases sweep routes it again, so each such case is retried
once per `ROUTING_RETRY_AFTER`, the longest due first, instead of the oldest ones on every sweep.
Cases already waiting keep no time: the sweep's backstop retries them as before, which sets one.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""
from alembic import op
import sqlalchemy as sa
import backend.core.db


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("routing_retry_at", backend.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_cases_routing_retry_at", ["routing_retry_at"], unique=False,
                              postgresql_where=sa.text("status = 'submitted'"),
                              sqlite_where=sa.text("status = 'submitted'"))


def downgrade():
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_routing_retry_at", postgresql_where=sa.text("status = 'submitted'"),
                            sqlite_where=sa.text("status = 'submitted'"))
        batch_op.drop_column("routing_retry_at")
