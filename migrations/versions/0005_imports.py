"""imports: preview version and who is importing (datasets), mode and undo (dataset_imports), what each import changed

Revision ID: 0005
Revises: 0002 (0003 and 0004 are being written in parallel; the chain is set when they are merged)
Create Date: 2026-12-04 17:23:58.509947
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dataset_import_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['import_id'], ['dataset_imports.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['record_id'], ['agency_records.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('dataset_import_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dataset_import_changes_import_id'), ['import_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dataset_import_changes_record_id'), ['record_id'], unique=False)

    # Imports made before this revision replaced the whole dataset; they cannot be undone (nothing recorded
    # what they changed), which `previous` = {} and no change rows say.
    with op.batch_alter_table('dataset_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mode', sa.String(length=10), nullable=False, server_default='replace'))
        batch_op.add_column(sa.Column('previous', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('undone_by_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_dataset_imports_undone_by_id'), ['undone_by_id'], unique=False)
        batch_op.create_foreign_key('fk_dataset_imports_undone_by_id', 'users', ['undone_by_id'], ['id'])

    with op.batch_alter_table('datasets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('import_claim', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('importing_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('importing_file', sa.String(length=260), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('importing_since', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_datasets_importing_by_id'), ['importing_by_id'], unique=False)
        batch_op.create_foreign_key('fk_datasets_importing_by_id', 'users', ['importing_by_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('datasets', schema=None) as batch_op:
        batch_op.drop_constraint('fk_datasets_importing_by_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_datasets_importing_by_id'))
        batch_op.drop_column('importing_since')
        batch_op.drop_column('importing_file')
        batch_op.drop_column('importing_by_id')
        batch_op.drop_column('import_claim')
        batch_op.drop_column('version')

    with op.batch_alter_table('dataset_imports', schema=None) as batch_op:
        batch_op.drop_constraint('fk_dataset_imports_undone_by_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_dataset_imports_undone_by_id'))
        batch_op.drop_column('undone_by_id')
        batch_op.drop_column('undone_at')
        batch_op.drop_column('previous')
        batch_op.drop_column('mode')

    with op.batch_alter_table('dataset_import_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dataset_import_changes_record_id'))
        batch_op.drop_index(batch_op.f('ix_dataset_import_changes_import_id'))

    op.drop_table('dataset_import_changes')
