"""The stand-in Apple tools (tests/fakes) accept and refuse what the real tools' man pages say.

Man pages read: leaks(1), heap(1) of macOS 13-26 (public copies:
leancrew.com/all-this/man, keith.github.io/xcode-man-pages); ``xcrun simctl
help <subcommand>`` usage lines; xcodebuild(1) for test-without-building.
A stand-in that accepted anything would let a wrong command line pass its test.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pytest_iosmem.targets.simulator import tool_argv

FAKES = Path(__file__).parent / "fakes"


def run(tool: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(FAKES / tool), *args], capture_output=True, text=True,
                          env=env, timeout=60)


@pytest.mark.parametrize("argv", [
    ["4242"],
    ["-outputGraph", "{graph}", "4242"],
    ["-diffFrom={graph}", "{graph}"],
    ["-quiet", "-nostacks", "MyApp"],
    ["-exclude", "malloc_zone", "4242"],
    ["-atExit", "--", "/bin/true"],
    ["4242", "-list"],  # older man pages put the options after the target
])
def test_leaks_accepts_what_its_man_page_documents(argv, tmp_path):
    graph = str(tmp_path / "a.memgraph")
    proc = run("leaks", *[a.replace("{graph}", graph) for a in argv])
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("argv, says", [
    (["-outputGraph={graph}", "4242"], "unknown option"),  # the man page spells it "-outputGraph path"
    (["-diffFrom", "{graph}", "{graph}"], "-diffFrom="),  # and "-diffFrom=<memgraph>"
    (["-outputGraph", "4242"], "one target"),  # the pid was taken as the path
    (["-bogus", "4242"], "unknown option"),
    ([], "one target"),
    (["4242", "4243"], "one target"),
    (["-atExit", "4242"], "-atExit"),
])
def test_leaks_refuses_what_the_real_tool_would(argv, says, tmp_path):
    graph = str(tmp_path / "a.memgraph")
    proc = run("leaks", *[a.replace("{graph}", graph) for a in argv])
    assert proc.returncode == 2 and says in proc.stderr, (proc.returncode, proc.stderr)


def test_our_leaks_command_lines_are_ones_leaks_accepts(tmp_path):
    graph = str(tmp_path / "g.memgraph")
    assert run("leaks", *tool_argv("leaks", 4242)[1:]).returncode == 0
    made = run("leaks", *tool_argv("leaks", 4242, graph=graph)[1:])
    assert made.returncode == 0 and Path(graph).exists()  # the graph went to the path, not a file named "=..."
    assert run("leaks", *tool_argv("leaks", graph, diff_from=graph)[1:]).returncode == 0
    assert run("heap", *tool_argv("heap", 4242)[1:]).returncode == 0


@pytest.mark.parametrize("argv, ok", [
    (["4242"], True), (["-s", "4242"], True), (["-sortBySize", "-addresses", "all", "4242"], True),
    (["--sortBySize", "4242"], False), (["-addresses"], False), ([], False), (["1", "2"], False),
])
def test_heap_follows_its_man_page(argv, ok):
    assert (run("heap", *argv).returncode == 0) is ok


def test_xcodebuild_wants_separate_option_values_and_an_existing_xctestrun(tmp_path):
    xctestrun = tmp_path / "WDA.xctestrun"
    xctestrun.write_text("<plist/>")
    refused = [
        ["test-without-building", f"-xctestrun={xctestrun}", "-destination", "id=X"],
        ["test-without-building", "-xctestrun", str(tmp_path / "missing.xctestrun"), "-destination", "id=X"],
        ["test-without-building", "-xctestrun", str(xctestrun), "-destination", "X"],
        ["build", "-xctestrun", str(xctestrun)],
    ]
    for argv in refused:
        assert run("xcodebuild", *argv).returncode == 64, argv


def test_simctl_usage_lines_are_enforced(tmp_path):
    env = {"PATH": "/usr/bin:/bin"}
    for argv in (["simctl", "terminate", "X"], ["simctl", "launch"], ["simctl", "launch", "--bogus", "X", "b"],
                 ["simctl", "clone", "X"], ["simctl", "shutdown"], ["simctl", "spawn", "X"]):
        assert run("xcrun", *argv, env=env).returncode == 64, argv
