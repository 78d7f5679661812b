"""every email a job: an email_send row for a set-password link (an account's, no cycle or
organisation), a contributor's invitation, a confirmation, a reopen or deadline note, with what
the job needs to write it again

Revision ID: 0016_email_jobs
Revises: 0015_staff_arrival
Create Date: 2026-12-07 17:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0016_email_jobs'
down_revision = '0015_staff_arrival'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('email_send') as batch:
        batch.alter_column('cycle_id', existing_type=sa.Integer(), nullable=True)
        batch.alter_column('organisation_id', existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('contributor_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('detail', sa.JSON(), nullable=True))
        batch.create_foreign_key(batch.f('fk_email_send_user_id_app_user'), 'app_user', ['user_id'], ['id'],
                                 ondelete='CASCADE')
        batch.create_foreign_key(batch.f('fk_email_send_contributor_id_contributor'), 'contributor',
                                 ['contributor_id'], ['id'], ondelete='CASCADE')
        batch.create_index(batch.f('ix_email_send_user_id'), ['user_id'], unique=False)
        batch.create_index(batch.f('ix_email_send_contributor_id'), ['contributor_id'], unique=False)


def downgrade():
    op.execute("DELETE FROM email_send WHERE cycle_id IS NULL OR organisation_id IS NULL")
    with op.batch_alter_table('email_send') as batch:
        batch.drop_index(batch.f('ix_email_send_contributor_id'))
        batch.drop_index(batch.f('ix_email_send_user_id'))
        batch.drop_constraint(batch.f('fk_email_send_contributor_id_contributor'), type_='foreignkey')
        batch.drop_constraint(batch.f('fk_email_send_user_id_app_user'), type_='foreignkey')
        batch.drop_column('detail')
        batch.drop_column('contributor_id')
        batch.drop_column('user_id')
        batch.alter_column('organisation_id', existing_type=sa.Integer(), nullable=False)
        batch.alter_column('cycle_id', existing_type=sa.Integer(), nullable=False)
