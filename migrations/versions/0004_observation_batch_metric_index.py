"""one index on observation, by batch and metric

Revision ID: 0004
Revises: 0003

Every query of raw rows names the batch (deleting a batch) or the pilot's
batches and a metric (analyses, export), so one index on (batch_id,
metric_id) replaces the two there were; each index costs about as much as the
row itself when a large file is imported.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_observation_batch_metric", ["batch_id", "metric_id"], unique=False
        )
        batch_op.drop_index("ix_observation_metric_group")
        batch_op.drop_index("ix_observation_batch_id")


def downgrade():
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.create_index("ix_observation_batch_id", ["batch_id"], unique=False)
        batch_op.create_index(
            "ix_observation_metric_group", ["metric_id", "group", "period"], unique=False
        )
        batch_op.drop_index("ix_observation_batch_metric")
