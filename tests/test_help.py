"""``pytest --help`` and ``pytest --markers`` with the plugin installed.

These run pytest in a subprocess, so the plugin is loaded the way users get
it: through its ``pytest11`` entry point, in every project that installs it.
argparse %-formats each option's help text; a bare ``%`` in one of ours once
made ``pytest --help`` crash (``TypeError: %o format``) for every such project.
"""

from __future__ import annotations

import re

import pytest

from pytest_iosmem.options import FLAGS, _all_options, argparse_help

from .helpers import NO_HYPOTHESIS


def _help(pytester: pytest.Pytester) -> str:
    result = pytester.runpytest_subprocess(*NO_HYPOTHESIS, "--help")
    assert result.ret == 0, result.stderr.str()
    assert "Traceback" not in result.stderr.str()
    return result.stdout.str()


def test_help_works_and_lists_every_option_and_ini_twin(pytester: pytest.Pytester) -> None:
    out = _help(pytester)
    assert "iOS memory gates (pytest-iosmem)" in out
    for opt in _all_options():
        assert opt.flag in out, opt.flag
        assert re.search(rf"^\s+{opt.ini} \(", out, re.M), opt.ini
    for flag in FLAGS:
        assert flag.flag in out, flag.flag


def test_percent_signs_are_shown_once_on_the_command_line_and_in_ini_help(pytester: pytest.Pytester) -> None:
    # Normalise argparse's line wrapping before looking for the phrase.
    out = " ".join(_help(pytester).split())
    phrase = "default allowed growth over the baseline, e.g. 10% or 10%,5MB (default 10%)"
    # once under --iosmem-max-growth (argparse, %% -> %) and once under iosmem_max_growth (ini, verbatim)
    assert out.count(phrase) == 2
    assert "%%" not in out


def test_markers_lists_ours(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(*NO_HYPOTHESIS, "--markers")
    assert result.ret == 0, result.stderr.str()
    out = result.stdout.str()
    from pytest_iosmem.verdict.policy import POLICY_KEYS

    marker = next(line for line in out.splitlines() if line.startswith("@pytest.mark.iosmem("))
    for key in POLICY_KEYS:  # every key the marker accepts, e.g. objects_watch
        assert f"{key}=None" in marker, key
    assert "@pytest.mark.iosmem_app(args=(), env=None)" in out


def test_help_still_works_with_the_plugin_disabled(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(*NO_HYPOTHESIS, "-p", "no:iosmem", "--help")
    assert result.ret == 0
    assert "--iosmem-target" not in result.stdout.str()


@pytest.mark.parametrize(
    ("text", "expected"),
    [("plain", "plain"), ("10%", "10%%"), ("a % b %o", "a %% b %%o"), ("%%", "%%%%")],
)
def test_argparse_help_doubles_every_percent_sign(text: str, expected: str) -> None:
    assert argparse_help(text) == expected
    assert argparse_help(text) % {} == text  # what argparse does with it gives the text back
