"""Every option of the plugin: a command-line flag with an ini twin.

Resolution order: command line, then ini (``[pytest]``/``[tool.pytest.ini_options]``),
then the default written here.  Target modules add their own options
through :func:`pytest_iosmem.targets.target_options`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from .targets import TargetOption, target_options

__all__ = ["GENERAL", "LIMITS", "add_options", "argparse_help", "OptionReader"]


@dataclass(frozen=True)
class _Flag:
    """A command-line-only switch (no ini twin: it is a decision of one run)."""

    name: str
    help: str

    @property
    def flag(self) -> str:
        return "--iosmem-" + self.name.replace("_", "-")


GENERAL: tuple[TargetOption, ...] = (
    TargetOption("target", "where the app runs: local (default; a test's Appium session on a simulator or device "
                 "picks that kind), simulator or device"),
    TargetOption(
        "app",
        "the app under test: a command line on the local target (default: the bundled reference app; "
        "the process it starts is the one measured, so a wrapper should exec the app: sh -c 'exec ./app'), "
        "a bundle id on simulator/device",
    ),
    TargetOption(
        "base_app",
        "A/B mode: the base build, run in alternation with the app under test (the head) and compared with it "
        "instead of a stored baseline: on the local target its source directory (the head's command runs for both "
        "builds) or its command line; on a simulator its .app or a zip of it (installed beside the head under a "
        "derived bundle id) or a bundle id; on a device the bundle id of the installed base build",
    ),
    TargetOption(
        "ab_pairs",
        "A/B mode: base/head pairs per test, PLANNED[:MAX]: after PLANNED pairs, more run while the difference is "
        "undecided, up to MAX (default 6:20)",
        "6:20",
    ),
    TargetOption("ab_confidence", "A/B mode: confidence of the interval of head - base (default 95%)", "95%"),
    TargetOption(
        "ab_launch",
        "A/B mode on the local target: when base and head would be launched differently in anything but the "
        "build (interpreter, environment, working directory): 'refuse' the run (default) or 'warn' on every test",
        "refuse",
    ),
    TargetOption("app_env", "environment for the app, KEY=VALUE (repeatable; ini: one per line)", None, "linelist"),
    TargetOption("pid", "attach to this running process instead of launching the app (never terminated)"),
    TargetOption("wda_url", "WebDriverAgent URL that drives the app (default: what the target learns)"),
    TargetOption(
        "driver_fixture",
        "Appium: the fixture that gives a test's Appium session (the app, device and lifecycle the gate uses); "
        "default driver",
        "driver",
    ),
    TargetOption("appium_url", "Appium: the server the appium_driver fixture connects to on simulator/device "
                 "(default http://127.0.0.1:4723; on the local target the app itself)", "http://127.0.0.1:4723"),
    TargetOption("wda_timeout", "seconds to wait for WebDriverAgent to answer /status (default 30)", "30"),
    TargetOption(
        "jetsam_limit",
        "per-process memory limit: enforced by SIGKILL on the local target, overrides the model's known "
        "limit on simulator/device (e.g. 1.5GB)",
    ),
    TargetOption("relaunch", "fresh app per 'test' (default: comparable baselines) or one per 'session'", "test"),
    TargetOption("interval", "sampling interval in seconds (default 0.04: five samples in a 200 ms spike)", "0.04"),
    TargetOption("iterations", "measured iterations when iosmem.iterations() is called without n (default 6)", "6"),
    TargetOption("warmup", "warm-up iterations when iosmem.iterations() is called without warmup (default 2)", "2"),
    TargetOption(
        "repeat",
        "N or N:WARMUP: run the body of every gated test WARMUP+N times in one app session, reading the settled "
        "footprint after each run (a leak check without editing the test; bodies that call iosmem.iterations() "
        "run once). WARMUP defaults to --iosmem-warmup",
    ),
    TargetOption("settle_timeout", "most seconds to wait for the footprint to settle (default 3)", "3"),
    TargetOption("settle_interval", "seconds between the reads that wait for the footprint to settle (default 0.04)",
                 "0.04"),
    TargetOption("settle_window", "consecutive reads that must agree for the footprint to be settled (default 5, "
                 "at least 2)", "5"),
    TargetOption("baselines", "directory of baseline files, relative to the rootdir (default baselines)", "baselines"),
    TargetOption(
        "baseline_profile",
        "which stored profile's baselines to compare with: nearest (default: this profile's, else the nearest "
        "stored one of the same target and model, named in the results), exact (only this profile's), "
        "or a profile key (always that one)",
        "nearest",
    ),
    TargetOption("artifacts", "directory for raw tool outputs and memgraphs (default iosmem-artifacts)", "iosmem-artifacts"),
    TargetOption(
        "attribution",
        "say which classes and allocation stacks grew when a leak or growth is found: auto (where cheap, e.g. "
        "the reference app), on, off",
        "auto",
    ),
    TargetOption(
        "objects",
        "object check (a class whose instance count grows in every measured iteration): auto (on where a class "
        "histogram is cheap: the local target), on (also the simulator's heap, seconds per iteration), off",
        "auto",
    ),
    TargetOption("stack_app", "allocation-stack frames that are the app's own: fnmatch patterns, comma separated "
                 "(fn:NAME, lib:BINARY, file:PATH; see docs/stacks.md)"),
    TargetOption("stack_system", "allocation-stack frames to fold as system, added to the defaults (same syntax)"),
    TargetOption("json", "write a JSON report of every gated test to this path"),
    TargetOption("markdown", "write a Markdown summary to this path (default: $GITHUB_STEP_SUMMARY when set)"),
    TargetOption("html", "write a self-contained HTML report with footprint charts to this path"),
    TargetOption(
        "history",
        "the memory history of the main branch: a SQLite file (relative to the rootdir, e.g. "
        "iosmem-history.db) or a postgresql:// URL shared by a team (off by default; docs/ci.md)",
    ),
    TargetOption(
        "history_record",
        "when a run appends its results to the history: auto (default: on the main or master branch), "
        "always, never",
        "auto",
    ),
    TargetOption(
        "history_unreachable",
        "a history that cannot be read or written: warn (default: the tests' verdicts stand) or fail",
        "warn",
    ),
    TargetOption(
        "max_creep",
        "creep gate: fail a test whose end footprint grew more than this since --iosmem-creep-since in the "
        "history (e.g. 5%), even when each step was under the per-PR limit; needs --iosmem-history",
    ),
    TargetOption(
        "creep_since",
        "the creep gate's reference: start (default: the oldest recorded run), N runs (N runs ago), "
        "a date YYYY-MM-DD, or a tag or commit",
        "start",
    ),
)

LIMITS: tuple[TargetOption, ...] = (
    TargetOption("max_peak", "default peak footprint limit, e.g. 300MB (marker: max_peak)"),
    TargetOption("max_growth", "default allowed growth over the baseline, e.g. 10% or 10%,5MB (default 10%)", "10%"),
    TargetOption("leak_per_iteration", "default leak limit per iteration (default 128KB)", "128KB"),
    TargetOption("reclaim_after_warning", "default bytes a memory warning must give back, e.g. 10MB"),
    TargetOption("jetsam_headroom", "default fraction of the jetsam limit that must stay free, e.g. 50%"),
    TargetOption("noise_floor", "growth below this is never a finding (default 1MB)", "1MB"),
    TargetOption("trend_alpha", "significance level of the leak trend test (default 5%)", "5%"),
    TargetOption(
        "max_iterations",
        "most measured iterations iosmem.iterations() may run while the leak verdict is still undecided "
        "(default 20; iterations(n, max=M) overrides it per loop)",
        "20",
    ),
    TargetOption(
        "inconclusive",
        "a leak verdict still undecided at that bound: warn (default: the test passes, marked inconclusive, "
        "with a warning) or fail",
        "warn",
    ),
    TargetOption(
        "objects_per_iteration",
        "object check: instances a class must gain in every measured iteration to be a leak (default 1; off: no check)",
    ),
    TargetOption(
        "objects_watch",
        "object check: shell patterns of the classes judged (repeatable; ini: one per line; "
        "default *ViewController and *View; * for every class)",
        None,
        "linelist",
    ),
    TargetOption(
        "objects_ignore",
        "object check: shell patterns of classes never judged, e.g. '*Cache*' (repeatable; ini: one per line; "
        "wins over the watch list)",
        None,
        "linelist",
    ),
)

FLAGS = (
    _Flag("update_baselines", "store this run's numbers as the baselines of the tests that ran (on purpose only)"),
    _Flag("force_update", "with --iosmem-update-baselines: also accept tests that leak or break a hard limit"),
)


def _all_options() -> list[TargetOption]:
    seen: dict[str, TargetOption] = {}
    for opt in (*GENERAL, *LIMITS):
        seen[opt.name] = opt
    for _kind, opt in target_options():
        seen.setdefault(opt.name, opt)
    return list(seen.values())


def argparse_help(text: str) -> str:
    """``text`` for a command-line option's help: argparse %-formats it (``%(default)s``),
    so a literal percent sign ("10%") must be doubled or ``pytest --help`` crashes.
    ini help is printed verbatim by pytest and keeps the single ``%``."""
    return text.replace("%", "%%")


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("iosmem", "iOS memory gates (pytest-iosmem)")
    for opt in _all_options():
        kwargs: dict[str, Any] = {"dest": "iosmem_" + opt.name, "default": None, "help": argparse_help(opt.help)}
        if opt.type == "bool":
            kwargs["action"] = "store_const"
            kwargs["const"] = "true"
        elif opt.type in ("linelist", "args"):
            kwargs["action"] = "append"
        group.addoption(opt.flag, **kwargs)
        ini_type = opt.type if opt.type in ("linelist", "args", "bool") else "string"
        ini_default = opt.default
        if ini_type == "bool":
            ini_default = str(opt.default).lower() in ("1", "true", "yes", "on") if opt.default is not None else False
        elif ini_type in ("linelist", "args"):
            ini_default = []
        parser.addini(opt.ini, opt.help, type=ini_type, default=ini_default)  # ini help is printed as is
    for f in FLAGS:
        group.addoption(f.flag, dest="iosmem_" + f.name, action="store_true", default=False, help=argparse_help(f.help))


class OptionReader:
    """``reader("interval")`` -> command line value, else ini value, else None."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def __call__(self, name: str) -> Any:
        value = self.config.getoption("iosmem_" + name, default=None)
        if value not in (None, []):
            return value
        try:
            ini = self.config.getini("iosmem_" + name)
        except ValueError:
            return None
        if ini in ("", [], None):
            return None
        return ini

    def flag(self, name: str) -> bool:
        return bool(self.config.getoption("iosmem_" + name, default=False))
