"""photo screening

Photos attached to topics wait for WeChat's asynchronous image check (mediaCheckAsync v2): a
screening status and the check's trace id on each photo. Existing photos were shown already: `pass`.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("media_files", schema=None) as batch_op:
        batch_op.add_column(sa.Column("screening", sa.String(length=16), server_default="pass", nullable=False))
        batch_op.add_column(sa.Column("screening_trace_id", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_media_files_screening_trace_id"), ["screening_trace_id"])
        batch_op.create_check_constraint(batch_op.f("ck_media_files_screening"),
                                         "screening IN ('pass', 'pending', 'review', 'risky')")


def downgrade():
    with op.batch_alter_table("media_files", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_media_files_screening"), type_="check")
        batch_op.drop_constraint(batch_op.f("uq_media_files_screening_trace_id"), type_="unique")
        batch_op.drop_column("screening_trace_id")
        batch_op.drop_column("screening")
