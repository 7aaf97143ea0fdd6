"""Every record an event: event.people / event.backdated, prevention occurred_at and withdrawal,
policy keys max_backdate_days / max_prevention_people; events for the existing sessions and
prevention records

Revision ID: 0008_trail
Revises: 0006_prepared_message
Create Date: 2026-12-02 00:45:00.000000

The statistics count prevention records from their `record_prevention` events from now on, so the
records kept before get theirs here (dated when they were recorded, with the org they were
recorded for), as do the sessions (dated when they were held).
"""
import sqlalchemy as sa
from alembic import op

revision = '0008_trail'
down_revision = '0006_prepared_message'
branch_labels = None
depends_on = None


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('people', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('backdated', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('backdate_reason', sa.Text(), nullable=True))
        batch_op.create_index('ix_event_backdated_occurred', ['backdated', 'occurred_at'], unique=False)
    with op.batch_alter_table('prevention_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('withdrawal_reason', sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_prevention_record_withdrawn_by_id_user_account'), 'user_account',
                                    ['withdrawn_by_id'], ['id'])
    op.execute("UPDATE prevention_record SET occurred_at = recorded_at")
    with op.batch_alter_table('prevention_record', schema=None) as batch_op:
        batch_op.alter_column('occurred_at', existing_type=sa.DateTime(timezone=True), nullable=False)
    with op.batch_alter_table('org_policy', schema=None) as batch_op:
        batch_op.add_column(sa.Column('max_backdate_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('max_prevention_people', sa.Integer(), nullable=True))

    obj = "json_build_object" if postgres else "json_object"
    op.execute(f"""
        INSERT INTO event (dispute_id, trigger, from_state, to_state, actor_id, committee_id, org_id, occurred_at,
                           recorded_at, result, people, backdated, payload)
        SELECT p.dispute_id, 'record_prevention', d.state, d.state, p.recorded_by_id, d.committee_id, p.org_id,
               p.occurred_at, p.recorded_at, p.kind, p.people, {'false' if postgres else '0'},
               {obj}('kind', p.kind, 'people', p.people)
        FROM prevention_record p JOIN dispute d ON d.id = p.dispute_id""")
    op.execute(f"""
        INSERT INTO event (dispute_id, trigger, from_state, to_state, actor_id, committee_id, org_id, occurred_at,
                           recorded_at, backdated, payload)
        SELECT s.dispute_id, 'record_session', d.state, d.state, s.recorded_by_id, d.committee_id, c.org_id,
               s.held_at, s.recorded_at, {'false' if postgres else '0'},
               {obj}('mode', s.mode)
        FROM mediation_session s JOIN dispute d ON d.id = s.dispute_id JOIN committee c ON c.id = d.committee_id""")


def downgrade():
    op.execute("DELETE FROM event WHERE trigger IN ('record_session', 'record_prevention', 'withdraw_prevention')")
    with op.batch_alter_table('org_policy', schema=None) as batch_op:
        batch_op.drop_column('max_prevention_people')
        batch_op.drop_column('max_backdate_days')
    with op.batch_alter_table('prevention_record', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_prevention_record_withdrawn_by_id_user_account'), type_='foreignkey')
        batch_op.drop_column('withdrawal_reason')
        batch_op.drop_column('withdrawn_by_id')
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('occurred_at')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index('ix_event_backdated_occurred')
        batch_op.drop_column('backdate_reason')
        batch_op.drop_column('backdated')
        batch_op.drop_column('people')
