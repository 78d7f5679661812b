"""coordinators' API tokens for the raw export, stored hashed and revocable

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 18:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_token',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('user_id', sa.Integer(), nullable=False),
                    sa.Column('name', sa.String(length=100), nullable=False),
                    sa.Column('token_hash', sa.String(length=64), nullable=False),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
                    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_api_token_user_id_app_user'),
                                            ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
                    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash')))
    op.create_index(op.f('ix_api_token_user_id'), 'api_token', ['user_id'])


def downgrade():
    op.drop_index(op.f('ix_api_token_user_id'), table_name='api_token')
    op.drop_table('api_token')
