"""jobs taken up again after their worker stops: each claim's attempt and who holds it; no
machine's path kept in a job

Revision ID: 0013_job_attempts
Revises: 0012
Create Date: 2026-12-02 10:00:00

"""
import json

from alembic import op
import sqlalchemy as sa


revision = '0013_job_attempts'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('job') as batch:
        batch.add_column(sa.Column('attempt', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('worker', sa.String(length=200), nullable=True))
    # A queued job's last news is when it was made (a stall is judged on heartbeat_at alone).
    op.execute("UPDATE job SET heartbeat_at = created_at WHERE heartbeat_at IS NULL")
    op.execute("UPDATE job SET attempt = 1 WHERE status <> 'queued'")
    # A publication recorded the worker's absolute path to its edition, which another machine may
    # mount elsewhere: the edition's own folder (relative to EDITIONS_FOLDER) is what is kept.
    connection = op.get_bind()
    job = sa.table('job', sa.column('id', sa.Integer), sa.column('kind', sa.String), sa.column('detail', sa.JSON))
    for job_id, detail in connection.execute(sa.select(job.c.id, job.c.detail).where(job.c.kind == 'publish')):
        detail = json.loads(detail) if isinstance(detail, str) else detail
        if detail and 'folder' in detail:
            detail.pop('folder')
            connection.execute(job.update().where(job.c.id == job_id).values(detail=detail))


def downgrade():
    with op.batch_alter_table('job') as batch:
        batch.drop_column('worker')
        batch.drop_column('attempt')
