"""The plugin end to end, the way users run it (pytester), on real processes.

The app under test is tests/apps/memapp.py: one "visit" is SIGUSR2, a memory
warning SIGUSR1 — the UI of a real app reduced to a signal.
"""

import json
import sys

import pytest

from .helpers import INNER, NO_HYPOTHESIS, OWN_WORKERS, inner_conftest, memapp_command

pytestmark = [
    pytest.mark.slow,  # every test is a real pytest run gating a real process
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the test app's readiness check reads /proc"),
]

LEAK_TEST = """
import pytest

@pytest.mark.iosmem(leak_per_iteration="100KB")
def test_visit(iosmem, visit):
    for _ in iosmem.iterations(6, warmup=2):
        visit()
"""

KB = 1000


@pytest.fixture
def project(pytester):
    pytester.makeconftest(inner_conftest())
    return pytester


def app(*args):
    return "--iosmem-app=" + memapp_command(*args)


def run(pytester, *args, subprocess=False):
    runner = pytester.runpytest_subprocess if subprocess else pytester.runpytest
    return runner(*INNER, "--iosmem-interval=0.01", *args)


def report(pytester, name="r.json"):
    return json.loads((pytester.path / name).read_text())


def test_a_known_leak_fails_with_an_estimate_within_25_percent(project):
    project.makepyfile(test_leak=LEAK_TEST)
    leak = 300 * 1024
    result = run(project, app("--leak", str(leak), "--noise", "65536", "--seed", "3"), "--iosmem-json=r.json")
    result.assert_outcomes(failed=1)
    # 6 planned readings; the sequential rule may add one or two when a reading wobbles (issue 19)
    result.stdout.re_match_lines([r".*leak: \+\d+ KB per iteration over [678] iterations \((\d added to decide; )?"
                                  r"trend p=0\.00\d+\), limit 100 KB"])
    [r] = report(project)["tests"]
    assert r["findings"][0]["kind"] == "leak"
    assert r["metrics"]["leak"]["per_iteration"] == pytest.approx(leak, rel=0.25)


def test_noisy_flat_memory_passes_again_and_again(project):
    # Twelve independent runs of a noisy app that does not leak: any false positive fails this test.
    # Independent: each run's app gets its own noise seed (the iosmem_app marker's launch arguments).
    project.makepyfile(
        test_flat="""
import pytest

RUNS = [pytest.param(i, marks=pytest.mark.iosmem_app(args=["--seed", str(100 + i)])) for i in range(12)]

@pytest.mark.parametrize("run", RUNS)
def test_flat(iosmem, visit, run):
    for _ in iosmem.iterations(6, warmup=2):
        visit()
"""
    )
    result = run(project, app("--noise", str(512 * 1024)), "--iosmem-json=r.json")
    result.assert_outcomes(passed=12)
    tests = report(project)["tests"]
    # the verdict, not the estimate, is the promise: never a leak finding (a noisy run may need more iterations)
    leak = [d for r in tests for d in r["decisions"] if d["check"] == "leak"]
    assert len(leak) == 12 and "finding" not in {d["outcome"] for d in leak}, leak
    # the twelve noise sequences differ (one seed twelve times would repeat one sequence)
    ends = {tuple(i["footprint"] - t["timeline"]["iterations"][0]["footprint"] for i in t["timeline"]["iterations"])
            for t in tests}
    assert len(ends) >= 10


def test_update_writes_baselines_then_growth_is_gated(project):
    project.makepyfile(
        test_grow="""
def test_screen(iosmem, visit):
    for _ in iosmem.iterations(4, warmup=0):
        pass
"""
    )
    first = run(project, app("--base", str(20 * 1024 * 1024)), "--iosmem-update-baselines")
    first.assert_outcomes(passed=1)
    first.stdout.fnmatch_lines(["*baselines written: baselines/local-*/test_grow.py.json*"])
    files = list((project.path / "baselines").rglob("*.json"))
    assert len(files) == 1
    stored = json.loads(files[0].read_text())["tests"]["test_screen"]
    assert stored["end"] > 20 * 1024 * 1024

    # Same app: within tolerance, passes against the stored baseline.
    run(project, app("--base", str(20 * 1024 * 1024))).assert_outcomes(passed=1)
    # +40% footprint: growth over the baseline fails, and says by how much.
    grown = run(project, app("--base", str(30 * 1024 * 1024)))
    grown.assert_outcomes(failed=1)
    grown.stdout.fnmatch_lines(["*growth: end footprint * over the baseline *allowed*"])
    # A plain run never rewrites the baseline.
    assert json.loads(files[0].read_text())["tests"]["test_screen"] == stored


def test_a_leaking_test_is_not_accepted_into_the_baselines_without_force(project):
    project.makepyfile(test_leak=LEAK_TEST)
    result = run(project, app("--leak", str(400 * 1024)), "--iosmem-update-baselines")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*baseline not updated for test_leak.py::test_visit*--iosmem-force-update*"])
    assert not (project.path / "baselines").exists()
    forced = run(project, app("--leak", str(400 * 1024)), "--iosmem-update-baselines", "--iosmem-force-update")
    forced.assert_outcomes(failed=1)
    assert len(list((project.path / "baselines").rglob("*.json"))) == 1


def test_corrupt_baseline_is_a_clear_error_and_stays_untouched(project):
    project.makepyfile(test_grow="def test_screen(iosmem):\n    pass\n")
    run(project, app(), "--iosmem-update-baselines").assert_outcomes(passed=1)
    [path] = list((project.path / "baselines").rglob("*.json"))
    path.write_text('{"schema": 1, "tests": {')
    for extra in ((), ("--iosmem-update-baselines",)):
        result = run(project, app(), *extra)
        result.assert_outcomes(errors=1)
        result.stdout.fnmatch_lines([f"*baseline file {path} is corrupt*", "*Interrupted: iosmem: baseline file*"])
        assert "During handling" not in result.stdout.str()
        assert path.read_text() == '{"schema": 1, "tests": {'


def test_the_app_dying_mid_test_is_a_failure_that_says_so(project):
    project.makepyfile(
        test_die="""
def test_crashes(iosmem, visit):
    for _ in iosmem.iterations(6, warmup=0):
        visit()

def test_next_gets_a_fresh_app(iosmem, visit):
    for _ in iosmem.iterations(4, warmup=0):
        pass
"""
    )
    result = run(project, app("--crash-after", "2"), "--iosmem-json=r.json")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*terminated: the app died (killed by SIGSEGV)*"])
    crashed, fresh = report(project)["tests"]
    assert crashed["findings"][0]["kind"] == "terminated"
    assert len(crashed["timeline"]["samples"]) > 3  # the timeline up to the crash is kept
    assert fresh["findings"] == []


def test_jetsam_like_limit_kill_is_reported_as_such(project):
    project.makepyfile(
        test_jetsam="""
def test_big(iosmem, visit):
    for _ in iosmem.iterations(8, warmup=0):
        visit()
"""
    )
    result = run(project, app("--leak", str(8 * 1024 * 1024)), "--iosmem-jetsam-limit=40MB")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*terminated: the app died (jetsam: per-process-limit) at *MB*"])


def test_memory_warning_reclaim_is_measured_and_gated(project):
    project.makepyfile(
        test_warn="""
import pytest

@pytest.mark.iosmem(reclaim_after_warning="10MB")
def test_purges(iosmem, visit):
    assert iosmem.memory_warning() > 15_000_000

@pytest.mark.iosmem(reclaim_after_warning="10MB")
def test_keeps(iosmem, visit):
    iosmem.memory_warning()
"""
    )
    purging = run(project, app("--cache", str(20 * 1024 * 1024)), "-k", "purges")
    purging.assert_outcomes(passed=1)
    stubborn = run(project, app(), "-k", "keeps")
    stubborn.assert_outcomes(failed=1)
    stubborn.stdout.fnmatch_lines(["*no-reclaim: memory warning 1 gave back *, at least 10.0 MB expected*"])


@pytest.mark.parametrize(
    "marker,needle",
    [
        ('max_peak="12 parsecs"', "test_bad.py::test_x: max_peak='12 parsecs'"),
        ('max_growth="eight%"', "test_bad.py::test_x: max_growth='eight%'"),
        ('leak_per_iteration="-5KB"', "leak_per_iteration='-5KB'"),
        ('jetsam_headroom="150%"', "jetsam_headroom='150%'"),
        ('max_leak="1MB"', "unknown iosmem marker key(s) max_leak"),
    ],
)
def test_a_bad_marker_value_is_a_usage_error_naming_test_key_and_value(project, marker, needle):
    project.makepyfile(test_bad=f"import pytest\n\n@pytest.mark.iosmem({marker})\ndef test_x(iosmem):\n    pass\n")
    result = run(project, app())
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{needle}*"])


def test_a_bad_option_is_a_usage_error_before_any_gated_test_runs(project):
    project.makepyfile(test_ok="def test_x(iosmem):\n    pass\n")
    result = run(project, "--iosmem-interval=fast")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--iosmem-interval='fast' is not a number*"])
    result = run(project, "--iosmem-max-growth=lots")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    # A run that gates nothing does not even read the plugin's options (start-up stays light).
    project.makepyfile(test_ok="def test_x():\n    pass\n")
    run(project, "--iosmem-interval=fast").assert_outcomes(passed=1)


def test_ini_defaults_apply_and_the_marker_wins(project):
    project.makeini(
        f"""
[pytest]
iosmem_leak_per_iteration = 2MB
iosmem_app = {memapp_command("--leak", str(400 * 1024))}
"""
    )
    project.makepyfile(
        test_ini="""
import pytest

def test_default_limit(iosmem, visit):
    for _ in iosmem.iterations(6, warmup=1):
        visit()

@pytest.mark.iosmem(leak_per_iteration="100KB")
def test_marker_limit(iosmem, visit):
    for _ in iosmem.iterations(6, warmup=1):
        visit()
"""
    )
    result = run(project)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["FAILED test_ini.py::test_marker_limit*"])


def test_junit_gets_the_metrics_as_properties(project):
    project.makepyfile(test_leak=LEAK_TEST)
    run(project, app("--leak", str(300 * 1024)), "--junitxml=junit.xml")
    xml = (project.path / "junit.xml").read_text()
    for name in ("iosmem_peak", "iosmem_end", "iosmem_leak_per_iteration", "iosmem_verdict"):
        assert f'name="{name}"' in xml
    assert 'value="FAIL leak"' in xml


def test_marker_without_fixture_still_measures(project):
    project.makepyfile(
        test_m="import pytest\n\n@pytest.mark.iosmem(max_peak='1GB')\ndef test_x():\n    pass\n"
    )
    result = run(project, app(), "--iosmem-json=r.json")
    result.assert_outcomes(passed=1)
    assert report(project)["tests"][0]["nodeid"] == "test_m.py::test_x"


def test_disabled_plugin_and_quiet_mode(project):
    project.makepyfile(test_plain="def test_x():\n    pass\n")
    off = project.runpytest("-p", "no:cacheprovider", "-p", "no:iosmem")
    off.assert_outcomes(passed=1)
    assert "iosmem memory gates" not in off.stdout.str()
    project.makepyfile(test_leak=LEAK_TEST)
    quiet = run(project, app("--leak", str(300 * 1024)), "-q")
    quiet.assert_outcomes(passed=1, failed=1)
    quiet.stdout.fnmatch_lines(["*iosmem memory gates*", "*test_visit*FAIL leak*"])


def test_summary_table_fits_100_columns(project):
    project.makepyfile(
        test_long="""
import pytest

@pytest.mark.parametrize("name", ["a_really_long_parameter_value_that_goes_on_and_on_" * 2])
def test_with_a_very_long_name_for_a_screen_that_iosmem_gates_in_the_summary(iosmem, name):
    pass
"""
    )
    result = run(project, app(), "-p", "no:randomly")
    lines = result.stdout.lines
    start = next(i for i, line in enumerate(lines) if "iosmem memory gates" in line)
    table = lines[start + 1 : start + 4]
    assert all(len(line) <= 100 for line in table), table


def test_verbose_mode_shows_iteration_progress(project):
    project.makepyfile(test_leak=LEAK_TEST)
    result = run(project, app(), "-v")
    result.stdout.fnmatch_lines(["*iosmem: warm-up 1/2:*MB*", "*iosmem: iteration 6/6:*MB*"])


@pytest.mark.xdist_group(OWN_WORKERS)
def test_xdist_runs_gates_on_two_workers_and_updates_baselines(project):
    pytest.importorskip("xdist")
    project.makepyfile(
        test_many="""
import pytest

@pytest.mark.parametrize("i", range(4))
def test_screen(iosmem, visit, i):
    for _ in iosmem.iterations(4, warmup=0):
        visit()
"""
    )
    result = run(project, "-n", "2", app(), "--iosmem-update-baselines", "--iosmem-json=r.json", subprocess=True)
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*iosmem memory gates*", "*baselines written*"])
    tests = report(project)["tests"]
    assert len(tests) == 4
    from pytest_iosmem.hosts import this_host

    # each result says which host and worker measured it (the controller merged them)
    assert {r["host"] for r in tests} == {this_host()} and {r["worker"] for r in tests} <= {"gw0", "gw1"}
    [path] = list((project.path / "baselines").rglob("*.json"))
    assert sorted(json.loads(path.read_text())["tests"]) == [f"test_screen[{i}]" for i in range(4)]
    again = run(project, "-n", "2", app("--base", str(30 * 1024 * 1024)), subprocess=True)
    again.assert_outcomes(failed=4)


def test_no_heavy_imports_when_no_fixture_is_used(pytester):
    pytester.makepyfile(
        test_light="""
import sys

def test_modules():
    heavy = [m for m in ("wda", "pymobiledevice3", "pygal", "requests") if m in sys.modules]
    assert heavy == []
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *NO_HYPOTHESIS, "-p", "iosmem")
    result.assert_outcomes(passed=1)


@pytest.mark.xdist_group(OWN_WORKERS)
def test_four_concurrent_runs_updating_the_same_baselines_lose_nothing(project):
    """Counted: 4 pytest processes, run at once, each update both baseline files; all 12 entries survive.

    (Under xdist only the controller writes baselines, so concurrent writers are
    separate runs: CI jobs sharing a checkout, a developer's run beside CI's.)
    """
    import os
    import subprocess

    project.makepyfile(
        test_a="import pytest\n\n@pytest.mark.parametrize('i', range(6))\ndef test_x(iosmem, i):\n    pass\n",
        test_b="import pytest\n\n@pytest.mark.parametrize('i', range(6))\ndef test_y(iosmem, i):\n    pass\n",
    )
    procs = []
    for k in range(4):  # run k takes the tests whose index is k or k + 4 (of 0..5)
        ids = [f"test_a.py::test_x[{i}]" for i in range(6) if i % 4 == k] + \
              [f"test_b.py::test_y[{i}]" for i in range(6) if i % 4 == k]
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "pytest", *INNER, "--iosmem-interval=0.01", app(),
             "--iosmem-update-baselines", *ids],
            cwd=project.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=dict(os.environ)))
    outs = [p.communicate(timeout=600)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], "\n".join(o[-2000:] for o in outs)
    stored = [n for f in (project.path / "baselines").rglob("*.json") for n in json.loads(f.read_text())["tests"]]
    assert sorted(stored) == sorted([f"test_x[{i}]" for i in range(6)] + [f"test_y[{i}]" for i in range(6)])
