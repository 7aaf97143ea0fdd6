"""prepared_message: e-mails rendered when they are queued, sent later as they are

Revision ID: 0006_prepared_message
Revises: 0005_policy_null
Create Date: 2026-12-02 01:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = '0006_prepared_message'
down_revision = '0005_policy_null'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('prepared_message',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('key', sa.String(length=255), nullable=False),
                    sa.Column('mime', sa.LargeBinary(), nullable=False),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_prepared_message')),
                    sa.UniqueConstraint('key', name=op.f('uq_prepared_message_key')))


def downgrade():
    op.drop_table('prepared_message')
