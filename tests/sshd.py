"""A throwaway OpenSSH server on 127.0.0.1, for tests that run pytest-xdist workers through real SSH gateways.

What it sets up, all in one temporary directory:

- a host key and a client key (``ssh-keygen``, no passphrase), the client's
  public key as the only authorized key: key-based, no password;
- ``sshd -f sshd_config -D -e`` as a child process on a free loopback port,
  as the user running the tests (root logs in with a key only,
  ``PermitRootLogin prohibit-password``); it accepts ``IOSMEM_HOST`` from clients;
- an ``ssh_config`` whose host aliases (``mac1``, ``mac2``) all reach that
  server, each sending ``SetEnv IOSMEM_HOST=<alias>``: two "Macs" on one machine,
  told apart the way a team names its Macs (see docs/scale.md). Clients use it
  as ``ssh -F ssh_config mac1``, and execnet as ``--tx ssh=-F ssh_config mac1//python=...``.

When sshd or the client tools are missing, or sshd does not start, :func:`start`
raises :class:`Unavailable` with the reason (the tests skip with it); anything
else that goes wrong is a failure.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

HOSTS = ("mac1", "mac2")


class Unavailable(Exception):
    """sshd cannot be installed or started here (the reason is the message)."""


@dataclass
class Sshd:
    directory: Path
    port: int
    process: subprocess.Popen
    config: Path  # the clients' ssh_config
    log: Path
    hosts: tuple[str, ...] = HOSTS
    _stopped: bool = field(default=False, repr=False)

    def ssh(self, host: str, command: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["ssh", "-F", str(self.config), host, command], capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)

    def tx(self, host: str, python: str, chdir: Path) -> str:
        """The ``--tx`` value of a worker on ``host`` (execnet passes ``-F cfg host`` to ssh as is)."""
        return f"ssh=-F {self.config} {host}//python={python}//chdir={chdir}"

    def session_of(self, pid: int) -> int:
        """The sshd session process that serves ``pid`` (its nearest sshd ancestor below the listener)."""
        chain = []
        current = pid
        while current > 1:
            chain.append(current)
            if current == self.process.pid:
                break
            current = _ppid(current)
        else:
            raise AssertionError(f"pid {pid} does not run under this sshd (ancestors {chain})")
        sshds = [p for p in chain[:-1] if _comm(p) == "sshd"]
        if not sshds:
            raise AssertionError(f"no sshd session process between pid {pid} and the listener: {chain}")
        return sshds[0]

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def _ppid(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2:].split()[1])


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _find(tool: str, *extra: str) -> str:
    found = shutil.which(tool) or next((p for p in extra if os.access(p, os.X_OK)), None)
    if not found:
        raise Unavailable(f"no {tool} here (install openssh-server and openssh-client; .ci/run does as root)")
    return found


def start(directory: Path, timeout: float = 15.0) -> Sshd:
    if not Path("/proc/self/stat").exists():
        raise Unavailable("these SSH tests find the worker's sshd session through /proc (Linux)")
    sshd = _find("sshd", "/usr/sbin/sshd", "/usr/local/sbin/sshd")  # sshd wants an absolute path
    keygen = _find("ssh-keygen")
    _find("ssh")
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("host_key", "client_key"):
        subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-f", str(directory / name)], check=True,
                       capture_output=True, timeout=60)
    authorized = directory / "authorized_keys"
    authorized.write_text((directory / "client_key.pub").read_text())
    authorized.chmod(0o600)
    port = _free_port()
    user = getpass.getuser()
    (directory / "sshd_config").write_text(
        f"ListenAddress 127.0.0.1\nPort {port}\nHostKey {directory / 'host_key'}\n"
        f"AuthorizedKeysFile {authorized}\nPidFile {directory / 'sshd.pid'}\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
        "PermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\nAcceptEnv IOSMEM_HOST\n"
        "PrintMotd no\nLogLevel VERBOSE\n"
    )
    config = directory / "ssh_config"
    config.write_text(
        f"Host {' '.join(HOSTS)}\n  HostName 127.0.0.1\n  Port {port}\n  User {user}\n"
        f"  IdentityFile {directory / 'client_key'}\n  IdentitiesOnly yes\n  StrictHostKeyChecking no\n"
        "  UserKnownHostsFile /dev/null\n  BatchMode yes\n  LogLevel ERROR\n"
        + "".join(f"Host {h}\n  SetEnv IOSMEM_HOST={h}\n" for h in HOSTS)
    )
    if os.geteuid() == 0 and not os.path.isdir("/run/sshd"):
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege separation directory
    log = directory / "sshd.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sshd, "-f", str(directory / "sshd_config"), "-D", "-e"], stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise Unavailable(f"sshd did not start (exit {proc.returncode}): {log.read_text(errors='replace')[-600:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                proc.wait(10)
                raise Unavailable(f"sshd listened on no port within {timeout:g}s: {log.read_text(errors='replace')[-600:]}")
            time.sleep(0.1)
    return Sshd(directory, port, proc, config, log)
