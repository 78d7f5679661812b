"""the staff survey keeps nothing of the order responses came in: random ids for comments under
review and drafts, staff responses stored in the order of their ids on SQLite; each organisation's
pace for flagging bursts; near-duplicates found when the coordinator looks, not stored

Revision ID: 0015_staff_arrival
Revises: 0014_review_queue
Create Date: 2026-12-07 17:00:00

"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = '0015_staff_arrival'
down_revision = '0014_review_queue'
branch_labels = None
depends_on = None

RANDOM_TABLES = ('comment_review', 'staff_draft')


def _sqlite() -> bool:
    return op.get_bind().dialect.name == 'sqlite'


def _renumber(table: str, ids) -> None:
    connection = op.get_bind()
    rows = sa.table(table, sa.column('id', sa.BigInteger))
    for old, new in ids:
        connection.execute(rows.update().where(rows.c.id == old).values(id=new))


def upgrade():
    with op.batch_alter_table('staff_code') as batch:
        batch.add_column(sa.Column('past_responses', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('past_hours', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('hour_started_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('hour_responses', sa.Integer(), server_default='0', nullable=False))

    # On SQLite a table keyed by text keeps a hidden rowid, counting up as rows arrive: without it,
    # the rows are stored in the order of their random ids.
    sqlite = _sqlite()
    with op.batch_alter_table('staff_response', recreate='always' if sqlite else 'auto',
                              table_kwargs={'sqlite_with_rowid': False} if sqlite else {}) as batch:
        batch.drop_index('ix_staff_response_fingerprint')
        batch.drop_constraint('fk_staff_response_duplicate_of_id_staff_response', type_='foreignkey')
        batch.drop_column('duplicate_of_id')
        batch.drop_column('fingerprint')
        batch.add_column(sa.Column('burst', sa.Boolean(), server_default=sa.false(), nullable=False))

    connection = op.get_bind()
    for table in RANDOM_TABLES:
        if not sqlite:  # a sequence counts up: the ids are random from now on
            op.execute(f'ALTER TABLE {table} ALTER COLUMN id DROP DEFAULT')
            op.execute(f'ALTER TABLE {table} ALTER COLUMN id TYPE BIGINT')
            op.execute(f'DROP SEQUENCE IF EXISTS {table}_id_seq')
        # The ids given so far followed arrival: each gets a random one above them all.
        old = [row[0] for row in connection.execute(sa.text(f'SELECT id FROM {table}'))]
        _renumber(table, [(i, 2**32 + secrets.randbelow(2**63 - 2**32)) for i in old])


def downgrade():
    sqlite = _sqlite()
    connection = op.get_bind()
    for table in RANDOM_TABLES:
        old = sorted(row[0] for row in connection.execute(sa.text(f'SELECT id FROM {table}')))
        _renumber(table, list(zip(old, range(1, len(old) + 1))))
        if not sqlite:
            op.execute(f'ALTER TABLE {table} ALTER COLUMN id TYPE INTEGER')
            op.execute(f'CREATE SEQUENCE {table}_id_seq OWNED BY {table}.id')
            op.execute(f"SELECT setval('{table}_id_seq', COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)")
            op.execute(f"ALTER TABLE {table} ALTER COLUMN id SET DEFAULT nextval('{table}_id_seq')")

    with op.batch_alter_table('staff_response', recreate='always' if sqlite else 'auto',
                              table_kwargs={'sqlite_with_rowid': True} if sqlite else {}) as batch:
        batch.drop_column('burst')
        batch.add_column(sa.Column('fingerprint', sa.String(length=64), server_default='', nullable=False))
        batch.add_column(sa.Column('duplicate_of_id', sa.String(length=32), nullable=True))
        batch.create_foreign_key('fk_staff_response_duplicate_of_id_staff_response', 'staff_response',
                                 ['duplicate_of_id'], ['id'], ondelete='SET NULL')
        batch.create_index('ix_staff_response_fingerprint', ['fingerprint'], unique=False)

    with op.batch_alter_table('staff_code') as batch:
        batch.drop_column('hour_responses')
        batch.drop_column('hour_started_at')
        batch.drop_column('past_hours')
        batch.drop_column('past_responses')
