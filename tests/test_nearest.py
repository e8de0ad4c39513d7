"""Baselines that survive a machine change: the nearest-profile rule and its hard cases."""

import json

import pytest

from pytest_iosmem.verdict.checks import analyse
from pytest_iosmem.values import Baseline
from pytest_iosmem.baseline import BaselineStore
from pytest_iosmem.errors import BaselineError
from pytest_iosmem.nearest import choose, distance, parse_os
from pytest_iosmem.verdict.policy import Policy
from pytest_iosmem.values import Profile
from pytest_iosmem.timeline import Timeline

NODE = "examples/test_screens.py::test_clean"


def local(py: str, os_name: str = "linux", model: str = "x86_64") -> Profile:
    return Profile("local", model, f"{os_name}-cpython{py}")


def sim(runtime: str, model: str = "com.apple.CoreSimulator.SimDeviceType.iPhone-15") -> Profile:
    return Profile("simulator", model, runtime)


def store_with(tmp_path, *profiles: Profile, end: int = 10_000_000, node: str = NODE) -> BaselineStore:
    store = BaselineStore(tmp_path / "baselines")
    for i, p in enumerate(profiles):
        store.update(p, [(node, Baseline(end=end + i, peak=end + i))])
    return BaselineStore(tmp_path / "baselines")  # a fresh store: nothing cached from the writes


def test_parse_os_drops_the_patch_and_reads_the_runtime():
    assert parse_os("iOS 17.2.1") == parse_os("ios_17.2")  # a key slug reads like the record
    assert parse_os("iOS 17.2.1").version == (17, 2)
    p = parse_os("macos-14-cpython3.12")
    assert (p.family, p.version, p.runtime, p.runtime_version) == ("macos", (14,), "cpython", (3, 12))
    assert parse_os("linux").runtime == ""


def test_other_kind_or_model_or_runtime_is_never_a_candidate():
    here = local("3.12")
    assert distance(here, Profile("simulator", "x86_64", "linux-cpython3.12")) is None
    assert distance(here, local("3.12", model="aarch64")) is None
    assert distance(here, local("3.12", os_name="macos-14")) is None  # other OS family
    assert distance(here, Profile("local", "x86_64", "linux")) is None  # a command's baseline, not the refapp's
    assert distance(here, Profile("local", "x86_64", "linux-pypy3.10")) is None
    assert distance(here, local("3.11")) == ((0, 0), (0, 1))


def test_nearest_python_then_older_on_a_tie():
    here = local("3.12")
    key, reason = choose(here, [(p.key, p) for p in (local("3.10"), local("3.11"), local("3.13"))])
    # 3.11 and 3.13 are equally near 3.12: the older (the one used before the machine changed) wins, and says so
    assert key == local("3.11").key
    assert "other Python cpython3.11, this run cpython3.12" in reason
    assert f"equally near: {local('3.13').key}" in reason


def test_nearest_os_version_first_for_the_simulator():
    here = sim("iOS 17.2")
    cands = [sim("iOS 16.4"), sim("iOS 17.0"), sim("iOS 17.5"), Profile("device", "iPhone15,2", "iOS 17.2")]
    key, reason = choose(here, [(p.key, p) for p in cands])
    assert key == sim("iOS 17.0").key and "equally near" not in reason
    assert "other ios version 17.0, this run 17.2" in reason
    assert choose(here, [(p.key, p) for p in cands if p.kind == "device"]) is None


def test_store_lookup_exact_beats_nearest_and_names_its_origin(tmp_path):
    store = store_with(tmp_path, local("3.11"), local("3.12"))
    b = store.lookup(local("3.12"), NODE)
    assert b.end == 10_000_001 and b.origin.rule == "exact" and not b.origin.borrowed
    b = store.lookup(local("3.13"), NODE)
    assert b.end == 10_000_001 and b.origin.profile == local("3.12").key and b.origin.borrowed
    assert store.lookup(local("3.13"), NODE, "exact") is None
    pinned = store.lookup(local("3.13"), NODE, local("3.11").key)
    assert pinned.end == 10_000_000 and pinned.origin.rule == "pinned"


def test_other_kind_is_never_used_even_when_it_is_the_only_one(tmp_path):
    store = store_with(tmp_path, Profile("simulator", "x86_64", "linux-cpython3.12"))
    assert store.lookup(local("3.12"), NODE) is None


def test_a_corrupt_neighbour_is_an_error_naming_it_and_stays_untouched(tmp_path):
    store = store_with(tmp_path, local("3.11"))
    bad = tmp_path / "baselines" / local("3.10").key / "examples" / "test_screens.py.json"
    bad.parent.mkdir(parents=True)
    bad.write_text("{not json")
    with pytest.raises(BaselineError, match=str(bad)):
        store.lookup(local("3.12"), NODE)
    assert bad.read_text() == "{not json"
    # a corrupt file of another target kind is never read
    other = tmp_path / "baselines" / "simulator-ios_17.2-x" / "examples" / "test_screens.py.json"
    other.parent.mkdir(parents=True)
    other.write_text("{not json")
    bad.unlink()
    assert BaselineStore(tmp_path / "baselines").lookup(local("3.12"), NODE).origin.profile == local("3.11").key
    # pinning exact skips the neighbours altogether
    bad.write_text("{not json")
    assert BaselineStore(tmp_path / "baselines").lookup(local("3.12"), NODE, "exact") is None


def test_a_neighbour_without_a_profile_record_is_an_error(tmp_path):
    path = tmp_path / "baselines" / local("3.11").key / "examples" / "test_screens.py.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"schema": 1, "tests": {"test_clean": {"end": 1, "peak": 1}}}))
    with pytest.raises(BaselineError, match="no profile record"):
        BaselineStore(tmp_path / "baselines").lookup(local("3.12"), NODE)


def test_growth_failure_names_the_borrowed_profile_and_widens_nothing(tmp_path):
    store = store_with(tmp_path, local("3.11"), end=10_000_000)
    baseline = store.lookup(local("3.12"), NODE)
    tl = Timeline()
    tl.add_sample(12_000_000, t=0.0)
    tl.end_footprint = 12_000_000
    v = analyse(tl, Policy(max_growth=Policy().max_growth, noise_floor=1_000_000), baseline)
    (finding,) = [f for f in v.findings if f.kind == "growth" and "end" in f.message]
    assert f"of profile {local('3.11').key} (nearest: same target and model, other Python" in finding.message
    assert finding.limit == 11_000_000  # the same 10% of the borrowed baseline: nothing widened


class _Reader:
    """Stands in for OptionReader (command line, then ini, then default): the options' own defaults plus overrides."""

    def __init__(self, **values):
        from pytest_iosmem.options import GENERAL, LIMITS

        self.values = {o.name: o.default for o in (*GENERAL, *LIMITS)}
        self.values.update(values)

    def __call__(self, name):
        return self.values.get(name)

    def flag(self, name):
        return bool(self.values.get(name))


def test_the_pin_option_names_a_stored_profile_or_is_a_usage_error(tmp_path):
    from pytest_iosmem.errors import UsageError
    from pytest_iosmem.run import IosMemRun

    store_with(tmp_path, local("3.11"))
    assert IosMemRun(_Reader(), tmp_path).settings.baseline_rule == "nearest"  # the default
    assert IosMemRun(_Reader(baseline_profile="EXACT"), tmp_path).settings.baseline_rule == "exact"
    assert IosMemRun(_Reader(baseline_profile=local("3.11").key), tmp_path).settings.baseline_rule == local("3.11").key
    with pytest.raises(UsageError, match=r"--iosmem-baseline-profile=local-linux-cpython3.9-x86_64: no directory .*"
                                         r"\(stored profiles: local-linux-cpython3.11-x86_64\)"):
        IosMemRun(_Reader(baseline_profile="local-linux-cpython3.9-x86_64"), tmp_path)
    with pytest.raises(UsageError, match="choose exact, nearest or a profile key"):
        IosMemRun(_Reader(baseline_profile="../x"), tmp_path)
