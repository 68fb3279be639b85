"""board deputy: a board's meetings are run by its chair or its deputy, whatever their role

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 12:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('boards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deputy_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_boards_deputy_id'), ['deputy_id'], unique=False)
        batch_op.create_foreign_key('fk_boards_deputy_id', 'users', ['deputy_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('boards', schema=None) as batch_op:
        batch_op.drop_constraint('fk_boards_deputy_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_boards_deputy_id'))
        batch_op.drop_column('deputy_id')
