"""deadline met_at / cancelled_at indexes (statistics: deadlines still open at a period's end)

Revision ID: 5c3e1a7d9b20
Revises: ff2bcca65e6f
Create Date: 2026-11-23 09:40:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '5c3e1a7d9b20'
down_revision = 'ff2bcca65e6f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.create_index('ix_deadline_met_at', ['met_at'], unique=False)
        batch_op.create_index('ix_deadline_cancelled_at', ['cancelled_at'], unique=False)


def downgrade():
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.drop_index('ix_deadline_cancelled_at')
        batch_op.drop_index('ix_deadline_met_at')
