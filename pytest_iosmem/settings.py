"""Every option of a run, checked in one place: one :class:`Settings`, or one error naming every bad value.

The plugin builds :class:`Settings` when a run first needs it (at collection, before any
test runs); a user with three typos hears about all three at once.  Target-specific
options (``--iosmem-jetsam-limit``, the local target's signal, the device's sysmon
interval, ...) are checked here too, with the same parsers the targets then use, so a
bad value never waits for a simulator to boot before it is reported.
"""

from __future__ import annotations

import re
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from .errors import UsageError
from .settle import SettleConfig
from .units import UnitError, parse_percent, parse_size

if TYPE_CHECKING:
    from .repeat import Repeat
    from .verdict.ab import ABPlan
    from .verdict.policy import Policy

__all__ = [
    "Settings",
    "read_settings",
    "parse_signal",
    "parse_jetsam_limit",
    "parse_sysmon_interval",
    "parse_device_memory_warning",
    "parse_device_rsd",
    "parse_device_tunneld",
    "parse_stop_timeout",
]

Option = Callable[[str], Any]


def _flag_name(name: str) -> str:
    return "--iosmem-" + name.replace("_", "-")


def _given(option: Option, name: str) -> Any:
    """The option's value, or the default the option catalog states for it (a caller that reads
    options without pytest, e.g. a test's own reader, gets the same defaults as the command line)."""
    raw = option(name)
    if raw is None:
        from .options import GENERAL

        raw = next((o.default for o in GENERAL if o.name == name), None)
    return raw


def _positive_float(option: Option, name: str) -> float:
    raw = _given(option, name)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise UsageError(f"{_flag_name(name)}={raw!r} is not a number") from None
    if value <= 0:
        raise UsageError(f"{_flag_name(name)}={raw!r} must be positive")
    return value


def _count(option: Option, name: str, minimum: int) -> int:
    raw = _given(option, name)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise UsageError(f"{_flag_name(name)}={raw!r} is not a whole number") from None
    if value < minimum:
        raise UsageError(f"{_flag_name(name)}={raw!r} must be at least {minimum}")
    return value


def _choice(option: Option, name: str, default: str, choices: tuple[str, ...]) -> str:
    value = str(option(name) or default).strip().lower()
    if value not in choices:
        raise UsageError(f"{_flag_name(name)}={value!r}: choose {', '.join(choices[:-1])} or {choices[-1]}")
    return value


# -- target options: checked here at start-up, parsed again by the target that uses them -------------------
def parse_jetsam_limit(value: Any) -> int | None:
    """``--iosmem-jetsam-limit``: a size, or None when not given."""
    try:
        return parse_size(value) if value else None
    except (UnitError, ValueError) as exc:
        raise UsageError(f"--iosmem-jetsam-limit={value!r}: {exc}") from None


def parse_signal(value: Any) -> int:
    """``--iosmem-local-warning-signal``: a signal name (``USR1``, ``SIGUSR1``) or number."""
    if isinstance(value, int):
        return value
    text = str(value).strip().upper()
    if text.isdigit():
        return int(text)
    name = text if text.startswith("SIG") else "SIG" + text
    try:
        return int(getattr(signal, name))
    except AttributeError:
        raise UsageError(f"--iosmem-local-warning-signal={value!r} is not a signal name or number") from None


def parse_stop_timeout(value: Any) -> float:
    """``--iosmem-local-stop-timeout``: seconds (default 3)."""
    try:
        return float(value or 3)
    except (TypeError, ValueError):
        raise UsageError(f"--iosmem-local-stop-timeout={value!r} is not a number") from None


def parse_sysmon_interval(value: Any) -> float:
    """``--iosmem-device-sysmon-interval``: seconds between sysmontap samples (default 0.5)."""
    raw = value or "0.5"
    try:
        seconds = float(raw)
    except (TypeError, ValueError):
        raise UsageError(f"--iosmem-device-sysmon-interval={raw!r} is not a number of seconds") from None
    if not 0.001 <= seconds <= 60:
        raise UsageError(f"--iosmem-device-sysmon-interval={raw!r}: give seconds between 0.001 and 60")
    return seconds


def parse_device_memory_warning(value: Any) -> str:
    """``--iosmem-device-memory-warning``: auto (devicectl where there is one), devicectl, experimental or off."""
    mode = str(value or "auto").strip().lower()
    if mode not in ("auto", "devicectl", "experimental", "off"):
        raise UsageError(f"--iosmem-device-memory-warning={mode!r}: choose auto, devicectl, experimental or off")
    return mode


def _host_port(flag: str, raw: str, example: str) -> tuple[str, int]:
    """``HOST PORT``, ``HOST:PORT`` or ``[V6]:PORT`` -> (host, port); a UsageError names the option."""
    text = raw.strip()
    if " " in text:
        host, _, port = text.rpartition(" ")
    elif text.startswith("["):
        host, _, port = text[1:].partition("]:")
    else:
        host, _, port = text.rpartition(":")
        if ":" in host:  # an IPv6 address needs a space or brackets before its port
            host = ""
    host = host.strip()
    if not host or not port.strip().isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"{flag}={raw!r}: give HOST PORT (e.g. {example})")
    return host, int(port)


def parse_device_rsd(value: Any) -> tuple[str, int] | None:
    """``--iosmem-device-rsd 'HOST PORT'``: the RSD a started tunnel prints; None when not given."""
    if value in (None, ""):
        return None
    return _host_port("--iosmem-device-rsd", str(value), "'fd7b:e5b:6f53::1 60107', as start-tunnel prints it")


def parse_device_tunneld(value: Any) -> tuple[str, int]:
    """``--iosmem-device-tunneld HOST:PORT``: where tunneld listens (default pymobiledevice3's 127.0.0.1:49151)."""
    if value in (None, ""):
        return ("127.0.0.1", 49151)
    return _host_port("--iosmem-device-tunneld", str(value), "127.0.0.1:49151")


def _ab_plan(option: Option) -> tuple["ABPlan", float]:
    from .verdict.ab import ABPlan

    raw = str(option("ab_pairs") or "6:20").strip()
    planned_text, _, max_text = raw.partition(":")
    try:
        planned = int(planned_text)
        max_pairs = int(max_text) if max_text else max(planned, 20)
    except ValueError:
        raise UsageError(f"--iosmem-ab-pairs={raw!r}: write PLANNED[:MAX], e.g. 6:20") from None
    if planned < 1 or max_pairs < planned:
        raise UsageError(f"--iosmem-ab-pairs={raw!r}: PLANNED must be >= 1 and MAX >= PLANNED")
    conf_raw = option("ab_confidence") or "95%"
    try:
        confidence = parse_percent(conf_raw)
    except UnitError as exc:
        raise UsageError(f"--iosmem-ab-confidence={conf_raw!r}: {exc}") from None
    if not 0.5 <= confidence < 1:
        raise UsageError(f"--iosmem-ab-confidence={conf_raw!r} must be at least 50% and below 100%")
    return ABPlan(planned, max_pairs), confidence


def _app_env(option: Option) -> dict[str, str]:
    env = {}
    for item in option("app_env") or []:
        key, sep, value = str(item).partition("=")
        if not sep or not key:
            raise UsageError(f"--iosmem-app-env={item!r}: write KEY=VALUE")
        env[key] = value
    return env


@dataclass
class Settings:
    """The checked options of one run (the marker's limits are checked per test, at collection)."""

    target: str = "local"
    #: whether --iosmem-target (or its ini twin) was given: if not, an Appium session's device may pick the kind
    target_given: bool = False
    interval: float = 0.04
    wda_timeout: float = 30.0
    settle: SettleConfig = field(default_factory=SettleConfig)
    iterations: int = 6
    warmup: int = 2
    relaunch: str = "test"
    attribution: str = "auto"
    objects: str = "auto"
    repeat: "Repeat | None" = None
    update_baselines: bool = False
    force_update: bool = False
    app: str | None = None
    app_env: dict[str, str] = field(default_factory=dict)
    pid: int | None = None
    #: A/B mode (``--iosmem-base-app``): the base build, the pairs plan and the interval's confidence
    base_app: str | None = None
    #: Appium: the fixture that gives a test's session, and the server appium_driver connects to
    driver_fixture: str = "driver"
    appium_url: str = "http://127.0.0.1:4723"
    ab_plan: "ABPlan | None" = None
    ab_confidence: float = 0.95
    #: A/B: base and head launched differently in anything but the build: "refuse" the run, or "warn" on every test
    ab_launch: str = "refuse"
    #: the option/ini limits as given (strings), and the policy they make
    limit_defaults: dict[str, Any] = field(default_factory=dict)
    default_policy: "Policy | None" = None
    baselines_dir: Path = Path("baselines")
    baseline_rule: str = "nearest"
    artifacts_dir: Path = Path("iosmem-artifacts")
    #: the history (a SQLite path or a postgresql:// URL), when and how it is used; the creep gate
    history: str | None = None
    history_record: str = "auto"
    history_unreachable: str = "warn"
    max_creep: float | None = None
    creep_since: Any = None


def read_settings(option: Option, flag: Callable[[str], bool], rootdir: Path) -> Settings:
    """All options checked; a UsageError listing every bad value (one per line) when any is wrong."""
    from .options import LIMITS
    from .repeat import parse_repeat
    from .targets import TARGET_MODULES
    from .verdict.policy import build_policy

    s = Settings()
    errors: list[str] = []

    def check(fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except UsageError as exc:
            errors.append(str(exc))
            return None

    def path(value: str) -> Path:
        p = Path(value)
        return p if p.is_absolute() else rootdir / p

    s.target = str(option("target") or "local").strip().lower()
    s.target_given = bool(option("target"))
    if s.target not in TARGET_MODULES:
        errors.append(f"--iosmem-target={s.target!r} is not a target; choose one of {', '.join(sorted(TARGET_MODULES))}")
    s.interval = check(lambda: _positive_float(option, "interval")) or s.interval
    s.wda_timeout = check(lambda: _positive_float(option, "wda_timeout")) or s.wda_timeout
    settle_timeout = check(lambda: _positive_float(option, "settle_timeout"))
    settle_interval = check(lambda: _positive_float(option, "settle_interval"))
    settle_window = check(lambda: _count(option, "settle_window", 2))
    if None not in (settle_timeout, settle_interval, settle_window):
        s.settle = SettleConfig(interval=settle_interval, window=settle_window, max_wait=settle_timeout)
    s.iterations = check(lambda: _count(option, "iterations", 1)) or s.iterations
    warmup = check(lambda: _count(option, "warmup", 0))
    s.warmup = s.warmup if warmup is None else warmup
    s.relaunch = check(lambda: _choice(option, "relaunch", "test", ("test", "session"))) or s.relaunch
    s.attribution = check(lambda: _choice(option, "attribution", "auto", ("auto", "on", "off"))) or s.attribution
    s.objects = check(lambda: _choice(option, "objects", "auto", ("auto", "on", "off"))) or s.objects
    s.repeat = check(lambda: parse_repeat(option("repeat"), s.warmup))
    s.update_baselines = flag("update_baselines")
    s.force_update = flag("force_update")
    s.app = (option("app") or "").strip() or None
    s.app_env = check(lambda: _app_env(option)) or {}
    pid = option("pid")
    if pid:
        try:
            s.pid = int(pid)
        except ValueError:
            errors.append(f"--iosmem-pid={pid!r} is not a process id")
    s.base_app = (option("base_app") or "").strip() or None
    s.driver_fixture = str(option("driver_fixture") or "driver").strip()
    if not s.driver_fixture.isidentifier():
        errors.append(f"--iosmem-driver-fixture={s.driver_fixture!r} is not a fixture name")
    s.appium_url = str(option("appium_url") or s.appium_url).strip().rstrip("/")
    if not re.match(r"^https?://[^/\s]+", s.appium_url):
        errors.append(f"--iosmem-appium-url={s.appium_url!r} is not an http(s) URL")
    if s.base_app:
        if s.relaunch != "test":
            errors.append("--iosmem-base-app: A/B trials launch each build fresh; --iosmem-relaunch=session cannot be used")
        if pid:
            errors.append("--iosmem-base-app: A/B trials launch both builds; --iosmem-pid (attach) cannot be used")
        if s.update_baselines:
            errors.append("--iosmem-base-app: an A/B run compares two builds and stores no baseline; "
                          "drop --iosmem-update-baselines")
        plan = check(lambda: _ab_plan(option))
        if plan is not None:
            s.ab_plan, s.ab_confidence = plan
        s.ab_launch = check(lambda: _choice(option, "ab_launch", "refuse", ("refuse", "warn"))) or s.ab_launch
    s.limit_defaults = {opt.name: option(opt.name) for opt in LIMITS}
    s.default_policy = check(lambda: build_policy(s.limit_defaults, {}, "iosmem options"))
    s.baselines_dir = path(option("baselines") or "baselines")
    s.baseline_rule = check(lambda: _baseline_rule(option("baseline_profile") or "nearest", s.baselines_dir)) or "nearest"
    s.artifacts_dir = path(option("artifacts") or "iosmem-artifacts")
    _history_settings(s, option, check, errors)
    # the chosen target's own options, with the parsers the target uses
    check(lambda: parse_jetsam_limit(option("jetsam_limit")))
    if s.target == "local":
        check(lambda: parse_signal(option("local_warning_signal") or "SIGUSR1"))
        check(lambda: parse_stop_timeout(option("local_stop_timeout")))
    elif s.target == "device":
        check(lambda: parse_sysmon_interval(option("device_sysmon_interval")))
        check(lambda: parse_device_memory_warning(option("device_memory_warning")))
        check(lambda: parse_device_rsd(option("device_rsd")))
        check(lambda: parse_device_tunneld(option("device_tunneld")))
    if errors:
        raise UsageError("\n".join(errors))
    return s


def _history_settings(s: Settings, option: Option, check: Callable[[Callable[[], Any]], Any],
                      errors: list[str]) -> None:
    """--iosmem-history and the creep gate: the back-end's driver and the change-point library
    must be importable now, not at the end of the run."""
    from importlib.util import find_spec

    from .history.creep import parse_since

    s.history = str(option("history") or "").strip() or None
    s.history_record = check(lambda: _choice(option, "history_record", "auto", ("auto", "always", "never"))) or "auto"
    s.history_unreachable = check(lambda: _choice(option, "history_unreachable", "warn", ("warn", "fail"))) or "warn"
    if s.history and s.history.startswith(("postgresql://", "postgres://")) and find_spec("psycopg") is None:
        errors.append(f"--iosmem-history={s.history.split('@')[-1]!r}: PostgreSQL needs psycopg 3: "
                      "pip install 'pytest-iosmem[history-postgres]'")
    raw = option("max_creep")
    if raw:
        try:
            s.max_creep = parse_percent(raw)
        except UnitError as exc:
            errors.append(f"--iosmem-max-creep={raw!r}: {exc}")
        if s.max_creep is not None and s.max_creep <= 0:
            errors.append(f"--iosmem-max-creep={raw!r} must be positive")
        if not s.history:
            errors.append(f"--iosmem-max-creep={raw!r} needs a history to judge creep over: --iosmem-history")
        if find_spec("ruptures") is None:
            errors.append(f"--iosmem-max-creep={raw!r}: the change points need ruptures: "
                          "pip install 'pytest-iosmem[history]'")
    since = option("creep_since") or "start"
    try:
        s.creep_since = parse_since(str(since))
    except ValueError as exc:
        errors.append(f"--iosmem-creep-since: {exc}")


def _baseline_rule(value: str, baselines_dir: Path) -> str:
    """exact, nearest, or a profile key that must exist under the baselines directory."""
    rule = str(value).strip()
    if rule.lower() in ("exact", "nearest"):
        return rule.lower()
    if not rule or "/" in rule or "\\" in rule or rule in (".", ".."):
        raise UsageError(f"--iosmem-baseline-profile={value!r}: choose exact, nearest or a profile key")
    if not (baselines_dir / rule).is_dir():
        known = sorted(p.name for p in baselines_dir.iterdir() if p.is_dir()) if baselines_dir.is_dir() else []
        raise UsageError(
            f"--iosmem-baseline-profile={rule}: no directory {baselines_dir / rule} "
            f"(stored profiles: {', '.join(known) or 'none'}); or choose exact or nearest"
        )
    return rule
