"""birth dates; shift revisions

Users may give a birth date (shifts with a minimum age need it). A shift counts the changes of its
time or place, so reminders planned for an earlier time are recognised and each change is announced once.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("birth_date", sa.Date(), nullable=True))

    with op.batch_alter_table("volunteer_shifts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default=sa.text("0"), nullable=False))


def downgrade():
    with op.batch_alter_table("volunteer_shifts", schema=None) as batch_op:
        batch_op.drop_column("revision")

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("birth_date")
