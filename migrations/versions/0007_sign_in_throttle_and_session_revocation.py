"""failed sign-ins are counted per email and client instead of locking the account; signing out
revokes the account's sessions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 15:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sign_in_failure',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('email', sa.String(length=254), nullable=False),
                    sa.Column('client', sa.String(length=64), nullable=False),
                    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_failure')))
    op.create_index('ix_sign_in_failure_email_client_at', 'sign_in_failure', ['email', 'client', 'at'])
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sessions_revoked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')


def downgrade():
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_column('sessions_revoked_at')
    op.drop_index('ix_sign_in_failure_email_client_at', table_name='sign_in_failure')
    op.drop_table('sign_in_failure')
