"""Which host a worker runs on, for pools, results and artifacts across several Macs.

pytest-xdist's SSH gateways (``--tx ssh=ci@mac2//python=...``) run workers on
other machines; each worker measures the app on its own host, and the
controller gathers the results.  This module answers the two questions that
raises, with no I/O beyond reading the environment and the host name:

- what to call this host (:func:`this_host`): ``IOSMEM_HOST`` when set (a
  stable name for a Mac whose host name changes, e.g. ``Mac-mini-3.local``
  after a Bonjour conflict; set it per host in the ``--tx`` line with
  ``//env:IOSMEM_HOST=mac2``), else :func:`socket.gethostname`;
- whether two names are the same host (:func:`same_host`): ``mac2``,
  ``MAC2`` and ``mac2.local`` are one host.
"""

from __future__ import annotations

import os
import socket

__all__ = ["HOST_ENV", "this_host", "same_host", "remote_note", "gateway_host"]

#: environment variable that names this host (default: the host name)
HOST_ENV = "IOSMEM_HOST"


def this_host() -> str:
    """The name of the host this process runs on, as results and pools use it."""
    return (os.environ.get(HOST_ENV) or "").strip() or socket.gethostname() or "localhost"


def _short(name: str) -> str:
    return name.strip().lower().split(".", 1)[0]


def same_host(a: str | None, b: str | None) -> bool:
    """Case-insensitive, and a short name matches its qualified forms (``mac2`` ~ ``mac2.local``)."""
    if not a or not b:
        return False
    a, b = a.strip().lower(), b.strip().lower()
    return a == b or _short(a) == _short(b)


def remote_note(host: str | None, controller_host: str | None) -> str:
    """``" on host mac2"`` when a file was saved on another host than the controller's, else ``""``.

    Files a remote worker saves stay on that host; saying where is what lets
    someone reading the report on the controller find them.  ``controller_host``
    None (not known) names the host too: better said once too often than a
    path that points at the wrong machine.
    """
    if not host or (controller_host and same_host(host, controller_host)):
        return ""
    return f" on host {host}"


def gateway_host(spec) -> str:
    """The host an execnet gateway spec reaches, as the controller can name it.

    ``//env:IOSMEM_HOST=mac2`` in the spec wins (the worker reports that name
    too); else the ssh target, the last word of the ssh value (execnet passes
    the words before it to ssh as options): ``ssh=-F cfg ci@mac2`` -> ``ci@mac2``;
    "" for a local (popen) worker.
    """
    named = (getattr(spec, "env", None) or {}).get(HOST_ENV)
    if named:
        return named
    value = getattr(spec, "ssh", None)
    return str(value).split()[-1] if value and str(value).split() else ""
