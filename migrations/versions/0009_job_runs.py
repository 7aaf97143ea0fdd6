"""job_run: one row per run of the reminder scan and the weekly reports; notification kind
`job_failed` (administrators hear of a periodic job that failed twice in a row); an index for the
time of the last email delivery (/healthz)

Revision ID: 0009_job_runs
Revises: 0006_data_protection
Create Date: 2026-12-02 01:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0009_job_runs'
down_revision = '0006_data_protection'
branch_labels = None
depends_on = None

OLD_KINDS = ('due_soon', 'overdue', 'supervisor_overdue', 'risk_alert', 'weekly_report')
NEW_KINDS = OLD_KINDS + ('job_failed',)


def _kinds(kinds) -> str:
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def upgrade():
    op.create_table(
        'job_run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job', sa.String(length=32), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('counts', sa.JSON(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.CheckConstraint("job IN ('reminder_scan', 'weekly_reports')", name=op.f('ck_job_run_job')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job_run')),
    )
    op.create_index('ix_job_run_job_started_at', 'job_run', ['job', 'started_at'], unique=False)
    with op.batch_alter_table('notification') as batch:
        batch.drop_constraint(op.f('ck_notification_kind'), type_='check')
        batch.create_check_constraint(op.f('ck_notification_kind'), _kinds(NEW_KINDS))
        batch.create_index('ix_notification_channel_sent_at', ['channel', 'sent_at'], unique=False)


def downgrade():
    op.execute("DELETE FROM notification WHERE kind = 'job_failed'")
    with op.batch_alter_table('notification') as batch:
        batch.drop_index('ix_notification_channel_sent_at')
        batch.drop_constraint(op.f('ck_notification_kind'), type_='check')
        batch.create_check_constraint(op.f('ck_notification_kind'), _kinds(OLD_KINDS))
    op.drop_index('ix_job_run_job_started_at', table_name='job_run')
    op.drop_table('job_run')
