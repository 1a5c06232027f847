"""data sources and metric queries: pilots fed from the company's databases

Revision ID: 0007
Revises: 0006

A data source keeps its connection URL sealed (encrypted with
TESTBED_SOURCE_KEY) beside a masked copy for display; a metric query is
the SELECT that yields one metric's observations there. What a refresh
stores is an import batch of the new origin ``source``.
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

OLD_ORIGINS = "origin IN ('file', 'upload', 'api')"
NEW_ORIGINS = "origin IN ('file', 'upload', 'api', 'source')"


def upgrade():
    with op.batch_alter_table("import_batch", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_import_batch_batch_origin"), type_="check")
        batch_op.create_check_constraint(op.f("ck_import_batch_batch_origin"), NEW_ORIGINS)
    op.create_table(
        "data_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("url_shown", sa.String(length=2000), nullable=False),
        sa.Column("url_sealed", sa.Text(), nullable=False),
        sa.Column("timeout_seconds", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("tested_at", sa.DateTime(), nullable=True),
        sa.Column("test_error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_source")),
        sa.UniqueConstraint("name", name=op.f("uq_data_source_name")),
    )
    op.create_table(
        "metric_query",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("metric_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("sql", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("refreshed_at", sa.DateTime(), nullable=True),
        sa.Column("refresh_error", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
            name=op.f("fk_metric_query_batch_id_import_batch"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["metric_id"],
            ["metric.id"],
            name=op.f("fk_metric_query_metric_id_metric"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["data_source.id"], name=op.f("fk_metric_query_source_id_data_source")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_query")),
        sa.UniqueConstraint("metric_id", name=op.f("uq_metric_query_metric_id")),
    )
    with op.batch_alter_table("metric_query", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_metric_query_source_id"), ["source_id"], unique=False)


def downgrade():
    with op.batch_alter_table("metric_query", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_metric_query_source_id"))
    op.drop_table("metric_query")
    op.drop_table("data_source")
    op.execute("DELETE FROM import_batch WHERE origin = 'source'")
    with op.batch_alter_table("import_batch", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_import_batch_batch_origin"), type_="check")
        batch_op.create_check_constraint(op.f("ck_import_batch_batch_origin"), OLD_ORIGINS)
