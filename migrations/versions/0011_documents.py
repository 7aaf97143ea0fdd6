"""documents: a party's sex, ethnicity and occupation (optional, for the Ministry's forms); a
session's kind (mediation or investigation), which picks its form

Revision ID: 0011_documents
Revises: 0006_prepared_message
Create Date: 2026-12-02 01:35:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = '0011_documents'
down_revision = '0006_prepared_message'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('party', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sex', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('ethnicity', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('occupation', sa.String(length=120), nullable=True))
        batch_op.create_check_constraint(op.f('ck_party_sex'), "sex IS NULL OR sex IN ('male', 'female')")
    with op.batch_alter_table('mediation_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='mediation', nullable=False))
        batch_op.create_check_constraint(op.f('ck_mediation_session_kind'),
                                         "kind IN ('mediation', 'investigation')")


def downgrade():
    with op.batch_alter_table('mediation_session', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_mediation_session_kind'), type_='check')
        batch_op.drop_column('kind')
    with op.batch_alter_table('party', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_party_sex'), type_='check')
        batch_op.drop_column('occupation')
        batch_op.drop_column('ethnicity')
        batch_op.drop_column('sex')
