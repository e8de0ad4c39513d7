"""The history store: SQLite (standard library) or PostgreSQL (psycopg 3), one schema, one API.

``open_store(TARGET)`` takes a file path (SQLite) or a ``postgresql://`` URL.  Every write is one
transaction: a run and all its rows land together or not at all.  Concurrent writers (two CI
jobs, two pytest runs) are safe: SQLite takes the database's write lock at ``BEGIN IMMEDIATE``
and waits for it (``timeout``); PostgreSQL serialises the migration with an advisory lock and
needs nothing more for appends (each run gets its own id from a sequence).  Under pytest-xdist
only the controller writes (the results reach it on the call reports).
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

from ..errors import IosMemError
from .records import METRICS, ResultRow, RunInfo
from .schema import SCHEMA_VERSION, pending, statements

__all__ = ["HistoryError", "HistoryStore", "SeriesPoint", "open_store", "describe"]

#: a fixed key for PostgreSQL's advisory lock around migrations ("iosmem" in ASCII)
_MIGRATION_LOCK = 0x696F736D656D

_COLUMNS = {"end": "end_bytes", "peak": "peak_bytes", "leak": "leak_per_iteration", "reclaimed": "reclaimed"}


class HistoryError(IosMemError):
    """The history cannot be opened, read or written (names the store and the cause)."""


@dataclass(frozen=True)
class SeriesPoint:
    """One run's value of one test and metric, oldest first in a series."""

    run_id: int
    created: str
    commit: str | None
    branch: str | None
    tag: str | None
    outcome: str | None
    value: float


def describe(target: str) -> str:
    """The store's name for messages, without a password."""
    if "://" not in target:
        return target
    scheme, _, rest = target.partition("://")
    if "@" in rest:
        cred, _, host = rest.rpartition("@")
        user = cred.split(":", 1)[0]
        return f"{scheme}://{user}@{host}" if user else f"{scheme}://{host}"
    return target


def is_url(target: str) -> bool:
    return target.startswith(("postgresql://", "postgres://"))


class HistoryStore:
    """A connection to the history; use as a context manager or call :meth:`close`."""

    def __init__(self, conn: Any, dialect: str, name: str) -> None:
        self._conn = conn
        self.dialect = dialect
        self.name = name

    # -- plumbing ------------------------------------------------------------------------------
    def _sql(self, text: str) -> str:
        return text.replace("?", "%s") if self.dialect == "postgresql" else text

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        """One transaction; SQLite takes the write lock at once (no lock upgrade to deadlock on)."""
        with self._errors():
            cur = self._conn.cursor()
            try:
                cur.execute("BEGIN IMMEDIATE" if self.dialect == "sqlite" else "BEGIN")
                yield cur
                self._conn.commit()
            except BaseException:
                self._conn.rollback()
                raise
            finally:
                cur.close()

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """A driver's error as a HistoryError naming the store."""
        try:
            yield
        except HistoryError:
            raise
        except Exception as exc:
            if not _is_driver_error(exc):
                raise
            raise HistoryError(f"history {self.name}: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}") from None

    def _read(self, text: str, params: Sequence[Any] = ()) -> list[tuple]:
        with self._errors():
            cur = self._conn.cursor()
            try:
                cur.execute(self._sql(text), tuple(params))
                return cur.fetchall()
            finally:
                cur.close()

    def migrate(self) -> int:
        """Apply the pending migrations (each once, also under concurrent starters); the version."""
        with self._transaction() as cur:
            if self.dialect == "postgresql":
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            cur.execute("CREATE TABLE IF NOT EXISTS iosmem_schema_version (version INTEGER NOT NULL)")
            cur.execute("SELECT MAX(version) FROM iosmem_schema_version")
            current = cur.fetchone()[0] or 0
            if current > SCHEMA_VERSION:
                raise HistoryError(
                    f"history {self.name}: schema version {current} is newer than this pytest-iosmem knows "
                    f"({SCHEMA_VERSION}); upgrade pytest-iosmem"
                )
            for version, migration in pending(current):
                for stmt in statements(migration, self.dialect):
                    cur.execute(stmt)
                cur.execute(self._sql("INSERT INTO iosmem_schema_version (version) VALUES (?)"), (version,))
            return max(current, SCHEMA_VERSION)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "HistoryStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- writing -------------------------------------------------------------------------------
    def append(self, run: RunInfo, rows: Sequence[ResultRow]) -> int | None:
        """Add one run and its rows in one transaction; its id, or None when the run was already
        there (same ``run_key``: a report imported twice)."""
        with self._transaction() as cur:
            cur.execute(
                self._sql(
                    "INSERT INTO iosmem_runs (run_key, created, commit_sha, branch, tag, host, source) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_key) DO NOTHING RETURNING id"
                ),
                (run.run_key, run.created, run.commit, run.branch, run.tag, run.host, run.source),
            )
            got = cur.fetchone()
            if got is None:
                return None
            run_id = int(got[0])
            cur.executemany(
                self._sql(
                    "INSERT INTO iosmem_results (run_id, nodeid, profile, outcome, end_bytes, peak_bytes, "
                    "leak_per_iteration, reclaimed, ab_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                ),
                [
                    (run_id, r.nodeid, r.profile, r.outcome, r.end, r.peak, r.leak, r.reclaimed,
                     None if r.ab is None else json.dumps(r.ab, sort_keys=True))
                    for r in rows
                ],
            )
            return run_id

    # -- reading -------------------------------------------------------------------------------
    def series(self, nodeid: str, profile: str, metric: str = "end", branch: str | None = None) -> list[SeriesPoint]:
        """The recorded values of one test on one profile, oldest first (runs without it skipped)."""
        if metric not in _COLUMNS:
            raise HistoryError(f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}")
        col = _COLUMNS[metric]
        where = "r.nodeid = ? AND r.profile = ? AND r.{col} IS NOT NULL".format(col=col)
        params: list[Any] = [nodeid, profile]
        if branch is not None:
            where += " AND u.branch = ?"
            params.append(branch)
        rows = self._read(
            f"SELECT u.id, u.created, u.commit_sha, u.branch, u.tag, r.outcome, r.{col} FROM iosmem_results r "
            f"JOIN iosmem_runs u ON u.id = r.run_id WHERE {where} ORDER BY u.created, u.id",
            params,
        )
        return [SeriesPoint(int(a), str(b), c, d, e, f, float(g)) for a, b, c, d, e, f, g in rows]

    def tests(self) -> list[tuple[str, str, int]]:
        """Every (test, profile) in the history with its number of runs."""
        rows = self._read(
            "SELECT nodeid, profile, COUNT(*) FROM iosmem_results GROUP BY nodeid, profile ORDER BY nodeid, profile"
        )
        return [(str(a), str(b), int(c)) for a, b, c in rows]

    def run_count(self) -> int:
        return int(self._read("SELECT COUNT(*) FROM iosmem_runs")[0][0])

    def result_count(self) -> int:
        return int(self._read("SELECT COUNT(*) FROM iosmem_results")[0][0])


def open_store(target: str | Path, rootdir: Path | None = None, timeout: float = 30.0) -> HistoryStore:
    """Open (and migrate) the history at a SQLite path or a PostgreSQL URL; a HistoryError naming
    the store when it cannot be reached."""
    text = str(target)
    if is_url(text):
        return _open_postgres(text, timeout)
    path = Path(text)
    if rootdir is not None and not path.is_absolute():
        path = rootdir / path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.isolation_level = None  # transactions are explicit (BEGIN IMMEDIATE ... COMMIT)
        store = HistoryStore(_SqliteConn(conn), "sqlite", str(path))
        store.migrate()
        return store
    except sqlite3.Error as exc:
        raise HistoryError(f"history {path}: {exc}") from None
    except OSError as exc:
        raise HistoryError(f"history {path}: {exc}") from None


class _SqliteConn:
    """sqlite3 in autocommit mode with explicit transactions: commit/rollback run as statements."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def cursor(self) -> sqlite3.Cursor:
        return self._conn.cursor()

    def commit(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("COMMIT")

    def rollback(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def close(self) -> None:
        self._conn.close()


def _is_driver_error(exc: BaseException) -> bool:
    """A database driver's error, told by its module: a driver imported twice (pytester's
    in-process runs drop and re-import modules) has two sets of exception classes."""
    return type(exc).__module__.split(".")[0] in ("sqlite3", "psycopg")


def _open_postgres(url: str, timeout: float) -> HistoryStore:
    try:
        import psycopg  # lazy: only a PostgreSQL history needs it
    except ImportError:
        raise HistoryError(
            f"history {describe(url)}: PostgreSQL needs psycopg 3: pip install 'pytest-iosmem[history-postgres]'"
        ) from None
    try:
        conn = psycopg.connect(url, connect_timeout=max(1, int(timeout)))
    except Exception as exc:
        if not _is_driver_error(exc):
            raise
        raise HistoryError(f"history {describe(url)}: {str(exc).strip().splitlines()[0]}") from None
    store = HistoryStore(_PgConn(conn), "postgresql", describe(url))
    try:
        store.migrate()
    except BaseException:
        conn.close()
        raise
    return store


class _PgConn:
    """psycopg in autocommit mode with explicit BEGIN/COMMIT, like the SQLite side."""

    def __init__(self, conn: Any) -> None:
        conn.autocommit = True
        self._conn = conn

    def cursor(self) -> Any:
        return self._conn.cursor()

    def commit(self) -> None:
        self._conn.execute("COMMIT")

    def rollback(self) -> None:
        self._conn.execute("ROLLBACK")

    def close(self) -> None:
        self._conn.close()
