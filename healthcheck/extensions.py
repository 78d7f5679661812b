"""The extensions every part of the application shares, and how it talks to its database."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
csrf = CSRFProtect()

_WRITING = {"healthcheck_writing": True}


@contextmanager
def writing() -> Iterator[None]:
    """One unit of work that changes the database: committed when the block ends, rolled back
    if it raises. Routes, commands and jobs wrap their changes in it; the data layer never
    commits.

    What the block reads, it reads as the one writer: on SQLite its transaction begins with
    BEGIN IMMEDIATE, taking the database's write lock (or waiting its turn for it), because a
    transaction that read first and wrote later would fail, not wait, had another writer
    committed in between. On PostgreSQL the data layer locks the rows it is about to change
    (``with_for_update``). Whatever the session read before is let go first, so decisions are
    made on what is stored now."""
    db.session.commit()
    db.session.connection(execution_options=_WRITING)
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()


def done_reading() -> None:
    """End the transaction that reading began, writing nothing: no transaction is held open over
    what comes next (a long build, a page that will not write), and what the session read is let
    go, so that it is read afresh when next used."""
    db.session.rollback()


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection: Any, connection_record: Any) -> None:
    """SQLite: write-ahead logging, enforced foreign keys, and transactions begun by SQLAlchemy
    (``_sqlite_begin``) rather than by the driver: SQLAlchemy's recipe for SQLite. With WAL,
    synchronous=NORMAL (SQLite's advice for WAL) syncs at checkpoints rather than at every commit:
    a crash of the process loses nothing; a power cut may lose the last commits. Without it each
    commit's sync holds the write lock, and at a survey's peak writers queue behind it (p99 of a
    page save 105 ms rather than 32: docs/performance.md)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("healthcheck_writing") else "BEGIN")
