"""decision scores: the matcher's score of a pair when a person decided it (how often each band was right)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 08:00:00.000000

Decisions recorded before this revision, and splits and merges, have no score and do not count.
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('match_decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('score', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('match_decisions', schema=None) as batch_op:
        batch_op.drop_column('score')
