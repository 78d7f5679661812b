"""named contributors with personal links, and in what capacity a return was signed off

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 19:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'contributor',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('response_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.Column('job_title', sa.String(length=200), nullable=True),
        sa.Column('sections', sa.JSON(), nullable=True),
        sa.Column('can_sign_off', sa.Boolean(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('invited_by', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_contributor_response_id_response'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_contributor')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_contributor_token_hash')),
    )
    op.create_index(op.f('ix_contributor_response_id'), 'contributor', ['response_id'])
    with op.batch_alter_table('submitted_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signed_off_as', sa.String(length=300), nullable=True))


def downgrade():
    with op.batch_alter_table('submitted_version', schema=None) as batch_op:
        batch_op.drop_column('signed_off_as')
    op.drop_index(op.f('ix_contributor_response_id'), table_name='contributor')
    op.drop_table('contributor')
