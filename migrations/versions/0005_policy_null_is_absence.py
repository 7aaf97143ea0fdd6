"""org_policy.remind_before_days: a JSON null becomes SQL NULL (inherited); empty policy rows go

Revision ID: 0005_policy_null
Revises: 8d41f0c2e6a7
Create Date: 2026-12-02 00:40:00.000000

Before this, `PUT …/policy {"remind_before_days": null}` stored the JSON value `null`, which an
`IS NOT NULL` test takes for a value, and the reminder scan failed on it from then on.
"""
from alembic import op

revision = '0005_policy_null'
down_revision = '8d41f0c2e6a7'
branch_labels = None
depends_on = None

KEYS = ("acceptance_days", "mediation_days", "max_extension_days", "max_extensions", "follow_up_days",
        "remind_before_days", "supervisor_after_days", "day_count")


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE org_policy SET remind_before_days = NULL WHERE json_typeof(remind_before_days) = 'null'")
    else:
        op.execute("UPDATE org_policy SET remind_before_days = NULL WHERE remind_before_days = 'null'")
    op.execute("DELETE FROM org_policy WHERE " + " AND ".join(f"{key} IS NULL" for key in KEYS))


def downgrade():
    pass  # SQL NULL already meant "inherited"; nothing to restore
