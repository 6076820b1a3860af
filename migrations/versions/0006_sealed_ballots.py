"""sealed ballots

A ballot's choices are stored sealed while voting is open ("v1:" + base64url of nonce, ciphertext and
tag; see backend/deliberations/sealing.py), longer than the plain option ids: the column widens.
Downgrade only when no vote is open: a sealed value does not fit the narrower column.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ballots", schema=None) as batch_op:
        batch_op.alter_column("choices", existing_type=sa.String(length=200), type_=sa.String(length=400),
                              existing_nullable=False)


def downgrade():
    with op.batch_alter_table("ballots", schema=None) as batch_op:
        batch_op.alter_column("choices", existing_type=sa.String(length=400), type_=sa.String(length=200),
                              existing_nullable=False)
