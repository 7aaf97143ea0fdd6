"""Indexes for the lists' order and filters, and the bigram search behind `q` (issue 14)

Revision ID: 0011_list_indexes
Revises: 0010_accounts
Create Date: 2026-12-02 01:00:00.000000

- dispute (received_at, id), (committee_id, received_at, id), (state, received_at, id): the
  dispute list's order ("newest first"), whole scope, one committee, one state; a page is an
  index walk instead of a sort of every dispute in scope.
- PostgreSQL only: `text_bigrams(text)`, the distinct two-character substrings of a text, and GIN
  indexes on the bigrams of `party.name` and of `dispute.case_number || ' ' || dispute.summary`.
  A `q` of two characters or more is looked up as "its bigrams are contained in the row's"
  (`@>`, answered by the index) and checked with LIKE; a Chinese name of two characters is one
  bigram. pg_trgm cannot do this: it extracts no trigram from a two-character pattern.
  SQLite keeps the plain LIKE.
"""
from alembic import op

revision = '0011_list_indexes'
down_revision = '0010_accounts'
branch_labels = None
depends_on = None

BIGRAMS = """
CREATE OR REPLACE FUNCTION text_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT COALESCE(array_agg(DISTINCT substr(t, i, 2)), ARRAY[]::text[])
  FROM generate_series(1, GREATEST(char_length(t) - 1, 1)) AS i
$$
"""


def upgrade():
    with op.batch_alter_table('dispute', schema=None) as batch_op:
        batch_op.create_index('ix_dispute_received', ['received_at', 'id'], unique=False)
        batch_op.create_index('ix_dispute_committee_received', ['committee_id', 'received_at', 'id'], unique=False)
        batch_op.create_index('ix_dispute_state_received', ['state', 'received_at', 'id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(BIGRAMS)
        op.execute("CREATE INDEX ix_party_name_bigrams ON party USING gin (text_bigrams(name))")
        op.execute("CREATE INDEX ix_dispute_text_bigrams ON dispute "
                   "USING gin (text_bigrams(case_number || ' ' || summary))")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_dispute_text_bigrams")
        op.execute("DROP INDEX IF EXISTS ix_party_name_bigrams")
        op.execute("DROP FUNCTION IF EXISTS text_bigrams(text)")
    with op.batch_alter_table('dispute', schema=None) as batch_op:
        batch_op.drop_index('ix_dispute_state_received')
        batch_op.drop_index('ix_dispute_committee_received')
        batch_op.drop_index('ix_dispute_received')
