"""the comment review queue: indexes that answer its counts and filters from the index alone

Revision ID: 0014_review_queue
Revises: 0013_job_attempts
Create Date: 2026-12-07 17:00:00

"""
from alembic import op


revision = '0014_review_queue'
down_revision = '0013_job_attempts'
branch_labels = None
depends_on = None


def upgrade():
    # Each source's comments reached from its cycle, with their question and status, without
    # reading the comments' text: the queue's counts and filtered pages at several thousand.
    op.create_index('ix_comment_review_response_question_status', 'comment_review',
                    ['response_id', 'question_id', 'status'])
    op.create_index('ix_comment_review_staff_question_status', 'comment_review',
                    ['staff_response_id', 'question_id', 'status'])


def downgrade():
    op.drop_index('ix_comment_review_staff_question_status', table_name='comment_review')
    op.drop_index('ix_comment_review_response_question_status', table_name='comment_review')
