"""The two history back-ends the history tests run against: a SQLite file, and a real PostgreSQL.

PostgreSQL is the server ``.ci/run`` starts (``.ci/postgres.sh``: Debian's package, a private
port and socket) and names in ``IOSMEM_TEST_POSTGRES_URL``; each test gets a database of its own,
dropped after it.  Without that variable the PostgreSQL case is skipped with the reason, except
in CI (``CI`` set), where a missing server is a failure: the PostgreSQL path must run there.
"""

from __future__ import annotations

import os
import uuid

import pytest

PG_URL = os.environ.get("IOSMEM_TEST_POSTGRES_URL")


def _postgres_database():
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("CI: IOSMEM_TEST_POSTGRES_URL is not set; .ci/run starts PostgreSQL for these tests")
        pytest.skip("no PostgreSQL server: set IOSMEM_TEST_POSTGRES_URL (source .ci/postgres.sh && pg_start)")
    psycopg = pytest.importorskip("psycopg", reason="psycopg 3 is not installed (extra history-postgres)")
    name = "iosmem_test_" + uuid.uuid4().hex[:12]
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    base, _, _ = PG_URL.rpartition("/")
    yield f"{base}/{name}"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def history_target(request, tmp_path):
    """A fresh, empty history: a SQLite path or a PostgreSQL URL."""
    if request.param == "sqlite":
        yield str(tmp_path / "history.db")
    else:
        yield from _postgres_database()
