"""Configuration classes. ``HEALTHCHECK_CONFIG`` picks one: development (default), test, production."""

from __future__ import annotations

import os
from datetime import timedelta


class Config:
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI: str | None = os.environ.get("DATABASE_URL")
    # A pooled connection is tested before use, so the service resumes by itself after the
    # database restarts.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    WTF_CSRF_ENABLED = True
    # Werkzeug's scrypt at its default cost (N=32768): a third of a second a password on this machine.
    PASSWORD_HASH_METHOD = "scrypt"
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead: a long page must not expire mid-answer
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    MAX_CONTENT_LENGTH = 512 * 1024  # the largest page of answers is a few kilobytes
    MAX_UPLOAD_LENGTH = 20 * 1024 * 1024  # a returns file (see app.uploads_may_be_larger)
    SQLITE_BUSY_TIMEOUT = float(os.environ.get("SQLITE_BUSY_TIMEOUT", "10"))
    PROXY_FIX = os.environ.get("PROXY_FIX", "") == "1"  # behind a TLS-terminating proxy
    COORDINATOR_IDLE_TIMEOUT = timedelta(minutes=30)
    COORDINATOR_SESSION_LIFETIME = timedelta(hours=8)  # however active: then sign in again
    EMPLOYER_IDLE_TIMEOUT = timedelta(minutes=60)  # with a warning 5 minutes before, on the page
    EMPLOYER_SESSION_LIFETIME = timedelta(hours=8)  # a PSW's or contributor's, however active
    # Coordinators must set up an authenticator app (TOTP) before they can sign in. Off for the
    # demo and tests; an account that has set one up is always asked for its code.
    REQUIRE_TWO_FACTOR = os.environ.get("REQUIRE_TWO_FACTOR", "") == "1"
    # Counted in one place for every process that serves: Redis, which the job queue brings, when
    # set; memory (one count per process) only for the embedded default of a single process.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", os.environ.get("REDIS_URL", "memory://"))
    # The store out of reach (Redis down) costs the limits, not the service: each process then
    # counts in its own memory until the store answers again, and says so once in its log.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    SIGN_IN_RATE_LIMIT = "10 per minute"
    # Requests to the open data API (/api/v1), per client address.
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "120 per minute")
    # Practitioners sending their answers, per client address: generous, because many people in
    # one office may share an address.
    STAFF_SUBMIT_RATE_LIMIT = os.environ.get("STAFF_SUBMIT_RATE_LIMIT", "30 per minute")
    # Wrong staff survey codes tried, per client address (a code is 8 characters of 31: guessing
    # one at this rate takes longer than any survey is open).
    SURVEY_CODE_RATE_LIMIT = os.environ.get("SURVEY_CODE_RATE_LIMIT", "10 per 10 minutes")
    # Outgoing email (invitations and reminders).
    MAIL_HOST = os.environ.get("MAIL_HOST", "127.0.0.1")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_STARTTLS = os.environ.get("MAIL_USE_STARTTLS", "") == "1"
    MAIL_USE_SSL = os.environ.get("MAIL_USE_SSL", "") == "1"
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_FROM = os.environ.get("MAIL_FROM", "Social Work Health Check <healthcheck@example.org>")
    MAIL_TIMEOUT = 10
    # Published figures never come from fewer respondents than this (per authority type in the
    # by-type tables; per table otherwise). 3 keeps the 2017 report's NHS trusts (a sample of 3).
    PUBLICATION_MIN_GROUP = int(os.environ.get("PUBLICATION_MIN_GROUP", "3"))
    # No staff survey figure is shown or published from fewer respondents (never below 10).
    STAFF_MIN_GROUP = max(10, int(os.environ.get("STAFF_MIN_GROUP", "10")))
    # What only a benchmark shows (a median, a type's shares of answers, the statistical neighbours'
    # median) comes from at least this many other respondents; a group's average is shown wherever
    # the national and regional tables show that group (PUBLICATION_MIN_GROUP).
    BENCHMARK_MIN_GROUP = int(os.environ.get("BENCHMARK_MIN_GROUP", "5"))
    # Contact details, the names of the people who filled a return and the staff survey's free
    # text are deleted this many months after a cycle's final edition (healthcheck.store.retention).
    RETENTION_MONTHS = int(os.environ.get("RETENTION_MONTHS", "24"))
    SERVICE_NAME = "Social Work Health Check"
    # Who publishes the results, named on the national report's cover (the coordinating body).
    PUBLISHER = os.environ.get("PUBLISHER", SERVICE_NAME)
    # Links printed by CLI commands (demo, later invitations) start with this.
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")
    # Jobs (publishing, emails, imports) go to a queue: Redis here when set, so that workers on
    # several machines share it; otherwise a SQLite file (default: the instance folder), which
    # only processes on one machine share: production asks ONE_MACHINE=1 to say that is so.
    REDIS_URL = os.environ.get("REDIS_URL")
    QUEUE_FILE = os.environ.get("QUEUE_FILE")
    ONE_MACHINE = os.environ.get("ONE_MACHINE", "") == "1"
    JOBS_IMMEDIATE = False  # run each job at once, in the process that queues it (tests)
    # A job no worker has reported on for this long is taken to be stopped (its worker died): a
    # worker queues it again, to run from the start.
    JOB_STALLED_AFTER = timedelta(seconds=float(os.environ.get("JOB_STALLED_AFTER", "120")))
    # Every edition of the published results lives in a folder of its own under this one
    # (default: the instance folder's "editions"); every web server must see the same folder.
    EDITIONS_FOLDER = os.environ.get("EDITIONS_FOLDER")

    @classmethod
    def check(cls, app) -> None:
        """Refuse to start (``Refused``) with a configuration that is unsafe for this environment."""


class Refused(RuntimeError):
    """A configuration the service will not start with: one line says why, and what to set."""


class DevelopmentConfig(Config):
    DEBUG = False


class TestConfig(Config):
    TESTING = True
    JOBS_IMMEDIATE = True
    RATELIMIT_ENABLED = True
    SECRET_KEY = "test-secret-key-not-for-production"
    # The same scrypt at a low cost (N=1024): the tests make and check a few hundred passwords,
    # each of which would otherwise take a third of a second.
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"
    SERVER_NAME = None


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REQUIRE_TWO_FACTOR = os.environ.get("REQUIRE_TWO_FACTOR", "1") == "1"

    @classmethod
    def check(cls, app) -> None:
        key = app.config.get("SECRET_KEY")
        if not key or len(key) < 32 or len(set(key)) < 12:
            raise Refused(
                "SECRET_KEY is not set, or is too short or too plain (32 characters at least, of 12 different "
                "ones or more): production will not start without a strong one. Generate one with: "
                "python -c 'import secrets; print(secrets.token_hex(32))'"
            )
        if not app.config.get("SQLALCHEMY_DATABASE_URI"):
            raise Refused("DATABASE_URL is not set: production will not start on the embedded SQLite default.")
        if not app.config.get("REDIS_URL") and not app.config.get("ONE_MACHINE"):
            raise Refused(
                "REDIS_URL is not set: production will not queue jobs in a file on this machine, which a "
                "worker on another machine never reads. Set REDIS_URL to the Redis every web server and "
                "worker share, or ONE_MACHINE=1 if they all run on this one machine."
            )
        if str(app.config.get("RATELIMIT_STORAGE_URI", "")).startswith("memory"):
            raise Refused(
                "REDIS_URL (or RATELIMIT_STORAGE_URI) is not set: production will not count sign-ins "
                "in each process's memory, where four web server processes (or machines) would allow "
                "four times the limit. Set RATELIMIT_STORAGE_URI to a store they all share."
            )


CONFIGS = {"development": DevelopmentConfig, "test": TestConfig, "production": ProductionConfig}
