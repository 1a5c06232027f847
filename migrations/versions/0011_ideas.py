"""the company-wide idea box, and the staff role

Revision ID: 0011
Revises: 0010

Any employee may now have an account with the role "staff" (reads pilots,
gives and votes on ideas). Ideas, their votes and their steps are new
tables; the only existing change is the user role's list of values.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

OLD_ROLES = ('innovation', 'department_head', 'finance', 'admin')
NEW_ROLES = OLD_ROLES + ('staff',)
STATUSES = ('submitted', 'under_review', 'piloted', 'declined')
OLD_KINDS = (
    'suggestion_adopted', 'suggestion_status', 'suggestion_comment', 'verdict_changed',
    'guardrail_breached', 'sample_ratio_mismatch', 'data_stopped', 'iteration_overdue',
    'pilot_status',
)
NEW_KINDS = OLD_KINDS + ('idea_moved',)
# The tables whose column names a kind of event, and the name of its list of values.
KIND_COLUMNS = (
    ('notification_event', 'notification_kind'), ('notification_preference', 'preference_kind'),
)


def _roles(values):
    return sa.Enum(*values, name='role', native_enum=False, create_constraint=True)


def _kinds(values, name):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True)


def _change_kinds(old, new):
    for table, name in KIND_COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                'kind', existing_type=_kinds(old, name), type_=_kinds(new, name),
                existing_nullable=False,
            )


def _status(name):
    return sa.Enum(*STATUSES, name=name, native_enum=False, create_constraint=True)


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.alter_column(
            'role', existing_type=_roles(OLD_ROLES), type_=_roles(NEW_ROLES), existing_nullable=False
        )
    _change_kinds(OLD_KINDS, NEW_KINDS)
    op.create_table('idea',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('campaign', sa.String(length=7), nullable=False),
    sa.Column('status', _status('idea_status'), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('suggestion_id', sa.Integer(), nullable=True),
    sa.Column('pilot_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_idea_author_id_user')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_idea_department_id_department')),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilot.id'], name=op.f('fk_idea_pilot_id_pilot'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['suggestion_id'], ['suggestion.id'], name=op.f('fk_idea_suggestion_id_suggestion'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idea'))
    )
    with op.batch_alter_table('idea', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idea_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_idea_campaign'), ['campaign'], unique=False)
    op.create_table('idea_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idea_id', sa.Integer(), nullable=False),
    sa.Column('from_status', _status('idea_step_from'), nullable=False),
    sa.Column('status', _status('idea_step_to'), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=254), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['idea_id'], ['idea.id'], name=op.f('fk_idea_step_idea_id_idea'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_idea_step_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idea_step'))
    )
    with op.batch_alter_table('idea_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idea_step_idea_id'), ['idea_id'], unique=False)
    op.create_table('idea_vote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idea_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['idea_id'], ['idea.id'], name=op.f('fk_idea_vote_idea_id_idea'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_idea_vote_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idea_vote')),
    sa.UniqueConstraint('idea_id', 'user_id', name=op.f('uq_idea_vote_idea_id'))
    )
    with op.batch_alter_table('idea_vote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idea_vote_idea_id'), ['idea_id'], unique=False)


def downgrade():
    # An idea's notifications go with the ideas; a preference about them means nothing before.
    # Spelled out, child rows first: SQLite runs migrations without foreign-key cascades.
    events = "SELECT id FROM notification_event WHERE kind = 'idea_moved'"
    messages = f"SELECT id FROM outbox_message WHERE event_id IN ({events})"
    for statement in (
        f"DELETE FROM delivery_attempt WHERE message_id IN ({messages})",
        f"UPDATE notification SET digest_id = NULL WHERE digest_id IN ({messages})",
        f"DELETE FROM outbox_message WHERE event_id IN ({events})",
        f"DELETE FROM notification WHERE event_id IN ({events})",
        "DELETE FROM notification_event WHERE kind = 'idea_moved'",
        "DELETE FROM notification_preference WHERE kind = 'idea_moved'",
    ):
        op.execute(sa.text(statement))
    _change_kinds(NEW_KINDS, OLD_KINDS)
    op.drop_table('idea_vote')
    op.drop_table('idea_step')
    op.drop_table('idea')
    # Before this revision there is no staff role: such accounts must change role first.
    staff = op.get_bind().scalar(sa.text("SELECT count(*) FROM \"user\" WHERE role = 'staff'"))
    if staff:
        raise RuntimeError(
            f"{staff} account(s) have the role 'staff', which this older schema lacks: "
            "give them another role (or remove them) before downgrading"
        )
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.alter_column(
            'role', existing_type=_roles(NEW_ROLES), type_=_roles(OLD_ROLES), existing_nullable=False
        )
