"""each organisation's statistical neighbours, from the list the coordinator uploads

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 18:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('statistical_neighbour',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('organisation_id', sa.Integer(), nullable=False),
                    sa.Column('neighbour_id', sa.Integer(), nullable=False),
                    sa.Column('rank', sa.Integer(), nullable=False),
                    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('uploaded_by', sa.String(length=200), nullable=False),
                    sa.Column('file_name', sa.String(length=200), nullable=False),
                    sa.CheckConstraint('organisation_id <> neighbour_id',
                                       name=op.f('ck_statistical_neighbour_not_itself')),
                    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'],
                                            name=op.f('fk_statistical_neighbour_organisation_id_organisation'),
                                            ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['neighbour_id'], ['organisation.id'],
                                            name=op.f('fk_statistical_neighbour_neighbour_id_organisation'),
                                            ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_statistical_neighbour')),
                    sa.UniqueConstraint('organisation_id', 'neighbour_id', name='uq_statistical_neighbour_pair'))
    op.create_index(op.f('ix_statistical_neighbour_organisation_id'), 'statistical_neighbour', ['organisation_id'])


def downgrade():
    op.drop_index(op.f('ix_statistical_neighbour_organisation_id'), table_name='statistical_neighbour')
    op.drop_table('statistical_neighbour')
