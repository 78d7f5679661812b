"""a return's answers as one document with a version per page; jobs; editions of the results

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 08:36:54

Each return's answer rows and page states move into two JSON columns on the return (``answers``:
question id -> value; ``pages``: section id -> {"version", "saved_at", "saved_by"}); links
without a return get one (a link now always opens a stored return). Results published before
this revision were never frozen: publish again to make their first edition.
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade():
    op.create_table('job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('lock', sa.String(length=40), nullable=True),
    sa.Column('step', sa.String(length=200), nullable=True),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('upload', sa.LargeBinary(), nullable=True),
    sa.Column('upload_name', sa.String(length=200), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('started_at', UTC, nullable=True),
    sa.Column('finished_at', UTC, nullable=True),
    sa.Column('heartbeat_at', UTC, nullable=True),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_job_status')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], name=op.f('fk_job_cycle_id_cycle'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job')),
    sa.UniqueConstraint('lock', name=op.f('uq_job_lock'))
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_cycle_id'), ['cycle_id'], unique=False)

    op.create_table('edition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('folder', sa.String(length=200), nullable=False),
    sa.Column('published_at', UTC, nullable=False),
    sa.Column('published_by', sa.String(length=200), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('returns', sa.JSON(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], name=op.f('fk_edition_cycle_id_cycle'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_edition_job_id_job'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_edition')),
    sa.UniqueConstraint('cycle_id', 'number', name='uq_edition_cycle_number')
    )
    op.create_table('edition_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('edition_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['edition_id'], ['edition.id'], name=op.f('fk_edition_file_edition_id_edition'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_edition_file_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_edition_file')),
    sa.UniqueConstraint('edition_id', 'path', name='uq_edition_file_edition_path')
    )
    with op.batch_alter_table('edition_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_edition_file_edition_id'), ['edition_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_edition_file_organisation_id'), ['organisation_id'], unique=False)

    with op.batch_alter_table('email_send', schema=None) as batch_op:
        batch_op.add_column(sa.Column('job_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_email_send_job_id'), ['job_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_email_send_job_id_job'), 'job', ['job_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answers', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('pages', sa.JSON(), nullable=True))
    _answers_into_documents()
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.alter_column('answers', existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column('pages', existing_type=sa.JSON(), nullable=False)

    op.drop_table('answer')
    op.drop_table('section_state')
    with op.batch_alter_table('cycle', schema=None) as batch_op:
        batch_op.drop_column('results_published_at')


def _answers_into_documents():
    bind = op.get_bind()
    meta = sa.MetaData()
    response = sa.Table('response', meta, autoload_with=bind)
    answer = sa.Table('answer', meta, autoload_with=bind)
    state = sa.Table('section_state', meta, autoload_with=bind)
    link = sa.Table('access_link', meta, autoload_with=bind)
    missing = bind.execute(
        sa.select(link.c.cycle_id, link.c.organisation_id).distinct().select_from(link.outerjoin(
            response, (response.c.cycle_id == link.c.cycle_id) & (response.c.organisation_id == link.c.organisation_id)))
        .where(response.c.id.is_(None))).all()
    for cycle_id, organisation_id in missing:
        bind.execute(response.insert().values(cycle_id=cycle_id, organisation_id=organisation_id, status='not_started',
                                              version=0, consent_to_name=False, created_at=sa.func.now()))
    answers, pages = {}, {}
    for response_id, question_id, value in bind.execute(sa.select(answer.c.response_id, answer.c.question_id,
                                                                  answer.c.value)):
        answers.setdefault(response_id, {})[question_id] = value
    for response_id, section_id, version, saved_at, saved_by in bind.execute(
            sa.select(state.c.response_id, state.c.section_id, state.c.version, state.c.saved_at, state.c.saved_by)):
        if version:
            if isinstance(saved_at, str):
                saved_at = datetime.fromisoformat(saved_at)
            if saved_at is not None:  # SQLite's come naive (stored in UTC); PostgreSQL's in the session's zone
                saved_at = saved_at.replace(tzinfo=timezone.utc) if saved_at.tzinfo is None \
                    else saved_at.astimezone(timezone.utc)
            pages.setdefault(response_id, {})[section_id] = {
                "version": version, "saved_by": saved_by, "saved_at": saved_at.isoformat() if saved_at else None}
    for (response_id,) in bind.execute(sa.select(response.c.id)).all():
        bind.execute(response.update().where(response.c.id == response_id).values(
            answers=answers.get(response_id, {}), pages=pages.get(response_id, {})))


def downgrade():
    with op.batch_alter_table('cycle', schema=None) as batch_op:
        batch_op.add_column(sa.Column('results_published_at', UTC, nullable=True))
    op.create_table('section_state',
    sa.Column('id', sa.INTEGER(), nullable=False),
    sa.Column('response_id', sa.INTEGER(), nullable=False),
    sa.Column('section_id', sa.VARCHAR(length=64), nullable=False),
    sa.Column('version', sa.INTEGER(), nullable=False),
    sa.Column('saved_at', UTC, nullable=True),
    sa.Column('saved_by', sa.VARCHAR(length=200), nullable=True),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_section_state_response_id_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_section_state')),
    sa.UniqueConstraint('response_id', 'section_id', name=op.f('uq_section_state_response_section'))
    )
    op.create_table('answer',
    sa.Column('id', sa.INTEGER(), nullable=False),
    sa.Column('response_id', sa.INTEGER(), nullable=False),
    sa.Column('question_id', sa.VARCHAR(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_answer_response_id_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer')),
    sa.UniqueConstraint('response_id', 'question_id', name=op.f('uq_answer_response_question'))
    )
    bind = op.get_bind()
    meta = sa.MetaData()
    response = sa.Table('response', meta, autoload_with=bind)
    answer = sa.Table('answer', meta, autoload_with=bind)
    state = sa.Table('section_state', meta, autoload_with=bind)
    for response_id, answers, pages in bind.execute(sa.select(response.c.id, response.c.answers, response.c.pages)).all():
        for question_id, value in (answers or {}).items():
            bind.execute(answer.insert().values(response_id=response_id, question_id=question_id, value=value))
        for section_id, page in (pages or {}).items():
            bind.execute(state.insert().values(response_id=response_id, section_id=section_id, version=page["version"],
                                               saved_by=page.get("saved_by"),
                                               saved_at=datetime.fromisoformat(page["saved_at"])
                                               if page.get("saved_at") else None))
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('pages')
        batch_op.drop_column('answers')
    with op.batch_alter_table('email_send', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_email_send_job_id_job'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_email_send_job_id'))
        batch_op.drop_column('job_id')
    with op.batch_alter_table('edition_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_edition_file_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_edition_file_edition_id'))
    op.drop_table('edition_file')
    op.drop_table('edition')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_cycle_id'))
    op.drop_table('job')
