"""Personal data at rest: party ID and phone numbers encrypted, blind indexes, the access log

Revision ID: 0006_data_protection
Revises: 0008_trail
Create Date: 2026-12-02 01:00:00.000000

Existing plaintext values are encrypted under the active data key (DATA_KEYS, else
instance/data_keys, generated on first use) and given their blind indexes, in batches. Run it
through `flask --app wsgi db upgrade` (the key ring comes from the app). Downgrading decrypts them
back.
"""
import sqlalchemy as sa
from alembic import op

revision = '0006_data_protection'
down_revision = '0008_trail'
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade():
    op.create_table(
        'access_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('action', sa.String(length=16), nullable=False),
        sa.Column('query', sa.String(length=120), nullable=False),
        sa.Column('results', sa.Integer(), nullable=False),
        sa.CheckConstraint("action IN ('search')", name=op.f('ck_access_log_action')),
        sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_access_log_actor_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_access_log')),
    )
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_log_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_log_at'), ['at'], unique=False)

    with op.batch_alter_table('party', schema=None) as batch_op:
        batch_op.alter_column('id_number', existing_type=sa.String(length=18), type_=sa.String(length=255),
                              existing_nullable=True)
        batch_op.alter_column('phone', existing_type=sa.String(length=20), type_=sa.String(length=255),
                              existing_nullable=True)
        batch_op.add_column(sa.Column('id_number_index', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('phone_index', sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_party_id_number_index'), ['id_number_index'], unique=False)
        batch_op.create_index(batch_op.f('ix_party_phone_index'), ['phone_index'], unique=False)
    _convert(encrypt=True)


def downgrade():
    _convert(encrypt=False)
    with op.batch_alter_table('party', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_party_phone_index'))
        batch_op.drop_index(batch_op.f('ix_party_id_number_index'))
        batch_op.drop_column('phone_index')
        batch_op.drop_column('id_number_index')
        batch_op.alter_column('phone', existing_type=sa.String(length=255), type_=sa.String(length=20),
                              existing_nullable=True)
        batch_op.alter_column('id_number', existing_type=sa.String(length=255), type_=sa.String(length=18),
                              existing_nullable=True)
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_log_at'))
        batch_op.drop_index(batch_op.f('ix_access_log_actor_id'))
    op.drop_table('access_log')


def _convert(encrypt: bool) -> None:
    """Encrypts plaintext values and fills the blind indexes (or decrypts them back), in batches."""
    from mediation.models import crypto
    from mediation.models.dispute import normalised_for_index

    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(sa.text("SELECT id, id_number, phone FROM party WHERE id > :last ORDER BY id LIMIT :n"),
                            {"last": last, "n": BATCH}).all()
        if not rows:
            return
        last = rows[-1][0]
        ring = crypto.current()
        updates = []
        for row_id, id_number, phone in rows:
            if encrypt:
                values = {}
                for kind, value in (("id_number", id_number), ("phone", phone)):
                    sealed = value is not None and ":" in value  # already encrypted (a re-run)
                    plain = ring.decrypt(value, f"party.{kind}") if sealed else value
                    normal = normalised_for_index(kind, plain)
                    values[kind] = value if sealed else (None if plain is None else ring.encrypt(plain, f"party.{kind}"))
                    values[f"{kind}_index"] = None if normal is None else ring.blind_index(normal, kind)
                updates.append({"id": row_id, **values})
            else:
                updates.append({"id": row_id, **{kind: (crypto.unseal(value, f"party.{kind}")
                                                         if value is not None and ":" in value else value)
                                                  for kind, value in (("id_number", id_number), ("phone", phone))}})
        if encrypt:
            statement = ("UPDATE party SET id_number = :id_number, phone = :phone, id_number_index = :id_number_index, "
                         "phone_index = :phone_index WHERE id = :id")
        else:
            statement = "UPDATE party SET id_number = :id_number, phone = :phone WHERE id = :id"
        bind.execute(sa.text(statement), updates)
