"""concurrency: one feedback per referral recipient; outcome versions and who saved them

Revision ID: 0006
Revises: 0002
Create Date: 2026-12-02 09:00:00.000000

Existing duplicates: before this revision two analysts sending feedback at the same moment could both be stored.
The first (lowest id) stays the referral's feedback; every later one is kept, word for word, as a message on the
referral from its author at its time (nothing anyone wrote is lost), then removed from `feedback`. One audit event
says how many were moved. Outcome rows already recorded start at version 1; their author is not known (NULL).
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

from core.store.chain import link_hash, lock_tail


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_LATER_DUPLICATE = "EXISTS (SELECT 1 FROM feedback AS earlier WHERE earlier.recipient_id = {t}.recipient_id AND earlier.id < {t}.id)"


def _keep_first_feedback() -> None:
    bind = op.get_bind()
    moved = bind.execute(sa.text(f"SELECT count(*) FROM feedback WHERE {_LATER_DUPLICATE.format(t='feedback')}")).scalar()
    if not moved:
        return
    bind.execute(sa.text(
        "INSERT INTO referral_messages (referral_id, author_id, created_at, body) "
        "SELECT r.referral_id, f.author_id, f.created_at, "
        "'Feedback given a second time (kept as a message: a referral has one feedback per agency): useful ' "
        "|| COALESCE(CAST(f.usefulness AS VARCHAR(2)), '?') || '/5; ' || f.outcome "
        "|| CASE WHEN f.comments <> '' THEN '; ' || f.comments ELSE '' END "
        "|| CASE WHEN f.improve <> '' THEN '; would help: ' || f.improve ELSE '' END "
        "FROM feedback AS f JOIN referral_recipients AS r ON r.id = f.recipient_id "
        f"WHERE {_LATER_DUPLICATE.format(t='f')} ORDER BY f.id"))
    bind.execute(sa.text(f"DELETE FROM feedback WHERE {_LATER_DUPLICATE.format(t='feedback')}"))
    # The audit row joins the chain (migration 0004): the next id after the tail, and the tail's hash.
    tail_id, tail_hash = lock_tail(bind)
    row = {"id": tail_id + 1, "at": datetime.now(timezone.utc), "actor_id": None, "actor_username": "system",
           "actor_agency_id": None, "action": "upgrade.feedback_once", "entity": "feedback", "entity_id": "",
           "summary": f"Upgrade 0006: {moved} repeated feedback rows kept as referral messages; "
                      "one feedback per referral from now on", "before": None, "after": None, "prev_hash": tail_hash}
    row["hash"] = link_hash(tail_hash, row)
    audit = sa.table("audit_events", *(sa.column(c) for c in row if c not in ("at", "before", "after")),
                     sa.column("at", sa.DateTime(timezone=True)), sa.column("before", sa.JSON), sa.column("after", sa.JSON))
    bind.execute(audit.insert().values(**row))


def upgrade() -> None:
    _keep_first_feedback()
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_recipient_id'))
        batch_op.create_index(batch_op.f('ix_feedback_recipient_id'), ['recipient_id'], unique=True)

    with op.batch_alter_table('visit_agencies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome_version', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('outcome_by_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_visit_agencies_outcome_by_id'), ['outcome_by_id'], unique=False)
        batch_op.create_foreign_key('fk_visit_agencies_outcome_by_id', 'users', ['outcome_by_id'], ['id'])
    op.execute("UPDATE visit_agencies SET outcome_version = 1 WHERE outcome_recorded_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('visit_agencies', schema=None) as batch_op:
        batch_op.drop_constraint('fk_visit_agencies_outcome_by_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_visit_agencies_outcome_by_id'))
        batch_op.drop_column('outcome_by_id')
        batch_op.drop_column('outcome_version')

    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_recipient_id'))
        batch_op.create_index(batch_op.f('ix_feedback_recipient_id'), ['recipient_id'], unique=False)
