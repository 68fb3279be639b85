"""sites: the building or plot each business is at (shared by the flats above a shop, units at one number)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 22:00:00.000000

Businesses matched before this revision have no site until the next matching run (an import, or "Apply
decisions now"); until then each is shown as a site of its own.
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('businesses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('site_key', sa.String(length=16), nullable=False, server_default=''))
        batch_op.create_index(batch_op.f('ix_businesses_site_key'), ['site_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('businesses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_businesses_site_key'))
        batch_op.drop_column('site_key')
