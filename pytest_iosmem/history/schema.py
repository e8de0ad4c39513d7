"""The history's schema and its migrations: one ordered list, for SQLite and PostgreSQL alike.

A migration is a version number and its statements; ``schema_version`` holds the highest one
applied.  Why not Alembic: three tables, two dialects and a handful of future migrations do not
need SQLAlchemy (a heavy dependency for every user of the SQLite default, which must need
nothing beyond the standard library); the one thing Alembic would add here — applying each
migration once, under concurrent starters — is the lock taken in ``store.py`` around
:func:`pending`.  The statements are written once; the only dialect difference (the run id
column) is the ``{run_id}`` placeholder.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "pending", "statements"]

_RUN_ID = {"sqlite": "INTEGER PRIMARY KEY AUTOINCREMENT", "postgresql": "BIGSERIAL PRIMARY KEY"}

#: (version, statements). Append new migrations; never edit an applied one.
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        1,
        (
            """CREATE TABLE iosmem_runs (
                id {run_id},
                run_key TEXT NOT NULL UNIQUE,
                created TEXT NOT NULL,
                commit_sha TEXT,
                branch TEXT,
                tag TEXT,
                host TEXT,
                source TEXT NOT NULL
            )""",
            """CREATE TABLE iosmem_results (
                run_id BIGINT NOT NULL REFERENCES iosmem_runs(id) ON DELETE CASCADE,
                nodeid TEXT NOT NULL,
                profile TEXT NOT NULL,
                outcome TEXT,
                end_bytes BIGINT,
                peak_bytes BIGINT,
                leak_per_iteration DOUBLE PRECISION,
                reclaimed BIGINT,
                ab_json TEXT,
                PRIMARY KEY (run_id, nodeid, profile)
            )""",
            "CREATE INDEX iosmem_results_test ON iosmem_results (nodeid, profile, run_id)",
        ),
    ),
)

SCHEMA_VERSION = MIGRATIONS[-1][0]


def pending(current: int) -> list[tuple[int, tuple[str, ...]]]:
    """The migrations above ``current``, in order."""
    return [(v, s) for v, s in MIGRATIONS if v > current]


def statements(migration: tuple[str, ...], dialect: str) -> list[str]:
    """A migration's statements for one dialect (``sqlite`` or ``postgresql``)."""
    return [s.format(run_id=_RUN_ID[dialect]) for s in migration]
