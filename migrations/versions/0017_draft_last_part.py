"""a staff survey draft remembers the last part saved, so "Continue where you left off" opens the
part after it

Revision ID: 0017_draft_last_part
Revises: 0016_email_jobs
Create Date: 2026-12-07 17:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0017_draft_last_part'
down_revision = '0016_email_jobs'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff_draft') as batch:
        batch.add_column(sa.Column('last_part', sa.String(length=100), nullable=True))


def downgrade():
    with op.batch_alter_table('staff_draft') as batch:
        batch.drop_column('last_part')
