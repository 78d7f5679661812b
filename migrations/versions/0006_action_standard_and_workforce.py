"""an action can be tied to a 2020 Standard of the staff survey (as well as to the return's standard); a PSW's workforce profile

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 12:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.add_column(sa.Column('staff_standard', sa.String(length=64), nullable=True))
    with op.batch_alter_table('staff_code', schema=None) as batch_op:
        batch_op.add_column(sa.Column('workforce', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('staff_code', schema=None) as batch_op:
        batch_op.drop_column('workforce')
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.drop_column('staff_standard')
