"""The gate keeps working when things break: Ctrl-C, garbage files, flaky reads."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_iosmem.baseline import BaselineStore
from pytest_iosmem.errors import BaselineError
from pytest_iosmem.values import Profile
from pytest_iosmem.units import UnitError, parse_percent, parse_size, parse_tolerance

from .helpers import INNER, inner_conftest, memapp_command

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the test app's readiness check reads /proc")


@pytest.mark.slow
@linux_only
def test_ctrl_c_mid_run_terminates_the_app_and_writes_partial_reports(tmp_path):
    (tmp_path / "conftest.py").write_text(inner_conftest())
    (tmp_path / "test_long.py").write_text(
        "import pathlib\n\n"
        "def test_long(iosmem, visit):\n"
        "    pathlib.Path('app.pid').write_text(str(iosmem.app.pid))\n"
        "    for _ in iosmem.iterations(500, warmup=0):\n"
        "        visit()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", *INNER, "--iosmem-json=r.json",
         "--iosmem-app=" + memapp_command("--leak", "100000"), "test_long.py"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    pid_file = tmp_path / "app.pid"
    deadline = time.monotonic() + 30
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.5)  # a few iterations in
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    text = out.decode()
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, text
    app_pid = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while os.path.exists(f"/proc/{app_pid}") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not os.path.exists(f"/proc/{app_pid}"), "the app outlived the interrupted run"
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["interrupted"] is True
    [result] = doc["tests"]
    assert result["outcome"] == "interrupted"
    assert len(result["timeline"]["iterations"]) >= 2


# -- fuzzing: every input parses or raises the project's own clear error ----------------------

@given(st.one_of(st.text(max_size=30), st.integers(), st.floats(allow_nan=True), st.booleans(), st.none()))
def test_size_parsing_never_raises_anything_else(value):
    for parse in (parse_size, parse_percent, parse_tolerance):
        try:
            parse(value)
        except UnitError as exc:
            assert str(exc)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    doc=st.one_of(
        json_values,
        st.fixed_dictionaries({"schema": st.just(1), "tests": st.dictionaries(st.text(max_size=8), json_values, max_size=3)}),
        st.fixed_dictionaries(
            {
                "schema": st.just(1),
                "tests": st.dictionaries(
                    st.text(max_size=8),
                    st.fixed_dictionaries({"end": json_values, "peak": json_values}),
                    max_size=3,
                ),
            }
        ),
    ),
    raw=st.binary(max_size=40),
    use_raw=st.booleans(),
)
def test_baseline_files_never_raise_anything_else(tmp_path, doc, raw, use_raw):
    store = BaselineStore(tmp_path)
    profile = Profile("local", "x", "y")
    path = store.path_for(profile, "m.py")
    path.parent.mkdir(parents=True, exist_ok=True)
    data = raw if use_raw else json.dumps(doc).encode()
    path.write_bytes(data)
    try:
        for name in ("test_a", *(doc.get("tests", {}) if isinstance(doc, dict) and isinstance(doc.get("tests"), dict) else ())):
            BaselineStore(tmp_path).load(profile, f"m.py::{name}")
    except BaselineError as exc:
        assert str(path) in str(exc)
    assert path.read_bytes() == data


# -- WebDriverAgent gone or hanging: bounded waits, clear errors ---------------------------------

def test_wda_gone_is_a_bounded_clear_error():
    import socket

    from pytest_iosmem.errors import TargetError
    from pytest_iosmem.wda_glue import wait_until_ready

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    start = time.monotonic()
    with pytest.raises(TargetError) as info:
        wait_until_ready(f"http://127.0.0.1:{port}", timeout=0.5)
    assert time.monotonic() - start < 3
    assert f"http://127.0.0.1:{port}" in str(info.value) and "not reachable" in str(info.value)


@pytest.mark.slow
def test_wda_hanging_is_a_bounded_clear_error():
    import socket
    import threading

    from pytest_iosmem.errors import TargetError
    from pytest_iosmem.wda_glue import wait_until_ready

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)  # accepts connections (kernel backlog) but never answers
    port = server.getsockname()[1]
    try:
        start = time.monotonic()
        with pytest.raises(TargetError, match="not reachable after 1s"):
            wait_until_ready(f"http://127.0.0.1:{port}", timeout=1)
        assert time.monotonic() - start < 4
    finally:
        server.close()
    assert threading.active_count() >= 1


def test_intermittent_read_failures_are_gaps_in_the_report():
    """A target whose reads fail now and then (stand-in at the Target seam for a flaky
    device connection) gives a verdict with a note, not a crash."""
    from pytest_iosmem.verdict.checks import analyse
    from pytest_iosmem.errors import ReadFailed
    from pytest_iosmem.verdict.policy import Policy
    from pytest_iosmem.sampler import Sampler
    from pytest_iosmem.targets.base import App, Reading
    from pytest_iosmem.timeline import Timeline

    class Flaky:
        kind = "flaky"
        n = 0

        def read(self, app):
            self.n += 1
            if self.n % 3 == 0:
                raise ReadFailed("device busy")
            return Reading(1_000_000 + self.n)

        def poll_termination(self, app):
            return None

        def drain_events(self, app):
            return []

    tl = Timeline()
    s = Sampler(Flaky(), App(1, "x", "flaky"), tl, interval=0.001).start()
    time.sleep(0.1)
    assert s.stop(1)
    v = analyse(tl, Policy())
    assert v.passed
    assert v.metrics.read_gaps >= 3
    assert any("footprint reads failed" in n for n in v.notes)


# -- every parser of tool output: parse or raise ParseError, nothing else ------------------------

from pytest_iosmem.errors import ParseError  # noqa: E402
from pytest_iosmem.parsers.heap import parse_heap  # noqa: E402
from pytest_iosmem.parsers.leaks import parse_leaks  # noqa: E402
from pytest_iosmem.parsers.simctl import parse_launch_pid, parse_launchctl_pid, parse_list  # noqa: E402

_DATA = __import__("pathlib").Path(__file__).parent / "data"
_SEEDS = [
    (_DATA / name).read_text()
    for name in ("heap_ios_sim_17_2.txt", "leaks_output_ios_sim_bytebuddy_cycle.txt",
                 "simctl_list_xcode14.json", "simctl_spawn_launchctl_list_1.txt")
]
_PARSERS = [
    parse_heap, parse_leaks, parse_list,
    lambda t: parse_launch_pid(t, "com.example.app"), lambda t: parse_launchctl_pid(t, "com.example.app"),
]


@settings(max_examples=300, deadline=None)
@given(seed=st.sampled_from(_SEEDS), cut=st.integers(0, 5000), junk=st.text(max_size=40), mode=st.integers(0, 3))
def test_tool_output_parsers_never_raise_anything_else(seed, cut, junk, mode):
    """Real recordings, truncated, spliced with junk or with lines dropped."""
    if mode == 0:
        text = seed[:cut]
    elif mode == 1:
        text = seed[:cut] + junk + seed[cut:]
    elif mode == 2:
        lines = seed.splitlines()
        text = "\n".join(line for i, line in enumerate(lines) if i % (cut % 7 + 2))
    else:
        text = junk
    for parse in _PARSERS:
        try:
            parse(text)
        except ParseError as exc:
            assert "cannot parse" in str(exc)
