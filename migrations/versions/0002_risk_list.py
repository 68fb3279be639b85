"""risk list: business links, match reviews, merged businesses, dataset staleness

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 07:18:09.128456
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('business_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('business_a_id', sa.Integer(), nullable=False),
    sa.Column('business_b_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['business_a_id'], ['businesses.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['business_b_id'], ['businesses.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('business_a_id', 'business_b_id', 'kind')
    )
    with op.batch_alter_table('business_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_business_links_business_a_id'), ['business_a_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_business_links_business_b_id'), ['business_b_id'], unique=False)

    op.create_table('match_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('a_dataset_id', sa.Integer(), nullable=False),
    sa.Column('a_reference', sa.String(length=80), nullable=False),
    sa.Column('b_dataset_id', sa.Integer(), nullable=False),
    sa.Column('b_reference', sa.String(length=80), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['a_dataset_id'], ['datasets.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['b_dataset_id'], ['datasets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('a_dataset_id', 'a_reference', 'b_dataset_id', 'b_reference')
    )
    with op.batch_alter_table('match_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_match_reviews_a_dataset_id'), ['a_dataset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_match_reviews_b_dataset_id'), ['b_dataset_id'], unique=False)

    with op.batch_alter_table('businesses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('matched_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_businesses_merged_into_id'), ['merged_into_id'], unique=False)
        batch_op.create_foreign_key('fk_businesses_merged_into_id', 'businesses', ['merged_into_id'], ['id'])

    with op.batch_alter_table('datasets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stale_after_days', sa.Integer(), nullable=False, server_default='90'))



def downgrade() -> None:
    with op.batch_alter_table('datasets', schema=None) as batch_op:
        batch_op.drop_column('stale_after_days')

    with op.batch_alter_table('businesses', schema=None) as batch_op:
        batch_op.drop_constraint('fk_businesses_merged_into_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_businesses_merged_into_id'))
        batch_op.drop_column('matched_at')
        batch_op.drop_column('active')
        batch_op.drop_column('merged_into_id')

    with op.batch_alter_table('match_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_match_reviews_b_dataset_id'))
        batch_op.drop_index(batch_op.f('ix_match_reviews_a_dataset_id'))

    op.drop_table('match_reviews')
    with op.batch_alter_table('business_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_business_links_business_b_id'))
        batch_op.drop_index(batch_op.f('ix_business_links_business_a_id'))

    op.drop_table('business_links')
