"""Every option is checked in one place, and every bad value is named in one error (settings.py)."""

from pathlib import Path

import pytest

from pytest_iosmem.errors import UsageError
from pytest_iosmem.settings import read_settings


def reader(**values):
    return (lambda name: values.get(name)), (lambda name: bool(values.get(name)))


def test_defaults_make_a_run_that_needs_no_option(tmp_path: Path) -> None:
    option, flag = reader(interval="0.04", wda_timeout="30", settle_timeout="3", settle_interval="0.04", settle_window="5", iterations="6", warmup="2")
    s = read_settings(option, flag, tmp_path)
    assert (s.target, s.relaunch, s.attribution, s.objects) == ("local", "test", "auto", "auto")
    assert s.default_policy is not None and s.default_policy.leak_per_iteration == 128_000
    assert s.base_app is None and s.ab_plan is None and s.repeat is None
    assert s.baselines_dir == tmp_path / "baselines"


def test_every_bad_value_is_named_at_once(tmp_path: Path) -> None:
    option, flag = reader(interval="fast", wda_timeout="30", settle_timeout="-1", settle_interval="0.04",
                          settle_window="5", iterations="0", warmup="2",
                          relaunch="sometimes", objects="maybe", leak_per_iteration="lots", jetsam_limit="big",
                          local_warning_signal="SIGNOPE", repeat="x")
    with pytest.raises(UsageError) as info:
        read_settings(option, flag, tmp_path)
    lines = str(info.value).splitlines()
    for expected in ("--iosmem-interval='fast'", "--iosmem-settle-timeout='-1'", "--iosmem-iterations='0'",
                     "--iosmem-relaunch='sometimes'", "--iosmem-objects='maybe'", "leak_per_iteration='lots'",
                     "--iosmem-jetsam-limit='big'", "--iosmem-local-warning-signal='SIGNOPE'", "--iosmem-repeat='x'"):
        assert sum(expected in line for line in lines) == 1, (expected, lines)
    assert len(lines) == 9


def test_ab_options_that_cannot_go_together_are_all_said(tmp_path: Path) -> None:
    option, flag = reader(interval="0.04", wda_timeout="30", settle_timeout="3", settle_interval="0.04", settle_window="5", iterations="6", warmup="2",
                          base_app="python -m base", relaunch="session", pid="123", update_baselines=True,
                          ab_pairs="0:3")
    with pytest.raises(UsageError) as info:
        read_settings(option, flag, tmp_path)
    text = str(info.value)
    assert "--iosmem-relaunch=session cannot be used" in text and "--iosmem-pid (attach)" in text
    assert "drop --iosmem-update-baselines" in text and "--iosmem-ab-pairs='0:3'" in text


def test_target_options_are_checked_only_for_the_chosen_target(tmp_path: Path) -> None:
    base = dict(interval="0.04", wda_timeout="30", settle_timeout="3", settle_interval="0.04", settle_window="5", iterations="6", warmup="2",
                device_sysmon_interval="never")
    option, flag = reader(**base)
    read_settings(option, flag, tmp_path)  # local: the device's option is not read
    option, flag = reader(**base, target="device")
    with pytest.raises(UsageError, match="--iosmem-device-sysmon-interval='never'"):
        read_settings(option, flag, tmp_path)
    option, flag = reader(**base, target="phone")
    with pytest.raises(UsageError, match="--iosmem-target='phone' is not a target"):
        read_settings(option, flag, tmp_path)


def test_a_bad_value_stops_pytest_before_any_test_runs(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(iosmem):\n    pass\n")
    res = pytester.runpytest_inprocess("--iosmem-interval=soon", "--iosmem-iterations=none", "-p", "no:cacheprovider")
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    res.stderr.fnmatch_lines(["*--iosmem-interval='soon' is not a number*", "*--iosmem-iterations='none'*"])
