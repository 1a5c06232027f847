"""notifications: watches, events, inboxes, preferences, the outbox and webhooks

Revision ID: 0006
Revises: 0005

New tables only; nothing existing changes. People watch the pilots the audit
trail shows they created, and follow the suggestions they wrote, voted on or
commented on, as they would had these tables always been there.
"""

from alembic import op
import sqlalchemy as sa

WATCH_CREATED_PILOTS = """
INSERT INTO pilot_watch (user_id, pilot_id, reason, created_at)
SELECT DISTINCT audit_event.user_id, audit_event.pilot_id, 'created', CURRENT_TIMESTAMP
FROM audit_event
JOIN pilot ON pilot.id = audit_event.pilot_id
JOIN "user" ON "user".id = audit_event.user_id
WHERE audit_event.entity = 'pilot' AND audit_event.action = 'created'
"""
# Who wrote, voted on or commented on each suggestion, the first reason kept.
FOLLOWERS = (
    (
        "wrote",
        "SELECT author_id AS user_id, id AS suggestion_id FROM suggestion "
        "WHERE author_id IS NOT NULL",
    ),
    ("voted", "SELECT user_id, suggestion_id FROM suggestion_vote"),
    ("commented", "SELECT user_id, suggestion_id FROM suggestion_comment"),
)
FOLLOW = """
INSERT INTO suggestion_watch (user_id, suggestion_id, reason, created_at)
SELECT DISTINCT found.user_id, found.suggestion_id, '{reason}', CURRENT_TIMESTAMP
FROM ({query}) AS found
WHERE NOT EXISTS (
    SELECT 1 FROM suggestion_watch
    WHERE suggestion_watch.user_id = found.user_id
      AND suggestion_watch.suggestion_id = found.suggestion_id
)
"""

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notification_preference",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "suggestion_adopted",
                "suggestion_status",
                "suggestion_comment",
                "verdict_changed",
                "guardrail_breached",
                "sample_ratio_mismatch",
                "data_stopped",
                "iteration_overdue",
                "pilot_status",
                name="preference_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "mode",
            sa.Enum(
                "in_app",
                "immediate",
                "digest",
                "none",
                name="preference_mode",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_notification_preference_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_preference")),
        sa.UniqueConstraint("user_id", "kind", name=op.f("uq_notification_preference_user_id")),
    )
    op.create_table(
        "pilot_watch",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("pilot_id", sa.Integer(), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "chosen",
                "created",
                "wrote",
                "voted",
                "commented",
                name="pilot_watch_reason",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pilot_id"],
            ["pilot.id"],
            name=op.f("fk_pilot_watch_pilot_id_pilot"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_pilot_watch_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "pilot_id", name=op.f("pk_pilot_watch")),
    )
    with op.batch_alter_table("pilot_watch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pilot_watch_pilot_id"), ["pilot_id"], unique=False)

    op.create_table(
        "webhook",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("allow_private", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user.id"],
            name=op.f("fk_webhook_created_by_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook")),
    )
    op.create_table(
        "notification_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "suggestion_adopted",
                "suggestion_status",
                "suggestion_comment",
                "verdict_changed",
                "guardrail_breached",
                "sample_ratio_mismatch",
                "data_stopped",
                "iteration_overdue",
                "pilot_status",
                name="notification_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("pilot_id", sa.Integer(), nullable=True),
        sa.Column("suggestion_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=False),
        sa.Column("episode", sa.String(length=120), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["user.id"],
            name=op.f("fk_notification_event_actor_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["pilot_id"],
            ["pilot.id"],
            name=op.f("fk_notification_event_pilot_id_pilot"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["suggestion_id"],
            ["suggestion.id"],
            name=op.f("fk_notification_event_suggestion_id_suggestion"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_event")),
        sa.UniqueConstraint("episode", name=op.f("uq_notification_event_episode")),
    )
    with op.batch_alter_table("notification_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_event_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_notification_event_pilot_id"), ["pilot_id"], unique=False
        )

    op.create_table(
        "suggestion_watch",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("suggestion_id", sa.Integer(), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "chosen",
                "created",
                "wrote",
                "voted",
                "commented",
                name="suggestion_watch_reason",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["suggestion_id"],
            ["suggestion.id"],
            name=op.f("fk_suggestion_watch_suggestion_id_suggestion"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_suggestion_watch_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "suggestion_id", name=op.f("pk_suggestion_watch")),
    )
    with op.batch_alter_table("suggestion_watch", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_suggestion_watch_suggestion_id"), ["suggestion_id"], unique=False
        )

    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "email",
                "digest",
                "webhook",
                name="outbox_channel",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "sent",
                "failed",
                "abandoned",
                name="outbox_state",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("webhook_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["notification_event.id"],
            name=op.f("fk_outbox_message_event_id_notification_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_outbox_message_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["webhook.id"],
            name=op.f("fk_outbox_message_webhook_id_webhook"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_message_next_attempt_at"), ["next_attempt_at"], unique=False
        )

    op.create_table(
        "delivery_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("response_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbox_message.id"],
            name=op.f("fk_delivery_attempt_message_id_outbox_message"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_attempt")),
    )
    with op.batch_alter_table("delivery_attempt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delivery_attempt_message_id"), ["message_id"], unique=False
        )

    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "mode",
            sa.Enum(
                "in_app",
                "immediate",
                "digest",
                "none",
                name="notification_mode",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.Column("digest_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["digest_id"],
            ["outbox_message.id"],
            name=op.f("fk_notification_digest_id_outbox_message"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["notification_event.id"],
            name=op.f("fk_notification_event_id_notification_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_notification_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_digest_id"), ["digest_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notification_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notification_user_id"), ["user_id"], unique=False)

    op.execute(WATCH_CREATED_PILOTS)
    for reason, query in FOLLOWERS:
        op.execute(FOLLOW.format(reason=reason, query=query))


def downgrade():
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_user_id"))
        batch_op.drop_index(batch_op.f("ix_notification_event_id"))
        batch_op.drop_index(batch_op.f("ix_notification_digest_id"))

    op.drop_table("notification")
    with op.batch_alter_table("delivery_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_attempt_message_id"))

    op.drop_table("delivery_attempt")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_message_next_attempt_at"))

    op.drop_table("outbox_message")
    with op.batch_alter_table("suggestion_watch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_suggestion_watch_suggestion_id"))

    op.drop_table("suggestion_watch")
    with op.batch_alter_table("notification_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_event_pilot_id"))
        batch_op.drop_index(batch_op.f("ix_notification_event_created_at"))

    op.drop_table("notification_event")
    op.drop_table("webhook")
    with op.batch_alter_table("pilot_watch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pilot_watch_pilot_id"))

    op.drop_table("pilot_watch")
    op.drop_table("notification_preference")
