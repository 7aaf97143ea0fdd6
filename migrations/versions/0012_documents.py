"""documents: a party's sex, ethnicity and occupation (optional, for the Ministry's forms); a
session's kind (mediation or investigation), which picks its form; attachments (content encrypted
outside the database)

Revision ID: 0012_documents
Revises: 0011_list_indexes
Create Date: 2026-12-02 01:35:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = '0012_documents'
down_revision = '0011_list_indexes'
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
    op.create_table('attachment',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('dispute_id', sa.Integer(), nullable=False),
                    sa.Column('category', sa.String(length=32), nullable=False),
                    sa.Column('filename', sa.String(length=255), nullable=False),
                    sa.Column('content_type', sa.String(length=32), nullable=False),
                    sa.Column('size', sa.Integer(), nullable=False),
                    sa.Column('sha256', sa.String(length=64), nullable=False),
                    sa.Column('storage_key', sa.String(length=64), nullable=False),
                    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
                    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
                    sa.CheckConstraint("category IN ('identification', 'power_of_attorney', 'evidence', "
                                       "'performance_receipt', 'confirmation', 'other')",
                                       name=op.f('ck_attachment_category')),
                    sa.CheckConstraint("content_type IN ('image/jpeg', 'image/png', 'application/pdf')",
                                       name=op.f('ck_attachment_content_type')),
                    sa.ForeignKeyConstraint(['dispute_id'], ['dispute.id'], name=op.f('fk_attachment_dispute_id_dispute')),
                    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'],
                                            name=op.f('fk_attachment_uploaded_by_id_user_account')),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment')),
                    sa.UniqueConstraint('storage_key', name=op.f('uq_attachment_storage_key')))
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_dispute_id'), ['dispute_id'], unique=False)


def downgrade():
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_dispute_id'))
    op.drop_table('attachment')
    with op.batch_alter_table('mediation_session', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_mediation_session_kind'), type_='check')
        batch_op.drop_column('kind')
    with op.batch_alter_table('party', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_party_sex'), type_='check')
        batch_op.drop_column('occupation')
        batch_op.drop_column('ethnicity')
        batch_op.drop_column('sex')
