"""Which simulator of ``--iosmem-simulator-pool`` an xdist worker takes, on its own host.

Pool entries (one per line in ini, or separated by commas/spaces)::

    UDID                      any host (one Mac: the entries are its simulators)
    UDID@WDA_URL              ... with the WebDriverAgent that serves it
    HOST:UDID                 only a worker running on HOST takes it
    HOST:UDID@WDA_URL         ... with its WebDriverAgent (a URL on that host)

HOST is compared with the worker's host name (:func:`pytest_iosmem.hosts.this_host`:
``IOSMEM_HOST`` or the host name), case-insensitive, ``mac2`` matching
``mac2.local``.  Either every entry names a host or none does: a pool that
mixes them would let a worker on ``mac2`` take a UDID that lives on ``mac1``.

Choosing is pure (:func:`choose`): the worker prefers the entry at its worker
index among its host's entries (``gw0`` the first, ``gw1`` the second, ...,
wrapping around) and skips the ones already taken.  "Taken" is known from
leases (:class:`Leases`): an exclusive ``flock`` on a file per UDID in a
directory of the host, held by the worker until it ends.  The kernel drops a
lease when its process dies, so a worker that pytest-xdist restarts after a
crash (under a new ``gwN``) takes the simulator its predecessor left, and two
pytest runs on one Mac never share a simulator.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from ..errors import TargetUnavailable, UsageError
from ..hosts import same_host

__all__ = ["PoolEntry", "parse_pool", "choose", "worker_index", "Leases", "LEASE_DIR_ENV", "default_lease_dir"]

#: environment variable naming the directory of the leases (default: a folder in the temp directory)
LEASE_DIR_ENV = "IOSMEM_LEASE_DIR"

_UDID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]*$")


@dataclass(frozen=True)
class PoolEntry:
    udid: str
    host: str | None = None
    wda_url: str | None = None

    def __str__(self) -> str:
        text = f"{self.host}:{self.udid}" if self.host else self.udid
        return f"{text}@{self.wda_url}" if self.wda_url else text


def parse_pool(items: Iterable[str], option: str = "--iosmem-simulator-pool") -> list[PoolEntry]:
    """Entries from their text; a malformed one, or a mix of hosted and host-less ones, is a UsageError."""
    entries = []
    for raw in items:
        text = raw.strip()
        if not text:
            continue
        head, at, url = text.partition("@")
        host, colon, udid = head.rpartition(":")
        host, udid, url = host.strip(), udid.strip(), url.strip()
        if (colon and not host) or not _UDID.match(udid) or (at and not url):
            raise UsageError(
                f"{option}: {raw!r} is not a pool entry; write UDID, UDID@WDA_URL, HOST:UDID or HOST:UDID@WDA_URL"
            )
        entries.append(PoolEntry(udid, host or None, url or None))
    hosted = [e for e in entries if e.host]
    if hosted and len(hosted) != len(entries):
        loose = ", ".join(str(e) for e in entries if not e.host)
        raise UsageError(
            f"{option}: {loose} name(s) no host while other entries do; with several hosts write HOST:UDID for "
            "every entry, so no worker takes a simulator of another Mac"
        )
    return entries


def worker_index(worker_id: str) -> int:
    """``gw3`` -> 3; ``master`` (no xdist) -> 0."""
    return int(worker_id[2:]) if worker_id.startswith("gw") and worker_id[2:].isdigit() else 0


def choose(
    entries: list[PoolEntry], host: str, worker_id: str, taken: Callable[[PoolEntry], bool] = lambda e: False
) -> PoolEntry:
    """The entry this worker takes (pure: ``taken`` says which are leased already).

    Raises UsageError when the pool names no simulator for this host, and
    TargetUnavailable when every one of them is taken; both name the host.
    """
    mine = [e for e in entries if e.host is None or same_host(e.host, host)]
    if not mine:
        hosts = sorted({e.host for e in entries if e.host})
        raise UsageError(
            f"--iosmem-simulator-pool names no simulator for host {host!r} (xdist worker {worker_id} runs there; "
            f"the pool has entries for {', '.join(hosts) or 'no host'}): add {host}:UDID entries, or use "
            "--iosmem-simulator-clone (set IOSMEM_HOST if this host is known by another name)"
        )
    start = worker_index(worker_id) % len(mine)
    for entry in mine[start:] + mine[:start]:
        if not taken(entry):
            return entry
    raise TargetUnavailable(
        f"--iosmem-simulator-pool has {len(mine)} simulator(s) for host {host!r}, all taken by other workers or "
        f"runs ({', '.join(e.udid for e in mine)}); xdist worker {worker_id} needs one more: give one UDID per "
        "worker on this host"
    )


def default_lease_dir() -> Path:
    """``$IOSMEM_LEASE_DIR``, else a directory of this user's own in the temp dir (0700).

    Per user: the temp dir is shared and its names predictable, so a directory
    anyone can create first (and plant ``<UDID>.lease -> victim`` symlinks in) is
    never used; simulators belong to one user anyway.
    """
    given = os.environ.get(LEASE_DIR_ENV)
    if given:
        return Path(given)
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"pytest-iosmem-leases-{uid}"


def _private_dir(directory: Path, shared_ok: bool) -> None:
    """Create ``directory`` 0700, or check the one there: a real directory (not a symlink) of ours.

    ``shared_ok``: a directory the user named (``$IOSMEM_LEASE_DIR``) may be group-writable on purpose.
    """
    import stat

    try:
        directory.mkdir(mode=0o700, parents=True)
    except FileExistsError:
        pass
    except OSError as exc:
        raise TargetUnavailable(f"cannot create the lease directory {directory}: {exc.strerror or exc}") from None
    st = os.lstat(directory)
    if not stat.S_ISDIR(st.st_mode):
        raise TargetUnavailable(
            f"lease directory {directory} is not a directory (a symlink?): refusing to lease through it; "
            f"remove it or set {LEASE_DIR_ENV}"
        )
    if not shared_ok and hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o077):
        raise TargetUnavailable(
            f"lease directory {directory} is not private (owner uid {st.st_uid}, mode {stat.S_IMODE(st.st_mode):o}; "
            f"expected this user's and 700): refusing to lease through it; remove it or set {LEASE_DIR_ENV}"
        )


class Leases:
    """Exclusive leases on simulators of this host, as ``flock``-ed files (released when the process ends)."""

    def __init__(self, directory: Path | None = None) -> None:
        self._shared_ok = directory is not None or bool(os.environ.get(LEASE_DIR_ENV))
        self.directory = directory or default_lease_dir()
        self._held: dict[str, int] = {}

    def try_take(self, entry: PoolEntry) -> bool:
        """Take the lease of ``entry`` if it is free; False when another process (or lease) holds it."""
        import fcntl

        if entry.udid in self._held:
            return False
        _private_dir(self.directory, self._shared_ok)
        path = self.directory / f"{entry.udid}.lease"
        try:
            # O_NOFOLLOW: a planted "<UDID>.lease -> victim" symlink must not get the victim overwritten
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o600)
        except OSError as exc:
            import errno

            if exc.errno == errno.ELOOP:
                raise TargetUnavailable(f"lease file {path} is a symlink: refusing to follow it; remove it") from None
            raise TargetUnavailable(f"cannot open the lease file {path}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._held[entry.udid] = fd
        return True

    def take(self, entries: list[PoolEntry], host: str, worker_id: str) -> PoolEntry:
        """Choose and lease in one step (a failed ``try_take`` counts as taken)."""
        return choose(entries, host, worker_id, lambda e: not self.try_take(e))

    def __del__(self) -> None:  # a dropped Leases object must not keep its locks until the process ends
        self.release()

    def release(self) -> None:
        for fd in self._held.values():
            try:
                os.close(fd)  # closing drops the flock
            except OSError:
                pass
        self._held.clear()
