"""confirmatory or exploratory: when each hypothesis was stated

Revision ID: 0005
Revises: 0004

A hypothesis stated after its metric (or predictor) had data is exploratory
and stays out of the multiple-testing correction. That order cannot be read
back later (loads replace their batches), so it is stored.

Existing rows are confirmatory unless the audit trail shows otherwise: a
hypothesis that was locked no later than the event registering it (or the
last change that found it still open) was stated when its data were there,
because the lock is set before that event in the same transaction, while
data arriving afterwards lock it later. Hypotheses loaded from folders have
no such event and stay confirmatory, as a folder states them with its data.
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# The event's summary starts with the key ("H4 (primary) on ...", "H4: ..."),
# which tells this hypothesis from an earlier one that had the same id.
EXPLORATORY = """
UPDATE hypothesis SET registration = 'exploratory'
WHERE locked_at IS NOT NULL AND EXISTS (
    SELECT 1 FROM audit_event
    WHERE audit_event.entity = 'hypothesis'
      AND audit_event.action IN ('registered', 'updated')
      AND audit_event.entity_id = hypothesis.id
      AND audit_event.pilot_id = hypothesis.pilot_id
      AND audit_event.at >= hypothesis.locked_at
      AND substr(audit_event.summary, 1, length(hypothesis.key) + 1)
          IN (hypothesis.key || ' ', hypothesis.key || ':')
)
"""


def upgrade():
    with op.batch_alter_table("hypothesis", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "registration",
                sa.String(length=12),
                nullable=False,
                server_default="confirmatory",
            )
        )
        batch_op.create_check_constraint(
            op.f("ck_hypothesis_registration"),
            "registration IN ('confirmatory', 'exploratory')",
        )
    op.execute(EXPLORATORY)
    with op.batch_alter_table("hypothesis", schema=None) as batch_op:
        batch_op.alter_column("registration", server_default=None)


def downgrade():
    with op.batch_alter_table("hypothesis", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_hypothesis_registration"), type_="check")
        batch_op.drop_column("registration")
