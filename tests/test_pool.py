"""Which pool simulator a worker takes on its host (pure choice), and the leases that make it exclusive.

The leases are real ``flock`` locks in a temp directory; "another worker" is a
real second process holding one (a subprocess), as a worker on the same Mac would.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from pytest_iosmem.errors import TargetUnavailable, UsageError
from pytest_iosmem.hosts import gateway_host, remote_note, same_host, this_host
from pytest_iosmem.targets.pool import Leases, PoolEntry, choose, parse_pool, worker_index

A, B, C, D = (f"{n}0000000-0000-4000-8000-00000000000{n}" for n in range(1, 5))
TWO_MACS = parse_pool([f"mac1:{A}@http://127.0.0.1:8100", f"mac1:{B}@http://127.0.0.1:8101", f"mac2:{C}", f"Mac2.local:{D}"])


# -- syntax ---------------------------------------------------------------------------------------------
def test_entries_with_and_without_host_and_wda_url():
    assert parse_pool([A, f"{B}@http://mac-b:8100"]) == [PoolEntry(A), PoolEntry(B, None, "http://mac-b:8100")]
    assert TWO_MACS[0] == PoolEntry(A, "mac1", "http://127.0.0.1:8100")
    assert TWO_MACS[3] == PoolEntry(D, "Mac2.local", None)
    assert str(TWO_MACS[0]) == f"mac1:{A}@http://127.0.0.1:8100"


@pytest.mark.parametrize("bad", [f":{A}", f"mac1:{A}@", "mac1:", "mac1:@http://x:1", f"mac1:{A} extra"])
def test_malformed_entry_is_a_usage_error_naming_it(bad):
    with pytest.raises(UsageError, match="is not a pool entry") as exc:
        parse_pool([bad])
    assert repr(bad) in str(exc.value)


def test_a_pool_mixing_hosted_and_hostless_entries_is_refused():
    """A host-less UDID would be tried on every Mac: gw3 on mac2 could take mac1's simulator."""
    with pytest.raises(UsageError, match=f"{B} name.s. no host"):
        parse_pool([f"mac1:{A}", B])


# -- choice ------------------------------------------------------------------------------------------------
def test_a_worker_takes_only_entries_of_its_own_host():
    # gw3 runs on mac2: index 3 among mac2's two entries -> the second; never one of mac1's
    assert choose(TWO_MACS, "mac2", "gw3").udid == D
    assert choose(TWO_MACS, "mac2.local", "gw2").udid == C  # qualified host name, short entry
    assert choose(TWO_MACS, "MAC1", "gw0").udid == A
    assert choose(TWO_MACS, "mac1", "gw1").udid == B


def test_taken_entries_are_skipped_wrapping_around():
    taken = {C}
    assert choose(TWO_MACS, "mac2", "gw2", lambda e: e.udid in taken).udid == D
    taken = {D}
    assert choose(TWO_MACS, "mac2", "gw3", lambda e: e.udid in taken).udid == C


def test_hostless_pool_keeps_one_mac_behaviour_by_worker_index():
    pool = parse_pool([A, B, C])
    assert [choose(pool, "anyhost", f"gw{i}").udid for i in range(3)] == [A, B, C]
    assert choose(pool, "anyhost", "master").udid == A


def test_a_host_without_entries_fails_naming_the_host_and_the_hosts_that_have_some():
    with pytest.raises(UsageError) as exc:
        choose(TWO_MACS, "mac3", "gw4")
    msg = str(exc.value)
    assert "host 'mac3'" in msg and "gw4" in msg and "mac1, mac2" in msg and "mac3:UDID" in msg


def test_every_entry_taken_fails_naming_the_host():
    with pytest.raises(TargetUnavailable, match="2 simulator.s. for host 'mac1', all taken") as exc:
        choose(TWO_MACS, "mac1", "gw5", lambda e: True)
    assert A in str(exc.value) and "gw5 needs one more" in str(exc.value)


def test_worker_index():
    assert [worker_index(w) for w in ("gw0", "gw12", "master", "gwx")] == [0, 12, 0, 0]


# -- hosts ------------------------------------------------------------------------------------------------
def test_host_names(monkeypatch):
    assert same_host("mac2", "MAC2.local") and same_host("mac2.example.com", "mac2")
    assert not same_host("mac2", "mac21") and not same_host(None, "mac2")
    monkeypatch.setenv("IOSMEM_HOST", "ci-mac-7")
    assert this_host() == "ci-mac-7"
    monkeypatch.delenv("IOSMEM_HOST")
    import socket

    assert this_host() == socket.gethostname()
    assert remote_note("mac2", "mac1") == " on host mac2"
    assert remote_note("mac1", "MAC1.local") == "" and remote_note("mac2", None) == " on host mac2"


def test_the_host_a_gateway_spec_reaches():
    import execnet

    assert gateway_host(execnet.XSpec("ssh=-F /tmp/cfg ci@mac2//python=/venv/bin/python")) == "ci@mac2"
    assert gateway_host(execnet.XSpec("ssh=mac1//python=python3")) == "mac1"
    assert gateway_host(execnet.XSpec("popen//python=python3")) == ""
    assert gateway_host(execnet.XSpec("ssh=ci@10.0.0.7//python=python3//env:IOSMEM_HOST=mac2")) == "mac2"


# -- leases ----------------------------------------------------------------------------------------------------
HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from pytest_iosmem.targets.pool import Leases, PoolEntry
    leases = Leases(Path(sys.argv[1]))
    assert leases.try_take(PoolEntry(sys.argv[2]))
    print("held", flush=True)
    sys.stdin.read()  # hold the lease until the test closes our stdin (or kills us)
    """
)


def test_a_lease_held_by_another_process_is_skipped_and_freed_when_it_dies(tmp_path):
    pool = parse_pool([f"mac1:{A}", f"mac1:{B}"])
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path), A], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        mine = Leases(tmp_path)
        assert mine.take(pool, "mac1", "gw0").udid == B  # gw0 prefers A, which the other process holds
        with pytest.raises(TargetUnavailable, match="all taken"):
            Leases(tmp_path).take(pool, "mac1", "gw1")
        holder.kill()  # a crashed worker: the kernel drops its lock
        holder.wait(10)
        assert Leases(tmp_path).take(pool, "mac1", "gw7").udid == A
        mine.release()
        assert Leases(tmp_path).try_take(PoolEntry(B))
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(10)


def test_a_planted_lease_symlink_is_refused_and_its_victim_untouched(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    leases_dir = tmp_path / "leases"
    leases_dir.mkdir(mode=0o700)
    (leases_dir / f"{A}.lease").symlink_to(victim)
    with pytest.raises(TargetUnavailable, match=f"{A}.lease is a symlink"):
        Leases(leases_dir).try_take(PoolEntry(A))
    assert victim.read_text() == "precious"


def test_the_default_lease_directory_is_private_to_this_user(tmp_path, monkeypatch):
    import stat

    from pytest_iosmem.targets import pool

    monkeypatch.delenv(pool.LEASE_DIR_ENV, raising=False)
    monkeypatch.setattr(pool.tempfile, "gettempdir", lambda: str(tmp_path))
    leases = Leases()
    assert leases.directory == tmp_path / f"pytest-iosmem-leases-{os.getuid()}"
    assert leases.try_take(PoolEntry(A))
    assert stat.S_IMODE(leases.directory.stat().st_mode) == 0o700
    assert stat.S_IMODE((leases.directory / f"{A}.lease").stat().st_mode) == 0o600
    leases.release()
    # one somebody else made first (or made world-writable) is refused, not used
    leases.directory.chmod(0o777)
    with pytest.raises(TargetUnavailable, match="is not private"):
        Leases().try_take(PoolEntry(B))
    leases.directory.chmod(0o700)
    # nor a symlink to some other directory
    leases.directory.rename(tmp_path / "elsewhere")
    leases.directory.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(TargetUnavailable, match="not a directory"):
        Leases().try_take(PoolEntry(B))
