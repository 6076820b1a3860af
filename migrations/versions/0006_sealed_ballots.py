"""sealed ballots

While voting is open a ballot's `choices` hold its receipt digest and choices sealed ("v1:" +
base64url of nonce, ciphertext and tag; see backend/deliberations/sealing.py), longer than the plain
option ids: the column widens. Its `receipt_hash` then holds a keyed receipt index, same length.

Refuses to run while any vote is open, i.e. while any poll not yet tallied has ballots: those were
stored plain, the sealed-ballot code would refuse to open them, and their close could never count.
Close (or wait for) every open vote, then upgrade. Nothing was deployed before this revision, so a
refusal instead of converting open votes is acceptable.
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
    open_ballots = op.get_bind().scalar(sa.text(
        "SELECT count(*) FROM ballots JOIN polls ON polls.topic_id = ballots.topic_id"
        " WHERE polls.tallied_at IS NULL"))
    if open_ballots:
        raise RuntimeError(
            f"migration 0006 (sealed ballots) refused: {open_ballots} ballot(s) were cast in votes that are still "
            "open (not yet tallied). They are stored plain, and once upgraded the close would refuse to count them. "
            "Close or wait for every open vote to be tallied, then upgrade again.")
    with op.batch_alter_table("ballots", schema=None) as batch_op:
        batch_op.alter_column("choices", existing_type=sa.String(length=200), type_=sa.String(length=400),
                              existing_nullable=False)


def downgrade():
    with op.batch_alter_table("ballots", schema=None) as batch_op:
        batch_op.alter_column("choices", existing_type=sa.String(length=400), type_=sa.String(length=200),
                              existing_nullable=False)
