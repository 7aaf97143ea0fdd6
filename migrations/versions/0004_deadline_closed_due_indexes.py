"""deadline (met_at, due_at) / (cancelled_at, due_at) indexes replace the single-column ones

Revision ID: 8d41f0c2e6a7
Revises: 5c3e1a7d9b20
Create Date: 2026-11-23 10:30:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '8d41f0c2e6a7'
down_revision = '5c3e1a7d9b20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.create_index('ix_deadline_met_due', ['met_at', 'due_at'], unique=False)
        batch_op.create_index('ix_deadline_cancelled_due', ['cancelled_at', 'due_at'], unique=False)
        batch_op.drop_index('ix_deadline_met_at')
        batch_op.drop_index('ix_deadline_cancelled_at')


def downgrade():
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.create_index('ix_deadline_cancelled_at', ['cancelled_at'], unique=False)
        batch_op.create_index('ix_deadline_met_at', ['met_at'], unique=False)
        batch_op.drop_index('ix_deadline_cancelled_due')
        batch_op.drop_index('ix_deadline_met_due')
